"""Per-variant ALB metrics from CloudWatch (GetMetricData), as per-period series and window percentiles.

Sums come back per period because the sequential test needs cumulative counts at every look; a
period without a data point had no requests (ALB publishes only while requests flow), so it is 0.
Latency percentiles are asked for separately: some CloudWatch stand-ins (moto) do not implement
them, and a missing percentile must cost one figure of the report, not the report.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

from ab_routing import metrics
from ab_routing.aws_errors import NO_CREDENTIALS, describe
from ab_routing.metrics import NAMESPACE
from ab_routing.report.window import Window

REQUESTS = metrics.REQUESTS.name
TARGET_5XX = metrics.TARGET_5XX.name
CONNECTION_ERRORS = metrics.CONNECTION_ERRORS.name
LATENCY = metrics.RESPONSE_TIME.name
SUM_METRICS = tuple(m.name for m in metrics.COUNT_METRICS)
PERCENTILES = metrics.LATENCY_PERCENTILES
MAX_QUERIES = 500
"""GetMetricData's limit of queries per call (5 variants x 3 sums is far below it)."""


class MetricDataClient(Protocol):
    """The one CloudWatch call the report makes (a boto3 `cloudwatch` client has it)."""

    def get_metric_data(self, **kwargs: Any) -> Mapping[str, Any]: ...


class MetricsError(Exception):
    """The request counts could not be fetched: without them there is no report."""


@dataclass(frozen=True)
class VariantTarget:
    """Where one variant's metrics live: its target group's ARN suffix (the TargetGroup dimension)."""

    name: str
    target_group: str


@dataclass(frozen=True)
class Percentile:
    """A latency percentile over the whole window, in seconds as CloudWatch reports it, or why not."""

    seconds: float | None
    unavailable: str | None = None


@dataclass(frozen=True)
class VariantMetrics:
    name: str
    requests: tuple[int, ...]
    """RequestCount per period, oldest first, 0 where CloudWatch had no data point."""
    target_5xx: tuple[int, ...]
    connection_errors: tuple[int, ...]
    latency: Mapping[str, Percentile]
    """p50 / p90 / p99 of TargetResponseTime over the window."""
    latency_avg: tuple[float | None, ...] = ()
    """Mean TargetResponseTime per period in seconds (CloudWatch Average); None without data; empty
    when unknown altogether."""
    latency_samples: tuple[int, ...] = ()
    """Responses behind each period's mean (CloudWatch SampleCount)."""
    error_counts: tuple[int, ...] = ()
    """Failed requests per period when given directly (a metrics file); empty: the sum below."""
    elb_5xx: tuple[int, ...] = ()
    """ELB-generated 5xx attributed to this variant (only from access logs via a metrics file)."""
    breakdown: bool = True
    """False when target_5xx/connection_errors are unknown (a metrics file without those columns)."""

    @property
    def errors(self) -> tuple[int, ...]:
        """Failed requests per period, by the one rule of `ab_routing.metrics.ERROR_METRICS`."""
        if self.error_counts:
            return self.error_counts
        return metrics.total_errors({TARGET_5XX: self.target_5xx, CONNECTION_ERRORS: self.connection_errors})


def fetch_metrics(
    client: MetricDataClient, load_balancer: str, variants: Sequence[VariantTarget], window: Window
) -> tuple[VariantMetrics, ...]:
    """Every variant's sums per period and latency percentiles. Raises MetricsError when the sums fail."""
    sum_queries = {
        f"s{i}_{j}": _query(load_balancer, v.target_group, metric.name, metric.stat, window.period)
        for i, v in enumerate(variants)
        for j, metric in enumerate(metrics.COUNT_METRICS)
    }
    try:
        sums = _get(client, sum_queries, window)
    except NoCredentialsError:
        raise MetricsError(NO_CREDENTIALS) from None
    except (ClientError, BotoCoreError) as error:
        raise MetricsError(f"CloudWatch GetMetricData failed: {describe(error)}") from None
    for query_id, result in sums.items():
        if result.status not in ("Complete", "PartialData"):
            raise MetricsError(f"CloudWatch could not answer query {query_id}: status {result.status}")
    latency = _percentiles(client, load_balancer, variants, window)
    means = _means(client, load_balancer, variants, window)
    out: list[VariantMetrics] = []
    for i, v in enumerate(variants):
        series = {metric: _series(sums[f"s{i}_{j}"], window) for j, metric in enumerate(SUM_METRICS)}
        avg, samples = means.get(v.name, ((), ()))
        out.append(VariantMetrics(v.name, series[REQUESTS], series[TARGET_5XX], series[CONNECTION_ERRORS], latency[v.name], avg, samples))
    return tuple(out)


def _means(
    client: MetricDataClient, load_balancer: str, variants: Sequence[VariantTarget], window: Window
) -> dict[str, tuple[tuple[float | None, ...], tuple[int, ...]]]:
    """Mean TargetResponseTime and its SampleCount per period, for the latency guardrail. A failure
    leaves latency unknown (which blocks `promote`), not the report."""
    queries = {
        f"{kind}{i}": _query(load_balancer, v.target_group, LATENCY, stat, window.period)
        for i, v in enumerate(variants)
        for kind, stat in (("a", "Average"), ("n", "SampleCount"))
    }
    try:
        results = _get(client, queries, window)
    except Exception:  # see _percentiles: latency may be missing, the counts are what matter
        return {}
    out: dict[str, tuple[tuple[float | None, ...], tuple[int, ...]]] = {}
    for i, v in enumerate(variants):
        avg, count = results[f"a{i}"], results[f"n{i}"]
        if avg.status not in ("Complete", "PartialData") or count.status not in ("Complete", "PartialData"):
            continue
        means: list[float | None] = [None] * window.periods
        for timestamp, value in zip(avg.timestamps, avg.values, strict=True):
            j = window.index(timestamp)
            if j is not None:
                means[j] = value
        out[v.name] = (tuple(means), _series(count, window))
    return out


def fetch_baseline(client: MetricDataClient, load_balancer: str, control: VariantTarget, window: Window) -> tuple[int, int]:
    """The control's (requests, failed requests) over `window` (the day before the experiment), for
    fixing tau; (0, 0) when CloudWatch cannot say."""
    queries = {f"b{j}": _query(load_balancer, control.target_group, metric, "Sum", window.period) for j, metric in enumerate(SUM_METRICS)}
    try:
        results = _get(client, queries, window)
    except Exception:  # tau then falls back to its default, and the report says so
        return 0, 0
    totals = [sum(_series(results[f"b{j}"], window)) for j in range(len(SUM_METRICS))]
    return totals[0], totals[1] + totals[2]


def _query(load_balancer: str, target_group: str, metric: str, stat: str, period: int) -> dict[str, Any]:
    return {
        "MetricStat": {
            "Metric": {
                "Namespace": NAMESPACE,
                "MetricName": metric,
                "Dimensions": [
                    {"Name": "LoadBalancer", "Value": load_balancer},
                    {"Name": "TargetGroup", "Value": target_group},
                ],
            },
            "Period": period,
            "Stat": stat,
        },
        "ReturnData": True,
    }


@dataclass(frozen=True)
class _Result:
    timestamps: tuple[datetime, ...]
    values: tuple[float, ...]
    status: str


def _get(client: MetricDataClient, queries: Mapping[str, Mapping[str, Any]], window: Window) -> dict[str, _Result]:
    """One GetMetricData conversation: every page (NextToken) of every query, merged by query id."""
    if len(queries) > MAX_QUERIES:
        raise ValueError(f"at most {MAX_QUERIES} queries per GetMetricData call")
    timestamps: dict[str, list[datetime]] = {q: [] for q in queries}
    values: dict[str, list[float]] = {q: [] for q in queries}
    status: dict[str, str] = dict.fromkeys(queries, "Complete")
    request: dict[str, Any] = {
        "MetricDataQueries": [{"Id": q, **body} for q, body in queries.items()],
        "StartTime": window.start,
        "EndTime": window.end,
        "ScanBy": "TimestampAscending",
    }
    token: str | None = None
    while True:
        page = client.get_metric_data(**request, **({"NextToken": token} if token else {}))
        for result in page.get("MetricDataResults", []):
            query_id = result.get("Id")
            if query_id not in timestamps:
                continue
            timestamps[query_id] += list(result.get("Timestamps", []))
            values[query_id] += [float(v) for v in result.get("Values", [])]
            # PartialData means "more on the next page"; any other status sticks.
            if result.get("StatusCode", "Complete") not in ("Complete", "PartialData"):
                status[query_id] = str(result.get("StatusCode"))
        token = page.get("NextToken")
        if not token:
            break
    return {q: _Result(tuple(timestamps[q]), tuple(values[q]), status[q]) for q in queries}


def _series(result: _Result, window: Window) -> tuple[int, ...]:
    counts = [0] * window.periods
    for timestamp, value in zip(result.timestamps, result.values, strict=True):
        i = window.index(timestamp)
        if i is not None:
            counts[i] += round(value)
    return tuple(counts)


def _percentiles(
    client: MetricDataClient, load_balancer: str, variants: Sequence[VariantTarget], window: Window
) -> dict[str, dict[str, Percentile]]:
    """Latency percentiles over the whole window: one call for all, then one call per percentile if
    that fails, so each figure is available or says why not on its own."""
    queries = {
        (v.name, stat): (f"p{i}_{j}", _query(load_balancer, v.target_group, LATENCY, stat, window.whole_period))
        for i, v in enumerate(variants)
        for j, stat in enumerate(PERCENTILES)
    }
    try:
        results: dict[str, _Result] | None = _get(client, dict(queries.values()), window)
    except Exception:  # any failure here costs figures, not the report: retried one by one below
        results = None
    if results is not None:
        return {v.name: {stat: _percentile(results[queries[(v.name, stat)][0]]) for stat in PERCENTILES} for v in variants}
    out: dict[str, dict[str, Percentile]] = {v.name: {} for v in variants}
    for (name, stat), (query_id, body) in queries.items():
        try:
            out[name][stat] = _percentile(_get(client, {query_id: body}, window)[query_id])
        except Exception as error:  # see above: degrade this one figure, with the reason
            out[name][stat] = Percentile(None, _reason(error))
    return out


def _percentile(result: _Result) -> Percentile:
    if result.status not in ("Complete", "PartialData"):
        return Percentile(None, f"CloudWatch status {result.status}")
    if not result.values:
        return Percentile(None, "no data points in the window")
    # One period spans the window; should CloudWatch split it, the largest is the cautious figure.
    return Percentile(max(result.values))


def _reason(error: Exception) -> str:
    """One short line for the report: the error's code and first line, never an HTML error page."""
    if isinstance(error, ClientError):
        info = error.response.get("Error", {})
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        code = str(info.get("Code") or status)
        code = f"HTTP {code}" if code.isdigit() else code
        message = _first_line(str(info.get("Message", "")))
        return f"CloudWatch refused the percentile query ({code}{': ' + message if message else ''})"
    message = _first_line(str(error))
    return f"percentile query failed ({type(error).__name__}{': ' + message if message else ''})"


def _first_line(text: str, limit: int = 160) -> str:
    line = text.strip().splitlines()[0].strip() if text.strip() else ""
    if line.startswith("<"):  # an HTML error page from a proxy or a stand-in server
        return ""
    return line if len(line) <= limit else line[: limit - 3] + "..."
