"""Rendered Terraform is exactly what `terraform fmt` would print."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.support import GoldenCase, golden_cases, terraform_binary, write_tree


@pytest.mark.terraform
@pytest.mark.parametrize("case", golden_cases(), ids=repr)
def test_terraform_fmt_finds_nothing_to_change(case: GoldenCase, tmp_path: Path) -> None:
    terraform = terraform_binary()
    write_tree(case.render(), tmp_path)
    result = subprocess.run(
        [terraform, "fmt", "-check", "-diff", "-recursive", "-no-color"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={"TF_CLI_CONFIG_FILE": "/dev/null", "PATH": "/usr/bin:/bin"},
        check=False,
    )
    assert result.returncode == 0, f"terraform fmt would change:\n{result.stdout}{result.stderr}"


@pytest.mark.parametrize("case", golden_cases(), ids=repr)
def test_no_template_debris(case: GoldenCase) -> None:
    for path, content in case.render().items():
        if not path.endswith((".tf", ".md", ".gitignore")):
            continue
        text = content.decode()
        assert text.endswith("\n") and not text.endswith("\n\n"), f"{path}: one trailing newline"
        assert "\n\n\n" not in text, f"{path}: a run of blank lines"
        assert not [n for n, line in enumerate(text.split("\n"), 1) if line != line.rstrip()], (
            f"{path}: trailing spaces"
        )
        assert "{{" not in text and "{%" not in text, f"{path}: unrendered template syntax"
