"""`logs` as a user meets it: exact per-variant figures from AWS-format lines, malformed lines that
cost only themselves, the per-minute CSV, S3 reading (moto), Athena paging and dialect agreement."""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import boto3
import pytest
import sqlglot
from hypothesis import given, settings
from hypothesis import strategies as st
from moto import mock_aws

from ab_routing.logs import duck
from ab_routing.logs.athena import AthenaTable, athena_sql, run_query
from ab_routing.logs.cli import add_logs_parser, run_logs
from ab_routing.logs.fields import LINE_PATTERN, MIN_FIELDS, SPARE_FIELDS
from ab_routing.logs.figures import analyse
from ab_routing.logs.query import RESULT_COLUMNS, Scope, aggregate_sql, typed_sql
from ab_routing.outputs import parse_outputs
from tests.logs_support import (
    ACCOUNT,
    LB_SUFFIX,
    NEW_FIELDS,
    OTHER_LB_SUFFIX,
    REGION,
    T0,
    TG_CHALLENGER,
    TG_CHAMPION,
    TG_UNKNOWN,
    ScriptedAthena,
    at,
    elb_timeout,
    log_key,
    ok,
    outputs_document,
    redirect,
    write_log,
    write_stack,
)

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = "i-0123456789abcdef0"
A, B = "203.0.113.7:51234", "203.0.113.8:40000"
C1, C2 = "198.51.100.1:1000", "198.51.100.2:2000"


def fixture_lines() -> list[str]:
    """Every case of issue 11, inside 10:00-10:05 unless said otherwise."""
    lambda_ok: dict[str, Any] = {"target": "-", "target_time": "0.500", "client": C1}
    lines = [
        ok(client=A).line(),
        ok(client=A, seconds=2).line(),
        ok(client=B, seconds=3).line(),
        ok(client=A, elb_status="404", target_status="404", target_time="0.050").line(),  # 4xx
        ok(client=A, elb_status="302", target_status="302").line(),  # 3xx from the model
        ok(client=A, elb_status="500", target_status="500", target_time="0.040").line(),  # target 5xx
        elb_timeout(TG_CHAMPION, 4, client=A).line(),  # ELB 504, target status "-"
        ok(client=B, user_agent='Mozilla/5.0 "quoted" (X11)').line(),  # quotes in the user agent
        replace(ok(client=A), extra=NEW_FIELDS).line(),  # appended fields
        ok(TG_CHALLENGER, **lambda_ok).line(),  # Lambda target: no target:port
        ok(TG_CHALLENGER, **lambda_ok).line(),
        ok(TG_CHALLENGER, **{**lambda_ok, "client": C2}, elb_status="503", target_status="503").line(),
        replace(elb_timeout(TG_CHALLENGER, 5, client=C1), elb_status="502", error_reason="LambdaUnhandled").line(),
        elb_timeout(TG_CHALLENGER, 6, client=C1).line(),
        elb_timeout(TG_CHALLENGER, 7, client=C2).line(),
        ok(TG_CHALLENGER, client=A, priority="7").line(),  # override header: apart
        elb_timeout(TG_CHAMPION, 8, client=A, priority="5").line(),
        redirect(9).line(),  # unrouted
        replace(redirect(10), elb_status="503", actions="fixed-response").line(),
        ok(TG_UNKNOWN, client=A).line(),  # a target group that is no variant
        ok(elb=OTHER_LB_SUFFIX).line(),  # another load balancer's line
        ok(seconds=-1).line(),  # before the window
        ok(seconds=300).line(),  # at the end: excluded
    ]
    cut_in_quote = ok(seconds=20).line()
    cut_bare = ok(seconds=21).line()
    lines.insert(3, cut_in_quote[: cut_in_quote.index("python-requests") + 6])  # unclosed quote
    lines.insert(9, cut_bare[:80])  # cut short in a bare field
    return lines


@pytest.fixture
def project(tmp_path: Path) -> Path:
    write_stack(tmp_path, {"enabled": True, "prefix": "alb"})
    (tmp_path / "outputs.json").write_text(json.dumps(outputs_document()))
    return tmp_path


def run(capsys: pytest.CaptureFixture[str], project: Path, *argv: str, client_factory: Any = None) -> tuple[int, str, str]:
    p = argparse.ArgumentParser()
    add_logs_parser(p.add_subparsers(dest="command", required=True))
    args = p.parse_args(["logs", "--dir", str(project), "--outputs", str(project / "outputs.json"), *argv])
    code = run_logs(args, client_factory=client_factory) if client_factory else run_logs(args)
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def test_exact_per_variant_figures_from_every_kind_of_line(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = fixture_lines()
    write_log(project / "logs" / "a.log.gz", lines[:12])
    write_log(project / "logs" / "b.log", lines[12:], compress=False)
    metrics = project / "m.csv"
    code, out, err = run(
        capsys,
        project,
        "--source",
        str(project / "logs"),
        "--start",
        "2026-11-22T10:00Z",
        "--since",
        "5m",
        "--json",
        "--save-metrics",
        str(metrics),
    )
    assert code == 0, err
    doc = json.loads(out)
    assert doc["window"] == {"start": "2026-11-22T10:00:00Z", "end": "2026-11-22T10:05:00Z"}
    assert (doc["files"], doc["lines"], doc["unparsed"]) == (2, len(lines), 2)
    assert doc["fieldCounts"] == {"30": len(lines) - 3, "33": 1}
    champion, challenger = (next(v for v in doc["variants"] if v["name"] == n) for n in ("champion", "challenger"))
    assert {k: champion[k] for k in ("requests", "target5xx", "elb5xx", "errors", "clients")} == {
        "requests": 9,
        "target5xx": 1,
        "elb5xx": 1,
        "errors": 2,
        "clients": 2,
    }
    assert {k: challenger[k] for k in ("requests", "target5xx", "elb5xx", "errors", "clients")} == {
        "requests": 6,
        "target5xx": 1,
        "elb5xx": 3,
        "errors": 4,
        "clients": 2,
    }
    assert (challenger["unanswered"], challenger["unansweredNot5xx"], champion["unanswered"]) == (3, 0, 1)
    # Half of the challenger's requests never got an answer (-1): they are not latency figures.
    assert challenger["latencyMs"] == {"p50": 500.0, "p90": 500.0, "p99": 500.0}
    assert champion["latencyMs"]["p50"] == 120.0
    assert (champion["share"], challenger["share"], champion["clientShare"]) == (60.0, 40.0, 50.0)
    assert champion["errorRate"] == round(2 / 9, 6)
    lo, hi = champion["errorRateCi95"]
    assert lo < 2 / 9 < hi
    assert doc["override"] == [{"variant": "challenger", "requests": 1}, {"variant": "champion", "requests": 1}]
    assert doc["unrouted"] == {"requests": 2, "elb5xx": 1}
    assert "33 fields" in err and "2 of 25 line(s) could not be parsed" in err and TG_UNKNOWN in err
    rows = list(csv.DictReader(metrics.open()))
    assert list(rows[0]) == ["period_start", "variant", "requests", "errors", "target5xx", "connection_errors", "elb5xx", "latency_avg_ms"]
    assert len(rows) == 5 * 2 and rows[0]["period_start"] == "2026-11-22T10:00:00Z"
    first = {r["variant"]: r for r in rows if r["period_start"] == "2026-11-22T10:00:00Z"}
    assert first["challenger"] == {
        "period_start": "2026-11-22T10:00:00Z",
        "variant": "challenger",
        "requests": "6",
        "errors": "4",
        "target5xx": "1",
        "connection_errors": "",
        "elb5xx": "3",
        "latency_avg_ms": "500.000",
    }
    assert sum(int(r["requests"]) for r in rows if r["variant"] == "champion") == 9
    assert all(r["requests"] == "0" and r["latency_avg_ms"] == "" for r in rows if r["period_start"] != "2026-11-22T10:00:00Z")


def test_a_client_that_gave_up_on_a_hanging_model_is_unanswered_and_said(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    closed = replace(elb_timeout(TG_CHALLENGER, 3, client=C1), elb_status="460", error_reason="-")  # the client closed first
    lines = [ok(client=A).line(), ok(TG_CHALLENGER, client=C2).line(), closed.line(), elb_timeout(TG_CHALLENGER, 4, client=C1).line()]
    write_log(project / "logs" / "a.log", lines, compress=False)
    argv = ("--source", str(project / "logs"), "--start", "2026-11-22T10:00Z", "--since", "5m")
    code, out, err = run(capsys, project, *argv, "--json")
    challenger = next(v for v in json.loads(out)["variants"] if v["name"] == "challenger")
    figures = tuple(challenger[k] for k in ("requests", "errors", "unanswered", "unansweredNot5xx"))
    assert code == 0 and figures == (3, 1, 2, 1)
    assert "challenger: 1 request(s) got no answer from a target and no 5xx from the ALB" in err and "460" in err
    code, out, _ = run(capsys, project, *argv)
    assert code == 0 and "UNANSWERED" in out


def test_the_command_in_its_own_process_prints_tables(project: Path) -> None:
    """`python -m ab_routing logs` as typed: text tables on stdout, warnings on stderr."""
    import subprocess
    import sys

    write_log(project / "logs" / "a.log.gz", fixture_lines())
    argv = ["logs", "--dir", str(project), "--outputs", str(project / "outputs.json"), "--source", str(project / "logs")]
    done = subprocess.run(
        [sys.executable, "-m", "ab_routing", *argv, "--start", "2026-11-22T10:00Z", "--since", "5m"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "champion" in done.stdout and "NAT" in done.stdout and "Override-rule requests" in done.stdout
    assert "warning: 2 of 25 line(s) could not be parsed" in done.stderr and "Traceback" not in done.stderr


def test_a_line_cut_anywhere_costs_only_itself() -> None:
    """Every cut position of a line, between two good lines: the good lines are always all counted."""
    good = ok(TG_CHAMPION, user_agent='agent "with" quotes').line()
    victim = replace(ok(TG_CHALLENGER), extra=NEW_FIELDS).line()
    with tempfile.TemporaryDirectory() as tmp:
        paths = [write_log(Path(tmp) / f"{i:04d}.log", [good, victim[:i], good], compress=False) for i in range(1, len(victim), 6)]
        scope = Scope(LB_SUFFIX, T0, at(300))
        result = duck.aggregate_files(paths, scope)
    analysis = analyse(result.rows, parse_outputs(outputs_document(), "test"), T0, at(300), refused_lines=result.refused_lines)
    assert analysis.variants["champion"].requests == 2 * len(paths)
    assert analysis.lines == 3 * len(paths)
    assert analysis.variants["challenger"].requests + analysis.unparsed == len(paths)
    assert analysis.unparsed > len(paths) * 0.9
    assert result.stats.fallback_files  # the unclosed quotes were caught and re-read line by line


def test_lines_with_more_appended_fields_than_spare_columns_are_read_line_by_line(tmp_path: Path) -> None:
    many = tuple(f'"new-{i}"' for i in range(SPARE_FIELDS + 2))
    lines = [ok().line(), replace(ok(TG_CHALLENGER), extra=many).line(), ok(seconds=2).line()]
    path = write_log(tmp_path / "a.log", lines, compress=False)
    result = duck.aggregate_files([path], Scope(LB_SUFFIX, T0, at(300)))
    analysis = analyse(result.rows, parse_outputs(outputs_document(), "test"), T0, at(300), refused_lines=result.refused_lines)
    assert result.stats.fallback_files == (str(path),)
    assert (analysis.variants["champion"].requests, analysis.variants["challenger"].requests, analysis.unparsed) == (2, 1, 0)
    assert analysis.field_counts == {str(MIN_FIELDS): 2, str(MIN_FIELDS + SPARE_FIELDS + 2): 1}


def test_the_athena_regex_parses_the_same_lines() -> None:
    lines = fixture_lines()
    matched = [LINE_PATTERN.match(line) for line in lines]
    assert sum(m is None for m in matched) == 2  # the two cut lines
    quoted = LINE_PATTERN.match(ok(user_agent='Mozilla/5.0 "quoted" (X11)').line())
    assert quoted is not None and quoted.group(14) == 'Mozilla/5.0 \\"quoted\\" (X11)'
    appended = LINE_PATTERN.match(replace(ok(), extra=NEW_FIELDS).line())
    assert appended is not None and appended.group(31) == ' "-" "-" "-"' and appended.group(17) == TG_CHAMPION


def test_the_athena_dialect_agrees_with_duckdb_on_the_same_typed_rows(tmp_path: Path) -> None:
    # Without the unclosed quote, which stops the fast reader (the line-by-line path is tested above).
    lines = [line for line in fixture_lines() if line.count('"') % 2 == 0]
    path = write_log(tmp_path / "a.log", lines, compress=False)
    scope = Scope(LB_SUFFIX, T0, at(300))
    with duck.connection(tmp_path) as con:
        con.execute(f"CREATE TABLE typed AS {typed_sql(duck.lines_sql([path]), scope)}")
        ours = duck.run_aggregate(con, aggregate_sql("SELECT * FROM typed"))
        athena_text = aggregate_sql("SELECT * FROM typed", "athena")
        assert "GROUPING SETS" in athena_text and "OVER (" in athena_text and "APPROX" not in athena_text.upper()
        theirs = duck.run_aggregate(con, sqlglot.transpile(athena_text, read="athena", write="duckdb")[0])

    def key(row: dict[str, Any]) -> tuple[str, ...]:
        return tuple(str(row[c]) for c in RESULT_COLUMNS)

    assert sorted(ours, key=key) == sorted(theirs, key=key)  # every column: counts, exact percentiles, clients
    full = athena_sql(AthenaTable("ab_routing_dev_logs", "alb_access_logs", "ab_routing_dev_logs"), scope)
    assert "day BETWEEN '2026/11/22' AND '2026/11/22'" in full and f"app.{LB_SUFFIX.split('/', 1)[1].replace('/', '.')}" in full


@settings(max_examples=12)  # each example runs the whole DuckDB path (~100 ms)
@given(
    times=st.lists(st.integers(-1, 3000), min_size=1, max_size=200),
    clients=st.integers(1, 30),
)
def test_percentiles_are_exact_nearest_ranks_and_clients_are_distinct_addresses(times: list[int], clients: int) -> None:
    """p50/p90/p99 = the smallest answered time with at least that share of answered requests at or
    below it (-1 lines never count), and clients = distinct addresses whatever their ports."""
    lines = [
        ok(client=f"198.51.100.{i % clients}:{1000 + i}", target_time="-1" if ms < 0 else f"{ms / 1000:.3f}", seconds=i % 300).line()
        for i, ms in enumerate(times)
    ]
    with tempfile.TemporaryDirectory() as tmp:
        path = write_log(Path(tmp) / "a.log", lines, compress=False)
        result = duck.aggregate_files([path], Scope(LB_SUFFIX, T0, at(300)))
    tally = analyse(result.rows, parse_outputs(outputs_document(), "test"), T0, at(300)).variants["champion"]
    answered = sorted(ms for ms in times if ms >= 0)
    for name, q in (("p50", 0.5), ("p90", 0.9), ("p99", 0.99)):
        expected = next((ms for rank, ms in enumerate(answered, 1) if rank >= q * len(answered)), None)
        assert tally.percentiles[name] == (None if expected is None else pytest.approx(expected))
    assert tally.clients == min(clients, len(times)) and tally.requests == len(times)
    assert tally.unanswered == len(times) - len(answered)


def test_athena_results_are_polled_and_paged(tmp_path: Path) -> None:
    # The line cut in a bare field stays in the fast path: an unparsed row naming its file comes back too.
    path = write_log(tmp_path / "a.log", [line for line in fixture_lines() if line.count('"') % 2 == 0], compress=False)
    scope = Scope(LB_SUFFIX, T0, at(300))
    expected = duck.aggregate_files([path], scope).rows
    assert any(r["unparsed_file"] == str(path) for r in expected)
    client = ScriptedAthena(expected)
    said: list[str] = []
    rows = run_query(client, AthenaTable("db", "t", "wg"), scope, progress=said.append, sleep=lambda _: None)
    assert len(rows) == len(expected) > 4 and client.calls[0] == "start" and client.calls[-1] == str((len(expected) - 1) // 2)
    assert rows == expected  # every column, typed back from Athena's strings
    assert said[0].endswith("QUEUED, 2.0 MB scanned") and "SUCCEEDED" in said[-1]


def test_athena_failure_is_a_clear_exit_1(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = {**outputs_document(), "logsDatabase": "db", "logsTable": "t", "athenaWorkGroup": "wg"}
    (project / "outputs.json").write_text(json.dumps(doc))

    class Failing(ScriptedAthena):
        def get_query_execution(self, **kwargs: Any) -> dict[str, Any]:
            return {"QueryExecution": {"Status": {"State": "FAILED", "StateChangeReason": "Bytes scanned limit was exceeded"}}}

    code, _, err = run(capsys, project, "--engine", "athena", "--json", client_factory=lambda *_: Failing([]))
    assert code == 1 and "Bytes scanned limit was exceeded" in err


def test_athena_without_its_outputs_exits_2(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, project, "--engine", "athena")
    assert code == 2 and "logsDatabase" in err


# -- S3 --------------------------------------------------------------------------------------------


class Recording:
    """A boto3 S3 client that records which objects were downloaded."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.fetched: list[str] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)

    def download_file(self, bucket: str, key: str, target: str) -> None:
        self.fetched.append(key)
        self.client.download_file(bucket, key, target)


@mock_aws
def test_s3_only_this_load_balancers_files_of_the_window_are_fetched(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    s3 = boto3.client("s3", region_name=REGION)
    bucket = "ab-routing-logs-0a1b2c"
    s3.create_bucket(Bucket=bucket)
    start = T0.replace(hour=23, minute=50)  # the window crosses midnight: two date folders

    def put(key: str, *seconds: float) -> str:
        body = "\n".join(ok(seconds=(start - T0).total_seconds() + s).line() for s in seconds) + "\n"
        s3.put_object(Bucket=bucket, Key=key, Body=gzip.compress(body.encode()))
        return key

    from datetime import timedelta

    wanted = [
        put(log_key("alb", start + timedelta(minutes=5)), 10, 20),
        put(log_key("alb", start + timedelta(minutes=15), node="10.0.1.9"), 610),
        put(log_key("alb", start + timedelta(minutes=25)), 1190, 1300),  # delivered the next day
    ]
    put(log_key("alb", start - timedelta(days=1)), 5)  # an older day
    put(log_key("alb", start + timedelta(hours=5)), 5)  # far past the window
    put(log_key("alb", start + timedelta(minutes=5), lb=OTHER_LB_SUFFIX), 10)  # shared bucket: someone else's
    put(log_key("other", start + timedelta(minutes=5)), 10)  # another prefix
    recording = Recording(s3)
    code, out, err = run(capsys, project, "--start", "2026-11-22T23:50Z", "--since", "20m", "--json", client_factory=lambda *_: recording)
    assert code == 0, err
    assert sorted(recording.fetched) == sorted(wanted)
    doc = json.loads(out)
    assert doc["source"] == f"s3://{bucket}/alb" and doc["files"] == 3 and doc["lines"] == 5
    assert next(v for v in doc["variants"] if v["name"] == "champion")["requests"] == 4  # 1300 s is past the end


@mock_aws
def test_a_bucket_that_does_not_exist_exits_2(project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    s3 = boto3.client("s3", region_name=REGION)
    code, _, err = run(capsys, project, "--source", "s3://no-such-bucket/alb", client_factory=lambda *_: s3)
    assert code == 2 and "no-such-bucket" in err and "does not exist" in err


@mock_aws
def test_no_logs_in_the_window_exits_1(project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket="ab-routing-logs-0a1b2c")
    code, _, err = run(capsys, project, "--start", "2026-11-22T10:00Z", "--since", "1h", client_factory=lambda *_: s3)
    assert code == 1 and "no log files" in err and LB_SUFFIX in err


def test_files_without_a_request_in_the_window_exit_1(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_log(project / "logs" / "a.log", [ok(seconds=-60).line(), ok(elb=OTHER_LB_SUFFIX).line()], compress=False)
    code, out, err = run(capsys, project, "--source", str(project / "logs"), "--start", "2026-11-22T10:00Z", "--since", "5m", "--json")
    assert code == 1 and "no request of load balancer" in err and "2 line(s) read" in err
    assert json.loads(out)["lines"] == 2


def test_an_engine_failure_is_a_clear_exit_1(project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    write_log(project / "logs" / "a.log", fixture_lines(), compress=False)
    monkeypatch.setattr(duck, "MEMORY_LIMIT", "1KB")  # DuckDB runs out of memory whatever the file
    code, _, err = run(capsys, project, "--source", str(project / "logs"), "--start", "2026-11-22T10:00Z", "--since", "5m")
    assert code == 1 and "DuckDB could not aggregate the log files from" in err and "Out of Memory" in err


def test_an_unwritable_save_metrics_path_exits_2_naming_the_flag(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_log(project / "logs" / "a.log", fixture_lines(), compress=False)
    target = project / "no-such-dir" / "minutes.csv"
    code, _, err = run(capsys, project, "--source", str(project / "logs"), "--start", "2026-11-22T10:00Z", "--since", "5m",
                       "--save-metrics", str(target))  # fmt: skip
    assert code == 2 and f"error: --save-metrics {target}: cannot write it (No such file or directory)" in err


def test_a_crlf_file_read_line_by_line_costs_nothing_more(tmp_path: Path) -> None:
    many = tuple(f'"new-{i}"' for i in range(SPARE_FIELDS + 2))  # too many fields: the whole file is read line by line
    lines = [ok().line(), replace(ok(TG_CHALLENGER), extra=many).line(), ok(seconds=2).line()]
    path = tmp_path / "a.log"
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode())
    result = duck.aggregate_files([path], Scope(LB_SUFFIX, T0, at(300)))
    analysis = analyse(result.rows, parse_outputs(outputs_document(), "test"), T0, at(300), refused_lines=result.refused_lines)
    assert result.stats.fallback_files == (str(path),)
    counts = (analysis.variants["champion"].requests, analysis.variants["challenger"].requests, analysis.lines, analysis.unparsed)
    assert counts == (2, 1, 3, 0)


def test_a_cut_off_gzip_file_is_a_clear_exit_1_naming_it(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    whole = write_log(project / "logs" / "a.log.gz", fixture_lines())
    whole.write_bytes(whole.read_bytes()[: len(whole.read_bytes()) // 2])  # a half-copied delivery
    code, _, err = run(capsys, project, "--source", str(project / "logs"), "--start", "2026-11-22T10:00Z", "--since", "5m")
    assert code == 1 and f"cannot read {whole}" in err and "fetch it again" in err


def test_an_engine_failure_on_every_file_fails_at_once_without_reading_them_line_by_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import duckdb

    paths = [write_log(tmp_path / f"{i}.log", [ok().line()] * 50, compress=False) for i in range(3)]
    monkeypatch.setattr(duck, "MEMORY_LIMIT", "1KB")

    def never(*_: object) -> int:
        raise AssertionError("an engine failure must not send every file to the line-by-line reader")

    monkeypatch.setattr(duck, "_reread", never)
    with pytest.raises(duckdb.Error):
        duck.aggregate_files(paths, Scope(LB_SUFFIX, T0, at(300)))


def test_access_logs_off_says_how_to_turn_them_on(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_stack(tmp_path)
    (tmp_path / "outputs.json").write_text(json.dumps(outputs_document(None)))
    code, _, err = run(capsys, tmp_path)
    assert code == 2 and "ab-routing:accessLogs: {enabled: true}" in err


@pytest.mark.parametrize(
    ("flag", "value", "message"), [("--start", "yesterday", "ISO 8601"), ("--since", "2x", "unit"), ("--engine", "spark", "invalid choice")]
)
def test_bad_flags_exit_2(project: Path, flag: str, value: str, message: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as raised:
        run(capsys, project, flag, value)
    assert raised.value.code == 2 and message in capsys.readouterr().err


def test_source_with_athena_is_refused(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, project, "--engine", "athena", "--source", str(project))
    assert code == 2 and "--source" in err


def test_a_missing_local_source_exits_2(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, project, "--source", str(project / "nowhere"))
    assert code == 2 and "no such file or directory" in err


def test_account_in_keys_comes_from_the_load_balancer_arn() -> None:
    assert log_key("p", T0).startswith(f"p/AWSLogs/{ACCOUNT}/elasticloadbalancing/{REGION}/2026/11/22/{ACCOUNT}_")


def test_benchmark_smoke_both_readers_agree(tmp_path: Path) -> None:
    """The benchmark's two readers on a few hundred lines (the 1 M-line run is in benchmarks/)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("access_logs_benchmark", ROOT / "benchmarks" / "access_logs.py")
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    paths = bench.generate(tmp_path, 600, 2, 2)
    duck_figures, python_figures = bench.duckdb_path(paths), bench.python_path(paths)
    assert duck_figures["requests"] == python_figures["requests"]
    assert duck_figures["lines"] == python_figures["lines"] == 600 and duck_figures["fallbackFiles"] == 1
