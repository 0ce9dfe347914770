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


class UnreachableTargetError(pulumi.RunError):
    """An IP target outside the VPC in no declared `network.targetCidrs` block (found at preview)."""


@dataclass(frozen=True)
class TargetGroups:
    by_variant: Mapping[str, aws.lb.TargetGroup]
    """Variant name -> its target group."""

    def arns(self) -> dict[str, pulumi.Output[str]]:
        return {name: group.arn for name, group in self.by_variant.items()}


def create_target_groups(
    parent: pulumi.Resource,
    variants: Sequence[Variant],
    vpc_id: pulumi.Input[str],
    target_cidrs: Sequence[str],
    tags: Mapping[str, str],
) -> TargetGroups:
    """Each variant's target group (auto-named, see `routing.target_group_args`) and its targets.

    IP targets need the VPC's CIDR blocks (a lookup) for their zone; in the same apply, an IP
    outside the VPC and outside every `network.targetCidrs` block fails the preview, since the
    ALB's security group could not reach it (rules for it cannot be created inside the apply)."""
    child = pulumi.ResourceOptions(parent=parent)
    groups = {
        v.name: aws.lb.TargetGroup(naming.target_group_name(v.name), routing.target_group_args(v, vpc_id, tags), opts=child)
        for v in variants
    }
    vpc_cidrs = None
    if any(v.target_type == "ip" and v.targets for v in variants):
        vpc_cidrs = lookup_vpc_cidrs(parent, vpc_id).apply(lambda cidrs: _reachable(variants, cidrs, target_cidrs))
    for variant in variants:
        _create_attachments(parent, variant, groups[variant.name], vpc_cidrs)
    return TargetGroups(groups)


def _reachable(variants: Sequence[Variant], vpc_cidrs: list[str], target_cidrs: Sequence[str]) -> list[str]:
    unreachable = routing.unreachable_ip_targets(variants, vpc_cidrs, target_cidrs)
    if unreachable:
        raise UnreachableTargetError(
            f"IP targets outside the VPC ({', '.join(vpc_cidrs)}) and outside network.targetCidrs "
            f"({', '.join(target_cidrs) or 'none declared'}): {', '.join(unreachable)}. The ALB's security group "
            "can reach them only through an egress rule: add their network (peered VPC, on premises) to "
            "network.targetCidrs."
        )
    return vpc_cidrs


AWSX_ATTACHMENT_TYPE = "awsx:lb:TargetGroupAttachment"
"""The awsx component that earlier versions registered for each instance target."""


def _create_attachments(
    parent: pulumi.Resource, variant: Variant, group: aws.lb.TargetGroup, vpc_cidrs: pulumi.Output[list[str]] | None
) -> None:
    """Register the variant's configured targets.

    - Lambda: awsx's attachment, which also grants elasticloadbalancing.amazonaws.com
      `lambda:InvokeFunction` on the function.
    - Instance: pulumi-aws directly, with no zone (AWS does not support `AvailabilityZone` for
      target type `instance`; awsx's attachment passed the instance's zone). Earlier versions used
      awsx's attachment, whose child had the same name and type under the awsx component: the
      alias makes that child this resource, and `ignore_changes` keeps the zone it was registered
      with, so an existing stack renames the registration instead of replacing it (a replacement
      would deregister the target when the old registration is deleted). No `port` either, as
      awsx passed none: the group's port applies.
    - IP: pulumi-aws with the variant's port, and zone `all` outside the VPC's CIDR blocks.
    """
    child = pulumi.ResourceOptions(parent=parent)
    for target in variant.targets:
        name = naming.attachment_name(variant.name, target)
        if variant.target_type == "lambda":
            awsx.lb.TargetGroupAttachment(name, target_group=group, lambda_arn=target, opts=child)
        elif variant.target_type == "instance":
            former_parent = pulumi.create_urn(name, AWSX_ATTACHMENT_TYPE, parent=parent)
            aws.lb.TargetGroupAttachment(
                name,
                target_group_arn=group.arn,
                target_id=target,
                opts=pulumi.ResourceOptions(
                    parent=parent, aliases=[pulumi.Alias(name=name, parent=former_parent)], ignore_changes=["availabilityZone"]
                ),
            )
        else:
            assert vpc_cidrs is not None
            zone = vpc_cidrs.apply(lambda cidrs, ip=target: routing.ip_target_availability_zone(ip, cidrs))
            aws.lb.TargetGroupAttachment(
                name, target_group_arn=group.arn, target_id=target, port=variant.port, availability_zone=zone, opts=child
            )
