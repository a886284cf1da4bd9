"""Deployment packages depend only on the code: same bytes on every render and machine."""

from __future__ import annotations

import hashlib
import io
import os
import zipfile
from pathlib import Path

from generator.config import parse_config
from generator.packaging import build_zip, source_files
from generator.render import render
from tests.support import GOLDEN


def test_zip_is_independent_of_order_times_and_modes(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    for directory, mode, mtime in ((first, 0o600, 1_000_000_000), (second, 0o755, 1_700_000_000)):
        (directory / "pkg").mkdir(parents=True)
        for name in ("z.py", "a.py", "pkg/m.py"):
            path = directory / name
            path.write_text(f"# {name}\n")
            path.chmod(mode)
            os.utime(path, (mtime, mtime))
    assert build_zip(source_files(first)) == build_zip(source_files(second))


def test_zip_entries_are_sorted_with_fixed_metadata() -> None:
    archive = zipfile.ZipFile(io.BytesIO(build_zip([("b.py", b"b"), ("a/c.py", b"c"), ("a.py", b"a")])))
    infos = archive.infolist()
    assert [i.filename for i in infos] == ["a.py", "a/c.py", "b.py"]
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
    assert {i.external_attr >> 16 for i in infos} == {0o100644}
    assert archive.read("a/c.py") == b"c"


def test_caches_and_vcs_folders_are_not_packaged(tmp_path: Path) -> None:
    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "__pycache__" / "app.cpython-311.pyc").write_bytes(b"\x00")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "HEAD").write_text("ref")
    (tmp_path / "app.py").write_text("x = 1\n")
    assert [name for name, _ in source_files(tmp_path)] == ["app.py"]


def test_only_a_code_change_changes_the_package_hash(tmp_path: Path) -> None:
    source = GOLDEN / "custom_source" / "app"
    config_text = "functions:\n  - name: f\n    source: app\n    handler: main.handle\n"

    def package_hash(memory: int) -> str:
        config = parse_config(config_text + f"    memory_mb: {memory}\n", tmp_path / "c.yaml")
        return hashlib.sha256(render(config)["build/f.zip"]).hexdigest()

    (tmp_path / "app").mkdir()
    for path in source.rglob("*"):
        if path.is_file():
            target = tmp_path / "app" / path.relative_to(source)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(path.read_bytes())
    original = package_hash(128)
    assert package_hash(512) == original, "a settings change must not redeploy the code"
    (tmp_path / "app" / "main.py").write_text("# changed\n")
    assert package_hash(128) != original


def test_bundled_handlers_are_packaged_at_the_handler_path() -> None:
    config = parse_config("functions:\n  - name: py\n  - name: js\n    runtime: nodejs22.x\n", Path("c.yaml"))
    files = render(config)
    assert zipfile.ZipFile(io.BytesIO(files["build/py.zip"])).namelist() == ["handler.py"]
    assert zipfile.ZipFile(io.BytesIO(files["build/js.zip"])).namelist() == ["index.mjs"]
    assert files["src/py/handler.py"] == zipfile.ZipFile(io.BytesIO(files["build/py.zip"])).read("handler.py")
