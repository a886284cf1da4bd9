"""--config base.yaml --config prod.yaml: later files merge over earlier ones; errors name the right file."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.cli.main import main
from generator.config.model import load_config
from generator.errors import ConfigError

BASE = """\
project: orders
tags:
  Team: payments
  Stage: dev
failure_bucket:
  naming: bucket_prefix
  expire_after_days: 30
functions:
  - name: ingest
    memory_mb: 256
    source: code
    handler: app.handler
"""

PROD = """\
tags:
  Stage: prod
failure_bucket:
  force_destroy: false
functions:
  - name: ingest
    memory_mb: 1024
    reserved_concurrency: null
    source: prod-code
    handler: app.handler
"""


@pytest.fixture
def layers(tmp_path: Path) -> tuple[Path, Path]:
    (tmp_path / "base").mkdir()
    (tmp_path / "env").mkdir()
    for directory in (tmp_path / "base" / "code", tmp_path / "env" / "prod-code"):
        directory.mkdir()
        (directory / "app.py").write_text("def handler(event, context):\n    return event\n")
    base, prod = tmp_path / "base" / "base.yaml", tmp_path / "env" / "prod.yaml"
    base.write_text(BASE)
    prod.write_text(PROD)
    return base, prod


def test_maps_merge_deeply_and_lists_replace(layers: tuple[Path, Path]) -> None:
    base, prod = layers
    config = load_config(base, prod)
    assert config.project == "orders"
    assert config.tags == {"Team": "payments", "Stage": "prod"}, "maps merge key by key"
    assert config.failure_bucket.naming == "bucket_prefix" and config.failure_bucket.expire_after_days == 30
    (function,) = config.functions
    assert function.memory_mb == 1024 and function.reserved_concurrency is None, "the list came from prod.yaml"


def test_a_relative_source_is_relative_to_the_file_that_set_it(layers: tuple[Path, Path]) -> None:
    base, prod = layers
    assert load_config(base).functions[0].source == (base.parent / "code").resolve()
    assert load_config(base, prod).functions[0].source == (prod.parent / "prod-code").resolve()


def test_an_error_names_the_file_and_line_the_value_came_from(
    layers: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base, prod = layers
    base.write_text(BASE.replace("naming: bucket_prefix", "naming: fixd"))
    assert main(["render", "--config", str(base), "--config", str(prod), "--out", str(tmp_path / "out")]) == 2
    assert capsys.readouterr().err.startswith(f"error: {base}:6: failure_bucket.naming: must be one of")
    base.write_text(BASE)
    prod.write_text(PROD.replace("memory_mb: 1024", "memory_mb: 99999"))
    assert main(["render", "--config", str(base), "--config", str(prod), "--out", str(tmp_path / "out")]) == 2
    assert capsys.readouterr().err.startswith(f"error: {prod}:7: functions[0].memory_mb: must be at most 10240")
    assert not (tmp_path / "out").exists()


def test_a_later_layer_that_is_not_a_mapping_is_refused(layers: tuple[Path, Path]) -> None:
    base, prod = layers
    prod.write_text("- just\n- a list\n")
    with pytest.raises(ConfigError, match=f"{prod}:1: must be a mapping"):
        load_config(base, prod)


def test_an_empty_layer_changes_nothing(layers: tuple[Path, Path]) -> None:
    base, prod = layers
    prod.write_text("# nothing to override yet\n")
    assert load_config(base, prod) == load_config(base)


def test_check_names_all_layers(layers: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base, prod = layers
    out = str(tmp_path / "out")
    assert main(["render", "--config", str(base), "--config", str(prod), "--out", out]) == 0
    assert main(["render", "--config", str(base), "--config", str(prod), "--out", out, "--check"]) == 0
    assert f"up to date with {base} + {prod}" in capsys.readouterr().out
