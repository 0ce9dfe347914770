"""The association of a WAFv2 web ACL with the load balancer."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from ab_routing import naming


def create_web_acl_association(parent: pulumi.Resource, web_acl_arn: str | None, load_balancer_arn: pulumi.Input[str]) -> None:
    """Associate `loadBalancer.webAclArn`, when set (an association has no tags)."""
    if web_acl_arn:
        aws.wafv2.WebAclAssociation(
            naming.COMPONENT_NAME,
            resource_arn=load_balancer_arn,
            web_acl_arn=web_acl_arn,
            opts=pulumi.ResourceOptions(parent=parent),
        )
