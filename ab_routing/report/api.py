"""The report as a function, for other commands: "what is the verdict for variant V since time T?".

`rollout` asks this after every step (T = when the step's weights took effect). The window is
anchored at T, so the verdict carries the report's guarantees; tau comes from `--tau`-like
`tau`, else `experiment.minDetectableEffect`, else the control's error rate in the day before T.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from ab_routing.experiment import Experiment
from ab_routing.model import RoutingConfig
from ab_routing.outputs import Deployed


def report_since(
    *,
    stack: str,
    config: RoutingConfig,
    deployed: Deployed,
    cloudwatch: Any,
    since: datetime,
    now: datetime,
    tau: float | None = None,
) -> dict[str, Any]:
    """The whole report document (as `report --json` prints it) for the experiment that started at
    `since`, up to `now`. Raises `ab_routing.report.metrics.MetricsError` when CloudWatch fails.
    Pick one variant with `ab_routing.report.verdict.verdict_of(report, name)`."""
    from ab_routing.report.metrics import VariantTarget, fetch_baseline, fetch_metrics
    from ab_routing.report.verdict import BASELINE_SECONDS, anchored_reason, build_report, choose_tau
    from ab_routing.report.window import Window, ceil_minute, make_anchored_window

    experiment = replace(config.experiment or Experiment(), start=since)
    window = make_anchored_window(now, since)
    targets = [VariantTarget(v.name, v.target_group_arn_suffix) for v in deployed.variants]
    metrics = fetch_metrics(cloudwatch, deployed.load_balancer_arn_suffix, targets, window)
    baseline = None
    control = config.control
    if tau is None and control is not None and deployed.variant(control.name) is not None:
        begin = ceil_minute(since)
        day = Window("baseline", begin - timedelta(seconds=BASELINE_SECONDS), begin, 3600, BASELINE_SECONDS // 3600, 60)
        target = next(t for t in targets if t.name == control.name)
        baseline = fetch_baseline(cloudwatch, deployed.load_balancer_arn_suffix, target, day)
    return build_report(
        stack=stack,
        region=str(getattr(getattr(cloudwatch, "meta", None), "region_name", config.region)),
        config=config,
        deployed=deployed,
        metrics=metrics,
        window=window,
        tau=choose_tau(experiment, baseline, tau),
        experiment=experiment,
        no_decision=anchored_reason(window, since),
    )
