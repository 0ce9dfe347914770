"""Command line: `python -m ab_routing plan|report|verify|logs|rollout|rollback|promote [--stack dev] [--json] ...`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from ab_routing.commands import add_stack_arguments
from ab_routing.exits import EXIT_FAILURE, EXIT_INVALID, EXIT_OK
from ab_routing.logs.cli import add_logs_parser, run_logs
from ab_routing.region import RegionError
from ab_routing.report.cli import add_report_parser, run_report
from ab_routing.rollout.cli import add_rollout_parsers, run_promote, run_rollback, run_rollout
from ab_routing.stackfiles import StackFileError, read_stack
from ab_routing.validate import ConfigError
from ab_routing.verify.cli import add_verify_parser, run_verify


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m ab_routing", description="A/B routing for ML model variants behind an ALB.")
    sub = p.add_subparsers(dest="command", required=True)
    plan = sub.add_parser("plan", help="validate a stack's config and show what `pulumi up` would register, offline")
    add_stack_arguments(plan, outputs=False)
    add_report_parser(sub)
    reference = sub.add_parser("config-reference", help="print README's config reference, generated from the key declarations")
    reference.add_argument("--write", type=Path, default=None, metavar="README", help="replace the generated block in this file instead")
    add_rollout_parsers(sub)
    add_verify_parser(sub)
    add_logs_parser(sub)
    return p


def run_config_reference(args: argparse.Namespace) -> int:
    from ab_routing.reference import reference_markdown, write_readme

    if args.write is None:
        sys.stdout.write(reference_markdown())
        return EXIT_OK
    try:
        changed = write_readme(args.write)
    except (OSError, ValueError) as problem:
        print(f"error: cannot update {args.write}: {problem}", file=sys.stderr)
        return EXIT_INVALID
    print(f"{args.write}: {'updated' if changed else 'already up to date'}", file=sys.stderr)
    return EXIT_OK


def run_plan(args: argparse.Namespace) -> int:
    from pulumi import RunError

    from ab_routing.plan import build_plan, render_json, render_text

    try:
        files = read_stack(args.dir, args.stack)
    except StackFileError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_INVALID
    try:
        document = build_plan(files)
    except RegionError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_INVALID
    except ConfigError as error:
        print(f"{files.path or f'Pulumi.{files.stack}.yaml'}: {error.render()}", file=sys.stderr)
        return EXIT_INVALID
    except RunError as error:  # a check the program makes, as `pulumi up` would report it
        print(f"error: {files.path or f'Pulumi.{files.stack}.yaml'}: {error}", file=sys.stderr)
        return EXIT_INVALID
    for warning in document["warnings"]:  # the program's pulumi.log.warn, as `pulumi up` shows them
        print(f"warning: {warning}", file=sys.stderr)
    sys.stdout.write(render_json(document) if args.json else render_text(document))
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.command == "plan":
        return run_plan(args)
    if args.command == "report":
        return run_report(args)
    if args.command == "config-reference":
        return run_config_reference(args)
    if args.command == "rollout":
        return run_rollout(args)
    if args.command == "rollback":
        return run_rollback(args)
    if args.command == "promote":
        return run_promote(args)
    if args.command == "verify":
        return run_verify(args)
    if args.command == "logs":
        return run_logs(args)
    return EXIT_FAILURE


if __name__ == "__main__":
    sys.exit(main())
