"""The one definition of the log aggregation, emitted for DuckDB and for Athena (Trino) by sqlglot.

Both engines first expose each line as string columns named after `fields.FIELDS` plus
`source_file`, `field_count` and `intact` (DuckDB from its CSV reader, Athena from the table's
RegexSerDe). Everything after that is written once here, in DuckDB's dialect, and transpiled:
- `typed_sql`: the typed view (one row per line: is it usable, is it in the window, which target
  group, override or not, statuses, target time in ms, client address);
- `aggregate_sql`: one streaming scan of the typed view into four small groupings (per minute x
  target group x override; the window's target-time histogram per target group x override; its
  client addresses; line kinds per field count, with the file of each unusable line), then the
  window's figures from the last two: percentiles by nearest rank over the histogram and distinct
  clients as the number of address groups. Nothing is kept per line, so memory depends on the
  number of minutes, distinct target times (milliseconds, as the log writes them) and clients,
  never on the number of lines; and percentiles are exact, in both engines alike.

Times are compared as ISO 8601 strings (`2026-11-22T10:00:01.123456Z` sorts as it reads), and a
period is the string's first 16 characters (the minute), which both engines do alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

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
  field_count,
  ok,
  ok AND elb = {lb} AND time >= {start} AND time < {end} AS in_window,
  SUBSTRING(time, 1, 16) AS minute,
  target_group_arn AS target_group,
  COALESCE(TRY_CAST(matched_rule_priority AS INTEGER), 0) > 0 AS override,
  elb_status,
  target_status,
  target_ms,
  CASE WHEN ok THEN NULL ELSE source_file END AS unparsed_file,
  SUBSTRING(client_port, 1, LENGTH(client_port) - STRPOS(REVERSE(client_port), ':')) AS client
FROM (
  SELECT
    *,
    COALESCE(
      intact
      AND conn_trace_id IS NOT NULL
      AND LENGTH(time) = 27
      AND SUBSTRING(time, 11, 1) = 'T'
      AND target_ms IS NOT NULL
      AND (elb_status_code = '-' OR elb_status IS NOT NULL)
      AND (target_status_code = '-' OR target_status IS NOT NULL)
      AND target_group_arn IS NOT NULL,
      FALSE
    ) AS ok
  FROM (
    SELECT
      *,
      TRY_CAST(elb_status_code AS INTEGER) AS elb_status,
      TRY_CAST(target_status_code AS INTEGER) AS target_status,
      TRY_CAST(target_processing_time AS DOUBLE) * 1000 AS target_ms
    FROM ({raw}) AS raw_lines
  ) AS cast_lines
) AS checked
"""

_SUMS = """
  COUNT(*) AS requests,
  SUM(CASE WHEN target_status BETWEEN 500 AND 599 THEN 1 ELSE 0 END) AS target5xx,
  SUM(CASE WHEN target_status IS NULL AND elb_status BETWEEN 500 AND 599 THEN 1 ELSE 0 END) AS elb5xx,
  SUM(CASE WHEN target_ms < 0 THEN 1 ELSE 0 END) AS unanswered,
  SUM(CASE WHEN target_ms < 0 AND NOT COALESCE(elb_status BETWEEN 500 AND 599, FALSE) THEN 1 ELSE 0 END) AS unanswered_not_5xx,
  SUM(CASE WHEN target_ms >= 0 THEN target_ms END) AS latency_sum_ms"""

_NOT_CLIENT_ROWS = ("requests", "target5xx", "elb5xx", "unanswered", "unanswered_not_5xx", "latency_sum_ms")
"""Counts summed over the histogram, minute and line-kind rows; the client rows would count twice.
Answered requests are `requests - unanswered` (a usable line always has a target time), one
aggregate less per line and grouping."""

_PERCENTILE = "MIN(CASE WHEN by_latency = 0 AND target_ms >= 0 AND answered_upto >= {q} * answered_all THEN target_ms END) AS {name}"
"""Nearest rank: the smallest answered target time with at least q of the answered requests at or below it."""

_AGGREGATE = f"""
WITH grouped AS (
  SELECT
    GROUPING(minute) AS whole_window,
    GROUPING(field_count) AS per_line_kind,
    GROUPING(target_ms) AS by_latency,
    GROUPING(client) AS by_client,
    in_window, minute, target_group, override, field_count, ok, unparsed_file, target_ms, client,
    {_SUMS}
  FROM ({{typed}}) AS typed
  GROUP BY GROUPING SETS (
    (in_window, minute, target_group, override),
    (in_window, target_group, override, target_ms),
    (in_window, target_group, override, client),
    (field_count, ok, unparsed_file)
  )
), ranked AS (
  SELECT
    *,
    SUM(CASE WHEN target_ms >= 0 THEN requests ELSE 0 END) OVER (
      PARTITION BY by_latency, in_window, target_group, override ORDER BY target_ms
      ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
    ) AS answered_upto,
    SUM(CASE WHEN target_ms >= 0 THEN requests ELSE 0 END) OVER (
      PARTITION BY by_latency, in_window, target_group, override
    ) AS answered_all
  FROM grouped
)
SELECT
  whole_window,
  per_line_kind,
  in_window,
  minute,
  target_group,
  override,
  field_count,
  ok,
  unparsed_file,
  {", ".join(f"SUM(CASE WHEN by_client = 1 THEN {c} END) AS {c}" for c in _NOT_CLIENT_ROWS)},
  {", ".join(_PERCENTILE.format(q=q, name=name) for name, q in PERCENTILES)},
  SUM(CASE WHEN by_client = 0 AND client IS NOT NULL THEN 1 ELSE 0 END) AS clients
FROM ranked
GROUP BY whole_window, per_line_kind, in_window, minute, target_group, override, field_count, ok, unparsed_file
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
    "unparsed_file",
    "requests",
    "target5xx",
    "elb5xx",
    "unanswered",
    "unanswered_not_5xx",
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
    import sqlglot  # only Athena needs it: keeps it out of the DuckDB path's start-up

    return sqlglot.transpile(duckdb_text, read="duckdb", write=dialect, pretty=True)[0]


def raw_columns() -> tuple[str, ...]:
    return FIELDS
