"""The report's verdict for one variant over the current step: the other half of the bake's watch.

The report owns how a verdict is reached; the rollout only asks "verdict for V since time T".
`VerdictSource` is that question; `ReportVerdicts` answers it with the report's public interface:
`ab_routing.report.api.report_since` (a window anchored at T, so the verdict keeps the report's
guarantees) and `ab_routing.report.verdict.verdict_of` to pick V out of it. Tests pass a fake.
The report is imported on first use: it pulls in numpy and scipy, which `--dry-run` never needs.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Protocol

from ab_routing.model import RoutingConfig
from ab_routing.outputs import Deployed

ROLL_BACK = "roll back"
"""= `ab_routing.report.verdict.ROLL_BACK` (a test holds them equal; not imported, see above)."""
NO_DECISION = "no decision"
"""= `ab_routing.report.verdict.NO_DECISION`."""


@dataclass(frozen=True)
class VariantVerdict:
    verdict: str
    """As in the report's `variants[].verdict`: roll back, promote, keep collecting, ..."""
    reason: str = ""
    split_mismatch: bool = False
    """The report's split check (SRM) flagged the observed split as off the weights."""


class VerdictSource(Protocol):
    def verdict(self, variant: str, since: datetime, now: datetime) -> VariantVerdict: ...


class ReportVerdicts:
    """Runs the report's pipeline on CloudWatch for the window [since, last whole minute)."""

    def __init__(self, *, stack: str, config: RoutingConfig, deployed: Deployed, cloudwatch: Any, tau: float | None = None) -> None:
        self.stack = stack
        self.config = config
        self.deployed = deployed
        self.cloudwatch = cloudwatch
        self.tau = tau

    def with_weights(self, weights: dict[str, int]) -> ReportVerdicts:
        """The same source judging against the weights now deployed (the split check needs them)."""
        variants = tuple(replace(v, weight=weights.get(v.name, v.weight)) for v in self.deployed.variants)
        return ReportVerdicts(
            stack=self.stack,
            config=self.config,
            deployed=replace(self.deployed, variants=variants),
            cloudwatch=self.cloudwatch,
            tau=self.tau,
        )

    def verdict(self, variant: str, since: datetime, now: datetime) -> VariantVerdict:
        from ab_routing.report.api import report_since
        from ab_routing.report.metrics import MetricsError

        end = datetime.fromtimestamp(int(now.timestamp()) // 60 * 60, tz=UTC)
        if (end - since.astimezone(UTC)).total_seconds() < 60:
            return VariantVerdict(NO_DECISION, "the step's first whole minute has not ended yet")
        if self.config.control is None or self.deployed.variant(self.config.control.name) is None:
            return VariantVerdict(NO_DECISION, "no deployed control variant to compare with")
        try:
            report = report_since(
                stack=self.stack, config=self.config, deployed=self.deployed, cloudwatch=self.cloudwatch, since=since, now=now, tau=self.tau
            )
        except MetricsError as problem:
            return VariantVerdict(NO_DECISION, f"could not fetch metrics: {problem}")
        return verdict_from_report(report, variant)


def verdict_from_report(report: dict[str, Any], variant: str) -> VariantVerdict:
    """One variant's verdict and reason (the report's `verdict_of`) and the split flag."""
    from ab_routing.report.verdict import verdict_of

    try:
        chosen = verdict_of(report, variant)
    except KeyError:
        return VariantVerdict(NO_DECISION, f"{variant} is not in the report")
    mismatch = bool((report.get("srm") or {}).get("mismatch"))
    return VariantVerdict(chosen.verdict, chosen.reason, mismatch)
