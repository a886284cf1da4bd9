"""Bad input: exit code 2, one message naming the key path and line, no traceback, nothing written."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from generator.cli import main
from generator.config import load_config
from tests.support import REPO

BASE = (REPO / "config.yaml").read_text()
MEMORY_LINE = BASE.splitlines().index("    memory_mb: 128") + 1

# (case id, config text, substrings the message must contain)
CASES: list[tuple[str, str, list[str]]] = [
    ("yaml syntax", "project: [unclosed\nregion: us-east-1\n", ["bad.yaml:", "invalid YAML"]),
    ("wrong type", BASE.replace("memory_mb: 128", 'memory_mb: "big"'),
     ["functions[0].memory_mb", "must be a whole number", f"bad.yaml:{MEMORY_LINE}:"]),
    ("bool is not a number", BASE.replace("memory_mb: 128", "memory_mb: true"), ["functions[0].memory_mb", "must be a whole number, got true"]),
    ("out of range", BASE.replace("memory_mb: 128", "memory_mb: 64"),
     ["functions[0].memory_mb", "at least 128, got 64", f"bad.yaml:{MEMORY_LINE}:"]),
    ("unknown key", BASE.replace("memory_mb: 128", "memroy_mb: 128"),
     ["functions[0].memroy_mb", "unknown key", "did you mean 'memory_mb'", f"bad.yaml:{MEMORY_LINE}:"]),
    ("unknown top-level key", "projekt: x\n", ["projekt", "did you mean 'project'", "bad.yaml:1:"]),
    ("missing source", "functions:\n  - name: f\n    source: no-such-dir\n    handler: app.handler\n",
     ["functions[0].source", "does not exist", "bad.yaml:3:"]),
    ("handler required with source", "functions:\n  - name: f\n    source: .\n", ["functions[0].handler", "must be set"]),
    ("fixed name breaks S3 rules", "failure_bucket:\n  naming: fixed\n  name: My_Bucket\n",
     ["failure_bucket.name", "lowercase letters", "bad.yaml:3:"]),
    ("fixed name looks like an IP", "failure_bucket:\n  naming: fixed\n  name: 192.168.1.1\n",
     ["failure_bucket.name", "IP address"]),
    ("fixed name too long", f"failure_bucket:\n  naming: fixed\n  name: {'a' * 64}\n", ["failure_bucket.name", "3 to 63"]),
    ("fixed name reserved prefix", "failure_bucket:\n  naming: fixed\n  name: xn--bucket\n", ["failure_bucket.name", "xn--"]),
    ("fixed without name", "failure_bucket:\n  naming: fixed\n", ["failure_bucket.name", "required when naming is 'fixed'"]),
    ("name without fixed", "failure_bucket:\n  name: my-bucket\n", ["failure_bucket.name", "only allowed"]),
    ("prefix too long for uuid", f"failure_bucket:\n  prefix: {'a' * 27}\n", ["failure_bucket.prefix", "at most 26"]),
    ("prefix too long for bucket_prefix", f"failure_bucket:\n  naming: bucket_prefix\n  prefix: {'a' * 37}\n",
     ["failure_bucket.prefix", "at most 36"]),
    ("duplicate function names", "functions:\n  - name: f\n  - name: g\n  - name: f\n",
     ["functions[2].name", "already the name of functions[0]", "bad.yaml:4:"]),
    ("duplicate yaml key", "project: a\nproject: b\n", ["duplicate key 'project'", "bad.yaml:2:"]),
    ("retention CloudWatch rejects", "functions:\n  - log_retention_days: 10\n", ["functions[0].log_retention_days", "one of"]),
    ("bad region", "region: mars-1\n", ["region", "must be an AWS region code such as us-east-1; got 'mars-1'"]),
    ("bad project", "project: Has_Upper\n", ["project", "must be 1 to 32 lowercase letters, digits and -"]),
    ("unknown runtime", "functions:\n  - runtime: python2.7\n", ["functions[0].runtime", "python3.13"]),
    ("event age too short", "functions:\n  - maximum_event_age_seconds: 30\n", ["maximum_event_age_seconds", "at least 60"]),
    ("too many retries", "functions:\n  - maximum_retry_attempts: 3\n", ["maximum_retry_attempts", "at most 2"]),
    ("negative concurrency", "functions:\n  - reserved_concurrency: -1\n", ["reserved_concurrency", "at least 0"]),
    ("reserved env var", "functions:\n  - environment: {AWS_REGION: x}\n", ["functions[0].environment", "reserved"]),
    ("env value not a string", "functions:\n  - environment: {RETRIES: 3}\n", ["functions[0].environment", "quote numbers"]),
    ("tag value not a string", "tags: {Team: 5}\n", ["tags", "tag 'Team' must be text, got 5; quote numbers and booleans"]),
    ("null tag value", "tags: {Team: }\n", ["tags", "got nothing (null)"]),
    ("env too large", "functions:\n  - environment: {BIG: " + "x" * 4100 + "}\n", ["environment", "4096"]),
    ("reserved tag prefix", "tags: {'aws:owner': me}\n", ["tags", "aws:"]),
    ("tag character AWS rejects", "tags: {Owner: 'a;b'}\n", ["tags", "';'"]),
    ("bad kms arn", "failure_bucket:\n  kms_key_arn: alias/mine\n", ["failure_bucket.kms_key_arn", "must be a KMS key ARN such as"]),
    ("empty function list", "functions: []\n", ["functions", "at least one function"]),
    ("function not a mapping", "functions:\n  - just-a-name\n", ["functions[0]", "must be a mapping"]),
    ("top level not a mapping", "- a\n- b\n", ["must be a mapping"]),
    ("null where a value is needed", "functions:\n  - memory_mb: null\n", ["functions[0].memory_mb", "null is not allowed"]),
    ("expiry of zero days", "failure_bucket:\n  expire_after_days: 0\n", ["failure_bucket.expire_after_days", "at least 1"]),
    ("s3 backend without bucket", "terraform:\n  backend:\n    type: s3\n    key: a/b.tfstate\n", ["terraform.backend.bucket", "required when type is 's3'", "bad.yaml:2:"]),
    ("backend bucket with local state", "terraform:\n  backend:\n    bucket: my-state\n", ["terraform.backend.bucket", "only used when type is 's3'", "bad.yaml:3:"]),
    ("state key with a leading slash", "terraform:\n  backend:\n    type: s3\n    bucket: my-state\n    key: /abs.tfstate\n", ["terraform.backend.key", "must be an S3 key of letters"]),
    ("unknown backend type", "terraform:\n  backend:\n    type: gcs\n", ["terraform.backend.type", "one of local, s3"]),
    ("S3 on success", "functions:\n  - on_success: {type: s3}\n", ["functions[0].on_success.type", "only as an on-failure destination"]),
    ("unknown destination type", "functions:\n  - on_failure: {type: kinesis}\n", ["functions[0].on_failure.type", "one of s3, sqs"]),
    ("destination without type", "functions:\n  - on_success: {arn: 'arn:aws:sqs:us-east-1:123456789012:q'}\n", ["functions[0].on_success.type", "is required"]),
    ("arn of the wrong service", "functions:\n  - on_failure: {type: sqs, arn: 'arn:aws:sns:us-east-1:123456789012:t'}\n", ["functions[0].on_failure.arn", "not the ARN of a standard sqs destination"]),
    ("FIFO queue destination", "functions:\n  - on_failure: {type: sqs, arn: 'arn:aws:sqs:us-east-1:123456789012:q.fifo'}\n", ["functions[0].on_failure.arn", "standard sqs"]),
    ("lambda destination unknown function", "functions:\n  - name: a\n    on_success: {type: lambda, function: nobody}\n", ["functions[0].on_success.function", "not a function of this config"]),
    ("function its own destination", "functions:\n  - name: a\n    on_failure: {type: lambda, function: a}\n", ["functions[0].on_failure.function", "its own destination"]),
    ("lambda destination with arn and function", "functions:\n  - name: a\n  - name: b\n    on_success: {type: lambda, function: a, arn: 'arn:aws:lambda:us-east-1:123456789012:function:x'}\n", ["functions[1].on_success", "exactly one of arn and function"]),
    ("queue settings on a topic", "functions:\n  - on_failure: {type: sns, retention_seconds: 600}\n", ["functions[0].on_failure.retention_seconds", "only used for a queue"]),
    ("unknown terraform key", "terraform:\n  backnd: {}\n", ["terraform.backnd", "did you mean 'backend'"]),
    # YAML that PyYAML's constructors raise on, each once a traceback
    ("tag on a mapping key", "? !!python/name:os.system x\n: 1\n", ["bad.yaml:1:", "invalid"]),
    ("tag on a plain key", "!custom project: x\n", ["bad.yaml:1:", "invalid"]),
    ("int tag on text", 'project: !!int "abc"\n', ["project", "invalid int value", "bad.yaml:1:"]),
    ("float tag on text", 'functions:\n  - memory_mb: !!float "abc"\n', ["functions[0].memory_mb", "invalid float value"]),
    ("timestamp tag on text", 'project: !!timestamp "x"\n', ["project", "invalid timestamp value"]),
    ("recursive alias", "project: &loop [*loop]\n", ["project", "refers to a value that contains it"]),
    ("merge of a number", "functions:\n  - <<: 5\n", ["functions[0]", "invalid merge key", "bad.yaml:2:"]),
    ("5000-digit integer", "functions:\n  - memory_mb: " + "9" * 5000 + "\n", ["functions[0].memory_mb", "invalid int value"]),
    ("nested too deep", "tags: " + "[" * 70 + "]" * 70 + "\n", ["nested more than 64 levels"]),
    # a trailing newline once passed every pattern (re.match with $)
    ("newline after a function name", 'functions:\n  - name: "fn\\n"\n', ["functions[0].name", "must be "]),
    ("newline after the project", 'project: "app\\n"\n', ["project", "must be "]),
    ("newline after an environment key", 'functions:\n  - environment: {"KEY\\n": v}\n', ["functions[0].environment", "variable name"]),
    ("newline after a destination arn", "functions:\n  - on_failure: {type: sqs, arn: \"arn:aws:sqs:us-east-1:123456789012:q\\n\"}\n", ["functions[0].on_failure.arn", "not the ARN"]),
    ("newline after a kms arn", 'failure_bucket:\n  kms_key_arn: "arn:aws:kms:us-east-1:123456789012:key/abc\\n"\n', ["failure_bucket.kms_key_arn", "must be "]),
    # AWS's limits, checked before terraform apply
    ("51 tags with the defaults", "tags: {" + ", ".join(f"T{i}: v" for i in range(49)) + "}\n", ["tags", "AWS allows 50 tags", "remove 1"]),
    ("concurrency beyond the API", "functions:\n  - reserved_concurrency: " + "1" + "0" * 30 + "\n", ["reserved_concurrency", "at most 2147483647"]),
    ("YAML 1.1 octal", "functions:\n  - memory_mb: 0400\n", ["functions[0].memory_mb", "YAML 1.1", "bad.yaml:2:"]),
    ("YAML 1.1 base 60", "functions:\n  - timeout_seconds: 1:30\n", ["functions[0].timeout_seconds", "YAML 1.1"]),
    ("YAML 1.1 underscores", "functions:\n  - memory_mb: 1_024\n", ["functions[0].memory_mb", "YAML 1.1"]),
    # characters that make a file read otherwise than it parses
    ("bidi override in a tag", "tags: {Team: \"a\\u202eb\"}\n", ["tags.Team", "U+202E", "RIGHT-TO-LEFT OVERRIDE"]),
    ("zero-width space in an env value", 'functions:\n  - environment: {KEY: "a\\u200bb"}\n', ["functions[0].environment.KEY", "U+200B"]),
    ("zero-width space in a key", 'tags: {"Te\\u200bam": x}\n', ["U+200B"]),
    ("markdown in the state key", "terraform:\n  backend:\n    type: s3\n    bucket: my-state\n    key: 'a`<img src=x>`.tfstate'\n", ["terraform.backend.key", "must be "]),
]  # fmt: skip


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
    [("/dev/zero", "larger than 1024 KB"), (".", "is a directory"), ("latin1.yaml", "is not UTF-8 text")],
)
def test_files_that_are_not_configs(
    config: str, expected: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("latin1.yaml").write_bytes("project: caf\xe9\n".encode("latin-1"))
    assert main(["render", "--config", config, "--out", "out"]) == 2
    err = capsys.readouterr().err
    assert expected in err and err.count("\n") == 1
    assert not Path("out").exists()


def test_a_billion_laughs_is_refused_in_under_a_second(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text("\n".join(lines) + "\ntags: *a9\n")
    assert bomb.stat().st_size < 1024
    started = time.monotonic()
    assert main(["render", "--config", str(bomb), "--out", str(tmp_path / "out")]) == 2
    assert time.monotonic() - started < 1.0
    assert "alias bomb" in capsys.readouterr().err


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
