"""Run the aggregation in Athena: the same SQL as DuckDB (`query.full_sql`, Trino dialect) over the
Glue table the stack creates (`ab_routing.resources.log_analytics`).

The table's RegexSerDe gives one string column per field plus `extra_fields` (the appended tail);
a line the regex does not match comes back with every column NULL, which the typed view counts as
unparsed. Only the window's day partitions (partition projection) and this load balancer's files
(`"$path"` carries its id) are scanned; the workgroup's bytes-scanned cutoff bounds the cost.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

from ab_routing.aws_errors import NO_CREDENTIALS, describe
from ab_routing.commands import CommandError
from ab_routing.exits import EXIT_FAILURE
from ab_routing.logs.fields import FIELDS
from ab_routing.logs.query import RESULT_COLUMNS, Scope, full_sql, sql_string
from ab_routing.logs.source import DELIVERY_MARGIN, days, lb_token

POLL_SECONDS = 1.0
TIMEOUT_SECONDS = 900.0


class AthenaError(CommandError):
    """Athena refused or failed a query; by default a failure to act (exit 1), not bad input."""

    def __init__(self, message: str, exit_code: int = EXIT_FAILURE) -> None:
        super().__init__(message, exit_code)


@dataclass(frozen=True)
class AthenaTable:
    database: str
    table: str
    work_group: str


def raw_sql(table: AthenaTable, scope: Scope) -> str:
    """The table's lines as FIELDS + source_file, field_count, intact (Trino)."""
    first, last = min(days(scope.start, scope.end)), max(days(scope.start, scope.end + DELIVERY_MARGIN))
    tail_fields = 'CARDINALITY(REGEXP_EXTRACT_ALL(extra_fields, \'"[^"]*"|[^ ]+\'))'
    return (
        f'SELECT {", ".join(FIELDS)}, "$path" AS source_file, '
        f"CASE WHEN conn_trace_id IS NULL THEN NULL ELSE {len(FIELDS)} + COALESCE({tail_fields}, 0) END AS field_count, "
        f"TRUE AS intact FROM {table.database}.{table.table} "
        f"WHERE day BETWEEN {sql_string(f'{first:%Y/%m/%d}')} AND {sql_string(f'{last:%Y/%m/%d}')} "
        f'AND "$path" LIKE {sql_string("%_" + lb_token(scope.load_balancer) + "_%")}'
    )


def athena_sql(table: AthenaTable, scope: Scope) -> str:
    return full_sql(raw_sql(table, scope), scope, "athena")


Progress = Callable[[str], None]


def _pages(client: Any, execution_id: str) -> Iterator[list[dict[str, Any]]]:
    token: str | None = None
    while True:
        page = client.get_query_results(QueryExecutionId=execution_id, **({"NextToken": token} if token else {}))
        yield page["ResultSet"]["Rows"]
        token = page.get("NextToken")
        if not token:
            return


def _value(cell: dict[str, Any]) -> str | None:
    return cell.get("VarCharValue")


def _convert(name: str, text: str | None) -> Any:
    if text is None:
        return None
    if name in ("in_window", "override", "ok"):
        return text.lower() == "true"
    if name in ("minute", "target_group", "unparsed_file"):
        return text
    if name in ("latency_sum_ms", "p50", "p90", "p99"):
        return float(text)
    return int(text)


def run_query(
    client: Any,
    table: AthenaTable,
    scope: Scope,
    *,
    progress: Progress = lambda _: None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> list[dict[str, Any]]:
    """Start the query, poll with progress, read every page; rows keyed by `RESULT_COLUMNS`."""
    try:
        started = client.start_query_execution(
            QueryString=athena_sql(table, scope),
            QueryExecutionContext={"Database": table.database},
            WorkGroup=table.work_group,
        )
        execution_id = started["QueryExecutionId"]
        began = clock()
        while True:
            execution = client.get_query_execution(QueryExecutionId=execution_id)["QueryExecution"]
            state = execution["Status"]["State"]
            scanned = execution.get("Statistics", {}).get("DataScannedInBytes", 0)
            progress(f"athena query {execution_id}: {state}, {scanned / 1e6:.1f} MB scanned")
            if state == "SUCCEEDED":
                break
            if state in ("FAILED", "CANCELLED"):
                reason = execution["Status"].get("StateChangeReason", "no reason given")
                raise AthenaError(f"Athena query {execution_id} {state.lower()}: {reason}")
            if clock() - began > TIMEOUT_SECONDS:
                client.stop_query_execution(QueryExecutionId=execution_id)
                raise AthenaError(f"Athena query {execution_id} did not finish within {TIMEOUT_SECONDS:.0f} s; stopped it")
            sleep(POLL_SECONDS)
        rows: list[dict[str, Any]] = []
        header: list[str] | None = None
        for page in _pages(client, execution_id):
            for raw in page:
                cells = [_value(c) for c in raw.get("Data", [])]
                if header is None:
                    header = [str(c) for c in cells]
                    if tuple(header) != RESULT_COLUMNS:
                        raise AthenaError(f"Athena returned columns {header}, expected {list(RESULT_COLUMNS)}")
                    continue
                rows.append({name: _convert(name, cell) for name, cell in zip(header, cells, strict=True)})
        return rows
    except NoCredentialsError:
        raise AthenaError(NO_CREDENTIALS) from None
    except ClientError as error:
        raise AthenaError(f"Athena refused the query: {describe(error)}") from None
    except BotoCoreError as error:
        raise AthenaError(f"cannot reach Athena: {error}") from None
