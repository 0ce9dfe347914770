"""The Athena resources over the access logs: pure builders, then the registrations under mocks."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import pulumi
import pytest

from ab_routing.offline import run_offline
from ab_routing.resources import log_analytics_args as args
from ab_routing.resources.log_analytics import create_log_analytics
from tests.logs_support import ACCOUNT, LB_SUFFIX, NEW_FIELDS, REGION, TG_CHAMPION, ok
from tests.support import stack_config


@pytest.mark.parametrize(
    ("parts", "expected"), [(("ab-routing", "prod"), "ab_routing_prod"), (("My.Project", "EU--West"), "my_project_eu_west")]
)
def test_names_are_lowercase_with_underscores(parts: tuple[str, ...], expected: str) -> None:
    assert args.glue_name(*parts) == expected


def test_locations_follow_the_aws_layout_and_keep_results_apart() -> None:
    assert args.logs_location("b", "/alb/", ACCOUNT, REGION) == f"s3://b/alb/AWSLogs/{ACCOUNT}/elasticloadbalancing/{REGION}/"
    assert args.logs_location("b", "", ACCOUNT, REGION) == f"s3://b/AWSLogs/{ACCOUNT}/elasticloadbalancing/{REGION}/"
    assert args.results_location("b", "alb") == "s3://b/alb/athena-results/"
    params = args.table_parameters("s3://b/AWSLogs/1/elasticloadbalancing/r/")
    assert params["storage.location.template"] == "s3://b/AWSLogs/1/elasticloadbalancing/r/${day}"
    assert params["projection.day.format"] == "yyyy/MM/dd" and params["projection.enabled"] == "true"


def test_the_serde_regex_maps_one_group_per_column_and_tolerates_appended_fields() -> None:
    pattern = re.compile(args.serde_parameters()["input.regex"])
    columns = [c["name"] for c in args.table_columns()]
    assert pattern.groups == len(columns) and columns[-1] == args.TAIL_COLUMN
    plain = pattern.match(ok().line())
    appended = pattern.match(replace(ok(), extra=(*NEW_FIELDS, '"a future field"', "42")).line())
    assert plain is not None and appended is not None
    for match in (plain, appended):
        row = dict(zip(columns, match.groups(), strict=True))
        assert row["target_group_arn"] == TG_CHAMPION and row["elb"] == LB_SUFFIX and row["matched_rule_priority"] == "0"
    assert appended.group(len(columns)) == ' "-" "-" "-" "a future field" 42'
    assert pattern.match(ok().line()[:200]) is None


def test_a_cutoff_below_athenas_minimum_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 10485760"):
        args.check_cutoff(1024)


class Holder(pulumi.ComponentResource):
    def __init__(self) -> None:
        super().__init__("test:index:Holder", "holder")


def test_registrations_under_mocks() -> None:
    made: dict[str, Any] = {}

    def program() -> None:
        holder = Holder()
        result = create_log_analytics(
            holder,
            name="ab-routing_dev",
            bucket="logs-bucket",
            prefix="alb",
            region=REGION,
            account_id=ACCOUNT,
            load_balancer=LB_SUFFIX,
            tags={"team": "ml"},
        )
        pulumi.export("db", result.database)
        pulumi.export("table", result.table)
        pulumi.export("wg", result.work_group)
        made["holder"] = holder

    run = run_offline(stack_config(), program=program)
    regs = {r.type: r for r in run.recording.registrations}
    holder_urn = next(r.urn for r in run.recording.registrations if r.type == "test:index:Holder")
    database = regs["aws:glue/catalogDatabase:CatalogDatabase"]
    table = regs["aws:glue/catalogTable:CatalogTable"]
    work_group = regs["aws:athena/workgroup:Workgroup"]
    assert {database.parent, table.parent, work_group.parent} == {holder_urn}
    assert run.outputs == {"db": "ab_routing_dev_logs", "table": "alb_access_logs", "wg": "ab_routing_dev_logs"}
    assert database.inputs["tags"] == {"team": "ml"}
    descriptor = table.inputs["storageDescriptor"]
    assert descriptor["location"] == f"s3://logs-bucket/alb/AWSLogs/{ACCOUNT}/elasticloadbalancing/{REGION}/"
    assert descriptor["serDeInfo"]["serializationLibrary"] == "org.apache.hadoop.hive.serde2.RegexSerDe"
    assert re.compile(descriptor["serDeInfo"]["parameters"]["input.regex"]).match(ok().line())
    assert [k["name"] for k in table.inputs["partitionKeys"]] == ["day"]
    assert table.inputs["parameters"]["ab_routing.load_balancer"] == LB_SUFFIX
    config = work_group.inputs["configuration"]
    assert config["enforceWorkgroupConfiguration"] is True
    assert config["bytesScannedCutoffPerQuery"] == args.DEFAULT_BYTES_SCANNED_CUTOFF
    assert config["resultConfiguration"]["outputLocation"] == "s3://logs-bucket/alb/athena-results/"
    assert config["resultConfiguration"]["encryptionConfiguration"]["encryptionOption"] == "SSE_S3"
