"""The one escaping path from config strings to HCL: exact round trips, no injection."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from generator.config.model import parse_config
from generator.render import hcl
from generator.render.project import render
from tests.support import parse_hcl, unescape_template


def _round_trip(value: str) -> str:
    parsed = parse_hcl(f"x = {hcl.quote(value)}\n")
    result = parsed["x"]
    assert isinstance(result, str)
    return unescape_template(result)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("plain", '"plain"'),
        ('a "quoted" word', r'"a \"quoted\" word"'),
        ("back\\slash", r'"back\\slash"'),
        ("line\nbreak", r'"line\nbreak"'),
        ("${var.secret}", '"$${var.secret}"'),
        ("%{ if true }x%{ endif }", '"%%{ if true }x%%{ endif }"'),
        ("$ and % alone, {braces}", '"$ and % alone, {braces}"'),
        ("bell\x07", r'"bell\u0007"'),
        ("right-to-left \u202e override", r'"right-to-left \u202e override"'),
        ("zero\u200bwidth", r'"zero\u200bwidth"'),
    ],
)
def test_quote_escapes_what_hcl_would_interpret(value: str, expected: str) -> None:
    assert hcl.quote(value) == expected
    assert _round_trip(value) == value


def test_to_hcl_renders_nested_values() -> None:
    value = {"a": 1, "b-c": [True, None], "1st": {"k": "v"}}
    text = hcl.to_hcl(value)
    assert text == '{\n  a = 1\n  b-c = [true, null]\n  "1st" = {\n    k = "v"\n  }\n}'
    assert parse_hcl(f"x = {text}\n")["x"] == {"a": 1, "b-c": [True, None], "1st": {"k": "v"}}


def test_to_hcl_refuses_unknown_types() -> None:
    with pytest.raises(TypeError):
        hcl.to_hcl(1.5j)


_TEXT = st.text(st.characters(codec="utf-8"), max_size=60)  # any character that can be written to a file


# python-hcl2 8.1 cannot parse an escaped "$${" or "%%{" that no "}" follows, though Terraform reads it as the
# literal text (checked by hand with `terraform validate`); test_unclosed_template_escapes pins that spelling.
_UNCLOSED_TEMPLATE = re.compile(r"[$%]\{[^}]*$")


@settings(max_examples=300, deadline=None)
@given(_TEXT)
def test_any_string_round_trips_through_quote(value: str) -> None:
    assume(not _UNCLOSED_TEMPLATE.search(value))
    assert _round_trip(value) == value


@pytest.mark.parametrize(("value", "expected"), [("${", '"$${"'), ("a%{b", '"a%%{b"')])
def test_unclosed_template_escapes(value: str, expected: str) -> None:
    assert hcl.quote(value) == expected


# Tag values may hold only what AWS accepts; the generator refuses the rest, so draw from that alphabet.
_TAG_TEXT = st.text(
    st.one_of(st.characters(whitelist_categories=("L", "N", "Zs")), st.sampled_from(list("_.:/=+-@"))),
    min_size=1,
    max_size=40,
)
# Environment values: any text the config accepts (it refuses invisible format characters, category Cf).
_ENV_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=["Cf"]), max_size=60)
_ENV_KEY = st.from_regex(r"[A-Z][A-Z0-9_]{1,12}", fullmatch=True).filter(lambda k: not k.startswith("AWS_"))


@settings(max_examples=60, deadline=None)
@given(
    tags=st.dictionaries(_TAG_TEXT, _TAG_TEXT, max_size=3), environment=st.dictionaries(_ENV_KEY, _ENV_TEXT, max_size=3)
)
def test_tags_and_environment_survive_a_full_render(tags: dict[str, str], environment: dict[str, str]) -> None:
    tags = {k: v for k, v in tags.items() if not k.lower().startswith("aws:")}
    assume(not any(_UNCLOSED_TEMPLATE.search(value) for value in environment.values()))  # python-hcl2's limit
    text = _as_yaml({"tags": tags, "functions": [{"environment": environment}]})
    variables = parse_hcl(render(parse_config(text, Path("property.yaml")))["variables.tf"].decode())
    by_name = {name: body for block in variables["variable"] for name, body in block.items()}
    assert _unescaped(by_name["tags"]["default"]) == tags
    carried = by_name["functions"]["default"]["async_function"]
    assert _unescaped(carried.get("environment", {})) == environment, "an environment is carried unless it is empty"


def _unescaped(mapping: dict[str, str]) -> dict[str, str]:
    return {unescape_template(k): unescape_template(v) for k, v in mapping.items()}


def _as_yaml(data: object) -> str:
    """JSON is YAML; escape what YAML would fold or refuse (line separators, C1 controls) so every character survives.

    Escapes are \\u sequences of BMP characters only: PyYAML does not join surrogate pairs.
    """
    text = json.dumps(data, ensure_ascii=False)
    return "".join(
        f"\\u{ord(c):04x}" if (0x7F <= ord(c) <= 0x9F or c in "\u2028\u2029\ufeff\ufffe\uffff") else c for c in text
    )


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        ((hcl.Hcl("aws_s3_bucket.b.arn"),), "aws_s3_bucket.b.arn"),
        ((hcl.Hcl("aws_s3_bucket.b.arn"), "/*"), '"${aws_s3_bucket.b.arn}/*"'),
        (("arn:aws:s3:::b", "/*"), '"arn:aws:s3:::b/*"'),
        (('a ${b} "c"', hcl.Hcl("var.x")), r'"a $${b} \"c\"${var.x}"'),
    ],
)
def test_interpolate_escapes_text_and_embeds_expressions(parts: tuple[str, ...], expected: str) -> None:
    assert hcl.interpolate(*parts) == expected
