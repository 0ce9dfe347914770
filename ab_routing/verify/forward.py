"""The listener's weighted forward as it means something to traffic, whatever shape the API gives.

DescribeListeners returns a single-group forward as `TargetGroupArn`, as a `ForwardConfig` with one
group, or both; a weighted forward as a `ForwardConfig`. Two forwards are compared by what a
cookie-less request experiences (which groups are in the action, each group's share of traffic,
whether a group is at weight 0) and by stickiness, never by the raw JSON.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ab_routing.shares import share_percent


@dataclass(frozen=True)
class Forward:
    """A forward action reduced to its meaning."""

    weights: Mapping[str, int]
    """Target group ARN -> weight, every group in the action (zeros included)."""
    stickiness_enabled: bool = False
    stickiness_duration: int | None = None
    """Seconds; None when stickiness is off or the API did not say."""
    other: str | None = None
    """Set when the action is not a forward at all (e.g. `fixed-response`): its type."""

    def share(self, arn: str) -> float:
        return share_percent(self.weights.get(arn, 0), sum(self.weights.values()))


@dataclass(frozen=True)
class ForwardDifference:
    item: str
    deployed: str
    expected: str
    variants: tuple[str, ...] = field(default=())


def read_forward(actions: Sequence[Mapping[str, Any]]) -> Forward:
    """The forward among a listener's (or rule's) actions; authentication actions before it are skipped."""
    forward = next((a for a in sorted(actions, key=lambda a: a.get("Order", 0)) if a.get("Type") == "forward"), None)
    if forward is None:
        kinds = ", ".join(str(a.get("Type")) for a in actions) or "no action"
        return Forward(weights={}, other=kinds)
    config = forward.get("ForwardConfig") or {}
    groups = config.get("TargetGroups") or []
    if groups:
        # A group listed without a weight has AWS's default weight, 1.
        weights = {str(g["TargetGroupArn"]): int(g.get("Weight", 1)) for g in groups}
    elif forward.get("TargetGroupArn"):
        weights = {str(forward["TargetGroupArn"]): 1}
    else:
        weights = {}
    sticky = config.get("TargetGroupStickinessConfig") or {}
    enabled = bool(sticky.get("Enabled", False))
    duration = sticky.get("DurationSeconds")
    return Forward(weights=weights, stickiness_enabled=enabled, stickiness_duration=int(duration) if enabled and duration else None)


def compare_forward(
    deployed: Forward,
    expected_weights: Mapping[str, int],
    names: Mapping[str, str],
    *,
    stickiness_enabled: bool,
    stickiness_duration: int,
) -> list[ForwardDifference]:
    """Differences between the forward AWS holds and the one expected, one per item.

    `expected_weights` maps target group ARN -> weight; `names` maps ARN -> variant name for
    messages. A group's weight counts as different when its share of traffic differs or it went
    from 0 to non-zero (or back): 90/10 and 9/1 mean the same, 0 and 1 do not.
    """
    if deployed.other is not None:
        return [ForwardDifference("listener default action", deployed.other, "forward")]
    out: list[ForwardDifference] = []
    expected = Forward(weights=dict(expected_weights))

    def label(arn: str) -> str:
        return f"variant {names[arn]}" if arn in names else arn

    for arn, weight in expected_weights.items():
        if arn not in deployed.weights:
            out.append(ForwardDifference(f"forward: {label(arn)}", "not in the forward", f"weight {weight}", (names.get(arn, arn),)))
            continue
        got = deployed.weights[arn]
        if (got == 0) != (weight == 0) or deployed.share(arn) != expected.share(arn):
            out.append(
                ForwardDifference(
                    f"forward weight: {label(arn)}",
                    f"{got} ({deployed.share(arn):g}%)",
                    f"{weight} ({expected.share(arn):g}%)",
                    (names.get(arn, arn),),
                )
            )
    for arn, weight in deployed.weights.items():
        if arn not in expected_weights:
            out.append(ForwardDifference(f"forward: {label(arn)}", f"weight {weight}", "not in the forward"))
    if deployed.stickiness_enabled != stickiness_enabled:
        out.append(ForwardDifference("forward stickiness", _on(deployed.stickiness_enabled), _on(stickiness_enabled)))
    elif stickiness_enabled and deployed.stickiness_duration is not None and deployed.stickiness_duration != stickiness_duration:
        out.append(ForwardDifference("forward stickiness duration", f"{deployed.stickiness_duration} s", f"{stickiness_duration} s"))
    return out


def _on(value: bool) -> str:
    return "enabled" if value else "disabled"
