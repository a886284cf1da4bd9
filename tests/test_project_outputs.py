"""The outputs the failure tools read exist, under those names, in every rendered project that has them."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator import project_outputs
from generator.ops import project
from tests.support import GoldenCase, golden_cases, parse_tree


@pytest.mark.parametrize("case", golden_cases(), ids=repr)
def test_the_failure_tools_read_outputs_the_project_renders(case: GoldenCase) -> None:
    tree = parse_tree(case.render())
    rendered = set(tree["output"])
    needed = {project_outputs.DESTINATIONS, project_outputs.REGION, project_outputs.ASYNCHRONOUS_SETTINGS}
    if "aws_s3_bucket.failure_records" in tree.get("resource", {}):
        needed.add(project_outputs.FAILURE_BUCKET_NAME)
    if "aws_athena_workgroup.failure_records" in tree.get("resource", {}):
        needed |= {project_outputs.ATHENA_WORKGROUP, project_outputs.ATHENA_TABLE}
    assert needed <= rendered


def test_a_deployed_projects_outputs_name_the_bucket_and_region(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """resolve_target reads what `terraform output -json` gives under the rendered names (no Terraform run here)."""
    (tmp_path / "terraform.tfstate").write_text("{}")
    given = {project_outputs.FAILURE_BUCKET_NAME: "records-1", project_outputs.REGION: "eu-west-1",
             project_outputs.DESTINATIONS: {}}  # fmt: skip
    monkeypatch.setattr(project, "terraform_outputs", lambda directory: given)
    target = project.resolve_target(None, tmp_path, None, None)
    assert (target.bucket, target.region) == ("records-1", "eu-west-1")
