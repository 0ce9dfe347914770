"""`.ab-routing/rollouts.jsonl`: one JSON line per rollout, rollback or promote, appended.

A line is written whatever the outcome (done, rolled back, interrupted, failed), so the file is the
history of every traffic move made with these commands. The next rollout reads the last line of its
stack to learn whether a rollback turned stickiness off (it turns it back on).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

RECORD_DIR = ".ab-routing"
RECORD_FILE = "rollouts.jsonl"


def record_path(directory: Path) -> Path:
    return directory / RECORD_DIR / RECORD_FILE


def append_record(directory: Path, record: dict[str, Any]) -> Path:
    path = record_path(directory)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as out:
        out.write(json.dumps(record, sort_keys=True, separators=(",", ":")) + "\n")
    return path


def last_record(directory: Path, stack: str) -> dict[str, Any] | None:
    """The newest record of `stack`, or None; unreadable lines are skipped (the file is append-only)."""
    path = record_path(directory)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    for line in reversed(lines):
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and record.get("stack") == stack:
            return record
    return None
