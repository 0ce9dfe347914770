"""`report --source logs|athena`: the report's statistics on counts from the ALB access logs."""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ab_routing.logs import duck
from ab_routing.logs.cli import add_logs_parser, run_logs
from ab_routing.logs.query import Scope
from ab_routing.report.cli import add_report_parser, run_report
from tests.logs_support import (
    LB_SUFFIX,
    ROOT,
    T0,
    TG_CHALLENGER,
    TG_CHAMPION,
    Entry,
    ScriptedAthena,
    elb_timeout,
    outputs_document,
    write_log,
    write_stack,
)

HOURS = 2
"""The sequential test needs 12 blocks of 10 minutes before it decides anything."""


def traffic(minutes: int = 60 * HOURS, per_minute: int = 40) -> tuple[list[str], dict[str, tuple[int, int]]]:
    """A 90/10 split from T0; the challenger's model hangs on every third request (ELB 504, target
    status `-`), the champion answers 500 once in 200. Also (requests, errors) per variant as written."""
    lines: list[str] = []
    counts = {"champion": [0, 0], "challenger": [0, 0]}
    for minute in range(minutes):
        for k in range(per_minute):
            t = T0 + timedelta(seconds=60 * minute + k * 60 / per_minute)
            client = f"198.51.100.{k}:4000"
            if k % 10 == 0:
                name, failed = "challenger", (minute * 4 + k // 10) % 3 == 0
                entry = (
                    elb_timeout(TG_CHALLENGER, 0, time=t, client=client)
                    if failed
                    else Entry(time=t, target_group=TG_CHALLENGER, client=client)
                )
            else:
                name, failed = "champion", (minute * per_minute + k) % 200 == 1
                status = "500" if failed else "200"
                entry = Entry(time=t, target_group=TG_CHAMPION, client=client, elb_status=status, target_status=status)
            counts[name][0] += 1
            counts[name][1] += failed
            lines.append(entry.line())
    return lines, {name: (n, e) for name, (n, e) in counts.items()}


LINES, WRITTEN = traffic()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    write_stack(tmp_path, {"enabled": True, "prefix": "alb"}, experiment={"start": T0.isoformat().replace("+00:00", "Z")})
    doc = {**outputs_document(), "logsDatabase": "db", "logsTable": "t", "athenaWorkGroup": "wg"}
    (tmp_path / "outputs.json").write_text(json.dumps(doc))
    write_log(tmp_path / "logs" / "a.log.gz", LINES)
    return tmp_path


def at_end(minutes: int = 60 * HOURS) -> Callable[[], datetime]:
    return lambda: T0 + timedelta(minutes=minutes, seconds=30)


def report(
    capsys: pytest.CaptureFixture[str],
    project: Path,
    *argv: str,
    clients: dict[str, Any] | None = None,
    minutes: int = 60 * HOURS,
    tau: str | None = "0.02",
) -> tuple[int, str, str]:
    p = argparse.ArgumentParser()
    add_report_parser(p.add_subparsers(dest="command", required=True))
    args = p.parse_args(
        ["report", "--dir", str(project), "--outputs", str(project / "outputs.json"), *(["--tau", tau] if tau else []), *argv]
    )
    given = clients or {}

    def factory(service: str, region: str | None) -> Any:
        return given[service]

    def no_cloudwatch(region: str | None) -> Any:
        raise AssertionError("CloudWatch must not be asked with --source logs|athena or --metrics-file")

    code = run_report(args, clock=at_end(minutes), client_factory=no_cloudwatch, logs_client_factory=factory)
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def logs_json(capsys: pytest.CaptureFixture[str], project: Path) -> dict[str, Any]:
    p = argparse.ArgumentParser()
    add_logs_parser(p.add_subparsers(dest="command", required=True))
    args = p.parse_args(
        ["logs", "--dir", str(project), "--outputs", str(project / "outputs.json"), "--source", str(project / "logs"),
         "--start", "2026-11-22T10:00Z", "--since", f"{HOURS}h", "--json"]
    )  # fmt: skip
    assert run_logs(args) == 0
    return json.loads(capsys.readouterr().out)


def per_variant(doc: dict[str, Any], errors: str) -> dict[str, tuple[int, int]]:
    return {v["name"]: (v["requests"], v[errors]) for v in doc["variants"]}


def test_a_hanging_model_is_rolled_back_from_the_logs_with_the_logs_figures(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    saved = project / "from-logs.csv"
    code, out, err = report(
        capsys, project, "--source", "logs", "--log-source", str(project / "logs"), "--json", "--save-metrics", str(saved)
    )
    assert code == 0, err
    doc = json.loads(out)
    figures = logs_json(capsys, project)
    assert per_variant(doc, "errors5xx") == per_variant(figures, "errors") == WRITTEN
    challenger = next(v for v in doc["variants"] if v["name"] == "challenger")
    assert challenger["elb5xx"] == 160 and challenger["latencyMs"]["p50"] == 120.0
    assert doc["errorsDefinition"].startswith("target 5xx + ELB-generated 5xx") and doc["window"]["anchored"] is True
    assert doc["window"]["periods"] == 60 * HOURS and doc["window"]["periodSeconds"] == 60
    assert any("ELB-generated 5xx attributed to the variant" in note for note in doc["notes"])
    (comparison,) = doc["comparisons"]
    assert comparison["verdict"] == "roll back"

    # What CloudWatch would count: the ALB's own 504s belong to no target group, so errors = target 5xx.
    with saved.open() as source:
        rows = list(csv.DictReader(source))
    cloudwatch = project / "cloudwatch.csv"
    with cloudwatch.open("w", newline="") as sink:
        writer = csv.writer(sink)
        writer.writerow(["period_start", "variant", "requests", "errors"])
        writer.writerows([r["period_start"], r["variant"], r["requests"], int(r["errors"]) - int(r["elb5xx"])] for r in rows)
    code, out, err = report(capsys, project, "--metrics-file", str(cloudwatch), "--json")
    assert code == 0, err
    blind = json.loads(out)
    assert per_variant(blind, "errors5xx") == {**WRITTEN, "challenger": (WRITTEN["challenger"][0], 0)}
    assert blind["comparisons"][0]["verdict"] != "roll back"


def test_text_output_says_what_errors_count(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = report(capsys, project, "--source", "logs", "--log-source", str(project / "logs"))
    assert code == 0, err
    assert "error = target 5xx + ELB-generated 5xx attributed to the variant (access logs)" in out
    assert "not comparable with a CloudWatch report" in out and "reading 1 file(s) with DuckDB" in err
    assert "tau 0.02: --tau" in out


def test_athena_gives_the_same_report(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    end = T0 + timedelta(hours=HOURS)
    rows = duck.aggregate_files([project / "logs" / "a.log.gz"], Scope(LB_SUFFIX, T0, end)).rows
    athena = ScriptedAthena(rows, page_size=100)
    athena.states = ["SUCCEEDED"]  # no polling pause in a test
    code, out, err = report(capsys, project, "--source", "athena", "--json", tau=None, clients={"athena": athena})
    assert code == 0, err
    doc = json.loads(out)
    assert per_variant(doc, "errors5xx") == WRITTEN and len(athena.calls) == 1 + -(-len(rows) // 100)
    assert doc["comparisons"][0]["verdict"] == "roll back"
    assert doc["settings"]["tauSource"].startswith("default: the day before the start is not read from the logs")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--source", "logs", "--metrics-file", "m.csv"], "--source logs and --metrics-file m.csv both name"),
        (["--source", "athena", "--log-source", "logs"], "--log-source logs reads log files with --source logs, not with --source athena"),
        (["--log-source", "logs"], "not with no --source (cloudwatch)"),
        (["--source", "logs", "--log-source", "nowhere"], "--log-source nowhere: no such file or directory"),
        (["--source", "logs", "--log-source", "s3://"], "--log-source 's3://': expected s3://bucket[/prefix]"),
    ],
)
def test_conflicting_or_bad_sources_exit_2(project: Path, argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = report(capsys, project, *argv)
    assert code == 2 and message in err and out == ""


def test_an_unknown_source_is_refused_by_the_parser(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as raised:
        report(capsys, project, "--source", "prometheus")
    assert raised.value.code == 2 and "invalid choice: 'prometheus'" in capsys.readouterr().err


def test_access_logs_off_says_how_to_turn_them_on(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_stack(project, None, experiment={"start": "2026-11-22T10:00:00Z"})
    code, _, err = report(capsys, project, "--source", "logs")
    assert code == 2 and "access logs are off in Pulumi.dev.yaml" in err and "ab-routing:accessLogs: {enabled: true}" in err


def test_no_log_file_in_the_window_exits_1(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "logs" / "a.log.gz").rename(project / "logs" / "a.txt")
    code, _, err = report(capsys, project, "--source", "logs", "--log-source", str(project / "logs"))
    assert code == 1 and "no log files of load balancer" in err


def test_athena_without_its_outputs_exits_2(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "outputs.json").write_text(json.dumps(outputs_document()))
    code, _, err = report(capsys, project, "--source", "athena")
    assert code == 2 and "logsDatabase" in err


def test_the_report_with_logs_loads_no_pulumi_module() -> None:
    code = (
        "import sys\n"
        "import ab_routing.report.cli, ab_routing.logs.collect, ab_routing.logs.duck, ab_routing.logs.athena, ab_routing.logs.source\n"
        "import ab_routing.logs.figures, ab_routing.logs.metrics_csv, ab_routing.report.verdict, ab_routing.report.render\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pulumi', 'pulumi_aws', 'pulumi_awsx')))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert result.returncode == 0 and result.stdout.strip() == "[]", result.stderr
