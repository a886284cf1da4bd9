"""Rendered Terraform parsed back with python-hcl2: the resources exist and are wired as the pattern needs."""

from __future__ import annotations

import copy
import functools
import json
import re
from typing import Any

import pytest

from generator import destination_types
from generator.config.model import FUNCTION_SETTINGS, Config, parse_config
from generator.ops.records import READS, FailureRecord, RecordError, RecordKey
from generator.record_queries import NAMED_QUERIES
from generator.render.destinations import uses_failure_bucket
from generator.render.monitoring import ALARMS
from generator.render.names import MAX_ROLE_NAME, record_rule_name, role_name
from generator.render.project import render, render_project
from tests.support import (
    GOLDEN,
    GoldenCase,
    expected_group,
    golden_cases,
    parse_module,
    parse_tree,
    unescape_template,
)

CASES = golden_cases()
# What the function module gives a setting a call leaves out: its declared default, or null where null means something.
MODULE_DEFAULTS = {f.name: None if f.nullable else f.default for f in FUNCTION_SETTINGS}
_OPTIONAL = re.compile(r"(\w+) = optional\((\w+(?:\(\w+\))?)(?:, ([^,()]+))?\)")


def _optional_defaults(object_type: str) -> dict[str, Any]:
    """The defaults of an ``object({name = optional(type, default), ...})`` type, as python-hcl2 prints it."""
    found = {name: default for name, _, default in _OPTIONAL.findall(object_type)}
    assert object_type.count("optional(") == len(found), object_type
    return {name: None if default == "" else json.loads(default) for name, default in found.items()}


@functools.cache
def _parsed(case: GoldenCase) -> tuple[Config, dict[str, Any], dict[str, Any]]:
    """Each golden tree is rendered and parsed once per session: parsing, not the checks, is what takes time."""
    config = case.config()
    files = render(config)
    return config, parse_tree(files), parse_module(files)


@pytest.fixture(params=CASES, ids=repr)
def rendered(request: pytest.FixtureRequest) -> tuple[Config, dict[str, Any]]:
    config, tree, _ = _parsed(request.param)
    return config, copy.deepcopy(tree)  # a test may change what it reads; the next one gets the tree as parsed


@pytest.fixture
def module(request: pytest.FixtureRequest, rendered: tuple[Config, dict[str, Any]]) -> dict[str, Any]:
    return copy.deepcopy(_parsed(request.node.callspec.params["rendered"])[2])


def _statements(tree: dict[str, Any], document: str) -> dict[str, dict[str, Any]]:
    return {s["sid"]: s for s in tree["data"][f"aws_iam_policy_document.{document}"]["statement"]}


def test_each_function_is_an_instance_of_the_function_module(rendered: tuple[Config, dict[str, Any]]) -> None:
    _, tree = rendered
    call = tree["module"]["function"]
    assert call["source"] == "./modules/function" and call["for_each"] == "${local.packages}"
    packaged = ("runtime", "handler", "role_name")
    assert {name: call[name] for name in packaged} == {name: f"${{each.value.{name}}}" for name in packaged}
    assert call["settings"] == "${var.functions[each.key]}", "the settings pass through whole: the module holds them"
    assert not [name for name in call if name in {f.name for f in FUNCTION_SETTINGS}], "no setting is its own argument"
    assert call["on_failure"] == "${local.destinations[each.key].on_failure}"
    assert call["on_success"] == "${local.destinations[each.key].on_success}"
    assert call["destination_permissions"] == "${local.destination_permissions[each.key]}"
    assert call["package"] == "${path.module}/${each.value.package}"
    assert not [r for r in tree["resource"] if r.startswith(("aws_lambda", "aws_iam", "aws_cloudwatch_log"))], (
        "a function's resources live in its module instance only"
    )


def test_invoke_config_sends_failures_to_the_configured_destination(
    rendered: tuple[Config, dict[str, Any]], module: dict[str, Any]
) -> None:
    config, tree = rendered
    for fn in config.functions:
        target = tree["locals"]["destinations"][fn.name]["on_failure"]
        if fn.on_failure.arn is not None:
            assert target == fn.on_failure.arn
        elif fn.on_failure.type == "s3":
            assert target == "${aws_s3_bucket.failure_records.arn}"
        assert (tree["locals"]["destinations"][fn.name]["on_success"] is None) is (fn.on_success is None)
    invoke = module["resource"]["aws_lambda_function_event_invoke_config.this"]
    config_block = invoke["destination_config"][0]
    assert config_block["on_failure"] == [{"destination": "${var.on_failure}"}]
    (success,) = config_block["dynamic"]
    assert success["on_success"]["for_each"] == "${var.on_success == null ? [] : [var.on_success]}"
    assert invoke["maximum_event_age_in_seconds"] == "${var.settings.maximum_event_age_seconds}"
    assert invoke["maximum_retry_attempts"] == "${var.settings.maximum_retry_attempts}"
    assert invoke["depends_on"] == ["${aws_iam_role_policy.this}"], "AWS checks the role when the config is created"


def test_function_settings_flow_from_the_module_variables(module: dict[str, Any]) -> None:
    function = module["resource"]["aws_lambda_function.this"]
    assert function["reserved_concurrent_executions"] == "${var.settings.reserved_concurrency}"
    assert (function["memory_size"], function["timeout"], function["architectures"]) == (
        "${var.settings.memory_mb}",
        "${var.settings.timeout_seconds}",
        ["${var.settings.architecture}"],
    )
    assert _optional_defaults(module["variable"]["settings"]["type"]) == MODULE_DEFAULTS, (
        "each setting left out takes the default its declaration has; a nullable one is null"
    )
    assert function["source_code_hash"] == "${filebase64sha256(var.package)}"
    assert function["role"] == "${aws_iam_role.this.arn}"
    assert function["depends_on"] == ["${aws_cloudwatch_log_group.this}", "${aws_iam_role_policy.this}"], (
        "log group first; dependencies stay inside one function's instance"
    )


def test_publishing_and_aliases_are_rendered_only_where_asked(
    rendered: tuple[Config, dict[str, Any]], module: dict[str, Any]
) -> None:
    config, tree = rendered
    function = module["resource"]["aws_lambda_function.this"]
    invoke = module["resource"]["aws_lambda_function_event_invoke_config.this"]
    assert function["publish"] == "${var.publish}"
    assert module["variable"]["publish"]["default"] is False and module["variable"]["alias"]["default"] is None
    alias = module["resource"]["aws_lambda_alias.this"]
    assert alias["count"] == "${var.alias == null ? 0 : 1}"
    assert alias["function_version"] == "${aws_lambda_function.this.version}", "the alias follows each new version"
    assert invoke["qualifier"] == "${var.alias == null ? null : aws_lambda_alias.this[0].name}"
    call = tree["module"]["function"]
    if not any(fn.publish for fn in config.functions):
        assert "publish" not in call and "alias" not in call, "an unpublished project stays on $LATEST: the defaults"
        assert "alias_arns" not in tree["output"]
        return
    packages = tree["locals"]["packages"]
    assert {name: (p["publish"], p["alias"]) for name, p in packages.items()} == {
        fn.name: (fn.publish, fn.alias) for fn in config.functions
    }
    assert (call["publish"], call["alias"]) == ("${each.value.publish}", "${each.value.alias}")
    assert "coalesce(function.alias_arn, function.name)" in tree["output"]["invoke_commands"]["value"]


def test_an_alias_of_a_function_with_its_own_code_is_an_output_too() -> None:
    """alias_arns does not depend on the demo handler, as invoke_commands does; the README lists what exists."""
    case = GOLDEN / "custom_source"
    published = "    reserved_concurrency: 2\n    publish: true\n    alias: live\n"
    text = (case / "config.yaml").read_text().replace("    reserved_concurrency: 2\n", published)
    files = render(parse_config(text, case / "config.yaml"))
    outputs = parse_tree(files)["output"]
    assert "invoke_commands" not in outputs and "alias_arns" in outputs
    assert "| `alias_arns` |" in files["README.md"].decode()


@pytest.mark.parametrize("carries_flat_layout", [False, True], ids=["fresh", "rendered-before-0.2"])
def test_moved_blocks_carry_every_flat_resource_into_the_module(
    rendered: tuple[Config, dict[str, Any]], carries_flat_layout: bool
) -> None:
    """Every golden tree holds few enough functions for one module call: each may come from its group's call.

    Only a project first rendered before 0.2 gets the five moves a function from the flat layout.
    """
    config, _ = rendered
    tree = parse_tree(render_project(config, carries_flat_layout=carries_flat_layout).files)
    moves = {(m["from"], m["to"]) for m in tree["moved"]}
    from_groups = {
        (f'${{module.functions_{expected_group(fn.name)}["{fn.name}"]}}',
         f'${{module.function["{fn.name}"]}}')
        for fn in config.functions
    }  # fmt: skip
    assert from_groups <= moves
    moves -= from_groups
    old_to_new = {
        "aws_cloudwatch_log_group.lambda": "aws_cloudwatch_log_group.this",
        "aws_iam_role.lambda": "aws_iam_role.this",
        "aws_iam_role_policy.lambda": "aws_iam_role_policy.this",
        "aws_lambda_function.this": "aws_lambda_function.this",
        "aws_lambda_function_event_invoke_config.this": "aws_lambda_function_event_invoke_config.this",
    }
    expected = {
        (f'${{{old}["{fn.name}"]}}', f'${{module.function["{fn.name}"].{new}}}')
        for fn in config.functions
        for old, new in old_to_new.items()
    }
    assert moves == (expected if carries_flat_layout else set())


def test_variable_defaults_equal_the_config(rendered: tuple[Config, dict[str, Any]]) -> None:
    config, tree = rendered
    variables = tree["variable"]
    defaults = variables["functions"]["default"]
    assert list(defaults) == [f.name for f in config.functions]
    carried = {f.name for f in FUNCTION_SETTINGS if config.monitoring.enabled or not f.monitoring}
    for fn in config.functions:
        settings = dict(defaults[fn.name])
        assert set(settings) <= carried, "alarm settings only while the project has alarms"
        assert all(value != MODULE_DEFAULTS[name] for name, value in settings.items()), "only what the config changes"
        settings["environment"] = {k: unescape_template(v) for k, v in settings.get("environment", {}).items()}
        as_written = {f.name: getattr(fn, f.name) for f in FUNCTION_SETTINGS}
        as_written = {name: list(v) if isinstance(v, tuple) else v for name, v in as_written.items()}  # HCL lists
        assert MODULE_DEFAULTS | settings == as_written
    assert variables["region"]["default"] == config.region
    assert variables["tags"]["default"] == config.tags
    if not uses_failure_bucket(config):
        assert not [name for name in variables if name.startswith("failure_")], "no bucket, no bucket settings"
        return
    assert variables["failure_bucket_force_destroy"]["default"] is config.failure_bucket.force_destroy
    if config.failure_bucket.expire_after_days is None:
        assert "failure_record_expiration_days" not in variables
    else:
        assert variables["failure_record_expiration_days"]["default"] == config.failure_bucket.expire_after_days


def test_packages_match_the_functions(rendered: tuple[Config, dict[str, Any]]) -> None:
    config, tree = rendered
    packages = tree["locals"]["packages"]
    for fn in config.functions:
        assert packages[fn.name]["runtime"] == fn.runtime
        assert packages[fn.name]["package"] == f"build/{fn.name}.zip"
        assert packages[fn.name]["role_name"] == role_name(config.project, fn.name)
        expected_handler = fn.handler or ("handler.handler" if fn.language == "python" else "index.handler")
        assert packages[fn.name]["handler"] == expected_handler


def test_role_policy_is_least_privilege(rendered: tuple[Config, dict[str, Any]], module: dict[str, Any]) -> None:
    config, tree = rendered
    statements = _statements(module, "this")
    assert {sid: (s["actions"], s["resources"]) for sid, s in statements.items()} == {
        "WriteOwnLogs": (["logs:CreateLogStream", "logs:PutLogEvents"], ["${aws_cloudwatch_log_group.this.arn}:*"])
    }
    dynamic, traces, network, key, own = module["data"]["aws_iam_policy_document.this"]["dynamic"]
    # the network interfaces Lambda manages in a VPC, only with subnets, on "*" (their ids are Lambda's)
    assert network["statement"]["for_each"] == "${length(var.settings.vpc_subnet_ids) > 0 ? [1] : []}"
    assert network["statement"]["content"][0]["resources"] == ["*"]
    # kms:Decrypt on the function's own key for its environment variables, and only with one
    assert key["statement"]["for_each"] == "${var.settings.kms_key_arn == null ? [] : [var.settings.kms_key_arn]}"
    assert key["statement"]["content"][0]["actions"] == ["kms:Decrypt"]
    # X-Ray's write actions, only while tracing is Active: they take no resource but "*"
    assert traces["statement"]["for_each"] == '${var.settings.tracing == "Active" ? [1] : []}'
    assert traces["statement"]["content"][0]["resources"] == ["*"]
    assert dynamic["statement"]["for_each"] == "${var.destination_permissions}"
    # the function's own statements come after the generated ones, as given
    assert own["statement"]["for_each"] == "${var.policy_statements}"
    assert own["statement"]["content"][0]["effect"] == "${statement.value.effect}"
    condition = dynamic["statement"]["content"][0]["dynamic"][0]["condition"]
    assert condition["for_each"] == "${statement.value.same_account ? [var.account_id] : []}"
    assert condition["content"][0]["variable"] == "s3:ResourceAccount"
    for fn in config.functions:
        permissions = tree["locals"]["destination_permissions"][fn.name]
        if fn.on_failure.is_failure_bucket:
            bucket = [(p["sid"], p["actions"], p["resources"], p["same_account"]) for p in permissions[:2]]
            assert bucket == [
                # Its own records only: Lambda's key layout, written out here rather than taken from the code.
                (
                    "WriteFailureRecords",
                    ["s3:PutObject"],
                    [f"${{aws_s3_bucket.failure_records.arn}}/aws/lambda/async/{fn.name}/*"],
                    True,
                ),
                ("ListFailureBucket", ["s3:ListBucket"], ["${aws_s3_bucket.failure_records.arn}"], True),
            ]
            kms = [p for p in permissions if p["sid"] == "EncryptFailureRecords"]
            assert bool(kms) is (config.failure_bucket.kms_key_arn is not None)
        for permission in permissions:
            assert all(r != "*" for r in permission["resources"]), "no wildcard resource"
    trust = _statements(module, "assume_role")["LambdaAssumeRole"]
    assert trust["actions"] == ["sts:AssumeRole"]
    assert trust["principals"] == [{"type": "Service", "identifiers": ["lambda.amazonaws.com"]}]
    attachments = [k for k in module["resource"] if k.startswith("aws_iam_role_policy_attachment")]
    assert attachments == ["aws_iam_role_policy_attachment.managed"], "only the policies the config names"
    assert (
        module["resource"]["aws_iam_role_policy_attachment.managed"]["for_each"] == "${toset(var.managed_policy_arns)}"
    )
    for fn in config.functions:
        own_statements = tree["locals"].get("policy_statements", {}).get(fn.name, [])
        assert own_statements == [
            {"sid": st.sid, "effect": st.effect, "actions": list(st.actions or ()),
             "resources": list(st.resources or ()),
             "conditions": [{"test": c.test, "variable": c.variable, "values": list(c.values or ())}
                            for c in st.conditions]}
            for st in fn.policy_statements
        ]  # fmt: skip
        for statement in own_statements:
            assert "*" not in statement["resources"] or next(
                st.allow_any_resource for st in fn.policy_statements if st.sid == statement["sid"]
            ), "a wildcard resource only where the config allows it"
        assert tree["locals"].get("managed_policy_arns", {}).get(fn.name, []) == list(fn.managed_policy_arns)


def test_no_bucket_is_created_when_no_function_records_to_it(rendered: tuple[Config, dict[str, Any]]) -> None:
    config, tree = rendered
    buckets = [name for name in tree["resource"] if name.startswith(("aws_s3_bucket", "random_uuid"))]
    providers = {name for block in tree["terraform"] for req in block.get("required_providers", []) for name in req}
    descriptions = json.dumps(tree["output"]) + json.dumps(tree["locals"])
    if uses_failure_bucket(config):
        assert buckets and "failure_bucket_name" in tree["output"]
    else:
        assert buckets == [] and "random" not in providers
        assert not [name for name in tree["output"] if "failure" in name]
        assert "aws_s3_bucket" not in descriptions


def test_bucket_is_private_encrypted_and_tls_only(rendered: tuple[Config, dict[str, Any]]) -> None:
    config, tree = rendered
    if not uses_failure_bucket(config):
        return  # test_no_bucket_is_created_when_no_function_records_to_it checks that there is none
    resources = tree["resource"]
    block = resources["aws_s3_bucket_public_access_block.failure_records"]
    for setting in ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"):
        assert block[setting] is True
    ownership = resources["aws_s3_bucket_ownership_controls.failure_records"]
    assert ownership["rule"][0]["object_ownership"] == "BucketOwnerEnforced"
    sse = resources["aws_s3_bucket_server_side_encryption_configuration.failure_records"]["rule"][0]
    by_default = sse["apply_server_side_encryption_by_default"][0]
    if config.failure_bucket.kms_key_arn:
        assert by_default == {"sse_algorithm": "aws:kms", "kms_master_key_id": "${var.failure_bucket_kms_key_arn}"}
    else:
        assert by_default == {"sse_algorithm": "AES256"}
    deny = _statements(tree, "failure_records_bucket")["DenyInsecureTransport"]
    assert deny["effect"] == "Deny"
    assert deny["condition"][0] == {"test": "Bool", "variable": "aws:SecureTransport", "values": ["false"]}
    assert ("aws_s3_bucket_versioning.failure_records" in resources) is config.failure_bucket.versioning
    rule = resources["aws_s3_bucket_lifecycle_configuration.failure_records"]["rule"][0]
    assert rule["abort_incomplete_multipart_upload"][0]["days_after_initiation"] == 1
    assert ("expiration" in rule) is (config.failure_bucket.expire_after_days is not None)


def test_bucket_name_follows_the_naming_mode(rendered: tuple[Config, dict[str, Any]]) -> None:
    config, tree = rendered
    if not uses_failure_bucket(config):
        return  # test_no_bucket_is_created_when_no_function_records_to_it checks that there is none
    bucket = tree["resource"]["aws_s3_bucket.failure_records"]
    naming = config.failure_bucket.naming
    uses_random = "random_uuid.failure_bucket_suffix" in tree["resource"]
    assert uses_random is (naming == "random_uuid")
    providers = {name for block in tree["terraform"] for req in block.get("required_providers", []) for name in req}
    assert ("random" in providers) is (naming == "random_uuid")
    if naming == "random_uuid":
        assert bucket["bucket"] == f"{config.failure_bucket.prefix}-${{random_uuid.failure_bucket_suffix.result}}"
    elif naming == "bucket_prefix":
        assert bucket["bucket_prefix"] == f"{config.failure_bucket.prefix}-"
    else:
        assert bucket["bucket"] == config.failure_bucket.name


def test_aws_provider_constraint_admits_5_100_and_6(rendered: tuple[Config, dict[str, Any]]) -> None:
    _, tree = rendered
    (versions,) = [block for block in tree["terraform"] if "required_providers" in block]
    aws = versions["required_providers"][0]["aws"]
    assert aws["source"] == "hashicorp/aws"
    assert aws["version"] == ">= 5.100, < 7.0"


def test_every_variable_and_output_is_documented(
    rendered: tuple[Config, dict[str, Any]], module: dict[str, Any]
) -> None:
    _, tree = rendered
    for name, variable in module["variable"].items():  # the root validates; the module's are typed and described
        assert variable.get("description") and variable.get("type"), f"module variable {name}"
    for name, output in module["output"].items():
        assert output.get("description"), f"module output {name} has no description"
    for name, variable in tree["variable"].items():
        assert variable.get("description"), f"variable {name} has no description"
        assert variable.get("type"), f"variable {name} has no type"
        if variable["type"] != "bool":  # a bool has nothing to validate beyond its type
            assert variable.get("validation"), f"variable {name} has no validation"
    for name, output in tree["output"].items():
        assert output.get("description"), f"output {name} has no description"


def test_readme_tables_list_exactly_the_variables_and_outputs() -> None:
    for case in CASES:
        files = case.render()
        tree = parse_tree(files)
        readme = files["README.md"].decode()
        inputs = readme.split("## Inputs")[1].split("## Outputs")[0]
        outputs = readme.split("## Outputs")[1]
        for table, blocks in ((inputs, tree["variable"]), (outputs, tree["output"])):
            rows = re.findall(r"^\| `(\w+)` \| (.*?) \|", table, re.M)
            described = {name: unescape_template(block["description"]) for name, block in blocks.items()}
            assert [name for name, _ in rows] == list(blocks), case.name
            assert {name: text.replace("\\|", "|") for name, text in rows} == described, case.name


def test_invoke_command_output_is_ready_to_paste() -> None:
    tree = parse_tree(CASES[0].render())
    command = tree["output"]["invoke_commands"]["value"]
    assert command == (
        '${{for name, function in module.function : name => "aws lambda invoke --region ${var.region} '
        "--function-name ${function.name} --invocation-type Event --cli-binary-format raw-in-base64-out "
        """--payload '{\\"forceError\\": true}' /dev/null"}}"""
    )


@pytest.mark.parametrize("length", [1, 26, 27, 28, 64])
@pytest.mark.parametrize("project", ["p", "a" * 32])
def test_role_names_fit_iam_limits_and_stay_distinct(length: int, project: str) -> None:
    name = "f" * length
    twin = "f" * (length - 1) + "g"  # differs only in a character that truncation may cut off
    derived = role_name(project, name)
    assert len(derived) <= MAX_ROLE_NAME
    assert derived.endswith("-role") and derived.startswith(project[:20])
    assert re.fullmatch(r"[\w+=,.@-]+", derived)
    assert role_name(project, name) == derived, "the same function always gets the same role"
    assert role_name(project, twin) != derived, "two functions never share a role"
    assert role_name(project + "x", name) != derived, "two projects never share a role"


def test_remote_state_renders_an_s3_backend_with_lock_files() -> None:
    case = next(c for c in CASES if c.name == "remote_state")
    config = case.config()
    files = render(config)
    backend = parse_tree(files)["terraform"]
    blocks = [b["backend"] for b in backend if "backend" in b]
    assert blocks == [[{"s3": {"bucket": config.backend.bucket, "key": config.backend.key,
                              "region": config.backend.region, "encrypt": True, "use_lockfile": True}}]]  # fmt: skip
    versions = [b for b in backend if "required_version" in b]
    assert versions[0]["required_version"] == ">= 1.11"
    assert all("backend.tf" not in c.render() for c in CASES if c.name != "remote_state"), "local state: no backend"


LAMBDA_ARN = (
    "arn:${data.aws_partition.current.partition}:lambda:${var.region}:"
    "${data.aws_caller_identity.current.account_id}:function:"
)
EXPECTED_DESTINATIONS = {  # the golden config `destinations`, written out by hand
    "to_queue_and_topic": {
        "on_failure": '${aws_sqs_queue.destination["destinations-to_queue_and_topic-on-failure"].arn}',
        "on_success": '${aws_sns_topic.destination["destinations-to_queue_and_topic-on-success"].arn}',
    },
    "to_bus_and_function": {
        "on_failure": '${aws_cloudwatch_event_bus.destination["destinations-to_bus_and_function-on-failure"].arn}',
        "on_success": LAMBDA_ARN + "to_queue_and_topic",
    },
    "to_existing": {
        "on_failure": "arn:aws:sqs:us-east-1:123456789012:existing-failures",
        "on_success": "arn:aws:events:us-east-1:123456789012:event-bus/default",
    },
    "default_failure_bucket": {
        "on_failure": "${aws_s3_bucket.failure_records.arn}",
        "on_success": "arn:aws:lambda:us-east-1:123456789012:function:existing-consumer",
    },
}
EXPECTED_PERMISSIONS = {
    "to_queue_and_topic": [
        ("SendFailureToQueue", ["sqs:SendMessage"], "on_failure", False),
        ("PublishSuccessToTopic", ["sns:Publish"], "on_success", False),
    ],
    "to_bus_and_function": [
        ("PutFailureEvents", ["events:PutEvents"], "on_failure", False),
        ("InvokeSuccessFunction", ["lambda:InvokeFunction"], "on_success", False),
    ],
    "to_existing": [
        ("SendFailureToQueue", ["sqs:SendMessage"], "on_failure", False),
        ("PutSuccessEvents", ["events:PutEvents"], "on_success", False),
    ],
    "default_failure_bucket": [
        (
            "WriteFailureRecords",
            ["s3:PutObject"],
            "${aws_s3_bucket.failure_records.arn}/aws/lambda/async/default_failure_bucket/*",
            True,
        ),
        ("ListFailureBucket", ["s3:ListBucket"], "on_failure", True),
        ("InvokeSuccessFunction", ["lambda:InvokeFunction"], "on_success", False),
    ],
}


def _destinations_tree() -> dict[str, Any]:
    case = next(c for c in CASES if c.name == "destinations")
    return parse_tree(case.render())


def test_every_destination_is_wired_to_its_target() -> None:
    assert _destinations_tree()["locals"]["destinations"] == EXPECTED_DESTINATIONS


def test_every_destination_gets_exactly_its_permission() -> None:
    tree = _destinations_tree()
    permissions = tree["locals"]["destination_permissions"]
    for function, expected in EXPECTED_PERMISSIONS.items():
        rendered = [(p["sid"], p["actions"], p["resources"], p["same_account"]) for p in permissions[function]]
        wanted = [
            (sid, actions, [EXPECTED_DESTINATIONS[function].get(resource, resource)], same_account)
            for sid, actions, resource, same_account in expected
        ]
        assert rendered == wanted, function


def test_created_destinations_are_encrypted_and_queues_have_a_dead_letter_queue() -> None:
    resources = _destinations_tree()["resource"]
    queue = resources["aws_sqs_queue.destination"]
    assert queue["sqs_managed_sse_enabled"] is True
    assert "aws_sqs_queue.destination_dead_letter" in queue["redrive_policy"]
    assert resources["aws_sqs_queue.destination_dead_letter"]["sqs_managed_sse_enabled"] is True
    assert resources["aws_sns_topic.destination"]["kms_master_key_id"] == "alias/aws/sns"
    assert "aws_cloudwatch_event_bus.destination" in resources
    queues = _destinations_tree()["locals"]["destination_queues"]
    assert queues == {
        "destinations-to_queue_and_topic-on-failure": {"retention_seconds": 345600, "max_receive_count": 3}
    }


def test_destinations_tf_exists_only_when_the_project_creates_a_destination() -> None:
    for case in CASES:
        files = case.render()
        created = any(
            fn_destination is not None
            and fn_destination.type in ("sqs", "sns", "eventbridge")
            and fn_destination.created
            for fn in case.config().functions
            for fn_destination in (fn.on_failure, fn.on_success)
        )
        assert ("destinations.tf" in files) is created, case.name


def test_alarms_watch_each_function_exactly_as_the_catalogue_says(
    rendered: tuple[Config, dict[str, Any]], module: dict[str, Any]
) -> None:
    config, tree = rendered
    alarms = {name: r for name, r in module["resource"].items() if name.startswith("aws_cloudwatch_metric_alarm.")}
    assert sorted(alarms) == sorted(f"aws_cloudwatch_metric_alarm.{a.resource}" for a in ALARMS)
    assert module["variable"]["create_alarms"]["default"] is False, "a call that does not ask gets no alarms"
    call = tree["module"]["function"]
    if not config.monitoring.enabled:
        assert "monitoring.tf" not in render(config) and "create_alarms" not in call
        assert not [name for name in call if name.startswith("alarm_")]
        return
    assert call["create_alarms"] is True
    for spec in ALARMS:
        alarm = alarms[f"aws_cloudwatch_metric_alarm.{spec.resource}"]
        assert alarm["count"] == "${var.create_alarms ? 1 : 0}"
        assert (alarm["namespace"], alarm["metric_name"], alarm["statistic"]) == ("AWS/Lambda", spec.metric,
                                                                                 spec.statistic)  # fmt: skip
        assert alarm["dimensions"] == {"FunctionName": "${aws_lambda_function.this.function_name}"}
        assert alarm["threshold"] == f"${{{spec.threshold}}}"
        assert alarm["period"] == "${var.settings.alarm_period_seconds}" and alarm["evaluation_periods"] == 1
        assert alarm["comparison_operator"] == "GreaterThanThreshold"
        assert alarm["treat_missing_data"] == "notBreaching"
        assert alarm["alarm_actions"] == alarm["ok_actions"] == ["${var.notification_topic_arn}"]
        assert alarm["alarm_name"] == f"${{var.project}}-${{var.name}}-{spec.suffix}"
    assert call["notification_topic_arn"] == "${local.notification_topic_arn}"
    assert call["project"] == config.project


def test_the_topic_is_encrypted_with_a_rotating_key_the_publishers_may_use(
    rendered: tuple[Config, dict[str, Any]],
) -> None:
    config, tree = rendered
    resources = tree.get("resource", {})
    creates_topic = config.monitoring.enabled and config.monitoring.topic_arn is None
    assert ("aws_sns_topic.notifications" in resources) is creates_topic
    if not creates_topic:
        if config.monitoring.enabled:
            assert tree["locals"]["notification_topic_arn"] == config.monitoring.topic_arn
        return
    assert resources["aws_sns_topic.notifications"]["kms_master_key_id"] == "${aws_kms_key.notifications.arn}"
    assert resources["aws_kms_key.notifications"]["enable_key_rotation"] is True
    publishers = _statements(tree, "notifications_key")["PublishersEncryptMessages"]
    notices = config.monitoring.record_notices and uses_failure_bucket(config)
    expected = ["cloudwatch.amazonaws.com"] + (["events.amazonaws.com"] if notices else [])
    assert publishers["principals"] == [{"type": "Service", "identifiers": expected}]
    topic = _statements(tree, "notifications_topic")
    assert sorted(topic) == ["ProjectAlarmsPublish"] + (["ProjectRulesPublish"] if notices else [])
    for statement in topic.values():
        assert statement["actions"] == ["sns:Publish"]
        assert {c["variable"] for c in statement["condition"]} == {"aws:SourceArn", "aws:SourceAccount"}


def test_record_notices_only_where_the_bucket_holds_records(
    rendered: tuple[Config, dict[str, Any]], module: dict[str, Any]
) -> None:
    config, tree = rendered
    notices = config.monitoring.enabled and config.monitoring.record_notices and uses_failure_bucket(config)
    resources = tree.get("resource", {})
    assert ("aws_s3_bucket_notification.failure_records" in resources) is notices
    rule = module["resource"]["aws_cloudwatch_event_rule.failure_record"]
    target = module["resource"]["aws_cloudwatch_event_target.failure_record"]
    assert rule["count"] == target["count"] == "${var.record_rule_name == null ? 0 : 1}", "a rule only where named"
    assert ("record_rule_name" in tree["module"]["function"]) is notices, "the call names rules only with notices"
    s3_tf = render(config).get("s3.tf", b"").decode()
    if uses_failure_bucket(config):
        assert ("checkov:skip=CKV2_AWS_62" in s3_tf) is not notices, "the skip stays only while nothing is notified"
    if not notices:
        return
    assert resources["aws_s3_bucket_notification.failure_records"]["eventbridge"] is True
    packages = tree["locals"]["packages"]
    for fn in config.functions:
        expected = record_rule_name(config.project, fn.name) if fn.on_failure.is_failure_bucket else None
        assert packages[fn.name]["record_rule_name"] == expected
    assert target["arn"] == "${var.notification_topic_arn}"
    assert target["input_transformer"][0]["input_paths"] == {
        "bucket": "$.detail.bucket.name", "key": "$.detail.object.key", "time": "$.time"
    }  # fmt: skip


def test_the_athena_table_declares_every_member_the_failures_commands_read() -> None:
    """SQL and the failures commands must see the same record: a field records.py reads is a column here."""
    case = next(c for c in CASES if c.name == "analytics")
    table = parse_tree(case.render())["resource"]["aws_glue_catalog_table.failure_records"]
    columns = {c["name"]: c["type"] for c in table["storage_descriptor"][0]["columns"]}
    for member, fields in READS.items():
        assert member.lower() in columns, f"the table lacks {member}, which records.py reads"
        declared = set(re.findall(r"(\w+):", columns[member.lower()]))
        assert set(fields) <= declared, f"{member} lacks {set(fields) - declared}"


def _what_records_py_takes(document: dict[str, Any]) -> tuple[Any, ...] | str:
    """What parsing takes from a record, or why it refuses the record (refusing is reading it too)."""
    key = RecordKey.parse("aws/lambda/async/fn/2026/11/29/2026-11-29T10.00.00-0f8fad5b-d9cb-469f-a165-70867728950e")
    try:
        record = FailureRecord.parse(key, json.dumps(document).encode())
    except RecordError as exc:
        return str(exc)
    return (record.timestamp, record.request_id, record.function_arn, record.condition, record.invoke_count,
            record.payload_text, record.status_code, record.function_error, record.error_type,
            record.error_message, record.stack_trace)  # fmt: skip


def test_records_py_reads_exactly_the_members_its_reads_table_declares() -> None:
    """READS is what the table test above relies on: every entry changes what is read, and nothing else does."""
    document: dict[str, Any] = {
        "version": "1.0",
        "timestamp": "2026-11-29T10:00:00.000Z",
        "requestContext": {"requestId": "r-1", "functionArn": "arn:aws:lambda:us-east-1:123456789012:function:fn",
                           "condition": "RetriesExhausted", "approximateInvokeCount": 3},
        "requestPayload": {"order": 1},
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "responsePayload": {"errorMessage": "boom", "errorType": "Forced", "requestId": "r-1",
                            "stackTrace": ["  File handler.py"]},
    }  # fmt: skip
    full = _what_records_py_takes(document)
    assert isinstance(full, tuple), full
    for member, value in document.items():
        trimmed = {k: v for k, v in document.items() if k != member}
        changed = _what_records_py_takes(trimmed) != full
        assert changed is (member in READS), f"{member}: read {changed}, declared {member in READS}"
        taken_whole = member in READS and not READS[member]  # the event itself: its fields are the sender's
        for name in value if isinstance(value, dict) and not taken_whole else ():
            inner = {**document, member: {k: v for k, v in value.items() if k != name}}
            changed = _what_records_py_takes(inner) != full
            assert changed is (name in READS.get(member, ())), f"{member}.{name}: read {changed}"


def test_athena_renders_only_when_enabled_and_projects_the_key_layout(rendered: tuple[Config, dict[str, Any]]) -> None:
    config, tree = rendered
    resources = tree.get("resource", {})
    assert ("aws_glue_catalog_table.failure_records" in resources) is config.analytics.enabled
    if not config.analytics.enabled:
        return
    parameters = resources["aws_glue_catalog_table.failure_records"]["parameters"]
    bucket_functions = [fn.name for fn in config.functions if fn.on_failure.is_failure_bucket]
    assert parameters["projection.function.values"] == ",".join(bucket_functions)
    assert parameters["storage.location.template"] == (
        "s3://${aws_s3_bucket.failure_records.id}/aws/lambda/async/$${function}/$${day}/"
    )
    workgroup = resources["aws_athena_workgroup.failure_records"]["configuration"][0]
    assert workgroup["enforce_workgroup_configuration"] is True
    assert workgroup["bytes_scanned_cutoff_per_query"] == "${var.athena_scan_cutoff_mb * 1048576}"
    output = workgroup["result_configuration"][0]["output_location"]
    assert output == "s3://${aws_s3_bucket.failure_records.id}/athena-results/"
    queries = {name.split(".")[1] for name in resources if name.startswith("aws_athena_named_query.")}
    assert queries == {q.resource for q in NAMED_QUERIES}


def test_the_modules_own_statement_ids_are_reserved_from_policy_statements(module: dict[str, Any]) -> None:
    """iam.tf is plain Terraform: its statement ids must be among those a config's own statements may not take."""
    assert set(_statements(module, "this")) <= destination_types.GENERATED_STATEMENT_IDS
