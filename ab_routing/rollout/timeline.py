"""`rollout --dry-run`: the timeline a rollout would follow, computed from config alone (no AWS).

Figures: the weights at each step (and, for a container variant, how it is scaled ahead of each
step: `ab_routing.rollout.capacity`); the earliest end of each bake; the minimum time until the variant
has all traffic (the bakes before the last step) and until the rollout ends (every bake); the
longest a rollout may take (every step waiting maxDuration for minRequests); and the worst-case time
from the start of a fault to the variant being out of rotation. That last one is the alarm's window
(evaluationPeriods x period: CloudWatch needs that many periods to fire) plus one check interval plus
the verify settle window, plus one `pulumi up` (not estimated). The rollback turns stickiness off in
the same update, so sticky clients leave at once; without that they would stay up to the stickiness
duration, shown for comparison.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ab_routing.model import RoutingConfig
from ab_routing.rollout.capacity import LOOKBACK, SCALE_TIMEOUT_SECONDS
from ab_routing.rollout.settings import RolloutSettings, format_duration
from ab_routing.rollout.weights import percent_of, step_weights


def timeline(
    config: RoutingConfig, variant: str, settings: RolloutSettings, *, check_seconds: int, settle_seconds: float
) -> dict[str, Any]:
    weights = {v.name: v.weight for v in config.variants}
    start = percent_of(weights, variant)
    baseline = {**{n: w for n, w in weights.items() if n != variant}, variant: 0}
    steps: list[dict[str, Any]] = []
    elapsed = 0
    for percent in (s for s in settings.steps if s >= start):
        elapsed += settings.bake_seconds
        steps.append(
            {
                "percent": percent,
                "weights": step_weights(baseline, variant, percent),
                "bakeSeconds": settings.bake_seconds,
                "earliestEndSeconds": elapsed,
            }
        )
    alarm_window = config.alarms.period * config.alarms.evaluation_periods
    worst = alarm_window + check_seconds + int(settle_seconds)
    container = config.variant(variant).container
    scale_ahead = (
        {
            "minCount": container.min_count,
            "maxCount": container.max_count,
            "targetRequestsPerTarget": container.target_requests_per_target,
            "lookbackSeconds": int(LOOKBACK.total_seconds()),
            "timeoutSeconds": int(SCALE_TIMEOUT_SECONDS),
        }
        if container
        else None
    )
    return {
        "variant": variant,
        "dryRun": True,
        "from": weights,
        "steps": steps,
        "minRequests": settings.min_requests,
        "minimumSecondsToFullTraffic": settings.bake_seconds * max(0, len(steps) - 1),
        "minimumSecondsToEnd": elapsed,
        "maximumSeconds": (settings.max_duration_seconds + (int(SCALE_TIMEOUT_SECONDS) if container else 0)) * len(steps),
        "scaleAhead": scale_ahead,
        "rollback": {
            "alarmWindowSeconds": alarm_window,
            "checkSeconds": check_seconds,
            "settleSeconds": int(settle_seconds),
            "worstCaseSeconds": worst,
            "plus": "one `pulumi up`",
            "stickinessSeconds": config.stickiness.duration if config.stickiness.enabled else 0,
            "worstCaseWithoutTurningStickinessOffSeconds": worst + (config.stickiness.duration if config.stickiness.enabled else 0),
        },
    }


def _weights(weights: Mapping[str, int]) -> str:
    return ", ".join(f"{n} {w}" for n, w in sorted(weights.items()))


def render_timeline(doc: Mapping[str, Any], stack: str) -> str:
    d = format_duration
    lines = [f"rollout of {doc['variant']} on stack {stack}: dry run, nothing changed (weights from Pulumi.{stack}.yaml)"]
    lines.append(f"  now            {_weights(doc['from'])}")
    for i, step in enumerate(doc["steps"], 1):
        lines.append(
            f"  step {i} {step['percent']:>3}%   {_weights(step['weights'])}   bake {d(step['bakeSeconds'])}, "
            f"then at least {doc['minRequests']} requests (earliest end +{d(step['earliestEndSeconds'])})"
        )
    rb = doc["rollback"]
    if doc.get("scaleAhead"):
        sa = doc["scaleAhead"]
        lines.append(
            f"before each step: {doc['variant']} (a container variant) is scaled to ceil(busiest minute of the last "
            f"{d(sa['lookbackSeconds'])} x share / {sa['targetRequestsPerTarget']}) tasks within {sa['minCount']}..{sa['maxCount']}, "
            f"waiting up to {d(sa['timeoutSeconds'])} for them to run"
        )
    lines += [
        f"minimum time to full traffic: {d(doc['minimumSecondsToFullTraffic'])}; "
        f"to the end of the last bake: {d(doc['minimumSecondsToEnd'])}",
        f"longest: {len(doc['steps'])} steps x maxDuration = {d(doc['maximumSeconds'])} (when traffic is too thin for minRequests)",
        f"worst-case time to roll back once a fault starts: {d(rb['worstCaseSeconds'])} + {rb['plus']} = alarm window "
        f"{d(rb['alarmWindowSeconds'])} + one check {d(rb['checkSeconds'])} + verify settle {d(rb['settleSeconds'])}; "
        "the rollback turns stickiness off in the same update, so sticky clients leave at once"
        + (
            f" (left on, they would stay up to {d(rb['stickinessSeconds'])} more: {d(rb['worstCaseWithoutTurningStickinessOffSeconds'])})"
            if rb["stickinessSeconds"]
            else ""
        ),
    ]
    return "\n".join(lines) + "\n"
