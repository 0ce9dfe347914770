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
from typing import Any

from ab_routing.commands import add_stack_arguments
from ab_routing.exits import EXIT_FAILURE, EXIT_INVALID, EXIT_OK
from ab_routing.report.stats import DEFAULT_TAU
from ab_routing.report.window import Since, parse_since

ClientFactory = Callable[[str | None], Any]
"""region (or None for boto3's own default) -> a CloudWatch client."""


def _since(text: str) -> Since:
    try:
        return parse_since(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _tau(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"an error-rate difference between 0 and 1 (e.g. 0.01), got {text}")
    return value


def add_report_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    """Add the `report` subcommand to `python -m ab_routing`'s subparsers and return it."""
    p = subparsers.add_parser(
        "report",
        help="per-variant error rates, latency, split check and always-valid comparisons from CloudWatch",
        description="Compare each variant with the control from the load balancer's CloudWatch metrics.",
    )
    add_stack_arguments(p)
    p.add_argument("--since", type=_since, default=parse_since("2h"), help="window length: 30m, 2h, 1d... (default: 2h)")
    p.add_argument("--region", default=None, help="AWS region (default: the stack's aws:region)")
    p.add_argument(
        "--tau",
        type=_tau,
        default=DEFAULT_TAU,
        help=f"mSPRT mixing spread: the error-rate difference worth detecting (default: {DEFAULT_TAU:g})",
    )
    return p


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _cloudwatch(region: str | None) -> Any:
    import boto3

    return boto3.client("cloudwatch", region_name=region)


def _error(message: str) -> None:
    print(f"error: {message}", file=sys.stderr)


def run_report(
    args: argparse.Namespace,
    *,
    clock: Callable[[], datetime] = _utc_now,
    client_factory: ClientFactory = _cloudwatch,
) -> int:
    """Run the report for parsed `args`; returns the exit code. Never raises for user-facing problems."""
    from botocore.exceptions import NoRegionError

    from ab_routing.commands import CommandError, load_deployed, load_stack
    from ab_routing.report.metrics import MetricsError, VariantTarget, fetch_metrics
    from ab_routing.report.render import render_json, render_text
    from ab_routing.report.verdict import build_report
    from ab_routing.report.window import make_window

    try:
        files, config = load_stack(args)
        control = config.control
        if control is None:
            raise CommandError(
                f"no control variant in Pulumi.{args.stack}.yaml: set `control: true` on exactly one variant "
                "(the one the others are compared with), e.g. ab-routing:variants.<name>.control: true"
            )
        deployed = load_deployed(args)
    except CommandError as problem:
        _error(str(problem))
        return problem.exit_code
    if deployed.variant(control.name) is None:
        names = ", ".join(v.name for v in deployed.variants)
        _error(
            f"control variant '{control.name}' is not deployed (stack outputs list: {names}); run `pulumi up` or refresh --outputs"
        )
        return EXIT_INVALID

    configured_region = files.config.get("aws:region")
    try:
        client = client_factory(args.region or (str(configured_region) if configured_region else None))
    except NoRegionError:
        _error(f"no AWS region: pass --region or set aws:region in Pulumi.{args.stack}.yaml")
        return EXIT_INVALID
    region = str(client.meta.region_name)
    window = make_window(clock(), args.since)
    if not args.json:
        n = len(deployed.variants)
        print(f"fetching metrics for {n} variant{'s' if n != 1 else ''} from CloudWatch ({region})...", file=sys.stderr)
    try:
        metrics = fetch_metrics(
            client,
            deployed.load_balancer_arn_suffix,
            [VariantTarget(v.name, v.target_group_arn_suffix) for v in deployed.variants],
            window,
        )
    except MetricsError as error:
        _error(str(error))
        return EXIT_FAILURE

    report = build_report(
        stack=args.stack, region=region, config=config, deployed=deployed, metrics=metrics, window=window, tau=args.tau
    )
    if report["status"] == "no data":
        _error(
            f"no requests recorded for any variant between {window.start:%Y-%m-%d %H:%M} and {window.end:%Y-%m-%d %H:%M} UTC "
            f"in {region} (LoadBalancer={deployed.load_balancer_arn_suffix}); check --region, widen --since, "
            "or send traffic to the load balancer"
        )
        if args.json:
            sys.stdout.write(render_json(report))
        return EXIT_FAILURE
    sys.stdout.write(render_json(report) if args.json else render_text(report))
    return EXIT_OK
