"""Where the load balancer lives: the VPC and subnets from config, or the default VPC's."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from ab_routing.model import Network


class NetworkMismatchError(pulumi.RunError):
    """The configured subnets are not in the configured VPC, or the task subnets are all in one zone
    (found at preview, before any change)."""


@dataclass(frozen=True)
class NetworkPlacement:
    vpc_id: pulumi.Input[str]
    """Of the target groups and awsx's default target group."""
    subnet_ids: pulumi.Input[Sequence[str]]
    """Of the load balancer; with `network` set, resolved only once every subnet was found in `vpc_id`."""


def lookup_network(parent: pulumi.Resource, network: Network | None) -> NetworkPlacement:
    """VPC id and subnet ids: from config, or the default VPC's default subnets when omitted.

    Target groups take `network.vpcId` while the load balancer lives where its subnets are; a
    mismatch would fail half-way through a deploy with target groups in another VPC than the ALB.
    So each configured subnet is looked up (`getSubnet`, which runs at preview too) and the ALB's
    subnet list resolves only after all of them were found in `network.vpcId`.
    """
    if network is not None:
        invoke = pulumi.InvokeOutputOptions(parent=parent)
        found = [aws.ec2.get_subnet_output(id=subnet, opts=invoke).vpc_id for subnet in network.subnet_ids]
        subnets = pulumi.Output.all(*found).apply(lambda vpcs: _same_vpc(network, vpcs))
        return NetworkPlacement(network.vpc_id, subnets)
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
        lambda values: list(dict.fromkeys([values[0], *(_cidr_of(a) for a in values[1] or [])]))  # the primary is listed twice
    )


def subnet_vpc_problems(network: Network, subnet_vpcs: Sequence[str | None]) -> list[str]:
    """One line per configured subnet whose VPC (as looked up) is not `network.vpcId`."""
    return [
        f"subnet {subnet} is in {vpc or 'an unknown VPC'}"
        for subnet, vpc in zip(network.subnet_ids, subnet_vpcs, strict=True)
        if vpc != network.vpc_id
    ]


def _same_vpc(network: Network, subnet_vpcs: Sequence[str | None]) -> list[str]:
    problems = subnet_vpc_problems(network, subnet_vpcs)
    if problems:
        raise NetworkMismatchError(
            f"network.subnetIds must be in network.vpcId ({network.vpc_id}), where the target groups are: "
            + "; ".join(problems)
            + ". Use subnets of that VPC, or set network.vpcId to theirs."
        )
    return list(network.subnet_ids)


def lookup_task_subnets(parent: pulumi.Resource, network: Network) -> pulumi.Output[list[str]]:
    """`network.taskSubnetIds`, resolved only once each was found in `network.vpcId` and together
    they span two Availability Zones or more (`getSubnet` runs at preview): a task subnet of another
    VPC would fail half-way through `pulumi up`, and tasks in one zone are not highly available."""
    invoke = pulumi.InvokeOutputOptions(parent=parent)
    found = [aws.ec2.get_subnet_output(id=subnet, opts=invoke) for subnet in network.task_subnet_ids]
    facts = [pulumi.Output.all(subnet.vpc_id, subnet.availability_zone) for subnet in found]
    return pulumi.Output.all(*facts).apply(lambda looked_up: _task_subnets(network, looked_up))


def task_subnet_problems(network: Network, facts: Sequence[Sequence[str | None]]) -> list[str]:
    """What is wrong with `network.taskSubnetIds` given each one's (VPC, zone) as looked up."""
    problems = [
        f"subnet {subnet} is in {vpc or 'an unknown VPC'}, not network.vpcId ({network.vpc_id})"
        for subnet, (vpc, _) in zip(network.task_subnet_ids, facts, strict=True)
        if vpc != network.vpc_id
    ]
    zones = sorted({str(zone) for _, zone in facts if zone})
    if len(zones) < 2:
        problems.append(
            f"every subnet is in {zones[0] if zones else 'one zone'}: one zone's outage would stop the variant's tasks; "
            "use subnets of two Availability Zones or more"
        )
    return problems


def _task_subnets(network: Network, facts: Sequence[Sequence[str | None]]) -> list[str]:
    problems = task_subnet_problems(network, facts)
    if problems:
        raise NetworkMismatchError("network.taskSubnetIds: " + "; ".join(problems) + ".")
    return list(network.task_subnet_ids)


def _cidr_of(association: object) -> str:
    """A VPC CIDR association, which the output form of get_vpc hands over as a typed result or as a
    plain dict depending on how it was lifted."""
    if isinstance(association, dict):
        return str(association.get("cidr_block") or association.get("cidrBlock") or "")
    return str(getattr(association, "cidr_block", "") or "")
