"""`report` against CloudWatch as moto fakes it: ALB metrics are put, the report reads them back.

Each test writes a project (Pulumi.yaml + Pulumi.dev.yaml) and a stack-outputs file, puts per-minute
ALB metrics into AWS/ApplicationELB with the real dimensions, and runs the report as the CLI does.
moto does not implement percentile statistics, so latency must come out as unavailable, not crash.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from ab_routing.report.cli import add_report_parser, run_report
from ab_routing.report.metrics import MetricDataClient, VariantTarget, fetch_metrics
from ab_routing.report.window import make_window, parse_since
from tests import support as shared

ROOT = Path(__file__).resolve().parent.parent
REGION = "us-east-1"
LOAD_BALANCER = "app/ab-routing-4f2a/50dc6c495c0c9188"
INSTANCE = "i-0123456789abcdef0"


def target_group(name: str) -> str:
    return f"targetgroup/{name}-7a1b2c3/73e2d6bc24d8a067"


@pytest.fixture
def cloudwatch(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        yield boto3.client("cloudwatch", region_name=REGION)


def make_project(tmp_path: Path, weights: Mapping[str, int], control: str = "champion") -> Path:
    """A project dir with the stack's config and the outputs `pulumi stack output --json` would print."""
    variants = {name: {"weight": w, "targets": [INSTANCE], **({"control": True} if name == control else {})} for name, w in weights.items()}
    config = {"aws:region": REGION, "ab-routing:variants": variants}
    shared.make_project(tmp_path, config)
    total = sum(weights.values())
    outputs = {
        "url": "http://ab-routing.example",
        "loadBalancerArnSuffix": LOAD_BALANCER,
        "variants": {
            name: {
                "targetGroupArn": f"arn:aws:elasticloadbalancing:{REGION}:123456789012:{target_group(name)}",
                "targetGroupArnSuffix": target_group(name),
                "weight": w,
                "share": round(100 * w / total, 2),
            }
            for name, w in weights.items()
        },
    }
    shared.write_outputs(tmp_path, outputs)
    return tmp_path


def put_traffic(client: Any, variant: str, per_minute: Sequence[tuple[int, int, int]], latency: float = 0.08, jitter: float = 0.0) -> None:
    """(requests, target 5xx, connection errors) per minute, the most recent ending 5 minutes ago;
    mean latency `latency`, `jitter` above and below it in alternate stretches of 7 minutes."""
    dims = [{"Name": "LoadBalancer", "Value": LOAD_BALANCER}, {"Name": "TargetGroup", "Value": target_group(variant)}]
    now = datetime.now(UTC)
    for minute, (requests, target_5xx, connection_errors) in enumerate(per_minute):
        at = now - timedelta(minutes=5 + minute, seconds=30)
        data = [
            ("RequestCount", requests),
            ("HTTPCode_Target_5XX_Count", target_5xx),
            ("TargetConnectionErrorCount", connection_errors),
        ]
        client.put_metric_data(
            Namespace="AWS/ApplicationELB",
            MetricData=[
                *(
                    {"MetricName": name, "Dimensions": dims, "Timestamp": at, "Value": value, "Unit": "Count"}
                    for name, value in data
                    if value
                ),
                {
                    "MetricName": "TargetResponseTime",
                    "Dimensions": dims,
                    "Timestamp": at,
                    "Value": latency + (jitter if (minute // 7) % 2 else -jitter),
                    "Unit": "Seconds",
                },
            ],
        )


def experiment_start(minutes_ago: int = 140) -> str:
    """An experiment start before all the traffic put_traffic puts (at most 130 minutes of it)."""
    return (datetime.now(UTC) - timedelta(minutes=minutes_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")


def report(project: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser(prog="python -m ab_routing")
    add_report_parser(parser.add_subparsers(dest="command", required=True))
    anchor = [] if "--since" in extra or "--start" in extra else ["--start", experiment_start()]
    args = parser.parse_args(["report", "--dir", str(project), "--outputs", str(project / "outputs.json"), *anchor, *extra])
    code = run_report(args)
    out, err = capsys.readouterr()
    return code, out, err


def json_report(project: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, dict[str, Any], str]:
    code, out, err = report(project, capsys, "--json", *extra)
    return code, json.loads(out), err


def by_name(document: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    return {v["name"]: v for v in document["variants"]}


def test_even_split_and_equal_error_rates_say_keep_collecting(cloudwatch: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = make_project(tmp_path, {"champion": 50, "challenger": 50})
    put_traffic(cloudwatch, "champion", [(500, 4, 1)] * 60)
    put_traffic(cloudwatch, "challenger", [(500, 5, 0)] * 60)
    code, doc, err = json_report(project, capsys)
    assert code == 0, err
    assert err == ""  # --json: no progress lines, stdout is one document
    variants = by_name(doc)
    assert variants["champion"]["requests"] == 30_000 and variants["champion"]["errors5xx"] == 300  # 5xx + connection errors
    assert variants["challenger"]["errorRate"] == pytest.approx(0.01)
    lo, hi = variants["challenger"]["errorRateCi95"]
    assert lo < 0.01 < hi
    assert variants["challenger"]["expectedShare"] == 50.0 and variants["challenger"]["observedShare"] == 50.0
    assert doc["srm"]["pValue"] == pytest.approx(1.0) and doc["srm"]["mismatch"] is False
    (comparison,) = doc["comparisons"]
    assert (comparison["variant"], comparison["control"]) == ("challenger", "champion")
    assert comparison["errorRateDiff"] == pytest.approx(0.0)
    assert comparison["ci95"][0] < 0 < comparison["ci95"][1]
    assert comparison["significant"] is False and comparison["pValue"] > 0.05
    assert comparison["verdict"] == "keep collecting"
    assert doc["method"].startswith("one-sided mixture SPRTs (Johari et al. 2017), half-normal mixture tau=0.01")
    assert "minimum of 12 blocks" in comparison["reason"] and "(6 blocks with traffic in both arms)" in comparison["reason"]
    assert variants["champion"]["verdict"] == "control"


def test_latency_percentiles_are_reported_unavailable_under_moto(
    cloudwatch: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = make_project(tmp_path, {"champion": 50, "challenger": 50})
    put_traffic(cloudwatch, "champion", [(100, 1, 0)] * 10)
    put_traffic(cloudwatch, "challenger", [(100, 1, 0)] * 10)
    code, doc, _ = json_report(project, capsys)
    assert code == 0
    for variant in doc["variants"]:
        assert variant["latencyMs"] == {"p50": None, "p90": None, "p99": None}
        assert set(variant["latencyUnavailable"]) == {"p50", "p90", "p99"}
        assert all("percentile query failed" in reason for reason in variant["latencyUnavailable"].values())


def test_text_report_shows_tables_srm_and_verdicts_and_progress_on_stderr(
    cloudwatch: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = make_project(tmp_path, {"champion": 50, "challenger": 50})
    put_traffic(cloudwatch, "champion", [(500, 5, 0)] * 30)
    put_traffic(cloudwatch, "challenger", [(500, 5, 0)] * 30)
    code, out, err = report(project, capsys)
    assert code == 0
    assert err == "fetching metrics for 2 variants from CloudWatch (us-east-1)...\n"
    lines = out.splitlines()
    header = next(line for line in lines if line.lstrip().startswith("VARIANT") and "WEIGHT" in line)
    assert all(column in header for column in ("EXPECTED", "OBSERVED", "REQUESTS", "ERROR RATE", "P99", "VERDICT"))
    row = next(line for line in lines if line.lstrip().startswith("champion*"))
    assert row.split()[:6] == ["champion*", "50", "50.00%", "50.00%", "15000", "150"]
    assert "Split check: ok" in out
    assert "The window must not span a weight change" in out
    assert "one-sided mixture SPRTs (Johari et al. 2017)" in out
    assert "challenger: KEEP COLLECTING" in out
    assert "Latency (ms) n/a: all (percentile query failed" in out


def test_a_worse_error_rate_is_found_and_the_verdict_is_roll_back(
    cloudwatch: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = make_project(tmp_path, {"champion": 50, "challenger": 50})
    put_traffic(cloudwatch, "champion", [(500, 5, 0)] * 60)  # 1%
    put_traffic(cloudwatch, "challenger", [(500, 10, 5)] * 60)  # 3%, a third of it connection errors
    code, doc, _ = json_report(project, capsys)
    assert code == 0
    (comparison,) = doc["comparisons"]
    assert comparison["errorRateDiff"] == pytest.approx(0.02)
    assert comparison["significant"] is True and comparison["pValue"] < 0.05
    assert 0 < comparison["ci95"][0] < 0.02 < comparison["ci95"][1]
    assert comparison["verdict"] == "roll back"
    assert "significantly more failed requests" in comparison["reason"]
    assert doc["srm"]["mismatch"] is False


def test_a_better_variant_is_promoted_after_two_hours_with_the_latency_guardrail(
    cloudwatch: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = make_project(tmp_path, {"champion": 50, "challenger": 50})
    put_traffic(cloudwatch, "champion", [(500, 15, 0)] * 130, jitter=0.01)  # 3%
    put_traffic(cloudwatch, "challenger", [(500, 5, 0)] * 130, latency=0.078, jitter=0.01)  # 1%, as fast
    _, doc, _ = json_report(project, capsys)
    (comparison,) = doc["comparisons"]
    assert comparison["verdict"] == "promote" and comparison["ci95"][1] < 0, comparison["reason"]
    assert comparison["latency"]["known"] and comparison["latency"]["bounds"][1] < 0.1
    assert by_name(doc)["challenger"]["latencyAvgMs"] == pytest.approx(78.0, rel=0.01)


def test_a_broken_split_is_flagged_and_comparisons_are_not_trusted(
    cloudwatch: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = make_project(tmp_path, {"champion": 50, "challenger": 50})
    put_traffic(cloudwatch, "champion", [(700, 7, 0)] * 30)
    put_traffic(cloudwatch, "challenger", [(300, 3, 0)] * 30)
    code, doc, _ = json_report(project, capsys)
    assert code == 0
    assert doc["srm"]["mismatch"] is True and doc["srm"]["pValue"] < 0.001
    assert by_name(doc)["champion"]["observedShare"] == 70.0
    (comparison,) = doc["comparisons"]
    assert comparison["verdict"] == "fix the split"
    assert "cannot be trusted" in comparison["reason"]
    code, out, _ = report(project, capsys)
    assert "Split check: MISMATCH" in out


def test_no_data_at_all_is_a_clear_failure_without_traceback(cloudwatch: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = make_project(tmp_path, {"champion": 50, "challenger": 50})
    code, out, err = report(project, capsys)
    assert code == 1
    assert out == ""
    assert "no requests recorded for any variant" in err and "check --region" in err
    assert "Traceback" not in err
    code, doc, err = json_report(project, capsys)
    assert code == 1 and doc["status"] == "no data"
    assert all(c["verdict"] == "not enough data" for c in doc["comparisons"])
    assert doc["srm"]["pValue"] is None


def test_a_variant_without_traffic_is_not_enough_data_and_breaks_the_split(
    cloudwatch: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = make_project(tmp_path, {"champion": 50, "challenger": 50})
    put_traffic(cloudwatch, "champion", [(500, 5, 0)] * 30)
    code, doc, _ = json_report(project, capsys)
    assert code == 0
    silent = by_name(doc)["challenger"]
    assert (silent["requests"], silent["errorRate"], silent["errorRateCi95"], silent["observedShare"]) == (0, None, None, 0.0)
    assert doc["srm"]["mismatch"] is True
    (comparison,) = doc["comparisons"]
    assert comparison["verdict"] == "not enough data"
    assert comparison["errorRateDiff"] is None and comparison["ci95"] is None and comparison["significant"] is False
    assert "challenger had no requests in the window" in comparison["reason"]
    code, out, err = report(project, capsys)
    assert code == 0 and "Traceback" not in err
    assert "challenger: NOT ENOUGH DATA" in out


def test_a_weight_zero_variant_with_sticky_traffic_is_left_out_of_the_split_check(
    cloudwatch: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = make_project(tmp_path, {"champion": 50, "challenger": 50, "retired": 0})
    put_traffic(cloudwatch, "champion", [(500, 5, 0)] * 30)
    put_traffic(cloudwatch, "challenger", [(500, 5, 0)] * 30)
    put_traffic(cloudwatch, "retired", [(20, 0, 0)] * 30)
    _, doc, _ = json_report(project, capsys)
    assert doc["srm"]["tested"] == ["challenger", "champion"] and doc["srm"]["mismatch"] is False
    assert doc["srm"]["zeroWeightTraffic"] == [{"variant": "retired", "requests": 600}]
    assert any("retired has weight 0 but received 600 requests" in caveat for caveat in doc["srm"]["caveats"])
    retired = next(c for c in doc["comparisons"] if c["variant"] == "retired")
    assert retired["verdict"] == "not in the split"


def test_data_outside_the_window_is_ignored(cloudwatch: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = make_project(tmp_path, {"champion": 50, "challenger": 50})
    put_traffic(cloudwatch, "champion", [(100, 1, 0)] * 60)  # minutes 5..64 ago
    put_traffic(cloudwatch, "challenger", [(100, 1, 0)] * 60)
    _, doc, _ = json_report(project, capsys, "--since", "30m")
    assert doc["window"]["since"] == "30m" and doc["window"]["periodSeconds"] == 60 and doc["window"]["periods"] == 30
    assert 2_400 <= by_name(doc)["champion"]["requests"] <= 2_600  # ~25 minutes of 100, not 60


# -- the fetch itself, with a scripted client: pagination and per-metric degradation ---------------------


class ScriptedClient:
    """Answers GetMetricData from a table of (query id -> values), in pages of `page` values, and
    fails any call that asks for a statistic listed in `refuse`."""

    def __init__(self, values: Mapping[str, list[float]], window_start: datetime, page: int, refuse: set[str]) -> None:
        self.values, self.start, self.page, self.refuse = values, window_start, page, refuse
        self.calls: list[dict[str, Any]] = []

    def get_metric_data(self, **kwargs: Any) -> Mapping[str, Any]:
        self.calls.append(kwargs)
        stats = {q["MetricStat"]["Stat"] for q in kwargs["MetricDataQueries"]}
        if stats & self.refuse:
            raise TypeError("percentiles not implemented")
        offset = int(kwargs.get("NextToken", "0"))
        results = []
        for query in kwargs["MetricDataQueries"]:
            period = query["MetricStat"]["Period"]
            chunk = self.values.get(query["Id"], [])[offset : offset + self.page]
            stamps = [self.start + timedelta(seconds=period * (offset + i)) for i in range(len(chunk))]
            results.append({"Id": query["Id"], "Timestamps": stamps, "Values": chunk, "StatusCode": "Complete"})
        more = any(len(v) > offset + self.page for v in self.values.values())
        return {"MetricDataResults": results, **({"NextToken": str(offset + self.page)} if more else {})}


def test_fetch_follows_next_token_and_degrades_each_percentile_on_its_own() -> None:
    window = make_window(datetime(2026, 1, 1, 12, 0, 30, tzinfo=UTC), parse_since("10m"))
    values = {
        "s0_0": [100.0] * 10,  # RequestCount per minute
        "s0_1": [1.0] * 10,  # target 5xx
        "s0_2": [0.0, 2.0] * 5,  # connection errors
        "p0_0": [0.05],  # p50, 50 ms
        "p0_1": [0.2],  # p90
    }
    client = ScriptedClient(values, window.start, page=3, refuse={"p99"})
    (metrics,) = fetch_metrics(client, LOAD_BALANCER, [VariantTarget("champion", target_group("champion"))], window)
    assert metrics.requests == (100,) * 10  # four pages of at most 3 values, merged in order
    assert sum(metrics.errors) == 10 + 10
    assert metrics.latency["p50"].seconds == pytest.approx(0.05) and metrics.latency["p90"].seconds == pytest.approx(0.2)
    assert metrics.latency["p99"].seconds is None
    assert "TypeError: percentiles not implemented" in (metrics.latency["p99"].unavailable or "")
    sum_calls = [c for c in client.calls if c["MetricDataQueries"][0]["MetricStat"]["Stat"] == "Sum"]
    assert [c.get("NextToken") for c in sum_calls] == [None, "3", "6", "9"]


def test_fetch_with_moto_puts_each_data_point_into_its_minute(cloudwatch: Any) -> None:
    window = make_window(datetime.now(UTC), parse_since("1h"))
    put_traffic(cloudwatch, "champion", [(10 * (i + 1), 0, 0) for i in range(3)])  # 5, 6 and 7 minutes ago
    client: MetricDataClient = cloudwatch
    (metrics,) = fetch_metrics(client, LOAD_BALANCER, [VariantTarget("champion", target_group("champion"))], window)
    assert sorted(r for r in metrics.requests if r) == [10, 20, 30]
    nonzero = [i for i, r in enumerate(metrics.requests) if r]
    assert metrics.requests[nonzero[-1]] == 10  # the most recent minute holds the first value put
    assert len(metrics.requests) == window.periods == 60
