"""What every `python -m ab_routing` command shares: the `--stack/--dir/--outputs/--json` flags,
reading the stack's config and outputs, and turning problems into a message and an exit code.

A command raises `CommandError(message, exit_code)` for anything the user should read; `main`
prints it on stderr (never a traceback) and exits with its code (see `ab_routing.exits`).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from ab_routing.exits import EXIT_FAILURE, EXIT_INVALID, EXIT_OK

if TYPE_CHECKING:
    from ab_routing.model import RoutingConfig
    from ab_routing.outputs import Deployed
    from ab_routing.stackfiles import StackFiles


T = TypeVar("T")
N = TypeVar("N", int, float)


class CommandError(Exception):
    """A user-facing failure: `message` goes to stderr, `exit_code` is the process's exit code."""

    def __init__(self, message: str, exit_code: int = EXIT_INVALID) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def add_stack_arguments(p: argparse.ArgumentParser, *, outputs: bool = True) -> None:
    """`--stack`, `--dir`, `--json` and (unless outputs=False) `--outputs`, the same in every command."""
    p.add_argument("--stack", default="dev", help="stack name: reads Pulumi.<stack>.yaml (default: dev)")
    p.add_argument("--dir", type=Path, default=Path("."), help="project directory holding Pulumi.yaml (default: .)")
    if outputs:
        p.add_argument(
            "--outputs",
            type=Path,
            default=None,
            help="JSON from `pulumi stack output --json` (default: run that command for --stack)",
        )
    p.add_argument("--json", action="store_true", help="print one JSON document on stdout instead of tables")


def flag_type(parse: Callable[[str], T]) -> Callable[[str], T]:
    """An argparse `type=` from a parser that raises ValueError saying what is allowed."""

    def read(text: str) -> T:
        try:
            return parse(text)
        except ValueError as problem:
            raise argparse.ArgumentTypeError(str(problem)) from None

    read.__name__ = getattr(parse, "__name__", "value")
    return read


def number_type(
    cast: Callable[[str], N],
    *,
    minimum: float | None = None,
    above: float | None = None,
    below: float | None = None,
    what: str = "",
) -> Callable[[str], N]:
    """An argparse `type=` for a number flag: `cast` (int or float) and its range, with a message
    naming the value received and what is allowed (`what`, when the bounds alone do not say it)."""

    def parse(text: str) -> N:
        try:
            value = cast(text)
        except ValueError:
            raise ValueError(f"expected {'a whole number' if cast is int else 'a number'}, got {text!r}") from None
        if minimum is not None and value < minimum:  # type: ignore[operator]
            raise ValueError(f"must be {what or f'at least {minimum:g}'}, got {text}")
        if above is not None and not value > above:  # type: ignore[operator]
            raise ValueError(f"must be {what or f'greater than {above:g}'}, got {text}")
        if below is not None and not value < below:  # type: ignore[operator]
            raise ValueError(f"must be {what or f'less than {below:g}'}, got {text}")
        return value

    return flag_type(parse)


def add_region_argument(p: argparse.ArgumentParser) -> None:
    """`--region`, for commands that call AWS APIs (`region.resolve_region`): without it the region is
    resolved as the AWS provider does; with it, it must agree with `aws:region` when the stack sets one."""
    p.add_argument(
        "--region",
        default=None,
        help="AWS region, in place of AWS_REGION, AWS_DEFAULT_REGION and the profile's region; must match aws:region "
        "when the stack sets it (default: aws:region, then AWS_REGION, AWS_DEFAULT_REGION, the profile's region)",
    )


def error(message: str) -> None:
    """A message on stderr, prefixed like every command's."""
    print(f"error: {message}", file=sys.stderr)


def save_metrics(path: Path, write: Callable[[Path], None]) -> None:
    """Write `--save-metrics PATH` with `write`; a path that cannot be written is bad input (exit 2)."""
    try:
        write(path)
    except OSError as problem:
        raise CommandError(f"--save-metrics {path}: cannot write it ({problem.strerror})", EXIT_INVALID) from None


def emit(document_json: str, text: Callable[[], str], *, as_json: bool, nothing: str | None = None) -> int:
    """Print a command's result: its JSON document with --json, else its text; exit 0. With
    `nothing` (why there is nothing to show), say so on stderr, still print the JSON document for
    machines, and exit 1."""
    if nothing is not None:
        error(nothing)
        if as_json:
            sys.stdout.write(document_json)
        return EXIT_FAILURE
    sys.stdout.write(document_json if as_json else text())
    return EXIT_OK


def load_stack(args: argparse.Namespace) -> tuple[StackFiles, RoutingConfig]:
    """The stack files and the validated config for `args.stack` in `args.dir`, or CommandError (exit 2)."""
    from ab_routing.config import parse_stack_config
    from ab_routing.region import RegionError, resolve_region
    from ab_routing.stackfiles import StackFileError, read_stack, stack_argument
    from ab_routing.validate import ConfigError

    # `--stack Pulumi.prod.yaml` (or dir/Pulumi.prod.yaml) means stack prod: every command then sees
    # the plain name and the project directory, as if given `--stack prod --dir dir`.
    args.dir, args.stack = stack_argument(args.dir, args.stack)
    try:
        files = read_stack(args.dir, args.stack)
        flag = "--region" if hasattr(args, "region") else None
        region = resolve_region(files.config, chosen=getattr(args, "region", None), flag=flag)
    except (StackFileError, RegionError) as problem:
        raise CommandError(str(problem)) from None
    try:
        return files, parse_stack_config(files.config, region.name)
    except ConfigError as problem:
        raise CommandError(f"{files.path or f'Pulumi.{files.stack}.yaml'}: {problem.render()}") from None


def load_deployed(args: argparse.Namespace) -> Deployed:
    """The stack outputs from `--outputs FILE`, else from `pulumi stack output --json`, or CommandError."""
    from ab_routing.outputs import OutputsError, parse_outputs, pulumi_outputs, read_outputs_file

    source = str(args.outputs) if args.outputs else f"outputs of stack {args.stack}"
    try:
        raw = read_outputs_file(args.outputs) if args.outputs else pulumi_outputs(args.stack, args.dir)
        return parse_outputs(raw, source)
    except OutputsError as problem:
        raise CommandError(str(problem), problem.exit_code) from None
