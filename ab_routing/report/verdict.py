"""The report document: config + deployed outputs + per-period figures -> one dict, and the verdicts.

Pure: everything fetched is an argument, so the document (the `--json` interface) and the advice a
user acts on are tested without AWS. Error rates, margins and differences are fractions, shares
percentages, latencies milliseconds; a figure that cannot be computed is None (JSON null) and the
reason is stated.

Decisions come from `ab_routing.report.sequential` (blocks, cluster-robust variance, one-sided
always-valid tests, Holm across comparisons) and only when the window starts at the experiment's
start: any other window shows figures with the verdict `no decision`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np

from ab_routing import splittest
from ab_routing.experiment import Experiment
from ab_routing.model import RoutingConfig
from ab_routing.outputs import Deployed
from ab_routing.report import sequential as seq
from ab_routing.report.metrics import PERCENTILES, VariantMetrics
from ab_routing.report.stats import always_valid_radius, cumulative, wilson_interval
from ab_routing.report.window import ANCHORED, Window

CONTROL = "control"
ROLL_BACK = "roll back"
PROMOTE = "promote"
KEEP_COLLECTING = "keep collecting"
FIX_SPLIT = "fix the split"
NOT_ENOUGH_DATA = "not enough data"
NOT_IN_SPLIT = "not in the split"
WINDOW_SPANS_CHANGE = "window spans a change"
NO_DECISION = "no decision"

DEFAULT_TAU = 0.01
"""tau without a baseline or minDetectableEffect: one percentage point."""
TAU_RANGE = (0.001, 0.1)
"""tau from the baseline is the control's error rate (the test is tuned to a doubling), kept here."""
BASELINE_SECONDS = 86400
"""The baseline for tau: the control's traffic in the day before the experiment's start."""
BASELINE_MIN_REQUESTS = 1000
HORIZON_MINUTES = 30 * 1440
"""Expected times to a verdict beyond 30 days are reported as null."""
LATENCY_CAVEAT = (
    "TargetResponseTime counts only requests that got a response: requests that timed out (ALB 504) "
    "are left out, so a variant that times out looks faster. Access logs attribute those timeouts "
    "(elb5xx in a metrics file from `logs`); CloudWatch cannot."
)
CLOUDWATCH_ERRORS = "target 5xx + target connection errors (CloudWatch; ELB-generated 5xx such as a 504 on timeout are not attributed)"
LOG_ERRORS = "target 5xx + ELB-generated 5xx attributed to the variant (access logs)"
FILE_ERRORS = "the metrics file's errors column"
LOG_ERRORS_NOTE = (
    "Errors here come from the access logs: target 5xx plus the ELB-generated 5xx attributed to the variant "
    "(routed to it, no target answered, e.g. a 504 when the model hangs). CloudWatch counts only target 5xx and "
    "connection errors, so these error rates are not comparable with a CloudWatch report."
)
SRM_CAVEATS = (
    "The window must not span a weight change: the test compares the whole window with the weights deployed now.",
    "With stickiness on, the unit of assignment is the client (AWSALBTG cookie), not the request: request counts "
    "are overdispersed, so a mismatch is flagged only when it is also practically large.",
)


@dataclass(frozen=True)
class Verdict:
    verdict: str
    reason: str


@dataclass(frozen=True)
class Tau:
    """The mixing spread, fixed before the data under test is seen, and where it came from."""

    value: float
    source: str


def choose_tau(experiment: Experiment | None, baseline: tuple[int, int] | None, override: float | None = None) -> Tau:
    """tau from --tau, else minDetectableEffect, else the control's error rate in the day before the
    start (clipped to TAU_RANGE), else DEFAULT_TAU. Never from data after the start."""
    if override is not None:
        return Tau(override, "--tau")
    if experiment is not None and experiment.min_detectable_effect is not None:
        return Tau(experiment.min_detectable_effect, "experiment.minDetectableEffect")
    if baseline is not None and baseline[0] >= BASELINE_MIN_REQUESTS:
        rate = baseline[1] / baseline[0]
        return Tau(min(max(rate, TAU_RANGE[0]), TAU_RANGE[1]), f"control error rate in the day before start ({baseline[1]}/{baseline[0]})")
    return Tau(DEFAULT_TAU, f"default: fewer than {BASELINE_MIN_REQUESTS} control requests in the day before start")


def build_report(
    *,
    stack: str,
    region: str,
    config: RoutingConfig,
    deployed: Deployed,
    metrics: Sequence[VariantMetrics],
    window: Window,
    tau: Tau,
    experiment: Experiment | None,
    no_decision: str | None = None,
    errors_definition: str = CLOUDWATCH_ERRORS,
) -> dict[str, Any]:
    """The whole report. `config.control` must be set and deployed (the CLI checks both first).

    `no_decision` is the reason nothing may be decided (a window not starting at the experiment's
    start, or no start at all); figures are still computed.
    """
    control = config.control
    if control is None or deployed.variant(control.name) is None:
        raise ValueError("the control variant must be set in the config and present in the outputs")
    settings = experiment or Experiment()
    alpha = settings.alpha
    by_name = {m.name: m for m in metrics}
    notes: list[str] = []
    requests: dict[str, list[int]] = {}
    errors: dict[str, list[int]] = {}
    for v in deployed.variants:
        m = by_name[v.name]
        capped = [min(e, n) for e, n in zip(m.errors, m.requests, strict=True)]
        if capped != list(m.errors):
            notes.append(f"{v.name}: more failed requests than requests in some periods; errors capped.")
        requests[v.name], errors[v.name] = list(m.requests), capped
    totals = {name: (sum(requests[name]), sum(errors[name])) for name in requests}
    all_requests = sum(n for n, _ in totals.values())
    weights = {v.name: v.weight for v in deployed.variants}

    split = _split(requests, weights, alpha)
    variants = [
        _variant(v.name, v.weight, v.share, v.name == control.name, by_name[v.name], totals[v.name], all_requests)
        for v in deployed.variants
    ]
    block = seq.block_of(window.period)
    challengers = [v.name for v in deployed.variants if v.name != control.name]
    raw = {name: _compare(control.name, name, by_name, requests, errors, block, tau.value, settings) for name in challengers}
    in_test = [name for name in challengers if weights[name] > 0 and raw[name]["looks"] > 0]
    adjusted = _holm(raw, in_test)
    comparisons: list[dict[str, Any]] = []
    verdicts: dict[str, str] = {control.name: CONTROL}
    for name in challengers:
        c = raw[name]
        c.update(adjusted.get(name, {}))
        decision = decide(
            name,
            control.name,
            c,
            weights=weights,
            totals=totals,
            split_mismatch=split.mismatch,
            split_p=split.p_value,
            settings=settings,
            no_decision=no_decision,
        )
        c["verdict"], c["reason"] = decision.verdict, decision.reason
        c.update(_outlook(c, tau.value, settings, window, totals[control.name], totals[name][0], len(in_test)))
        verdicts[name] = decision.verdict
        comparisons.append(c)
    for row in variants:
        row["verdict"] = verdicts[row["name"]]
    notes += _config_drift(config, deployed)
    if errors_definition == LOG_ERRORS:
        notes.append(LOG_ERRORS_NOTE)
    elif any(row["latencyAvgMs"] is not None for row in variants):
        notes.append(LATENCY_CAVEAT)
    return {
        "stack": stack,
        "region": region,
        "status": "ok" if all_requests else "no data",
        "loadBalancer": deployed.load_balancer_arn_suffix,
        "errorsDefinition": errors_definition,
        "window": {
            "start": window.start.isoformat(),
            "end": window.end.isoformat(),
            "since": window.since,
            "periodSeconds": window.period,
            "periods": window.periods,
            "anchored": window.since == ANCHORED and no_decision is None,
            "blockPeriods": block,
            "blocks": window.periods // block,
        },
        "experiment": _experiment_json(experiment),
        "decision": None if no_decision is None else {"verdict": NO_DECISION, "reason": no_decision},
        "method": method_name(tau.value),
        "settings": {
            "tau": tau.value,
            "tauSource": tau.source,
            "alpha": alpha,
            "srmThreshold": alpha,
            "blockSeconds": seq.BLOCK_SECONDS,
            "minBlocks": seq.MIN_BLOCKS,
            "minErrors": seq.MIN_ERRORS,
            "priorDesignEffect": seq.PRIOR_DESIGN_EFFECT,
            "priorBlocks": seq.PRIOR_BLOCKS,
        },
        "variants": variants,
        "srm": _srm_json(split, deployed, totals, alpha=alpha, stickiness=config.stickiness.enabled, override=config.override.header),
        "comparisons": comparisons,
        "notes": notes,
    }


def method_name(tau: float) -> str:
    return (
        f"one-sided mixture SPRTs (Johari et al. 2017), half-normal mixture tau={tau:g}, on blocks of "
        f"{seq.BLOCK_SECONDS // 60} min with a cluster-robust variance; Holm across comparisons"
    )


def _experiment_json(experiment: Experiment | None) -> dict[str, Any] | None:
    if experiment is None:
        return None
    return {
        "start": experiment.start.isoformat() if experiment.start else None,
        "errorMargin": experiment.error_margin,
        "latencyMargin": experiment.latency_margin,
        "alpha": experiment.alpha,
        "minDetectableEffect": experiment.min_detectable_effect,
    }


def _split(requests: Mapping[str, Sequence[int]], weights: Mapping[str, int], alpha: float) -> splittest.SplitResult:
    names = list(requests)
    running = {name: cumulative(requests[name]) for name in names}
    periods = len(running[names[0]]) if names else 0
    looks = [{name: running[name][i] for name in names} for i in range(periods)]
    return splittest.split_test(looks, weights, alpha)


def _compare(
    control: str,
    name: str,
    by_name: Mapping[str, VariantMetrics],
    requests: Mapping[str, Sequence[int]],
    errors: Mapping[str, Sequence[int]],
    block: int,
    tau: float,
    settings: Experiment,
) -> dict[str, Any]:
    """Every figure of one comparison at the last complete block (unadjusted for multiplicity)."""
    n_c, e_c = seq.blocks(requests[control], block), seq.blocks(errors[control], block)
    n_t, e_t = seq.blocks(requests[name], block), seq.blocks(errors[name], block)
    out: dict[str, Any] = {"variant": name, "control": control, "looks": int(n_c.shape[-1])}
    looks = seq.error_looks(n_c, e_c, n_t, e_t, tau=tau, margin=settings.error_margin)
    valid = np.isfinite(looks.difference)
    if not valid.any():
        return out | {
            "errorRateDiff": None, "ci95": None, "ciEmpty": False, "pValue": 1.0, "significant": False,
            "errorBounds": None, "pWorse": 1.0, "pNonInferior": 1.0, "designEffect": None,
            "latency": _latency(by_name[control], by_name[name], block, settings), "enoughForPromote": False,
        }  # fmt: skip
    theta, variance = looks.difference, looks.variance
    # Two-sided always-valid interval, as before (kept for `ci95` and `window spans a change`).
    radius = np.array([always_valid_radius(v, tau, settings.alpha) if ok else math.inf for v, ok in zip(variance, valid, strict=True)])
    lo = float(np.max(np.where(valid, theta - radius, -np.inf)))
    hi = float(np.min(np.where(valid, theta + radius, np.inf)))
    two_sided = np.where(valid, seq.log_mixture(np.where(valid, theta, 0), variance, tau, 0.0, +1), np.nan)
    two_sided_other = np.where(valid, seq.log_mixture(np.where(valid, theta, 0), variance, tau, 0.0, -1), np.nan)
    # The two half-normal mixtures average to the two-sided normal mixture: Λ = (Λ+ + Λ−) / 2.
    with np.errstate(invalid="ignore"):
        log_two = np.logaddexp(two_sided, two_sided_other) - math.log(2)
    p_two = float(seq.always_valid_p(log_two)[-1])
    lower = float(seq.bound(np.where(valid, theta, 0), variance, tau, settings.alpha, +1)[-1])
    upper = float(seq.bound(np.where(valid, theta, 0), variance, tau, settings.alpha, -1)[-1])
    n_variant = float(np.sum(n_t))
    return out | {
        "errorRateDiff": float(theta[valid][-1]),
        "ci95": None if lo >= hi else [max(-1.0, lo), min(1.0, hi)],
        "ciEmpty": lo >= hi,
        "pValue": p_two,
        "significant": p_two <= settings.alpha,
        "errorBounds": [lower, upper],
        "pWorse": float(looks.p_worse[-1]),
        "pNonInferior": float(looks.p_noninferior[-1]),
        "designEffect": round(float(looks.design_effect[-1]), 3),
        "variance": float(variance[-1]),
        "latency": _latency(by_name[control], by_name[name], block, settings),
        "blocksWithTraffic": int(looks.clusters[-1]),
        "enoughForPromote": bool(seq.enough_for_promote(looks.clusters[-1], looks.errors[-1], n_variant, settings.error_margin)),
    }


def _latency(control: VariantMetrics, variant: VariantMetrics, block: int, settings: Experiment) -> dict[str, Any]:
    """The latency guardrail: mean TargetResponseTime of the variant relative to the control."""
    unknown = {"known": False, "relativeDiff": None, "bounds": None, "pWorse": 1.0, "pNonInferior": 1.0, "margin": settings.latency_margin}
    if not control.latency_avg or not variant.latency_avg:
        return unknown | {"why": "no per-period mean TargetResponseTime"}
    sums, counts = [], []
    for m in (control, variant):
        samples = m.latency_samples or m.requests
        total = [(a or 0.0) * n if a is not None else 0.0 for a, n in zip(m.latency_avg, samples, strict=True)]
        weight = [float(n) if a is not None else 0.0 for a, n in zip(m.latency_avg, samples, strict=True)]
        sums.append(seq.blocks(total, block))
        counts.append(seq.blocks(weight, block))
    looks = seq.latency_looks(sums[0], counts[0], sums[1], counts[1], margin=settings.latency_margin)
    if looks.relative.size == 0 or not np.isfinite(looks.variance[-1]):
        why = f"fewer than {seq.MIN_BLOCKS} blocks with response times in both arms"
        relative = float(looks.relative[-1]) if looks.relative.size and np.isfinite(looks.relative[-1]) else None
        return unknown | {"why": why, "relativeDiff": relative}
    tau = math.log(1 + settings.latency_margin)
    log_ratio = np.log1p(np.nan_to_num(looks.relative))
    v = np.where(np.isfinite(looks.variance), looks.variance, np.inf)
    lower = float(np.expm1(seq.bound(log_ratio, v, tau, settings.alpha, +1)[-1]))
    upper = float(np.expm1(seq.bound(log_ratio, v, tau, settings.alpha, -1)[-1]))
    return {
        "known": True,
        "relativeDiff": float(looks.relative[-1]),
        "bounds": [lower, upper],
        "pWorse": float(looks.p_worse[-1]),
        "pNonInferior": float(looks.p_noninferior[-1]),
        "margin": settings.latency_margin,
        "why": None,
    }


def _holm(raw: Mapping[str, dict[str, Any]], names: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Holm-adjusted p-values per kind of decision over the comparisons in the test."""
    if not names:
        return {}
    kinds = {
        "pWorseAdjusted": [raw[n]["pWorse"] for n in names],
        "pNonInferiorAdjusted": [raw[n]["pNonInferior"] for n in names],
        "latencyPWorseAdjusted": [raw[n]["latency"]["pWorse"] for n in names],
        "latencyPNonInferiorAdjusted": [raw[n]["latency"]["pNonInferior"] for n in names],
    }
    adjusted = {k: seq.holm_adjusted(v) for k, v in kinds.items()}
    return {n: {k: float(adjusted[k][i]) for k in kinds} for i, n in enumerate(names)}


def pp(value: float) -> str:
    """A difference of rates in percentage points."""
    return f"{100 * value:+.2f} pp"


def p_text(p: float, digits: int = 3) -> str:
    """A p-value for people: below float precision it reads "< 1e-16", not a misleading 0."""
    return "< 1e-16" if p < 1e-16 else f"= {p:.{digits}g}"


def interval_pp(interval: Sequence[float] | None) -> str:
    if interval is None:
        return "n/a"
    return f"[{100 * interval[0]:+.2f}, {100 * interval[1]:+.2f}] pp"


def decide(
    name: str,
    control: str,
    c: Mapping[str, Any],
    *,
    weights: Mapping[str, int],
    totals: Mapping[str, tuple[int, int]],
    split_mismatch: bool,
    split_p: float,
    settings: Experiment,
    no_decision: str | None,
) -> Verdict:
    """One line a human can act on, and why, from one comparison's figures (with Holm-adjusted
    p-values in `c`).

    Order: no decision outside an anchored window; weight 0 is not randomised; no data; roll back
    when significantly worse (errors above the control's, or latency above +margin), even with a
    broken split, since reverting is the safe move; a broken split; the difference drifted; promote
    when non-inferior on errors and latency with the documented minimum of data; else keep collecting.
    """
    alpha = settings.alpha
    if no_decision is not None:
        return Verdict(NO_DECISION, no_decision)
    if weights[name] == 0:
        got = (
            f"its {totals[name][0]} requests came from sticky clients or the override header"
            if totals[name][0]
            else "no traffic, as expected"
        )
        return Verdict(NOT_IN_SPLIT, f"weight 0: {got}, not random assignment; nothing to decide")
    if weights[control] == 0:
        return Verdict(NOT_IN_SPLIT, f"control {control} has weight 0, so there is no randomised control to compare with")
    if totals[name][0] == 0 or totals[control][0] == 0:
        empty = name if totals[name][0] == 0 else f"control {control}"
        return Verdict(
            NOT_ENOUGH_DATA, f"{empty} had no requests in the window: check its targets are healthy and the weights are deployed"
        )
    if c.get("errorRateDiff") is None:
        return Verdict(
            NOT_ENOUGH_DATA,
            f"no complete block of {seq.BLOCK_SECONDS // 60} minutes in which both variants had requests yet",
        )
    latency = c["latency"]
    figures = (
        f"error rate {pp(c['errorRateDiff'])} vs control, always-valid bounds {interval_pp(c['errorBounds'])}, "
        f"design effect {c['designEffect']:.2g}"
    )
    error_worse = c.get("pWorseAdjusted", c["pWorse"]) <= alpha
    latency_worse = latency["known"] and c.get("latencyPWorseAdjusted", latency["pWorse"]) <= alpha
    if error_worse or latency_worse:
        why = []
        if error_worse:
            why.append(f"significantly more failed requests than the control (Holm p {p_text(c.get('pWorseAdjusted', c['pWorse']))})")
        if latency_worse:
            why.append(
                f"mean response time known to be more than {100 * settings.latency_margin:g}% above the control's "
                f"(lower bound {100 * latency['bounds'][0]:+.1f}%)"
            )
        split = f"; the split is also off (p {p_text(split_p, 2)}), fix it before testing again" if split_mismatch else ""
        return Verdict(ROLL_BACK, f"{figures}: {' and '.join(why)}{split}")
    if split_mismatch:
        return Verdict(
            FIX_SPLIT,
            f"the split does not match the weights (always-valid p {p_text(split_p, 2)}, and practically off): the comparison "
            "cannot be trusted; look for a weight change after the start, unhealthy targets, retries or override traffic",
        )
    if c.get("ciEmpty"):
        return Verdict(
            WINDOW_SPANS_CHANGE,
            f"{figures}; the always-valid intervals of successive looks stopped overlapping even with the burst-robust "
            "variance, so the difference changed during the experiment (a deploy, an incident): set a new experiment start",
        )
    missing: list[str] = []
    if c.get("pNonInferiorAdjusted", c["pNonInferior"]) > alpha:
        missing.append(f"error-rate upper bound not yet below +{100 * settings.error_margin:.2f} pp (errorMargin)")
    if not c["enoughForPromote"]:
        missing.append(
            f"the minimum of {seq.MIN_BLOCKS} blocks of {seq.BLOCK_SECONDS // 60} min and {seq.MIN_ERRORS} failed requests "
            f"is not reached ({c['blocksWithTraffic']} blocks with traffic in both arms)"
        )
    if not latency["known"]:
        missing.append(f"latency unknown ({latency.get('why')})")
    elif c.get("latencyPNonInferiorAdjusted", latency["pNonInferior"]) > alpha:
        missing.append(f"mean response time not yet known to be below +{100 * settings.latency_margin:g}% of the control's")
    if not missing:
        return Verdict(
            PROMOTE,
            f"{figures}: no worse than the control by more than {100 * settings.error_margin:.2f} pp of errors and "
            f"{100 * settings.latency_margin:g}% of mean latency; check model quality before moving weight",
        )
    return Verdict(KEEP_COLLECTING, f"{figures}: {'; '.join(missing)}; re-running the report later is safe")


def _outlook(
    c: Mapping[str, Any], tau: float, settings: Experiment, window: Window, control: tuple[int, int], n_variant: int, comparisons: int
) -> dict[str, Any]:
    """What the test can find in a day at the current traffic, and the expected time to a verdict if
    the observed difference held (both at the first Holm step, alpha / comparisons, and with the
    design effect seen so far)."""
    minutes = window.periods * window.period / 60
    n_control = control[0]
    if c.get("errorRateDiff") is None or minutes <= 0 or not n_control or not n_variant:
        return {"findableInADay": None, "expectedMinutesToVerdict": None}
    level = math.log(max(1, comparisons) / settings.alpha)
    rate_c, rate_t = n_control / minutes, n_variant / minutes
    design_effect = max(float(c.get("designEffect") or 1.0), 1.0)
    p = min(max(control[1] / n_control, 1e-4), 0.5)

    def rejects(diff: float, theta0: float, side: int, at_minutes: float) -> bool:
        v = design_effect * p * (1 - p) * (1 / (rate_c * at_minutes) + 1 / (rate_t * at_minutes))
        return float(seq.log_mixture(np.array(diff), np.array(v), tau, theta0, side)) >= level

    lo, hi = 0.0, 1.0
    for _ in range(50):
        mid = (lo + hi) / 2
        lo, hi = (lo, mid) if rejects(mid, 0.0, +1, 1440.0) else (mid, hi)
    diff = float(c["errorRateDiff"])
    targets = ([(0.0, +1)] if diff > 0 else []) + ([(settings.error_margin, -1)] if diff < settings.error_margin else [])
    best: float | None = None
    for theta0, side in targets:
        if not rejects(diff, theta0, side, HORIZON_MINUTES):
            continue
        low, high = 1.0, float(HORIZON_MINUTES)
        for _ in range(50):
            mid = (low + high) / 2
            low, high = (low, mid) if rejects(diff, theta0, side, mid) else (mid, high)
        needed = max(high, seq.MIN_BLOCKS * seq.BLOCK_SECONDS / 60 if side < 0 else 0.0)
        best = needed if best is None else min(best, needed)
    return {"findableInADay": hi, "expectedMinutesToVerdict": None if best is None else max(0, round(best - minutes))}


def _variant(
    name: str, weight: int, share: float, is_control: bool, m: VariantMetrics, total: tuple[int, int], all_requests: int
) -> dict[str, Any]:
    n, e = total
    interval = wilson_interval(e, n)
    samples = m.latency_samples or m.requests
    weighted = [(a, s) for a, s in zip(m.latency_avg, samples, strict=False) if a is not None and s > 0]
    count = sum(s for _, s in weighted)
    return {
        "name": name,
        "control": is_control,
        "weight": weight,
        "requests": n,
        "errors5xx": e,
        "target5xx": sum(m.target_5xx) if m.breakdown else None,
        "connectionErrors": sum(m.connection_errors) if m.breakdown else None,
        "elb5xx": sum(m.elb_5xx) if m.elb_5xx else None,
        "errorRate": e / n if n else None,
        "errorRateCi95": list(interval) if interval else None,
        "expectedShare": share,
        "observedShare": round(100 * n / all_requests, 2) if all_requests else None,
        "latencyMs": {stat: _ms(m.latency[stat].seconds) for stat in PERCENTILES},
        "latencyUnavailable": {stat: m.latency[stat].unavailable for stat in PERCENTILES if m.latency[stat].seconds is None},
        "latencyAvgMs": _ms(sum(a * s for a, s in weighted) / count) if count else None,
    }


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(1000 * seconds, 3)


def _srm_json(
    split: splittest.SplitResult,
    deployed: Deployed,
    totals: Mapping[str, tuple[int, int]],
    *,
    alpha: float,
    stickiness: bool,
    override: str | None,
) -> dict[str, Any]:
    caveats = [SRM_CAVEATS[0]] + ([SRM_CAVEATS[1]] if stickiness else [])
    zero_weight = [{"variant": v.name, "requests": totals[v.name][0]} for v in deployed.variants if v.weight == 0 and totals[v.name][0] > 0]
    for entry in zero_weight:
        via = f"sticky clients from before its weight went to 0, or the {override} override header" if override else "sticky clients"
        caveats.append(f"{entry['variant']} has weight 0 but received {entry['requests']} requests ({via}); it is left out of the test.")
    n = sum(totals[name][0] for name in split.tested)
    reason = None
    if len(split.tested) < 2:
        reason = "fewer than two variants have weight > 0: no split to check"
    elif n == 0:
        reason = "not enough data: no requests to the variants with weight > 0"
    return {
        "test": (
            "sequential Dirichlet-multinomial test of request counts against the deployed weights (Lindon & Malek 2022), "
            f"at every period; mismatch when p <= {alpha:g} and a share is off by more than "
            f"{splittest.PRACTICAL_POINTS:g} pp and {100 * splittest.PRACTICAL_RELATIVE:g}% of its expected share"
        ),
        "pValue": split.p_value if reason is None else None,
        "rejected": split.rejected,
        "practical": split.practical,
        "mismatch": split.mismatch,
        "threshold": alpha,
        "concentration": splittest.CONCENTRATION,
        "practicalPoints": splittest.PRACTICAL_POINTS,
        "practicalRelative": splittest.PRACTICAL_RELATIVE,
        "tested": list(split.tested),
        "expectedShare": dict(split.expected),
        "observedShare": {k: round(v, 3) for k, v in split.observed.items()},
        "expectedRequests": {name: round(n * share / 100, 1) for name, share in split.expected.items()},
        "reason": reason,
        "zeroWeightTraffic": zero_weight,
        "caveats": caveats,
    }


def _config_drift(config: RoutingConfig, deployed: Deployed) -> list[str]:
    """Differences between the stack file and what is deployed, which would make the split check or
    the report misleading if unnoticed."""
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


def verdict_of(report: Mapping[str, Any], variant: str) -> Verdict:
    """One variant's verdict and reason from a report document (what `rollout` asks for)."""
    for c in report["comparisons"]:
        if c["variant"] == variant:
            return Verdict(c["verdict"], c["reason"])
    for row in report["variants"]:
        if row["name"] == variant:
            return Verdict(row["verdict"], "the control: the others are compared with it")
    raise KeyError(variant)


def anchored_reason(window: Window, start: datetime | None) -> str | None:
    """Why a window may not decide (None when it may): only a window starting at the start does."""
    if start is None:
        return (
            "no experiment start: set ab-routing:experiment.start (quoted ISO 8601 UTC) or pass --start; "
            "a test that starts anywhere else is a new test at every run"
        )
    if window.since != ANCHORED:
        return (
            f"the window starts at {window.start:%Y-%m-%d %H:%M} UTC, not at the experiment start "
            f"{start:%Y-%m-%d %H:%M} UTC: figures only (drop --since to decide)"
        )
    return None
