"""`terraform validate` with the real AWS provider on every golden tree."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.config import parse_config
from generator.render import render
from tests.harness import Terraform, stand_in_for_random_if_missing
from tests.support import GoldenCase, golden_cases, write_tree

pytestmark = pytest.mark.terraform


@pytest.mark.parametrize("case", golden_cases(), ids=repr)
def test_terraform_validate_accepts_the_tree(case: GoldenCase, tmp_path: Path, tf_cli_config: Path) -> None:
    write_tree(case.render(), tmp_path)
    stand_in_for_random_if_missing(case.config(), tmp_path)
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
