"""A config to files in memory: ``project`` renders the templates from a typed ``view`` of the config, with
``hcl`` for escaping and formatting, ``packaging`` for the zips, ``destinations``, ``names`` and ``layout`` for
what the project holds, and ``monitoring``, ``analytics`` and ``tftest`` as the catalogues the templates show.
Nothing here touches the output directory; ``generator.output`` writes what this returns.
"""
