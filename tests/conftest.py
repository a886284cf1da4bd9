from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.harness import Moto


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="rewrite the expected trees of the golden tests (and out/) from the current templates",
    )


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("--update-golden") and getattr(config.option, "numprocesses", None):
        raise pytest.UsageError("--update-golden rewrites out/ before the variants: run it in one process, with -n 0")


# A test's tier follows from the tools it asks for, so no test can forget its marker.
_MARKER_BY_FIXTURE = {"moto_session": "moto", "tf_cli_config": "terraform", "checkov": "checkov"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        for fixture, marker in _MARKER_BY_FIXTURE.items():
            if fixture in getattr(item, "fixturenames", ()):
                item.add_marker(getattr(pytest.mark, marker))


@pytest.fixture(scope="session")
def tf_cli_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tests' own Terraform CLI config (provider mirror, shared plugin cache)."""
    from tests.harness import require_provider_mirror, write_cli_config
    from tests.support import terraform_binary

    terraform_binary()
    require_provider_mirror()
    return write_cli_config(tmp_path_factory.mktemp("terraform"))


@pytest.fixture(scope="session")
def moto_session() -> Iterator[Moto]:
    """One moto server for the session, on a free loopback port, stopped at the end."""
    from tests.harness import moto_server

    with moto_server() as moto:
        yield moto


@pytest.fixture
def moto(moto_session: Moto) -> Moto:
    """The session's moto server, emptied before each test so tests never see each other's resources."""
    moto_session.reset()
    return moto_session
