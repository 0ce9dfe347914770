"""Operating characteristics of the report's decisions, side by side with the procedure it replaced.

    .venv/bin/python benchmarks/decisions.py [--runs 1000] [--seed 7] [--markdown]

Simulated experiments of one day in one-minute periods, with a daily traffic cycle (±50%).
- "now": the procedure in `ab_routing.report.sequential` (blocks of ten minutes, cluster-robust
  variance shrunk towards 2x binomial, half-normal mixture SPRTs, non-inferiority margin 0.5 pp,
  Holm across comparisons, minimum of 12 blocks and 10 errors before promote), called exactly as
  the report calls it, with tau = the control's error rate before the start (as the report does).
- "before": the report as it shipped before (mSPRT with tau = 0.01 on per-request binomial
  variance, looks every minute; `roll back` when the always-valid interval is above 0, `promote`
  when below 0, `window spans a change` when it becomes empty), re-created here with the same
  formulas, anchored at the start unless the row says "sliding".
Error models: "indep." binomial errors; "clustered" a per-minute gamma factor on each arm's
error rate giving a design effect of about 3; "bursts" clustered plus, per arm, bursts of 1-10
minutes at 5x the error rate starting on average every 2 hours, and bursts shared by both arms.
Monte Carlo error: rates ± 1.96 binomial standard errors; medians with the order-statistic 95%
interval. Latency is not simulated (the latency guardrail is assumed to pass).
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ab_routing.report import sequential as seq

MINUTES = 1440
ALPHA = 0.05
MARGIN = 0.005
OLD_TAU = 0.01
Array = NDArray[np.float64]
MINUTE_DESIGN_EFFECT = 2.0
"""Per-minute gamma factor on the error rate under bursts: variance inflation of one minute's errors
(3 in the "clustered" rows); with the bursts the design effect over a day is about 3."""
BURST_EVERY = 240
BURST_FACTOR = 3.0
"""Bursts: start on average every BURST_EVERY minutes, last 1-10 minutes, multiply the rate."""


@dataclass(frozen=True)
class Scenario:
    name: str
    rates: tuple[float, ...]
    """Error rate per arm, control first."""
    shares: tuple[float, ...]
    per_minute: float
    """Requests per minute over all arms (mean of the daily cycle)."""
    errors: str = "indep."
    sliding: bool = False
    """`before` re-run every 10 minutes on a sliding 2-hour window (the old default --since 2h)."""


def simulate(s: Scenario, runs: int, rng: np.random.Generator) -> tuple[list[Array], list[Array]]:
    """Per-minute requests and errors per arm, shape (runs, MINUTES) each."""
    t = np.arange(MINUTES)
    phase = rng.uniform(0, 2 * np.pi, (runs, 1))
    traffic = s.per_minute * (1 + 0.5 * np.sin(2 * np.pi * t / MINUTES + phase))
    shared = _bursts(rng, runs) if s.errors == "bursts" else np.ones((runs, MINUTES))
    requests, errors = [], []
    for rate, share in zip(s.rates, s.shares, strict=True):
        n = rng.poisson(traffic * share).astype(np.float64)
        factor = np.ones((runs, MINUTES))
        if s.errors in ("clustered", "bursts"):
            mean_n = s.per_minute * share
            inflation = MINUTE_DESIGN_EFFECT if s.errors == "bursts" else 3.0
            k = max(mean_n * rate / (inflation - 1), 1e-3)  # design effect 1 + n p / k
            factor = rng.gamma(k, 1 / k, (runs, MINUTES))
        if s.errors == "bursts":
            factor = factor * _bursts(rng, runs) * shared
        p = np.clip(rate * factor, 0, 1)
        requests.append(n)
        errors.append(rng.binomial(n.astype(np.int64), p).astype(np.float64))
    return requests, errors


def _bursts(rng: np.random.Generator, runs: int, every: float = BURST_EVERY, factor: float = BURST_FACTOR) -> Array:
    starts = rng.random((runs, MINUTES)) < 1 / every
    length = rng.integers(1, 11, (runs, MINUTES))
    active = np.zeros((runs, MINUTES), dtype=bool)
    for lag in range(10):
        active[:, lag:] |= starts[:, : MINUTES - lag] & (length[:, : MINUTES - lag] > lag)
    return np.where(active, factor, 1.0)


def now_procedure(s: Scenario, requests: list[Array], errors: list[Array]) -> tuple[Array, Array]:
    """Minutes to the first `roll back` and first `promote` of any challenger (inf: none in the day)."""
    block = seq.block_of(60)
    tau = min(max(s.rates[0], 0.001), 0.1)
    b_n = [seq.blocks(n, block) for n in requests]
    b_e = [seq.blocks(e, block) for e in errors]
    worse, noninferior, promotable = [], [], []
    for i in range(1, len(requests)):
        r = seq.error_looks(b_n[0], b_e[0], b_n[i], b_e[i], tau=tau, margin=MARGIN)
        worse.append(r.p_worse)
        noninferior.append(r.p_noninferior)
        promotable.append(seq.enough_for_promote(r.clusters, r.errors, np.cumsum(b_n[i], axis=-1), MARGIN))
    roll_back, promote = seq.decisions(
        np.stack(worse, -1), np.stack(noninferior, -1), np.stack(promotable, -1), ALPHA
    )  # (runs, looks, comparisons)
    return _first(roll_back.any(-1), block), _first(promote.any(-1), block)


def before_procedure(s: Scenario, requests: list[Array], errors: list[Array]) -> tuple[Array, Array, Array]:
    """Minutes to the first false-alarm-like verdict of the old report, checked every 10 minutes:
    (roll back, promote, window spans a change)."""
    checks = np.arange(10, MINUTES + 1, 10)
    if s.sliding:
        checks = checks[checks >= 120]
    outcome = [np.full((requests[0].shape[0], len(checks)), False) for _ in range(3)]
    for i in range(1, len(requests)):
        if s.sliding:
            for j, end in enumerate(checks):
                lo, hi = _old_interval(
                    requests[0][:, end - 120 : end],
                    errors[0][:, end - 120 : end],
                    requests[i][:, end - 120 : end],
                    errors[i][:, end - 120 : end],
                )
                for o, flag in zip(outcome, _old_verdicts(lo[:, -1], hi[:, -1]), strict=True):
                    o[:, j] |= flag
        else:
            lo, hi = _old_interval(requests[0], errors[0], requests[i], errors[i])
            for o, flag in zip(outcome, _old_verdicts(lo[:, checks - 1], hi[:, checks - 1]), strict=True):
                o |= flag
    return tuple(_first(o, 10, offset=int(checks[0]) - 10) for o in outcome)  # type: ignore[return-value]


def _old_interval(n_c: Array, e_c: Array, n_t: Array, e_t: Array) -> tuple[Array, Array]:
    nc, ec, nt, et = (np.cumsum(x, axis=-1) for x in (n_c, e_c, n_t, e_t))
    ok = (nc > 0) & (nt > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        theta = et / nt - ec / nc
    v = seq.binomial_variance(nc, ec, nt, et)
    tau2 = OLD_TAU**2
    radius = np.sqrt(2 * v * (v + tau2) / tau2 * (math.log(1 / ALPHA) + 0.5 * np.log((v + tau2) / v)))
    lo = np.maximum.accumulate(np.where(ok, theta - radius, -np.inf), axis=-1)
    hi = np.minimum.accumulate(np.where(ok, theta + radius, np.inf), axis=-1)
    return lo, hi


def _old_verdicts(lo: Array, hi: Array) -> tuple[NDArray[np.bool_], NDArray[np.bool_], NDArray[np.bool_]]:
    empty = lo >= hi
    return (lo > 0) & ~empty, (hi < 0) & ~empty, empty


def _first(flags: Any, minutes_per_look: int, offset: int = 0) -> Array:
    flags = np.asarray(flags, dtype=bool)
    any_ = flags.any(-1)
    first = np.argmax(flags, axis=-1)
    return np.where(any_, offset + (first + 1) * minutes_per_look, np.inf)


def rate(times: Array) -> str:
    p = float(np.mean(np.isfinite(times)))
    half = 1.96 * math.sqrt(max(p * (1 - p), 0.25 / len(times)) / len(times))
    return f"{100 * p:.1f}% ± {100 * half:.1f}"


def median(times: Array) -> str:
    ordered = np.sort(times)
    n = len(ordered)
    mid = ordered[n // 2]
    lo_i, hi_i = max(0, int(n / 2 - 0.98 * math.sqrt(n))), min(n - 1, int(n / 2 + 0.98 * math.sqrt(n)))
    if not math.isfinite(mid):
        return "> 24 h"
    hi = "> 24 h" if not math.isfinite(ordered[hi_i]) else f"{ordered[hi_i]:.0f}"
    return f"{mid:.0f} min [{ordered[lo_i]:.0f}, {hi}]"


AA = [
    Scenario("A/A 50/50, 100 req/min, 1%, indep.", (0.01, 0.01), (0.5, 0.5), 100),
    Scenario("A/A 50/50, 100 req/min, 1%, clustered (DE ~3)", (0.01, 0.01), (0.5, 0.5), 100, "clustered"),
    Scenario("A/A 50/50, 100 req/min, 1%, bursts", (0.01, 0.01), (0.5, 0.5), 100, "bursts"),
    Scenario("A/A 90/10, 100 req/min, 1%, bursts", (0.01, 0.01), (0.9, 0.1), 100, "bursts"),
    Scenario("A/A 5 arms, 500 req/min, 1%, indep.", (0.01,) * 5, (0.2,) * 5, 500),
    Scenario("A/A 5 arms, 500 req/min, 1%, bursts", (0.01,) * 5, (0.2,) * 5, 500, "bursts"),
    Scenario("A/A 50/50, 100 req/min, 1%, indep., sliding 2h re-run /10 min", (0.01, 0.01), (0.5, 0.5), 100, sliding=True),
]
POWER = [
    Scenario("1% -> 2%, 50/50, 100 req/min, indep.", (0.01, 0.02), (0.5, 0.5), 100),
    Scenario("1% -> 2%, 50/50, 100 req/min, bursts", (0.01, 0.02), (0.5, 0.5), 100, "bursts"),
    Scenario("1% -> 1.5%, 50/50, 100 req/min, indep.", (0.01, 0.015), (0.5, 0.5), 100),
    Scenario("1% -> 2%, 90/10, 100 req/min, indep.", (0.01, 0.02), (0.9, 0.1), 100),
    Scenario("1% -> 2%, 90/10, 1000 req/min, indep.", (0.01, 0.02), (0.9, 0.1), 1000),
    Scenario("0.1% -> 0.2%, 50/50, 1000 req/min, indep.", (0.001, 0.002), (0.5, 0.5), 1000),
    Scenario("5% -> 6%, 95/5, 100 req/min, indep.", (0.05, 0.06), (0.95, 0.05), 100),
]
EQUAL = [
    Scenario("equal 1%, 50/50, 100 req/min, indep.", (0.01, 0.01), (0.5, 0.5), 100),
    Scenario("equal 1%, 50/50, 100 req/min, bursts", (0.01, 0.01), (0.5, 0.5), 100, "bursts"),
    Scenario("equal 1%, 90/10, 1000 req/min, indep.", (0.01, 0.01), (0.9, 0.1), 1000),
]


def table(title: str, header: Sequence[str], rows: list[list[str]], markdown: bool) -> str:
    if markdown:
        lines = [f"**{title}**", "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(r) + " |" for r in rows]
        return "\n".join(lines) + "\n"
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    lines = [title, "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(lines) + "\n"


def run(runs: int, seed: int, markdown: bool, out: Callable[[str], None] = print) -> None:
    rng = np.random.default_rng(seed)
    started = time.perf_counter()
    rows: list[list[str]] = []
    for s in AA:
        n, e = simulate(s, runs, rng)
        old_back, old_promote, old_change = before_procedure(s, n, e)
        old_any = np.minimum(np.minimum(old_back, old_promote), old_change)
        new_back = (np.full(runs, np.inf), None) if s.sliding else now_procedure(s, n, e)
        rows.append([s.name, rate(old_back), rate(old_any), rate(new_back[0])])
    out(
        table(
            f"Identical variants: share of days with a wrong verdict ({runs} runs; alpha = 0.05)",
            ["scenario", "before: roll back", "before: any verdict", "now: roll back"],
            rows,
            markdown,
        )
    )
    rows = []
    for s in POWER:
        n, e = simulate(s, runs, rng)
        old_back = before_procedure(s, n, e)[0]
        new_back = now_procedure(s, n, e)[0]
        rows.append([s.name, rate(old_back), median(old_back), rate(new_back), median(new_back)])
    out(
        table(
            "Real regressions: roll back within a day, and median time to it [95% interval]",
            ["scenario", "before: found", "before: median", "now: found", "now: median"],
            rows,
            markdown,
        )
    )
    rows = []
    for s in EQUAL:
        n, e = simulate(s, runs, rng)
        old_promote = before_procedure(s, n, e)[1]
        new_back, new_promote = now_procedure(s, n, e)
        rows.append([s.name, rate(old_promote), rate(new_promote), median(new_promote), rate(new_back)])
    out(
        table(
            f"Equal variants: promote within a day (now: upper bound below +{100 * MARGIN:g} pp)",
            ["scenario", "before: promote", "now: promote", "now: median", "now: roll back"],
            rows,
            markdown,
        )
    )
    out(f"({time.perf_counter() - started:.0f} s, seed {seed})")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=1000, help="simulated experiments per row (default: 1000)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--markdown", action="store_true", help="print Markdown tables (for README)")
    args = parser.parse_args(argv)
    run(args.runs, args.seed, args.markdown)


if __name__ == "__main__":
    main()
