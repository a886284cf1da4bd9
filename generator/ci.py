"""The tool versions a rendered CI workflow pins, declared once: the generator's own tests use the same ones."""

from __future__ import annotations

WORKFLOW_PATH = ".github/workflows/terraform.yml"
TERRAFORM_VERSION = "1.11.4"  # satisfies every required_version the generator renders
CHECKOV_VERSION = "3.3.30"
