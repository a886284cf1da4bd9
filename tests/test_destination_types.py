"""The registry of destination types: each declaration is consistent with itself and with what renders."""

from __future__ import annotations

import re

from generator.destination_types import CREATED, NAMES, TYPES
from generator.render.project import render
from tests.support import golden_cases, parse_tree


def test_each_mock_arn_is_an_arn_of_its_own_type_only() -> None:
    for name, created in CREATED.items():
        arn = created.mock_arn.format(account="123456789012")
        matching = [t.name for t in TYPES if re.fullmatch(t.arn_pattern, arn)]
        assert matching == [name], f"{arn} matches {matching}"


def test_statement_ids_tell_each_type_and_kind_apart() -> None:
    sids = [t.statement.format(word=word) for t in TYPES for word in ("Failure", "Success")]
    assert len(set(sids)) == len(sids) == 2 * len(NAMES)
    assert all(re.fullmatch(r"[A-Za-z0-9]+", sid) for sid in sids), "IAM statement ids are alphanumeric"


def test_the_project_creates_exactly_the_registrys_resources() -> None:
    """The golden config that creates every kind it can renders one resource of each created type, no other."""
    case = next(c for c in golden_cases() if c.name == "destinations")
    tree = parse_tree(render(case.config()))
    created = {address.split(".")[0] for address in tree["resource"] if address.endswith(".destination")}
    assert created == {c.resource for c in CREATED.values()}


def test_the_function_modules_undelivered_queue_keeps_messages_as_long_as_sqs_allows() -> None:
    """The static module spells the limit the config model declares; the two must not drift apart."""
    import hcl2

    from generator.config.model import SQS_MAX_RETENTION_SECONDS
    from tests.support import REPO

    tree = hcl2.loads((REPO / "templates/terraform/modules/function/triggers.tf").read_text())
    queues = [body for block in tree["resource"] for kind, named in block.items() if kind.strip('"') == "aws_sqs_queue"
              for body in named.values()]  # fmt: skip
    assert queues and {queue["message_retention_seconds"] for queue in queues} == {SQS_MAX_RETENTION_SECONDS}
