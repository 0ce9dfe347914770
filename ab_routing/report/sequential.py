"""Always-valid comparisons with the control that stay valid when errors come in bursts.

Vectorised with NumPy over any leading axes, so the report (one experiment) and the benchmark
(thousands of simulated experiments) run exactly the same code.

Units. Errors of a model server are correlated in time (a bad batch, a restart, a dependency
blip), so single requests are not independent. Consecutive periods are grouped into blocks of at
least `BLOCK_SECONDS` (ten one-minute periods); blocks are the independent units, and the test
looks once per complete block (so re-running the report more often adds no looks).

Variance. The difference of error rates θ = p_T − p_C is a difference of ratio estimators; its
variance is the cluster-robust (delta-method) one over blocks (Deng, Knoblich & Lu 2018) with the
CR1 small-sample factor k/(k−1), which also accounts for bursts shared by both arms. With few blocks
that estimate is noisy, so it is shrunk towards `PRIOR_DESIGN_EFFECT` × the binomial variance with
the weight of `PRIOR_BLOCKS` blocks, and it is never below the binomial variance (the larger of the
Agresti-Caffo unpooled and the pooled estimate, as before).

Test. The normal-mixture SPRT of Johari et al. (2017) with a half-normal mixing distribution of
spread τ on the side of the alternative, which is a test of a one-sided (composite) null:

    Λ±(θ0) = 2 Φ(±(θ̂ − θ0) τ / √(V (V + τ²))) · √(V / (V + τ²)) · exp(τ² (θ̂ − θ0)² / (2 V (V + τ²)))

and the always-valid p-value is the running minimum of 1/Λ over the looks. Roll back tests
H0: θ ≤ 0 (the variant fails no more often than the control), promote tests H0: θ ≥ margin
(non-inferiority). Latency uses the same machinery on the log ratio of mean response times.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]

BLOCK_SECONDS = 600
"""Blocks of ten minutes: bursts of errors last 1-10 minutes, so most stay inside one block."""
PRIOR_DESIGN_EFFECT = 2.0
"""Before many blocks are in, the variance leans on this multiple of the binomial variance."""
PRIOR_BLOCKS = 6.0
"""...with the weight of this many blocks (one hour); after a day it weighs 4%."""
MIN_BLOCKS = 12
"""No `promote` and no latency decision before this many blocks (two hours of ten-minute blocks)."""
MIN_ERRORS = 10
"""No `promote` before this many failed requests in the two arms together, unless the variant's
requests are so many that the margin alone would be 10 failures (very low error rates)."""


def block_of(period_seconds: int) -> int:
    """Periods per block: enough periods to span `BLOCK_SECONDS`, at least one."""
    return max(1, math.ceil(BLOCK_SECONDS / period_seconds))


def blocks(per_period: Any, block: int) -> Array:
    """(..., periods) -> (..., complete blocks): sums over `block` consecutive periods; an
    incomplete last block is left out until it completes."""
    values = np.asarray(per_period, dtype=np.float64)
    k = values.shape[-1] // block
    return values[..., : k * block].reshape(*values.shape[:-1], k, block).sum(axis=-1)


def _cumsum(x: Array) -> Array:
    return np.cumsum(x, axis=-1)


def binomial_variance(n_c: Array, e_c: Array, n_t: Array, e_t: Array) -> Array:
    """Variance of p̂_T − p̂_C if requests were independent: the larger of the Agresti-Caffo
    unpooled and the pooled estimate (both positive at 0 errors; the pooled one is right under H0)."""
    unpooled = np.zeros(np.broadcast(n_c, n_t).shape)
    for n, e in ((n_c, e_c), (n_t, e_t)):
        adjusted = (e + 1) / (n + 2)
        unpooled = unpooled + adjusted * (1 - adjusted) / (n + 2)
    pooled_rate = (e_c + e_t + 1) / (n_c + n_t + 2)
    pooled = pooled_rate * (1 - pooled_rate) * (1 / (n_c + 1) + 1 / (n_t + 1))
    return np.maximum(unpooled, pooled)


def cluster_variance(s_c: Array, w_c: Array, s_t: Array, w_t: Array, relative: bool = False) -> Array:
    """CR1 cluster-robust (delta-method) variance of r_T − r_C at every look, r = Σs / Σw over the
    blocks so far (error rates: s = errors, w = requests). With `relative`, of log r_T − log r_C.

    Computed from running sums of products, so all looks cost O(blocks). NaN at the first look
    (one block says nothing about the spread between blocks) and where an arm has no weight yet.
    """
    sc, wc, st, wt = _cumsum(s_c), _cumsum(w_c), _cumsum(s_t), _cumsum(w_t)
    with np.errstate(divide="ignore", invalid="ignore"):
        rc, rt = sc / wc, st / wt
        scale_c = wc * (rc if relative else 1.0)
        scale_t = wt * (rt if relative else 1.0)
        # Σ_j (x_j − y_j)², x_j = (s_tj − r_t w_tj) / scale_t, y_j = (s_cj − r_c w_cj) / scale_c
        xx = (_cumsum(s_t * s_t) - 2 * rt * _cumsum(s_t * w_t) + rt * rt * _cumsum(w_t * w_t)) / (scale_t * scale_t)
        yy = (_cumsum(s_c * s_c) - 2 * rc * _cumsum(s_c * w_c) + rc * rc * _cumsum(w_c * w_c)) / (scale_c * scale_c)
        xy = (_cumsum(s_t * s_c) - rc * _cumsum(s_t * w_c) - rt * _cumsum(w_t * s_c) + rt * rc * _cumsum(w_t * w_c)) / (scale_t * scale_c)
        k = clusters(w_c, w_t)
        robust = np.maximum(xx + yy - 2 * xy, 0.0) * k / (k - 1)
    return np.where(k > 1, robust, np.nan)


def clusters(w_c: Array, w_t: Array) -> Array:
    """Blocks so far in which both arms had weight (requests): the clusters that carry information.
    Empty blocks (no traffic at night, before the first request) neither count towards the minimum
    nor make the small-sample correction look better than it is."""
    return np.cumsum((np.asarray(w_c) > 0) & (np.asarray(w_t) > 0), axis=-1).astype(np.float64)


def log_mixture(theta_hat: Any, variance: Any, tau: float, theta0: Any, side: int) -> Array:
    """ln Λ± of the half-normal mixture SPRT of H0: θ ≤ θ0 (side=+1) or θ ≥ θ0 (side=−1)."""
    from scipy.special import log_ndtr  # pyright: ignore[reportUnknownVariableType]

    tau2 = tau * tau
    d = np.asarray(theta_hat, dtype=np.float64) - theta0
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        root = np.sqrt(variance * (variance + tau2))
        two_sided = 0.5 * np.log(variance / (variance + tau2)) + tau2 * d * d / (2 * variance * (variance + tau2))
        return math.log(2) + two_sided + log_ndtr(side * d * tau / root)  # pyright: ignore[reportUnknownVariableType]


def always_valid_p(log_lr: Array) -> Array:
    """Running minimum of 1/Λ over the looks (last axis), at most 1; NaN looks are skipped."""
    p = np.exp(-np.maximum(np.nan_to_num(log_lr, nan=0.0), 0.0))
    return np.minimum.accumulate(p, axis=-1)


def bound(theta_hat: Array, variance: Array, tau: float, alpha: float, side: int) -> Array:
    """One-sided always-valid bound at each look: the θ0 where 1/Λ(θ0) = alpha, found by bisection;
    side=+1 gives the lower bound (θ0 below it is rejected by the roll-back style test), −1 the upper.
    The running max (lower) / min (upper) over the looks is the bound to report."""
    target = math.log(1 / alpha)
    theta_hat = np.asarray(theta_hat, dtype=np.float64)
    variance = np.asarray(variance, dtype=np.float64)
    distance = np.sqrt(variance)
    for _ in range(64):  # widen until the far end is rejected (the squared term always wins)
        far = log_mixture(theta_hat, variance, tau, theta_hat - side * distance, side) >= target
        if np.all(far | ~np.isfinite(distance)):
            break
        distance = np.where(far, distance, 2 * distance)
    lo = theta_hat - side * distance  # rejected
    hi = np.array(theta_hat, dtype=np.float64)  # at θ̂ itself Λ <= 2·√(V/(V+τ²)) < 1/alpha: not rejected
    for _ in range(50):
        mid = (lo + hi) / 2
        rejected = log_mixture(theta_hat, variance, tau, mid, side) >= target
        lo = np.where(rejected, mid, lo)
        hi = np.where(rejected, hi, mid)
    per_look = np.where(np.isfinite(variance), (lo + hi) / 2, -side * np.inf)
    per_look = np.nan_to_num(per_look, nan=-side * np.inf)
    return np.maximum.accumulate(per_look, axis=-1) if side > 0 else np.minimum.accumulate(per_look, axis=-1)


@dataclass(frozen=True)
class ErrorLooks:
    """The error-rate comparison at every look (last axis = complete blocks so far)."""

    difference: Array
    """θ̂ = p̂_T − p̂_C (NaN before both arms have requests)."""
    variance: Array
    """Variance used: max(binomial, shrunk cluster-robust)."""
    design_effect: Array
    """variance / binomial variance: how much the bursts widen the test."""
    p_worse: Array
    """Always-valid p of H0: θ ≤ 0 (roll back when small)."""
    p_noninferior: Array
    """Always-valid p of H0: θ ≥ margin (promote when small)."""
    errors: Array
    """Failed requests in both arms so far."""
    clusters: Array
    """Blocks so far in which both arms had requests (what MIN_BLOCKS counts)."""


def error_looks(n_c: Any, e_c: Any, n_t: Any, e_t: Any, *, tau: float, margin: float) -> ErrorLooks:
    """Per-block counts of the control and a variant (..., blocks) -> the test at every look."""
    n_c, e_c, n_t, e_t = (np.asarray(x, dtype=np.float64) for x in (n_c, e_c, n_t, e_t))
    nc, ec, nt, et = _cumsum(n_c), _cumsum(e_c), _cumsum(n_t), _cumsum(e_t)
    with np.errstate(divide="ignore", invalid="ignore"):
        theta = np.where((nc > 0) & (nt > 0), et / nt - ec / nc, np.nan)
    binomial = binomial_variance(nc, ec, nt, et)
    robust = cluster_variance(e_c, n_c, e_t, n_t)
    k = clusters(n_c, n_t)
    shrunk = np.where(
        np.isfinite(robust),
        ((k - 1) * np.nan_to_num(robust) + PRIOR_BLOCKS * PRIOR_DESIGN_EFFECT * binomial) / np.maximum(k - 1 + PRIOR_BLOCKS, 1.0),
        PRIOR_DESIGN_EFFECT * binomial,
    )
    variance = np.maximum(binomial, shrunk)
    valid = np.isfinite(theta)
    theta_safe = np.where(valid, theta, 0.0)
    worse = np.where(valid, log_mixture(theta_safe, variance, tau, 0.0, +1), np.nan)
    noninferior = np.where(valid, log_mixture(theta_safe, variance, tau, margin, -1), np.nan)
    return ErrorLooks(theta, variance, variance / binomial, always_valid_p(worse), always_valid_p(noninferior), ec + et, k)


@dataclass(frozen=True)
class LatencyLooks:
    """Mean response time of the variant relative to the control at every look."""

    relative: Array
    """mean_T / mean_C − 1 (NaN where unknown)."""
    variance: Array
    """Variance of the log ratio (NaN where unknown or before MIN_BLOCKS)."""
    p_worse: Array
    """Always-valid p of H0: ratio ≤ 1 + margin (roll back when small)."""
    p_noninferior: Array
    """Always-valid p of H0: ratio ≥ 1 + margin (promote when small)."""


def latency_looks(sum_c: Any, count_c: Any, sum_t: Any, count_t: Any, *, margin: float) -> LatencyLooks:
    """Per-block total response time and sample count per arm -> the relative-difference test.

    τ is log(1 + margin): the test is tuned to the difference that matters. No decision before
    MIN_BLOCKS blocks: there is no binomial floor to lean on for times.
    """
    s_c, w_c, s_t, w_t = (np.asarray(x, dtype=np.float64) for x in (sum_c, count_c, sum_t, count_t))
    with np.errstate(divide="ignore", invalid="ignore"):
        log_ratio = np.log(_cumsum(s_t) / _cumsum(w_t)) - np.log(_cumsum(s_c) / _cumsum(w_c))
    variance = cluster_variance(s_c, w_c, s_t, w_t, relative=True)
    k = clusters(w_c, w_t)
    ok = np.isfinite(log_ratio) & np.isfinite(variance) & (variance > 0) & (k >= MIN_BLOCKS)
    tau = math.log(1 + margin)
    theta = np.where(ok, log_ratio, 0.0)
    v = np.where(ok, variance, 1.0)
    worse = np.where(ok, log_mixture(theta, v, tau, tau, +1), np.nan)
    better = np.where(ok, log_mixture(theta, v, tau, tau, -1), np.nan)
    with np.errstate(invalid="ignore"):
        relative = np.exp(log_ratio) - 1
    return LatencyLooks(relative, np.where(ok, variance, np.nan), always_valid_p(worse), always_valid_p(better))


def holm(p_values: Any, alpha: float) -> NDArray[np.bool_]:
    """Holm's step-down rejections over the last axis (the comparisons): family-wise error <= alpha.

    Valid with always-valid p-values at any look, since each is a valid p-value at that look.
    """
    p = np.asarray(p_values, dtype=np.float64)
    m = p.shape[-1]
    order = np.argsort(p, axis=-1)
    sorted_p = np.take_along_axis(p, order, axis=-1)
    thresholds = alpha / (m - np.arange(m))
    passing = np.logical_and.accumulate(sorted_p <= thresholds, axis=-1)
    out = np.zeros_like(passing)
    np.put_along_axis(out, order, passing, axis=-1)
    return out


def holm_adjusted(p_values: Any) -> Array:
    """Holm-adjusted p-values over the last axis (reject where <= alpha), for the JSON."""
    p = np.asarray(p_values, dtype=np.float64)
    m = p.shape[-1]
    order = np.argsort(p, axis=-1)
    sorted_p = np.take_along_axis(p, order, axis=-1)
    adjusted = np.minimum(1.0, np.maximum.accumulate(sorted_p * (m - np.arange(m)), axis=-1))
    out = np.empty_like(adjusted)
    np.put_along_axis(out, order, adjusted, axis=-1)
    return out


def enough_for_promote(looks: Any, errors: Any, variant_requests: Any, margin: float) -> NDArray[np.bool_]:
    """The documented minimum before `promote`: MIN_BLOCKS blocks with traffic in both arms, and MIN_ERRORS failed requests
    in both arms or so many variant requests that the margin alone would be MIN_ERRORS failures."""
    errors_ok = (np.asarray(errors) >= MIN_ERRORS) | (margin * np.asarray(variant_requests) >= MIN_ERRORS)
    return (np.asarray(looks) >= MIN_BLOCKS) & errors_ok


def decisions(p_worse: Any, p_noninferior: Any, promotable: Any, alpha: float) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """Roll back / promote for every comparison (last axis) at one look.

    Holm is applied per kind of decision, so the chance of any wrong `roll back` among the
    comparisons, and of any wrong `promote`, is each at most alpha. Roll back wins over promote.
    """
    roll_back = holm(p_worse, alpha)
    promote = holm(p_noninferior, alpha) & np.asarray(promotable, dtype=bool) & ~roll_back
    return roll_back, promote
