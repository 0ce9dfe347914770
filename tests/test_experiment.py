"""`ab-routing:experiment`: parsing, ranges, errors that name the key, and no resource changes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ab_routing.config import parse_config
from ab_routing.experiment import Experiment, parse_experiment
from ab_routing.keys import Number, fields_of
from ab_routing.validate import ConfigError
from tests.support import base_raw, registrations, run


def test_absent_is_none_and_an_empty_map_takes_every_default() -> None:
    assert parse_experiment(None) == (None, [])
    experiment, problems = parse_experiment({})
    assert problems == [] and experiment == Experiment()
    assert experiment is not None
    assert (experiment.error_margin, experiment.latency_margin, experiment.alpha, experiment.min_detectable_effect) == (
        0.005,
        0.1,
        0.05,
        None,
    )


def test_margins_are_points_and_percent_in_config_and_fractions_for_the_report() -> None:
    experiment, _ = parse_experiment(
        {"start": "2026-11-22T10:00:00Z", "errorMargin": 0.25, "latencyMargin": "20", "minDetectableEffect": 1}
    )
    assert experiment is not None
    assert experiment.start == datetime(2026, 11, 22, 10, tzinfo=UTC)
    assert (experiment.error_margin, experiment.latency_margin, experiment.min_detectable_effect) == (0.0025, 0.2, 0.01)


def test_a_start_with_an_offset_is_converted_to_utc() -> None:
    experiment, _ = parse_experiment({"start": "2026-11-22T12:00:00+02:00"})
    assert experiment is not None and experiment.start == datetime(2026, 11, 22, 10, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "path", "allowed"),
    [
        ({"start": "2026-11-22T10:00:00"}, "experiment.start", "with a zone"),
        ({"start": "yesterday"}, "experiment.start", "ISO 8601"),
        ({"start": 5}, "experiment.start", "ISO 8601"),
        ({"start": '"2026-11-22T10:00:00Z"'}, "experiment.start", "the double quotes are part of the value"),
        ({"errorMargin": 0}, "experiment.errorMargin", "from 0.01 to 10 (percentage points)"),
        ({"latencyMargin": "fast"}, "experiment.latencyMargin", "(percent)"),
        ({"alpha": 0.5}, "experiment.alpha", "from 0.001 to 0.2"),
        ({"alpha": True}, "experiment.alpha", "from 0.001 to 0.2"),
        ({"minDetectableEffect": "nan"}, "experiment.minDetectableEffect", "percentage points"),
        ({"errorMragin": 1}, "experiment.errorMragin", "unknown key"),
        ("2026-11-22", "experiment", "must be a map"),
    ],
)
def test_bad_values_name_the_key_the_value_and_what_is_allowed(raw: object, path: str, allowed: str) -> None:
    experiment, problems = parse_experiment(raw)
    assert experiment is None
    assert [p[0] for p in problems] == [path] and allowed in problems[0][2]


@settings(max_examples=80, deadline=None)
@given(
    st.sampled_from([f for f in fields_of(Experiment) if isinstance(f.spec.kind, Number)]),
    st.floats(allow_nan=False, min_value=-1e3, max_value=1e3),
)
def test_every_number_is_accepted_exactly_when_it_is_in_range(field: object, value: float) -> None:
    kind = field.spec.kind  # type: ignore[attr-defined]
    experiment, problems = parse_experiment({field.spec.name: value})  # type: ignore[attr-defined]
    inside = kind.lo <= value <= kind.hi
    assert (experiment is not None) == inside and (problems == []) == inside


def test_the_stack_config_carries_the_experiment_and_reports_its_problems_with_the_others() -> None:
    raw = base_raw()
    raw["experiment"] = {"start": "2026-11-22T10:00:00Z", "errorMargin": 0.3}
    config = parse_config(raw)
    assert config.experiment is not None and config.experiment.error_margin_points == 0.3
    assert parse_config(base_raw()).experiment is None
    raw["experiment"] = {"alpha": 1}
    raw["stickiness"] = {"enabled": "yes"}
    with pytest.raises(ConfigError) as error:
        parse_config(raw)
    text = error.value.render()
    assert "experiment.alpha: got 1; must be a number from 0.001 to 0.2" in text and "stickiness.enabled" in text


def test_changing_the_experiment_registers_nothing_new() -> None:
    raw = base_raw()
    before = registrations(run(raw))
    raw["experiment"] = {"start": "2026-11-22T10:00:00Z", "errorMargin": 0.2, "latencyMargin": 5, "alpha": 0.01}
    after = registrations(run(raw))
    assert before == after
