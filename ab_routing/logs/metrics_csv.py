"""Per-period counts from the logs, in the CSV format the report reads with `--metrics-file`.

Columns: `period_start` (ISO 8601 UTC), `variant`, `requests`, `errors`, `target5xx`,
`connection_errors`, `elb5xx`, `latency_avg_ms`; one row per variant and 60-s period, every
period of the window present (0 requests when none). Here `errors` = target 5xx + ELB 5xx
attributed to the variant, which differs from CloudWatch's definition (target 5xx + target
connection errors). `connection_errors` is left empty: the logs cannot tell a failed connection
from other ALB-generated 5xx (both are an ELB 502/503 with target status `-`, inside `elb5xx`).
`latency_avg_ms` is the mean `target_processing_time` of answered requests, empty without any.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ab_routing.logs.figures import Analysis, minutes

COLUMNS: tuple[str, ...] = (
    "period_start",
    "variant",
    "requests",
    "errors",
    "target5xx",
    "connection_errors",
    "elb5xx",
    "latency_avg_ms",
)


@dataclass(frozen=True)
class PeriodRow:
    period_start: str
    """`2026-11-22T10:00:00Z`."""
    variant: str
    requests: int
    errors: int
    target5xx: int
    connection_errors: int | None
    """Always None from the logs (see the module docstring)."""
    elb5xx: int
    latency_avg_ms: float | None

    def record(self) -> dict[str, str]:
        """The row as the report's metrics-file reader takes it (`metrics_file.metrics_from_records`)."""
        return dict(zip(COLUMNS, self.cells(), strict=True))

    def cells(self) -> list[str]:
        return [
            self.period_start,
            self.variant,
            str(self.requests),
            str(self.errors),
            str(self.target5xx),
            "" if self.connection_errors is None else str(self.connection_errors),
            str(self.elb5xx),
            "" if self.latency_avg_ms is None else f"{self.latency_avg_ms:.3f}",
        ]


def period_counts(analysis: Analysis) -> list[PeriodRow]:
    """One row per period of the window and per variant (in the outputs' name order), oldest first."""
    rows: list[PeriodRow] = []
    for start in minutes(analysis.start, analysis.end):
        key = start.strftime("%Y-%m-%dT%H:%M")
        for name in analysis.variants:
            t = analysis.periods.get((key, name))
            if t is None:
                rows.append(PeriodRow(f"{key}:00Z", name, 0, 0, 0, None, 0, None))
                continue
            average = t.latency_sum_ms / t.answered if t.answered else None
            rows.append(PeriodRow(f"{key}:00Z", name, t.requests, t.errors, t.target5xx, None, t.elb5xx, average))
    return rows


def write_metrics(rows: Sequence[PeriodRow], path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as sink:
        writer = csv.writer(sink, lineterminator="\n")
        writer.writerow(COLUMNS)
        for row in rows:
            writer.writerow(row.cells())
