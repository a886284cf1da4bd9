"""Input that once crashed, hung or leaked: files that are not configs, link loops, deep manifests, full disks,
addresses that are markup, and ARNs of other partitions. Each gets one line and the right exit, and nothing else."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from generator.cli.main import main
from generator.config.model import load_config, parse_config, partition_of
from generator.errors import MAX_PROBLEMS_SHOWN
from generator.ops.commands import _is_bucket_arn
from generator.record import replace
from generator.render.project import markdown_code, markdown_text, render
from tests.support import REPO

SECRET = "root:$y$j9T$Q0mEsecrethashsecrethashsecrethash:19000:0:99999:7:::"


def _lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if line]


def test_a_file_that_is_no_config_is_one_line_that_quotes_none_of_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shadow = tmp_path / "shadow"
    shadow.write_text(SECRET + "\n" + "".join(f"user{i}:*:19000:0:99999:7:::\n" for i in range(30)))
    assert main(["render", "--config", str(shadow), "--out", str(tmp_path / "out")]) == 2
    (line,) = _lines(capsys.readouterr().err)
    assert "none of its 31 top-level keys is a config key" in line and "is it the config file?" in line
    assert "secrethash" not in line and "user1" not in line
    assert not (tmp_path / "out").exists()


def test_many_problems_are_capped_and_each_is_cut_short(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A foreign file layered over a real config: every key is a problem, but the output stays bounded."""
    layer = tmp_path / "layer.yaml"
    layer.write_text("".join(f"{SECRET}{i}:\n" for i in range(30)))
    assert main(["render", "--config", str(REPO / "config.yaml"), "--config", str(layer), "--out", "out"]) == 2
    lines = _lines(capsys.readouterr().err)
    assert len(lines) == MAX_PROBLEMS_SHOWN + 1 and lines[-1].startswith("error: … and 10 more problem(s)")
    assert all("secrethashsecrethashsecrethash" not in line and len(line) < 400 for line in lines)


def test_a_symlink_loop_in_a_source_is_left_out(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "src"
    source.mkdir()
    (source / "app.py").write_text("def handler(event, context):\n    return event\n")
    (source / "a").symlink_to("b")
    (source / "b").symlink_to("a")
    (source / "gone").symlink_to("missing.py")
    (source / "self").symlink_to(".")
    config = tmp_path / "config.yaml"
    config.write_text("functions:\n  - name: f\n    source: src\n    handler: app.handler\n")
    assert main(["render", "--config", str(config), "--out", str(tmp_path / "out")]) == 0
    err = capsys.readouterr().err
    assert "Traceback" not in err
    for name in ("a", "b", "gone"):
        assert f"{name} (a link that leads nowhere: a loop, or a missing target)" in err


def test_a_manifest_nested_too_deep_to_parse_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert main(["render", "--out", str(out)]) == 0
    manifest = out / ".generator-manifest.json"
    manifest.write_text("[" * 100_000 + "]" * 100_000)
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    capsys.readouterr()
    assert main(["render", "--out", str(out)]) == 2
    (line,) = _lines(capsys.readouterr().err)
    assert "is not a generator manifest" in line
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before, "nothing was written"


@pytest.mark.parametrize(
    "argv", [["schema"], ["--help"], ["--version"], ["failures", "--help"], ["render", "--help"], ["init", "--help"]]
)
def test_a_full_standard_output_is_one_line_and_exit_1(argv: list[str]) -> None:
    with open("/dev/full", "w") as full:
        result = subprocess.run([sys.executable, "-m", "generator", *argv], stdout=full, stderr=subprocess.PIPE,
                                text=True, check=False, cwd=REPO)  # fmt: skip
    assert result.returncode == 1
    assert _lines(result.stderr) == ["error: cannot write to standard output: No space left on device"]


def test_markdown_text_leaves_no_markup_and_code_no_way_out() -> None:
    hostile = "<img/src=x/onerror=alert(1)>[link](https://evil.example) *b* _i_ `c` a|b ~~s~~ &amp; \x1b[31m\nx"
    escaped = markdown_text(hostile)
    for char in "<>[]*`|~&":
        assert escaped.count(char) == escaped.count("\\" + char), char
    assert "\x1b" not in escaped and "\n" not in escaped
    assert markdown_text("snake_case_name") == "snake_case_name", "an underscore inside a word is text"
    assert markdown_code("a ``b`` c") == "```a ``b`` c```"
    assert markdown_code("`x`") == "`` `x` ``"


def test_a_hostile_address_that_slipped_past_validation_shows_as_text(tmp_path: Path) -> None:
    config = parse_config("monitoring:\n  email: [oncall@example.com]\n", tmp_path / "c.yaml")
    hostile = "<img/src=x/onerror=alert(1)>[x](y)@example.com"
    config = replace(config, monitoring=replace(config.monitoring, email=(hostile,)))
    readme = render(config)["README.md"].decode()
    assert hostile not in readme and markdown_text(hostile) in readme


@pytest.mark.parametrize(
    ("region", "partition"),
    [("us-east-1", "aws"), ("cn-north-1", "aws-cn"), ("us-gov-west-1", "aws-us-gov"), ("eu-west-3", "aws")],
)
def test_arns_follow_the_regions_partition(region: str, partition: str, tmp_path: Path) -> None:
    assert partition_of(region) == partition
    assert _is_bucket_arn(f"arn:{partition}:s3:::records", "records")
    assert not _is_bucket_arn(f"arn:{partition}:s3:::records-other", "records")
    assert not _is_bucket_arn(f"arn:{partition}:sqs:{region}:123456789012:records", "records")
    config = tmp_path / "config.yaml"
    config.write_text(f"region: {region}\n")
    files = render(load_config(config))
    for name, content in files.items():
        if name.endswith(".tf") and not name.startswith("tests/"):
            assert '"arn:aws:' not in content.decode(), f"{name} writes a partition into an ARN"
    topic = f"arn:{partition}:sns:{region}:123456789012:alerts"
    assert parse_config(f"region: {region}\nmonitoring:\n  topic_arn: {topic}\n", config).monitoring.topic_arn == topic


def test_a_long_message_is_cut_in_the_middle_so_the_fix_still_shows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A source behind a deep path: the message quotes two long paths, and the hint that ends it must survive."""
    deep = tmp_path.joinpath(*["d" * 60] * 6)
    deep.mkdir(parents=True)
    (deep / "main.py").write_text("def handle(event, context):\n    pass\n")
    project = tmp_path / "p"
    project.mkdir()
    config = project / "c.yaml"
    config.write_text(f"functions:\n  - name: f\n    source: {deep}\n    handler: main.handle\n")
    assert main(["render", "--config", str(config), "--out", str(project / "out")]) == 2
    (line,) = _lines(capsys.readouterr().err)
    assert len(line) < len(str(deep)) and "…" in line
    assert "functions[0].source: source leads outside the config file's directory: " in line
    assert line.endswith("set allow_source_outside_config: true for this function if that is meant")
