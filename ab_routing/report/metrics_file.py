"""Per-period counts as CSV: what `report --metrics-file` reads and `report --save-metrics` writes
(and what `logs` writes from the access logs), so a report can be re-run or shared without AWS.

One row per variant and period:

    period_start,variant,requests,errors,target5xx,connection_errors,elb5xx,latency_avg_ms
    2026-11-22T10:00:00Z,champion,4512,37,30,7,,182.4

`period_start` is ISO 8601 UTC; `errors` is what the test uses (target 5xx + connection errors);
the last four columns are optional (the header may leave them out, a row may leave them empty).
Periods are of equal length: every gap between period starts is a whole number of the shortest
gap (a missing period had no traffic). Bad files raise MetricsFileError naming the line.
"""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ab_routing.report.metrics import Percentile, VariantMetrics
from ab_routing.report.window import Window

REQUIRED = ("period_start", "variant", "requests", "errors")
OPTIONAL = ("target5xx", "connection_errors", "elb5xx", "latency_avg_ms")
COLUMNS = REQUIRED + OPTIONAL
NO_PERCENTILES = "not in a metrics file (per-period means only)"


class MetricsFileError(Exception):
    """The file cannot be used; the message names the file, the line and what is allowed."""


@dataclass(frozen=True)
class MetricsFile:
    """A parsed file: every variant's series over the file's periods, oldest first."""

    start: datetime
    period: int
    """Seconds per period."""
    periods: int
    metrics: tuple[VariantMetrics, ...]

    @property
    def end(self) -> datetime:
        return self.start + timedelta(seconds=self.period * self.periods)


def format_time(moment: datetime) -> str:
    """2026-11-22T10:00:00Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def write_metrics(path: Path, window: Window, metrics: Sequence[VariantMetrics]) -> None:
    """Write `metrics` (one series per variant over `window`) in the file format."""
    path.write_text(render_metrics(window.start, window.period, metrics))


def render_metrics(start: datetime, period: int, metrics: Sequence[VariantMetrics]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    periods = max((len(m.requests) for m in metrics), default=0)
    for i in range(periods):
        when = format_time(start + timedelta(seconds=i * period))
        for m in metrics:
            avg = m.latency_avg[i] if i < len(m.latency_avg) else None
            writer.writerow(
                [
                    when,
                    m.name,
                    m.requests[i],
                    m.errors[i],
                    m.target_5xx[i] if m.breakdown else "",
                    m.connection_errors[i] if m.breakdown else "",
                    m.elb_5xx[i] if i < len(m.elb_5xx) else "",
                    "" if avg is None else f"{1000 * avg:.3f}",
                ]
            )
    return out.getvalue()


def read_metrics(path: Path, variants: Iterable[str]) -> MetricsFile:
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise MetricsFileError(f"--metrics-file {path}: no such file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise MetricsFileError(f"--metrics-file {path}: cannot read it ({error})") from None
    return parse_metrics(text, variants, str(path))


@dataclass
class _Row:
    line: int
    start: datetime
    variant: str
    requests: int
    errors: int
    target5xx: int | None
    connection_errors: int | None
    elb5xx: int | None
    latency_ms: float | None


def parse_metrics(text: str, variants: Iterable[str], source: str = "metrics file") -> MetricsFile:
    """CSV text -> MetricsFile for the deployed `variants` (absent ones get zeros)."""
    known = sorted(variants)
    reader = csv.DictReader(io.StringIO(text))
    header = reader.fieldnames or []
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise MetricsFileError(
            f"{source}: line 1: missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)}; "
            f"expected the header {','.join(COLUMNS)} (the last {len(OPTIONAL)} optional)"
        )
    unknown = [c for c in header if c not in COLUMNS]
    if unknown:
        raise MetricsFileError(f"{source}: line 1: unknown column {unknown[0]!r}; allowed: {', '.join(COLUMNS)}")

    def numbered() -> Iterator[tuple[int, Mapping[str, str]]]:
        for record in reader:
            if None in record:
                raise MetricsFileError(f"{source}: line {reader.line_num}: more fields than columns in the header")
            yield reader.line_num, record

    return metrics_from_records(numbered(), known, source)


def metrics_from_records(
    records: Iterable[tuple[int, Mapping[str, str]]], variants: Iterable[str], source: str = "metrics file"
) -> MetricsFile:
    """Records keyed by `COLUMNS` (text cells, as in the file), each with its line number ->
    MetricsFile. The file's rows and `logs`' per-period rows (`PeriodRow.record()`) both come here,
    so counts from the logs pass the same checks and take the same shape as a file's."""
    known = sorted(variants)
    rows: list[_Row] = []
    seen: dict[tuple[datetime, str], int] = {}
    for line, record in records:
        row = _row(record, line, source, known)
        key = (row.start, row.variant)
        if key in seen:
            raise MetricsFileError(
                f"{source}: line {line}: a second row for {row.variant} at {format_time(row.start)} (first on line {seen[key]})"
            )
        seen[key] = line
        rows.append(row)
    if not rows:
        raise MetricsFileError(f"{source}: no data rows after the header")
    starts = sorted({r.start for r in rows})
    period = _period(starts, rows, source)
    first = starts[0]
    periods = int((starts[-1] - first).total_seconds()) // period + 1
    counts: dict[str, dict[str, list[int]]] = {
        name: {k: [0] * periods for k in ("requests", "errors", "target5xx", "connection_errors", "elb5xx")} for name in known
    }
    latency: dict[str, list[float | None]] = {name: [None] * periods for name in known}
    has: dict[str, bool] = dict.fromkeys(OPTIONAL, False)
    for r in rows:
        i = int((r.start - first).total_seconds()) // period
        s = counts[r.variant]
        s["requests"][i], s["errors"][i] = r.requests, r.errors
        for column, value in (("target5xx", r.target5xx), ("connection_errors", r.connection_errors), ("elb5xx", r.elb5xx)):
            if value is not None:
                s[column][i] = value
                has[column] = True
        if r.latency_ms is not None:
            latency[r.variant][i] = r.latency_ms / 1000
            has["latency_avg_ms"] = True
    breakdown = has["target5xx"] and has["connection_errors"]
    metrics = tuple(
        VariantMetrics(
            name,
            tuple(s["requests"]),
            tuple(s["target5xx"] if breakdown else s["errors"]),
            tuple(s["connection_errors"]) if breakdown else (0,) * periods,
            {stat: Percentile(None, NO_PERCENTILES) for stat in ("p50", "p90", "p99")},
            latency_avg=tuple(latency[name]) if has["latency_avg_ms"] else (),
            latency_samples=tuple(s["requests"]) if has["latency_avg_ms"] else (),
            error_counts=tuple(s["errors"]),
            elb_5xx=tuple(s["elb5xx"]) if has["elb5xx"] else (),
            breakdown=breakdown,
        )
        for name, s in counts.items()
    )
    return MetricsFile(first, period, periods, metrics)


def _row(record: Mapping[str, str], line: int, source: str, known: Sequence[str]) -> _Row:
    where = f"{source}: line {line}"
    raw_start = (record.get("period_start") or "").strip()
    start = _time(raw_start)
    if start is None:
        raise MetricsFileError(f"{where}: period_start {raw_start!r} is not an ISO 8601 UTC time such as 2026-11-22T10:00:00Z")
    variant = (record.get("variant") or "").strip()
    if variant not in known:
        raise MetricsFileError(f"{where}: unknown variant {variant!r}; the deployed variants are {', '.join(known)}")
    requests = _count(record, "requests", where, required=True)
    errors = _count(record, "errors", where, required=True)
    assert requests is not None and errors is not None
    if errors > requests:
        raise MetricsFileError(f"{where}: errors {errors} > requests {requests}; errors count failed requests")
    latency = (record.get("latency_avg_ms") or "").strip()
    latency_ms: float | None = None
    if latency:
        try:
            latency_ms = float(latency)
        except ValueError:
            latency_ms = -1.0
        if not latency_ms >= 0 or latency_ms == float("inf"):
            raise MetricsFileError(f"{where}: latency_avg_ms {latency!r} must be a number of milliseconds >= 0 or empty")
    return _Row(
        line,
        start,
        variant,
        requests,
        errors,
        _count(record, "target5xx", where),
        _count(record, "connection_errors", where),
        _count(record, "elb5xx", where),
        latency_ms,
    )


def _count(record: Mapping[str, str], column: str, where: str, required: bool = False) -> int | None:
    text = (record.get(column) or "").strip()
    if not text:
        if required:
            raise MetricsFileError(f"{where}: {column} is empty; expected a whole number >= 0")
        return None
    if not text.isdigit():
        raise MetricsFileError(f"{where}: {column} {text!r} must be a whole number >= 0")
    return int(text)


def _time(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None or moment.utcoffset() != timedelta(0):
        return None
    return moment.astimezone(UTC)


def _period(starts: Sequence[datetime], rows: Sequence[_Row], source: str) -> int:
    """The period length: the shortest gap, a multiple of 60 s; every gap a multiple of it."""
    first_line = {r.start: r.line for r in reversed(rows)}
    for a in starts:
        if a.second or a.microsecond:
            raise MetricsFileError(f"{source}: line {first_line[a]}: period_start {format_time(a)} is not on a whole minute")
    if len(starts) == 1:
        return 60
    gaps = [int((b - a).total_seconds()) for a, b in itertools.pairwise(starts)]
    period = min(gaps)
    for (_, b), gap in zip(itertools.pairwise(starts), gaps, strict=True):
        if gap % period:
            raise MetricsFileError(
                f"{source}: line {first_line[b]}: period_start {format_time(b)} breaks the file's periods of {period} s; "
                "periods must be of equal length (a missing period is one without traffic)"
            )
    return period
