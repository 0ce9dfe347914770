"""Plain-text tables for every command's text output (free of the Pulumi SDKs, so `report` and the
other commands that never touch Pulumi do not load it just to align columns)."""

from __future__ import annotations

from collections.abc import Sequence


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """Left-aligned columns separated by two spaces."""
    widths = [max(len(str(c)) for c in column) for column in zip(header, *rows, strict=True)]
    return ["  " + "  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in [header, *rows]]
