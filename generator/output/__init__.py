"""Writing a rendered project: the manifest that bounds what a render may change, and safe, locked writes."""
