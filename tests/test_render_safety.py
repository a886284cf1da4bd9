"""Render attacked as an attacker or an unlucky user would: edited manifests, links, umasks, kills and races.

What render promises: it writes and removes only its own files inside --out, never through a link,
never Terraform's files; files are no more readable than the umask and their sources allow; two
renders into one directory take turns; a killed render leaves nothing that a later one does not clean.
"""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from generator.cli.main import main
from generator.output.files import MANIFEST
from tests.support import REPO

CONFIG = str(REPO / "config.yaml")


def _render(out: Path, config: str = CONFIG, *extra: str) -> int:
    return main(["render", "--config", config, "--out", str(out), *extra])


def _tree(directory: Path) -> dict[str, bytes]:
    return {p.relative_to(directory).as_posix(): p.read_bytes() for p in directory.rglob("*") if p.is_file()}


@pytest.fixture
def rendered(tmp_path: Path) -> Path:
    out = tmp_path / "out"
    assert _render(out) == 0
    return out


# --- the manifest is not a delete list ---------------------------------------------------------


@pytest.mark.parametrize(
    "entry", ["terraform.tfstate", "terraform.tfstate.backup", ".terraform.lock.hcl", ".terraform/providers/p",
              "override.tf", "notes.md", "src", "build/keep.txt"],
)  # fmt: skip
def test_a_manifest_entry_cannot_delete_what_render_never_writes(
    rendered: Path, entry: str, capsys: pytest.CaptureFixture[str]
) -> None:
    victim = rendered / entry
    if not victim.exists():
        victim.parent.mkdir(parents=True, exist_ok=True)
        victim.write_text("precious\n")
    before = victim.read_bytes() if victim.is_file() else None
    manifest = json.loads((rendered / MANIFEST).read_text())
    manifest["files"].append(entry)
    (rendered / MANIFEST).write_text(json.dumps(manifest))
    assert _render(rendered) == 0
    assert victim.exists() and (before is None or victim.read_bytes() == before)
    assert f"kept {rendered / entry}" in capsys.readouterr().err
    assert entry not in json.loads((rendered / MANIFEST).read_text())["files"], "the manifest forgets it"


# --- links -------------------------------------------------------------------------------------


@pytest.mark.parametrize("linked", ["src", "build", "src/async_function"])
def test_a_linked_directory_stops_the_render_before_anything_is_written(
    rendered: Path, tmp_path: Path, linked: str, capsys: pytest.CaptureFixture[str]
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "handler.py").write_text("someone else's\n")
    (elsewhere / "async_function.zip").write_text("someone else's\n")
    target = rendered / linked
    for path in sorted(target.rglob("*"), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()
    target.rmdir()
    target.symlink_to(elsewhere, target_is_directory=True)
    (rendered / "main.tf").write_text("# edited, so a render would rewrite it\n")
    before_out, before_elsewhere = _tree(rendered), _tree(elsewhere)
    assert _render(rendered) == 2
    err = capsys.readouterr().err
    assert "is a symbolic link" in err and "Nothing was written" in err and err.count("\n") == 1
    assert _tree(elsewhere) == before_elsewhere, "nothing written or removed through the link"
    assert _tree(rendered) == before_out, "and nothing written before the refusal"


def test_stale_removal_never_follows_a_link(rendered: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The old function's folder is now a link elsewhere: its files are stale but must not be deleted there."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "handler.py").write_text("keep\n")
    folder = rendered / "src" / "async_function"
    (folder / "handler.py").unlink()
    folder.rmdir()
    folder.symlink_to(elsewhere, target_is_directory=True)
    renamed = tmp_path / "renamed.yaml"
    renamed.write_text((REPO / "config.yaml").read_text().replace("name: async_function", "name: renamed"))
    assert _render(rendered, str(renamed)) == 2
    assert (elsewhere / "handler.py").read_text() == "keep\n"


@pytest.mark.parametrize("kind", ["dangling", "to a file outside"])
def test_a_link_at_a_generated_path_is_refused(
    rendered: Path, tmp_path: Path, kind: str, capsys: pytest.CaptureFixture[str]
) -> None:
    outside = tmp_path / "secret.txt"
    if kind == "to a file outside":
        outside.write_text("secret\n")
    (rendered / "variables.tf").unlink()
    (rendered / "variables.tf").symlink_to(outside)
    assert _render(rendered) == 2
    assert "variables.tf is a symbolic link" in capsys.readouterr().err
    assert (rendered / "variables.tf").is_symlink()
    assert not outside.exists() or outside.read_text() == "secret\n"


def test_check_does_not_read_through_a_link(rendered: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("password=hunter2\n")
    (rendered / "README.md").unlink()
    (rendered / "README.md").symlink_to(secret)
    assert _render(rendered, CONFIG, "--check") == 1
    out = capsys.readouterr().out
    assert f"missing: {rendered / 'README.md'}" in out and "hunter2" not in out


# --- --out itself ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("out", "message"),
    [("a-file", "is a file, not a directory"), ("a-file/below", "cannot create --out"), ("/", "a system or home"),
     ("/usr", "a system or home"), ("~", "a system or home")],
)  # fmt: skip
def test_impossible_out_directories_are_one_line_errors(
    out: str, message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("a-file").write_text("not a directory\n")
    assert _render(Path(out).expanduser()) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err
    assert Path("a-file").read_text() == "not a directory\n"


# --- permissions -------------------------------------------------------------------------------


def test_files_follow_a_private_umask(tmp_path: Path) -> None:
    previous = os.umask(0o077)
    try:
        assert _render(tmp_path / "out") == 0
    finally:
        os.umask(previous)
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in (tmp_path / "out").rglob("*") if p.is_file()}
    assert set(modes.values()) == {0o600}, modes


def test_a_private_source_file_stays_private(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "main.py").write_text("def handle(event, context):\n    return event\n")
    (tmp_path / "app" / "settings.py").write_text("TOKEN = 'x'\n")
    (tmp_path / "app" / "settings.py").chmod(0o600)
    config = tmp_path / "c.yaml"
    config.write_text("functions:\n  - name: f\n    source: app\n    handler: main.handle\n")
    previous = os.umask(0o022)
    try:
        assert _render(tmp_path / "out", str(config)) == 0
    finally:
        os.umask(previous)
    mode = {p: stat.S_IMODE((tmp_path / "out" / p).stat().st_mode) for p in
            ("src/f/main.py", "src/f/settings.py", "build/f.zip", "main.tf")}  # fmt: skip
    assert mode == {"src/f/main.py": 0o644, "src/f/settings.py": 0o600, "build/f.zip": 0o600, "main.tf": 0o644}


def test_a_narrowed_file_is_not_widened_by_the_next_render(rendered: Path, tmp_path: Path) -> None:
    (rendered / "variables.tf").chmod(0o600)
    changed = tmp_path / "changed.yaml"
    changed.write_text((REPO / "config.yaml").read_text().replace("memory_mb: 128", "memory_mb: 256"))
    assert _render(rendered, str(changed)) == 0
    assert stat.S_IMODE((rendered / "variables.tf").stat().st_mode) == 0o600
    assert b"256" in (rendered / "variables.tf").read_bytes()


# --- kills and races ---------------------------------------------------------------------------


def _many_functions(path: Path, count: int, name: str) -> Path:
    functions = "".join(f"  - name: {name}_{i}\n" for i in range(count))
    path.write_text(f"failure_bucket: {{naming: bucket_prefix}}\nfunctions:\n{functions}")
    return path


def _cli(*argv: str) -> list[str]:
    return [sys.executable, "-m", "generator", *argv]


# A render that kills itself at its Nth file replace, just before or just after it: the kill lands at a point the
# test names, so every run tests something, on a fast machine or a slow one. It prints how many replaces it made.
_KILLED_AT = """
import atexit, os, signal, sys
from generator.cli.main import main
point, when, calls, real = int(sys.argv[1]), sys.argv[2], [0], os.replace
def replace(*args, **kwargs):
    calls[0] += 1
    if calls[0] == point and when == "before":
        os.kill(os.getpid(), signal.SIGKILL)
    real(*args, **kwargs)
    if calls[0] == point and when == "after":
        os.kill(os.getpid(), signal.SIGKILL)
os.replace = replace
atexit.register(lambda: print(f"replaces={calls[0]}", file=sys.stderr))
sys.exit(main(sys.argv[3:]))
"""


def _make_stale(out: Path) -> None:
    """Every rendered file out of date, so that the next render writes all of them again; left-overs stay."""
    for path in out.rglob("*"):
        if path.is_file() and not path.name.startswith(".generator") and not path.name.endswith(".generator-tmp"):
            path.write_bytes(b"stale\n")


def test_a_killed_render_leaves_nothing_the_next_render_does_not_clean(tmp_path: Path) -> None:
    """Killed with a temporary file written and not yet in place, and just after a file went in place, at the
    first, an early, the middle and the last of a render's writes: the next render cleans up and completes."""
    config = _many_functions(tmp_path / "big.yaml", 40, "f")
    out = tmp_path / "out"
    env = {**os.environ, "GENERATOR_NO_CACHE": "1"}
    render = ["render", "--config", str(config), "--out", str(out)]
    subprocess.run(_cli(*render), env=env, capture_output=True, check=True)
    _make_stale(out)
    counted = subprocess.run([sys.executable, "-c", _KILLED_AT, "0", "never", *render], env=env,
                             capture_output=True, text=True, check=True)  # fmt: skip
    total = int(counted.stderr.rsplit("replaces=", 1)[1])
    assert total > 40, "a render of 40 functions replaces each of its files"
    for point in sorted({1, 2, total // 2, total}):
        for when in ("before", "after"):
            _make_stale(out)
            killed = subprocess.run([sys.executable, "-c", _KILLED_AT, str(point), when, *render], env=env,
                                    capture_output=True, text=True, check=False)  # fmt: skip
            assert killed.returncode == -signal.SIGKILL, (point, when, killed.stderr[-2000:])
            left = [p for p in out.rglob("*") if p.name.endswith(".generator-tmp")]
            assert bool(left) is (when == "before"), (point, when, left)  # killed with a file not yet in place
    final = subprocess.run(_cli(*render), env=env, capture_output=True, text=True, check=False)
    assert final.returncode == 0, final.stderr
    assert not [p for p in out.rglob("*") if p.name.endswith((".generator-tmp", ".tmp"))]
    check = subprocess.run(_cli(*render, "--check"), env=env, capture_output=True, text=True, check=False)
    assert check.returncode == 0, check.stdout[-2000:]


def test_two_renders_into_one_directory_take_turns(tmp_path: Path) -> None:
    first = _many_functions(tmp_path / "first.yaml", 150, "a")
    second = _many_functions(tmp_path / "second.yaml", 150, "b")
    out = tmp_path / "out"
    env = {**os.environ, "GENERATOR_NO_CACHE": "1"}
    for round_number in range(6):
        processes = [
            subprocess.Popen(_cli("render", "--config", str(config), "--out", str(out)), env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            for config in (first, second)
        ]  # fmt: skip
        for process in processes:
            _, err = process.communicate()
            assert process.returncode == 0, err
        listed = set(json.loads((out / MANIFEST).read_text())["files"])
        on_disk = {p for p in _tree(out) if p != MANIFEST}
        assert listed == on_disk, f"round {round_number}: manifest and files disagree"
        winner = first if any(p.startswith("build/a_") for p in listed) else second
        assert main(["render", "--config", str(winner), "--out", str(out), "--check"]) == 0


# --- the template cache ------------------------------------------------------------------------


def test_a_template_cache_planted_by_another_user_is_never_loaded(tmp_path: Path) -> None:
    """Bytecode in a cache directory someone else owns would run as whoever renders: it must be ignored."""
    marker = tmp_path / "pwned"
    cache = tmp_path / "cache"
    plant = f"""
import jinja2, os
from jinja2.bccache import Bucket
from generator.render import project as render
directory = os.path.join({str(cache)!r}, "generator", f"jinja-{{jinja2.__version__}}")
os.makedirs(directory)
env = render._environment(True)
cache = jinja2.FileSystemBytecodeCache(directory)
for name in env.list_templates():
    source, filename, _ = env.loader.get_source(env, name)
    bucket = Bucket(env, cache.get_cache_key(name, filename), cache.get_source_checksum(source))
    bucket.code = compile("open({str(marker)!r}, 'w').write('ran')", filename or name, "exec")
    cache.dump_bytecode(bucket)
for root, dirs, files in os.walk({str(cache)!r}):
    for name in dirs + files:
        os.chown(os.path.join(root, name), 4242, 4242)
"""
    env = {**os.environ, "XDG_CACHE_HOME": str(cache), "GENERATOR_NO_CACHE": ""}
    subprocess.run([sys.executable, "-c", plant], env={**env, "GENERATOR_NO_CACHE": "1"}, check=True)
    result = subprocess.run(_cli("render", "--config", CONFIG, "--out", str(tmp_path / "out")), env=env,
                            capture_output=True, text=True, check=False)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert not marker.exists(), "planted bytecode ran"
    assert (tmp_path / "out" / "main.tf").read_bytes() == (REPO / "out" / "main.tf").read_bytes()


def test_the_users_own_template_cache_is_used(tmp_path: Path) -> None:
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache"), "GENERATOR_NO_CACHE": ""}
    subprocess.run(_cli("render", "--config", CONFIG, "--out", str(tmp_path / "out")), env=env, check=True,
                   capture_output=True)  # fmt: skip
    directory = next((tmp_path / "cache" / "generator").iterdir())
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    assert list(directory.glob("__jinja2_*.cache")), "compiled templates were cached"


def test_every_template_is_a_listed_output_file_or_a_partial() -> None:
    """A template render writes but the table lacks would make a file no later render could remove as stale."""
    from generator.render.project import (
        DECLARED_MODULE_FILES,
        MODULE_FILES,
        OUTPUT_FILES,
        PARTIAL_TEMPLATES,
        is_generated_path,
        templates_dir,
    )

    root = templates_dir()
    on_disk = {p.relative_to(root).as_posix() for p in root.rglob("*.j2")}
    declared = {f"terraform/{m}.j2" for m in DECLARED_MODULE_FILES}
    assert on_disk == {f.template for f in OUTPUT_FILES} | declared | set(PARTIAL_TEMPLATES)
    shipped = {p.relative_to(root / "terraform").as_posix() for p in (root / "terraform/modules").rglob("*.tf")}
    assert shipped == set(MODULE_FILES), "the module's plain files are exactly the ones render copies"
    assert all(is_generated_path(f.path) for f in OUTPUT_FILES) and all(map(is_generated_path, MODULE_FILES))
