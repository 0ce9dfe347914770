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
    alarm_names: Mapping[str, Mapping[str, pulumi.Output[str]]]
    """variant -> {errorRate, latencyP99, noHealthyHosts} -> the alarm's name (the `alarms` output
    that `rollout` watches); `noHealthyHosts` is absent where the variant has no health check."""


ALARM_OUTPUT_KEYS = {"error-rate": "errorRate", "latency-p99": "latencyP99", "no-healthy-hosts": "noHealthyHosts"}
"""Logical-name suffix of each alarm -> its key in the `alarms` stack output (an interface)."""


def create_monitoring(
    parent: pulumi.Resource,
    variants: Sequence[Variant],
    settings: AlarmSettings,
    region: str,
    load_balancer_arn_suffix: pulumi.Input[str],
    target_group_arn_suffixes: Mapping[str, pulumi.Input[str]],
    tags: Mapping[str, str],
) -> Monitoring:
    """Topic (encrypted, see `create_alarm_topic_key`), subscriptions, alarms (builders in
    `ab_routing.monitoring`) and dashboard."""
    child = pulumi.ResourceOptions(parent=parent)
    key_arn = create_alarm_topic_key(parent, settings, tags)
    topic = aws.sns.Topic(f"{naming.COMPONENT_NAME}-alarms", kms_master_key_id=key_arn, tags=dict(tags), opts=child)
    for email in settings.emails:
        aws.sns.TopicSubscription(
            f"{naming.COMPONENT_NAME}-alarms-{naming.slug(email.replace('@', '-at-'))}",
            topic=topic.arn,
            protocol="email",
            endpoint=email,
            opts=child,
        )
    alarm_names: dict[str, dict[str, pulumi.Output[str]]] = {}
    for variant in variants:
        target_group = target_group_arn_suffixes[variant.name]
        for suffix, build in monitoring.alarm_builders(variant):
            alarm = aws.cloudwatch.MetricAlarm(
                f"{variant.name}-{suffix}",
                build(variant, load_balancer_arn_suffix, target_group, topic.arn, settings, tags),
                opts=child,
            )
            alarm_names.setdefault(variant.name, {})[ALARM_OUTPUT_KEYS[suffix]] = alarm.name
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
    return Monitoring(topic.arn, monitoring.dashboard_url(region, name), alarm_names)


def create_alarm_topic_key(parent: pulumi.Resource, settings: AlarmSettings, tags: Mapping[str, str]) -> pulumi.Input[str]:
    """The KMS key ARN the alarm topic is encrypted with: `alarms.kmsKeyArn`, or a customer managed
    key created here with rotation on and the policy of `monitoring.alarm_topic_key_policy`."""
    if settings.kms_key_arn:
        return settings.kms_key_arn
    identity = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=parent))
    policy = identity.apply(
        lambda who: json.dumps(monitoring.alarm_topic_key_policy(f"arn:{who.arn.split(':')[1]}:iam::{who.account_id}:root"), sort_keys=True)
    )
    key = aws.kms.Key(
        f"{naming.COMPONENT_NAME}-alarms",
        description="ab-routing: encrypts the alarm topic; CloudWatch alarms may use it",
        enable_key_rotation=True,
        deletion_window_in_days=monitoring.ALARM_KEY_DELETION_WINDOW_DAYS,
        policy=policy,
        tags=dict(tags),
        opts=pulumi.ResourceOptions(parent=parent),
    )
    return key.arn
