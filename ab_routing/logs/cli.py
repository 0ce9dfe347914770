"""`python -m ab_routing logs`: per-variant truth from the ALB access logs (DuckDB or Athena).

Exit codes: 0 figures printed; 1 could not read (S3 or Athena unreachable or refusing, no log line
in the window); 2 bad input (flags, stack files, outputs, access logs off, a bucket that does not
exist). Messages on stderr; with --json stdout carries exactly one document.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ab_routing.commands import (
    CommandError,
    add_region_argument,
    add_stack_arguments,
    emit,
    error,
    flag_type,
    load_deployed,
    load_stack,
    save_metrics,
)
from ab_routing.logs.collect import ENGINES, ClientFactory
from ab_routing.report.window import Since, parse_since

_since = flag_type(parse_since)


def parse_start(text: str) -> datetime:
    """`2026-11-22T10:00Z`, `2026-11-22T10:00:00Z`, `2026-11-22 10:00` (UTC when no offset)."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an ISO 8601 time such as 2026-11-22T10:00Z, got {text!r}") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def add_logs_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "logs",
        help="per-variant requests, attributed ELB 5xx, latency percentiles and the split from the ALB access logs",
        description="Read the load balancer's access logs (local files or S3, or Athena) and print per-variant figures.",
    )
    add_stack_arguments(p)
    add_region_argument(p)
    p.add_argument(
        "--source",
        default=None,
        help="a directory or file of .log/.log.gz files, or s3://bucket/prefix (default: accessLogsBucket output + configured prefix)",
    )
    p.add_argument("--start", type=parse_start, default=None, help="window start, ISO 8601 UTC; the window is then [start, start + since)")
    p.add_argument("--since", type=_since, default=parse_since("2h"), help="window length: 30m, 2h, 1d... (default: 2h)")
    p.add_argument("--engine", choices=ENGINES, default="duckdb", help="where to aggregate (default: duckdb, on this machine)")
    p.add_argument(
        "--save-metrics",
        type=Path,
        default=None,
        metavar="FILE.csv",
        help="also write per-minute counts per variant (the report's --metrics-file format)",
    )
    return p


def window(now: datetime, since: Since, start: datetime | None) -> tuple[datetime, datetime]:
    """[start, end) in whole minutes: from --start for --since, else the --since before the last whole minute."""
    if start is not None:
        first = start.replace(second=0, microsecond=0)
        return first, first + timedelta(seconds=since.seconds)
    end = now.astimezone(UTC).replace(second=0, microsecond=0)
    return end - timedelta(seconds=since.seconds), end


def _client(service: str, region: str | None) -> Any:
    import boto3

    return boto3.client(service, region_name=region)  # pyright: ignore[reportUnknownMemberType]


def _utc_now() -> datetime:
    return datetime.now(UTC)


def run_logs(args: argparse.Namespace, *, clock: Callable[[], datetime] = _utc_now, client_factory: ClientFactory = _client) -> int:
    try:
        return _run(args, clock, client_factory)
    except CommandError as problem:
        error(str(problem))
        return problem.exit_code


def _progress(args: argparse.Namespace) -> Callable[[str], None]:
    return (lambda _: None) if args.json else (lambda text: print(text, file=sys.stderr))


def _run(args: argparse.Namespace, clock: Callable[[], datetime], client_factory: ClientFactory) -> int:
    from ab_routing.logs.collect import LogRequest, collect
    from ab_routing.logs.figures import analyse, document, warnings
    from ab_routing.logs.metrics_csv import period_counts, write_metrics
    from ab_routing.logs.query import Scope
    from ab_routing.logs.render import render_json, render_text

    if args.engine == "athena" and args.source is not None:
        raise CommandError("--source reads files with --engine duckdb; --engine athena queries the stack's Glue table (drop one)")
    _, config = load_stack(args)
    deployed = load_deployed(args)
    start, end = window(clock(), args.since, args.start)
    scope = Scope(deployed.load_balancer_arn_suffix, start, end)
    region = config.region
    progress = _progress(args)
    request = LogRequest(args.engine, args.source, "--source", args.stack, config, deployed, scope, region)
    got = collect(request, client_factory=client_factory, progress=progress)
    source, count = got.source, got.files
    analysis = analyse(got.rows, deployed, start, end, refused_lines=got.refused_lines)
    if args.engine == "athena":
        analysis.field_counts = None
    routed = sum(t.requests for t in analysis.variants.values()) + sum(analysis.override.values())
    in_window = routed + analysis.unrouted.requests + sum(analysis.unknown_target_groups.values())
    for text in warnings(analysis):
        print(f"warning: {text}", file=sys.stderr)
    doc = document(analysis, stack=args.stack, source=source, files=count)
    if args.save_metrics is not None:
        save_metrics(args.save_metrics, lambda path: write_metrics(period_counts(analysis), path))
    nothing = (
        f"no request of load balancer {scope.load_balancer} between {start:%Y-%m-%d %H:%M} and {end:%Y-%m-%d %H:%M} UTC "
        f"in {source} ({analysis.lines} line(s) read); widen --since or check --start and --source"
    )
    return emit(render_json(doc), lambda: render_text(doc), as_json=args.json, nothing=nothing if in_window == 0 else None)
