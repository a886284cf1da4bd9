"""Helpers shared by the tests: the golden cases, parse-back, and finding external tools."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from generator.config.model import Config, load_config
from generator.output import files as output
from generator.render.project import is_generated_path, render

REPO = Path(__file__).resolve().parent.parent
GOLDEN = REPO / "tests" / "golden"
IN_CI = os.environ.get("CI", "").lower() == "true"


class GoldenCase:
    """A config and the tree it must render to. ``default`` is the repo's own config.yaml and out/."""

    def __init__(self, name: str, config_path: Path, expected: Path) -> None:
        self.name = name
        self.config_path = config_path
        self.expected = expected

    def config(self) -> Config:
        return load_config(self.config_path)

    def render(self) -> dict[str, bytes]:
        return render(self.config())

    def __repr__(self) -> str:
        return self.name


def golden_cases() -> list[GoldenCase]:
    cases = [GoldenCase("default", REPO / "config.yaml", REPO / "out")]
    for directory in sorted(p for p in GOLDEN.iterdir() if (p / "config.yaml").is_file()):
        cases.append(GoldenCase(directory.name, directory / "config.yaml", directory / "expected"))
    return cases


def write_tree(files: dict[str, bytes], out_dir: Path) -> output.WriteReport:
    """Write a rendered tree as the CLI does."""
    return output.write_tree(files, out_dir, removable=is_generated_path)


def read_manifest(out_dir: Path) -> set[str]:
    return output.read_manifest(out_dir, is_generated_path)


def require_tool(name: str, found: bool, why: str) -> None:
    """Skip a test whose tool is missing on a developer machine; in CI a missing tool is a failure."""
    if found:
        return
    message = f"{name} is not available: {why}"
    if IN_CI:
        pytest.fail(f"{message} (CI=true, so this fails instead of skipping)")
    pytest.skip(message)


def terraform_binary() -> str:
    path = shutil.which("terraform")
    require_tool("terraform", path is not None, "install Terraform >= 1.9 and put it on PATH")
    assert path is not None
    return path


def parse_hcl(text: str) -> dict[str, Any]:
    """Parse HCL with python-hcl2, with quotes stripped and escapes resolved."""
    import hcl2
    from hcl2.utils import SerializationOptions

    options = SerializationOptions(strip_string_quotes=True, with_comments=False, explicit_blocks=False)
    parsed: dict[str, Any] = hcl2.loads(text, serialization_options=options)
    return parsed


def parse_module(files: dict[str, bytes]) -> dict[str, Any]:
    """The function module every function is an instance of."""
    return parse_tree(files, FUNCTION_MODULE)


def unescape_template(value: str) -> str:
    """python-hcl2 resolves backslash escapes but keeps template escapes; resolve those too."""
    return value.replace("$${", "${").replace("%%{", "%{")


FUNCTION_MODULE = "modules/function/"


def parse_tree(files: dict[str, bytes], module: str = "") -> dict[str, Any]:
    """The .tf files of one module of a rendered tree (the root by default) merged: blocks by kind, then labels."""
    merged: dict[str, Any] = {"resource": {}, "data": {}, "variable": {}, "output": {}, "locals": {}, "module": {}}
    for path, content in files.items():
        if not path.endswith(".tf") or not path.startswith(module) or "/" in path[len(module) :]:
            continue
        parsed = parse_hcl(content.decode())
        for kind in ("resource", "data"):
            for block in parsed.get(kind, []):
                for type_name, by_name in block.items():
                    for name, body in by_name.items():
                        merged[kind][f"{type_name}.{name}"] = body
        for kind in ("variable", "output"):
            for block in parsed.get(kind, []):
                merged[kind].update(block)
        for block in parsed.get("locals", []):
            merged["locals"].update(block)
        for block in parsed.get("module", []):
            merged["module"].update(block)
        merged.setdefault("moved", []).extend(parsed.get("moved", []))
        for kind in ("terraform", "provider"):
            merged.setdefault(kind, []).extend(parsed.get(kind, []))
    return merged


def many_functions_config(count: int, first: int = 0) -> str:
    """A config of ``count`` demo functions ``fn_<first>`` on: the shape the plan benchmark and layout tests use.

    The bucket is named by AWS (no hashicorp/random needed), and the dashboard, which holds at most 499
    functions, is off.
    """
    names = "".join(f"  - name: fn_{index:04d}\n" for index in range(first, first + count))
    return f"failure_bucket:\n  naming: bucket_prefix\nmonitoring:\n  dashboard: false\nfunctions:\n{names}"


def expected_group(name: str) -> str:
    """A function's group as the layout promises it, computed here, not by generator/layout.py."""
    return hashlib.sha256(name.encode()).hexdigest()[0]


def oversized_source(directory: Path) -> Path:
    """A function's source whose zip is over Lambda's direct-upload limit: a handler and incompressible data."""
    from generator.lambda_facts import MAX_DIRECT_UPLOAD_BYTES

    source = directory / "big"
    source.mkdir(parents=True, exist_ok=True)
    (source / "main.py").write_text("def handle(event, context):\n    return len(open('model.bin', 'rb').read())\n")
    (source / "model.bin").write_bytes(os.urandom(MAX_DIRECT_UPLOAD_BYTES + 1024 * 1024))
    return source


OVERSIZED_CONFIG = (
    "project: big-package\nfailure_bucket:\n  naming: bucket_prefix\n"
    "functions:\n  - name: big\n    source: big\n    handler: main.handle\n"
)
