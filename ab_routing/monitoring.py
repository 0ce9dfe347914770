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

from ab_routing.model import AlarmSettings, Variant
from ab_routing.naming import ALB_METRICS_NAMESPACE

NAMESPACE = ALB_METRICS_NAMESPACE
LATENCY_PERCENTILES = ("p50", "p90", "p99")


def dashboard_name(project: str, stack: str) -> str:
    """CloudWatch dashboards are not auto-named, and dev and prod may share an account."""
    return re.sub(r"[^A-Za-z0-9_-]+", "-", f"{project}-{stack}")[:255]


def dashboard_url(region: str, name: str) -> str:
    return f"https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}#dashboards:name={name}"


def _metric(metric: str, lb: str, tg: str, label: str, stat: str, **extra: Any) -> list[Any]:
    return [NAMESPACE, metric, "LoadBalancer", lb, "TargetGroup", tg, {"label": label, "stat": stat, **extra}]


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

    def per_variant(metric: str, stat: str) -> list[list[Any]]:
        return [_metric(metric, load_balancer, target_groups[n], n, stat) for n in names]

    error_rate: list[list[Any]] = []
    for i, n in enumerate(names):
        tg = target_groups[n]
        error_rate += [
            _metric("HTTPCode_Target_5XX_Count", load_balancer, tg, f"{n} 5XX", "Sum", id=f"e{i}", visible=False),
            _metric("RequestCount", load_balancer, tg, f"{n} requests", "Sum", id=f"r{i}", visible=False),
            [{"expression": f"IF(r{i} > 0, 100 * FILL(e{i}, 0) / r{i}, 0)", "label": n, "id": f"rate{i}"}],
        ]
    widgets = [
        graph("Requests", per_variant("RequestCount", "Sum"), "requests"),
        graph("Target 5XX error rate (%)", error_rate, "%"),
        *(graph(f"Target response time {p} (s)", per_variant("TargetResponseTime", p), "seconds") for p in LATENCY_PERCENTILES),
        graph("Healthy hosts", per_variant("HealthyHostCount", "Minimum"), "hosts"),
        graph("Unhealthy hosts", per_variant("UnHealthyHostCount", "Maximum"), "hosts"),
        graph("Requests per target", per_variant("RequestCountPerTarget", "Sum"), "requests"),
        graph("Target connection errors", per_variant("TargetConnectionErrorCount", "Sum"), "errors"),
    ]
    for i, widget in enumerate(widgets):
        widget["x"], widget["y"] = (i % 2) * 12, (i // 2) * 6
    return {"widgets": widgets}


def _dimensions(load_balancer: pulumi.Input[str], target_group: pulumi.Input[str]) -> dict[str, pulumi.Input[str]]:
    return {"LoadBalancer": load_balancer, "TargetGroup": target_group}


def error_rate_alarm(
    variant: Variant,
    load_balancer: pulumi.Input[str],
    target_group: pulumi.Input[str],
    topic_arn: pulumi.Input[str],
    settings: AlarmSettings,
) -> aws.cloudwatch.MetricAlarmArgs:
    """(target 5XX + target connection errors) / requests, in percent. No traffic is not an outage:
    missing data does not breach, and a period without requests counts as 0 %."""

    def query(query_id: str, metric: str) -> aws.cloudwatch.MetricAlarmMetricQueryArgs:
        return aws.cloudwatch.MetricAlarmMetricQueryArgs(
            id=query_id,
            return_data=False,
            metric=aws.cloudwatch.MetricAlarmMetricQueryMetricArgs(
                namespace=NAMESPACE,
                metric_name=metric,
                dimensions=_dimensions(load_balancer, target_group),
                period=settings.period,
                stat="Sum",
            ),
        )

    return aws.cloudwatch.MetricAlarmArgs(
        alarm_description=f"ab-routing: variant {variant.name} error rate above {settings.error_rate_percent:g}% of requests",
        comparison_operator="GreaterThanThreshold",
        threshold=settings.error_rate_percent,
        evaluation_periods=settings.evaluation_periods,
        datapoints_to_alarm=settings.datapoints_to_alarm,
        treat_missing_data="notBreaching",
        metric_queries=[
            query("errors", "HTTPCode_Target_5XX_Count"),
            query("connection", "TargetConnectionErrorCount"),
            query("requests", "RequestCount"),
            aws.cloudwatch.MetricAlarmMetricQueryArgs(
                id="rate",
                expression="IF(requests > 0, 100 * (FILL(errors, 0) + FILL(connection, 0)) / requests, 0)",
                label=f"{variant.name} error rate (%)",
                return_data=True,
            ),
        ],
        **_notifying(variant, topic_arn),
    )


def _notifying(variant: Variant, topic_arn: pulumi.Input[str]) -> dict[str, Any]:
    """What every alarm shares: it notifies the topic on alarm and on recovery, tagged by variant."""
    return {"alarm_actions": [topic_arn], "ok_actions": [topic_arn], "tags": {"ab-routing:variant": variant.name}}


def latency_alarm(
    variant: Variant,
    load_balancer: pulumi.Input[str],
    target_group: pulumi.Input[str],
    topic_arn: pulumi.Input[str],
    settings: AlarmSettings,
) -> aws.cloudwatch.MetricAlarmArgs:
    """TargetResponseTime p99 above the threshold; no requests means no data, which does not breach."""
    return aws.cloudwatch.MetricAlarmArgs(
        alarm_description=f"ab-routing: variant {variant.name} p99 latency above {settings.latency_p99_ms} ms",
        namespace=NAMESPACE,
        metric_name="TargetResponseTime",
        dimensions=_dimensions(load_balancer, target_group),
        extended_statistic="p99",
        period=settings.period,
        comparison_operator="GreaterThanThreshold",
        threshold=settings.latency_p99_ms / 1000,
        evaluation_periods=settings.evaluation_periods,
        datapoints_to_alarm=settings.datapoints_to_alarm,
        treat_missing_data="notBreaching",
        **_notifying(variant, topic_arn),
    )


def no_healthy_hosts_alarm(
    variant: Variant,
    load_balancer: pulumi.Input[str],
    target_group: pulumi.Input[str],
    topic_arn: pulumi.Input[str],
    settings: AlarmSettings,
) -> aws.cloudwatch.MetricAlarmArgs:
    """Fewer than one healthy host for `noHealthyHostsPeriods` periods. Missing data breaches: a
    group that reports nothing has no healthy host to report."""
    periods = settings.no_healthy_hosts_periods
    return aws.cloudwatch.MetricAlarmArgs(
        alarm_description=f"ab-routing: variant {variant.name} has no healthy hosts",
        namespace=NAMESPACE,
        metric_name="HealthyHostCount",
        dimensions=_dimensions(load_balancer, target_group),
        statistic="Minimum",
        period=settings.period,
        comparison_operator="LessThanThreshold",
        threshold=1,
        evaluation_periods=periods,
        datapoints_to_alarm=periods,
        treat_missing_data="breaching",
        **_notifying(variant, topic_arn),
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
