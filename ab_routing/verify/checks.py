"""Judge what was deployed and what the traffic showed: one `Check` per question, each with the
figures behind its answer, ready for the JSON document and the tables.

A check passes, fails (exit 3), is skipped with a reason (passes), or could not be made (exit 1).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from ab_routing.shares import share_percent
from ab_routing.splittest import split_test
from ab_routing.verify.drift import DeployedCheck
from ab_routing.verify.traffic import Sample, TrafficRun

Status = Literal["pass", "fail", "skip", "error"]
Z95 = 1.959963984540054


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    summary: str
    """One line for people."""
    details: Mapping[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status in ("pass", "skip")


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float] | None:
    """Wilson score interval of a proportion k/n, in percent; None when n is 0."""
    if n <= 0:
        return None
    p = k / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return round(100 * max(0.0, centre - half), 2), round(100 * min(1.0, centre + half), 2)


def deployed_checks(result: DeployedCheck) -> list[Check]:
    """`drift`, `pending` and `health` from the AWS comparison."""
    drift, pending = result.drift, result.pending
    checks = [
        Check(
            "drift",
            "fail" if drift else "pass",
            f"{len(drift)} difference(s) between the stack and AWS" if drift else "the listener matches the stack",
            {"differences": len(drift), "reads": result.reads},
        ),
        Check(
            "pending",
            "fail" if pending else "pass",
            f"{len(pending)} config change(s) not deployed: run `pulumi up`" if pending else "the stack outputs match the config",
            {"differences": len(pending)},
        ),
    ]
    unhealthy = [h for h in result.health if not h.ok]
    checks.append(
        Check(
            "health",
            "fail" if unhealthy else "pass",
            "; ".join(f"{h.variant}: {h.summary()}" for h in unhealthy) if unhealthy else "every variant has a serving target",
            {"variants": {h.variant: h.summary() for h in result.health}},
        )
    )
    return checks


def _percentile(values: Sequence[float], q: float) -> float | None:
    return round(float(np.percentile(values, q)), 1) if values else None


def variant_rows(samples: Sequence[Sample], weights: Mapping[str, int]) -> list[dict[str, Any]]:
    """Per variant: the weight tested, expected and observed share of cookie-less traffic with its
    Wilson interval, errors (5xx, timeouts and connection errors that can be attributed) and latency."""
    split = [s for s in samples if s.kind == "split" and s.variant in weights]
    counts = Counter(s.variant for s in split)
    n = len(split)
    total_weight = sum(weights.values())
    rows = []
    for name in sorted(weights):
        answered = [s for s in samples if s.variant == name]
        failed = [s for s in samples if s.status is None and s.target == name]
        statuses = Counter(str(s.status) for s in answered)
        latencies = [s.latency_ms for s in answered]
        rows.append(
            {
                "name": name,
                "weight": weights[name],
                "expectedShare": share_percent(weights[name], total_weight),
                "observedShare": round(100 * counts[name] / n, 2) if n else None,
                "ci95": list(ci) if (ci := wilson(counts[name], n)) else None,
                "requests": len(answered) + len(failed),
                "splitRequests": counts[name],
                "statusCodes": dict(sorted(statuses.items())),
                "errors": sum(1 for s in answered if (s.status or 0) >= 500) + len(failed),
                "timeouts": sum(1 for s in failed if s.error == "timeout"),
                "connectionErrors": sum(1 for s in failed if s.error == "connection"),
                "latencyMs": {"p50": _percentile(latencies, 50), "p99": _percentile(latencies, 99)},
            }
        )
    return rows


def split_check(samples: Sequence[Sample], weights: Mapping[str, int], header: str) -> tuple[Check, dict[str, Any]]:
    """Observed cookie-less shares against the weights: the always-valid split test (one look), plus
    two things it leaves out: a weight-0 variant answering cookie-less requests, and responses
    naming a variant the stack does not have."""
    split = [s for s in samples if s.kind == "split"]
    counts = Counter(str(s.variant) for s in split if s.variant in weights)
    unknown = Counter(str(s.variant) for s in split if s.variant is not None and s.variant not in weights)
    zero = {name: counts[name] for name in weights if weights[name] == 0 and counts[name]}
    identified = sum(counts.values())
    result = split_test([dict(counts)], weights)
    details: dict[str, Any] = {
        "test": "always-valid Dirichlet-multinomial split test (one look)",
        "pValue": result.p_value,
        "mismatch": result.mismatch,
        "identified": identified,
        "counts": dict(sorted(counts.items())),
        "tested": list(result.tested),
        "excluded": list(result.excluded),
        "zeroWeightTraffic": zero,
        "unknownVariants": dict(unknown),
    }
    if not identified:
        return Check("split", "error", f"no response carried the {header} header: the split cannot be read", details), details
    problems = []
    if result.mismatch:
        off = ", ".join(f"{name} {result.observed[name]:.1f}% vs {result.expected[name]:.1f}%" for name in result.tested)
        problems.append(f"observed shares differ from the weights (p = {result.p_value:.2g}): {off}")
    if zero:
        problems.append("weight-0 variant(s) answered cookie-less requests: " + ", ".join(f"{k} ({v})" for k, v in zero.items()))
    if unknown:
        problems.append("responses named variants not in the stack: " + ", ".join(f"{k} ({v})" for k, v in unknown.items()))
    if problems:
        return Check("split", "fail", "; ".join(problems), details), details
    return Check("split", "pass", f"{identified} cookie-less responses match the weights (p = {result.p_value:.2g})", details), details


def override_check(samples: Sequence[Sample], variants: Sequence[str], skipped: str | None) -> tuple[Check, list[dict[str, Any]]]:
    """Requests carrying the override header must reach the variant they name, every time."""
    if skipped:
        return Check("override", "skip", skipped, {"skipped": skipped}), []
    rows: list[dict[str, Any]] = []
    for name in variants:
        mine = [s for s in samples if s.kind == "override" and s.target == name]
        reached = sum(1 for s in mine if s.variant == name)
        rows.append(
            {
                "variant": name,
                "sent": len(mine),
                "reached": reached,
                "otherVariants": dict(Counter(str(s.variant) for s in mine if s.variant not in (None, name))),
                "unidentified": sum(1 for s in mine if s.status is not None and s.variant is None),
                "failed": sum(1 for s in mine if s.status is None),
                "ok": bool(mine) and reached == len(mine),
            }
        )
    broken = [r for r in rows if not r["ok"]]
    if broken:
        text = "; ".join(f"{r['variant']}: {r['reached']} of {r['sent']} reached it" for r in broken)
        return Check("override", "fail", text, {"variants": rows}), rows
    return Check("override", "pass", "every override request reached the variant it named", {"variants": rows}), rows


def stickiness_check(samples: Sequence[Sample], enabled: bool, clients: int) -> tuple[Check, dict[str, Any]]:
    """Clients that keep their cookies must each stay on one variant."""
    if not enabled:
        reason = "stickiness is disabled in the stack config"
        return Check("stickiness", "skip", reason, {"skipped": reason}), {"enabled": False, "skipped": reason}
    seen: dict[int, list[str | None]] = {}
    cookies: set[int] = set()
    for s in samples:
        if s.kind == "sticky" and s.client is not None:
            seen.setdefault(s.client, []).append(s.variant)
            if s.cookie:
                cookies.add(s.client)
    switched = {c: sorted({str(v) for v in vs}) for c, vs in seen.items() if len({v for v in vs if v is not None}) > 1}
    details: dict[str, Any] = {
        "enabled": True,
        "clients": len(seen),
        "requestsPerClient": max((len(v) for v in seen.values()), default=0),
        "clientsWithCookie": len(cookies),
        "clientsThatSwitched": len(switched),
        "switches": {str(c): v for c, v in sorted(switched.items())},
    }
    if not seen:
        return Check("stickiness", "error", "no sticky-client request was sent", details), details
    if switched:
        return Check("stickiness", "fail", f"{len(switched)} of {len(seen)} clients keeping cookies changed variant", details), details
    if not cookies:
        text = "no response set the AWSALBTG cookie, so nothing keeps a client on its variant"
        return Check("stickiness", "fail", text, details), details
    return Check("stickiness", "pass", f"{len(seen)} clients keeping cookies each stayed on one variant", details), details


def errors_check(samples: Sequence[Sample], max_error_percent: float) -> Check:
    """5xx answers, timeouts and connection errors over everything sent, against a tolerance."""
    failed = sum(1 for s in samples if s.status is None or s.status >= 500)
    n = len(samples)
    rate = 100 * failed / n if n else 0.0
    details = {"requests": n, "errors": failed, "errorPercent": round(rate, 2), "maxErrorPercent": max_error_percent}
    if rate > max_error_percent:
        return Check("errors", "fail", f"{failed} of {n} requests failed ({rate:.1f}% > {max_error_percent:g}%)", details)
    return Check("errors", "pass", f"{failed} of {n} requests failed ({rate:.1f}%)", details)


def traffic_section(
    run: TrafficRun,
    weights: Mapping[str, int],
    *,
    header: str,
    override_skipped: str | None,
    override_variants: Sequence[str],
    stickiness_enabled: bool,
    sticky_clients: int,
    max_error_percent: float,
) -> tuple[list[Check], dict[str, Any]]:
    """Every traffic check and the `traffic` object of the JSON document."""
    samples = run.samples
    split, split_details = split_check(samples, weights, header)
    override, override_rows = override_check(samples, override_variants, override_skipped)
    sticky, sticky_details = stickiness_check(samples, stickiness_enabled, sticky_clients)
    errors = errors_check(samples, max_error_percent)
    unidentified = [s for s in samples if s.status is not None and s.variant is None]
    unattributed = [s for s in samples if s.status is None and s.target is None]
    section: dict[str, Any] = {
        "requests": len(samples),
        "notSent": run.not_sent,
        "stopped": run.stopped,
        "variantHeader": header,
        "unidentified": {
            "responses": len(unidentified),
            "statusCodes": dict(sorted(Counter(str(s.status) for s in unidentified).items())),
        },
        "unattributedFailures": {
            "timeouts": sum(1 for s in unattributed if s.error == "timeout"),
            "connectionErrors": sum(1 for s in unattributed if s.error == "connection"),
        },
        "variants": variant_rows(samples, weights),
        "split": split_details,
        "override": override_rows,
        "overrideSkipped": override_skipped,
        "stickiness": sticky_details,
    }
    return [split, override, sticky, errors], section
