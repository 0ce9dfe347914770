"""Stack outputs other tools read: `alarms` (rollout watches them) and the log-analytics names
(`logs --engine athena` and `report --source athena` query them)."""

from __future__ import annotations

from ab_routing.outputs import parse_outputs
from tests.support import LAMBDA_ARN, base_raw, by_type, run

ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"


def test_alarms_output_names_each_variants_registered_alarms() -> None:
    raw = base_raw()
    raw["variants"]["fraud"] = {"weight": 0, "targetType": "lambda", "targets": [LAMBDA_ARN.replace("123456789012", "111122223333")]}
    result = run(raw)
    alarms = result.outputs["alarms"]
    registered = by_type(result, ALARM)
    assert set(alarms) == {"champion", "challenger", "fraud"}
    assert set(alarms["champion"]) == {"errorRate", "latencyP99", "noHealthyHosts"}
    assert set(alarms["fraud"]) == {"errorRate", "latencyP99"}, "a Lambda variant without health checks has no health alarm"
    assert alarms["champion"]["errorRate"] != alarms["challenger"]["errorRate"]
    assert len(registered) == 8
    deployed = parse_outputs(result.outputs, "plan")
    assert deployed.alarms["challenger"]["latencyP99"] == alarms["challenger"]["latencyP99"]


def test_log_analytics_exist_only_with_access_logs_and_are_named_in_outputs() -> None:
    off = run()
    assert (off.outputs["logsDatabase"], off.outputs["logsTable"], off.outputs["athenaWorkGroup"]) == (None, None, None)
    assert not by_type(off, "aws:glue/catalogTable:CatalogTable")
    raw = base_raw()
    raw["accessLogs"] = {"enabled": True, "prefix": "models"}
    on = run(raw)
    table = by_type(on, "aws:glue/catalogTable:CatalogTable")["logs"]
    work_group = by_type(on, "aws:athena/workgroup:Workgroup")["logs"]
    assert table.parent is not None and table.parent.endswith("ab-routing:index:AbRouting::ab-routing")
    assert on.outputs["logsTable"] == table.inputs["name"] == "alb_access_logs"
    assert on.outputs["athenaWorkGroup"] == work_group.inputs["name"]
    assert on.outputs["logsDatabase"] == on.outputs["athenaWorkGroup"] == "ab_routing_dev_logs"
    assert "/models/AWSLogs/" in table.inputs["storageDescriptor"]["location"]
