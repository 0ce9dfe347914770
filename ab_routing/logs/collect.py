"""Log aggregation rows for a window, from files (local or S3, read with DuckDB) or from Athena.

One path for every command that reads the access logs: `logs` prints the figures, `report --source
logs|athena` runs its statistics on the same rows (`figures.analyse` -> `metrics_csv.period_counts`).
Problems raise `CommandError` with the exit code of `ab_routing.exits`.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ab_routing.commands import CommandError
from ab_routing.exits import EXIT_FAILURE
from ab_routing.logs.query import Scope
from ab_routing.model import RoutingConfig
from ab_routing.outputs import Deployed

ClientFactory = Callable[[str, str | None], Any]
"""(service, region) -> a boto3 client."""
Progress = Callable[[str], None]
ENGINES = ("duckdb", "athena")


@dataclass(frozen=True)
class LogRows:
    rows: list[dict[str, Any]]
    """Aggregation rows keyed by `query.RESULT_COLUMNS`, for `figures.analyse`."""
    refused_lines: int
    """Lines the reader refused before aggregation (counted as unparsed)."""
    source: str
    """Where they came from, for messages: a path, `s3://bucket/prefix` or `athena:db.table`."""
    files: int


@dataclass(frozen=True)
class LogRequest:
    """Which lines to aggregate, for whom, and how to say where they came from in messages."""

    engine: str
    """`duckdb` (files, local or S3) or `athena` (the stack's Glue table)."""
    source: str | None
    """A path or `s3://...`; None: the stack's access-log bucket."""
    flag: str
    """The option `source` came from, for messages: `--source` for `logs`, `--log-source` for `report`."""
    stack: str
    config: RoutingConfig
    deployed: Deployed
    scope: Scope
    region: str


def collect(request: LogRequest, *, client_factory: ClientFactory, progress: Progress) -> LogRows:
    """The aggregation rows of `request.scope`."""
    if request.engine == "athena":
        return _athena(request, client_factory, progress)
    return _duckdb(request, client_factory, progress)


def _account(deployed: Deployed) -> list[str]:
    arn = deployed.load_balancer_arn
    parts = arn.split(":") if arn else []
    return [parts[4]] if len(parts) > 5 and parts[4] else []


def _where(request: LogRequest) -> Any:
    """Where the log files are: `--source` (a path or an `S3Location`), else the stack's bucket and
    prefix; CommandError when access logs are off or the bucket output is missing."""
    from ab_routing.logs.source import S3Location, parse_source
    from ab_routing.outputs import OutputsError

    if request.source is not None:
        return parse_source(request.source, request.flag)
    config = request.config
    if not config.access_logs.enabled:
        raise CommandError(
            f"access logs are off in Pulumi.{request.stack}.yaml: turn them on with `ab-routing:accessLogs: {{enabled: true}}` "
            f"(e.g. `pulumi config set --path accessLogs.enabled true`) and run `pulumi up`, or pass {request.flag} with log files"
        )
    try:
        bucket = request.deployed.require("accessLogsBucket")
    except OutputsError as problem:
        raise CommandError(str(problem), problem.exit_code) from None
    return S3Location(bucket, config.access_logs.prefix)


def _duckdb(request: LogRequest, client_factory: ClientFactory, progress: Progress) -> LogRows:
    import duckdb

    from ab_routing.logs.duck import LogReadError, aggregate_files
    from ab_routing.logs.source import S3Location, SourceError, download, local_files, s3_keys

    flag, deployed, scope = request.flag, request.deployed, request.scope
    try:
        where = _where(request)
        with tempfile.TemporaryDirectory(prefix="ab-routing-s3-") as tmp:
            if isinstance(where, S3Location):
                shown = f"s3://{where.bucket}/{where.prefix}".rstrip("/")
                client = client_factory("s3", request.region)
                keys = s3_keys(
                    client,
                    where,
                    region=request.region,
                    accounts=_account(deployed),
                    load_balancer=scope.load_balancer,
                    start=scope.start,
                    end=scope.end,
                )
                progress(f"downloading {len(keys)} log file(s) from {shown}...")
                paths = download(client, where, keys, Path(tmp))
            else:
                shown = str(where)
                paths = local_files(where, scope.load_balancer, scope.start, scope.end, flag)
            if not paths:
                raise CommandError(
                    f"no log files of load balancer {scope.load_balancer} in {shown} for {scope.start:%Y-%m-%d %H:%M} to "
                    f"{scope.end:%Y-%m-%d %H:%M} UTC (files arrive every 5 minutes); widen --since or check --start",
                    EXIT_FAILURE,
                )
            progress(f"reading {len(paths)} file(s) with DuckDB...")
            try:
                result = aggregate_files(paths, scope)
            except LogReadError as problem:
                raise CommandError(f"{problem}; move it out of {shown} or fetch it again", EXIT_FAILURE) from None
            except duckdb.Error as error:  # not a file's fault (each file is tried alone first): the engine's
                reason = str(error).splitlines()[0]
                raise CommandError(f"DuckDB could not aggregate the log files from {shown}: {reason}", EXIT_FAILURE) from None
            if result.stats.fallback_files:
                progress(
                    f"{len(result.stats.fallback_files)} file(s) were read line by line (malformed lines, or lines with more "
                    "fields than the fast reader takes)"
                )
            return LogRows(result.rows, result.refused_lines, shown, len(paths))
    except SourceError as problem:
        raise CommandError(str(problem), problem.exit_code) from None


def _athena(request: LogRequest, client_factory: ClientFactory, progress: Progress) -> LogRows:
    from ab_routing.logs.athena import AthenaError, AthenaTable, run_query
    from ab_routing.outputs import OutputsError

    try:
        deployed = request.deployed
        table = AthenaTable(deployed.require("logsDatabase"), deployed.require("logsTable"), deployed.require("athenaWorkGroup"))
    except OutputsError as problem:
        raise CommandError(
            f"{problem} (Athena needs the stack's Athena resources; turn access logs on and run `pulumi up`)", problem.exit_code
        ) from None
    try:
        rows = run_query(client_factory("athena", request.region), table, request.scope, progress=progress)
    except AthenaError as problem:
        raise CommandError(str(problem), problem.exit_code) from None
    return LogRows(rows, 0, f"athena:{table.database}.{table.table}", 0)
