"""The config's JSON Schema agrees with the generator, and `init` writes a starter that renders the default."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from generator.cli.main import main
from generator.config.schema import json_schema, schema_text
from generator.render.project import render, starter_config, templates_dir
from tests.bad_configs import CASES
from tests.support import REPO, golden_cases

VALIDATOR = jsonschema.Draft202012Validator(json_schema())

# Bad inputs that a JSON Schema cannot see; the generator still refuses each (test_config_errors).
NOT_EXPRESSIBLE_IN_A_SCHEMA = {
    "yaml syntax": "not YAML at all, so there is no document to validate",
    "duplicate yaml key": "YAML loaders keep the last key before a schema sees the document",
    "duplicate function names": "uniqueness of one property across list items",
    "missing source": "whether a directory exists on disk",
    "env too large": "the byte size of all environment variables together",
    "tag character AWS rejects": "Unicode letter classes, which JSON Schema regexes do not share",
    "lambda destination unknown function": "a reference from one list item to the name of another",
    "function its own destination": "a comparison of two values in the same document",
    "email listed twice": "uniqueness regardless of letter case",
    "email local part over 64": "the length of the part before the @ (RE2, and so the pattern, has no lookahead)",
    "topic in another partition": "a comparison of two values in the same document",
    "athena without a failure bucket": "whether any item of a list has a property of a given value",
    "a statement id twice": "uniqueness of one property across list items",
    "a loop of lambda destinations": "a path through references between list items",
    "a layer of another region": "a comparison of two values in the same document",
    "privilege escalation action": "whether a wildcard pattern in a value matches one of a list of actions",
    "passrole on any resource": 'whether a wildcard pattern in one list matches while another holds "*"',
    "more provisioned than reserved": "a comparison of two values in the same document",
    "a rate of 1 hours": "the grammar of a schedule expression (singular units for 1)",
    "a cron with both days": "the grammar of a schedule expression (one of two fields must be ?)",
    "an unknown time zone": "membership of the IANA time zone database",
    "an event pattern that is no JSON": "JSON inside a string",
    "an event pattern leaf that is no list": "JSON inside a string",
    "a trigger name twice": "uniqueness of one property across list items",
    "a rule name over 64 characters": "the length of two values joined",
    "the failure bucket as a trigger": "a comparison of two values in the same document",
    "a name the failure bucket may get": "a comparison of two values in the same document",
    "a trigger on its own destination topic": "a comparison of two values in the same document",
    "a rule that takes its own records": "a comparison of two values, one of them inside JSON in a string",
    # How a YAML loader builds values: decided before any schema sees the document, and loaders differ.
    "tag on a mapping key": "YAML tags, resolved by the loader",
    "tag on a plain key": "YAML tags, resolved by the loader",
    "int tag on text": "YAML tags, resolved by the loader",
    "float tag on text": "YAML tags, resolved by the loader",
    "timestamp tag on text": "YAML tags, resolved by the loader",
    "merge of a number": "YAML merge keys, resolved by the loader",
    "5000-digit integer": "the loader's limit on integer size",
    "YAML 1.1 octal": "how the loader's YAML version reads the number",
    "YAML 1.1 base 60": "how the loader's YAML version reads the number",
    "YAML 1.1 underscores": "how the loader's YAML version reads the number",
    "bidi override in a tag": "a Unicode category (Cf) anywhere in any string",
    "zero-width space in an env value": "a Unicode category (Cf) anywhere in any string",
    "zero-width space in a key": "a Unicode category (Cf) anywhere in any string",
    "51 tags with the defaults": "a count of the tags together with default tags the config may also set",
    # Python's jsonschema matches `pattern` with re.search, whose $ also matches before a final newline;
    # the ECMA-262 validators editors use refuse these, and so does the generator.
    "newline after a function name": "python-jsonschema's $ before a final newline",
    "newline after the project": "python-jsonschema's $ before a final newline",
    "newline after an environment key": "python-jsonschema's $ before a final newline",
    "newline after a destination arn": "python-jsonschema's $ before a final newline",
    "newline after a kms arn": "python-jsonschema's $ before a final newline",
}


def test_the_committed_schema_is_current() -> None:
    assert (REPO / "config.schema.json").read_text() == schema_text()


def test_schema_is_valid_json_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(json_schema())


@pytest.mark.parametrize("case", golden_cases(), ids=repr)
def test_schema_accepts_every_golden_config(case: Any) -> None:
    document = yaml.safe_load(case.config_path.read_text()) or {}
    assert [e.message for e in VALIDATOR.iter_errors(document)] == []


@pytest.mark.parametrize(("name", "text"), [(n, t) for n, t, _ in CASES], ids=[c[0] for c in CASES])
def test_schema_rejects_the_bad_inputs_it_can_express(name: str, text: str) -> None:
    try:
        document = yaml.safe_load(text)
    except Exception:  # the loader itself refuses it: PyYAML raises YAMLError, ValueError and more
        assert name in NOT_EXPRESSIBLE_IN_A_SCHEMA
        return
    errors = list(VALIDATOR.iter_errors(document))
    if name in NOT_EXPRESSIBLE_IN_A_SCHEMA:
        assert errors == [], f"the schema now catches {name!r}: remove it from NOT_EXPRESSIBLE_IN_A_SCHEMA"
    else:
        assert errors, f"the schema accepts the bad input {name!r}"


def test_schema_command_prints_it(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema"]) == 0
    assert json.loads(capsys.readouterr().out) == json_schema()


def test_default_config_is_the_starter_with_the_editor_modeline() -> None:
    starter = starter_config().read_text()
    assert starter_config() == REPO / "config.yaml" and not (templates_dir() / "config.yaml").exists(), "one file"
    assert starter.splitlines()[0] == "# yaml-language-server: $schema=config.schema.json"


def test_init_writes_a_starter_that_renders_the_default_project(tmp_path: Path) -> None:
    target = tmp_path / "infra" / "config.yaml"
    assert main(["init", str(target)]) == 0
    assert (tmp_path / "infra" / "config.schema.json").read_text() == schema_text()
    from generator.config.model import load_config

    assert render(load_config(target)) == render(load_config(REPO / "config.yaml"))


def test_init_never_overwrites(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "config.yaml"
    target.write_text("project: mine\n")
    (tmp_path / "config.schema.json").write_text("{}")
    assert main(["init", str(target)]) == 2
    assert "already exists; it was left as it is" in capsys.readouterr().err
    assert target.read_text() == "project: mine\n"
    assert (tmp_path / "config.schema.json").read_text() == "{}"


def test_init_leaves_an_existing_schema_alone(tmp_path: Path) -> None:
    (tmp_path / "config.schema.json").write_text("{}")
    assert main(["init", str(tmp_path / "other.yaml")]) == 0
    assert (tmp_path / "config.schema.json").read_text() == "{}"
    assert (tmp_path / "other.yaml").is_file()
