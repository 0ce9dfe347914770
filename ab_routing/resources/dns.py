"""Route 53 alias records for the load balancer."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from ab_routing import naming
from ab_routing.model import Dns


def create_dns_records(
    parent: pulumi.Resource, dns: Dns | None, ip_address_type: str, dns_name: pulumi.Input[str], zone_id: pulumi.Input[str]
) -> None:
    """An A alias (and AAAA for a dualstack ALB) at `dns.recordName`; nothing without `dns`.
    Route 53 records carry no tags."""
    if dns is None:
        return
    alias = aws.route53.RecordAliasArgs(name=dns_name, zone_id=zone_id, evaluate_target_health=True)
    record_types = ["A", "AAAA"] if ip_address_type.startswith("dualstack") else ["A"]
    for record_type in record_types:
        aws.route53.Record(
            f"{naming.COMPONENT_NAME}-{record_type.lower()}",
            zone_id=dns.zone_id,
            name=dns.record_name,
            type=record_type,
            aliases=[alias],
            opts=pulumi.ResourceOptions(parent=parent),
        )
