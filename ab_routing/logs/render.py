"""The `logs` document as JSON (one document) or as rich tables for people."""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from typing import Any

from rich.console import Console
from rich.table import Table


def render_json(document: Mapping[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _ms(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0f}"


def render_text(document: Mapping[str, Any]) -> str:
    buffer = io.StringIO()
    console = Console(file=buffer, width=140, color_system=None, highlight=False)
    window = document["window"]
    console.print(
        f"Access logs of stack '{document['stack']}' from {document['source']}: {window['start']} to {window['end']} UTC, "
        f"{document['files']} file(s), {document['lines']} line(s), {document['unparsed']} unparsed"
    )
    table = Table(title="Per variant (default rule only; errors = target 5xx + ELB 5xx attributed to the variant)")
    for column in (
        "VARIANT",
        "REQUESTS",
        "SHARE %",
        "CLIENTS",
        "CLIENT SHARE %",
        "TARGET 5XX",
        "ELB 5XX",
        "ERROR RATE [95% CI]",
        "UNANSWERED",
        "P50",
        "P90",
        "P99",
    ):
        table.add_column(column, justify="left" if column == "VARIANT" else "right")
    for v in document["variants"]:
        rate = (
            "n/a"
            if v["errorRate"] is None
            else f"{100 * v['errorRate']:.2f}% [{100 * v['errorRateCi95'][0]:.2f}, {100 * v['errorRateCi95'][1]:.2f}]"
        )
        table.add_row(
            v["name"],
            str(v["requests"]),
            f"{v['share']:.2f}",
            str(v["clients"]),
            f"{v['clientShare']:.2f}",
            str(v["target5xx"]),
            str(v["elb5xx"]),
            rate,
            str(v["unanswered"]),
            *(_ms(v["latencyMs"][k]) for k in ("p50", "p90", "p99")),
        )
    console.print(table)
    console.print(
        "Latency: target_processing_time in ms over answered requests. UNANSWERED: no target answered (-1): in ELB 5XX when "
        "the ALB answered 5xx (e.g. 504 on timeout), not when the client closed first (460). Clients are distinct "
        "addresses: behind NAT or a proxy one address is many users."
    )
    if document["override"]:
        console.print(
            "Override-rule requests (left out of the split): " + ", ".join(f"{o['variant']} {o['requests']}" for o in document["override"])
        )
    unrouted = document["unrouted"]
    console.print(f"Unrouted (no target group, e.g. redirects): {unrouted['requests']} request(s), {unrouted['elb5xx']} ELB 5xx")
    if document["fieldCounts"]:
        console.print(
            "Fields per parsed line: "
            + ", ".join(f"{k}: {n}" for k, n in sorted(document["fieldCounts"].items(), key=lambda kv: int(kv[0])))
        )
    return buffer.getvalue()
