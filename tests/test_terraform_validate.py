"""`terraform validate` with the real AWS provider on every golden tree."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.config import parse_config
from generator.destinations import uses_failure_bucket
from generator.render import render
from tests.harness import PROVIDER_MIRROR, Terraform, mirror_has
from tests.support import GoldenCase, golden_cases, write_tree

pytestmark = pytest.mark.terraform


def _random_is_installable() -> bool:
    # With a mirror, Terraform installs only what the mirror holds; without one it uses the registry.
    return mirror_has("hashicorp/random") or not PROVIDER_MIRROR.is_dir()


def _swap_random_uuid_for_terraform_data(tree: Path) -> None:
    """Stand-in for hashicorp/random so the rest of a random_uuid tree can still be validated.

    hashicorp/random cannot be installed on this machine: no registry is reachable and the
    provider mirror holds only hashicorp/aws. Terraform's built-in terraform_data resource
    takes the suffix's place; every other file is validated exactly as rendered.
    """
    versions = (tree / "versions.tf").read_text()
    start = versions.index("    random = {")
    end = versions.index("    }\n", start) + len("    }\n")
    (tree / "versions.tf").write_text(versions[:start] + versions[end:])
    s3 = (tree / "s3.tf").read_text()
    s3 = s3.replace(
        'resource "random_uuid" "failure_bucket_suffix" {}',
        'resource "terraform_data" "failure_bucket_suffix" {\n  input = "00000000-0000-4000-8000-000000000000"\n}',
    ).replace("random_uuid.failure_bucket_suffix.result", "terraform_data.failure_bucket_suffix.output")
    (tree / "s3.tf").write_text(s3)


@pytest.mark.parametrize("case", golden_cases(), ids=repr)
def test_terraform_validate_accepts_the_tree(case: GoldenCase, tmp_path: Path, tf_cli_config: Path) -> None:
    write_tree(case.render(), tmp_path)
    uses_random = uses_failure_bucket(case.config()) and case.config().failure_bucket.naming == "random_uuid"
    if uses_random and not _random_is_installable():
        _swap_random_uuid_for_terraform_data(tmp_path)
        assert "random" not in (tmp_path / "versions.tf").read_text()
    terraform = Terraform(tmp_path, tf_cli_config)
    terraform.init()
    result = terraform.run("validate", "-json")
    assert '"valid": true' in result.stdout, result.stdout
    assert '"warning_count": 0' in result.stdout, f"validate warned:\n{result.stdout}"


def test_names_that_are_hcl_syntax_or_wide_unicode_render_valid_terraform(tmp_path: Path, tf_cli_config: Path) -> None:
    """Function, tag and variable names Terraform could misread, and tag keys whose columns are not code points."""
    hangul = "\u1100\u1161\u11a8"  # one syllable written as three combining letters: one column for terraform fmt
    config = parse_config(
        "failure_bucket: {naming: bucket_prefix}\n"
        f"tags: {{'for': a, 'null': b, '{hangul}': c, '{hangul * 3}x': d}}\n"
        "functions:\n  - name: 'for'\n    environment: {'for': x, 'in': y}\n  - name: 'null'\n  - name: 'true'\n",
        tmp_path / "words.yaml",
    )
    write_tree(render(config), tmp_path)
    terraform = Terraform(tmp_path, tf_cli_config)
    fmt = terraform.run("fmt", "-check", "-diff", "-recursive", ok_codes=(0, 3))
    assert fmt.returncode == 0, fmt.stdout
    terraform.init()
    result = terraform.run("validate", "-json")
    assert '"valid": true' in result.stdout, result.stdout
