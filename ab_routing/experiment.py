"""`ab-routing:experiment`: when the running experiment started and what the report may conclude.

These keys change no resource: they are read only by `report` (and later `rollout`, which sets
`start` whenever weights change). Each key is declared once below (name, default, range and
description) so the config framework and README can be generated from the declarations.

Margins are in percentage points (error rate) and percent (latency) here, as a person writes them;
the report's JSON carries the error margin as a fraction, like every error rate it prints.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from ab_routing.keys import Number, Parsed, key, key_names, read_section
from ab_routing.validate import Checker, show

Problem = tuple[str, object, str]
"""(key path, value received, what is allowed)."""


def _start(value: object) -> datetime:
    moment = parse_start(value)
    if moment is None and isinstance(value, str) and len(value) > 2 and value[0] == value[-1] == '"':
        raise ValueError(
            f"got {show(value)}: the double quotes are part of the value (`pulumi config set` keeps quotes given inside "
            "shell quotes); set it without them: pulumi config set --path 'ab-routing:experiment.start' 2026-11-22T10:00:00Z"
        )
    if moment is None:
        raise ValueError(f'got {show(value)}; must be an ISO 8601 time with a zone, quoted, e.g. "2026-11-22T10:00:00Z"')
    return moment


@dataclass(frozen=True)
class Experiment:
    """Typed `ab-routing:experiment`."""

    start: datetime | None = key(
        "start",
        Parsed(_start, 'ISO 8601 UTC time, quoted (`"2026-11-22T10:00:00Z"`)'),
        None,
        "when the current weights took effect; the report's test runs from here to now; rollout sets it on every weight change",
    )
    error_margin_points: float = key(
        "errorMargin",
        Number(0.01, 10.0, "percentage points", closed=True),
        0.5,
        "promote only when the error-rate difference to the control is known to be below this (a tenth of the default alarm)",
    )
    latency_margin_percent: float = key(
        "latencyMargin",
        Number(0.5, 100.0, "percent", closed=True),
        10.0,
        "promote only when mean latency is known to be less than this much above the control's; roll back when known above",
    )
    alpha: float = key(
        "alpha", Number(0.001, 0.2, "probability", closed=True), 0.05, "family-wise error of each kind of decision across comparisons"
    )
    min_detectable_effect_points: float | None = key(
        "minDetectableEffect",
        Number(0.01, 50.0, "percentage points", closed=True),
        None,
        "difference the test finds fastest (its tau); unset: the control's error rate before start, or 1 point",
        default_doc="from data before `start`",
    )

    @property
    def error_margin(self) -> float:
        """The margin as a fraction of requests (0.005 for 0.5 points), as the report's rates are."""
        return self.error_margin_points / 100

    @property
    def latency_margin(self) -> float:
        """The latency margin as a fraction (0.1 for 10%)."""
        return self.latency_margin_percent / 100

    @property
    def min_detectable_effect(self) -> float | None:
        return None if self.min_detectable_effect_points is None else self.min_detectable_effect_points / 100


def parse_start(value: object) -> datetime | None:
    """An ISO 8601 time with a zone (`Z` or `+00:00`) -> aware UTC datetime; None when it is not one."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str) and value.strip():
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    else:
        return None
    if moment.tzinfo is None:
        return None
    return moment.astimezone(UTC)


def parse_experiment(raw: object) -> tuple[Experiment | None, list[Problem]]:
    """`ab-routing:experiment` as given (a mapping, or absent as None) -> (Experiment, problems).

    Pure. Returns (None, []) when the key is absent, (None, problems) when anything is wrong, so a
    caller can report every problem at once next to the other keys'. Problems are (path, value, message).
    """
    if raw is None:
        return None, []
    check = Checker()
    if not isinstance(raw, dict):
        return None, [("experiment", raw, "must be a map with keys " + ", ".join(key_names(Experiment)))]
    experiment = read_section(check, Experiment, raw, "experiment").value
    if check.issues:
        return None, [(issue.path, raw.get(issue.path.split(".", 1)[-1]), issue.message) for issue in check.issues]
    return experiment, []
