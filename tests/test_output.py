"""The output directory is shared with Terraform: render only ever touches its own files."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from generator.cli.main import main
from generator.output.files import MANIFEST
from tests.support import REPO, read_manifest

CONFIG = str(REPO / "config.yaml")


def _snapshot(directory: Path) -> dict[str, bytes]:
    return {p.relative_to(directory).as_posix(): p.read_bytes() for p in directory.rglob("*") if p.is_file()}


@pytest.fixture
def terraform_workdir(tmp_path: Path) -> Path:
    """A rendered project in which Terraform has been run: state, lock file, .terraform/, a user override."""
    out = tmp_path / "out"
    assert main(["render", "--config", CONFIG, "--out", str(out)]) == 0
    (out / "terraform.tfstate").write_text('{"version": 4, "serial": 7}\n')
    (out / "terraform.tfstate.backup").write_text('{"version": 4, "serial": 6}\n')
    (out / ".terraform.lock.hcl").write_text("# lock\n")
    (out / ".terraform" / "providers").mkdir(parents=True)
    (out / ".terraform" / "providers" / "marker").write_bytes(b"\x00provider")
    (out / "override.tf").write_text("# the user's own file\n")
    return out


def _users_files(directory: Path) -> dict[str, bytes]:
    """Everything in ``directory`` that the generator's manifest does not claim."""
    generated = read_manifest(directory) | {MANIFEST}
    return {k: v for k, v in _snapshot(directory).items() if k not in generated}


def test_render_leaves_terraform_files_byte_identical(terraform_workdir: Path, tmp_path: Path) -> None:
    before = _users_files(terraform_workdir)
    changed = tmp_path / "changed.yaml"
    changed.write_text((REPO / "config.yaml").read_text().replace("memory_mb: 128", "memory_mb: 256"))
    assert main(["render", "--config", str(changed), "--out", str(terraform_workdir)]) == 0
    assert _users_files(terraform_workdir) == before
    assert len(before) == 5, "state, backup, lock file, provider marker and override.tf"
    assert re.search(rb"memory_mb +=\s256", (terraform_workdir / "variables.tf").read_bytes())


def test_stale_generated_files_are_removed_and_nothing_else(terraform_workdir: Path, tmp_path: Path) -> None:
    renamed = tmp_path / "renamed.yaml"
    renamed.write_text((REPO / "config.yaml").read_text().replace("name: async_function", "name: renamed_function"))
    before = _users_files(terraform_workdir)
    assert main(["render", "--config", str(renamed), "--out", str(terraform_workdir)]) == 0
    assert not (terraform_workdir / "build" / "async_function.zip").exists()
    assert not (terraform_workdir / "src" / "async_function").exists(), "emptied folders go too"
    assert (terraform_workdir / "build" / "renamed_function.zip").is_file()
    assert _users_files(terraform_workdir) == before
    manifest = json.loads((terraform_workdir / MANIFEST).read_text())
    assert "build/renamed_function.zip" in manifest["files"]
    assert "build/async_function.zip" not in manifest["files"]


def test_refuses_to_overwrite_a_file_it_did_not_write(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "main.tf").write_text("# someone else's main.tf\n")
    assert main(["render", "--config", CONFIG, "--out", str(out)]) == 2
    assert "did not write: main.tf" in capsys.readouterr().err
    assert (out / "main.tf").read_text() == "# someone else's main.tf\n"
    assert sorted(p.name for p in out.iterdir()) == ["main.tf"], "nothing else written"


def test_a_manifest_cannot_make_render_delete_outside_the_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    victim = tmp_path / "precious.txt"
    victim.write_text("keep me")
    (out / MANIFEST).write_text(json.dumps({"files": ["../precious.txt"]}))
    assert main(["render", "--config", CONFIG, "--out", str(out)]) == 2
    assert "not a generator manifest" in capsys.readouterr().err
    assert victim.read_text() == "keep me"


def test_unchanged_files_are_not_rewritten(terraform_workdir: Path) -> None:
    untouched = (terraform_workdir / "main.tf", terraform_workdir / MANIFEST)
    for path in untouched:
        os.utime(path, (1_000_000_000, 1_000_000_000))
    assert main(["render", "--config", CONFIG, "--out", str(terraform_workdir)]) == 0
    assert [path.stat().st_mtime for path in untouched] == [1_000_000_000] * 2


def test_no_temporary_files_are_left_behind(terraform_workdir: Path) -> None:
    assert not [p for p in terraform_workdir.rglob("*.tmp")]


def test_check_reports_differences_and_exits_1(terraform_workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["render", "--config", CONFIG, "--out", str(terraform_workdir), "--check"]) == 0
    assert "is up to date" in capsys.readouterr().out
    (terraform_workdir / "main.tf").write_text(
        (terraform_workdir / "main.tf").read_text().replace("packages", "pkgs", 1)
    )
    (terraform_workdir / "outputs.tf").unlink()
    before = _snapshot(terraform_workdir)
    assert main(["render", "--config", CONFIG, "--out", str(terraform_workdir), "--check"]) == 1
    out = capsys.readouterr().out
    assert f"changed: {terraform_workdir / 'main.tf'}" in out
    assert f"missing: {terraform_workdir / 'outputs.tf'}" in out
    assert "--- a/main.tf" in out and "+++ b/main.tf" in out
    assert _snapshot(terraform_workdir) == before, "--check writes nothing"


def test_check_reports_stale_files(terraform_workdir: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    renamed = tmp_path / "renamed.yaml"
    renamed.write_text((REPO / "config.yaml").read_text().replace("name: async_function", "name: other"))
    assert main(["render", "--config", str(renamed), "--out", str(terraform_workdir), "--check"]) == 1
    assert f"stale: {terraform_workdir / 'build/async_function.zip'}" in capsys.readouterr().out


def test_repository_out_is_a_fresh_render_of_config_yaml() -> None:
    assert main(["render", "--config", CONFIG, "--out", str(REPO / "out"), "--check"]) == 0
