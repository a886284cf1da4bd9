"""checkov finds nothing to flag in any rendered project; every deliberate exception says why."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from generator.config.model import parse_config
from generator.render.destinations import uses_failure_bucket
from generator.render.project import render
from tests.harness import checkov_executable
from tests.support import OVERSIZED_CONFIG, GoldenCase, golden_cases, oversized_source, write_tree

pytestmark = pytest.mark.checkov

SKIP_COMMENT = re.compile(r"#\s*checkov:skip=([A-Z0-9_]+)(?::(.*))?$")


@pytest.fixture(scope="session")
def checkov() -> Path:
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "generator-tests"
    cache.mkdir(parents=True, exist_ok=True)
    return checkov_executable(cache)


@pytest.mark.parametrize("case", golden_cases(), ids=repr)
def test_checkov_passes_with_reasoned_skips_only(case: GoldenCase, checkov: Path, tmp_path: Path) -> None:
    config = case.config()
    expected = {"aws_s3_bucket"} if uses_failure_bucket(config) else set()
    if config.monitoring.enabled and not config.monitoring.topic_arn:
        expected |= {"aws_sns_topic", "aws_kms_key"}
    _assert_checkov_clean(case.render(), checkov, tmp_path, expected)


def test_checkov_passes_on_the_package_bucket_of_a_package_over_the_upload_limit(checkov: Path, tmp_path: Path) -> None:
    oversized_source(tmp_path)
    files = render(parse_config(OVERSIZED_CONFIG, tmp_path / "config.yaml"))
    assert "packages.tf" in files and 'aws_s3_bucket" "packages"' in files["packages.tf"].decode()
    scanned = _assert_checkov_clean(files, checkov, tmp_path / "out", {"aws_s3_bucket"})
    assert {"aws_s3_bucket.packages", "aws_s3_bucket_policy.packages"} <= scanned


def _assert_checkov_clean(files: dict[str, bytes], checkov: Path, out: Path, expected: set[str]) -> set[str]:
    """No failed check; the resource types in ``expected`` (beyond every function's) scanned; each skip reasoned.

    Returns the resources checkov passed checks on."""
    write_tree(files, out)
    result = subprocess.run(
        [str(checkov), "--directory", str(out), "--framework", "terraform", "--output", "json", "--skip-download"],
        capture_output=True, text=True, check=False, env={**os.environ, "BC_SKIP_MAPPING": "TRUE"},
    )  # fmt: skip
    assert result.returncode in (0, 1), f"checkov did not run:\n{result.stderr[-3000:]}"
    report = json.loads(result.stdout)
    report = report[0] if isinstance(report, list) else report
    results = report["results"]
    failed = [(c["check_id"], c["resource"], c["check_name"]) for c in results["failed_checks"]]
    assert failed == [], f"checkov failed checks: {failed}"
    scanned = {c["resource"].split(".")[-2] for c in results["passed_checks"]}  # resource types, module or root
    expected = expected | {"aws_lambda_function", "aws_iam_role", "aws_cloudwatch_log_group"}
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
    return {c["resource"] for c in results["passed_checks"]}
