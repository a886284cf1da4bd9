"""The README and the default config document every config key the generator accepts."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from generator.config.model import FIELDS_BY_SECTION
from tests.support import REPO


def _declared_keys() -> set[str]:
    keys = {"functions[].on_success"}  # the same fields as on_failure, and null by default
    for section, fields in FIELDS_BY_SECTION.items():
        for field in fields:
            keys.add(f"{section}.{field.name}" if section else field.name)
    return keys


def _written_sections() -> list[str]:
    from generator.config import docs
    from generator.render.packaging import docs as packaging_docs

    return [docs.key_table(), packaging_docs.runtime_table(), packaging_docs.default_excludes()]


def test_readme_sections_are_written_from_the_declarations(request: pytest.FixtureRequest) -> None:
    """Each section between its markers is written from its declarations: the key table (a key's default, limits
    and sentence), the runtimes and their dates, the default excludes.

    First in this file, so that ``--update-golden`` rewrites them before the tests below read them.
    """
    path = REPO / "README.md"
    for section in _written_sections():
        begin, end = section.splitlines()[0], section.splitlines()[-1]
        readme = path.read_text()
        start, stop = readme.index(begin), readme.index(end) + len(end) + 1
        if request.config.getoption("--update-golden"):
            path.write_text(readme[:start] + section + readme[stop:])
            continue
        assert readme[start:stop] == section, "run: python -m pytest tests/test_docs.py --update-golden -n 0"


def test_readme_documents_every_config_key() -> None:
    readme = (REPO / "README.md").read_text()
    table = readme.split("## Configure")[1].split("## ", 1)[0]
    documented = set(re.findall(r"^\| `([\w.\[\]]+)` \|", table, re.M))
    assert documented == _declared_keys()


def _readme_default(value: object) -> str:
    """A default as the README's table spells it: YAML's words for null and booleans, flow style for the rest."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, dict)):
        return json.dumps(value, separators=(", ", ": "))
    return str(value)


def test_readme_states_each_key_with_its_declared_default() -> None:
    """The Default column is prose a person wrote: it must say what the declaration defaults to."""
    table = (REPO / "README.md").read_text().split("## Configure")[1].split("## ", 1)[0]
    stated = dict(re.findall(r"^\| `([\w.\[\]]+)` \| `([^`]*)` \|", table, re.M))
    declared = {
        f"{section}.{field.name}" if section else field.name: _readme_default(field.default)
        for section, fields in FIELDS_BY_SECTION.items()
        for field in fields
    }
    # A function without on_failure records to the failure bucket; inside an on_failure one writes, type is required.
    declared["functions[].on_failure.type"] = "s3"
    assert set(stated) - {"functions[].on_success"} == set(declared)
    assert {key: stated[key] for key in declared} == declared


def _leaf_keys(value: object, prefix: str = "") -> set[str]:
    """Dotted paths of every key in a config document; list items count as ``[]``."""
    if isinstance(value, list):
        return _leaf_keys(value[0], prefix + "[]") if value else {prefix}
    if isinstance(value, dict) and value and prefix not in ("tags", "functions[].environment"):
        return set().union(*(_leaf_keys(v, f"{prefix}.{k}" if prefix else k) for k, v in value.items()))
    return {prefix}


def test_default_config_spells_out_every_key() -> None:
    from generator.config._yaml import load_yaml

    data = load_yaml((REPO / "config.yaml").read_text(), REPO / "config.yaml").data
    # a list of sections that is empty by default (policy_statements) is spelled out as its own key, []
    empty_lists = {key for key in _leaf_keys(data) if f"{key}[]" in FIELDS_BY_SECTION}
    declared = {key for key in _declared_keys() if not any(key.startswith(f"{empty}[]") for empty in empty_lists)}
    assert _leaf_keys(data) == declared | empty_lists


def test_readme_opens_with_the_two_commands_ci_runs() -> None:
    readme = (REPO / "README.md").read_text()
    first_block = readme.split("```sh\n", 1)[1].split("```", 1)[0]
    commands = [line for line in first_block.splitlines() if line and not line.startswith("#")]
    assert commands == ["pip install . && python -m generator render", "pip install -e '.[test]' && python -m pytest"]
    assert commands[1] in (REPO / ".ci" / "run").read_text()


def test_every_yaml_example_in_the_readme_is_a_valid_config() -> None:
    from generator.config.model import parse_config

    examples = re.findall(r"```yaml\n(.*?)```", (REPO / "README.md").read_text(), re.S)
    assert examples, "the README shows config examples"
    for example in examples:
        parse_config(example, REPO / "example.yaml")  # raises ConfigError with the key and line if not


def test_the_readme_example_error_is_what_the_generator_prints(tmp_path: Path) -> None:
    import subprocess
    import sys

    example = re.search(
        r"^error: config\.yaml:\d+: functions\[0\]\.memory_mb: .*$", (REPO / "README.md").read_text(), re.M
    )
    assert example, "the README shows an example error"
    (tmp_path / "config.yaml").write_text((REPO / "config.yaml").read_text().replace("memory_mb: 128", "memory_mb: 64"))
    result = subprocess.run([sys.executable, "-m", "generator", "render"], cwd=tmp_path, capture_output=True, text=True,
                            check=False)  # fmt: skip
    assert result.returncode == 2 and result.stderr == example[0] + "\n"


def test_every_declared_default_is_a_value_its_own_key_accepts() -> None:
    """A key is declared once, in its model; the default it declares must pass the checks it declares."""
    from generator.config import model as config

    for section, fields in config.FIELDS_BY_SECTION.items():
        for field in fields:
            assert field.validate(field.default) is None, (section, field.name, field.validate(field.default))
    assert config.Config() == config.Config(functions=(config.Function(),)), "a bare model is the default config"
    assert config.Function().environment is not config.Function().environment, "no record shares a mutable default"


def test_a_section_refuses_a_key_of_a_type_yaml_cannot_give() -> None:
    """The annotation is the key's type: one the reader cannot produce is an error when the model is declared."""
    from generator.config.model import Section, config_key

    with pytest.raises(TypeError, match=r"Odd\.when: a config key cannot be 'float'"):

        class Odd(Section):
            when: float = config_key(default=1.5, doc="no YAML reader of this project makes a float")
