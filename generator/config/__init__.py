"""The config: one declaration per key (``model``), read from YAML with line numbers (``_yaml``), and the JSON
Schema derived from those declarations (``schema``). It imports nothing of rendering, output or the failure tools.
"""
