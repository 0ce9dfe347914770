"""No resource changes identity unless a commit says so: the example stacks' (type, name, parent)."""

from __future__ import annotations

import difflib

import pytest

from tests.golden_support import STACKS, golden_path, plan_identities, render


@pytest.mark.parametrize("stack", STACKS)
def test_plan_identities_match_the_golden_file(stack: str) -> None:
    path = golden_path(stack)
    expected = path.read_text()
    actual = render(plan_identities(stack))
    if actual != expected:
        diff = "".join(difflib.unified_diff(expected.splitlines(True), actual.splitlines(True), str(path), "this plan"))
        pytest.fail(
            f"resource identities of stack '{stack}' changed (each - line is a delete, each + line a create for a "
            f"deployed stack). If on purpose, run `.venv/bin/python -m tests.golden_support --update` and say why "
            f"in the commit message.\n{diff}"
        )
