"""The burst-robust sequential tests: formulas against brute force and numerical integration, Holm,
and a seconds-long smoke run of the benchmark (the full study is benchmarks/decisions.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import quad
from scipy.stats import norm

from ab_routing.report import sequential as seq
from ab_routing.report.stats import Counts, sequential_difference
from benchmarks import decisions as bench


def test_cluster_variance_matches_the_delta_method_computed_block_by_block() -> None:
    rng = np.random.default_rng(2)
    n_c, n_t = rng.poisson(500, 30).astype(float), rng.poisson(300, 30).astype(float)
    e_c, e_t = rng.binomial(n_c.astype(int), 0.02).astype(float), rng.binomial(n_t.astype(int), 0.03).astype(float)
    fast = seq.cluster_variance(e_c, n_c, e_t, n_t)
    for k in (2, 7, 30):
        p_c, p_t = e_c[:k].sum() / n_c[:k].sum(), e_t[:k].sum() / n_t[:k].sum()
        r = (e_t[:k] - p_t * n_t[:k]) / n_t[:k].sum() - (e_c[:k] - p_c * n_c[:k]) / n_c[:k].sum()
        assert fast[k - 1] == pytest.approx(k / (k - 1) * np.sum(r**2), rel=1e-9)
    assert math.isnan(fast[0])


def test_bursts_shared_by_both_arms_cancel_and_variance_never_drops_below_binomial() -> None:
    n = np.full(50, 1000.0)
    burst = np.where(np.arange(50) % 10 == 0, 50.0, 5.0)  # the same blip in both arms
    looks = seq.error_looks(n, burst, n, burst, tau=0.01, margin=0.005)
    binomial = seq.binomial_variance(np.cumsum(n), np.cumsum(burst), np.cumsum(n), np.cumsum(burst))
    assert np.all(looks.variance >= binomial * (1 - 1e-12))
    assert np.all(looks.p_worse == 1.0)


@pytest.mark.parametrize(("theta", "v", "tau", "theta0", "side"), [(0.004, 1e-5, 0.01, 0.0, 1), (-0.002, 4e-6, 0.005, 0.003, -1)])
def test_half_normal_mixture_matches_numerical_integration(theta: float, v: float, tau: float, theta0: float, side: int) -> None:
    def integrand(delta: float) -> float:
        likelihood_ratio = math.exp((delta * (theta - theta0) - delta**2 / 2) / v)
        return likelihood_ratio * 2 * float(norm.pdf(delta, scale=tau))

    value = quad(integrand, 0, 20 * tau)[0] if side > 0 else quad(integrand, -20 * tau, 0)[0]
    assert float(seq.log_mixture(np.array(theta), np.array(v), tau, theta0, side)) == pytest.approx(math.log(value), rel=1e-6)


@settings(max_examples=15, deadline=None)
@given(st.floats(-0.05, 0.05), st.floats(1e-7, 1e-3), st.sampled_from([0.001, 0.01]), st.sampled_from([0.01, 0.05]))
def test_the_bounds_are_where_the_test_reaches_one_over_alpha(theta: float, v: float, tau: float, alpha: float) -> None:
    for side in (+1, -1):
        b = float(seq.bound(np.array([theta]), np.array([v]), tau, alpha, side)[-1])
        assert float(seq.log_mixture(np.array(theta), np.array(v), tau, b, side)) == pytest.approx(math.log(1 / alpha), abs=1e-4)
        assert (b <= theta) if side > 0 else (b >= theta)


def test_holm_known_values_and_its_place_between_bonferroni_and_unadjusted() -> None:
    assert seq.holm([0.01, 0.04, 0.02], 0.05).tolist() == [True, True, True]
    assert seq.holm([0.5, 0.001, 0.03], 0.05).tolist() == [False, True, False]
    assert seq.holm_adjusted([0.01, 0.04, 0.02]).tolist() == pytest.approx([0.03, 0.04, 0.04])
    rng = np.random.default_rng(0)
    p = rng.uniform(0, 0.1, (500, 4))
    rejected = seq.holm(p, 0.05)
    assert np.all(rejected >= (p <= 0.05 / 4)) and np.all(rejected <= (p <= 0.05))
    assert np.array_equal(rejected, seq.holm_adjusted(p) <= 0.05)


def test_the_benchmark_replica_of_the_old_procedure_is_the_old_code() -> None:
    rng = np.random.default_rng(4)
    s = bench.Scenario("t", (0.01, 0.02), (0.5, 0.5), 100)
    n, e = bench.simulate(s, 1, rng)
    lo, hi = bench._old_interval(n[0], e[0], n[1], e[1])  # pyright: ignore[reportPrivateUsage]
    old = sequential_difference(
        [Counts(int(a), int(b)) for a, b in zip(np.cumsum(n[0][0]), np.cumsum(e[0][0]), strict=True)],
        [Counts(int(a), int(b)) for a, b in zip(np.cumsum(n[1][0]), np.cumsum(e[1][0]), strict=True)],
    )
    assert old.interval is not None and (lo[0, -1], hi[0, -1]) == pytest.approx(old.interval)


def test_benchmark_smoke_a_doubling_is_rolled_back_and_identical_arms_are_not() -> None:
    rng = np.random.default_rng(8)
    doubling = bench.Scenario("2x", (0.01, 0.02), (0.5, 0.5), 100, "bursts")
    back, _ = bench.now_procedure(doubling, *bench.simulate(doubling, 40, rng))
    assert np.mean(np.isfinite(back)) >= 0.9 and np.median(back) <= 180
    same = bench.Scenario("a/a", (0.01,) * 3, (0.4, 0.3, 0.3), 100, "bursts")
    back, promote = bench.now_procedure(same, *bench.simulate(same, 40, rng))
    assert np.mean(np.isfinite(back)) <= 0.15 and np.all(promote >= seq.MIN_BLOCKS * 10)
