"""`python -m ab_routing rollout|rollback|promote`: flags, checks of input, and wiring of the engine.

Exit codes: 0 done; 3 rolled back (a breach during a rollout); 2 bad input (flags, config, outputs,
the pulumi CLI missing); 1 could not proceed (not logged in, apply failed, drift after apply, AWS
unreachable, interrupted), with the deployed weights in the message. stdout carries only the result
(one JSON document with --json); progress, `pulumi up` output and the status line go to stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from ab_routing.commands import CommandError, add_region_argument, add_stack_arguments, error, load_deployed, load_stack
from ab_routing.exits import EXIT_CHECK_FAILED, EXIT_FAILURE, EXIT_OK
from ab_routing.model import RoutingConfig
from ab_routing.outputs import Deployed
from ab_routing.rollout.apply import PulumiCli, PulumiError
from ab_routing.rollout.engine import CHECK_SECONDS, SETTLE_SECONDS, CannotProceedError, Env, Rollout, StackOps, move
from ab_routing.rollout.settings import (
    RolloutSettings,
    bake_vs_max,
    parse_bake,
    parse_max_duration,
    parse_min_requests,
    parse_steps,
    rollout_settings,
)
from ab_routing.rollout.timeline import render_timeline, timeline
from ab_routing.rollout.weights import split
from ab_routing.stackfiles import StackFiles

SubParsers = argparse._SubParsersAction  # pyright: ignore[reportPrivateUsage]


@dataclass(frozen=True)
class Context:
    """What a command has checked before it changes anything."""

    args: argparse.Namespace
    files: StackFiles
    config: RoutingConfig
    deployed: Deployed
    pulumi: Pulumi


class Pulumi(Protocol):
    """The two CLI calls the commands make (`PulumiCli`; tests pass a fake)."""

    def whoami(self) -> str: ...

    def up(self, stack: str) -> None: ...


EnvFactory = Callable[[Context], Env]
PulumiFactory = Callable[[Path], Pulumi]


def _type(parse: Callable[[str], Any]) -> Callable[[str], Any]:
    def convert(text: str) -> Any:
        try:
            return parse(text)
        except ValueError as problem:
            raise argparse.ArgumentTypeError(str(problem)) from None

    return convert


def add_rollout_parsers(sub: SubParsers) -> None:
    p = sub.add_parser(
        "rollout",
        help="move traffic to a variant step by step, with bake times and automatic rollback",
        description="Raise a variant's weight step by step; at each step apply, verify, bake; roll back on a breach.",
    )
    add_stack_arguments(p)
    p.add_argument("--variant", required=True, help="the variant to give traffic to")
    p.add_argument("--steps", type=_type(parse_steps), default=None, help="percents, e.g. 5,25,50,100 (default: rollout.steps)")
    p.add_argument("--bake", type=_type(parse_bake), default=None, help="least watch time per step: 90s, 15m, 1h (default: rollout.bake)")
    p.add_argument("--min-requests", type=_type(parse_min_requests), default=None, help="requests per step (default: rollout.minRequests)")
    p.add_argument(
        "--max-duration", type=_type(parse_max_duration), default=None, help="longest a step waits (default: rollout.maxDuration)"
    )
    p.add_argument("--dry-run", action="store_true", help="print the timeline and change nothing")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    add_region_argument(p)
    for name, text in (
        ("rollback", "take a variant out of rotation now: weight 0, stickiness off, verified"),
        ("promote", "give a variant all traffic (others stay attached at weight 0) and make it the control"),
    ):
        q = sub.add_parser(name, help=text, description=text)
        add_stack_arguments(q)
        q.add_argument("--variant", required=True, help=f"the variant to {name}")
        q.add_argument("--yes", action="store_true", help="do not ask for confirmation (promote asks on a terminal)")
        add_region_argument(q)


def _settings(args: argparse.Namespace, files: StackFiles) -> RolloutSettings:
    try:
        base = rollout_settings(files.config, files.project)
    except ValueError as problem:
        raise CommandError(f"Pulumi.{args.stack}.yaml: {problem}") from None
    settings = RolloutSettings(
        steps=args.steps or base.steps,
        bake_seconds=base.bake_seconds if args.bake is None else args.bake,
        min_requests=base.min_requests if args.min_requests is None else args.min_requests,
        max_duration_seconds=base.max_duration_seconds if args.max_duration is None else args.max_duration,
    )
    problems = bake_vs_max(settings)
    if problems:
        raise CommandError(f"--max-duration/--bake: {problems[0].message}")
    return settings


def _variant(args: argparse.Namespace, config: RoutingConfig) -> None:
    names = [v.name for v in config.variants]
    if args.variant not in names:
        raise CommandError(f"--variant: got {args.variant!r}; Pulumi.{args.stack}.yaml has {', '.join(names)}")


def _confirm(args: argparse.Namespace, question: str) -> None:
    if args.yes:
        return
    if not sys.stdin.isatty():
        raise CommandError(f"{question}: pass --yes to confirm (no terminal to ask on)")
    answer = input(f"{question} [y/N] ").strip().lower()
    if answer not in ("y", "yes"):
        raise CommandError("not confirmed; nothing was changed", EXIT_FAILURE)


def _prepare(args: argparse.Namespace, files: StackFiles, config: RoutingConfig, make_pulumi: PulumiFactory) -> Context:
    pulumi = make_pulumi(args.dir)
    if args.region and isinstance(pulumi, PulumiCli):
        pulumi.region = config.region  # what --region resolved to: the apply must go where the checks look
    try:
        pulumi.whoami()
    except PulumiError as problem:
        raise CommandError(str(problem), problem.exit_code) from None
    deployed = load_deployed(args)
    deployed.require("listenerArn")
    missing = [v.name for v in deployed.variants if not v.target_group_arn]
    if missing:
        raise CommandError(f"{deployed.source}: stack output 'variants.{missing[0]}.targetGroupArn' is missing; run `pulumi up` first")
    configured, live = sorted(v.name for v in config.variants), sorted(v.name for v in deployed.variants)
    if configured != live:
        raise CommandError(
            f"Pulumi.{args.stack}.yaml has variants {configured} but the stack outputs list {live}: "
            "deploy the variant change with `pulumi up` before moving traffic"
        )
    return Context(args, files, config, deployed, pulumi)


def default_env(context: Context) -> Env:
    import boto3

    from ab_routing.rollout.signals import AwsSignals
    from ab_routing.rollout.status import StatusLine
    from ab_routing.rollout.verdicts import ReportVerdicts

    region = context.config.region  # resolved once, with --region, as the config was validated
    elbv2 = boto3.client("elbv2", region_name=region)
    cloudwatch = boto3.client("cloudwatch", region_name=region)
    return Env(
        clock=lambda: datetime.now(UTC),
        sleep=time.sleep,
        elbv2=elbv2,
        signals=AwsSignals(cloudwatch, elbv2),
        verdicts=ReportVerdicts(stack=context.args.stack, config=context.config, deployed=context.deployed, cloudwatch=cloudwatch),
        pulumi=context.pulumi,
        status=StatusLine(),
        ecs=boto3.client("ecs", region_name=region),
        autoscaling=boto3.client("application-autoscaling", region_name=region),
    )


def _emit(args: argparse.Namespace, record: dict[str, Any], code: int, summary: str) -> int:
    if code == EXIT_FAILURE:
        error(str(record.get("message") or record.get("reason") or "could not proceed"))
    if args.json:
        sys.stdout.write(json.dumps(record, indent=2, sort_keys=True) + "\n")
    else:
        print(summary)
    return code


def _guard(run: Callable[[], int]) -> int:
    try:
        return run()
    except CommandError as problem:
        error(str(problem))
        return problem.exit_code


def run_rollout(args: argparse.Namespace, make_env: EnvFactory = default_env, make_pulumi: PulumiFactory = PulumiCli) -> int:
    return _guard(lambda: _rollout(args, make_env, make_pulumi))


def _rollout(args: argparse.Namespace, make_env: EnvFactory, make_pulumi: PulumiFactory) -> int:
    files, config = load_stack(args)
    settings = _settings(args, files)
    _variant(args, config)
    control = config.control
    if control is None:
        raise CommandError(
            f"no control variant in Pulumi.{args.stack}.yaml: set `control: true` on the variant serving now; "
            "the bake compares the rollout's variant with it"
        )
    if control.name == args.variant:
        raise CommandError(f"--variant: {args.variant!r} is the control; roll out a challenger (or `promote` it)")
    if args.dry_run:
        doc = timeline(config, args.variant, settings, check_seconds=CHECK_SECONDS, settle_seconds=SETTLE_SECONDS)
        doc["stack"] = args.stack
        sys.stdout.write(json.dumps(doc, indent=2, sort_keys=True) + "\n" if args.json else render_timeline(doc, args.stack))
        return EXIT_OK
    steps = ", ".join(f"{s}%" for s in settings.steps)
    _confirm(args, f"roll out {args.variant} on stack {args.stack} in steps {steps} (this runs `pulumi up` at each step)")
    context = _prepare(args, files, config, make_pulumi)
    env = make_env(context)
    ops = StackOps(args.dir, args.stack, files.project, context.deployed, env, region=config.region)
    rollout = Rollout(ops, args.variant, settings)
    code = rollout.run()
    record = rollout.record
    summaries = {
        EXIT_OK: f"rolled out {args.variant} on {args.stack}: it has all traffic",
        EXIT_CHECK_FAILED: f"rolled back {args.variant} on {args.stack}: {record.get('reason')}",
    }
    return _emit(args, record, code, summaries.get(code, f"rollout of {args.variant} stopped: {record.get('reason')}"))


def run_rollback(args: argparse.Namespace, make_env: EnvFactory = default_env, make_pulumi: PulumiFactory = PulumiCli) -> int:
    return _guard(lambda: _move(args, make_env, make_pulumi, "rollback"))


def run_promote(args: argparse.Namespace, make_env: EnvFactory = default_env, make_pulumi: PulumiFactory = PulumiCli) -> int:
    return _guard(lambda: _move(args, make_env, make_pulumi, "promote"))


def _move(args: argparse.Namespace, make_env: EnvFactory, make_pulumi: PulumiFactory, command: str) -> int:
    files, config = load_stack(args)
    _variant(args, config)
    if command == "promote":
        _confirm(args, f"give {args.variant} all traffic on stack {args.stack} and make it the control")
    context = _prepare(args, files, config, make_pulumi)
    env = make_env(context)
    ops = StackOps(args.dir, args.stack, files.project, context.deployed, env, region=config.region)
    try:
        weights, sticky = ops.read()
    except CannotProceedError as problem:
        raise CommandError(f"{problem}; nothing was changed", EXIT_FAILURE) from None
    others = {n: w for n, w in weights.items() if n != args.variant}
    if command == "rollback":
        if sum(others.values()) == 0:
            others = split(100, others)
            ops.notes.append(f"every other variant had weight 0; they now share the traffic equally: {others}")
        target = {**others, args.variant: 0}
        code, record = move(ops, command, args.variant, target, False, reason="rollback requested")
        again = " (the next rollout turns it back on)" if record.get("stickinessTurnedOff") else ""
        summary = f"rolled back {args.variant} on {args.stack}: weight 0, stickiness off{again}"
    else:
        target = {**dict.fromkeys(others, 0), args.variant: 100}
        code, record = move(ops, command, args.variant, target, sticky, control=args.variant, reason="promote requested")
        summary = f"promoted {args.variant} on {args.stack}: all traffic, and it is the control now; the others stay attached at weight 0"
    if code != EXIT_OK:
        summary = f"{command} of {args.variant} did not finish: {record.get('message')}"
    return _emit(args, record, code, summary)


__all__ = ["Context", "add_rollout_parsers", "default_env", "run_promote", "run_rollback", "run_rollout"]
