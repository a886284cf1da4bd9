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


def _mock_provider(terraform: Terraform) -> str:
    """The rendered test's mock provider block: a plan under it needs no account and creates nothing."""
    rendered = (terraform.workdir / "tests" / "pattern.tftest.hcl").read_text()
    mock = re.search(r'^mock_provider "aws" \{\n.*?^\}\n', rendered, re.MULTILINE | re.DOTALL)
    assert mock, "the rendered test mocks the provider"
    return mock.group(0)


def _default_project(tmp_path: Path, tf_cli_config: Path) -> Terraform:
    case = next(c for c in golden_cases() if c.name == "default")
    project = tmp_path / "project"
    write_tree(case.render(), project)
    stand_in_for_random_if_missing(case.config(), project)
    terraform = Terraform(project, tf_cli_config)
    terraform.init()
    return terraform


def _assert_module_applies(
    terraform: Terraform, var_file: Path | None, function: str, expected: dict[str, Any]
) -> None:
    """The function module's ``settings`` output equals ``expected`` once Terraform has planned ``var_file``.

    A test file reads the output: ``terraform test`` plans against the rendered test's mock provider, so this
    needs no account.
    Terraform's jsonencode sorts object keys, so the JSON compares as Python writes it with sorted keys.
    """
    read = f'jsonencode(module.function["{function}"].settings)'
    probe = terraform.workdir / "tests" / "settings_probe.tftest.hcl"
    probe.write_text(
        _mock_provider(terraform) + '\nrun "settings" {\n  command = plan\n\n  assert {\n'
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
    terraform = _default_project(tmp_path, tf_cli_config)
    case = next(c for c in golden_cases() if c.name == "default")
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


# Each value the generator refuses, as a tfvars assignment, and what the rendered validation must say.
_SETTINGS = (
    'architecture = "arm64", timeout_seconds = 10, log_retention_days = 14, '
    "maximum_event_age_seconds = 60, maximum_retry_attempts = 2"
)
_REFUSED = {
    f"functions = {{async_function = {{memory_mb = 64, {_SETTINGS}}}}}": "async_function: memory_mb must be a whole",
    f'functions = {{async_function = {{memory_mb = 128, {_SETTINGS}, environment = {{AWS_REGION = "x"}}}}}}': (
        "the Lambda runtime reserves"
    ),
    f"functions = {{other = {{memory_mb = 128, {_SETTINGS}}}}}": "one entry for each packaged function",
    'functions = {async_function = "small"}': "functions must map each function name to an object of its settings",
    'region = "mars"': "region must be an AWS region code",
    "failure_record_expiration_days = 0": "failure_record_expiration_days must be a whole number of days from 1 to",
    'tags = {"aws:owner" = "me"}': "must not start with aws:",
    'tags = {"Owner" = "a;b"}': "may hold letters, digits",
    "tags = {" + ", ".join(f'T{i} = "v"' for i in range(49)) + "}": "AWS allows 50 tags a resource",
    f"functions = {{async_function = {{memory_mb = 128, reserved_concurrency = 3000000000, {_SETTINGS}}}}}": (
        "async_function: reserved_concurrency must be null"
    ),
    f"functions = {{async_function = {{memory_mb = 128, alarm_period_seconds = 120, {_SETTINGS}}}}}": (
        "async_function: alarm_period_seconds must be one of a period in seconds: 60, 300"
    ),
    'notification_emails = ["oncall"]': "notification_emails must hold email addresses",
}
_ACCEPTED = f"functions = {{async_function = {{memory_mb = 256, {_SETTINGS}}}}}"


def test_terraform_validations_mirror_the_generator(tmp_path: Path, tf_cli_config: Path) -> None:
    """Values the generator refuses are refused by the rendered variables too, with a clear message.

    Each value is one test file, so one refusal skips no other case; one ``terraform test -json`` plans them all
    against the rendered test's mock provider and reports each file's diagnostics apart.
    """
    terraform = _default_project(tmp_path, tf_cli_config)
    mock = _mock_provider(terraform)
    cases: dict[str, tuple[str, str | None]] = {
        f"tests/refused_{i:02d}.tftest.hcl": case for i, case in enumerate(_REFUSED.items())
    }
    cases["tests/accepted.tftest.hcl"] = (_ACCEPTED, None)
    for path, (value, _) in cases.items():
        (terraform.workdir / path).write_text(
            f'{mock}\nrun "case" {{\n  command = plan\n\n  variables {{\n    {value}\n  }}\n}}\n'
        )
    filters = [f"-filter={path}" for path in cases]
    result = terraform.run("test", "-json", *filters, ok_codes=(0, 1))
    said: dict[str, list[str]] = {path: [] for path in cases}
    status: dict[str, str] = {}
    for line in result.stdout.splitlines():
        event = json.loads(line)
        path = event.get("@testfile")
        if event.get("type") == "diagnostic" and path in said:
            said[path].append(event["diagnostic"].get("detail") or event["diagnostic"]["summary"])
        if event.get("type") == "test_file" and event["test_file"].get("progress") == "complete":
            status[event["test_file"]["path"]] = event["test_file"]["status"]
    for path, (value, message) in cases.items():
        if message is None:
            assert status[path] == "pass", f"{value} must be accepted: {said[path]}"
        else:
            assert status[path] == "error", f"{value} must be refused"
            assert any(message in text for text in said[path]), f"{value}: expected {message!r} in {said[path]}"
