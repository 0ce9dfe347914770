"""Traffic shares from weights: the one rounding rule used wherever a share is shown.

Pure and free of the Pulumi SDKs, so the program, the plan, the report and every other command
compute the same figure (e.g. weights 1/31 give 3.13 everywhere).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal

SHARE_DECIMALS = 2
"""Shares are percentages rounded half-up to this many decimals, so they may not sum to exactly 100."""


def share_percent(weight: int, total: int) -> float:
    """100 * weight / total, rounded half-up to `SHARE_DECIMALS` decimals; 0 when total is 0."""
    if total <= 0:
        return 0.0
    quantum = Decimal(1).scaleb(-SHARE_DECIMALS)
    return float((Decimal(100 * weight) / Decimal(total)).quantize(quantum, ROUND_HALF_UP))


def shares(weights: Mapping[str, int]) -> dict[str, float]:
    """Each variant's share of traffic in percent (see `share_percent`).

    All-zero weights (rejected by config validation) give every variant 0.
    """
    total = sum(weights.values())
    return {name: share_percent(w, total) for name, w in weights.items()}
