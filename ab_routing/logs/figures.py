"""Aggregation rows (from DuckDB or Athena) -> per-variant figures, the JSON document's content.

Attribution rules, in one place:
- a request belongs to a variant when its `target_group_arn` is that variant's target group;
- `target5xx`: the target answered 5xx; `elb5xx`: the ALB answered 5xx itself with no target
  status (`-`), e.g. a 504 when the model did not answer in time: the variant's failure all the
  same; `errors` = both;
- requests that matched a listener rule (`matched_rule_priority` > 0: the override header) are
  counted apart under `override` and left out of the variants' figures, split and comparisons;
- `unrouted`: requests with no target group (`-`), e.g. the HTTP -> HTTPS redirect.
Latency percentiles are over answered requests only (`target_processing_time` >= 0); -1 lines
(timeouts, failures) would make a hanging model look fast.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ab_routing.logs.fields import MIN_FIELDS
from ab_routing.outputs import Deployed
from ab_routing.report.stats import wilson_interval
from ab_routing.shares import share_percent

PERIOD_SECONDS = 60


@dataclass
class Tally:
    requests: int = 0
    target5xx: int = 0
    elb5xx: int = 0
    answered: int = 0
    unanswered: int = 0
    """Routed here, no target answered (`target_processing_time` -1)."""
    unanswered_not_5xx: int = 0
    """Of those, the ones the ALB did not answer 5xx: the client closed first (460), so not in `errors`."""
    latency_sum_ms: float = 0.0
    clients: int = 0
    percentiles: dict[str, float | None] = field(default_factory=lambda: {"p50": None, "p90": None, "p99": None})

    @property
    def errors(self) -> int:
        return self.target5xx + self.elb5xx

    def add(self, row: Mapping[str, Any]) -> None:
        self.requests += int(row["requests"] or 0)
        self.target5xx += int(row["target5xx"] or 0)
        self.elb5xx += int(row["elb5xx"] or 0)
        self.answered += int(row["requests"] or 0) - int(row["unanswered"] or 0)  # usable lines all have a target time
        self.unanswered += int(row["unanswered"] or 0)
        self.unanswered_not_5xx += int(row["unanswered_not_5xx"] or 0)
        self.latency_sum_ms += float(row["latency_sum_ms"] or 0.0)


@dataclass
class Analysis:
    """Everything the `logs` command and `period_counts` read from one aggregation."""

    variants: dict[str, Tally]
    override: dict[str, int]
    unrouted: Tally
    unknown_target_groups: dict[str, int]
    periods: dict[tuple[str, str], Tally]
    """(minute `YYYY-MM-DDTHH:MM`, variant) -> figures of that minute (override excluded)."""
    lines: int
    unparsed: int
    field_counts: dict[str, int] | None
    """Parsed lines per field count; None when the engine cannot tell (Athena gives 30 or more)."""
    start: datetime
    end: datetime


def _variant_of(deployed: Deployed) -> dict[str, str]:
    return {v.target_group_arn or v.target_group_arn_suffix: v.name for v in deployed.variants}


def _lookup(arns: Mapping[str, str], deployed: Deployed, target_group: str) -> str | None:
    if target_group in arns:
        return arns[target_group]
    return next((v.name for v in deployed.variants if target_group.endswith(":" + v.target_group_arn_suffix)), None)


def analyse(rows: Sequence[Mapping[str, Any]], deployed: Deployed, start: datetime, end: datetime, *, refused_lines: int = 0) -> Analysis:
    arns = _variant_of(deployed)
    variants = {v.name: Tally() for v in deployed.variants}
    override: dict[str, int] = {}
    unrouted = Tally()
    unknown: dict[str, int] = {}
    periods: dict[tuple[str, str], Tally] = {}
    lines = refused_lines
    unparsed = refused_lines
    counts: dict[str, int] = {}
    for row in rows:
        if row["per_line_kind"] == 0:
            n = int(row["requests"])
            lines += n
            if row["ok"]:
                key = str(row["field_count"])
                counts[key] = counts.get(key, 0) + n
            else:
                unparsed += n
            continue
        if not row["in_window"]:
            continue
        target_group = str(row["target_group"])
        if target_group == "-":
            if row["whole_window"] == 1:
                unrouted.add(row)
            continue
        name = _lookup(arns, deployed, target_group)
        if name is None:
            if row["whole_window"] == 1:
                unknown[target_group] = unknown.get(target_group, 0) + int(row["requests"])
            continue
        if row["override"]:
            if row["whole_window"] == 1:
                override[name] = override.get(name, 0) + int(row["requests"])
            continue
        if row["whole_window"] == 1:
            tally = variants[name]
            tally.add(row)
            tally.clients = int(row["clients"] or 0)
            tally.percentiles = {k: (None if row[k] is None else float(row[k])) for k in ("p50", "p90", "p99")}
        else:
            periods.setdefault((str(row["minute"]), name), Tally()).add(row)
    return Analysis(variants, override, unrouted, unknown, periods, lines, unparsed, counts, start, end)


def minutes(start: datetime, end: datetime) -> list[datetime]:
    """The window's periods: whole minutes from start (inclusive) to end (exclusive)."""
    count = int((end - start).total_seconds()) // PERIOD_SECONDS
    return [start + timedelta(seconds=PERIOD_SECONDS * i) for i in range(count)]


def _round(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


def document(analysis: Analysis, *, stack: str, source: str, files: int) -> dict[str, Any]:
    """The `--json` document (shape fixed by issue 11)."""
    split_total = sum(t.requests for t in analysis.variants.values())
    client_total = sum(t.clients for t in analysis.variants.values())
    variants = []
    for name, t in analysis.variants.items():
        interval = wilson_interval(t.errors, t.requests)
        variants.append(
            {
                "name": name,
                "requests": t.requests,
                "target5xx": t.target5xx,
                "elb5xx": t.elb5xx,
                "errors": t.errors,
                "unanswered": t.unanswered,
                "unansweredNot5xx": t.unanswered_not_5xx,
                "errorRate": None if not t.requests else round(t.errors / t.requests, 6),
                "errorRateCi95": None if interval is None else [round(interval[0], 6), round(interval[1], 6)],
                "latencyMs": {k: _round(v) for k, v in t.percentiles.items()},
                "clients": t.clients,
                "share": share_percent(t.requests, split_total),
                "clientShare": share_percent(t.clients, client_total),
            }
        )
    return {
        "stack": stack,
        "source": source,
        "window": {"start": _iso(analysis.start), "end": _iso(analysis.end)},
        "files": files,
        "lines": analysis.lines,
        "unparsed": analysis.unparsed,
        "fieldCounts": analysis.field_counts,
        "variants": variants,
        "override": [{"variant": name, "requests": n} for name, n in sorted(analysis.override.items())],
        "unrouted": {"requests": analysis.unrouted.requests, "elb5xx": analysis.unrouted.elb5xx},
    }


def warnings(analysis: Analysis) -> list[str]:
    """What the user must know about the input (printed on stderr)."""
    out: list[str] = []
    for count, n in sorted((analysis.field_counts or {}).items(), key=lambda kv: int(kv[0])):
        if int(count) > MIN_FIELDS:
            out.append(
                f"{n} line(s) have {count} fields, {int(count) - MIN_FIELDS} more than the {MIN_FIELDS} this reader knows: "
                "AWS appended fields to the log format; they were read and ignored"
            )
    if analysis.unparsed:
        out.append(
            f"{analysis.unparsed} of {analysis.lines} line(s) could not be parsed (cut short, an unclosed quote, a bad value "
            f"or fewer than {MIN_FIELDS} fields) and are left out of every figure"
        )
    for name, t in analysis.variants.items():
        if t.unanswered_not_5xx:
            out.append(
                f"{name}: {t.unanswered_not_5xx} request(s) got no answer from a target and no 5xx from the ALB: the client "
                "closed the connection first (ALB status 460), as clients with timeouts shorter than the ALB's idle timeout do "
                "when a model hangs; they are in `unanswered`, not in `errors` or the latency percentiles"
            )
    for arn, n in sorted(analysis.unknown_target_groups.items()):
        out.append(f"{n} request(s) went to target group {arn}, which is no variant in the stack outputs; not counted")
    return out


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
