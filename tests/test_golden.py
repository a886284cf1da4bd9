"""Every golden config renders to exactly its committed tree, byte for byte.

The expected trees change only through ``pytest --update-golden``; read the diff before committing.
"""

from __future__ import annotations

import shutil

import pytest

from tests.support import GoldenCase, golden_cases, read_manifest, write_tree


def _tree_on_disk(case: GoldenCase) -> dict[str, bytes]:
    """The files the golden tree's manifest lists; out/ may also hold a developer's .terraform/ and state."""
    return {path: (case.expected / path).read_bytes() for path in sorted(read_manifest(case.expected))}


@pytest.mark.parametrize("case", golden_cases(), ids=repr)
def test_render_matches_golden_tree(case: GoldenCase, request: pytest.FixtureRequest) -> None:
    rendered = case.render()
    if request.config.getoption("--update-golden"):
        if case.name != "default":
            shutil.rmtree(case.expected, ignore_errors=True)
        write_tree(rendered, case.expected)
    expected = _tree_on_disk(case)
    assert sorted(rendered) == sorted(expected), "the set of rendered files differs from the golden tree"
    for path, content in rendered.items():
        assert content == expected[path], f"{case.name}: {path} differs from the golden file"


@pytest.mark.parametrize("case", golden_cases(), ids=repr)
def test_render_is_deterministic(case: GoldenCase) -> None:
    assert case.render() == case.render()
