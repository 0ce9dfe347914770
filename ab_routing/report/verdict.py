"""The report document: config + deployed outputs + CloudWatch figures -> one dict, and the verdicts.

Pure: everything fetched is an argument, so the document (the `--json` interface) and the advice a
user acts on are tested without AWS. Error rates are fractions, shares percentages, latencies
milliseconds; a figure that cannot be computed is None (JSON null) and the reason is stated.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ab_routing.model import RoutingConfig
from ab_routing.outputs import Deployed
from ab_routing.report.metrics import PERCENTILES, VariantMetrics
from ab_routing.report.stats import (
    ALPHA,
    SRM_THRESHOLD,
    Counts,
    SequentialResult,
    SrmResult,
    cumulative,
    sequential_difference,
    srm_test,
    wilson_interval,
)
from ab_routing.report.window import Window

CONTROL = "control"
ROLL_BACK = "roll back"
PROMOTE = "promote"
KEEP_COLLECTING = "keep collecting"
FIX_SPLIT = "fix the split"
NOT_ENOUGH_DATA = "not enough data"
NOT_IN_SPLIT = "not in the split"
WINDOW_SPANS_CHANGE = "window spans a change"

SRM_CAVEATS = (
    "The window must not span a weight change: the test compares the whole window with the weights deployed now.",
    "With stickiness on, the unit of assignment is the client (AWSALBTG cookie), not the request: "
    "this request-level test is approximate, and clients that send many requests can move it.",
)


def method_name(tau: float) -> str:
    return f"mSPRT (Johari et al. 2017), normal mixture τ={tau:g}"


@dataclass(frozen=True)
class Verdict:
    verdict: str
    reason: str


@dataclass(frozen=True)
class Arm:
    """What the verdict needs to know about one side of a comparison."""

    name: str
    weight: int
    requests: int
    p99_ms: float | None


def build_report(
    *,
    stack: str,
    region: str,
    config: RoutingConfig,
    deployed: Deployed,
    metrics: Sequence[VariantMetrics],
    window: Window,
    tau: float,
) -> dict[str, Any]:
    """The whole report. `config.control` must be set and deployed (the CLI checks both first)."""
    control = config.control
    if control is None or deployed.variant(control.name) is None:
        raise ValueError("the control variant must be set in the config and present in the outputs")
    by_name = {m.name: m for m in metrics}
    notes: list[str] = []
    cumulative_counts: dict[str, list[Counts]] = {}
    for v in deployed.variants:
        m = by_name[v.name]
        requests, errors = cumulative(m.requests), cumulative(m.errors)
        if any(e > n for e, n in zip(errors, requests, strict=True)):
            notes.append(f"{v.name}: CloudWatch counted more failed requests than requests in some periods; errors capped.")
        cumulative_counts[v.name] = [Counts(n, min(e, n)) for n, e in zip(requests, errors, strict=True)]
    totals = {name: (series[-1] if series else Counts(0, 0)) for name, series in cumulative_counts.items()}
    all_requests = sum(t.requests for t in totals.values())

    srm = srm_test({n: t.requests for n, t in totals.items()}, {v.name: v.weight for v in deployed.variants})
    variants = [
        _variant(v.name, v.weight, v.share, v.name == control.name, totals[v.name], by_name[v.name], all_requests)
        for v in deployed.variants
    ]
    p99 = {row["name"]: row["latencyMs"]["p99"] for row in variants}
    control_arm = Arm(control.name, _weight(deployed, control.name), totals[control.name].requests, p99[control.name])

    comparisons: list[dict[str, Any]] = []
    verdicts: dict[str, str] = {control.name: CONTROL}
    for v in deployed.variants:
        if v.name == control.name:
            continue
        result = sequential_difference(cumulative_counts[control.name], cumulative_counts[v.name], tau, ALPHA)
        arm = Arm(v.name, v.weight, totals[v.name].requests, p99[v.name])
        decision = decide(arm, control_arm, result, srm, tau)
        verdicts[v.name] = decision.verdict
        comparisons.append(
            {
                "variant": v.name,
                "control": control.name,
                "errorRateDiff": result.difference,
                "ci95": list(result.interval) if result.interval else None,
                "ciEmpty": result.interval_empty,
                "pValue": result.p_value,
                "significant": result.significant,
                "looks": len(result.looks),
                "verdict": decision.verdict,
                "reason": decision.reason,
            }
        )
    for row in variants:
        row["verdict"] = verdicts[row["name"]]

    notes += _config_drift(config, deployed)
    return {
        "stack": stack,
        "region": region,
        "status": "ok" if all_requests else "no data",
        "loadBalancer": deployed.load_balancer_arn_suffix,
        "window": {
            "start": window.start.isoformat(),
            "end": window.end.isoformat(),
            "since": window.since,
            "periodSeconds": window.period,
            "periods": window.periods,
        },
        "method": method_name(tau),
        "settings": {"tau": tau, "alpha": ALPHA, "srmThreshold": SRM_THRESHOLD},
        "variants": variants,
        "srm": _srm(srm, deployed, totals, stickiness=config.stickiness.enabled, override=config.override.header),
        "comparisons": comparisons,
        "notes": notes,
    }


def _weight(deployed: Deployed, name: str) -> int:
    v = deployed.variant(name)
    return v.weight if v else 0


def _variant(
    name: str, weight: int, share: float, is_control: bool, total: Counts, m: VariantMetrics, all_requests: int
) -> dict[str, Any]:
    interval = wilson_interval(total.errors, total.requests)
    return {
        "name": name,
        "control": is_control,
        "weight": weight,
        "requests": total.requests,
        "errors5xx": total.errors,
        "target5xx": sum(m.target_5xx),
        "connectionErrors": sum(m.connection_errors),
        "errorRate": total.rate,
        "errorRateCi95": list(interval) if interval else None,
        "expectedShare": share,
        "observedShare": round(100 * total.requests / all_requests, 2) if all_requests else None,
        "latencyMs": {stat: _ms(m.latency[stat].seconds) for stat in PERCENTILES},
        "latencyUnavailable": {stat: m.latency[stat].unavailable for stat in PERCENTILES if m.latency[stat].seconds is None},
    }


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(1000 * seconds, 3)


def _srm(
    srm: SrmResult, deployed: Deployed, totals: Mapping[str, Counts], *, stickiness: bool, override: str | None
) -> dict[str, Any]:
    caveats = [SRM_CAVEATS[0]] + ([SRM_CAVEATS[1]] if stickiness else [])
    zero_weight = [
        {"variant": v.name, "requests": totals[v.name].requests}
        for v in deployed.variants
        if v.weight == 0 and totals[v.name].requests > 0
    ]
    for entry in zero_weight:
        via = (
            f"sticky clients from before its weight went to 0, or the {override} override header"
            if override
            else "sticky clients"
        )
        caveats.append(
            f"{entry['variant']} has weight 0 but received {entry['requests']} requests ({via}); it is left out of the test."
        )
    return {
        "test": f"chi-square goodness of fit of requests against deployed weights, mismatch at p < {SRM_THRESHOLD:g}",
        "pValue": srm.p_value,
        "chi2": srm.chi2,
        "mismatch": srm.mismatch,
        "threshold": SRM_THRESHOLD,
        "tested": list(srm.tested),
        "expectedRequests": {name: round(value, 1) for name, value in srm.expected.items()},
        "reason": srm.reason,
        "zeroWeightTraffic": zero_weight,
        "caveats": caveats,
    }


def _config_drift(config: RoutingConfig, deployed: Deployed) -> list[str]:
    """Differences between the stack file and what is deployed, which would make the SRM test or the
    report misleading if unnoticed."""
    notes: list[str] = []
    configured = {v.name: v.weight for v in config.variants}
    for v in deployed.variants:
        if v.name not in configured:
            notes.append(f"{v.name} is deployed but no longer in the config (pending `pulumi up`?).")
        elif configured[v.name] != v.weight:
            notes.append(
                f"{v.name}: config weight {configured[v.name]} differs from the deployed weight {v.weight} "
                "(pending `pulumi up`?); expected shares and the split check use the deployed weights."
            )
    for name in configured:
        if deployed.variant(name) is None:
            notes.append(f"{name} is in the config but not deployed (not in the stack outputs): not reported.")
    return notes


# -- verdicts --------------------------------------------------------------------------------------


def pp(value: float) -> str:
    """A difference of rates in percentage points."""
    return f"{100 * value:+.2f} pp"


def p_text(p: float, digits: int = 3) -> str:
    """A p-value for people: below float precision it reads "< 1e-16", not a misleading 0."""
    return "< 1e-16" if p < 1e-16 else f"= {p:.{digits}g}"


def interval_pp(interval: tuple[float, float] | None) -> str:
    if interval is None:
        return "n/a"
    return f"[{100 * interval[0]:+.2f}, {100 * interval[1]:+.2f}] pp"


def decide(variant: Arm, control: Arm, result: SequentialResult, srm: SrmResult, tau: float) -> Verdict:
    """One line a human can act on, and why.

    Order matters: no data beats everything; a variant outside the split was not randomised; a
    broken split invalidates the comparison (but a significantly worse variant is still rolled back,
    since reverting to the control is the safe move); then the always-valid test decides. Promotion
    needs the whole interval below 0 (significantly fewer errors); "not significantly worse" is not
    enough, and the error rate is the only thing tested, so latency is named in the reason.
    """
    if variant.weight == 0:
        got = (
            f"its {variant.requests} requests came from sticky clients or the override header"
            if variant.requests
            else "no traffic, as expected"
        )
        return Verdict(NOT_IN_SPLIT, f"weight 0: {got}, not random assignment; nothing to decide")
    if control.weight == 0:
        return Verdict(NOT_IN_SPLIT, f"control {control.name} has weight 0, so there is no randomised control to compare with")
    if variant.requests == 0 or control.requests == 0:
        empty = variant.name if variant.requests == 0 else f"control {control.name}"
        return Verdict(
            NOT_ENOUGH_DATA,
            f"{empty} had no requests in the window: check its targets are healthy and the weights are deployed",
        )
    if not result.looks or result.difference is None:
        return Verdict(NOT_ENOUGH_DATA, "not enough data: no period in which both variants had requests")
    diff = result.difference
    figures = f"error rate {pp(diff)} vs control, 95% always-valid CI {interval_pp(result.interval)}, p {p_text(result.p_value)}"
    if result.interval_empty:
        return Verdict(
            WINDOW_SPANS_CHANGE,
            f"{figures}; the intervals of successive looks stopped overlapping, so the difference changed during the "
            "window (a deploy, a weight change, an incident): re-run with --since starting after the change",
        )
    # Direction comes from the always-valid interval, not the last look's estimate: the p-value is
    # a running minimum and may have been earned by an earlier, opposite difference.
    worse = result.interval is not None and result.interval[0] > 0
    better = result.interval is not None and result.interval[1] < 0
    if srm.mismatch:
        split = f"the split does not match the weights (SRM p {p_text(srm.p_value or 0.0, 2)})"
        if worse:
            return Verdict(
                ROLL_BACK,
                f"{figures}: worse, and {split}, so the size is not trustworthy; "
                "rolling back is the safe move, then fix the split before testing again",
            )
        return Verdict(
            FIX_SPLIT,
            f"{split}: the comparison cannot be trusted; look for a weight change inside the window, "
            "unhealthy targets, retries or override traffic, then re-run with a window after the fix",
        )
    if worse:
        return Verdict(ROLL_BACK, f"{figures}: significantly more failed requests than the control")
    if better:
        latency = (
            f"p99 {variant.p99_ms:.0f} ms vs {control.p99_ms:.0f} ms"
            if variant.p99_ms is not None and control.p99_ms is not None
            else "latency unavailable"
        )
        return Verdict(
            PROMOTE,
            f"{figures}: significantly fewer failed requests; only the error rate was tested, "
            f"so check latency ({latency}) and model quality before moving weight",
        )
    return Verdict(
        KEEP_COLLECTING,
        f"{figures}: no significant difference yet (the test is built to detect about {pp(tau)[1:]}); "
        "re-running the report later is safe",
    )
