"""One target group per variant, and the registration of each configured target."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_awsx as awsx

from ab_routing import naming, routing
from ab_routing.model import Variant
from ab_routing.resources.network import lookup_vpc_cidrs


@dataclass(frozen=True)
class TargetGroups:
    by_variant: Mapping[str, aws.lb.TargetGroup]
    """Variant name -> its target group."""

    def arns(self) -> dict[str, pulumi.Output[str]]:
        return {name: group.arn for name, group in self.by_variant.items()}


def create_target_groups(
    parent: pulumi.Resource, variants: Sequence[Variant], vpc_id: pulumi.Input[str], tags: Mapping[str, str]
) -> TargetGroups:
    """Each variant's target group (auto-named, see `routing.target_group_args`) and its targets."""
    child = pulumi.ResourceOptions(parent=parent)
    groups = {
        v.name: aws.lb.TargetGroup(naming.target_group_name(v.name), routing.target_group_args(v, vpc_id, tags), opts=child)
        for v in variants
    }
    vpc_cidrs = lookup_vpc_cidrs(parent, vpc_id) if any(v.target_type == "ip" and v.targets for v in variants) else None
    for variant in variants:
        _create_attachments(child, variant, groups[variant.name], vpc_cidrs)
    return TargetGroups(groups)


def _create_attachments(
    opts: pulumi.ResourceOptions, variant: Variant, group: aws.lb.TargetGroup, vpc_cidrs: pulumi.Output[list[str]] | None
) -> None:
    """Register the variant's configured targets. awsx's attachment handles instances and Lambda
    functions (it adds the invoke permission for elasticloadbalancing.amazonaws.com); awsx has
    none for IP targets, so those use pulumi-aws directly.
    """
    for target in variant.targets:
        name = naming.attachment_name(variant.name, target)
        if variant.target_type == "instance":
            awsx.lb.TargetGroupAttachment(name, target_group=group, instance_id=target, opts=opts)
        elif variant.target_type == "lambda":
            awsx.lb.TargetGroupAttachment(name, target_group=group, lambda_arn=target, opts=opts)
        else:
            assert vpc_cidrs is not None
            zone = vpc_cidrs.apply(lambda cidrs, ip=target: routing.ip_target_availability_zone(ip, cidrs))
            aws.lb.TargetGroupAttachment(
                name, target_group_arn=group.arn, target_id=target, port=variant.port, availability_zone=zone, opts=opts
            )
