"""The grouped layout: past FUNCTIONS_PER_CALL functions, modules/function is called once per group of names.

Each test reads the rendered Terraform back with python-hcl2 and checks it against a group the tests compute
from SHA-256 themselves (tests/support.py), so a change to generator/layout.py that moves functions between
calls shows up.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from generator.config.model import parse_config
from generator.render import layout
from generator.render.project import render
from tests.support import expected_group, many_functions_config, parse_tree

GROUP_FILTER = re.compile(
    r'^\$\{\{for name, function in local\.packages : name => function if function\.group == "([0-9a-f])"\}\}$'
)


def _files(count: int, first: int = 0) -> dict[str, bytes]:
    return render(parse_config(many_functions_config(count, first), Path("layout.yaml")))


def _holders(tree: dict[str, Any]) -> dict[str, str]:
    """Which module call holds each function, from the calls' for_each filters and the packages' groups."""
    packages = tree["locals"]["packages"]
    holders: dict[str, str] = {}
    for call, body in tree["module"].items():
        match = GROUP_FILTER.match(body["for_each"])
        assert match, body["for_each"]
        for name, package in packages.items():
            if package["group"] == match.group(1):
                assert name not in holders, f"{name} is held by {holders[name]} and {call}"
                holders[name] = call
    return holders


@pytest.fixture(scope="module")
def grouped() -> dict[str, bytes]:
    return _files(layout.FUNCTIONS_PER_CALL + 1)


def test_up_to_the_threshold_one_call_holds_every_function() -> None:
    tree = parse_tree(_files(layout.FUNCTIONS_PER_CALL))
    assert list(tree["module"]) == ["function"]
    assert tree["module"]["function"]["for_each"] == "${local.packages}"
    assert all("group" not in package for package in tree["locals"]["packages"].values())
    assert tree["output"]["function_arns"]["value"].startswith("${{for name, function in module.function :")


def test_past_the_threshold_each_function_is_held_by_its_groups_call(grouped: dict[str, bytes]) -> None:
    tree = parse_tree(grouped)
    packages = tree["locals"]["packages"]
    assert len(packages) == layout.FUNCTIONS_PER_CALL + 1
    assert {name: package["group"] for name, package in packages.items()} == {
        name: expected_group(name) for name in packages
    }
    holders = _holders(tree)
    assert holders == {name: f"functions_{expected_group(name)}" for name in packages}, (
        "every function in exactly its call"
    )
    assert sorted(tree["module"]) == sorted(set(holders.values())), "no call without functions"
    reference = tree["module"]["function" if "function" in tree["module"] else next(iter(tree["module"]))]
    for call, body in tree["module"].items():
        assert {k: v for k, v in body.items() if k != "for_each"} == {
            k: v for k, v in reference.items() if k != "for_each"
        }, f"{call} passes the same arguments as every other call"


def test_outputs_cover_every_call(grouped: dict[str, bytes]) -> None:
    tree = parse_tree(grouped)
    merged = tree["locals"]["function_modules"]
    assert merged == "${merge(" + ", ".join(f"module.{call}" for call in sorted(tree["module"])) + ")}"
    for name in ("function_names", "function_arns", "role_arns", "invoke_commands", "alarm_names"):
        value = tree["output"][name]["value"]
        assert "local.function_modules" in str(value) and "module." not in str(value), name


def test_each_function_moves_between_the_layouts_both_ways(grouped: dict[str, bytes]) -> None:
    names = [f"fn_{index:04d}" for index in range(layout.FUNCTIONS_PER_CALL + 1)]
    module_moves = {m["from"]: m["to"] for m in parse_tree(grouped)["moved"] if m["from"].startswith("${module.")}
    assert module_moves == {
        f'${{module.function["{n}"]}}': f'${{module.functions_{expected_group(n)}["{n}"]}}' for n in names
    }
    single = parse_tree(_files(layout.FUNCTIONS_PER_CALL))["moved"]
    back = {m["from"]: m["to"] for m in single if m["from"].startswith("${module.")}
    assert back == {
        f'${{module.functions_{expected_group(n)}["{n}"]}}': f'${{module.function["{n}"]}}' for n in names[:-1]
    }


def test_other_functions_coming_or_going_never_move_a_function() -> None:
    before = _holders(parse_tree(_files(150)))
    after = _holders(parse_tree(_files(150, first=50)))  # fifty removed at the front, fifty added at the end
    kept = before.keys() & after.keys()
    assert len(kept) == 100 and all(before[name] == after[name] for name in kept)


def test_the_rendered_test_reads_each_function_from_its_call(grouped: dict[str, bytes]) -> None:
    text = grouped["tests/pattern.tftest.hcl"].decode()
    referenced = set(re.findall(r'module\.(\w+)\["(fn_\d+)"\]\.async_invocation\.on_failure', text))
    assert referenced == {
        (f"functions_{expected_group(f'fn_{i:04d}')}", f"fn_{i:04d}") for i in range(layout.FUNCTIONS_PER_CALL + 1)
    }
    # one run of the project checks the bucket and every function; the other four run the module on its own
    assert text.count('\nrun "project"') == 1 and text.count('\nrun "') == 5, "one run for all, not one each"


def test_the_readme_and_comments_state_this_config_s_groups(grouped: dict[str, bytes]) -> None:
    by_call = _by_call(parse_tree(grouped))
    sizes, calls = [len(functions) for functions in by_call.values()], sorted(by_call)
    readme = grouped["README.md"].decode()
    held = f"{len(calls)} calls, `module.{calls[0]}` to `module.{calls[-1]}`, each holding {min(sizes)} to {max(sizes)}"
    assert f"{held} of the\n{sum(sizes)} functions here." in readme
    assert f"({min(sizes)} to {max(sizes)} functions\n# each here)" in grouped["main.tf"].decode()
    first = "fn_0000"
    assert f'module.functions_{expected_group(first)}["{first}"].aws_lambda_function.this' in readme


def _by_call(tree: dict[str, Any]) -> dict[str, list[str]]:
    calls: dict[str, list[str]] = {}
    for name, call in _holders(tree).items():
        calls.setdefault(call, []).append(name)
    return calls
