"""The report document as JSON (the machine interface) or as aligned text tables (for people)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from ab_routing.plan import table
from ab_routing.report.verdict import p_text


def render_json(report: Mapping[str, Any]) -> str:
    return json.dumps(report, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def render_text(report: Mapping[str, Any]) -> str:
    window = report["window"]
    lines = [
        f"A/B report for stack '{report['stack']}' ({report['region']}), load balancer {report['loadBalancer']}",
        f"Window: {_time(window['start'])} to {_time(window['end'])} UTC (--since {window['since']}), "
        f"{window['periods']} looks of {window['periodSeconds']} s",
        "",
        "Variants (error = target 5xx + target connection errors; error-rate interval: Wilson 95%; * = control)",
    ]
    lines += table(
        [
            "VARIANT",
            "WEIGHT",
            "EXPECTED",
            "OBSERVED",
            "REQUESTS",
            "ERRORS",
            "ERROR RATE [95% CI]",
            "P50",
            "P90",
            "P99",
            "VERDICT",
        ],
        [_variant_row(v) for v in report["variants"]],
    )
    unavailable = _latency_gaps(report["variants"])
    if unavailable:
        lines.append(f"  Latency (ms) n/a: {unavailable}")
    lines += ["", *_srm_lines(report["srm"])]
    comparisons: Sequence[Mapping[str, Any]] = report["comparisons"]
    if comparisons:
        lines += [
            "",
            f"Error rate vs control '{comparisons[0]['control']}': {report['method']}",
            "  (p-values and intervals stay valid however often the report is re-run during the test)",
        ]
        lines += table(
            ["VARIANT", "DIFF", "95% CI (always valid)", "P", "SIGNIFICANT", "VERDICT"],
            [
                [
                    c["variant"],
                    "n/a" if c["errorRateDiff"] is None else f"{100 * c['errorRateDiff']:+.2f} pp",
                    "n/a" if c["ci95"] is None else f"[{100 * c['ci95'][0]:+.2f}, {100 * c['ci95'][1]:+.2f}] pp",
                    p_text(c["pValue"]).removeprefix("= "),
                    "yes" if c["significant"] else "no",
                    c["verdict"],
                ]
                for c in comparisons
            ],
        )
        lines += ["", "Verdicts"]
        lines += [f"  {c['variant']}: {c['verdict'].upper()} - {c['reason']}" for c in comparisons]
    if report["notes"]:
        lines += ["", "Notes", *(f"  - {note}" for note in report["notes"])]
    return "\n".join(lines) + "\n"


def _time(iso: str) -> str:
    return datetime.fromisoformat(iso).strftime("%Y-%m-%d %H:%M")


def _percent(value: float | None, decimals: int = 2) -> str:
    return "n/a" if value is None else f"{value:.{decimals}f}%"


def _variant_row(v: Mapping[str, Any]) -> list[str]:
    rate = v["errorRate"]
    ci = v["errorRateCi95"]
    rate_text = "n/a" if rate is None else f"{100 * rate:.2f}% [{100 * ci[0]:.2f}, {100 * ci[1]:.2f}]"
    latency = v["latencyMs"]
    return [
        v["name"] + ("*" if v["control"] else ""),
        str(v["weight"]),
        _percent(v["expectedShare"]),
        _percent(v["observedShare"]),
        str(v["requests"]),
        str(v["errors5xx"]),
        rate_text,
        *("n/a" if latency[s] is None else f"{latency[s]:.1f}" for s in ("p50", "p90", "p99")),
        v["verdict"],
    ]


def _latency_gaps(variants: Sequence[Mapping[str, Any]]) -> str:
    """Why latency figures are missing, grouped by reason so a backend without percentiles is one line."""
    by_reason: dict[str, list[str]] = {}
    for v in variants:
        for stat, reason in v["latencyUnavailable"].items():
            by_reason.setdefault(reason or "unavailable", []).append(f"{v['name']} {stat}")
    everything = 3 * len(variants)
    return "; ".join(
        f"{'all' if len(where) == everything else ', '.join(where)} ({reason})" for reason, where in by_reason.items()
    )


def _srm_lines(srm: Mapping[str, Any]) -> list[str]:
    if srm["pValue"] is None:
        head = f"Split check (SRM): {srm['reason']}"
    elif srm["mismatch"]:
        head = (
            f"Split check (SRM): MISMATCH, chi-square p {p_text(srm['pValue'], 2)}, below {srm['threshold']:g}: the observed split "
            "does not match the deployed weights, so no comparison below can be trusted until it is fixed"
        )
    else:
        head = f"Split check (SRM): ok, chi-square p {p_text(srm['pValue'])} (flagged below {srm['threshold']:g})"
        if srm["reason"]:
            head += f"; {srm['reason']}"
    return [head, *(f"  {caveat}" for caveat in srm["caveats"])]
