"""The verify document as JSON (the machine interface) or as rich tables (for people)."""

from __future__ import annotations

import io
import json
from collections.abc import Mapping, Sequence
from typing import Any

from rich.console import Console
from rich.table import Table

from ab_routing.verify.checks import Check
from ab_routing.verify.drift import DeployedCheck

RESULT = {"pass": "ok", "fail": "FAILED", "skip": "skipped", "error": "NOT CHECKED"}


def build_document(
    stack: str, url: str | None, checks: Sequence[Check], deployed: DeployedCheck, traffic: Mapping[str, Any] | None
) -> dict[str, Any]:
    return {
        "stack": stack,
        "url": url,
        "ok": all(c.ok for c in checks),
        "checks": [{"name": c.name, "ok": c.ok, "status": c.status, "summary": c.summary, "details": c.details} for c in checks],
        "drift": [{"item": d.item, "deployed": d.deployed, "expected": d.expected, "kind": d.kind} for d in deployed.differences],
        "deployedWeights": deployed.weights,
        "deployedStickiness": deployed.stickiness_enabled,
        "health": [
            {
                "variant": h.variant,
                "targetGroupArn": h.target_group_arn,
                "ok": h.ok,
                "summary": h.summary(),
                "targets": [
                    {"id": t.id, "port": t.port, "state": t.state, "reason": t.reason, "description": t.description} for t in h.targets
                ],
            }
            for h in deployed.health
        ],
        "traffic": traffic,
    }


def render_json(document: Mapping[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def render_text(document: Mapping[str, Any], width: int = 120) -> str:
    out = io.StringIO()
    console = Console(file=out, width=width, no_color=True, highlight=False, emoji=False, force_terminal=False)
    console.print(f"verify stack '{document['stack']}'" + (f" at {document['url']}" if document["url"] else ""))
    checks = Table(title="Checks", title_justify="left")
    for column in ("CHECK", "RESULT", "SUMMARY"):
        checks.add_column(column)
    for c in document["checks"]:
        checks.add_row(c["name"], RESULT[c["status"]], c["summary"])
    console.print(checks)
    if document["drift"]:
        table = Table(title="Differences (pending: config vs stack outputs, run `pulumi up`; drift: stack vs AWS)", title_justify="left")
        for column in ("KIND", "ITEM", "DEPLOYED", "EXPECTED"):
            table.add_column(column)
        for d in document["drift"]:
            table.add_row(d["kind"], d["item"], d["deployed"], d["expected"])
        console.print(table)
    health = Table(title="Target health", title_justify="left")
    for column in ("VARIANT", "RESULT", "TARGETS"):
        health.add_column(column)
    for h in document["health"]:
        health.add_row(h["variant"], "ok" if h["ok"] else "FAILED", h["summary"])
    console.print(health)
    traffic = document["traffic"]
    if traffic is not None:
        _traffic(console, traffic)
    return out.getvalue()


def _traffic(console: Console, traffic: Mapping[str, Any]) -> None:
    table = Table(
        title=f"Traffic: {traffic['requests']} requests (shares over cookie-less requests; interval: Wilson 95%)",
        title_justify="left",
    )
    for column in ("VARIANT", "WEIGHT", "EXPECTED", "OBSERVED [95% CI]", "REQUESTS", "ERRORS", "P50 ms", "P99 ms"):
        table.add_column(column, justify="left" if column == "VARIANT" else "right")
    for v in traffic["variants"]:
        observed = "n/a" if v["observedShare"] is None else f"{v['observedShare']:.2f}% [{v['ci95'][0]:.1f}, {v['ci95'][1]:.1f}]"
        table.add_row(
            v["name"],
            str(v["weight"]),
            f"{v['expectedShare']:.2f}%",
            observed,
            str(v["requests"]),
            str(v["errors"]),
            _ms(v["latencyMs"]["p50"]),
            _ms(v["latencyMs"]["p99"]),
        )
    console.print(table)
    if traffic["override"]:
        override = Table(title="Override header", title_justify="left")
        for column in ("VARIANT", "SENT", "REACHED IT", "ELSEWHERE", "NO VARIANT HEADER", "FAILED"):
            override.add_column(column)
        for r in traffic["override"]:
            elsewhere = ", ".join(f"{k} {n}" for k, n in r["otherVariants"].items()) or "-"
            override.add_row(r["variant"], str(r["sent"]), str(r["reached"]), elsewhere, str(r["unidentified"]), str(r["failed"]))
        console.print(override)
    unidentified = traffic["unidentified"]
    if unidentified["responses"]:
        codes = ", ".join(f"{code} x{n}" for code, n in unidentified["statusCodes"].items())
        console.print(
            f"{unidentified['responses']} responses without the {traffic['variantHeader']} header (status {codes}): "
            "counted, not attributed to any variant"
        )
    lost = traffic["unattributedFailures"]
    if lost["timeouts"] or lost["connectionErrors"]:
        console.print(f"no response at all: {lost['timeouts']} timeouts, {lost['connectionErrors']} connection errors")
    if traffic["stopped"]:
        console.print(f"stopped early: {traffic['stopped']}; {traffic['notSent']} requests not sent")


def _ms(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}"
