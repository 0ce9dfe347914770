"""`python -m ab_routing verify`: the deployed configuration through the ELBv2 API, then the traffic.

Exit codes (ab_routing.exits): 0 every check passed (or was skipped with a reason); 3 a check
failed (drift, pending `pulumi up`, no healthy target, split, override, stickiness, errors); 2 bad
input (flags, stack files, outputs); 1 could not check (AWS or the endpoint unreachable, or no
response named its variant) and nothing failed. A failed check outranks a check that could not be made.
"""

from __future__ import annotations

import argparse
import socket
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from ab_routing.commands import CommandError, add_region_argument, add_stack_arguments, error, load_deployed, load_stack, number_type
from ab_routing.exits import EXIT_CHECK_FAILED, EXIT_FAILURE, EXIT_INVALID, EXIT_OK

ClientFactory = Callable[[str], Any]
"""region -> an ELBv2 client."""
AddressFinder = Callable[[str, int], str | None]
"""(host, port) -> this machine's address on the route to it, or None."""

OVERRIDE_REQUESTS = 10
"""Requests per variant carrying the override header: every one must reach it."""
STICKY_CLIENTS = 10
STICKY_REQUESTS = 5
"""Clients keeping cookies, and requests each: with two variants at 50/50, a listener ignoring the
cookie keeps one client on one variant with probability 1/16, all ten with about 1e-12."""


_positive_int = number_type(int, minimum=1)
_positive_float = number_type(float, above=0)
_non_negative_float = number_type(float, minimum=0)


def _path(text: str) -> str:
    if not text.startswith("/"):
        raise argparse.ArgumentTypeError(f"must start with '/', got {text!r}")
    return text


def add_verify_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "verify",
        help="check that the live ALB does what the stack config says: drift, health, split, override, stickiness",
        description="Compare config, stack outputs and the ELBv2 API, then send traffic and check where it lands. Read-only.",
    )
    add_stack_arguments(p)
    add_region_argument(p)
    p.add_argument("--url", default=None, help="where to send requests (default: the `url` stack output)")
    p.add_argument("--host", default=None, help="Host header and TLS SNI name, e.g. the name on the certificate (default: the URL's host)")
    p.add_argument("--requests", type=_positive_int, default=2000, help="cookie-less requests for the split check (default: 2000)")
    p.add_argument("--concurrency", type=_positive_int, default=10, help="requests in flight at most (default: 10)")
    p.add_argument("--rate", type=_positive_float, default=50.0, help="requests per second at most (default: 50)")
    p.add_argument("--method", choices=("GET", "POST"), default="GET", help="HTTP method (default: GET)")
    p.add_argument("--path", type=_path, default=None, help="request path (default: the first variant's health-check path)")
    p.add_argument("--body", type=Path, default=None, help="file sent as the JSON request body (with --method POST)")
    p.add_argument(
        "--variant-header", default="X-Model-Variant", help="response header naming the variant that answered (default: X-Model-Variant)"
    )
    p.add_argument("--skip-traffic", action="store_true", help="check only the deployed configuration; send no request")
    p.add_argument(
        "--settle",
        type=_non_negative_float,
        default=20.0,
        help="seconds to keep re-reading a difference before calling it drift (default: 20)",
    )
    p.add_argument("--time-limit", type=_positive_float, default=300.0, help="seconds the traffic may take at most (default: 300)")
    p.add_argument("--request-timeout", type=_positive_float, default=10.0, help="seconds per request (default: 10)")
    p.add_argument(
        "--max-error-rate",
        type=_non_negative_float,
        default=1.0,
        help="percent of failed requests (5xx, timeouts, connection errors) tolerated (default: 1)",
    )
    return p


def _elbv2(region: str) -> Any:
    import boto3

    return boto3.client("elbv2", region_name=region)


def local_address(host: str, port: int) -> str | None:
    """The address this machine sends from on the route to host:port (no packet is sent). Behind
    NAT the load balancer sees another address; see README."""
    try:
        family, _, _, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)[0]
        with socket.socket(family, socket.SOCK_DGRAM) as probe:
            probe.connect(address)
            return str(probe.getsockname()[0])
    except (OSError, IndexError):
        return None


def run_verify(
    args: argparse.Namespace,
    *,
    client_factory: ClientFactory = _elbv2,
    address_finder: AddressFinder = local_address,
    sleep: Callable[[float], None] | None = None,
) -> int:
    """Run verify for parsed `args`; returns the exit code and never raises for user-facing problems."""
    try:
        return _verify(args, client_factory, address_finder, sleep)
    except CommandError as problem:
        error(str(problem))
        return problem.exit_code


def _verify(
    args: argparse.Namespace, client_factory: ClientFactory, address_finder: AddressFinder, sleep: Callable[[float], None] | None
) -> int:
    import time

    from ab_routing.outputs import OutputsError
    from ab_routing.verify.checks import deployed_checks
    from ab_routing.verify.drift import AwsReadError, check_deployed
    from ab_routing.verify.render import build_document, render_json, render_text

    _, config = load_stack(args)
    body = _read_body(args)
    deployed = load_deployed(args)
    try:
        deployed.require("listenerArn")
        url = (
            None if args.skip_traffic else _target_url(args.url or deployed.require("url"), args.path, config.variants[0].health_check.path)
        )
    except OutputsError as problem:
        raise CommandError(str(problem), problem.exit_code) from None
    region = config.region
    if not args.json:
        print(f"reading listener {deployed.listener_arn} through the ELBv2 API ({region})...", file=sys.stderr)
    try:
        result = check_deployed(client_factory(region), deployed, config, settle_seconds=args.settle, sleep=sleep or time.sleep)
    except AwsReadError as problem:
        raise CommandError(str(problem), EXIT_FAILURE) from None
    checks = deployed_checks(result)
    traffic = None
    if url is not None:
        traffic_checks, traffic = _traffic(args, url, body, config, deployed, result, address_finder)
        checks += traffic_checks
    document = build_document(args.stack, url, checks, result, traffic)
    sys.stdout.write(render_json(document) if args.json else render_text(document))
    for c in checks:
        if c.status == "error":
            error(f"{c.name}: {c.summary}")
    if any(c.status == "fail" for c in checks):
        return EXIT_CHECK_FAILED
    if any(c.status == "error" for c in checks):
        return EXIT_FAILURE
    return EXIT_OK


def _read_body(args: argparse.Namespace) -> bytes | None:
    if args.body is None:
        return None
    if args.method != "POST":
        raise CommandError(f"--body {args.body}: a body is sent only with --method POST (got --method {args.method})", EXIT_INVALID)
    try:
        return args.body.read_bytes()
    except FileNotFoundError:
        raise CommandError(f"--body {args.body}: file not found", EXIT_INVALID) from None
    except OSError as problem:
        raise CommandError(f"--body {args.body}: cannot read it ({problem.strerror})", EXIT_INVALID) from None


def _target_url(base: str, path: str | None, default_path: str) -> str:
    """`base` with `path`, else with its own path when it has one, else with the health-check path."""
    parts = urlsplit(base if "://" in base else f"http://{base}")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise CommandError(f"--url {base}: expected an http:// or https:// URL with a host", EXIT_INVALID)
    chosen = path or (parts.path if parts.path not in ("", "/") else default_path)
    return urlunsplit((parts.scheme, parts.netloc, chosen, parts.query if not path else "", ""))


def _traffic(
    args: argparse.Namespace,
    url: str,
    body: bytes | None,
    config: Any,
    deployed: Any,
    result: Any,
    address_finder: AddressFinder,
) -> tuple[list[Any], dict[str, Any]]:
    from ab_routing.verify import USER_AGENT
    from ab_routing.verify.checks import Check, traffic_section
    from ab_routing.verify.traffic import TrafficError, TrafficPlan, TrafficRun, TrafficSettings, total

    names = [v.name for v in deployed.variants]
    # The split is judged against the weights AWS holds (what the listener is told to do); drift
    # against the stack is reported separately, so a listener that ignores its own weights and
    # one that was changed behind the stack's back are told apart.
    weights = {n: w for n, w in result.weights.items() if n in names} or {v.name: v.weight for v in deployed.variants}
    skipped = _override_skip(config, url, address_finder)
    header = config.override.header
    plan = TrafficPlan(
        split_requests=args.requests,
        override={} if skipped else {n: OVERRIDE_REQUESTS for n in names},
        override_header=None if skipped else header,
        sticky_clients=STICKY_CLIENTS if config.stickiness.enabled else 0,
        sticky_requests=STICKY_REQUESTS,
    )
    settings = TrafficSettings(
        url=url,
        user_agent=USER_AGENT,
        method=args.method,
        body=body,
        host=args.host,
        variant_header=args.variant_header,
        concurrency=args.concurrency,
        rate=args.rate,
        time_limit=args.time_limit,
        timeout=args.request_timeout,
    )
    if not args.json:
        print(f"sending up to {total(plan)} requests to {url} ({args.rate:g}/s at most, {args.concurrency} at a time)...", file=sys.stderr)
    try:
        run = _send_with_progress(settings, plan, show=not args.json and sys.stderr.isatty())
    except TrafficError as problem:
        check = Check("traffic", "error", str(problem), {"error": str(problem)})
        return [check], {"requests": 0, "error": str(problem), "variants": [], "split": {}, "override": [], "stickiness": {}}
    checks, section = traffic_section(
        run,
        weights,
        header=args.variant_header,
        override_skipped=skipped,
        override_variants=names,
        stickiness_enabled=config.stickiness.enabled,
        sticky_clients=STICKY_CLIENTS,
        max_error_percent=args.max_error_rate,
    )
    section |= {"userAgent": USER_AGENT, "method": args.method, "host": args.host}
    assert isinstance(run, TrafficRun)
    return checks, section


def _override_skip(config: Any, url: str, address_finder: AddressFinder) -> str | None:
    """Why the override check cannot run from here, or None when it can."""
    import ipaddress

    if config.override.header is None:
        return 'the override header is off (overrideHeader: "")'
    cidrs = config.override.source_cidrs
    if not cidrs:
        return None
    parts = urlsplit(url)
    address = address_finder(parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80))
    allowed = ", ".join(cidrs)
    if address is None:
        return f"overrideSourceCidrs is set ({allowed}) and this machine's address towards the load balancer is unknown"
    ip = ipaddress.ip_address(address)
    if any(ip in ipaddress.ip_network(c, strict=False) for c in cidrs):
        return None
    return f"this machine's address {address} is not in overrideSourceCidrs ({allowed}): the ALB rightly ignores the header from here"


def _send_with_progress(settings: Any, plan: Any, *, show: bool) -> Any:
    from ab_routing.verify.traffic import send, total

    if not show:
        return send(settings, plan)
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("requests", total=total(plan))
        return send(settings, plan, lambda: progress.advance(task))
