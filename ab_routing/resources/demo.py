"""A demo variant: a small Python Lambda function registered in the variant's target group.

Registered per demo variant, all parented to the component and named `<variant>-demo`: a log group
with retention, an execution role that may only write that log group, the function, the
`lambda:InvokeFunction` permission for `elasticloadbalancing.amazonaws.com` scoped to the target
group, and the target registration (after the permission, which AWS checks when registering).
Argument objects come from `ab_routing.serving.demo_args` and `ab_routing.serving.policies`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from ab_routing import tags as tagging
from ab_routing.serving import demo_args, names, policies
from ab_routing.serving.settings import DemoSettings

ELB_PRINCIPAL = "elasticloadbalancing.amazonaws.com"


@dataclass(frozen=True)
class DemoVariant:
    """What a demo variant registered; `function` is what others (outputs, logs) may need."""

    function: aws.lambda_.Function
    log_group: aws.cloudwatch.LogGroup
    role: aws.iam.Role
    attachment: aws.lb.TargetGroupAttachment


def demo_name(variant: str) -> str:
    """Logical name of every resource of a demo variant (types differ, so they do not collide)."""
    return f"{variant}-demo"


def create_demo_variant(
    parent: pulumi.Resource,
    variant_name: str,
    settings: DemoSettings,
    target_group: aws.lb.TargetGroup,
    tags: Mapping[str, str],
    *,
    health_path: str,
) -> DemoVariant:
    """Register the demo function of `variant_name` in `target_group` (target type lambda).
    `health_path` is the target group's health-check path, which the function always answers 200."""
    name = demo_name(variant_name)
    child = pulumi.ResourceOptions(parent=parent)
    variant_tags = tagging.variant_tags(tags, variant_name)
    log_group = aws.cloudwatch.LogGroup(
        name,
        name_prefix=names.log_group_prefix(pulumi.get_project(), pulumi.get_stack(), variant_name, "demo"),
        retention_in_days=settings.log_retention_days,
        tags=variant_tags,
        opts=child,
    )
    role = aws.iam.Role(
        name,
        assume_role_policy=json.dumps(policies.assume_role_policy(policies.LAMBDA_SERVICE)),
        description=f"ab-routing demo function of variant {variant_name}: writes its own log group only",
        tags=variant_tags,
        opts=child,
    )
    role_policy = aws.iam.RolePolicy(
        name,
        role=role.id,
        policy=log_group.arn.apply(lambda arn: json.dumps(policies.demo_function_policy(arn))),
        opts=child,
    )
    function = aws.lambda_.Function(
        name,
        demo_args.function_args(variant_name, settings, health_path, role.arn, log_group.name, tags),
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[role_policy]),
    )
    permission = aws.lambda_.Permission(
        name,
        action="lambda:InvokeFunction",
        function=function.name,
        principal=ELB_PRINCIPAL,
        source_arn=target_group.arn,
        opts=child,
    )
    attachment = aws.lb.TargetGroupAttachment(
        name,
        target_group_arn=target_group.arn,
        target_id=function.arn,
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[permission]),
    )
    return DemoVariant(function=function, log_group=log_group, role=role, attachment=attachment)
