"""The command line: arguments, exit codes and words, on top of ``generator.api`` and ``generator.ops``."""
