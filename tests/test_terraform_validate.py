"""`terraform validate` with the real AWS provider on every golden tree."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import hcl2
import pytest

from generator.config.model import FUNCTION_SETTINGS, parse_config
from generator.render.project import render
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


def _assert_module_applies(
    terraform: Terraform, var_file: Path | None, function: str, expected: dict[str, Any]
) -> None:
    """The function module's ``settings`` output equals ``expected`` once Terraform has planned ``var_file``.

    A test file reads the output: ``terraform test`` plans against the rendered test's mock provider, so this
    needs no account.
    Terraform's jsonencode sorts object keys, so the JSON compares as Python writes it with sorted keys.
    """
    read = f'jsonencode(module.function["{function}"].settings)'
    rendered = (terraform.workdir / "tests" / "pattern.tftest.hcl").read_text()
    mock = re.search(r'^mock_provider "aws" \{\n.*?^\}\n', rendered, re.MULTILINE | re.DOTALL)
    assert mock, "the rendered test mocks the provider"
    probe = terraform.workdir / "tests" / "settings_probe.tftest.hcl"
    probe.write_text(
        mock.group(0) + '\nrun "settings" {\n  command = plan\n\n  assert {\n'
        f"    condition     = {read} == {json.dumps(json.dumps(expected, sort_keys=True, separators=(',', ':')))}\n"
        f'    error_message = "The module applies ${{{read}}}"\n  }}\n}}\n'
    )
    given = [f"-var-file={var_file}"] if var_file else []
    terraform.run("test", *given, "-filter=tests/settings_probe.tftest.hcl")


def test_a_functions_value_written_for_an_earlier_release_stays_valid(tmp_path: Path, tf_cli_config: Path) -> None:
    """Every setting may be left out of functions and takes its declared default, so a new setting breaks no tfvars.

    Without a tfvars file the function gets exactly the config's settings, from the few the root carries.
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
    (configured,) = case.config().functions
    # The root module carries only what the config changes; the module's defaults make up the rest.
    _assert_module_applies(
        terraform, None, "async_function", {f.name: getattr(configured, f.name) for f in FUNCTION_SETTINGS}
    )

    empty = tmp_path / "empty.tfvars"
    empty.write_text("functions = {\n  async_function = {}\n}\n")
    _assert_module_applies(terraform, empty, "async_function", declared)

    written_for_0_2 = REPO / "tests" / "upgrade" / "tfvars_0_2" / "terraform.tfvars"
    parsed = hcl2.loads(written_for_0_2.read_text())["functions"]["async_function"]
    given = {k: json.loads(v) if isinstance(v, str) else v for k, v in parsed.items()}  # hcl2 keeps the quotes
    assert set(given) < set(declared), "the 0.2 file leaves out settings"
    _assert_module_applies(terraform, written_for_0_2, "async_function", declared | given)
