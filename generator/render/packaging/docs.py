"""The README's lists of what packaging decides, written from the declarations they describe.

Like the config key table (``config.docs``), each sits between two markers in the README;
``tests/test_docs.py`` compares and, under ``pytest --update-golden -n 0``, rewrites them.
"""

from __future__ import annotations

from generator import lambda_facts
from generator.render.packaging.sources import DEFAULT_EXCLUDES


def marked(name: str, body: str) -> str:
    begin = f"<!-- {name}: written from the declarations; update with pytest --update-golden -n 0 -->"
    return f"{begin}\n{body}<!-- end of {name} -->\n"


def runtime_table() -> str:
    """Each runtime render accepts, its operating system and AWS's dates, then the ones it refuses."""
    rows = ["| Runtime | Operating system | Deprecated | New functions refused | Updates refused |",
            "| --- | --- | --- | --- | --- |"]  # fmt: skip
    for runtime in lambda_facts.SUPPORTED_RUNTIMES:
        warned = " (accepted with a warning)" if runtime.warning() else ""
        rows.append(f"| `{runtime.name}`{warned} | {runtime.operating_system} | {runtime.deprecated_on} | "
                    f"{runtime.blocks_create_on} | {runtime.blocks_update_on} |")  # fmt: skip
    refused = ", ".join(f"`{name}` ({date})" for name, date in lambda_facts.DEPRECATED_RUNTIMES.items())
    text = "\n".join(rows) + f"\n\nRefused, deprecated on the date given: {refused}.\n"
    return marked("runtimes", text)


def default_excludes() -> str:
    """The patterns left out of a function's own files, as one Markdown paragraph of code spans."""
    return marked("default excludes", "By name: " + ", ".join(f"`{pattern}`" for pattern in DEFAULT_EXCLUDES) + ".\n")
