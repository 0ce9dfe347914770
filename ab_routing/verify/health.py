"""Target health per variant: at least one target must be able to take a request.

A Lambda target group with health checks off reports its function as `unavailable` with reason
`Target.HealthCheckDisabled`; the ALB still invokes it, so that is a pass, not a failure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

HEALTH_CHECK_DISABLED = "Target.HealthCheckDisabled"


@dataclass(frozen=True)
class TargetState:
    id: str
    port: int | None
    state: str
    reason: str | None
    description: str | None

    def serving(self) -> bool:
        return self.state == "healthy" or (self.state == "unavailable" and self.reason == HEALTH_CHECK_DISABLED)

    def text(self) -> str:
        where = f"{self.id}:{self.port}" if self.port else self.id
        why = f" ({self.reason}{': ' + self.description if self.description else ''})" if self.reason else ""
        return f"{where} {self.state}{why}"


@dataclass(frozen=True)
class VariantHealth:
    variant: str
    target_group_arn: str
    targets: tuple[TargetState, ...]
    problem: str | None = None
    """Why the group could not be read (e.g. it no longer exists); None when it was read."""

    @property
    def ok(self) -> bool:
        return self.problem is None and any(t.serving() for t in self.targets)

    def summary(self) -> str:
        if self.problem:
            return self.problem
        if not self.targets:
            return "no targets registered"
        serving = sum(t.serving() for t in self.targets)
        if serving:
            return f"{serving} of {len(self.targets)} targets serving"
        return "no healthy target: " + "; ".join(t.text() for t in self.targets)


def parse_target_health(variant: str, arn: str, descriptions: Sequence[Mapping[str, Any]]) -> VariantHealth:
    states = []
    for d in descriptions:
        target = d.get("Target") or {}
        health = d.get("TargetHealth") or {}
        port = target.get("Port")
        states.append(
            TargetState(
                id=str(target.get("Id", "?")),
                port=int(port) if port is not None else None,
                state=str(health.get("State", "unknown")),
                reason=health.get("Reason"),
                description=health.get("Description"),
            )
        )
    return VariantHealth(variant, arn, tuple(states))


def read_health(elbv2: Any, arn_to_variant: Mapping[str, str]) -> list[VariantHealth]:
    """DescribeTargetHealth for each variant's group, in variant order; a missing group is a finding."""
    out: list[VariantHealth] = []
    for arn, variant in sorted(arn_to_variant.items(), key=lambda item: item[1]):
        try:
            descriptions = elbv2.describe_target_health(TargetGroupArn=arn)["TargetHealthDescriptions"]
        except elbv2.exceptions.TargetGroupNotFoundException:
            out.append(VariantHealth(variant, arn, (), problem=f"target group {arn} not found"))
            continue
        out.append(parse_target_health(variant, arn, descriptions))
    return out
