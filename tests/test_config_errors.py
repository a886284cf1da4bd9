"""Bad input: exit code 2, one message naming the key path and line, no traceback, nothing written."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from generator.cli.main import main
from generator.config import _yaml
from generator.config.model import DESTINATION_TYPES, load_config
from tests.bad_configs import BASE, CASES
from tests.support import REPO


@pytest.mark.parametrize(("text", "expected"), [(t, e) for _, t, e in CASES], ids=[c[0] for c in CASES])
def test_bad_config_is_refused_clearly(
    text: str, expected: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "bad.yaml"
    config.write_text(text)
    out = tmp_path / "out"
    code = main(["render", "--config", str(config), "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    message = captured.err
    assert message.startswith("error: ") and message.count("\n") == 1, f"one line, got {message!r}"
    for part in expected:
        assert part in message, f"{part!r} not in {message!r}"
    assert "Traceback" not in message
    assert not re.search(r"\^\[|\[A-Za-z|\{1,|\\s|NoneType|<class", message), f"no regex or Python words: {message}"
    assert not out.exists(), "nothing may be written for a bad config"


def test_bad_config_leaves_an_existing_output_untouched(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert main(["render", "--config", str(REPO / "config.yaml"), "--out", str(out)]) == 0
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    bad = tmp_path / "bad.yaml"
    bad.write_text(BASE.replace("runtime: python3.13", "runtime: nodejs22.x").replace("memory_mb: 128", "memory_mb: 1"))
    assert main(["render", "--config", str(bad), "--out", str(out)]) == 2
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


def test_missing_config_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["render", "--config", str(tmp_path / "nope.yaml"), "--out", str(tmp_path / "out")]) == 2
    assert "config file not found" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ("/dev/zero", "is not a regular file"),
        ("fifo", "is not a regular file"),  # nothing ever writes to it: reading it would wait forever
        ("big.yaml", "larger than 1024 KB"),
        (".", "is a directory"),
        ("latin1.yaml", "is not UTF-8 text"),
    ],
)
@pytest.mark.parametrize("position", ["first", "later"])
def test_files_that_are_not_configs(
    config: str, expected: str, position: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.chdir(tmp_path)
    Path("latin1.yaml").write_bytes("project: caf\xe9\n".encode("latin-1"))
    Path("big.yaml").write_bytes(b"# " + b"x" * (1 << 20) + b"\n")
    os.mkfifo("fifo")
    configs = [config] if position == "first" else [str(REPO / "config.yaml"), config]
    assert main(["render", *(arg for c in configs for arg in ("--config", c)), "--out", "out"]) == 2
    err = capsys.readouterr().err
    assert expected in err and err.count("\n") == 1
    assert not Path("out").exists()


def test_a_billion_laughs_is_refused_after_a_bounded_expansion(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ten lines that expand to 9**10 values: the builder stops once aliases have given it MAX_ALIAS_NODES values.

    The bound is counted in values built, not in seconds, so a loaded machine cannot fail it; the render time of
    real configs is measured in benchmarks/bench_render.py.
    """
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text("\n".join(lines) + "\ntags: *a9\n")
    assert bomb.stat().st_size < 1024
    built = [0]
    real_build = _yaml._Builder.build
    document_nodes = 10 * 10 + 2  # each line's key, sequence and items, and the tags key and alias
    bound = _yaml.MAX_ALIAS_NODES + document_nodes

    def counted(self: Any, node: Any, path: Any) -> Any:
        built[0] += 1
        assert built[0] <= bound, "the expansion went past its budget"  # fails at once, not after 9**10 values
        return real_build(self, node, path)

    monkeypatch.setattr(_yaml._Builder, "build", counted)
    assert main(["render", "--config", str(bomb), "--out", str(tmp_path / "out")]) == 2
    assert _yaml.MAX_ALIAS_NODES < built[0] <= bound, built[0]
    assert f"aliases expand to more than {_yaml.MAX_ALIAS_NODES} values" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_merge_keys_share_function_settings(tmp_path: Path) -> None:
    config = tmp_path / "merge.yaml"
    config.write_text(
        "functions:\n  - &base\n    name: a\n    memory_mb: 256\n    timeout_seconds: 30\n"
        "  - <<: *base\n    name: b\n    timeout_seconds: 60\n"
    )
    functions = load_config(config).functions
    assert [(f.name, f.memory_mb, f.timeout_seconds) for f in functions] == [("a", 256, 30), ("b", 256, 60)]


def test_a_key_repeated_beside_a_merge_is_still_a_duplicate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "merge.yaml"
    config.write_text("functions:\n  - &base\n    name: a\n  - <<: *base\n    name: b\n    name: c\n")
    assert main(["render", "--config", str(config), "--out", str(tmp_path / "out")]) == 2
    assert "merge.yaml:6: functions[1]: duplicate key 'name'" in capsys.readouterr().err


def test_empty_config_renders_the_defaults(tmp_path: Path) -> None:
    empty = tmp_path / "empty.yaml"
    empty.write_text("# nothing set\n")
    out = tmp_path / "out"
    assert main(["render", "--config", str(empty), "--out", str(out)]) == 0
    assert (out / "main.tf").read_bytes() == (REPO / "out" / "main.tf").read_bytes()


def test_real_process_prints_no_traceback(tmp_path: Path) -> None:
    config = tmp_path / "bad.yaml"
    config.write_text("functions:\n  - memory_mb: 1\n")
    result = subprocess.run(
        [sys.executable, "-m", "generator", "render", "--config", str(config), "--out", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr == f"error: {config}:2: functions[0].memory_mb: must be at least 128, got 1\n"
    assert not (tmp_path / "out").exists()


def test_usage_error_exits_2(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "generator", "render", "--no-such-flag"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 2
    assert "unrecognized arguments: --no-such-flag" in result.stderr


def test_every_problem_is_reported_in_one_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "bad.yaml"
    config.write_text("project: Bad_Name\nregion: mars\nfunctions:\n  - memory_mb: 1\n    timout: 3\n  - runtime: py\n")
    assert main(["render", "--config", str(config), "--out", str(tmp_path / "out")]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert [line.split(": ")[2] for line in lines] == [
        "project", "region", "functions[0].memory_mb", "functions[0].timout", "functions[1].runtime",
        "functions[1].name",  # both functions left their name at the default
    ]  # fmt: skip
    assert all(line.startswith(f"error: {config}:") for line in lines)


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("project: x\n\tregion: y\n", 2, "a tab in the indentation; YAML indents with spaces only"),
        ("functions:\n\t- name: a\n", 2, "a tab in the indentation; YAML indents with spaces only"),
        ("project: 'abc\nregion: us-east-1\ntags: {}\n", 1, "a quoted string that starts here is never closed"),
    ],
)
def test_yaml_mistakes_are_named_where_they_are(
    text: str, line: int, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "bad.yaml"
    config.write_text(text)
    assert main(["render", "--config", str(config), "--out", str(tmp_path / "out")]) == 2
    assert capsys.readouterr().err == f"error: {config}:{line}: invalid YAML: {message}\n"


def test_an_empty_config_says_it_renders_the_defaults(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "empty.yaml"
    empty.write_text("# nothing yet\n")
    assert main(["render", "--config", str(empty), "--out", str(tmp_path / "out")]) == 0
    assert f"note: {empty} sets nothing; rendering every default" in capsys.readouterr().err


def test_a_sections_rules_report_every_problem_in_one_pass(tmp_path: Path) -> None:
    """Both keys an s3 backend needs are named at once; a rule on a key already at fault adds nothing more."""
    from generator.config.model import parse_config
    from generator.errors import ConfigProblemsError

    with pytest.raises(ConfigProblemsError) as caught:
        parse_config("terraform:\n  backend:\n    type: s3\n", tmp_path / "two.yaml")
    assert [(e.key, e.message) for e in caught.value.errors] == [
        ("terraform.backend.bucket", "is required when type is 's3'"),
        ("terraform.backend.key", "is required when type is 's3'"),
    ]
    with pytest.raises(ConfigProblemsError) as caught:
        parse_config("functions:\n  - on_failure: {function: a}\n", tmp_path / "one.yaml")
    assert [e.message for e in caught.value.errors] == ["is required: one of " + ", ".join(DESTINATION_TYPES)]


def test_a_rule_naming_a_key_its_section_lacks_is_refused_when_declared() -> None:
    from generator.config.model import Section, config_key
    from generator.config.rules import OnlyWhen, When

    with pytest.raises(TypeError, match="a rule names colour, not a key of it"):

        class Odd(Section):
            size: int = config_key(default=1, doc="a size")
            RULES = (OnlyWhen(("size",), When("colour", ("red",))),)
