"""Per-variant CloudWatch dashboard and alarms, as pure functions of ARN suffixes and settings.

Nothing here depends on a weight, so a weight shift never touches the dashboard or an alarm.
Dimensions are the ARN suffixes CloudWatch uses: `LoadBalancer=app/<name>/<id>` and
`TargetGroup=targetgroup/<name>/<id>`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_aws as aws

from ab_routing import metrics as m
from ab_routing.metrics import NAMESPACE
from ab_routing.model import AlarmSettings, Variant
from ab_routing.tags import variant_tags

ALARM_QUERY_IDS = {m.TARGET_5XX.name: "errors", m.CONNECTION_ERRORS.name: "connection", m.REQUESTS.name: "requests"}
"""Query ids of the error-rate alarm's metric math, as deployed (renaming one updates every alarm)."""


def dashboard_name(project: str, stack: str) -> str:
    """CloudWatch dashboards are not auto-named, and dev and prod may share an account."""
    return re.sub(r"[^A-Za-z0-9_-]+", "-", f"{project}-{stack}")[:255]


def dashboard_url(region: str, name: str) -> str:
    return f"https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}#dashboards:name={name}"


def _metric(metric: m.Metric, lb: str, tg: str, label: str, stat: str | None = None, **extra: Any) -> list[Any]:
    return [NAMESPACE, metric.name, "LoadBalancer", lb, "TargetGroup", tg, {"label": label, "stat": stat or metric.stat, **extra}]


def dashboard_body(region: str, load_balancer: str, target_groups: Mapping[str, str], period: int = 60) -> dict[str, Any]:
    """One graph per metric, one line per variant (variants in name order).

    `target_groups` maps variant name -> target-group ARN suffix.
    """
    names = sorted(target_groups)

    def graph(title: str, metrics: list[list[Any]], unit: str = "") -> dict[str, Any]:
        return {
            "type": "metric",
            "width": 12,
            "height": 6,
            "properties": {
                "title": title,
                "region": region,
                "view": "timeSeries",
                "stacked": False,
                "period": period,
                "metrics": metrics,
                "yAxis": {"left": {"label": unit, "showUnits": False}} if unit else {},
            },
        }

    def per_variant(metric: m.Metric, stat: str | None = None) -> list[list[Any]]:
        return [_metric(metric, load_balancer, target_groups[n], n, stat) for n in names]

    def simple(metric: m.Metric) -> dict[str, Any]:
        return graph(metric.label, per_variant(metric), metric.unit)

    # Per variant: each error series and the requests (hidden), and the rate of metrics.error_rate_expression.
    error_rate: list[list[Any]] = []
    for i, n in enumerate(names):
        tg = target_groups[n]
        ids = [f"e{i}_{j}" for j in range(len(m.ERROR_METRICS))]
        error_rate += [
            _metric(metric, load_balancer, tg, f"{n} {metric.label}", id=query_id, visible=False)
            for metric, query_id in zip(m.ERROR_METRICS, ids, strict=True)
        ]
        error_rate += [
            _metric(m.REQUESTS, load_balancer, tg, f"{n} requests", id=f"r{i}", visible=False),
            [{"expression": m.error_rate_expression(ids, f"r{i}"), "label": n, "id": f"rate{i}"}],
        ]
    widgets = [
        simple(m.REQUESTS),
        graph("Target error rate: 5XX + connection errors (%)", error_rate, "%"),
        *(graph(f"{m.RESPONSE_TIME.label} {p} (s)", per_variant(m.RESPONSE_TIME, p), "seconds") for p in m.LATENCY_PERCENTILES),
        simple(m.HEALTHY_HOSTS),
        simple(m.UNHEALTHY_HOSTS),
        simple(m.REQUESTS_PER_TARGET),
        simple(m.CONNECTION_ERRORS),
    ]
    for i, widget in enumerate(widgets):
        widget["x"], widget["y"] = (i % 2) * 12, (i // 2) * 6
    return {"widgets": widgets}


ALARM_KEY_DELETION_WINDOW_DAYS = 30
"""Days a deleted alarm-topic key stays recoverable (AWS allows 7-30): the longest, because queued
notifications cannot be decrypted once it is gone."""


def alarm_topic_key_policy(account_root_arn: str) -> dict[str, Any]:
    """Key policy of the alarm topic's KMS key: the account root keeps full control (so IAM policies
    in the account decide who administers it and the key can never become unmanageable), and
    CloudWatch alarms may generate data keys and decrypt, which publishing to an encrypted topic
    needs (the AWS-managed alias/aws/sns key does not allow it)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AccountRootAdministers",
                "Effect": "Allow",
                "Principal": {"AWS": account_root_arn},
                "Action": "kms:*",
                "Resource": "*",
            },
            {
                "Sid": "CloudWatchAlarmsPublish",
                "Effect": "Allow",
                "Principal": {"Service": "cloudwatch.amazonaws.com"},
                "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                "Resource": "*",
            },
        ],
    }


def _dimensions(load_balancer: pulumi.Input[str], target_group: pulumi.Input[str]) -> dict[str, pulumi.Input[str]]:
    return {"LoadBalancer": load_balancer, "TargetGroup": target_group}


def error_rate_alarm(
    variant: Variant,
    load_balancer: pulumi.Input[str],
    target_group: pulumi.Input[str],
    topic_arn: pulumi.Input[str],
    settings: AlarmSettings,
    tags: Mapping[str, str],
) -> aws.cloudwatch.MetricAlarmArgs:
    """(target 5XX + target connection errors) / requests, in percent. No traffic is not an outage:
    missing data does not breach, and a period without requests counts as 0 %."""

    def query(metric: m.Metric) -> aws.cloudwatch.MetricAlarmMetricQueryArgs:
        return aws.cloudwatch.MetricAlarmMetricQueryArgs(
            id=ALARM_QUERY_IDS[metric.name],
            return_data=False,
            metric=aws.cloudwatch.MetricAlarmMetricQueryMetricArgs(
                namespace=NAMESPACE,
                metric_name=metric.name,
                dimensions=_dimensions(load_balancer, target_group),
                period=settings.period,
                stat=metric.stat,
            ),
        )

    expression = m.error_rate_expression([ALARM_QUERY_IDS[e.name] for e in m.ERROR_METRICS], ALARM_QUERY_IDS[m.REQUESTS.name])

    return aws.cloudwatch.MetricAlarmArgs(
        alarm_description=f"ab-routing: variant {variant.name} error rate above {settings.error_rate_percent:g}% of requests",
        comparison_operator="GreaterThanThreshold",
        threshold=settings.error_rate_percent,
        evaluation_periods=settings.evaluation_periods,
        datapoints_to_alarm=settings.datapoints_to_alarm,
        treat_missing_data="notBreaching",
        metric_queries=[
            *(query(metric) for metric in m.ERROR_METRICS),
            query(m.REQUESTS),
            aws.cloudwatch.MetricAlarmMetricQueryArgs(
                id="rate",
                expression=expression,
                label=f"{variant.name} error rate (%)",
                return_data=True,
            ),
        ],
        **_notifying(variant, topic_arn, tags),
    )


def _notifying(variant: Variant, topic_arn: pulumi.Input[str], tags: Mapping[str, str]) -> dict[str, Any]:
    """What every alarm shares: it notifies the topic on alarm and on recovery, tagged by variant."""
    return {"alarm_actions": [topic_arn], "ok_actions": [topic_arn], "tags": variant_tags(tags, variant.name)}


def latency_alarm(
    variant: Variant,
    load_balancer: pulumi.Input[str],
    target_group: pulumi.Input[str],
    topic_arn: pulumi.Input[str],
    settings: AlarmSettings,
    tags: Mapping[str, str],
) -> aws.cloudwatch.MetricAlarmArgs:
    """TargetResponseTime p99 above the threshold; no requests means no data, which does not breach."""
    return aws.cloudwatch.MetricAlarmArgs(
        alarm_description=f"ab-routing: variant {variant.name} p99 latency above {settings.latency_p99_ms} ms",
        namespace=NAMESPACE,
        metric_name=m.RESPONSE_TIME.name,
        dimensions=_dimensions(load_balancer, target_group),
        extended_statistic=m.ALARM_LATENCY_PERCENTILE,
        period=settings.period,
        comparison_operator="GreaterThanThreshold",
        threshold=settings.latency_p99_ms / 1000,
        evaluation_periods=settings.evaluation_periods,
        datapoints_to_alarm=settings.datapoints_to_alarm,
        treat_missing_data="notBreaching",
        **_notifying(variant, topic_arn, tags),
    )


def no_healthy_hosts_alarm(
    variant: Variant,
    load_balancer: pulumi.Input[str],
    target_group: pulumi.Input[str],
    topic_arn: pulumi.Input[str],
    settings: AlarmSettings,
    tags: Mapping[str, str],
) -> aws.cloudwatch.MetricAlarmArgs:
    """Fewer than one healthy host for `noHealthyHostsPeriods` periods. Missing data breaches: a
    group that reports nothing has no healthy host to report."""
    periods = settings.no_healthy_hosts_periods
    return aws.cloudwatch.MetricAlarmArgs(
        alarm_description=f"ab-routing: variant {variant.name} has no healthy hosts",
        namespace=NAMESPACE,
        metric_name=m.HEALTHY_HOSTS.name,
        dimensions=_dimensions(load_balancer, target_group),
        statistic=m.HEALTHY_HOSTS.stat,
        period=settings.period,
        comparison_operator="LessThanThreshold",
        threshold=1,
        evaluation_periods=periods,
        datapoints_to_alarm=periods,
        treat_missing_data="breaching",
        **_notifying(variant, topic_arn, tags),
    )


def watches_health(variant: Variant) -> bool:
    """A Lambda variant without health checks reports no healthy-host count to alarm on."""
    return variant.health_check.enabled


def alarm_builders(variant: Variant) -> Sequence[tuple[str, Any]]:
    """(suffix of the logical name, builder) for each alarm this variant gets."""
    builders: list[tuple[str, Any]] = [("error-rate", error_rate_alarm), ("latency-p99", latency_alarm)]
    if watches_health(variant):
        builders.append(("no-healthy-hosts", no_healthy_hosts_alarm))
    return builders
