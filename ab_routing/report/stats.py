"""Pure statistics for the report: the Wilson interval, and the two-sided mSPRT the report used before
`ab_routing.report.sequential` (kept for its closed-form radius, which the report still uses for
`ci95`, and as the reference the benchmark's "before" column is checked against).

No I/O here, so every figure the report prints can be tested with known values.

The comparison of error rates is the mixture sequential probability ratio test (mSPRT) of Johari,
Koomen, Pekelis and Walsh (2017), "Peeking at A/B Tests: Why it matters, and what to do about it"
(KDD), with a normal mixing distribution N(θ0, τ²) over the difference θ = p_variant − p_control.
A report is re-run whenever someone looks, and CloudWatch gives counts per period, so the test is
evaluated after every period of the window; its p-value and interval stay valid however often that
happens, which a fixed-horizon z-test does not (read after every look, it raises false alarms far
above α).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from statistics import NormalDist

ALPHA = 0.05
"""Significance level of every test and the coverage (95%) of every interval the report shows."""
DEFAULT_TAU = 0.01
"""Spread of the mixing distribution: roughly the size of error-rate difference worth detecting
(one percentage point). Smaller τ detects small differences sooner and large ones later."""


@dataclass(frozen=True)
class Counts:
    """Requests and failed requests of one variant, cumulative from the start of the window."""

    requests: int
    errors: int

    def __post_init__(self) -> None:
        if self.requests < 0 or self.errors < 0:
            raise ValueError(f"counts must be non-negative, got {self.requests} requests and {self.errors} errors")
        if self.errors > self.requests:
            raise ValueError(f"more errors ({self.errors}) than requests ({self.requests})")

    @property
    def rate(self) -> float | None:
        """Observed error rate, or None without requests."""
        return self.errors / self.requests if self.requests else None


# -- one variant ---------------------------------------------------------------------------------


def wilson_interval(errors: int, requests: int, confidence: float = 1 - ALPHA) -> tuple[float, float] | None:
    """Wilson score interval of a proportion; None without requests.

    Wilson rather than the normal approximation because error rates sit near 0, where p̂ ± z·se
    collapses to a zero-width interval at 0 errors and runs below 0 for a few.
    """
    counts = Counts(requests, errors)
    if counts.requests == 0:
        return None
    z = NormalDist().inv_cdf(1 - (1 - confidence) / 2)
    n = counts.requests
    p = errors / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z / denominator * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


# -- always-valid comparison of two error rates (mSPRT) -------------------------------------------------


def difference_variance(control: Counts, treatment: Counts) -> float:
    """Plug-in variance of p̂_T − p̂_C: the larger of the unpooled and the pooled estimate.

    The textbook plug-in p̂_C(1 − p̂_C)/n_C + p̂_T(1 − p̂_T)/n_T is 0 when both arms have no errors
    (the usual case for healthy models) or only errors (a broken one), which makes Λ undefined or
    infinite; proportions are therefore Agresti-Caffo adjusted, (e + 1) / (n + 2). It is also far too
    small early on in an arm with few requests and no errors yet (0/300 against 33/2700 reads as a
    sure difference), which in simulation pushed the false-positive rate of a 90/10 split above α.
    The pooled estimate p̄(1 − p̄)(1/n_C + 1/n_T) is the right one when the rates are equal (H0) and
    is not fooled by that; the unpooled one is right when they differ. Taking the larger keeps the
    p-value and the interval valid in both cases at a small cost in power; both estimates converge
    to the true variance as counts grow.
    """
    unpooled = 0.0
    for arm in (control, treatment):
        adjusted = (arm.errors + 1) / (arm.requests + 2)
        unpooled += adjusted * (1 - adjusted) / (arm.requests + 2)
    pooled_rate = (control.errors + treatment.errors + 1) / (control.requests + treatment.requests + 2)
    pooled = pooled_rate * (1 - pooled_rate) * (1 / (control.requests + 1) + 1 / (treatment.requests + 1))
    return max(unpooled, pooled)


def log_mixture_likelihood_ratio(theta_hat: float, variance: float, tau: float, theta0: float = 0.0) -> float:
    """ln Λ of the normal-mixture SPRT: ½ ln(V/(V+τ²)) + τ²(θ̂−θ0)² / (2V(V+τ²)).

    Kept in logs because Λ overflows a float for large differences with many requests.
    """
    if variance <= 0 or tau <= 0:
        raise ValueError("variance and tau must be positive")
    tau2 = tau * tau
    return 0.5 * math.log(variance / (variance + tau2)) + tau2 * (theta_hat - theta0) ** 2 / (2 * variance * (variance + tau2))


def always_valid_radius(variance: float, tau: float, alpha: float = ALPHA) -> float:
    """Half-width of {θ0 : Λ(θ0) < 1/α} around θ̂, the inverted test at one look (closed form)."""
    if variance <= 0 or tau <= 0 or not 0 < alpha < 1:
        raise ValueError("variance and tau must be positive and alpha in (0, 1)")
    tau2 = tau * tau
    return math.sqrt(2 * variance * (variance + tau2) / tau2 * (math.log(1 / alpha) + 0.5 * math.log((variance + tau2) / variance)))


@dataclass(frozen=True)
class Look:
    """The test at one period: estimate, per-look interval and the always-valid figures so far."""

    difference: float
    """θ̂ = p̂_variant − p̂_control at this look."""
    interval: tuple[float, float]
    """This look's interval (contains θ̂); the running intersection is in `SequentialResult`."""
    p_value: float
    """Always-valid p-value after this look: running minimum of 1/Λ, at most 1."""


@dataclass(frozen=True)
class SequentialResult:
    """mSPRT of H0: θ = 0 over every look of the window, and its always-valid 95% interval."""

    looks: tuple[Look, ...]
    """Informative looks only: periods where both arms had at least one request so far."""
    difference: float | None
    """θ̂ at the last look; None without looks."""
    interval: tuple[float, float] | None
    """Running intersection of the per-look intervals, clipped to [−1, 1]. None without looks, or
    when the intersection is empty (see `interval_empty`)."""
    interval_empty: bool
    """The per-look intervals do not overlap: the difference drifted during the window (a deploy,
    a weight change, an incident), which the test assumes does not happen."""
    p_value: float
    """Always-valid p-value; 1.0 without looks."""
    significant: bool
    """p ≤ α; equivalently, 0 was outside the interval at some look."""


def sequential_difference(
    control: Sequence[Counts], treatment: Sequence[Counts], tau: float = DEFAULT_TAU, alpha: float = ALPHA
) -> SequentialResult:
    """Run the mSPRT over cumulative counts, one entry per period, oldest first.

    At each look: Λ_n = √(V/(V+τ²)) exp(τ²θ̂²/(2V(V+τ²))); p_n = min(p_{n−1}, 1/Λ_n), p_0 = 1; the
    interval is the running intersection of θ̂_n ± r_n with r_n from `always_valid_radius`.
    Periods before both arms have a request are skipped: θ̂ is undefined there.
    """
    if len(control) != len(treatment):
        raise ValueError("control and treatment need one cumulative count per period each")
    if tau <= 0 or not 0 < alpha < 1:
        raise ValueError("tau must be positive and alpha in (0, 1)")
    for series in (control, treatment):
        for before, after in pairwise(series):
            if after.requests < before.requests or after.errors < before.errors:
                raise ValueError("counts must be cumulative (non-decreasing)")
    looks: list[Look] = []
    p_value = 1.0
    lo, hi = -math.inf, math.inf
    for c, t in zip(control, treatment, strict=True):
        if c.requests == 0 or t.requests == 0:
            continue
        theta = t.errors / t.requests - c.errors / c.requests
        variance = difference_variance(c, t)
        p_value = min(p_value, math.exp(-max(0.0, log_mixture_likelihood_ratio(theta, variance, tau))))
        radius = always_valid_radius(variance, tau, alpha)
        lo, hi = max(lo, theta - radius), min(hi, theta + radius)
        looks.append(Look(theta, (theta - radius, theta + radius), p_value))
    if not looks:
        return SequentialResult((), None, None, False, 1.0, False)
    empty = lo >= hi
    interval = None if empty else (max(-1.0, lo), min(1.0, hi))
    return SequentialResult(tuple(looks), looks[-1].difference, interval, empty, p_value, p_value <= alpha)


def cumulative(values: Sequence[int]) -> list[int]:
    """Running totals of per-period counts."""
    out: list[int] = []
    total = 0
    for v in values:
        total += v
        out.append(total)
    return out


def fixed_horizon_z_p_value(control: Counts, treatment: Counts) -> float | None:
    """Two-sided pooled two-proportion z-test, valid for ONE look planned in advance.

    Kept to show (in tests and docs) why the report does not use it: read after every period it
    finds a "difference" between identical variants far more often than α.
    """
    n_c, n_t = control.requests, treatment.requests
    if n_c == 0 or n_t == 0:
        return None
    pooled = (control.errors + treatment.errors) / (n_c + n_t)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n_c + 1 / n_t))
    if se == 0:
        return 1.0
    z = (treatment.errors / n_t - control.errors / n_c) / se
    return 2 * (1 - NormalDist().cdf(abs(z)))
