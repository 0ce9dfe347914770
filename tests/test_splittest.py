"""The always-valid split test (Lindon & Malek 2022): known values, A/A behaviour, weight 0, properties."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import dirichlet_multinomial, multinomial

from ab_routing.splittest import CONCENTRATION, log_bayes_factor, split_test


def test_the_first_request_never_counts_as_evidence_and_the_second_has_a_closed_form() -> None:
    assert log_bayes_factor([1, 0], [1, 1]) == pytest.approx(0.0, abs=1e-12)
    # two requests to the same arm of a 50/50 split: (c/2)(c/2+1)/(c(c+1)) / 0.25 = (c+2)/(c+1)
    assert math.exp(log_bayes_factor([2, 0], [1, 1])) == pytest.approx((CONCENTRATION + 2) / (CONCENTRATION + 1))


@pytest.mark.parametrize(("counts", "weights"), [([480, 520], [1, 1]), ([30, 60, 910], [5, 5, 90]), ([0, 7], [2, 1])])
def test_bayes_factor_is_the_dirichlet_multinomial_over_the_multinomial_likelihood(counts: list[int], weights: list[int]) -> None:
    n, shares = sum(counts), np.array(weights) / sum(weights)
    expected = dirichlet_multinomial.logpmf(counts, CONCENTRATION * shares, n) - multinomial.logpmf(counts, n, shares)
    assert log_bayes_factor(counts, weights) == pytest.approx(float(expected), rel=1e-9, abs=1e-9)


def test_a_correct_split_checked_every_period_is_rarely_flagged() -> None:
    rng = np.random.default_rng(5)
    flagged = 0
    for _ in range(200):
        counts = np.cumsum(rng.multinomial(100, [0.9, 0.1], size=100), axis=0)
        looks = [{"a": int(c[0]), "b": int(c[1])} for c in counts]
        flagged += split_test(looks, {"a": 90, "b": 10}).rejected
    assert flagged / 200 <= 0.05


def test_a_clearly_broken_split_is_flagged_and_called_a_mismatch() -> None:
    result = split_test([{"a": 5600, "b": 4400}], {"a": 1, "b": 1})
    assert result.rejected and result.practical and result.mismatch
    assert result.observed == {"a": 56.0, "b": 44.0} and result.expected == {"a": 50.0, "b": 50.0}
    # 55% of a 50% share is off by exactly 10% of it: not *more* than the practical threshold
    assert not split_test([{"a": 5500, "b": 4500}], {"a": 1, "b": 1}).practical


def test_a_statistically_clear_but_tiny_deviation_is_not_a_mismatch() -> None:
    result = split_test([{"a": 505_000, "b": 495_000}], {"a": 1, "b": 1})
    assert result.rejected and not result.practical and not result.mismatch


def test_weight_zero_variants_are_left_out() -> None:
    with_zero = split_test([{"a": 500, "b": 500, "old": 300}], {"a": 1, "b": 1, "old": 0})
    without = split_test([{"a": 500, "b": 500}], {"a": 1, "b": 1})
    assert with_zero.tested == ("a", "b") and with_zero.excluded == ("old",)
    assert with_zero.p_value == without.p_value and not with_zero.mismatch


def test_fewer_than_two_weighted_variants_or_no_looks_give_p_1() -> None:
    assert split_test([{"a": 10, "b": 90}], {"a": 1, "b": 0}).p_value == 1.0
    assert split_test([], {"a": 1, "b": 1}).p_value == 1.0


@pytest.mark.parametrize(("counts", "weights"), [([], []), ([1], [1, 2]), ([-1, 2], [1, 1]), ([1, 2], [0, 1])])
def test_bad_input_is_refused(counts: list[int], weights: list[int]) -> None:
    with pytest.raises(ValueError, match="counts"):
        log_bayes_factor(counts, weights)


looks_strategy = st.lists(st.tuples(st.integers(0, 500), st.integers(0, 500)), min_size=1, max_size=15)


@settings(max_examples=60, deadline=None)
@given(looks_strategy, st.integers(1, 99))
def test_p_value_is_in_0_1_and_never_rises_as_looks_are_added(steps: list[tuple[int, int]], weight: int) -> None:
    a = b = 0
    looks = []
    previous = 1.0
    for da, db in steps:
        a, b = a + da, b + db
        looks.append({"a": a, "b": b})
        p = split_test(looks, {"a": weight, "b": 100 - weight}).p_value
        assert 0 <= p <= 1 and p <= previous  # 0 only by underflow of a huge Bayes factor
        previous = p


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2000), st.integers(0, 2000), st.integers(1, 99))
def test_names_do_not_matter(a: int, b: int, weight: int) -> None:
    one = split_test([{"x": a, "y": b}], {"x": weight, "y": 100 - weight})
    other = split_test([{"y": a, "x": b}], {"y": weight, "x": 100 - weight})
    assert one.p_value == pytest.approx(other.p_value)
