"""Pure functions that turn the typed config into pulumi-aws argument objects.

Nothing here registers a resource, so tests call these directly, without mocks. The component in
`ab_routing.stack` passes their results to resource constructors.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence

import pulumi
import pulumi_aws as aws
import pulumi_awsx as awsx

from ab_routing.model import HealthCheck, ListenerSettings, Override, Stickiness, Variant
from ab_routing.tags import variant_tags


def forward_action(
    variants: Sequence[Variant],
    target_group_arns: Mapping[str, pulumi.Input[str]],
    stickiness: Stickiness,
) -> aws.lb.ListenerDefaultActionArgs:
    """The listener's default action: a weighted forward over every variant, in name order.

    This is the only place a weight reaches a resource, so a weight change updates the listener
    and nothing else. Stickiness carries its duration even when disabled (AWS requires 1-604800).
    """
    return aws.lb.ListenerDefaultActionArgs(
        type="forward",
        forward=aws.lb.ListenerDefaultActionForwardArgs(
            target_groups=[
                aws.lb.ListenerDefaultActionForwardTargetGroupArgs(arn=target_group_arns[v.name], weight=v.weight)
                for v in sorted(variants, key=lambda v: v.name)
            ],
            stickiness=aws.lb.ListenerDefaultActionForwardStickinessArgs(enabled=stickiness.enabled, duration=stickiness.duration),
        ),
    )


def health_check_args(health_check: HealthCheck, is_lambda: bool) -> aws.lb.TargetGroupHealthCheckArgs:
    """A target group's health check; a lambda group takes no port or protocol."""
    if not health_check.enabled:
        return aws.lb.TargetGroupHealthCheckArgs(enabled=False)
    return aws.lb.TargetGroupHealthCheckArgs(
        enabled=True,
        path=health_check.path,
        matcher=health_check.matcher,
        interval=health_check.interval,
        timeout=health_check.timeout,
        healthy_threshold=health_check.healthy_threshold,
        unhealthy_threshold=health_check.unhealthy_threshold,
        port=None if is_lambda else str(health_check.port),
        protocol=None if is_lambda else health_check.protocol,
    )


def target_group_args(variant: Variant, vpc_id: pulumi.Input[str], tags: Mapping[str, str]) -> aws.lb.TargetGroupArgs:
    """A variant's target group. No `name`: Pulumi auto-names it, so a replacement can create the
    new group before deleting the old one (a fixed name fails with ResourceInUse). No weight either.
    """
    is_lambda = variant.target_type == "lambda"
    common = {
        "target_type": variant.target_type,
        "health_check": health_check_args(variant.health_check, is_lambda),
        "tags": variant_tags(tags, variant.name),
    }
    if is_lambda:
        return aws.lb.TargetGroupArgs(**common)
    return aws.lb.TargetGroupArgs(
        **common,
        port=variant.port,
        protocol=variant.protocol,
        vpc_id=vpc_id,
        deregistration_delay=variant.deregistration_delay,
        slow_start=variant.slow_start,
        load_balancing_algorithm_type=variant.algorithm,
    )


def override_conditions(variant: Variant, override: Override) -> list[aws.lb.ListenerRuleConditionArgs]:
    """Conditions of the rule that forces `variant`: the header equals its name, and optionally the
    request comes from one of the allowed source CIDRs. Requires `override.header`.
    """
    assert override.header is not None, "override rules exist only while the header is on"
    conditions = [
        aws.lb.ListenerRuleConditionArgs(
            http_header=aws.lb.ListenerRuleConditionHttpHeaderArgs(http_header_name=override.header, values=[variant.name])
        )
    ]
    if override.source_cidrs:
        conditions.append(
            aws.lb.ListenerRuleConditionArgs(source_ip=aws.lb.ListenerRuleConditionSourceIpArgs(values=list(override.source_cidrs)))
        )
    return conditions


def override_action(target_group_arn: pulumi.Input[str]) -> aws.lb.ListenerRuleActionArgs:
    return aws.lb.ListenerRuleActionArgs(type="forward", target_group_arn=target_group_arn)


def variant_ports(variants: Sequence[Variant]) -> list[int]:
    """Distinct ports the ALB must reach (traffic and health-check ports), ascending."""
    ports: set[int] = set()
    for v in variants:
        if v.port is None:
            continue
        ports.add(v.port)
        if v.health_check.enabled and v.health_check.port != "traffic-port":
            ports.add(v.health_check.port)
    return sorted(ports)


def ip_variants(variants: Sequence[Variant]) -> list[Variant]:
    return [v for v in variants if v.target_type == "ip"]


def unreachable_ip_targets(variants: Sequence[Variant], vpc_cidrs: Sequence[str], target_cidrs: Sequence[str]) -> list[str]:
    """`variant/ip` of each IP target outside the VPC's CIDR blocks and outside every declared
    `network.targetCidrs` block: the ALB's security group has no egress to it."""
    reachable = [ipaddress.ip_network(c, strict=False) for c in (*vpc_cidrs, *target_cidrs) if c]
    return [
        f"{v.name}/{ip}"
        for v in ip_variants(variants)
        for ip in v.targets
        if not any(ipaddress.ip_address(ip) in network for network in reachable)
    ]


HTTP_PORT = 80


def redirect_to_https(https_port: int) -> aws.lb.ListenerDefaultActionArgs:
    """Port 80's only action once HTTPS is on: a permanent redirect keeping host, path and query."""
    return aws.lb.ListenerDefaultActionArgs(
        type="redirect",
        redirect=aws.lb.ListenerDefaultActionRedirectArgs(protocol="HTTPS", port=str(https_port), status_code="HTTP_301"),
    )


def listener_ports(listener: ListenerSettings) -> list[int]:
    """Ports clients connect to: the forward listener's, plus 80 for the redirect under HTTPS."""
    return sorted({HTTP_PORT, listener.port}) if listener.https else [listener.port]


def forward_listener_index(listener: ListenerSettings) -> int:
    """Position of the weighted-forward listener in awsx's `listeners` (awsx names it `<name>-<i>`).

    The port-80 listener stays first in both modes, so turning HTTPS on updates `<name>-0` in place
    (forward -> redirect) and adds `<name>-1` for HTTPS; no listener is recreated and port 80 is
    never claimed twice.
    """
    return 1 if listener.https else 0


def listener_args(
    listener: ListenerSettings,
    forward: aws.lb.ListenerDefaultActionArgs,
    certificate_arn: pulumi.Input[str] | None,
    tags: Mapping[str, str],
) -> list[awsx.lb.ListenerArgs]:
    """The awsx listener list: one forward listener (HTTP), or redirect on 80 plus HTTPS forward."""
    if not listener.https:
        return [awsx.lb.ListenerArgs(port=listener.port, protocol="HTTP", default_actions=[forward], tags=dict(tags))]
    return [
        awsx.lb.ListenerArgs(port=HTTP_PORT, protocol="HTTP", default_actions=[redirect_to_https(listener.port)], tags=dict(tags)),
        awsx.lb.ListenerArgs(
            port=listener.port,
            protocol="HTTPS",
            certificate_arn=certificate_arn,
            ssl_policy=listener.ssl_policy,
            default_actions=[forward],
            tags=dict(tags),
        ),
    ]


def ip_target_availability_zone(ip: str, vpc_cidrs: Sequence[str]) -> str | None:
    """`all` for an IP target outside the VPC's CIDR blocks (peered VPC, on-premises): AWS requires
    it there and rejects it inside the VPC, where the zone comes from the subnet."""
    address = ipaddress.ip_address(ip)
    inside = any(address in ipaddress.ip_network(cidr, strict=False) for cidr in vpc_cidrs if cidr)
    return None if inside else "all"
