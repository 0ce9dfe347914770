"""The awsx Application Load Balancer, whose listeners carry the weighted forward."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_awsx as awsx

from ab_routing import naming, routing
from ab_routing.model import RoutingConfig
from ab_routing.resources.access_logs import LogBucket
from ab_routing.tags import role_tags

DEFAULT_TARGET_GROUP_ROLE = "awsx-default-unused"
"""Tag value marking awsx's default target group, which no listener or rule forwards to."""


@dataclass(frozen=True)
class LoadBalancer:
    alb: awsx.lb.ApplicationLoadBalancer
    dns_name: pulumi.Output[str]
    zone_id: pulumi.Output[str]
    arn: pulumi.Output[str]
    arn_suffix: pulumi.Output[str]
    listener_arn: pulumi.Output[str]
    """The weighted-forward listener's ARN (see `routing.forward_listener_index`)."""


def create_load_balancer(
    parent: pulumi.Resource,
    config: RoutingConfig,
    target_group_arns: Mapping[str, pulumi.Input[str]],
    security_group_id: pulumi.Input[str],
    vpc_id: pulumi.Input[str],
    subnet_ids: pulumi.Input[Sequence[str]],
    certificate_arn: pulumi.Input[str] | None,
    logs: LogBucket,
    tags: Mapping[str, str],
) -> LoadBalancer:
    """The awsx ALB in `subnet_ids` behind `security_group_id` (no awsx default group).

    awsx always creates a default target group. We give it explicit settings (awsx leaves port
    and protocol unset when exactly one listener is passed, which AWS rejects for an `ip` group),
    the same `vpc_id` as the variants' groups (awsx would take the first subnet's VPC instead), and
    a tag that says what it is: no listener or rule forwards to it.
    """
    lb = config.load_balancer
    forward = routing.forward_action(config.variants, target_group_arns, config.stickiness)
    access_logs = (
        aws.lb.LoadBalancerAccessLogsArgs(bucket=logs.bucket, prefix=config.access_logs.prefix or None, enabled=True)
        if logs.bucket is not None
        else None
    )
    alb = awsx.lb.ApplicationLoadBalancer(
        naming.COMPONENT_NAME,
        subnet_ids=subnet_ids,
        security_groups=[security_group_id],
        internal=lb.internal,
        enable_deletion_protection=lb.deletion_protection,
        idle_timeout=lb.idle_timeout,
        drop_invalid_header_fields=lb.drop_invalid_header_fields,
        enable_http2=lb.http2,
        desync_mitigation_mode=lb.desync_mitigation_mode,
        ip_address_type=lb.ip_address_type,
        client_keep_alive=lb.client_keep_alive,
        access_logs=access_logs,
        default_target_group=awsx.lb.TargetGroupArgs(
            port=routing.HTTP_PORT,
            protocol="HTTP",
            target_type="ip",
            vpc_id=vpc_id,
            tags=role_tags(tags, DEFAULT_TARGET_GROUP_ROLE),
        ),
        listeners=routing.listener_args(config.listener, forward, certificate_arn, tags),
        tags=dict(tags),
        opts=pulumi.ResourceOptions(parent=parent, depends_on=logs.prerequisites),
    )
    load_balancer = alb.load_balancer
    index = routing.forward_listener_index(config.listener)
    return LoadBalancer(
        alb=alb,
        dns_name=load_balancer.apply(lambda b: b.dns_name),
        zone_id=load_balancer.apply(lambda b: b.zone_id),
        arn=load_balancer.apply(lambda b: b.arn),
        arn_suffix=load_balancer.apply(lambda b: b.arn_suffix),
        listener_arn=alb.listeners.apply(lambda listeners: _listener_arn(listeners, index)),
    )


def _listener_arn(listeners: Sequence[aws.lb.Listener] | None, index: int) -> pulumi.Output[str]:
    if not listeners or len(listeners) <= index:
        raise ValueError(f"awsx ApplicationLoadBalancer returned {len(listeners or [])} listener(s); expected more than {index}")
    return listeners[index].arn
