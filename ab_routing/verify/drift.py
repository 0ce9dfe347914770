"""The deployed configuration, three ways: stack config vs stack outputs vs what AWS holds.

- config vs outputs: the config was changed and `pulumi up` has not run yet ("pending");
- outputs (and, for stickiness and override rules, which the outputs do not record, the config)
  vs the ELBv2 API: someone or something changed the load balancer ("drift").

ALB applies a change a little after the API accepts it, and a `pulumi up` that just finished may
still be settling, so a difference is re-read for `settle_seconds` before it is called drift.
Read-only: only Describe* calls. `check_deployed` and `deployed_weights` are also what `rollout`
uses to confirm that a weight change really reached the listener.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from ab_routing.model import RoutingConfig
from ab_routing.outputs import Deployed
from ab_routing.verify.forward import compare_forward, read_forward
from ab_routing.verify.health import VariantHealth, read_health
from ab_routing.verify.rules import ExpectedRule, compare_rules, parse_rules

SETTLE_SECONDS = 20.0
"""Default time to keep re-reading a difference before calling it drift."""
REREAD_SECONDS = 5.0
"""Pause between reads inside the settle window (ELBv2 Describe* calls are throttled per account)."""

Kind = Literal["drift", "pending"]
T = TypeVar("T")


class AwsReadError(Exception):
    """The ELBv2 API could not be read (no credentials, unreachable endpoint, access denied)."""


@dataclass(frozen=True)
class Difference:
    """One line of the comparison: `item` is `deployed` but `expected` was expected."""

    item: str
    deployed: str
    expected: str
    kind: Kind
    """`pending`: config vs stack outputs (run `pulumi up`); `drift`: stack vs AWS."""

    def text(self) -> str:
        return f"{self.item}: deployed {self.deployed}, expected {self.expected}"


@dataclass(frozen=True)
class DeployedCheck:
    differences: list[Difference]
    weights: dict[str, int]
    """Variant name (or the ARN of a group no variant owns) -> weight in the listener's forward, as read from AWS."""
    stickiness_enabled: bool
    """Stickiness of the listener's forward, as read from AWS."""
    health: list[VariantHealth] = field(default_factory=list)
    reads: int = 1
    """How many times the listener was read (more than 1 when a difference had to settle)."""

    @property
    def drift(self) -> list[Difference]:
        return [d for d in self.differences if d.kind == "drift"]

    @property
    def pending(self) -> list[Difference]:
        return [d for d in self.differences if d.kind == "pending"]

    @property
    def healthy(self) -> bool:
        return all(h.ok for h in self.health)

    @property
    def ok(self) -> bool:
        """No difference of either kind and every variant has a serving target."""
        return not self.differences and self.healthy


def target_group_arns(deployed: Deployed) -> dict[str, str]:
    """Target group ARN -> variant name from the outputs. Outputs that carry only the ARN suffix get
    the ARN rebuilt from the listener's ARN (same partition, region and account)."""
    listener = deployed.require("listenerArn")
    prefix = listener.split(":listener/", 1)[0]
    return {v.target_group_arn or f"{prefix}:{v.target_group_arn_suffix}": v.name for v in deployed.variants}


def pending_differences(deployed: Deployed, config: RoutingConfig) -> list[Difference]:
    """What `pulumi up` would still change in the forward: variants added, removed or reweighted."""
    out: list[Difference] = []
    configured = {v.name: v.weight for v in config.variants}
    for v in deployed.variants:
        if v.name not in configured:
            out.append(Difference(f"variant {v.name}", f"weight {v.weight}", "not in the stack config", "pending"))
        elif configured[v.name] != v.weight:
            out.append(Difference(f"forward weight: variant {v.name}", str(v.weight), str(configured[v.name]), "pending"))
    for name, weight in configured.items():
        if deployed.variant(name) is None:
            out.append(Difference(f"variant {name}", "not deployed", f"weight {weight}", "pending"))
    return out


def deployed_weights(elbv2: Any, listener_arn: str, arn_to_variant: Mapping[str, str]) -> tuple[dict[str, int], bool]:
    """The listener's forward weights as AWS holds them now, by variant name (ARN for a group no
    variant owns), and whether its stickiness is on. Raises AwsReadError when it cannot read."""
    listener = _listener(elbv2, listener_arn)
    if listener is None:
        raise AwsReadError(f"listener {listener_arn} not found")
    forward = read_forward(listener.get("DefaultActions") or [])
    return {arn_to_variant.get(arn, arn): w for arn, w in forward.weights.items()}, forward.stickiness_enabled


def check_deployed(
    elbv2: Any,
    deployed: Deployed,
    config: RoutingConfig,
    *,
    settle_seconds: float = SETTLE_SECONDS,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    reread_seconds: float = REREAD_SECONDS,
    override_rules: bool = True,
) -> DeployedCheck:
    """Compare config, outputs and AWS; re-read while drift remains, up to `settle_seconds`.

    `override_rules=False` leaves the override rules out (no DescribeRules, no rule differences): `rollout`
    changes only the listener's forward, and a rule changed behind the stack's back would otherwise
    hold every step for the whole settle window and fail it for something the step did not touch.

    Raises AwsReadError when AWS cannot be read at all, and OutputsError when the outputs lack
    `listenerArn`.
    """
    arns = target_group_arns(deployed)
    listener_arn = deployed.require("listenerArn")
    pending = pending_differences(deployed, config)
    start = clock()
    reads = 1
    drift, weights, sticky = _read_drift(elbv2, listener_arn, deployed, config, arns, override_rules)
    while drift and clock() - start < settle_seconds:
        sleep(min(reread_seconds, max(0.0, settle_seconds - (clock() - start))))
        reads += 1
        drift, weights, sticky = _read_drift(elbv2, listener_arn, deployed, config, arns, override_rules)
    health = _guard(lambda: read_health(elbv2, arns))
    return DeployedCheck(pending + drift, weights, sticky, health, reads)


def _read_drift(
    elbv2: Any, listener_arn: str, deployed: Deployed, config: RoutingConfig, arns: Mapping[str, str], override_rules: bool
) -> tuple[list[Difference], dict[str, int], bool]:
    listener = _listener(elbv2, listener_arn)
    if listener is None:
        return [Difference("listener", "not found", listener_arn, "drift")], {}, False
    forward = read_forward(listener.get("DefaultActions") or [])
    weights_by_name = {v.name: v.weight for v in deployed.variants}
    expected_weights = {arn: weights_by_name[name] for arn, name in arns.items()}
    out = [
        Difference(d.item, d.deployed, d.expected, "drift")
        for d in compare_forward(
            forward,
            expected_weights,
            arns,
            stickiness_enabled=config.stickiness.enabled,
            stickiness_duration=config.stickiness.duration,
        )
    ]
    if override_rules and config.override.header is not None:
        by_name = {name: arn for arn, name in arns.items()}
        expected = [
            ExpectedRule(v.name, v.rule_priority, config.override.header, (v.name,), config.override.source_cidrs, by_name[v.name])
            for v in config.variants
            if v.name in by_name
        ]
        rules = parse_rules(_guard(lambda: _all_rules(elbv2, listener_arn)))
        out += [Difference(d.item, d.deployed, d.expected, "drift") for d in compare_rules(rules, expected)]
    weights = {arns.get(arn, arn): w for arn, w in forward.weights.items()}
    return out, weights, forward.stickiness_enabled


def _listener(elbv2: Any, listener_arn: str) -> dict[str, Any] | None:
    def read() -> dict[str, Any] | None:
        try:
            listeners = elbv2.describe_listeners(ListenerArns=[listener_arn])["Listeners"]
        except elbv2.exceptions.ListenerNotFoundException:
            return None
        return listeners[0] if listeners else None

    return _guard(read)


def _all_rules(elbv2: Any, listener_arn: str) -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = []
    marker: str | None = None
    while True:
        page = elbv2.describe_rules(ListenerArn=listener_arn, **({"Marker": marker} if marker else {}))
        rules += page.get("Rules") or []
        marker = page.get("NextMarker")
        if not marker:
            return rules


def _guard(call: Callable[[], T]) -> T:
    """Run an ELBv2 read; turn botocore's failures into one AwsReadError with a readable message."""
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

    try:
        return call()
    except NoCredentialsError:
        raise AwsReadError("no AWS credentials found (set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)") from None
    except ClientError as error:
        info = error.response.get("Error", {})
        raise AwsReadError(f"ELBv2 refused {error.operation_name}: {info.get('Code')}: {info.get('Message')}") from None
    except BotoCoreError as error:
        raise AwsReadError(f"cannot read the load balancer through the ELBv2 API: {error}") from None
