"""The ALB's security group and the model fleet's, with standalone rules between them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from ab_routing import naming, routing
from ab_routing.model import ListenerSettings, Variant

TARGETS_GROUP = f"{naming.COMPONENT_NAME}-targets"
RULES_PER_DIRECTION = 60
"""AWS's default quota of inbound (and of outbound) rules per security group, counted apart for
IPv4 and IPv6; a rule that references a group is counted in both here, to be safe."""


class TooManyRulesError(pulumi.RunError):
    """The config needs more rules in one direction of a security group than AWS's default quota."""


def rule_counts(listener: ListenerSettings, variants: Sequence[Variant], target_cidrs: Sequence[str]) -> dict[str, int]:
    """Rules per group, direction and address family ("ALB ingress IPv4": 2, ...)."""
    listener_ports = len(routing.listener_ports(listener))
    variant_ports = len(routing.variant_ports(variants))
    ip_ports = len(routing.variant_ports(routing.ip_variants(variants)))
    counts: dict[str, int] = {}
    for family, v6 in (("IPv4", False), ("IPv6", True)):
        allowed = sum(1 for c in listener.allowed_cidrs if (":" in c) == v6)
        targets = sum(1 for c in target_cidrs if (":" in c) == v6)
        counts[f"ALB ingress {family}"] = listener_ports * allowed
        counts[f"ALB egress {family}"] = variant_ports + ip_ports * targets
        counts[f"fleet ingress {family}"] = variant_ports
    return counts


def check_rule_counts(listener: ListenerSettings, variants: Sequence[Variant], target_cidrs: Sequence[str]) -> None:
    """Fail before registering anything when a direction needs more than the default quota."""
    over = {k: n for k, n in rule_counts(listener, variants, target_cidrs).items() if n > RULES_PER_DIRECTION}
    if over:
        found = ", ".join(f"{k}: {n}" for k, n in over.items())
        raise TooManyRulesError(
            f"security groups would need more than {RULES_PER_DIRECTION} rules per direction ({found}): ingress is "
            "listener ports x listener.allowedCidrs, egress is variant ports + IP-variant ports x network.targetCidrs; "
            "use fewer, wider CIDR blocks (or raise the quota in AWS and split the config)"
        )


@dataclass(frozen=True)
class SecurityGroups:
    alb: aws.ec2.SecurityGroup
    """The ALB's group, in place of awsx's default (which is open on every port)."""
    fleet: aws.ec2.SecurityGroup
    """The group model instances and tasks carry; it admits only the ALB, on the variant ports."""


def create_security_groups(
    parent: pulumi.Resource,
    listener: ListenerSettings,
    variants: Sequence[Variant],
    vpc_id: pulumi.Input[str],
    target_cidrs: Sequence[str],
    tags: Mapping[str, str],
) -> SecurityGroups:
    """Both groups and their rules. Rules are standalone resources, so the two groups reference each
    other without a cycle. pulumi-aws removes AWS's default allow-all egress rule from a group it
    creates, so the ALB sends only where a rule below lets it: the fleet group, and for IP targets
    outside the VPC (which cannot carry a group of this VPC) each of `target_cidrs` on the IP
    variants' traffic and health-check ports."""
    check_rule_counts(listener, variants, target_cidrs)
    child = pulumi.ResourceOptions(parent=parent)
    alb_group = aws.ec2.SecurityGroup(
        naming.COMPONENT_NAME,
        vpc_id=vpc_id,
        description="ab-routing ALB: listener ports from allowed CIDRs; out only to the model fleet group",
        tags=dict(tags),
        opts=child,
    )
    fleet_group = aws.ec2.SecurityGroup(
        TARGETS_GROUP,
        vpc_id=vpc_id,
        description="ab-routing model fleet: admits only the ALB, on the variant ports",
        tags=dict(tags),
        opts=child,
    )
    ingress, egress = aws.vpc.SecurityGroupIngressRule, aws.vpc.SecurityGroupEgressRule
    for port in routing.listener_ports(listener):
        for cidr in listener.allowed_cidrs:
            name = naming.ingress_rule_name(port, cidr)
            _tcp_rule(child, tags, ingress, name, alb_group, port, f"clients to listener port {port}", cidr=cidr)
    for port in routing.variant_ports(variants):
        name = naming.egress_rule_name(port)
        _tcp_rule(child, tags, egress, name, alb_group, port, f"ALB to model targets on port {port}", peer_group=fleet_group)
        name = f"{TARGETS_GROUP}-in-{port}"
        _tcp_rule(child, tags, ingress, name, fleet_group, port, f"from the ab-routing ALB on port {port}", peer_group=alb_group)
    for port in routing.variant_ports(routing.ip_variants(variants)):
        for cidr in target_cidrs:
            name = naming.egress_cidr_rule_name(port, cidr)
            _tcp_rule(child, tags, egress, name, alb_group, port, f"ALB to IP targets outside the VPC in {cidr} on port {port}", cidr=cidr)
    return SecurityGroups(alb_group, fleet_group)


def _tcp_rule(
    opts: pulumi.ResourceOptions,
    tags: Mapping[str, str],
    rule_type: type[aws.vpc.SecurityGroupIngressRule] | type[aws.vpc.SecurityGroupEgressRule],
    name: str,
    group: aws.ec2.SecurityGroup,
    port: int,
    description: str,
    cidr: str | None = None,
    peer_group: aws.ec2.SecurityGroup | None = None,
) -> None:
    """One standalone rule for one TCP port, to or from a CIDR block or another group."""
    v6 = cidr is not None and ":" in cidr
    rule_type(
        name,
        security_group_id=group.id,
        ip_protocol="tcp",
        from_port=port,
        to_port=port,
        cidr_ipv4=None if v6 else cidr,
        cidr_ipv6=cidr if v6 else None,
        referenced_security_group_id=peer_group.id if peer_group else None,
        description=description,
        tags=dict(tags),
        opts=opts,
    )
