"""Where the load balancer lives: the VPC and subnets from config, or the default VPC's."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from ab_routing.model import Network


@dataclass(frozen=True)
class NetworkPlacement:
    vpc_id: pulumi.Input[str]
    subnet_ids: pulumi.Input[Sequence[str]]


def lookup_network(parent: pulumi.Resource, network: Network | None) -> NetworkPlacement:
    """VPC id and subnet ids: from config, or the default VPC's default subnets when omitted."""
    if network is not None:
        return NetworkPlacement(network.vpc_id, list(network.subnet_ids))
    invoke = pulumi.InvokeOutputOptions(parent=parent)
    vpc = aws.ec2.get_vpc_output(default=True, opts=invoke)
    filters = vpc.id.apply(
        lambda vpc_id: [
            aws.ec2.GetSubnetsFilterArgs(name="vpc-id", values=[vpc_id]),
            aws.ec2.GetSubnetsFilterArgs(name="default-for-az", values=["true"]),
        ]
    )
    return NetworkPlacement(vpc.id, aws.ec2.get_subnets_output(filters=filters, opts=invoke).ids)


def lookup_vpc_cidrs(parent: pulumi.Resource, vpc_id: pulumi.Input[str]) -> pulumi.Output[list[str]]:
    """The VPC's IPv4 CIDR blocks (primary and secondary), to place IP targets inside or outside it."""
    vpc = aws.ec2.get_vpc_output(id=vpc_id, opts=pulumi.InvokeOutputOptions(parent=parent))
    return pulumi.Output.all(vpc.cidr_block, vpc.cidr_block_associations).apply(
        lambda values: [values[0], *(_cidr_of(a) for a in values[1] or [])]
    )


def _cidr_of(association: object) -> str:
    """A VPC CIDR association, which the output form of get_vpc hands over as a typed result or as a
    plain dict depending on how it was lifted."""
    if isinstance(association, dict):
        return str(association.get("cidr_block") or association.get("cidrBlock") or "")
    return str(getattr(association, "cidr_block", "") or "")
