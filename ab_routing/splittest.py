"""Sequential (always-valid) check of an observed traffic split against the configured weights.

The Dirichlet-multinomial Bayes factor of Lindon & Malek (2022), "Anytime-valid inference for
multinomial count data": under H0 the counts are multinomial with the configured shares; under H1
the shares follow a Dirichlet prior centred on them. The Bayes factor after n requests is

    BF_n = [B(a + counts) / B(a)] / prod_i (w_i ** counts_i),   a = CONCENTRATION * w

(B the multivariate beta function), a non-negative martingale under H0, so `1 / max_k BF_k` is a
p-value that stays valid however often it is looked at. Pure Python (`math.lgamma`): no SciPy.

Request counts are overdispersed when stickiness makes the client the unit of assignment, so any
always-valid test eventually flags a trivial deviation. A mismatch is therefore flagged only when
the test rejects *and* some share is off by more than `PRACTICAL_POINTS` percentage points and
`PRACTICAL_RELATIVE` of its expected share.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

CONCENTRATION = 1000.0
"""Prior concentration: the Dirichlet's pseudo-count total. At 1000 the prior spread of a 50% share
is about 1.6 percentage points, the size of deviation worth flagging; fixed in code so nobody can tune
it to the data under test."""
ALPHA = 0.05
PRACTICAL_POINTS = 1.0
"""A flagged deviation must exceed this many percentage points of traffic..."""
PRACTICAL_RELATIVE = 0.10
"""...and this fraction of the expected share (so 2% vs 1% counts, 50.5% vs 50% does not)."""


@dataclass(frozen=True)
class SplitResult:
    """Outcome of the split test over the variants with weight > 0."""

    p_value: float
    """Always-valid p-value: 1 / the largest Bayes factor over the looks, at most 1."""
    rejected: bool
    """p_value <= alpha: the counts are unlikely under the weights."""
    practical: bool
    """Some share deviates by more than PRACTICAL_POINTS and PRACTICAL_RELATIVE."""
    expected: Mapping[str, float]
    """Expected share in percent, over the tested variants."""
    observed: Mapping[str, float]
    """Observed share in percent, over the tested variants (0 when there are no requests)."""
    tested: tuple[str, ...]
    excluded: tuple[str, ...]
    """Weight-0 variants, left out (their traffic is sticky or override traffic, not randomised)."""

    @property
    def mismatch(self) -> bool:
        return self.rejected and self.practical


def log_bayes_factor(counts: Sequence[int], weights: Sequence[float], concentration: float = CONCENTRATION) -> float:
    """log BF of the Dirichlet-multinomial alternative against the multinomial with `weights`.

    `weights` are positive and need not sum to 1; counts are non-negative integers.
    """
    if len(counts) != len(weights) or not counts:
        raise ValueError("counts and weights must be non-empty and of the same length")
    if any(c < 0 for c in counts) or any(w <= 0 for w in weights):
        raise ValueError("counts must be >= 0 and weights > 0")
    total_weight = float(sum(weights))
    shares = [w / total_weight for w in weights]
    prior = [concentration * s for s in shares]
    n = sum(counts)
    log_beta_posterior = sum(math.lgamma(a + c) for a, c in zip(prior, counts, strict=True)) - math.lgamma(concentration + n)
    log_beta_prior = sum(math.lgamma(a) for a in prior) - math.lgamma(concentration)
    log_null = sum(c * math.log(s) for c, s in zip(counts, shares, strict=True))
    return log_beta_posterior - log_beta_prior - log_null


def split_test(
    looks: Sequence[Mapping[str, int]],
    weights: Mapping[str, int],
    alpha: float = ALPHA,
) -> SplitResult:
    """Test cumulative per-variant request counts at each look (oldest first) against `weights`.

    Pass one look for a single read (as `verify` does); pass every period's cumulative counts to get
    the running maximum of the Bayes factor (as the report does). Variants with weight 0 are left
    out; fewer than two tested variants gives p = 1.
    """
    tested = tuple(sorted(name for name, w in weights.items() if w > 0))
    excluded = tuple(sorted(name for name, w in weights.items() if w <= 0))
    total_weight = sum(weights[name] for name in tested)
    expected = {name: 100.0 * weights[name] / total_weight for name in tested} if total_weight else {}
    last = looks[-1] if looks else {}
    n = sum(int(last.get(name, 0)) for name in tested)
    observed = {name: (100.0 * int(last.get(name, 0)) / n if n else 0.0) for name in tested}
    best = 0.0
    if len(tested) >= 2:
        w = [float(weights[name]) for name in tested]
        for look in looks:
            best = max(best, log_bayes_factor([int(look.get(name, 0)) for name in tested], w))
    p_value = min(1.0, math.exp(-best))
    practical = n > 0 and any(
        abs(observed[name] - expected[name]) > max(PRACTICAL_POINTS, PRACTICAL_RELATIVE * expected[name]) for name in tested
    )
    return SplitResult(
        p_value=p_value,
        rejected=p_value <= alpha,
        practical=practical,
        expected=expected,
        observed=observed,
        tested=tested,
        excluded=excluded,
    )
