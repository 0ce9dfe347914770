"""Shared helpers for the report's decision tests: per-period metrics without AWS, and a report from them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from ab_routing.config import parse_config
from ab_routing.experiment import Experiment
from ab_routing.outputs import parse_outputs
from ab_routing.report.metrics import Percentile, VariantMetrics
from ab_routing.report.verdict import Tau, anchored_reason, build_report
from ab_routing.report.window import ANCHORED, Window

START = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
INSTANCE = "i-0123456789abcdef0"


def simulated(
    name: str,
    rate: float,
    per_minute: float,
    minutes: int,
    rng: np.random.Generator,
    latency_s: float | None = 0.1,
) -> VariantMetrics:
    """One variant's per-minute counts with independent errors, and a mean latency per minute."""
    n = rng.poisson(per_minute, minutes)
    e = rng.binomial(n, rate)
    avg = tuple(float(latency_s * rng.uniform(0.95, 1.05)) if latency_s is not None and k else None for k in n)
    return VariantMetrics(
        name,
        tuple(int(x) for x in n),
        tuple(int(x) for x in e),
        (0,) * minutes,
        {s: Percentile(None, "not simulated") for s in ("p50", "p90", "p99")},
        latency_avg=avg if latency_s is not None else (),
        latency_samples=tuple(int(x) for x in n) if latency_s is not None else (),
    )


def report_for(
    metrics: Sequence[VariantMetrics],
    weights: Mapping[str, int],
    *,
    experiment: Experiment | None = None,
    since: str = ANCHORED,
    tau: float = 0.01,
    control: str = "champion",
) -> dict[str, Any]:
    """build_report over `metrics` (one-minute periods from START) with `weights` deployed."""
    experiment = experiment if experiment is not None else Experiment(start=START)
    config = parse_config(
        {
            "variants": {
                name: {"weight": w, "targets": [INSTANCE], **({"control": True} if name == control else {})} for name, w in weights.items()
            }
        }
    )
    deployed = parse_outputs(
        {
            "loadBalancerArnSuffix": "app/lb/1",
            "variants": {name: {"targetGroupArnSuffix": f"targetgroup/{name}/1", "weight": w} for name, w in weights.items()},
        },
        "test",
    )
    minutes = len(metrics[0].requests)
    window = Window(since, START, START + timedelta(minutes=minutes), 60, minutes, 60)
    return build_report(
        stack="dev",
        region="test",
        config=config,
        deployed=deployed,
        metrics=metrics,
        window=window,
        tau=Tau(tau, "test"),
        experiment=experiment,
        no_decision=anchored_reason(window, experiment.start),
    )


def comparison(report: Mapping[str, Any], variant: str) -> Mapping[str, Any]:
    return next(c for c in report["comparisons"] if c["variant"] == variant)
