"""Read access-log files with DuckDB and aggregate them in one streaming pass; a malformed line
costs itself only.

Fast path: DuckDB's CSV reader (space-delimited, `"`-quoted with `\\` escapes, named string
columns plus spare ones, rows padded when short) reads every file in parallel straight into the
typed view and the aggregation (`query`). No table is built and nothing is held per line, so memory
stays bounded whatever the number of lines.

Which files the fast reader can be trusted on. An unclosed quote (a line cut inside a quoted
field) can make a CSV reader run on into the next line. Measured with DuckDB 2.0: with
`store_rejects` it rejects such a line but may also lose the line after it, and a run of them can
stop the parallel reader outright. A run-on value holds a newline. In AWS's format the next quote
the reader meets after the cut is a request's opening quote, which a space never follows, so a run
on ends either in a reader error (the line is rejected) or in a row that stops before
`conn_trace_id`, which the typed view refuses; only a run-on that starts in an appended field gives
a complete row, and the fast path looks for newlines in those itself. So after the pass:
- files with rejected lines, or that stopped the reader, are untrusted;
- files with refused lines (the aggregation names them; rare) get one more small scan for a newline
  in any quoted or appended value, and are untrusted if one holds it.
Untrusted files are read again line by line (`LINE_PATTERN`, the same regex the Athena table uses),
where a bad line can only ever fail itself, and the aggregation runs again over the trusted files
and the re-read lines. `ignore_errors` alone is never used: on a column list shorter than the lines
it silently drops every line of a newer format.
"""

from __future__ import annotations

import csv
import gzip
import tempfile
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from ab_routing.logs.fields import EXTRA_COLUMNS, FIELDS, LINE_PATTERN, QUOTED, tail_field_count
from ab_routing.logs.query import Scope, aggregate_sql, sql_string, typed_sql

ALL_COLUMNS = FIELDS + EXTRA_COLUMNS
MEMORY_LIMIT = "256MB"
"""DuckDB spills to its temporary directory beyond this (its hash tables hold groups, not lines)."""


@dataclass(frozen=True)
class ReadStats:
    """What the reader saw, for the user: nothing is dropped without being counted here."""

    files: int
    fallback_files: tuple[str, ...]
    """Files read line by line because the fast reader could not be trusted on them."""


@contextmanager
def connection(workdir: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect()
    try:
        con.execute(f"SET memory_limit = {sql_string(MEMORY_LIMIT)}")
        con.execute(f"SET temp_directory = {sql_string(str(workdir / 'spill'))}")
        yield con
    finally:
        con.close()


def _files(paths: Iterable[Path | str]) -> str:
    return "[" + ", ".join(sql_string(str(p)) for p in paths) + "]"


def _read_csv(paths: Sequence[Path | str]) -> str:
    """The CSV reader over `paths`: one string column per field plus spare ones, rejects recorded."""
    columns = "{" + ", ".join(f"{sql_string(name)}: 'VARCHAR'" for name in ALL_COLUMNS) + "}"
    return (
        f"read_csv({_files(paths)}, delim=' ', quote='\"', escape='\\', header=false, auto_detect=false, "
        f"columns={columns}, null_padding=true, store_rejects=true, filename=true, "
        "rejects_table='rejects', rejects_scan='reject_scans')"
    )


def _has_newline(columns: Iterable[str]) -> str:
    return "COALESCE(" + " OR ".join(f"contains({c}, CHR(10))" for c in columns) + ", FALSE)"


def lines_sql(paths: Sequence[Path | str]) -> str:
    """The CSV reader's lines as FIELDS + source_file, field_count, intact."""
    # Rows are padded from the right, so the first missing spare column gives the field count.
    count = "CASE WHEN conn_trace_id IS NULL THEN NULL "
    count += " ".join(f"WHEN {c} IS NULL THEN {len(FIELDS) + i}" for i, c in enumerate(EXTRA_COLUMNS))
    count += f" ELSE {len(ALL_COLUMNS)} END"
    return (
        f"SELECT {', '.join(FIELDS)}, filename AS source_file, {count} AS field_count, "
        f"NOT {_has_newline(EXTRA_COLUMNS)} AS intact FROM {_read_csv(paths)}"
    )


def _clean_raw(paths: Sequence[Path]) -> str:
    """Files written by `_reread`: one well-formed CSV row per line the regex accepted."""
    columns = "{" + ", ".join(f"{sql_string(c)}: 'VARCHAR'" for c in (*FIELDS, "source_file", "field_count")) + "}"
    return (
        f"SELECT {', '.join(FIELDS)}, source_file, CAST(field_count AS INTEGER) AS field_count, TRUE AS intact "
        f"FROM read_csv({_files(paths)}, delim='\t', quote='\"', escape='\"', header=false, auto_detect=false, "
        f"columns={columns}, nullstr='\\N')"
    )


def _open_text(path: Path) -> Any:
    return (
        gzip.open(path, "rt", encoding="utf-8", errors="replace", newline="\n")
        if path.suffix == ".gz"
        else path.open(encoding="utf-8", errors="replace", newline="\n")
    )


class LogReadError(Exception):
    """A log file cannot be read at all (a cut-off gzip stream, not gzip): the message names it."""


def _reread(paths: Sequence[Path], out: Path) -> int:
    """Parse `paths` line by line into a clean CSV at `out`; returns the lines the regex refused.
    A carriage return (a CRLF file) is never written: the CSV reader would take it for a line end."""
    refused = 0
    with out.open("w", encoding="utf-8", newline="") as sink:
        writer = csv.writer(sink, delimiter="\t", quotechar='"', doublequote=True, lineterminator="\n")
        for path in paths:
            try:
                with _open_text(path) as lines:
                    for line in lines:
                        match = LINE_PATTERN.match(line.rstrip("\r\n"))
                        if match is None:
                            refused += 1
                            continue
                        values = [("\\N" if v is None else v.replace("\r", " ")) for v in match.groups()[: len(FIELDS)]]
                        writer.writerow([*values, str(path), len(FIELDS) + tail_field_count(match.group(len(FIELDS) + 1))])
            except (OSError, EOFError, zlib.error) as problem:
                raise LogReadError(f"cannot read {path}: {problem or type(problem).__name__}") from None
    return refused


@dataclass(frozen=True)
class DuckResult:
    rows: list[dict[str, Any]]
    """Aggregation rows (`query.RESULT_COLUMNS`)."""
    stats: ReadStats
    refused_lines: int
    """Lines refused outright by the line-by-line reader (on top of rows with ok = false)."""


def run_aggregate(con: duckdb.DuckDBPyConnection, sql: str) -> list[dict[str, Any]]:
    cursor = con.execute(sql)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]


def _forget_rejects(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("DROP TABLE IF EXISTS rejects")
    con.execute("DROP TABLE IF EXISTS reject_scans")


def _rejected_files(con: duckdb.DuckDBPyConnection) -> set[str]:
    try:
        rows = con.execute(
            "SELECT DISTINCT s.file_path FROM rejects r JOIN reject_scans s ON r.scan_id = s.scan_id AND r.file_id = s.file_id"
        ).fetchall()
    except duckdb.CatalogException:  # no read finished, so no rejects table
        return set()
    return {str(row[0]) for row in rows}


def _stopping_files(con: duckdb.DuckDBPyConnection, paths: Sequence[Path]) -> set[str]:
    """The files on which the reader gives up, read one by one."""
    stopping: set[str] = set()
    for path in paths:
        try:
            con.execute(f"SELECT COUNT(field_count), BOOL_AND(intact) FROM ({lines_sql([path])})").fetchall()
        except duckdb.Error:
            stopping.add(str(path))
    return stopping


def _run_on_files(con: duckdb.DuckDBPyConnection, paths: Sequence[str]) -> set[str]:
    """Of `paths`, the files where a value holds a newline: a quoted field ran on past its line."""
    if not paths:
        return set()
    where = _has_newline((*sorted(QUOTED), *EXTRA_COLUMNS))
    return {str(row[0]) for row in con.execute(f"SELECT DISTINCT filename FROM {_read_csv(paths)} WHERE {where}").fetchall()}


def _untrusted(con: duckdb.DuckDBPyConnection, rows: Sequence[dict[str, Any]], trusted: Sequence[Path]) -> set[str]:
    """After a pass that finished: the trusted files it shows the fast reader was wrong to trust."""
    names = {str(p) for p in trusted}
    refused_in = sorted({str(r["unparsed_file"]) for r in rows if r["per_line_kind"] == 0 and r["unparsed_file"] is not None} & names)
    return (_rejected_files(con) & names) | _run_on_files(con, refused_in)


def _pass(
    con: duckdb.DuckDBPyConnection, trusted: Sequence[Path], clean: Sequence[Path], scope: Scope
) -> tuple[list[dict[str, Any]], set[str]]:
    """One aggregation over the trusted files and the re-read lines; returns its rows and the
    trusted files it showed to be untrustworthy (no rows when the reader stopped)."""
    raws = ([lines_sql(trusted)] if trusted else []) + ([_clean_raw(clean)] if clean else [])
    _forget_rejects(con)
    try:
        rows = run_aggregate(con, aggregate_sql(typed_sql(" UNION ALL ".join(raws), scope)))
    except duckdb.Error:
        stopping = _stopping_files(con, trusted)
        if not stopping or (len(trusted) > 1 and len(stopping) == len(trusted)):
            raise  # no file, or every file alone: the engine fails (memory, disk), not a file
        return [], stopping
    return rows, _untrusted(con, rows, trusted)


def aggregate_files(paths: Sequence[Path], scope: Scope, workdir: Path | None = None) -> DuckResult:
    """Read `paths` (plain or .gz) and aggregate lines in `scope`: usually one pass; files the fast
    reader cannot be trusted on are re-read line by line and the pass runs again."""
    with tempfile.TemporaryDirectory(prefix="ab-routing-logs-", dir=workdir) as tmp, connection(Path(tmp)) as con:
        untrusted: list[Path] = []
        clean: list[Path] = []
        refused = 0
        while True:
            trusted = [p for p in paths if p not in untrusted]
            rows, found = _pass(con, trusted, clean, scope)
            if not found:
                return DuckResult(rows, ReadStats(len(paths), tuple(str(p) for p in untrusted)), refused)
            newly = [p for p in trusted if str(p) in found]
            untrusted += newly
            clean.append(Path(tmp) / f"reread-{len(clean)}.csv")
            refused += _reread(newly, clean[-1])


def line_kinds(rows: Sequence[dict[str, Any]]) -> Counter[tuple[int, bool]]:
    """(field count, ok) -> lines, from the aggregation's per-line-kind grouping set."""
    out: Counter[tuple[int, bool]] = Counter()
    for row in rows:
        if row["per_line_kind"] == 0:
            out[(int(row["field_count"] or 0), bool(row["ok"]))] += int(row["requests"])
    return out
