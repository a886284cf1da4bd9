"""Finding the failure bucket of a deployed project through ``terraform output``."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

from generator import project_outputs
from generator.errors import UsageError
from generator.ops.aws import Target, Workgroup
from generator.ops.present import safe


def resolve_target(
    bucket: str | None, from_terraform: Path | None, region: str | None, endpoint_url: str | None
) -> Target:
    """``--bucket``, else the outputs of a deployed rendered project (``out/`` when it holds state)."""
    if bucket and from_terraform:
        raise UsageError("pass either --bucket or --from-terraform, not both")
    if not bucket:
        directory = from_terraform or Path("out")
        if from_terraform is not None and not directory.is_dir():
            raise UsageError(f"--from-terraform {directory}: directory not found")
        if from_terraform is None and not (directory / "terraform.tfstate").is_file():
            raise UsageError("no bucket given: pass --bucket NAME, or --from-terraform DIR for a deployed project")
        outputs = terraform_outputs(directory)
        bucket = outputs.get(project_outputs.FAILURE_BUCKET_NAME)
        destinations = outputs.get(project_outputs.DESTINATIONS)
        queues = queue_destinations(destinations)
        if (not isinstance(bucket, str) or not bucket) and isinstance(destinations, dict) and not queues:
            where = "; ".join(f"{name}: {safe(str(d.get('on_failure')))}" for name, d in sorted(destinations.items()))
            raise UsageError(
                f"no function of {directory} records its failures in an S3 bucket or an SQS queue, which is what "
                f"the failures commands read; they go to: {where}"
            )
        if not queues and (not isinstance(bucket, str) or not bucket):
            raise UsageError(f"{directory} has no {project_outputs.FAILURE_BUCKET_NAME} output; has it been applied?")
        bucket = bucket if isinstance(bucket, str) else ""
        region = region or outputs.get(project_outputs.REGION)
        athena = _workgroup(outputs)
        sandbox = None if endpoint_url or os.environ.get("AWS_ENDPOINT_URL") else _sandbox_of(directory)
        if sandbox is not None:
            return Target(bucket=bucket, region=region, endpoint_url=sandbox[0], ca_bundle=sandbox[1], sandbox=True,
                          queues=queues, athena=athena, outputs=outputs)  # fmt: skip
        return Target(bucket=bucket, region=region, endpoint_url=endpoint_url, queues=queues, athena=athena,
                      outputs=outputs)  # fmt: skip
    return Target(bucket=bucket, region=region, endpoint_url=endpoint_url)


def _workgroup(outputs: dict[str, Any]) -> Workgroup | None:
    name, table = outputs.get(project_outputs.ATHENA_WORKGROUP), outputs.get(project_outputs.ATHENA_TABLE)
    if not isinstance(name, str) or not isinstance(table, str) or "." not in table:
        return None
    database, _, table_name = table.partition(".")
    return Workgroup(name=name, database=database, table=table_name)


def queue_destinations(destinations: Any) -> dict[str, str]:
    """The functions whose on_failure destination is an SQS queue, with the queue's ARN."""
    if not isinstance(destinations, dict):
        return {}
    found = {}
    for name, destination in destinations.items():
        arn = destination.get("on_failure") if isinstance(destination, dict) else None
        if isinstance(arn, str) and arn.split(":")[2:3] == ["sqs"]:
            found[str(name)] = arn
    return found


def _sandbox_of(directory: Path) -> tuple[str, str | None] | None:
    """The sandbox a project's override points it at (``generator sandbox --project``), if it has one."""
    from generator.sandbox.override import SANDBOX_OVERRIDE, read_override

    try:
        return read_override((directory / SANDBOX_OVERRIDE).read_text())
    except (OSError, UnicodeDecodeError):
        return None


def terraform_outputs(directory: Path) -> dict[str, Any]:
    try:
        result = subprocess.run(
            ["terraform", f"-chdir={directory}", "output", "-json"], capture_output=True, text=True, check=False
        )
    except FileNotFoundError:
        raise UsageError("--from-terraform needs terraform on PATH; or pass --bucket") from None
    if result.returncode != 0:
        raise UsageError(f"terraform output failed in {directory}: {result.stderr.strip()}")
    return {name: value.get("value") for name, value in json.loads(result.stdout or "{}").items()}
