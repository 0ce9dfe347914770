"""The report document as JSON (the machine interface) or as aligned text tables (for people)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from ab_routing.report.verdict import p_text
from ab_routing.tables import table


def render_json(report: Mapping[str, Any]) -> str:
    return json.dumps(report, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def render_text(report: Mapping[str, Any]) -> str:
    window = report["window"]
    lines = [
        f"A/B report for stack '{report['stack']}' ({report['region']}), load balancer {report['loadBalancer']}",
        f"Window: {_time(window['start'])} to {_time(window['end'])} UTC ({_since(window['since'])}), "
        f"{window['periods']} periods of {window['periodSeconds']} s, {window['blocks']} blocks of {window['blockPeriods']} periods",
        *_decision_lines(report),
        "",
        f"Variants (error = {report.get('errorsDefinition', 'target 5xx + target connection errors')}; "
        "error-rate interval: Wilson 95%; * = control)",
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
            "MEAN",
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
            f"Versus control '{comparisons[0]['control']}': {report['method']}",
            f"  (bounds and p-values stay valid however often the report is re-run; error margin "
            f"+{100 * _margin(report, 'errorMargin', 0.005):.2f} pp, latency margin +{100 * _margin(report, 'latencyMargin', 0.1):g}%; "
            f"tau {report['settings']['tau']:g}: {report['settings']['tauSource']})",
        ]
        lines += table(
            [
                "VARIANT",
                "ERRORS DIFF",
                "BOUNDS",
                "DESIGN EFF.",
                "P WORSE",
                "P NON-INF.",
                "LATENCY DIFF",
                "FINDABLE IN 1 DAY",
                "ETA",
                "VERDICT",
            ],
            [
                [
                    c["variant"],
                    "n/a" if c["errorRateDiff"] is None else f"{100 * c['errorRateDiff']:+.2f} pp",
                    "n/a" if not c.get("errorBounds") else f"[{100 * c['errorBounds'][0]:+.2f}, {100 * c['errorBounds'][1]:+.2f}] pp",
                    "n/a" if c.get("designEffect") is None else f"{c['designEffect']:.2f}",
                    p_text(c.get("pWorseAdjusted", c["pWorse"])).removeprefix("= "),
                    p_text(c.get("pNonInferiorAdjusted", c["pNonInferior"])).removeprefix("= "),
                    _latency(c["latency"]),
                    "n/a" if c.get("findableInADay") is None else f"+{100 * c['findableInADay']:.2f} pp",
                    _eta(c.get("expectedMinutesToVerdict")),
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
        "n/a" if v["latencyAvgMs"] is None else f"{v['latencyAvgMs']:.1f}",
        v["verdict"],
    ]


def _latency_gaps(variants: Sequence[Mapping[str, Any]]) -> str:
    """Why latency figures are missing, grouped by reason so a backend without percentiles is one line."""
    by_reason: dict[str, list[str]] = {}
    for v in variants:
        for stat, reason in v["latencyUnavailable"].items():
            by_reason.setdefault(reason or "unavailable", []).append(f"{v['name']} {stat}")
    everything = 3 * len(variants)
    return "; ".join(f"{'all' if len(where) == everything else ', '.join(where)} ({reason})" for reason, where in by_reason.items())


def _srm_lines(srm: Mapping[str, Any]) -> list[str]:
    if srm["pValue"] is None:
        head = f"Split check: {srm['reason']}"
    elif srm["mismatch"]:
        head = (
            f"Split check: MISMATCH, always-valid p {p_text(srm['pValue'], 2)} and a share off by more than "
            f"{srm['practicalPoints']:g} pp and {100 * srm['practicalRelative']:g}%: no comparison below can be trusted until it is fixed"
        )
    else:
        practical = "" if not srm["rejected"] else " (statistically off but by less than the practical threshold)"
        head = f"Split check: ok, always-valid p {p_text(srm['pValue'])} (sequential Dirichlet-multinomial){practical}"
    return [head, *(f"  {caveat}" for caveat in srm["caveats"])]


def _since(since: str) -> str:
    return "from the experiment start" if since == "experiment start" else f"--since {since}"


def _decision_lines(report: Mapping[str, Any]) -> list[str]:
    decision = report.get("decision")
    return [f"NO DECISION: {decision['reason']}"] if decision else []


def _margin(report: Mapping[str, Any], key: str, default: float) -> float:
    experiment = report.get("experiment") or {}
    return float(experiment.get(key) or default)


def _latency(latency: Mapping[str, Any]) -> str:
    if latency.get("relativeDiff") is None:
        return "unknown"
    text = f"{100 * latency['relativeDiff']:+.1f}%"
    if latency.get("bounds"):
        text += f" [{100 * latency['bounds'][0]:+.1f}, {100 * latency['bounds'][1]:+.1f}]"
    return text


def _eta(minutes: float | None) -> str:
    if minutes is None:
        return "> 30 days"
    if minutes < 60:
        return f"{minutes:.0f} min"
    return f"{minutes / 60:.1f} h"
