"""Weight arithmetic of a rollout: pure, integers, always summing to 100.

At a step of p percent the variant V gets weight p and the other variants share 100 - p in the
proportions of their weights before the rollout (the baseline), so a champion/shadow pair at 80/20
stays 4:1 while V grows. Rounding: largest remainder (Hamilton). Each other variant gets the floor of
its exact quota (100 - p) * w / sum(w); the units left over go, one each, to the variants with the
largest fractional remainders, ties broken by variant name (alphabetical), so the result is
deterministic and never off by more than one from the exact quota. When every other variant has
weight 0 in the baseline (e.g. after a promote) they share the rest equally, by the same rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction

TOTAL = 100


def split(total: int, proportions: Mapping[str, int]) -> dict[str, int]:
    """`total` integer units over `proportions` by largest remainder, ties by name."""
    if total < 0:
        raise ValueError(f"total must be >= 0, got {total}")
    if not proportions:
        if total:
            raise ValueError("no variant to give the remaining traffic to")
        return {}
    if any(w < 0 for w in proportions.values()):
        raise ValueError(f"weights must be >= 0, got {dict(proportions)}")
    weights = dict(proportions) if sum(proportions.values()) > 0 else dict.fromkeys(proportions, 1)
    whole = sum(weights.values())
    quotas = {name: Fraction(total * w, whole) for name, w in weights.items()}
    result = {name: int(q) for name, q in quotas.items()}  # floor: quotas are >= 0
    left = total - sum(result.values())
    by_remainder = sorted(quotas, key=lambda name: (-(quotas[name] - result[name]), name))
    for name in by_remainder[:left]:
        result[name] += 1
    return result


def step_weights(baseline: Mapping[str, int], variant: str, percent: int) -> dict[str, int]:
    """Weights with `variant` at `percent` and the others sharing the rest as in `baseline`."""
    if variant not in baseline:
        raise ValueError(f"variant {variant!r} is not one of {sorted(baseline)}")
    if not 0 <= percent <= TOTAL:
        raise ValueError(f"percent must be 0-100, got {percent}")
    others = {name: w for name, w in baseline.items() if name != variant}
    weights = split(TOTAL - percent, others)
    weights[variant] = percent
    return {name: weights[name] for name in sorted(weights)}


def percent_of(weights: Mapping[str, int], variant: str) -> Fraction:
    """The variant's exact share of traffic in percent (0 when every weight is 0)."""
    total = sum(weights.values())
    return Fraction(100 * weights.get(variant, 0), total) if total else Fraction(0)
