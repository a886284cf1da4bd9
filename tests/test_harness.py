"""The test harness itself: a missing tool skips on a developer machine and fails in CI."""

from __future__ import annotations


def test_a_missing_tool_fails_in_ci_and_skips_elsewhere() -> None:
    import pytest

    from tests import support

    mp = pytest.MonkeyPatch()
    try:
        mp.setattr(support, "IN_CI", True)
        with pytest.raises(pytest.fail.Exception, match="CI=true, so this fails instead of skipping"):
            support.require_tool("terraform", False, "not installed")
        mp.setattr(support, "IN_CI", False)
        with pytest.raises(pytest.skip.Exception, match="terraform is not available"):
            support.require_tool("terraform", False, "not installed")
        support.require_tool("terraform", True, "present")  # a present tool neither skips nor fails
    finally:
        mp.undo()
