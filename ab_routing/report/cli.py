"""`python -m ab_routing report`: read the stack, its outputs and CloudWatch, print the report.

Exit codes match `plan`: 0 report printed; 2 invalid input or config (stack files, outputs, no
control variant, no region); 1 anything else (CloudWatch unreachable or refusing, or no request at
all in the window: there is nothing to decide on, and a script should not mistake it for "fine").
In text mode progress goes to stderr; with --json stdout carries exactly one document.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ab_routing.commands import add_region_argument, add_stack_arguments, emit, error, flag_type, number_type, save_metrics
from ab_routing.exits import EXIT_FAILURE
from ab_routing.experiment import parse_start
from ab_routing.report.window import parse_since

ClientFactory = Callable[[str | None], Any]
"""region (or None for boto3's own default) -> a CloudWatch client."""
LogsClientFactory = Callable[[str, str | None], Any]
"""(service, region) -> an S3 or Athena client, for --source logs|athena."""
SOURCES = ("cloudwatch", "logs", "athena")


_since = flag_type(parse_since)


def _start(text: str) -> datetime:
    moment = parse_start(text)
    if moment is None:
        raise argparse.ArgumentTypeError(f"expected an ISO 8601 time with a zone, e.g. 2026-11-22T10:00:00Z, got {text!r}")
    return moment


_tau = number_type(float, above=0, below=1, what="an error-rate difference between 0 and 1 (e.g. 0.01)")


def add_report_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    """Add the `report` subcommand to `python -m ab_routing`'s subparsers and return it."""
    p = subparsers.add_parser(
        "report",
        help="verdicts per variant: always-valid, burst-robust comparisons with the control, a split check and guardrails",
        description="Compare each variant with the control from the load balancer's CloudWatch metrics.",
    )
    add_stack_arguments(p)
    p.add_argument(
        "--start",
        type=_start,
        default=None,
        help="experiment start, ISO 8601 UTC (default: ab-routing:experiment.start); the test runs from here to now",
    )
    p.add_argument(
        "--since",
        type=_since,
        default=None,
        help="show figures for the last 30m, 2h, 1d...: a window not starting at the experiment start decides nothing",
    )
    add_region_argument(p)
    p.add_argument(
        "--tau",
        type=_tau,
        default=None,
        help="override the mixing spread tau, an error-rate difference (default: minDetectableEffect, else the "
        "control's error rate in the day before the start, else 0.01); set it before the experiment, never from its data",
    )
    p.add_argument(
        "--metrics-file",
        type=Path,
        default=None,
        help="read per-period counts from this CSV instead of CloudWatch (columns: period_start, variant, requests, "
        "errors[, target5xx, connection_errors, elb5xx, latency_avg_ms])",
    )
    p.add_argument(
        "--source",
        choices=SOURCES,
        default=None,
        help="where the per-minute counts come from (default: cloudwatch). logs: the ALB access logs read with DuckDB "
        "(errors then include the ELB-generated 5xx attributed to the variant, e.g. 504s of a hanging model); "
        "athena: the same counts from the stack's Athena table",
    )
    p.add_argument(
        "--log-source",
        default=None,
        metavar="PATH|s3://BUCKET/PREFIX",
        help="with --source logs: a directory or file of .log/.log.gz files, or s3://bucket/prefix "
        "(default: accessLogsBucket output + configured prefix)",
    )
    p.add_argument("--save-metrics", type=Path, default=None, help="also write the per-period counts used to this CSV")
    return p


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _cloudwatch(region: str | None) -> Any:
    import boto3

    return boto3.client("cloudwatch", region_name=region)


def _aws_client(service: str, region: str | None) -> Any:
    import boto3

    return boto3.client(service, region_name=region)  # pyright: ignore[reportUnknownMemberType]


def run_report(
    args: argparse.Namespace,
    *,
    clock: Callable[[], datetime] = _utc_now,
    client_factory: ClientFactory = _cloudwatch,
    logs_client_factory: LogsClientFactory = _aws_client,
) -> int:
    """Run the report for parsed `args`; returns the exit code. Never raises for user-facing problems."""
    from ab_routing.commands import CommandError

    try:
        _check_sources(args)
        return _run(args, clock, client_factory, logs_client_factory)
    except CommandError as problem:
        error(str(problem))
        return problem.exit_code


def _check_sources(args: argparse.Namespace) -> None:
    """--source, --metrics-file and --log-source name where the counts come from: one place only."""
    from ab_routing.commands import CommandError

    if args.metrics_file is not None and args.source is not None:
        raise CommandError(f"--source {args.source} and --metrics-file {args.metrics_file} both name where the counts come from; pass one")
    if args.log_source is not None and args.source != "logs":
        given = "no --source (cloudwatch)" if args.source is None else f"--source {args.source}"
        raise CommandError(f"--log-source {args.log_source} reads log files with --source logs, not with {given}")


def _run(
    args: argparse.Namespace, clock: Callable[[], datetime], client_factory: ClientFactory, logs_client_factory: LogsClientFactory
) -> int:
    from dataclasses import replace

    from ab_routing.commands import CommandError, load_deployed, load_stack
    from ab_routing.experiment import Experiment
    from ab_routing.report.render import render_json, render_text
    from ab_routing.report.verdict import CLOUDWATCH_ERRORS, FILE_ERRORS, LOG_ERRORS, anchored_reason, build_report, choose_tau

    files, config = load_stack(args)
    control = config.control
    if control is None:
        raise CommandError(
            f"no control variant in Pulumi.{args.stack}.yaml: set `control: true` on exactly one variant "
            "(the one the others are compared with), e.g. ab-routing:variants.<name>.control: true"
        )
    deployed = load_deployed(args)
    if deployed.variant(control.name) is None:
        names = ", ".join(v.name for v in deployed.variants)
        raise CommandError(
            f"control variant '{control.name}' is not deployed (stack outputs list: {names}); run `pulumi up` or refresh --outputs"
        )
    experiment = config.experiment
    if args.start is not None:
        experiment = replace(experiment or Experiment(), start=args.start)
    start = experiment.start if experiment else None
    now = clock()
    if start is not None and start > now and args.metrics_file is None:
        raise CommandError(f"the experiment start {start.isoformat()} is in the future (now {now:%Y-%m-%dT%H:%M:%SZ})")
    definition = CLOUDWATCH_ERRORS
    if args.metrics_file is not None:
        region = "metrics file"
        window, metrics, baseline, where = _from_file(args, deployed, control.name, start)
        definition = FILE_ERRORS
    elif args.source in ("logs", "athena"):
        region, window, metrics, where = _from_logs(args, files, config, deployed, start, now, logs_client_factory)
        baseline, definition = None, LOG_ERRORS
    else:
        region, window, metrics, baseline, where = _from_cloudwatch(args, config.region, deployed, control.name, start, now, client_factory)
    tau = choose_tau(experiment, baseline, args.tau)
    if definition == LOG_ERRORS and tau.source.startswith("default"):
        tau = replace(tau, source="default: the day before the start is not read from the logs (pass --tau or set minDetectableEffect)")
    report = build_report(
        stack=args.stack,
        region=region,
        config=config,
        deployed=deployed,
        metrics=metrics,
        window=window,
        tau=tau,
        experiment=experiment,
        no_decision=anchored_reason(window, start),
        errors_definition=definition,
    )
    if args.save_metrics is not None:
        from ab_routing.report.metrics_file import write_metrics

        save_metrics(args.save_metrics, lambda path: write_metrics(path, window, metrics))
    nothing = (
        f"no requests recorded for any variant between {window.start:%Y-%m-%d %H:%M} and {window.end:%Y-%m-%d %H:%M} UTC "
        f"in {where}; check --region and the experiment start, or send traffic to the load balancer"
    )
    no_data = report["status"] == "no data"
    return emit(render_json(report), lambda: render_text(report), as_json=args.json, nothing=nothing if no_data else None)


def _from_cloudwatch(
    args: argparse.Namespace,
    stack_region: str,
    deployed: Any,
    control: str,
    start: datetime | None,
    now: datetime,
    client_factory: ClientFactory,
) -> tuple[str, Any, Any, tuple[int, int] | None, str]:
    from datetime import timedelta

    from botocore.exceptions import NoRegionError

    from ab_routing.commands import CommandError
    from ab_routing.report.metrics import MetricsError, VariantTarget, fetch_baseline, fetch_metrics
    from ab_routing.report.verdict import BASELINE_SECONDS
    from ab_routing.report.window import Window, ceil_minute, make_anchored_window, make_window

    try:
        # stack_region is the stack's region as the AWS provider finds it (ab_routing.region).
        client = client_factory(stack_region)
    except NoRegionError:
        raise CommandError(f"no AWS region: pass --region or set aws:region in Pulumi.{args.stack}.yaml") from None
    region = str(client.meta.region_name)
    if start is not None and args.since is None:
        window = make_anchored_window(now, start)
    else:
        window = make_window(now, args.since or parse_since("2h"))
    if not args.json:
        n = len(deployed.variants)
        print(f"fetching metrics for {n} variant{'s' if n != 1 else ''} from CloudWatch ({region})...", file=sys.stderr)
    targets = [VariantTarget(v.name, v.target_group_arn_suffix) for v in deployed.variants]
    try:
        metrics = fetch_metrics(client, deployed.load_balancer_arn_suffix, targets, window)
    except MetricsError as error:
        raise CommandError(str(error), EXIT_FAILURE) from None
    baseline = None
    if start is not None and args.tau is None:
        begin = ceil_minute(start)
        day = Window("baseline", begin - timedelta(seconds=BASELINE_SECONDS), begin, 3600, BASELINE_SECONDS // 3600, 60)
        target = next(t for t in targets if t.name == control)
        baseline = fetch_baseline(client, deployed.load_balancer_arn_suffix, target, day)
    return region, window, metrics, baseline, f"{region} (LoadBalancer={deployed.load_balancer_arn_suffix})"


def _from_logs(
    args: argparse.Namespace,
    files: Any,
    config: Any,
    deployed: Any,
    start: datetime | None,
    now: datetime,
    client_factory: LogsClientFactory,
) -> tuple[str, Any, Any, str]:
    """Per-minute counts over the report's window from the access logs (DuckDB or Athena), through
    the `logs` command's own path (collect -> analyse -> period_counts) and the metrics-file reader.
    No baseline day is read (it would mean a day of logs): tau comes from --tau, minDetectableEffect
    or the default."""
    from dataclasses import replace

    from ab_routing.commands import CommandError
    from ab_routing.logs.collect import LogRequest, collect
    from ab_routing.logs.figures import analyse, warnings
    from ab_routing.logs.metrics_csv import period_counts
    from ab_routing.logs.query import Scope
    from ab_routing.report.metrics import Percentile
    from ab_routing.report.metrics_file import MetricsFileError, metrics_from_records
    from ab_routing.report.window import Window, make_anchored_window, make_window

    region = config.region
    if start is not None and args.since is None:
        shaped = make_anchored_window(now, start)
    else:
        shaped = make_window(now, args.since or parse_since("2h"))
    minutes = int((shaped.end - shaped.start).total_seconds()) // 60
    if minutes == 0:
        raise CommandError(
            f"the window from {shaped.start:%Y-%m-%d %H:%M} UTC holds no whole minute yet; wait a minute or pass --since", EXIT_FAILURE
        )
    window = Window(shaped.since, shaped.start, shaped.end, 60, minutes, 60)
    engine = "athena" if args.source == "athena" else "duckdb"
    progress = (lambda _: None) if args.json else (lambda text: print(text, file=sys.stderr))
    scope = Scope(deployed.load_balancer_arn_suffix, window.start, window.end)
    request = LogRequest(engine, args.log_source, "--log-source", args.stack, config, deployed, scope, region)
    got = collect(request, client_factory=client_factory, progress=progress)
    analysis = analyse(got.rows, deployed, window.start, window.end, refused_lines=got.refused_lines)
    if engine == "athena":
        analysis.field_counts = None
    for text in warnings(analysis):
        print(f"warning: {text}", file=sys.stderr)
    rows = period_counts(analysis)
    try:
        data = metrics_from_records(((i + 1, r.record()) for i, r in enumerate(rows)), [v.name for v in deployed.variants], got.source)
    except MetricsFileError as error:  # the logs' rows are built to pass; a failure here is a defect worth reporting plainly
        raise CommandError(str(error), EXIT_FAILURE) from None
    why = f"no answered request in the window's access logs ({got.source})"
    metrics = tuple(
        replace(
            m,
            latency={
                k: Percentile(None, why) if v is None else Percentile(v / 1000) for k, v in analysis.variants[m.name].percentiles.items()
            },
        )
        for m in data.metrics
    )
    return region, window, metrics, got.source


def _from_file(
    args: argparse.Namespace, deployed: Any, control: str, start: datetime | None
) -> tuple[Any, Any, tuple[int, int] | None, str]:
    """The window from a metrics file: from the experiment start (rounded up to the file's periods)
    to the file's last period; with --since, its last `since`; the day before the start is the
    baseline for tau."""
    from ab_routing.commands import CommandError
    from ab_routing.report.metrics_file import MetricsFileError, read_metrics
    from ab_routing.report.verdict import BASELINE_SECONDS
    from ab_routing.report.window import ANCHORED, Window

    try:
        data = read_metrics(args.metrics_file, [v.name for v in deployed.variants])
    except MetricsFileError as error:
        raise CommandError(str(error)) from None
    period = data.period
    baseline = None
    if start is not None and args.since is None:
        offset = max(0, -(-int((start - data.start).total_seconds()) // period))
        first, since = offset, ANCHORED
        before = max(0, offset - BASELINE_SECONDS // period)
        by_name = {m.name: m for m in data.metrics}
        c = by_name[control]
        baseline = (sum(c.requests[before:offset]), sum(c.errors[before:offset]))
    elif args.since is not None:
        first, since = max(0, data.periods - -(-args.since.seconds // period)), args.since.text
    else:
        first, since = 0, "whole file"
    first = min(first, data.periods)
    window = Window(
        since,
        data.start + _seconds(first * period),
        data.end,
        period,
        data.periods - first,
        period,
    )
    metrics = tuple(_slice(m, first) for m in data.metrics)
    return window, metrics, baseline, str(args.metrics_file)


def _seconds(n: int) -> Any:
    from datetime import timedelta

    return timedelta(seconds=n)


def _slice(m: Any, first: int) -> Any:
    from dataclasses import replace

    return replace(
        m,
        requests=m.requests[first:],
        target_5xx=m.target_5xx[first:],
        connection_errors=m.connection_errors[first:],
        latency_avg=m.latency_avg[first:],
        latency_samples=m.latency_samples[first:],
        error_counts=m.error_counts[first:],
        elb_5xx=m.elb_5xx[first:],
    )
