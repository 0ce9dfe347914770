"""What the listener really forwards: weights per variant and stickiness, read through ELBv2.

ADAPTER. `verify` (branch h/verify) owns the drift check with this same interface:
`ab_routing.verify.drift.deployed_weights` and `check_deployed`. Until it is on main this module is
a minimal stand-in with the same signatures; when it lands, replace the bodies below with
`from ab_routing.verify.drift import DeployedCheck, check_deployed, deployed_weights` and nothing
else in the rollout changes.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from ab_routing.model import RoutingConfig
from ab_routing.outputs import Deployed

RECHECK_SECONDS = 5.0
"""How often a mismatch is re-read inside the settle window (Argo Rollouts re-checks every 10 s)."""


class DriftError(Exception):
    """The listener could not be read (AWS unreachable, no permission, no such listener)."""


@dataclass(frozen=True)
class DeployedCheck:
    differences: tuple[str, ...]
    """One sentence per difference between the config and the listener; empty when they agree."""
    weights: dict[str, int] = field(default_factory=dict)
    """What the listener forwards, variant -> weight (the last reading)."""
    stickiness_enabled: bool = False
    ok: bool = False


def deployed_weights(elbv2: Any, listener_arn: str, arn_to_variant: Mapping[str, str]) -> tuple[dict[str, int], bool]:
    """The listener's forward weights by variant and whether its target-group stickiness is on.

    A target group the outputs do not name is reported by its ARN so a difference is visible.
    """
    try:
        listeners = elbv2.describe_listeners(ListenerArns=[listener_arn])["Listeners"]
    except ClientError as problem:
        info = problem.response.get("Error", {})
        raise DriftError(f"DescribeListeners failed: {info.get('Code', '?')}: {info.get('Message', problem)}") from None
    except BotoCoreError as problem:
        raise DriftError(f"DescribeListeners failed: {problem}") from None
    if not listeners:
        raise DriftError(f"listener {listener_arn} not found")
    forwards = [a for a in listeners[0].get("DefaultActions", []) if a.get("Type") == "forward"]
    if not forwards:
        raise DriftError(f"listener {listener_arn} has no forward default action")
    action = forwards[0]
    config = action.get("ForwardConfig") or {}
    groups = config.get("TargetGroups") or [{"TargetGroupArn": action.get("TargetGroupArn"), "Weight": 1}]
    weights = {arn_to_variant.get(g["TargetGroupArn"], g["TargetGroupArn"]): int(g.get("Weight", 1)) for g in groups}
    sticky = bool((config.get("TargetGroupStickinessConfig") or {}).get("Enabled", False))
    return weights, sticky


def arn_map(deployed: Deployed) -> dict[str, str]:
    return {v.target_group_arn: v.name for v in deployed.variants if v.target_group_arn}


def check_deployed(
    elbv2: Any,
    deployed: Deployed,
    config: RoutingConfig,
    *,
    settle_seconds: float,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> DeployedCheck:
    """Compare the listener with the config's weights and stickiness, re-reading a mismatch every
    `RECHECK_SECONDS` until `settle_seconds` have passed (the API is eventually consistent)."""
    want = {v.name: v.weight for v in config.variants}
    deadline = clock() + settle_seconds
    while True:
        weights, sticky = deployed_weights(elbv2, deployed.require("listenerArn"), arn_map(deployed))
        differences = [
            f"{name}: weight {weights.get(name, 'absent')} deployed, {want.get(name, 'absent')} configured"
            for name in sorted(want.keys() | weights.keys())
            if weights.get(name) != want.get(name)
        ]
        if sticky != config.stickiness.enabled:
            differences.append(
                f"stickiness {'on' if sticky else 'off'} deployed, {'on' if config.stickiness.enabled else 'off'} configured"
            )
        if not differences or clock() >= deadline:
            return DeployedCheck(tuple(differences), weights, sticky, not differences)
        sleep(min(RECHECK_SECONDS, max(0.0, deadline - clock())))
