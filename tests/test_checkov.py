"""checkov finds nothing to flag in any rendered project; every deliberate exception says why."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from generator.render.destinations import uses_failure_bucket
from tests.harness import checkov_executable
from tests.support import GoldenCase, golden_cases, write_tree

pytestmark = pytest.mark.checkov

SKIP_COMMENT = re.compile(r"#\s*checkov:skip=([A-Z0-9_]+)(?::(.*))?$")


@pytest.fixture(scope="session")
def checkov() -> Path:
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "generator-tests"
    cache.mkdir(parents=True, exist_ok=True)
    return checkov_executable(cache)


@pytest.mark.parametrize("case", golden_cases(), ids=repr)
def test_checkov_passes_with_reasoned_skips_only(case: GoldenCase, checkov: Path, tmp_path: Path) -> None:
    files = case.render()
    write_tree(files, tmp_path)
    result = subprocess.run(
        [str(checkov), "--directory", str(tmp_path), "--framework", "terraform", "--output", "json", "--skip-download"],
        capture_output=True, text=True, check=False, env={**os.environ, "BC_SKIP_MAPPING": "TRUE"},
    )  # fmt: skip
    assert result.returncode in (0, 1), f"checkov did not run:\n{result.stderr[-3000:]}"
    report = json.loads(result.stdout)
    report = report[0] if isinstance(report, list) else report
    results = report["results"]
    failed = [(c["check_id"], c["resource"], c["check_name"]) for c in results["failed_checks"]]
    assert failed == [], f"checkov failed checks: {failed}"
    scanned = {c["resource"].split(".")[-2] for c in results["passed_checks"]}  # resource types, module or root
    expected = {"aws_lambda_function", "aws_iam_role", "aws_cloudwatch_log_group"}
    config = case.config()
    expected |= {"aws_s3_bucket"} if uses_failure_bucket(config) else set()
    expected |= (
        {"aws_sns_topic", "aws_kms_key"} if config.monitoring.enabled and not config.monitoring.topic_arn else set()
    )
    assert expected <= scanned, f"checkov scanned {sorted(scanned)}"
    for skipped in results["skipped_checks"]:
        reason = skipped["check_result"].get("suppress_comment", "")
        assert reason.strip(), f"{skipped['check_id']} is skipped without a reason"

    skips = [m for content in files.values() for line in content.decode(errors="ignore").splitlines()
             if (m := SKIP_COMMENT.search(line))]  # fmt: skip
    assert skips, "the pattern has deliberate exceptions; they must be visible in the code"
    for match in skips:
        assert match.group(2) and len(match.group(2).strip()) > 20, f"{match.group(1)} needs a one-line reason"
    assert {s["check_id"] for s in results["skipped_checks"]} == {m.group(1) for m in skips}
