"""The two-sided mSPRT and Wilson interval: known values, bad input, and small simulations of what
peeking does (the full operating characteristics of today's decisions: benchmarks/decisions.py).

The simulations are the point of the sequential test: a report is re-run whenever someone looks,
so identical variants must rarely ever read "significant" across all those looks (the naive z-test
does, often), while a real difference must still be found.
"""

from __future__ import annotations

import math
from itertools import pairwise

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import binomtest, norm

from ab_routing.report.stats import (
    ALPHA,
    Counts,
    always_valid_radius,
    cumulative,
    difference_variance,
    fixed_horizon_z_p_value,
    log_mixture_likelihood_ratio,
    sequential_difference,
    wilson_interval,
)

# -- Wilson interval -------------------------------------------------------------------------------


@pytest.mark.parametrize(("errors", "requests"), [(0, 10), (5, 10), (1, 1000), (37, 2500), (10, 10), (0, 1)])
def test_wilson_interval_matches_scipy(errors: int, requests: int) -> None:
    expected = binomtest(errors, requests).proportion_ci(confidence_level=0.95, method="wilson")
    interval = wilson_interval(errors, requests)
    assert interval is not None
    assert interval == pytest.approx((expected.low, expected.high), abs=1e-12)


def test_wilson_interval_has_a_positive_upper_bound_at_zero_errors() -> None:
    # 0 errors in 10 requests does not mean "0% errors": the upper bound is z²/(n+z²) ≈ 27.8%.
    assert wilson_interval(0, 10) == pytest.approx((0.0, 0.2775), abs=1e-4)


def test_wilson_interval_without_requests_is_none_and_bad_counts_are_refused() -> None:
    assert wilson_interval(0, 0) is None
    with pytest.raises(ValueError, match="more errors"):
        wilson_interval(3, 2)
    with pytest.raises(ValueError, match="non-negative"):
        Counts(-1, 0)


# -- mSPRT building blocks ---------------------------------------------------------------------------


def test_log_likelihood_ratio_matches_the_formula_in_plain_form() -> None:
    theta, v, tau = 0.004, 2e-6, 0.01
    plain = math.sqrt(v / (v + tau**2)) * math.exp(tau**2 * theta**2 / (2 * v * (v + tau**2)))
    assert math.exp(log_mixture_likelihood_ratio(theta, v, tau)) == pytest.approx(plain, rel=1e-12)
    # No overflow where the plain form would: a huge difference with many requests.
    assert log_mixture_likelihood_ratio(0.5, 1e-9, 0.01) > 1000


@settings(max_examples=200, deadline=None)
@given(
    st.floats(min_value=1e-9, max_value=0.1),
    st.floats(min_value=1e-4, max_value=0.5),
    st.floats(min_value=0.001, max_value=0.2),
    st.floats(min_value=-0.5, max_value=0.5),
)
def test_radius_is_where_the_likelihood_ratio_reaches_one_over_alpha(v: float, tau: float, alpha: float, theta: float) -> None:
    r = always_valid_radius(v, tau, alpha)
    assert log_mixture_likelihood_ratio(theta, v, tau, theta0=theta + r) == pytest.approx(math.log(1 / alpha), rel=1e-7)
    assert log_mixture_likelihood_ratio(theta, v, tau, theta0=theta - 0.5 * r) < math.log(1 / alpha)


def test_variance_stays_positive_with_no_errors_or_only_errors() -> None:
    assert difference_variance(Counts(1000, 0), Counts(1000, 0)) > 0
    assert difference_variance(Counts(1000, 0), Counts(1000, 1000)) > 0


def test_variance_converges_to_the_plain_plug_in_with_many_requests() -> None:
    c, t = Counts(1_000_000, 10_000), Counts(1_000_000, 30_000)
    plain = 0.01 * 0.99 / 1e6 + 0.03 * 0.97 / 1e6
    assert difference_variance(c, t) == pytest.approx(plain, rel=0.01)


def test_fixed_horizon_z_test_known_value() -> None:
    # pooled p = 0.115, se = sqrt(0.115 * 0.885 * 2/1000), z = 0.03 / se
    z = 0.03 / math.sqrt(0.115 * 0.885 * 0.002)
    assert fixed_horizon_z_p_value(Counts(1000, 100), Counts(1000, 130)) == pytest.approx(2 * float(norm.sf(z)))
    assert fixed_horizon_z_p_value(Counts(0, 0), Counts(10, 1)) is None
    assert fixed_horizon_z_p_value(Counts(10, 0), Counts(10, 0)) == 1.0


def test_cumulative() -> None:
    assert cumulative([3, 0, 2]) == [3, 3, 5]
    assert cumulative([]) == []


# -- the sequential comparison -------------------------------------------------------------------------


def series(per_look: list[tuple[int, int]]) -> list[Counts]:
    requests = cumulative([n for n, _ in per_look])
    errors = cumulative([e for _, e in per_look])
    return [Counts(n, e) for n, e in zip(requests, errors, strict=True)]


def test_no_requests_means_no_looks_and_no_verdict_material() -> None:
    result = sequential_difference(series([(0, 0)] * 5), series([(100, 1)] * 5))
    assert result.looks == () and result.difference is None and result.interval is None
    assert result.p_value == 1.0 and not result.significant
    empty = sequential_difference([], [])
    assert empty.looks == () and empty.p_value == 1.0


def test_periods_before_both_arms_have_requests_are_skipped() -> None:
    result = sequential_difference(series([(0, 0), (0, 0), (100, 1)]), series([(50, 0), (50, 0), (50, 1)]))
    assert len(result.looks) == 1


def test_zero_errors_everywhere_is_no_difference_with_a_finite_interval() -> None:
    result = sequential_difference(series([(1000, 0)] * 10), series([(1000, 0)] * 10))
    assert result.difference == 0.0 and result.p_value == 1.0 and not result.significant
    assert result.interval is not None and result.interval[0] < 0 < result.interval[1]
    assert result.interval[1] < 0.01  # 10,000 clean requests per arm rule out a 1-point difference


def test_a_broken_variant_failing_every_request_is_caught_within_a_few_hundred_requests() -> None:
    result = sequential_difference(series([(100, 0)] * 3), series([(100, 100)] * 3))
    assert result.significant and result.p_value < 1e-6
    assert result.difference == 1.0
    assert result.interval is not None and result.interval[0] > 0 and result.interval[1] <= 1.0


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="cumulative"):
        sequential_difference([Counts(10, 1), Counts(5, 1)], [Counts(10, 1), Counts(20, 1)])
    with pytest.raises(ValueError, match="one cumulative count per period"):
        sequential_difference([Counts(10, 1)], [])
    with pytest.raises(ValueError, match="tau"):
        sequential_difference([Counts(10, 1)], [Counts(10, 1)], tau=0)


looks_strategy = st.lists(st.tuples(st.integers(0, 400), st.integers(0, 400), st.floats(0, 1), st.floats(0, 1)), min_size=1, max_size=25)


@settings(max_examples=300, deadline=None)
@given(looks_strategy, st.sampled_from([0.002, 0.01, 0.05]))
def test_always_valid_properties_hold_for_any_history(raw: list[tuple[int, int, float, float]], tau: float) -> None:
    control = series([(n, int(n * f)) for n, _, f, _ in raw])
    treatment = series([(n, int(n * f)) for _, n, _, f in raw])
    result = sequential_difference(control, treatment, tau)
    p_values = [look.p_value for look in result.looks]
    assert all(0.0 <= p <= 1.0 for p in p_values)
    assert all(later <= earlier for earlier, later in pairwise(p_values))
    assert result.p_value == (p_values[-1] if p_values else 1.0)
    for look in result.looks:
        lo, hi = look.interval
        assert lo <= look.difference <= hi  # each look's interval is centred on its estimate
        if result.interval is not None:  # the running intersection lies inside every look's interval
            assert lo - 1e-12 <= result.interval[0] <= result.interval[1] <= hi + 1e-12
    if result.interval is not None:
        assert -1.0 <= result.interval[0] <= result.interval[1] <= 1.0
    # p ≤ α exactly when some look's interval excluded 0 (the test and the interval agree),
    # up to floating-point ties right at the boundary.
    excluded = [not (lo < 0 < hi) for lo, hi in (look.interval for look in result.looks)]
    near_tie = any(min(abs(lo), abs(hi)) < 1e-12 for lo, hi in (look.interval for look in result.looks))
    if not near_tie:
        assert result.significant == any(excluded)


# -- simulations: what peeking does -----------------------------------------------------------------


def simulate(
    rng: np.random.Generator, runs: int, looks: int, per_look: tuple[int, int], rates: tuple[float, float]
) -> tuple[float, float, float]:
    """Share of runs that were EVER significant (mSPRT, naive z-test read at every look) and share of
    runs whose always-valid interval ever excluded the true difference."""
    ever_msprt = ever_naive = missed = 0
    for _ in range(runs):
        control = series([(per_look[0], int(e)) for e in rng.binomial(per_look[0], rates[0], looks)])
        treatment = series([(per_look[1], int(e)) for e in rng.binomial(per_look[1], rates[1], looks)])
        result = sequential_difference(control, treatment, tau=0.01)
        ever_msprt += result.significant
        ever_naive += any((fixed_horizon_z_p_value(c, t) or 1.0) < ALPHA for c, t in zip(control, treatment, strict=True))
        truth = rates[1] - rates[0]
        missed += result.interval is None or not result.interval[0] < truth < result.interval[1]
    return ever_msprt / runs, ever_naive / runs, missed / runs


@pytest.mark.parametrize("split", [(500, 500), (900, 100)], ids=["50-50", "90-10"])
def test_identical_variants_checked_after_every_batch_rarely_look_different(split: tuple[int, int]) -> None:
    msprt, naive, _ = simulate(np.random.default_rng(20170813), runs=100, looks=50, per_look=split, rates=(0.01, 0.01))
    assert msprt < ALPHA
    # The naive fixed-horizon z-test, read after each of 50 batches, raises false alarms far above α.
    assert naive > 3 * ALPHA
    assert msprt < naive


def test_a_real_difference_is_found_and_the_interval_covers_it() -> None:
    # 1% vs 3% errors, 40 looks of 60 requests per arm: 2,400 requests per arm by the end
    power, _, missed = simulate(np.random.default_rng(7), runs=100, looks=40, per_look=(60, 60), rates=(0.01, 0.03))
    assert power > 0.8
    assert missed < ALPHA  # the always-valid interval holds the true +2 pp at every look in ≥ 95% of runs
