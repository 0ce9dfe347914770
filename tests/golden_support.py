"""Resource identities of the example stacks' offline plans, kept as golden files.

A resource's identity to the Pulumi engine is its URN: type, logical name and parent. A change to
any of them is a delete and a create for a deployed stack, so `tests/test_golden.py` compares the
identities of `Pulumi.dev.yaml` and `Pulumi.prod.yaml` with `tests/golden/plan-<stack>.json`.
A change that alters them on purpose regenerates the files and says why in its commit message:

    .venv/bin/python -m tests.golden_support --update
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from functools import cache
from pathlib import Path

from ab_routing.mocks import Registration
from ab_routing.offline import OfflineRun, run_offline
from ab_routing.stackfiles import read_stack

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden"
STACKS = ("dev", "prod")


def golden_path(stack: str) -> Path:
    return GOLDEN / f"plan-{stack}.json"


def identities(registrations: Sequence[Registration]) -> list[dict[str, str | None]]:
    """Sorted (type, name, parent URN) of every registration, the root stack included."""
    rows = sorted({(r.type, r.name, r.parent or "") for r in registrations})
    return [{"type": t, "name": n, "parent": p or None} for t, n, p in rows]


@cache
def example_run(stack: str) -> OfflineRun:
    """The example stack's program run under mocks, once per test session (about 1.5 s each);
    other tests about the example stacks reuse it. Treat the result as read-only."""
    files = read_stack(ROOT, stack)
    return run_offline(files.config, project=files.project, stack=files.stack)


def plan_identities(stack: str) -> list[dict[str, str | None]]:
    return identities(example_run(stack).recording.registrations)


def render(rows: Sequence[dict[str, str | None]]) -> str:
    """One row per line, so a diff of the file shows one line per resource."""
    body = ",\n".join("  " + json.dumps(row, sort_keys=True) for row in rows)
    return "[\n" + body + "\n]\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.golden_support", description="Check or rewrite the golden resource identities of the example stacks."
    )
    parser.add_argument("--update", action="store_true", help="rewrite tests/golden/plan-<stack>.json")
    args = parser.parse_args(argv)
    changed = False
    for stack in STACKS:
        text = render(plan_identities(stack))
        path = golden_path(stack)
        old = path.read_text() if path.exists() else ""
        if old != text:
            changed = True
            if args.update:
                path.write_text(text)
            print(f"{path.relative_to(ROOT)}: {'updated' if args.update else 'differs'}")
    return 1 if changed and not args.update else 0


if __name__ == "__main__":
    sys.exit(main())
