"""The override `generator sandbox --project` writes into a rendered project: its name, its text, and reading it
back (the failures commands find the sandbox through it)."""

from __future__ import annotations

import re

# Written beside a render and listed in its manifest: a render, which never writes it, removes it, and the
# project's .gitignore keeps it out of version control (*_override.tf).
SANDBOX_OVERRIDE = "sandbox_override.tf"
# Every AWS service a rendered project calls, and so every endpoint the override points at the sandbox.
SERVICES = ("athena", "cloudwatch", "events", "glue", "iam", "kms", "lambda", "logs", "s3", "scheduler", "sns",
            "sqs", "sts")  # fmt: skip


def provider_override(endpoint: str, ca_bundle: str | None) -> str:
    """The provider block that points every service a project uses at ``endpoint`` (terraform fmt clean)."""
    width = max(map(len, SERVICES))
    endpoints = "\n".join(f'    {name.ljust(width)} = "{endpoint}"' for name in SERVICES)
    trust = f'  custom_ca_bundle            = "{ca_bundle}"\n' if ca_bundle else ""
    return (
        "# Written by `generator sandbox`: the AWS provider talks to the local sandbox, not to AWS. A render\n"
        "# without the sandbox, or `generator sandbox --stop`, removes this file.\n"
        'provider "aws" {\n'
        '  access_key                  = "test"\n'
        '  secret_key                  = "test"\n'
        "  skip_credentials_validation = true\n"
        "  skip_metadata_api_check     = true\n"
        "  s3_use_path_style           = true\n"
        f"{trust}\n"
        f"  endpoints {{\n{endpoints}\n  }}\n"
        "}\n"
    )


def read_override(text: str) -> tuple[str, str | None] | None:
    """(endpoint, certificate to trust) of an override ``provider_override`` wrote; None for any other text."""
    endpoint = re.search(r'^    s3 += "([^"]+)"$', text, re.M)
    if endpoint is None or not text.startswith("# Written by `generator sandbox`"):
        return None
    trust = re.search(r'^  custom_ca_bundle += "([^"]+)"$', text, re.M)
    return endpoint[1], trust[1] if trust else None
