"""Verdicts from per-period figures (build_report, no AWS): anchoring, roll back, non-inferiority,
guardrails, several variants, the split check, tau, and the metrics file format."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

from ab_routing.experiment import Experiment
from ab_routing.report.metrics_file import MetricsFileError, parse_metrics, render_metrics
from ab_routing.report.sequential import MIN_BLOCKS
from ab_routing.report.verdict import choose_tau, verdict_of
from tests.report_support import START, comparison, report_for, simulated

HALF = {"champion": 50, "challenger": 50}


def pair(rate_c: float, rate_t: float, minutes: int, seed: int = 1, per_minute: float = 100, latency_t: float | None = 0.1) -> list:
    rng = np.random.default_rng(seed)
    return [simulated("challenger", rate_t, per_minute, minutes, rng, latency_t), simulated("champion", rate_c, per_minute, minutes, rng)]


def test_a_doubled_error_rate_is_rolled_back_with_the_reason_and_figures() -> None:
    report = report_for(pair(0.01, 0.02, 180), HALF)
    c = comparison(report, "challenger")
    assert c["verdict"] == "roll back" and "significantly more failed requests" in c["reason"]
    assert c["errorBounds"][0] > 0 and c["pWorseAdjusted"] <= 0.05 and c["looks"] == 18
    assert verdict_of(report, "challenger").verdict == "roll back" and verdict_of(report, "champion").verdict == "control"


def test_an_equal_variant_is_promoted_only_after_the_minimum_and_within_the_margin() -> None:
    early = comparison(report_for(pair(0.01, 0.01, 10 * (MIN_BLOCKS - 1)), HALF), "challenger")
    assert early["verdict"] == "keep collecting" and f"minimum of {MIN_BLOCKS} blocks" in early["reason"]
    late = comparison(report_for(pair(0.01, 0.01, 600), HALF), "challenger")
    assert late["verdict"] == "promote" and late["errorBounds"][1] < 0.005
    assert late["latency"]["known"] and late["latency"]["bounds"][1] < 0.1
    strict = comparison(report_for(pair(0.01, 0.01, 600), HALF, experiment=Experiment(start=START, error_margin_points=0.05)), "challenger")
    assert strict["verdict"] == "keep collecting" and "below +0.05 pp (errorMargin)" in strict["reason"]


def test_unknown_latency_blocks_promotion_and_slow_latency_rolls_back() -> None:
    unknown = comparison(report_for(pair(0.01, 0.01, 600, latency_t=None), HALF), "challenger")
    assert unknown["verdict"] == "keep collecting" and "latency unknown" in unknown["reason"]
    slow = comparison(report_for(pair(0.01, 0.01, 300, latency_t=0.13), HALF), "challenger")
    assert slow["verdict"] == "roll back" and "mean response time known to be more than 10%" in slow["reason"]
    assert slow["latency"]["bounds"][0] > 0.1


def test_a_window_not_starting_at_the_experiment_start_decides_nothing_but_shows_figures() -> None:
    report = report_for(pair(0.01, 0.03, 180), HALF, since="2h")
    c = comparison(report, "challenger")
    assert c["verdict"] == "no decision" and "not at the experiment start" in c["reason"]
    assert c["errorRateDiff"] > 0 and report["decision"]["verdict"] == "no decision"
    none = report_for(pair(0.01, 0.03, 180), HALF, experiment=Experiment())
    assert comparison(none, "challenger")["verdict"] == "no decision"
    assert "set ab-routing:experiment.start" in comparison(none, "challenger")["reason"]


def test_a_broken_split_says_fix_the_split_and_leaves_weight_zero_out() -> None:
    rng = np.random.default_rng(3)
    metrics = [simulated("challenger", 0.01, 40, 180, rng), simulated("champion", 0.01, 60, 180, rng), simulated("old", 0.0, 5, 180, rng)]
    report = report_for(metrics, {"champion": 50, "challenger": 50, "old": 0})
    assert report["srm"]["mismatch"] and report["srm"]["tested"] == ["challenger", "champion"]
    assert comparison(report, "challenger")["verdict"] == "fix the split"
    assert comparison(report, "old")["verdict"] == "not in the split"
    assert report["srm"]["zeroWeightTraffic"][0]["variant"] == "old"


def test_holm_adjusts_for_several_challengers() -> None:
    rng = np.random.default_rng(5)
    names = ["champion", "a", "b", "c", "d"]
    metrics = [simulated(n, 0.01, 40, 240, rng) for n in names]
    report = report_for(metrics, dict.fromkeys(names, 20))
    for c in report["comparisons"]:
        assert c["pWorseAdjusted"] >= c["pWorse"] and c["pNonInferiorAdjusted"] >= c["pNonInferior"]
    assert max(c["pWorseAdjusted"] for c in report["comparisons"]) <= 1


def test_tau_is_fixed_before_the_start_and_recorded() -> None:
    assert choose_tau(None, (5000, 10)).value == 0.002
    assert choose_tau(None, (100, 10)).value == 0.01 and "fewer than 1000" in choose_tau(None, (100, 10)).source
    assert choose_tau(Experiment(min_detectable_effect_points=0.3), (5000, 10)).value == pytest.approx(0.003)
    assert choose_tau(Experiment(), (5000, 10), override=0.02).source == "--tau"
    report = report_for(pair(0.01, 0.01, 60), HALF, tau=0.004)
    assert report["settings"]["tau"] == 0.004
    c = comparison(report, "challenger")
    assert 0 < c["findableInADay"] < 0.01 and (c["expectedMinutesToVerdict"] is None or c["expectedMinutesToVerdict"] >= 0)


def test_the_document_keeps_its_field_names_and_is_json() -> None:
    report = report_for(pair(0.01, 0.01, 60), HALF)
    document = json.loads(json.dumps(report))
    assert {"stack", "region", "status", "loadBalancer", "window", "method", "settings", "variants", "srm", "comparisons", "notes"} <= set(
        document
    )
    assert {"pValue", "mismatch", "threshold", "tested", "expectedRequests", "reason", "zeroWeightTraffic", "caveats"} <= set(
        document["srm"]
    )
    assert {"errorRateDiff", "ci95", "ciEmpty", "pValue", "significant", "looks", "verdict", "reason"} <= set(document["comparisons"][0])
    assert document["experiment"]["errorMargin"] == 0.005 and document["experiment"]["latencyMargin"] == 0.1


# -- metrics file ---------------------------------------------------------------------------------


def test_metrics_round_trip_through_the_file_format() -> None:
    metrics = pair(0.01, 0.02, 5)
    text = render_metrics(START, 60, metrics)
    assert text.splitlines()[0] == "period_start,variant,requests,errors,target5xx,connection_errors,elb5xx,latency_avg_ms"
    assert text.splitlines()[1].startswith("2026-11-22T10:00:00Z,challenger,")
    back = parse_metrics(text, ["champion", "challenger"])
    assert (back.start, back.period, back.periods) == (START, 60, 5)
    by_name = {m.name: m for m in back.metrics}
    for m in metrics:
        assert by_name[m.name].requests == m.requests and by_name[m.name].errors == m.errors
        assert by_name[m.name].latency_avg == pytest.approx(m.latency_avg, abs=1e-6)


HEADER = "period_start,variant,requests,errors\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("period_start,variant,requests\n", "line 1: missing column errors"),
        (HEADER.strip() + ",colour\n", "line 1: unknown column 'colour'"),
        (HEADER + "2026-11-22T10:00:00Z,champion,-5,0\n", "line 2: requests '-5' must be a whole number >= 0"),
        (HEADER + "2026-11-22T10:00:00Z,champion,5,6\n", "line 2: errors 6 > requests 5"),
        (HEADER + "2026-11-22T10:00:00Z,champion,5,1\n2026-11-22T10:00:00Z,nobody,5,1\n", "line 3: unknown variant 'nobody'"),
        (HEADER + "2026-11-22T10:00:00,champion,5,1\n", "line 2: period_start '2026-11-22T10:00:00' is not an ISO 8601 UTC"),
        (HEADER + "2026-11-22T10:00:00Z,champion,5,1\n2026-11-22T10:00:00Z,champion,5,1\n", "line 3: a second row for champion"),
        (
            HEADER + "2026-11-22T10:00:00Z,champion,5,1\n2026-11-22T10:01:00Z,champion,5,1\n2026-11-22T10:01:30Z,champion,5,1\n",
            "line 4: period_start 2026-11-22T10:01:30Z is not on a whole minute",
        ),
        (
            HEADER + "2026-11-22T10:00:00Z,champion,5,1\n2026-11-22T10:02:00Z,champion,5,1\n2026-11-22T10:05:00Z,champion,5,1\n",
            "line 4: period_start 2026-11-22T10:05:00Z breaks the file's periods of 120 s",
        ),
        (HEADER, "no data rows"),
    ],
)
def test_bad_metrics_files_are_errors_naming_the_line(text: str, message: str) -> None:
    with pytest.raises(MetricsFileError) as error:
        parse_metrics(text, ["champion", "challenger"], "m.csv")
    assert str(error.value).startswith("m.csv: ") and message in str(error.value)


def test_a_file_without_the_breakdown_reports_errors_but_not_target5xx() -> None:
    rows = "2026-11-22T10:00:00Z,champion,10,2\n2026-11-22T10:01:00Z,challenger,10,1\n2026-11-22T10:03:00Z,champion,4,0\n"
    data = parse_metrics(HEADER + rows, ["champion", "challenger"])
    assert data.periods == 4 and data.metrics[1].requests == (10, 0, 0, 4) and data.metrics[1].errors == (2, 0, 0, 0)
    assert not data.metrics[1].breakdown and data.metrics[0].latency_avg == ()
    report = report_for([replace(m, latency={s: m.latency[s] for s in m.latency}) for m in data.metrics], HALF)
    assert report["variants"][0]["target5xx"] is None


def test_a_worse_variant_is_rolled_back_even_with_a_broken_split_which_is_named() -> None:
    rng = np.random.default_rng(9)
    metrics = [simulated("challenger", 0.05, 40, 120, rng), simulated("champion", 0.01, 60, 120, rng)]
    c = comparison(report_for(metrics, HALF), "challenger")
    assert c["verdict"] == "roll back" and "the split is also off" in c["reason"]


def test_a_variant_that_was_better_and_then_equal_is_not_read_as_a_loss() -> None:
    # An early stretch where the variant failed less earns nothing for the roll-back test (one-sided).
    rng = np.random.default_rng(10)
    better = simulated("challenger", 0.0, 100, 60, rng)
    same = simulated("challenger", 0.01, 100, 240, rng)
    joined = replace(same, requests=better.requests + same.requests, target_5xx=better.target_5xx + same.target_5xx,
                     connection_errors=(0,) * 300, latency_avg=better.latency_avg + same.latency_avg,
                     latency_samples=better.latency_samples + same.latency_samples)  # fmt: skip
    c = comparison(report_for([joined, simulated("champion", 0.01, 100, 300, rng)], HALF), "challenger")
    assert c["verdict"] != "roll back" and c["pWorse"] > 0.05
