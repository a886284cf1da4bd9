"""The API under the CLI: what a render into a directory takes from the manifest there, and what it records."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from generator import __version__, api
from generator.config.model import load_config, parse_config
from generator.output.files import MANIFEST
from tests.support import REPO, parse_tree

FLAT = REPO / "tests" / "upgrade" / "flat_layout"


def _flat_moves(out: Path) -> int:
    moved = parse_tree({"moved.tf": (out / "moved.tf").read_bytes()}).get("moved", [])
    return sum(1 for m in moved if not m["from"].startswith("${module."))


def _manifest(out: Path) -> dict[str, object]:
    return dict(json.loads((out / MANIFEST).read_text()))


def test_a_fresh_project_plans_without_the_flat_layouts_moves(tmp_path: Path) -> None:
    config = load_config(FLAT / "config.yaml")
    api.render_into(config, tmp_path / "out")
    assert _flat_moves(tmp_path / "out") == 0
    assert api.CARRIES_FLAT_LAYOUT not in _manifest(tmp_path / "out")


def test_a_project_rendered_before_0_2_keeps_its_moves_through_every_later_render(tmp_path: Path) -> None:
    """The 0.1 manifest lists iam.tf; the first render removes it, so the manifest must remember from then on."""
    out = tmp_path / "out"
    shutil.copytree(FLAT / "rendered", out)
    config = load_config(FLAT / "config.yaml")
    assert api.check(config, out), "the 0.1 tree is out of date"
    result = api.render_into(config, out)
    assert "iam.tf" in result.report.removed
    functions = len(config.functions)
    assert _flat_moves(out) == 5 * functions
    assert _manifest(out)[api.CARRIES_FLAT_LAYOUT] is True
    again = api.render_into(config, out)  # rendered twice before anyone applied
    assert again.report.written == [] and _flat_moves(out) == 5 * functions
    assert api.check(config, out) == [], "check renders the moves too"


def test_the_manifest_records_the_generator_and_the_merged_config(tmp_path: Path) -> None:
    base = "project: demo\nfunctions:\n  - name: a\n  - name: b\n"
    reordered = "# the same config\nfunctions:\n  - name: a\n  - name: b\nproject: demo\n"
    digests = []
    for index, text in enumerate((base, reordered, base.replace("demo", "other"))):
        out = tmp_path / f"out{index}"
        api.render_into(parse_config(text, tmp_path / "config.yaml"), out)
        manifest = _manifest(out)
        assert manifest["generator"] == __version__
        digests.append(manifest["config_sha256"])
    assert digests[0] == digests[1] != digests[2], "comments and key order aside, the digest is the config's"
    assert all(isinstance(d, str) and len(d) == 64 for d in digests)
