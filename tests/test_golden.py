"""Every golden config renders to exactly its committed tree, byte for byte.

The expected trees change only through ``pytest --update-golden -n 0``; read the diff before committing.
The default tree (out/) is complete. A variant's tree holds only the files that differ from it, so
that a template edit changes each file once, not once per config; its manifest still lists every
file the variant renders, and the test takes the others from out/.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from generator import api
from generator.render.project import MODULE_FILES
from tests.support import REPO, GoldenCase, golden_cases, read_manifest, write_tree

DEFAULT_TREE = REPO / "out"


def _tree_on_disk(case: GoldenCase) -> dict[str, bytes]:
    """The files the golden tree's manifest lists (out/ may also hold a developer's .terraform/ and state)."""
    files = {}
    for path in sorted(read_manifest(case.expected)):
        own = case.expected / path
        files[path] = own.read_bytes() if own.is_file() else (DEFAULT_TREE / path).read_bytes()
    return files


def _keep_only_what_differs_from_the_default(tree: Path, rendered: dict[str, bytes]) -> None:
    for path, content in rendered.items():
        shared = DEFAULT_TREE / path
        if shared.is_file() and shared.read_bytes() == content:
            (tree / path).unlink()
    for directory in sorted((p for p in tree.rglob("*") if p.is_dir()), reverse=True):
        if not any(directory.iterdir()):
            directory.rmdir()


def test_the_shipped_function_module_is_what_the_declarations_write(request: pytest.FixtureRequest) -> None:
    """Render copies the module's plain files; those the declarations write must match a fresh rendering.

    It runs before the golden trees, so that ``--update-golden`` refreshes the module first and the
    trees below then copy the refreshed files.
    """
    from generator.render.project import declared_module_files, function_module, templates_dir

    fresh = declared_module_files()
    shipped = templates_dir() / "terraform"
    if request.config.getoption("--update-golden"):
        for path, content in fresh.items():
            (shipped / path).write_bytes(content)
        function_module.cache_clear()
    for path, content in fresh.items():
        assert (shipped / path).read_bytes() == content, f"templates/terraform/{path} is stale: run --update-golden"


@pytest.mark.parametrize("case", golden_cases(), ids=repr)
def test_render_matches_golden_tree(case: GoldenCase, request: pytest.FixtureRequest) -> None:
    rendered = case.render()
    if request.config.getoption("--update-golden"):
        if case.name == "default":  # out/ is what the CLI writes, its manifest's stamp included
            assert api.render_into(case.config(), case.expected).rendered.files == rendered
        else:  # the default case runs first, so out/ is already current
            shutil.rmtree(case.expected, ignore_errors=True)
            write_tree(rendered, case.expected)
            _keep_only_what_differs_from_the_default(case.expected, rendered)
    expected = _tree_on_disk(case)
    assert sorted(rendered) == sorted(expected), "the set of rendered files differs from the golden tree"
    for path, content in rendered.items():
        assert content == expected[path], f"{case.name}: {path} differs from the golden file"


@pytest.mark.parametrize("case", golden_cases(), ids=repr)
def test_render_is_deterministic_across_processes(case: GoldenCase, tmp_path: Path) -> None:
    """Two renders in separate processes, with different hash seeds (set and dict order) and no template cache."""
    trees = []
    for seed in ("1", "2"):
        out = tmp_path / f"seed-{seed}"
        env = {**os.environ, "PYTHONHASHSEED": seed, "GENERATOR_NO_CACHE": "1"}
        command = [sys.executable, "-m", "generator", "render", "--config", str(case.config_path), "--out", str(out)]
        subprocess.run(command, env=env, check=True, capture_output=True)
        trees.append({p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()})
    assert trees[0] == trees[1]


def test_the_function_module_is_the_same_for_every_config() -> None:
    """Every decision a config makes is in the root module's call, so the module's files never vary.

    A change to the module then shows once, in out/, and no variant's golden tree holds a copy of it.
    """
    cases = golden_cases()
    modules = {case.name: {p: c for p, c in case.render().items() if p.startswith("modules/")} for case in cases}
    default = modules["default"]
    assert sorted(default) == sorted(MODULE_FILES)
    for name, files in modules.items():
        assert files == default, f"{name} renders a different function module"
    assert [case.name for case in cases if (case.expected / "modules").exists()] == ["default"]
