"""The command line as users meet it: help at every level, the installed package, the console script."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from generator.cli.main import main
from generator.config.model import load_config
from generator.render.project import render
from tests.support import REPO, read_manifest


@pytest.mark.parametrize("argv", [["--help"], ["render", "--help"]])
def test_help_shows_an_example(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "examples:" in out and "python -m generator render" in out


def test_no_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([])
    assert exit_info.value.code == 2


def test_render_reports_what_it_did(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert main(["render", "--config", str(REPO / "config.yaml"), "--out", str(out)]) == 0
    count = len(render(load_config(REPO / "config.yaml")))
    assert read_manifest(out) == set(render(load_config(REPO / "config.yaml")))
    assert f"Rendered {count} files into {out}: {count} written, 0 unchanged, 0 removed" in capsys.readouterr().out
    assert main(["render", "--config", str(REPO / "config.yaml"), "--out", str(out)]) == 0
    assert f"0 written, {count} unchanged" in capsys.readouterr().out


def test_render_is_free_of_heavy_imports() -> None:
    code = (
        "import sys; from generator.cli.main import main; "
        f"main(['render', '--config', {str(REPO / 'config.yaml')!r}, '--out', {str(REPO / 'out')!r}, '--check']); "
        "print(sorted(m for m in ('boto3', 'botocore', 'difflib', 'hcl2', 'generator.cli.failures', 'generator.ops') "
        "if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip().endswith("[]"), result.stdout


def test_the_command_list_is_the_same_whether_or_not_failures_is_built() -> None:
    """A render's parser names the failures command without building it; `generator --help` cannot tell."""
    from generator.cli.main import build_parser

    assert build_parser(with_failures=False).format_help() == build_parser().format_help()


def test_non_editable_install_works_from_any_directory(tmp_path: Path) -> None:
    """`pip install .` ships the templates inside the package; nothing is read from the checkout."""
    site = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(site), str(REPO)],
        check=True,
        capture_output=True,
    )
    assert (site / "generator" / "templates" / "terraform" / "main.tf.j2").is_file()
    work = tmp_path / "elsewhere"
    work.mkdir()
    (work / "config.yaml").write_text((REPO / "config.yaml").read_text())
    env = {**os.environ, "PYTHONPATH": str(site)}
    result = subprocess.run(
        [sys.executable, "-m", "generator", "render"], cwd=work, env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    probe = subprocess.run(
        [sys.executable, "-c", "import generator; print(generator.__file__)"],
        cwd=work, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert probe.stdout.startswith(str(site)), "ran the installed copy, not the checkout"
    for path in (REPO / "out").rglob("*"):
        if path.is_file() and ".terraform" not in path.parts and "tfstate" not in path.name:
            assert (work / "out" / path.relative_to(REPO / "out")).read_bytes() == path.read_bytes(), path


def test_render_warns_where_a_destination_takes_smaller_records_than_lambda_accepts_events(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(
        "project: sizes\n"
        "functions:\n"
        "  - name: to_topic\n"
        "    on_failure: {type: sns}\n"
        "    on_success: {type: eventbridge}\n"
        "  - name: to_bucket\n"
    )
    assert main(["render", "--config", str(config), "--out", str(tmp_path / "out")]) == 0
    warnings = [line for line in capsys.readouterr().err.splitlines() if line.startswith("warning:")]
    assert warnings == [
        f"warning: {config}:4: functions[0].on_failure.type: the SNS topic takes records of at most 256 KiB "
        "(https://docs.aws.amazon.com/sns/latest/dg/large-message-payloads.html); Lambda accepts events of up to "
        "1 MiB, so the record of an event near or over 256 KiB is not delivered, only counted in "
        "DestinationDeliveryFailures",
        f"warning: {config}:5: functions[0].on_success.type: the EventBridge bus takes records of at most 256 KiB "
        "(https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevent-size.html); Lambda accepts events "
        "of up to 1 MiB, so the record of an event near or over 256 KiB is not delivered, only counted in "
        "DestinationDeliveryFailures",
    ], "the S3 bucket of to_bucket takes records of any size: no warning"
