"""Read access-log files with DuckDB and run the aggregation; malformed lines cost themselves only.

Fast path: DuckDB's CSV reader (space-delimited, `"`-quoted with `\\` escapes, named string
columns plus spare ones, rows padded when short) reads every file in parallel into a narrow typed
table on disk (`query.typed_sql`), so memory stays bounded whatever the number of lines.

An unclosed quote (a line cut inside a quoted field) can make a CSV reader run on into the next
line. Measured with DuckDB 2.0: with `store_rejects` it rejects such a line but may also lose the
line after it, and a run of them can stop the parallel reader outright. So a file is trusted only
when the reader rejected nothing in it and no value holds a newline; any other file is deleted
from the table and read again line by line (`LINE_PATTERN`, the same regex the Athena table uses),
where a bad line can only ever fail itself. `ignore_errors` alone is never used: on a column list
shorter than the lines it silently drops every line of a newer format.
"""

from __future__ import annotations

import csv
import gzip
import tempfile
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from ab_routing.logs.fields import EXTRA_COLUMNS, FIELDS, LINE_PATTERN, QUOTED, tail_field_count
from ab_routing.logs.query import Scope, aggregate_sql, sql_string, typed_sql

ALL_COLUMNS = FIELDS + EXTRA_COLUMNS
MEMORY_LIMIT = "256MB"
"""DuckDB keeps the typed table in its database file and spills beyond this, so memory stays
bounded however many lines are read."""


@dataclass(frozen=True)
class ReadStats:
    """What the reader saw, for the user: nothing is dropped without being counted here."""

    files: int
    fallback_files: tuple[str, ...]
    """Files read line by line because the fast reader could not be trusted on them."""


@contextmanager
def connection(workdir: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect(str(workdir / "logs.duckdb"))
    try:
        con.execute(f"SET memory_limit = {sql_string(MEMORY_LIMIT)}")
        con.execute(f"SET temp_directory = {sql_string(str(workdir / 'spill'))}")
        yield con
    finally:
        con.close()


def _csv_columns() -> str:
    return "{" + ", ".join(f"{sql_string(name)}: 'VARCHAR'" for name in ALL_COLUMNS) + "}"


def _fast_raw(paths: Sequence[Path]) -> str:
    """The CSV reader's lines as FIELDS + source_file, field_count, intact."""
    files = "[" + ", ".join(sql_string(str(p)) for p in paths) + "]"
    extras = " + ".join(f"CASE WHEN {c} IS NULL THEN 0 ELSE 1 END" for c in EXTRA_COLUMNS)
    count = f"CASE WHEN conn_trace_id IS NULL THEN NULL ELSE {len(FIELDS)} + {extras} END"
    # Only a quoted value can run on past its line: it starts in a quoted field (or an appended one).
    newline = " OR ".join(f"COALESCE(STRPOS({c}, CHR(10)) > 0, FALSE)" for c in (*sorted(QUOTED), *EXTRA_COLUMNS))
    return (
        f"SELECT {', '.join(FIELDS)}, filename AS source_file, {count} AS field_count, NOT ({newline}) AS intact "
        f"FROM read_csv({files}, delim=' ', quote='\"', escape='\\', header=false, auto_detect=false, "
        f"columns={_csv_columns()}, null_padding=true, store_rejects=true, filename=true, "
        "rejects_table='rejects', rejects_scan='reject_scans')"
    )


def _clean_raw(path: Path) -> str:
    """A file written by `_reread`: one well-formed CSV row per line the regex accepted."""
    columns = "{" + ", ".join(f"{sql_string(c)}: 'VARCHAR'" for c in (*FIELDS, "source_file", "field_count")) + "}"
    return (
        f"SELECT {', '.join(FIELDS)}, source_file, CAST(field_count AS INTEGER) AS field_count, TRUE AS intact "
        f"FROM read_csv({sql_string(str(path))}, delim='\t', quote='\"', escape='\"', header=false, auto_detect=false, "
        f"columns={columns}, nullstr='\\N')"
    )


def _open_text(path: Path) -> Any:
    return (
        gzip.open(path, "rt", encoding="utf-8", errors="replace", newline="\n")
        if path.suffix == ".gz"
        else path.open(encoding="utf-8", errors="replace", newline="\n")
    )


def _reread(paths: Sequence[Path], out: Path) -> int:
    """Parse `paths` line by line into a clean CSV at `out`; returns the lines the regex refused."""
    refused = 0
    with out.open("w", encoding="utf-8", newline="") as sink:
        writer = csv.writer(sink, delimiter="\t", quotechar='"', doublequote=True, lineterminator="\n")
        for path in paths:
            with _open_text(path) as lines:
                for line in lines:
                    match = LINE_PATTERN.match(line.rstrip("\n"))
                    if match is None:
                        refused += 1
                        continue
                    values = [("\\N" if v is None else v) for v in match.groups()[: len(FIELDS)]]
                    writer.writerow([*values, str(path), len(FIELDS) + tail_field_count(match.group(len(FIELDS) + 1))])
    return refused


@dataclass(frozen=True)
class DuckResult:
    rows: list[dict[str, Any]]
    """Aggregation rows (`query.RESULT_COLUMNS`)."""
    stats: ReadStats
    refused_lines: int
    """Lines refused outright by the line-by-line reader (on top of rows with ok = false)."""


def load_typed(con: duckdb.DuckDBPyConnection, paths: Sequence[Path], scope: Scope, workdir: Path) -> tuple[tuple[str, ...], int]:
    """Fill table `typed` (the typed view's rows) from `paths`; returns the files read line by line
    and the lines that reader refused."""
    aborted: set[str] = set()
    try:
        con.execute(f"CREATE TABLE typed AS {typed_sql(_fast_raw(paths), scope)}")
    except duckdb.Error:
        # The reader gave up on some file (see the module docstring): file by file, to find it.
        con.execute(f"CREATE TABLE typed AS {typed_sql(_fast_raw(paths), scope)} LIMIT 0")
        for path in paths:
            try:
                con.execute(f"INSERT INTO typed {typed_sql(_fast_raw([path]), scope)}")
            except duckdb.Error:
                aborted.add(str(path))
    suspects = aborted | {row[0] for row in con.execute("SELECT DISTINCT source_file FROM typed WHERE NOT intact").fetchall()}
    try:
        rejected = con.execute(
            "SELECT DISTINCT s.file_path FROM rejects r JOIN reject_scans s ON r.scan_id = s.scan_id AND r.file_id = s.file_id"
        ).fetchall()
    except duckdb.CatalogException:  # no read finished, so no rejects table
        rejected = []
    suspects |= {row[0] for row in rejected}
    fallback = tuple(sorted(str(s) for s in suspects))
    if not fallback:
        return fallback, 0
    con.execute(f"DELETE FROM typed WHERE source_file IN ({', '.join(sql_string(s) for s in fallback)})")
    clean = workdir / "reread.csv"
    refused = _reread([Path(s) for s in fallback], clean)
    con.execute(f"INSERT INTO typed {typed_sql(_clean_raw(clean), scope)}")
    return fallback, refused


def run_aggregate(con: duckdb.DuckDBPyConnection, sql: str) -> list[dict[str, Any]]:
    cursor = con.execute(sql)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]


def aggregate_files(paths: Sequence[Path], scope: Scope, workdir: Path | None = None) -> DuckResult:
    """Read `paths` (plain or .gz) and aggregate lines in `scope`."""
    with tempfile.TemporaryDirectory(prefix="ab-routing-logs-", dir=workdir) as tmp, connection(Path(tmp)) as con:
        fallback, refused = load_typed(con, paths, scope, Path(tmp))
        rows = run_aggregate(con, aggregate_sql("SELECT * FROM typed"))
    return DuckResult(rows, ReadStats(len(paths), fallback), refused)


def line_kinds(rows: Sequence[dict[str, Any]]) -> Counter[tuple[int, bool]]:
    """(field count, ok) -> lines, from the aggregation's per-line-kind grouping set."""
    out: Counter[tuple[int, bool]] = Counter()
    for row in rows:
        if row["per_line_kind"] == 0:
            out[(int(row["field_count"] or 0), bool(row["ok"]))] += int(row["requests"])
    return out
