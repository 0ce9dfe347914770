"""Dashboard and alarms under mocks: every variant in every graph, right dimensions, sane alarms."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ab_routing import metrics, monitoring
from ab_routing.config import parse_config
from ab_routing.model import AlarmSettings
from ab_routing.monitoring import dashboard_name
from ab_routing.report import metrics as report_metrics
from ab_routing.validate import ConfigError
from tests.support import LAMBDA_ARN, base_raw, by_type, one, registrations, run

ROOT = Path(__file__).resolve().parent.parent
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
DASHBOARD = "aws:cloudwatch/dashboard:Dashboard"


def dimensions_of(outputs: dict[str, Any], variant: str) -> dict[str, str]:
    return {"LoadBalancer": outputs["loadBalancerArnSuffix"], "TargetGroup": outputs["variants"][variant]["targetGroupArnSuffix"]}


def test_dashboard_has_every_variant_in_every_graph_with_the_right_dimensions() -> None:
    result = run()
    dashboard = one(result, DASHBOARD).inputs
    assert dashboard["dashboardName"] == dashboard_name("ab-routing", "dev") == "ab-routing-dev"
    body = json.loads(dashboard["dashboardBody"])
    titles = [w["properties"]["title"] for w in body["widgets"]]
    assert titles == [
        "Requests",
        "Target error rate: 5XX + connection errors (%)",
        "Target response time p50 (s)",
        "Target response time p90 (s)",
        "Target response time p99 (s)",
        "Healthy hosts",
        "Unhealthy hosts",
        "Requests per target",
        "Target connection errors",
    ]
    lb = result.outputs["loadBalancerArnSuffix"]
    for widget in body["widgets"]:
        props = widget["properties"]
        assert props["region"] == "us-east-1"
        metrics = [m for m in props["metrics"] if isinstance(m[0], str)]
        by_variant = {m[5]: m for m in metrics}
        for variant in ("champion", "challenger"):
            tg = result.outputs["variants"][variant]["targetGroupArnSuffix"]
            assert tg in by_variant, (props["title"], variant)
            metric = by_variant[tg]
            assert metric[0] == "AWS/ApplicationELB" and metric[2:5] == ["LoadBalancer", lb, "TargetGroup"]
    p99 = next(w for w in body["widgets"] if w["properties"]["title"].endswith("p99 (s)"))
    assert {m[-1]["stat"] for m in p99["properties"]["metrics"]} == {"p99"}
    rate = next(w for w in body["widgets"] if "error rate" in w["properties"]["title"])
    expressions = [m[0]["expression"] for m in rate["properties"]["metrics"] if isinstance(m[0], dict)]
    assert expressions == [
        "IF(r0 > 0, 100 * (FILL(e0_0, 0) + FILL(e0_1, 0)) / r0, 0)",
        "IF(r1 > 0, 100 * (FILL(e1_0, 0) + FILL(e1_1, 0)) / r1, 0)",
    ]
    assert result.outputs["dashboardUrl"].endswith("#dashboards:name=ab-routing-dev")


def _metric_names(queries: list[Any]) -> set[str]:
    return {q[1] for q in queries if isinstance(q[0], str)}


def test_dashboard_alarm_and_report_count_errors_by_the_same_rule() -> None:
    """errors = HTTPCode_Target_5XX_Count + TargetConnectionErrorCount everywhere; the dashboard's
    error-rate graph used 5XX only while the alarm and the report added connection errors."""
    rule = {"HTTPCode_Target_5XX_Count", "TargetConnectionErrorCount"}
    assert {m.name for m in metrics.ERROR_METRICS} == rule
    body = monitoring.dashboard_body("eu-west-1", "app/lb/1", {"a": "targetgroup/a/1", "b": "targetgroup/b/2"})
    rate = next(w["properties"]["metrics"] for w in body["widgets"] if "error rate" in w["properties"]["title"])
    assert _metric_names(rate) == rule | {"RequestCount"}
    for i in (0, 1):
        error_ids = {q[-1]["id"] for q in rate if isinstance(q[0], str) and q[-1]["id"].startswith(f"e{i}_")}
        expression = next(q[0]["expression"] for q in rate if isinstance(q[0], dict) and q[0]["id"] == f"rate{i}")
        assert len(error_ids) == 2 and all(f"FILL({e}, 0)" in expression for e in error_ids), expression
    variant = parse_config(base_raw()).variant("champion")
    alarm = monitoring.error_rate_alarm(variant, "app/lb/1", "targetgroup/a/1", "arn:aws:sns:eu-west-1:1:t", AlarmSettings(), {})
    queries = list(alarm.metric_queries or [])  # type: ignore[arg-type]  # plain args objects here, not awaitables
    assert {q.metric.metric_name for q in queries if q.metric is not None} == rule | {"RequestCount"}
    assert set(report_metrics.SUM_METRICS) == rule | {"RequestCount"}
    figures = report_metrics.VariantMetrics("a", (10, 10), (1, 0), (0, 2), {})
    assert figures.errors == (1, 2)


def test_metrics_module_does_not_load_the_pulumi_sdks() -> None:
    code = "import sys, ab_routing.metrics; print(sorted(m for m in sys.modules if m.split('.')[0].startswith('pulumi')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT).stdout
    assert out.strip() == "[]"


def alarms(result: Any) -> dict[str, dict[str, Any]]:
    return {name: r.inputs for name, r in by_type(result, ALARM).items()}


def test_three_alarms_per_variant_notifying_the_topic() -> None:
    result = run()
    found = alarms(result)
    assert set(found) == {f"{v}-{a}" for v in ("champion", "challenger") for a in ("error-rate", "latency-p99", "no-healthy-hosts")}
    topic = result.outputs["alarmTopicArn"]
    assert topic.startswith("arn:aws:sns:")
    for alarm in found.values():
        assert alarm["alarmActions"] == [topic] and alarm["okActions"] == [topic]


def test_error_rate_alarm_is_metric_math_over_5xx_and_connection_errors() -> None:
    result = run()
    alarm = alarms(result)["challenger-error-rate"]
    assert (alarm["comparisonOperator"], alarm["threshold"]) == ("GreaterThanThreshold", 5)
    assert alarm["treatMissingData"] == "notBreaching"
    queries = {q["id"]: q for q in alarm["metricQueries"]}
    assert {queries[i]["metric"]["metricName"] for i in ("errors", "connection", "requests")} == {
        "HTTPCode_Target_5XX_Count",
        "TargetConnectionErrorCount",
        "RequestCount",
    }
    for i in ("errors", "connection", "requests"):
        assert queries[i]["metric"]["dimensions"] == dimensions_of(result.outputs, "challenger")
        assert queries[i]["returnData"] is False
    assert queries["rate"]["returnData"] is True
    assert "FILL(errors, 0) + FILL(connection, 0)" in queries["rate"]["expression"]


def test_latency_and_health_alarms() -> None:
    result = run()
    latency = alarms(result)["champion-latency-p99"]
    assert (latency["metricName"], latency["extendedStatistic"], latency["threshold"]) == ("TargetResponseTime", "p99", 2)
    assert latency["dimensions"] == dimensions_of(result.outputs, "champion")
    assert latency["treatMissingData"] == "notBreaching"
    health = alarms(result)["champion-no-healthy-hosts"]
    assert (health["metricName"], health["statistic"], health["comparisonOperator"], health["threshold"]) == (
        "HealthyHostCount",
        "Minimum",
        "LessThanThreshold",
        1,
    )
    assert health["treatMissingData"] == "breaching"


def test_alarm_settings_and_email_subscriptions_come_from_config() -> None:
    raw = base_raw()
    raw["alarms"] = {
        "errorRatePercent": 2.5,
        "latencyP99Ms": 750,
        "period": 300,
        "evaluationPeriods": 3,
        "datapointsToAlarm": 2,
        "emails": ["oncall@example.com"],
    }
    result = run(raw)
    found = alarms(result)
    assert found["champion-error-rate"]["threshold"] == 2.5
    assert found["champion-latency-p99"]["threshold"] == 0.75
    assert (found["champion-latency-p99"]["period"], found["champion-latency-p99"]["evaluationPeriods"]) == (300, 3)
    assert found["champion-latency-p99"]["datapointsToAlarm"] == 2
    subscription = one(result, "aws:sns/topicSubscription:TopicSubscription").inputs
    raw["alarms"] = {"noHealthyHostsPeriods": 4}
    health = alarms(run(raw))["champion-no-healthy-hosts"]
    assert (health["evaluationPeriods"], health["datapointsToAlarm"]) == (4, 4)
    assert subscription == {"topic": result.outputs["alarmTopicArn"], "protocol": "email", "endpoint": "oncall@example.com"}


def test_lambda_variant_without_health_check_gets_no_health_alarm() -> None:
    raw = base_raw()
    raw["variants"]["challenger"] = {"weight": 10, "targetType": "lambda", "targets": [LAMBDA_ARN]}
    found = alarms(run(raw))
    assert "challenger-no-healthy-hosts" not in found
    assert {"challenger-error-rate", "challenger-latency-p99", "champion-no-healthy-hosts"} <= set(found)


def test_weight_shift_leaves_dashboard_and_alarms_alone() -> None:
    raw = base_raw()
    before = registrations(run(raw))
    raw["variants"]["champion"]["weight"] = 50
    after = registrations(run(raw))
    changed = [u for u in before if before[u] != after[u]]
    assert len(changed) == 1 and "awsx:lb:ApplicationLoadBalancer" in changed[0]


@pytest.mark.parametrize(
    ("alarms_config", "fragment"),
    [
        ({"errorRatePercent": 0}, "alarms.errorRatePercent: got 0"),
        ({"errorRatePercent": 101}, "at most 100"),
        ({"period": 45}, "alarms.period: got 45; must be an integer from 60 to 86400"),
        ({"period": 90}, "alarms.period: got 90; must be a multiple of 60 seconds"),
        ({"noHealthyHostsPeriods": 0}, "alarms.noHealthyHostsPeriods: got 0"),
        ({"evaluationPeriods": 2, "datapointsToAlarm": 3}, "alarms.datapointsToAlarm: got 3; must be at most evaluationPeriods (2)"),
        ({"emails": ["not-an-email"]}, "alarms.emails[0]: got"),
        ({"latencyP99Ms": 0}, "alarms.latencyP99Ms: got 0"),
        ({"period": 3600, "evaluationPeriods": 25}, "at most one day"),
        ({"treshold": 1}, "alarms.treshold: unknown key"),
    ],
)
def test_bad_alarm_settings(alarms_config: dict[str, Any], fragment: str) -> None:
    raw = base_raw()
    raw["alarms"] = alarms_config
    with pytest.raises(ConfigError) as caught:
        parse_config(raw)
    assert fragment in str(caught.value)
