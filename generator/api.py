"""The Python API under the CLI: render a config into a directory, or check a directory against it.

The CLI calls these, and so do the tests and the benchmarks, the way copier's ``Worker`` serves its CLI.
What depends on the directory rendered into is decided here: a project first rendered before 0.2 keeps the
moves that carry its flat layout into the module, and the manifest records who rendered it from what.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from generator import __version__
from generator.config.model import Config
from generator.output.files import Difference, Manifest, WriteReport, compare_tree, read_manifest_record, write_tree
from generator.record import Record, as_dict
from generator.render.project import (
    FLAT_LAYOUT_FILE,
    NO_OPTIONS,
    BuildOptions,
    Rendered,
    is_generated_path,
    render_project,
)

# The manifest key that keeps the flat layout's moves once a render has seen it: a render killed, or rendered
# twice before anyone applies, must not lose them.
CARRIES_FLAT_LAYOUT = "carries_flat_layout"


class RenderResult(Record):
    """A render into a directory: what was rendered, and what changed on disk."""

    rendered: Rendered
    report: WriteReport


def render_into(config: Config, out: Path, builds: BuildOptions = NO_OPTIONS) -> RenderResult:
    """Render ``config`` into ``out``: write what changed, remove what the manifest lists and the render lacks."""
    rendered, carries = _render_for(config, out, builds)
    report = write_tree(rendered.files, out, removable=is_generated_path, modes=rendered.modes,
                        stamp=manifest_stamp(config, carries))  # fmt: skip
    return RenderResult(rendered, report)


def check(config: Config, out: Path, builds: BuildOptions = NO_OPTIONS) -> list[Difference]:
    """What ``render_into`` would change in ``out``; writes nothing to it (a build may fill the build cache)."""
    rendered, _ = _render_for(config, out, builds)
    return compare_tree(rendered.files, out, removable=is_generated_path)


def _render_for(config: Config, out: Path, builds: BuildOptions) -> tuple[Rendered, bool]:
    """The project as it must be in ``out``, given what the manifest there says; and whether it carries moves."""
    carries = carries_flat_layout(read_manifest_record(out))
    return render_project(config, never_package=[out], carries_flat_layout=carries, builds=builds), carries


def carries_flat_layout(manifest: Manifest | None) -> bool:
    """Whether the project was first rendered before 0.2: its manifest lists the flat layout's file, or says so."""
    if manifest is None:
        return False
    return FLAT_LAYOUT_FILE in manifest.files or manifest.stamp.get(CARRIES_FLAT_LAYOUT) is True


def manifest_stamp(config: Config, carries: bool) -> dict[str, Any]:
    """What the manifest records beside its files: the generator's version and a digest of the merged config."""
    stamp: dict[str, Any] = {"generator": __version__, "config_sha256": config_digest(config)}
    if carries:
        stamp[CARRIES_FLAT_LAYOUT] = True
    return stamp


def config_digest(config: Config) -> str:
    """SHA-256 of the merged config as written (key order aside), or of the validated one when none was read."""
    data = config.origins.data if config.origins is not None else as_dict(config)
    text = json.dumps(data, sort_keys=True, default=str, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()
