"""The ALB metrics this project reads, declared once for the dashboard, the alarms and the report.

CloudWatch publishes them in namespace AWS/ApplicationELB per target group (dimensions
`LoadBalancer` and `TargetGroup`, the two ARN suffixes), and only while requests flow, so a missing
data point means no requests. No Pulumi import here: the report uses this module and must not load
the Pulumi SDKs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ab_routing.naming import ALB_METRICS_NAMESPACE

NAMESPACE = ALB_METRICS_NAMESPACE


@dataclass(frozen=True)
class Metric:
    """One per-target-group ALB metric and the statistic this project reads it with."""

    name: str
    """CloudWatch metric name."""
    stat: str
    """Statistic for per-period figures (Sum for counts; Minimum/Maximum for host counts)."""
    label: str
    """Short human label (dashboard titles)."""
    unit: str
    """Unit for axes: requests, errors, seconds, hosts."""


REQUESTS = Metric("RequestCount", "Sum", "Requests", "requests")
TARGET_5XX = Metric("HTTPCode_Target_5XX_Count", "Sum", "Target 5XX responses", "errors")
CONNECTION_ERRORS = Metric("TargetConnectionErrorCount", "Sum", "Target connection errors", "errors")
RESPONSE_TIME = Metric("TargetResponseTime", "Average", "Target response time", "seconds")
HEALTHY_HOSTS = Metric("HealthyHostCount", "Minimum", "Healthy hosts", "hosts")
UNHEALTHY_HOSTS = Metric("UnHealthyHostCount", "Maximum", "Unhealthy hosts", "hosts")
REQUESTS_PER_TARGET = Metric("RequestCountPerTarget", "Sum", "Requests per target", "requests")

LATENCY_PERCENTILES = ("p50", "p90", "p99")
"""Percentiles of TargetResponseTime shown on the dashboard and in the report."""
ALARM_LATENCY_PERCENTILE = "p99"
"""The percentile the latency alarm watches (`alarms.latencyP99Ms`)."""

ERROR_METRICS: tuple[Metric, ...] = (TARGET_5XX, CONNECTION_ERRORS)
"""The rule: a failed request is one the target answered with a 5XX or could not be connected to;
errors = HTTPCode_Target_5XX_Count + TargetConnectionErrorCount. ALB-generated errors
(HTTPCode_ELB_5XX_Count, 504 on target timeout) exist only per load balancer, not per variant."""
COUNT_METRICS: tuple[Metric, ...] = (REQUESTS, *ERROR_METRICS)
"""What the error rate and the report's comparison are made of, summed per period."""


def error_rate_expression(error_ids: Sequence[str], requests_id: str) -> str:
    """CloudWatch metric math for errors / requests in percent, given the query ids of the
    `ERROR_METRICS` series and of RequestCount. A period without requests counts as 0 %, and a
    missing error data point as 0 errors."""
    if len(error_ids) != len(ERROR_METRICS):
        raise ValueError(f"expected {len(ERROR_METRICS)} error series ({', '.join(m.name for m in ERROR_METRICS)}), got {len(error_ids)}")
    terms = " + ".join(f"FILL({i}, 0)" for i in error_ids)
    return f"IF({requests_id} > 0, 100 * ({terms}) / {requests_id}, 0)"


def total_errors(series: Mapping[str, Sequence[int]]) -> tuple[int, ...]:
    """Errors per period from per-metric series keyed by metric name (each of `ERROR_METRICS`)."""
    columns = [series[m.name] for m in ERROR_METRICS]
    return tuple(sum(values) for values in zip(*columns, strict=True))
