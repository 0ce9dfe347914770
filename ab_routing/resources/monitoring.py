"""The alarm topic and its email subscriptions, per-variant alarms, and the dashboard."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from ab_routing import monitoring, naming
from ab_routing.model import AlarmSettings, Variant


@dataclass(frozen=True)
class Monitoring:
    alarm_topic_arn: pulumi.Output[str]
    dashboard_url: str


def create_monitoring(
    parent: pulumi.Resource,
    variants: Sequence[Variant],
    settings: AlarmSettings,
    region: str,
    load_balancer_arn_suffix: pulumi.Input[str],
    target_group_arn_suffixes: Mapping[str, pulumi.Input[str]],
    tags: Mapping[str, str],
) -> Monitoring:
    """Topic, subscriptions, alarms (builders in `ab_routing.monitoring`) and dashboard."""
    child = pulumi.ResourceOptions(parent=parent)
    topic = aws.sns.Topic(f"{naming.COMPONENT_NAME}-alarms", tags=dict(tags), opts=child)
    for email in settings.emails:
        aws.sns.TopicSubscription(
            f"{naming.COMPONENT_NAME}-alarms-{naming.slug(email.replace('@', '-at-'))}",
            topic=topic.arn,
            protocol="email",
            endpoint=email,
            opts=child,
        )
    for variant in variants:
        target_group = target_group_arn_suffixes[variant.name]
        for suffix, build in monitoring.alarm_builders(variant):
            aws.cloudwatch.MetricAlarm(
                f"{variant.name}-{suffix}",
                build(variant, load_balancer_arn_suffix, target_group, topic.arn, settings, tags),
                opts=child,
            )
    name = monitoring.dashboard_name(pulumi.get_project(), pulumi.get_stack())
    names = [v.name for v in variants]
    suffixes = [target_group_arn_suffixes[n] for n in names]
    body = pulumi.Output.all(load_balancer_arn_suffix, *suffixes).apply(
        lambda values: json.dumps(
            monitoring.dashboard_body(region, values[0], dict(zip(names, values[1:], strict=True)), settings.period),
            sort_keys=True,
        )
    )
    aws.cloudwatch.Dashboard(naming.COMPONENT_NAME, dashboard_name=name, dashboard_body=body, opts=child)
    return Monitoring(topic.arn, monitoring.dashboard_url(region, name))
