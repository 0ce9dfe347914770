"""The one definition of the log aggregation, emitted for DuckDB and for Athena (Trino) by sqlglot.

Both engines first expose each line as string columns named after `fields.FIELDS` plus
`source_file`, `field_count` and `intact` (DuckDB from its CSV reader, Athena from the table's
RegexSerDe). Everything after that is written once here, in DuckDB's dialect, and transpiled:
- `typed_sql`: the typed view (one row per line: is it usable, is it in the window, which target
  group, override or not, statuses, target time in ms, client address);
- `aggregate_sql`: one scan, three grouping sets: per minute x target group x override, per target
  group x override over the window (percentiles, distinct clients), and per field count (health).

Times are compared as ISO 8601 strings (`2026-11-22T10:00:01.123456Z` sorts as it reads), and a
period is the string's first 16 characters (the minute), which both engines do alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import sqlglot

from ab_routing.logs.fields import FIELDS

Dialect = Literal["duckdb", "athena"]

PERCENTILES: tuple[tuple[str, float], ...] = (("p50", 0.5), ("p90", 0.9), ("p99", 0.99))


def sql_string(value: str) -> str:
    """A SQL string literal (both dialects double a single quote)."""
    return "'" + value.replace("'", "''") + "'"


def iso(moment: datetime) -> str:
    """The log's own time format, for string comparison with the `time` field."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class Scope:
    """Which lines count: this load balancer's, with `start <= time < end` (UTC)."""

    load_balancer: str
    """`app/<name>/<id>`, as the `elb` field writes it."""
    start: datetime
    end: datetime


_TYPED = """
SELECT
  source_file,
  field_count,
  intact,
  ok,
  ok AND elb = {lb} AND time >= {start} AND time < {end} AS in_window,
  SUBSTRING(time, 1, 16) AS minute,
  target_group_arn AS target_group,
  COALESCE(TRY_CAST(matched_rule_priority AS INTEGER), 0) > 0 AS override,
  TRY_CAST(elb_status_code AS INTEGER) AS elb_status,
  TRY_CAST(target_status_code AS INTEGER) AS target_status,
  TRY_CAST(target_processing_time AS DOUBLE) * 1000 AS target_ms,
  SUBSTRING(client_port, 1, LENGTH(client_port) - STRPOS(REVERSE(client_port), ':')) AS client
FROM (
  SELECT
    *,
    COALESCE(
      intact
      AND conn_trace_id IS NOT NULL
      AND LENGTH(time) = 27
      AND SUBSTRING(time, 11, 1) = 'T'
      AND TRY_CAST(target_processing_time AS DOUBLE) IS NOT NULL
      AND (elb_status_code = '-' OR TRY_CAST(elb_status_code AS INTEGER) IS NOT NULL)
      AND (target_status_code = '-' OR TRY_CAST(target_status_code AS INTEGER) IS NOT NULL)
      AND target_group_arn IS NOT NULL,
      FALSE
    ) AS ok
  FROM ({raw}) AS raw_lines
) AS checked
"""

_ANSWERED = "CASE WHEN target_ms >= 0 THEN target_ms END"

_AGGREGATE = f"""
SELECT
  GROUPING(minute) AS whole_window,
  GROUPING(field_count) AS per_line_kind,
  in_window,
  minute,
  target_group,
  override,
  field_count,
  ok,
  COUNT(*) AS requests,
  SUM(CASE WHEN target_status BETWEEN 500 AND 599 THEN 1 ELSE 0 END) AS target5xx,
  SUM(CASE WHEN target_status IS NULL AND elb_status BETWEEN 500 AND 599 THEN 1 ELSE 0 END) AS elb5xx,
  SUM(CASE WHEN target_ms >= 0 THEN 1 ELSE 0 END) AS answered,
  SUM(CASE WHEN target_ms < 0 THEN 1 ELSE 0 END) AS unanswered,
  SUM({_ANSWERED}) AS latency_sum_ms,
  {", ".join(f"APPROX_QUANTILE({_ANSWERED}, {q}) AS {name}" for name, q in PERCENTILES)},
  COUNT(DISTINCT client) AS clients
FROM ({{typed}}) AS typed
GROUP BY GROUPING SETS (
  (in_window, minute, target_group, override),
  (in_window, target_group, override),
  (field_count, ok)
)
"""

RESULT_COLUMNS: tuple[str, ...] = (
    "whole_window",
    "per_line_kind",
    "in_window",
    "minute",
    "target_group",
    "override",
    "field_count",
    "ok",
    "requests",
    "target5xx",
    "elb5xx",
    "answered",
    "unanswered",
    "latency_sum_ms",
    *(name for name, _ in PERCENTILES),
    "clients",
)


def typed_sql(raw: str, scope: Scope, dialect: Dialect = "duckdb") -> str:
    """The typed view over `raw` (a SELECT giving FIELDS + source_file, field_count, intact)."""
    text = _TYPED.format(raw=raw, lb=sql_string(scope.load_balancer), start=sql_string(iso(scope.start)), end=sql_string(iso(scope.end)))
    return _emit(text, dialect)


def aggregate_sql(typed: str, dialect: Dialect = "duckdb") -> str:
    """The aggregation over a typed relation (the output of `typed_sql`, or a table of its rows)."""
    return _emit(_AGGREGATE.format(typed=typed), dialect)


def full_sql(raw: str, scope: Scope, dialect: Dialect) -> str:
    """Typed view and aggregation in one statement: what Athena runs."""
    return aggregate_sql(typed_sql(raw, scope, "duckdb"), dialect)


def _emit(duckdb_text: str, dialect: Dialect) -> str:
    if dialect == "duckdb":
        return duckdb_text
    return sqlglot.transpile(duckdb_text, read="duckdb", write=dialect, pretty=True)[0]


def raw_columns() -> tuple[str, ...]:
    return FIELDS
