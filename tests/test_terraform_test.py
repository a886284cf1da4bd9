"""The rendered projects' own `terraform test` file: it passes on every golden tree, and fails when it should.

The file runs against a mock of the real AWS provider (from the mirror), so these tests need
Terraform and the mirror but no AWS API, not even moto.
"""

from __future__ import annotations

import re
from pathlib import Path

import hcl2
import pytest

from generator.config.model import load_config, parse_config
from generator.render import layout
from generator.render.destinations import uses_failure_bucket
from generator.render.project import render
from generator.render.tftest import TEST_FILE
from tests.harness import Terraform, stand_in_for_random_if_missing
from tests.support import REPO, GoldenCase, golden_cases, many_functions_config, write_tree

pytestmark = pytest.mark.terraform


def _prepared(files: dict[str, bytes], config_path: Path, tree: Path, tf_cli_config: Path) -> Terraform:
    write_tree(files, tree)
    stand_in_for_random_if_missing(load_config(config_path), tree)
    terraform = Terraform(tree, tf_cli_config)
    terraform.init()
    return terraform


def _run_blocks(tree: Path) -> list[str]:
    parsed = hcl2.loads((tree / TEST_FILE).read_text())
    return [name.strip('"') for block in parsed.get("run", []) for name in block]


@pytest.mark.parametrize("case", golden_cases(), ids=repr)
def test_the_rendered_checks_pass_unchanged(case: GoldenCase, tmp_path: Path, tf_cli_config: Path) -> None:
    terraform = _prepared(case.render(), case.config_path, tmp_path, tf_cli_config)
    result = terraform.run("test", "-no-color")
    runs = _run_blocks(tmp_path)
    # One run for the whole project (bucket and functions), the module's, its triggers', and the refused values'.
    assert runs == ["project", "function_module_grants_exactly_the_permissions_it_is_given",
                    "function_module_triggers_invoke_the_alias_and_nothing_else",
                    "rejects_a_trigger_without_what_its_kind_needs",
                    "rejects_more_retries_than_lambda_allows"], runs  # fmt: skip
    checks_bucket = "aws_s3_bucket_public_access_block.failure_records" in (tmp_path / TEST_FILE).read_text()
    assert checks_bucket == uses_failure_bucket(case.config())
    assert f"Success! {len(runs)} passed, 0 failed." in result.stdout, result.stdout


# Each edit breaks one promise; the rendered checks must catch it with the message that names it.
BREAKS = [
    pytest.param("modules/function/main.tf", "destination = var.on_failure", 'destination = "arn:aws:s3:::elsewhere"',
                 "async_function must send the records of failed events to the failure bucket", id="destination"),
    pytest.param("modules/function/main.tf", "maximum_retry_attempts       = var.settings.maximum_retry_attempts",
                 "maximum_retry_attempts       = 0", "async_function must retry maximum_retry_attempts times",
                 id="retries"),
    pytest.param("modules/function/main.tf", "maximum_event_age_in_seconds = var.settings.maximum_event_age_seconds",
                 "maximum_event_age_in_seconds = 21600",
                 "async_function must keep events for maximum_event_age_seconds", id="event-age"),
    pytest.param("modules/function/main.tf", "reserved_concurrent_executions = var.settings.reserved_concurrency",
                 "reserved_concurrent_executions = 5", "async_function must reserve the configured concurrency",
                 id="concurrency"),
    pytest.param("main.tf", 'actions      = ["s3:PutObject"]', 'actions      = ["s3:PutObject", "s3:DeleteObject"]',
                 "async_function's role may do exactly what its destinations need", id="root-permissions"),
    pytest.param("main.tf", '"${aws_s3_bucket.failure_records.arn}/aws/lambda/async/async_function/*"',
                 '"${aws_s3_bucket.failure_records.arn}/*"',
                 "async_function's role may write in the failure bucket only under aws/lambda/async/async_function/",
                 id="write-prefix"),
    pytest.param("modules/function/iam.tf", "resources = statement.value.resources\n\n      # A bucket",
                 'resources = concat(statement.value.resources, ["*"])\n\n      # A bucket',
                 "The role policy must grant the function's own logs, exactly the permissions given",
                 id="module-policy"),
    pytest.param("modules/function/iam.tf", "for_each = var.policy_statements", "for_each = []",
                 "exactly the permissions given and its own statements", id="own-statements-dropped"),
    pytest.param("modules/function/iam.tf", "effect    = statement.value.effect", 'effect    = "Allow"',
                 "exactly the permissions given and its own statements", id="own-statement-effect"),
    pytest.param("modules/function/iam.tf", 'variable = "s3:ResourceAccount"', 'variable = "aws:SourceAccount"',
                 "with s3:ResourceAccount on the bucket this project owns", id="account-condition"),
    pytest.param("modules/function/main.tf", "size = var.settings.ephemeral_storage_mb", "size = 1024",
                 "must have the /tmp size, tracing, log format, loop handling, layers and VPC its settings give",
                 id="function-settings"),
    pytest.param("modules/function/main.tf", 'name              = "/aws/lambda/${var.name}"',
                 'name              = "/app/${var.name}"', "log group must be the one Lambda writes to",
                 id="log-group"),
    pytest.param("s3.tf", "restrict_public_buckets = true", "restrict_public_buckets = false",
                 "The failure bucket must block every kind of public access", id="public-access"),
    pytest.param("s3.tf", 'values   = ["false"]', 'values   = ["true"]',
                 "must deny every request made without TLS", id="tls"),
    pytest.param("modules/function/variables.tf", "contains([0, 1, 2], var.settings.maximum_retry_attempts)",
                 "var.settings.maximum_retry_attempts >= 0",
                 'run "rejects_more_retries_than_lambda_allows"', id="validation"),
    pytest.param("modules/function/triggers.tf", "source_account = var.account_id", "source_account = null",
                 "Each rule and topic may invoke the alias only as itself, from its own account", id="rule-account"),
    pytest.param("modules/function/triggers.tf", "arn            = local.invoked_arn",
                 'arn            = "arn:aws:lambda:us-east-1:123456789012:function:elsewhere"',
                 "Every trigger must invoke the alias",
                 id="rule-target"),
    pytest.param("modules/function/triggers.tf", "resources = [local.invoked_arn]", 'resources = ["*"]',
                 "The schedule's role may invoke the alias and send to the undelivered queue, nothing else",
                 id="schedule-role"),
    pytest.param("modules/function/variables.tf", "      false\n    ])", "      true\n    ])",
                 'run "rejects_a_trigger_without_what_its_kind_needs"', id="trigger-validation"),
]  # fmt: skip


@pytest.fixture(scope="module")
def default_tree(tmp_path_factory: pytest.TempPathFactory, tf_cli_config: Path) -> Path:
    tree = tmp_path_factory.mktemp("default")
    _prepared(render(load_config(REPO / "config.yaml")), REPO / "config.yaml", tree, tf_cli_config)
    return tree


@pytest.mark.parametrize(("path", "old", "new", "message"), BREAKS)
def test_the_rendered_checks_catch_a_broken_promise(
    default_tree: Path, tf_cli_config: Path, path: str, old: str, new: str, message: str
) -> None:
    target = default_tree / path
    original = target.read_text()
    assert original.count(old) == 1, f"{old!r} is not once in {path}: the break would not be the one named"
    target.write_text(original.replace(old, new))
    try:
        result = Terraform(default_tree, tf_cli_config).run("test", "-no-color", ok_codes=(1,))
    finally:
        target.write_text(original)
    output = re.sub(r"\s+", " ", result.stdout + result.stderr)
    assert "Failure!" in output and message in output, output


@pytest.fixture(scope="module")
def grouped_tree(tmp_path_factory: pytest.TempPathFactory, tf_cli_config: Path) -> Path:
    """A project one function past the threshold, so its functions are spread over the groups' module calls."""
    files = render(parse_config(many_functions_config(layout.FUNCTIONS_PER_CALL + 1), REPO / "grouped.yaml"))
    tree = tmp_path_factory.mktemp("grouped")
    write_tree(files, tree)
    Terraform(tree, tf_cli_config).init()
    return tree


def test_a_grouped_project_s_checks_pass(grouped_tree: Path, tf_cli_config: Path) -> None:
    result = Terraform(grouped_tree, tf_cli_config).run("test", "-no-color")
    runs = len(_run_blocks(grouped_tree))
    assert runs == 5 and f"Success! {runs} passed, 0 failed." in result.stdout, result.stdout


def test_a_function_missing_from_its_group_s_call_fails_the_checks(grouped_tree: Path, tf_cli_config: Path) -> None:
    """A function whose group no call holds is not deployed: the rendered checks must notice, naming it."""
    target = grouped_tree / "main.tf"
    original = target.read_text()
    group = layout.group_of("fn_0000")
    held = f'if function.group == "{group}" }}'
    assert original.count(held) == 1
    target.write_text(original.replace(held, f'if function.group == "{group}" && name != "fn_0000" }}'))
    try:
        result = Terraform(grouped_tree, tf_cli_config).run("test", "-no-color", ok_codes=(1,))
    finally:
        target.write_text(original)
    output = re.sub(r"\s+", " ", result.stdout + result.stderr)
    assert "Failure!" in output and f'module.functions_{group}["fn_0000"]' in output, output
