"""`terraform validate` with the real AWS provider on every golden tree."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import hcl2
import pytest

from generator.config import FUNCTION_SETTINGS, parse_config
from generator.render import render
from tests.harness import Terraform, stand_in_for_random_if_missing
from tests.support import REPO, GoldenCase, golden_cases, write_tree

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


def _functions_as_terraform_reads(terraform: Terraform, var_file: Path) -> dict[str, Any]:
    evaluated = terraform.run("console", f"-var-file={var_file}", input="jsonencode(var.functions)\n").stdout
    return dict(json.loads(json.loads(evaluated.strip())))


def test_a_functions_value_written_for_an_earlier_release_stays_valid(tmp_path: Path, tf_cli_config: Path) -> None:
    """Every setting may be left out of functions and takes its declared default, so a new setting breaks no tfvars.

    The 0.2 file sets what that release required; an empty entry stands for a file written before any
    setting the next release brings.
    """
    case = next(c for c in golden_cases() if c.name == "default")
    project = tmp_path / "project"
    write_tree(case.render(), project)
    stand_in_for_random_if_missing(case.config(), project)
    terraform = Terraform(project, tf_cli_config)
    terraform.init()
    declared = {f.name: None if f.nullable else f.default for f in FUNCTION_SETTINGS}

    empty = tmp_path / "empty.tfvars"
    empty.write_text("functions = {\n  async_function = {}\n}\n")
    assert _functions_as_terraform_reads(terraform, empty) == {"async_function": declared}

    written_for_0_2 = REPO / "tests" / "upgrade" / "tfvars_0_2" / "terraform.tfvars"
    parsed = hcl2.loads(written_for_0_2.read_text())["functions"]["async_function"]
    given = {k: json.loads(v) if isinstance(v, str) else v for k, v in parsed.items()}  # hcl2 keeps the quotes
    assert set(given) < set(declared), "the 0.2 file leaves out settings"
    read = _functions_as_terraform_reads(terraform, written_for_0_2)["async_function"]
    assert read == declared | given
