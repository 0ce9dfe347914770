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


@dataclass(frozen=True)
class Key:
    """One `experiment` key: its name, default, allowed range and why it is there."""

    name: str
    default: float | None
    low: float
    high: float
    unit: str
    description: str


START_DESCRIPTION = (
    'When the current weights took effect, ISO 8601 UTC in quotes (e.g. "2026-11-22T10:00:00Z"). '
    "The report's test runs from here to now; rollout will set it on every weight change."
)
ERROR_MARGIN = Key(
    "errorMargin",
    0.5,
    0.01,
    10.0,
    "percentage points",
    "Non-inferiority margin: promote only when the error-rate difference to the control is known to be "
    "below this. Half a point is a tenth of the default error-rate alarm (5%) and about the smallest "
    "difference a day at 100 requests/minute can rule out.",
)
LATENCY_MARGIN = Key(
    "latencyMargin",
    10.0,
    0.5,
    100.0,
    "percent",
    "Latency guardrail: promote only when mean TargetResponseTime is known to be less than this much "
    "above the control's; roll back when it is known to be more.",
)
ALPHA = Key(
    "alpha",
    0.05,
    0.001,
    0.2,
    "probability",
    "Family-wise error rate of each kind of decision across all comparisons with the control.",
)
MIN_DETECTABLE_EFFECT = Key(
    "minDetectableEffect",
    None,
    0.01,
    50.0,
    "percentage points",
    "Error-rate difference the test is tuned to find fastest (its mixing spread tau). Unset: the "
    "control's error rate in the day before start (a doubling), or 1 point without such data.",
)
KEYS = (ERROR_MARGIN, LATENCY_MARGIN, ALPHA, MIN_DETECTABLE_EFFECT)
KEY_NAMES = ("start", *(k.name for k in KEYS))

Problem = tuple[str, object, str]
"""(key path, value received, what is allowed)."""


@dataclass(frozen=True)
class Experiment:
    """Typed `ab-routing:experiment`."""

    start: datetime | None = None
    """Timezone-aware UTC; None until someone (or rollout) sets it."""
    error_margin_points: float = 0.5
    latency_margin_percent: float = 10.0
    alpha: float = 0.05
    min_detectable_effect_points: float | None = None

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
    caller can report every problem at once next to the other keys'.
    """
    if raw is None:
        return None, []
    if not isinstance(raw, dict):
        return None, [("experiment", raw, "must be a map with keys " + ", ".join(KEY_NAMES))]
    problems: list[Problem] = []
    for key in raw:
        if key not in KEY_NAMES:
            problems.append((f"experiment.{key}", raw[key], "unknown key (allowed: " + ", ".join(KEY_NAMES) + ")"))
    start = None
    if "start" in raw and raw["start"] is not None:
        start = parse_start(raw["start"])
        if start is None:
            problems.append(("experiment.start", raw["start"], 'must be an ISO 8601 time with a zone, quoted, e.g. "2026-11-22T10:00:00Z"'))
    values: dict[str, float | None] = {}
    for key in KEYS:
        value = raw.get(key.name)
        if value is None:
            values[key.name] = key.default
            continue
        number = _number(value)
        if number is None or not key.low <= number <= key.high:
            problems.append((f"experiment.{key.name}", value, f"must be a number from {key.low:g} to {key.high:g} ({key.unit})"))
            values[key.name] = key.default
        else:
            values[key.name] = number
    if problems:
        return None, problems
    return (
        Experiment(
            start=start,
            error_margin_points=float(values[ERROR_MARGIN.name] or ERROR_MARGIN.default or 0),
            latency_margin_percent=float(values[LATENCY_MARGIN.name] or LATENCY_MARGIN.default or 0),
            alpha=float(values[ALPHA.name] or ALPHA.default or 0),
            min_detectable_effect_points=values[MIN_DETECTABLE_EFFECT.name],
        ),
        [],
    )


def _number(value: object) -> float | None:
    """A number, or a numeric string (Pulumi may store config values as text)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None
