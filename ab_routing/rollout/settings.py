"""`ab-routing:rollout`: the defaults of `python -m ab_routing rollout`, declared once.

These keys change no resource (the program never reads them); only the rollout command does. Each
key is declared once on `RolloutSettings` (see `ab_routing.keys`), so the config reference and the
parser cannot disagree. The parser is pure: raw YAML values in, `RolloutSettings` or a list of
`ConfigIssue` out (config.py adds those to the stack's other problems).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from ab_routing.keys import Parsed, key, read_section
from ab_routing.validate import MISSING, Checker, ConfigIssue, show

MAX_STEPS = 20
MAX_BAKE_SECONDS = 24 * 3600
MIN_MAX_DURATION_SECONDS = 60
MAX_MAX_DURATION_SECONDS = 7 * 24 * 3600
MAX_MIN_REQUESTS = 1_000_000_000
T = TypeVar("T")
DURATION = re.compile(r"([0-9]+)([smh])")
UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600}


def parse_duration(text: object) -> int:
    """`90s`, `15m`, `2h` -> seconds. Raises ValueError saying what is allowed."""
    if isinstance(text, str):
        match = DURATION.fullmatch(text.strip())
        if match:
            return int(match.group(1)) * UNIT_SECONDS[match.group(2)]
    raise ValueError(f"got {show(text)}; expected a whole number and a unit s, m or h (e.g. 90s, 15m, 2h)")


def format_duration(seconds: float) -> str:
    """Seconds -> `1h 05m`, `15m`, `45s` for timelines and status lines."""
    s = round(seconds)
    h, rest = divmod(s, 3600)
    m, sec = divmod(rest, 60)
    if h:
        return f"{h}h" + (f" {m:02d}m" if m or sec else "") + (f" {sec:02d}s" if sec else "")
    if m:
        return f"{m}m" if not sec else f"{m}m {sec:02d}s"
    return f"{sec}s"


def parse_steps(value: object) -> tuple[int, ...]:
    """`[5, 25, 50, 100]` or `5,25,50,100` -> (5, 25, 50, 100). Raises ValueError saying what is allowed."""
    items: Sequence[object]
    if isinstance(value, str):
        items = [p.strip() for p in value.split(",")]
        try:
            items = [int(p) for p in items]
        except ValueError:
            raise ValueError(f"got {value!r}; expected comma-separated integers such as 5,25,50,100") from None
    elif isinstance(value, list | tuple):
        items = value
    else:
        raise ValueError(f"got {show(value)}; expected a list of integers such as [5, 25, 50, 100]")
    if not items or len(items) > MAX_STEPS:
        raise ValueError(f"got {len(items)} steps; expected 1 to {MAX_STEPS}")
    steps: list[int] = []
    for item in items:
        if isinstance(item, bool) or not isinstance(item, int) or not 1 <= item <= 100:
            raise ValueError(f"got {show(list(items))}; each step must be an integer percent from 1 to 100")
        if steps and item <= steps[-1]:
            raise ValueError(f"got {show(list(items))}; steps must increase")
        steps.append(item)
    if steps[-1] != 100:
        raise ValueError(f"got {show(steps)}; the last step must be 100 (a rollout ends with the variant taking all traffic)")
    return tuple(steps)


def parse_min_requests(value: object) -> int:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_MIN_REQUESTS:
        raise ValueError(f"got {show(value)}; expected an integer from 0 to {MAX_MIN_REQUESTS}")
    return value


def parse_bake(value: object) -> int:
    seconds = parse_duration(value)
    if seconds > MAX_BAKE_SECONDS:
        raise ValueError(f"got {show(value)}; at most 24h")
    return seconds


def parse_max_duration(value: object) -> int:
    seconds = parse_duration(value)
    if not MIN_MAX_DURATION_SECONDS <= seconds <= MAX_MAX_DURATION_SECONDS:
        raise ValueError(f"got {show(value)}; expected 1m to 168h")
    return seconds


def parse_rollout_settings(value: object) -> tuple[RolloutSettings, list[ConfigIssue]]:
    """The raw `rollout` value (MISSING/None when absent) -> settings and every problem found.

    With problems the settings hold the defaults for the bad keys; callers must check the list.
    """
    check = Checker()
    settings = read_section(check, RolloutSettings, value, "rollout").value or RolloutSettings()
    issues = list(check.issues)
    if not issues:
        issues += bake_vs_max(settings)
    return settings, issues


def bake_vs_max(settings: RolloutSettings) -> list[ConfigIssue]:
    if settings.max_duration_seconds < settings.bake_seconds:
        return [
            ConfigIssue(
                "rollout.maxDuration",
                f"{format_duration(settings.max_duration_seconds)} is shorter than bake ({format_duration(settings.bake_seconds)}); "
                "a step could never pass",
            )
        ]
    return []


def rollout_settings(config: Mapping[str, object], namespace: str = "ab-routing") -> RolloutSettings:
    """The settings from a stack's full config (`ab-routing:rollout`); ValueError on problems."""
    from ab_routing.config import decode

    settings, issues = parse_rollout_settings(decode(config.get(f"{namespace}:rollout", MISSING)))
    if issues:
        raise ValueError("; ".join(str(i) for i in issues))
    return settings


@dataclass(frozen=True)
class RolloutSettings:
    """`ab-routing:rollout`: defaults of the rollout command; they change no resource."""

    steps: tuple[int, ...] = key(
        "steps",
        Parsed(parse_steps, f"1-{MAX_STEPS} increasing integers 1-100, the last 100"),
        (5, 25, 50, 100),
        "the variant's percent of traffic at each step",
        default_doc="`[5, 25, 50, 100]`",
    )
    bake_seconds: int = key(
        "bake",
        Parsed(parse_bake, "0s-24h (s, m or h)"),
        15 * 60,
        "the least time each step is watched before the next",
        default_doc="`15m`",
    )
    min_requests: int = key(
        "minRequests",
        Parsed(parse_min_requests, f"0-{MAX_MIN_REQUESTS}"),
        500,
        "requests the variant must serve during a step before it passes (no traffic is no evidence)",
    )
    max_duration_seconds: int = key(
        "maxDuration",
        Parsed(parse_max_duration, "1m-168h (s, m or h), at least bake"),
        24 * 3600,
        "the longest one step may wait for minRequests; then the step fails and the variant is rolled back",
        default_doc="`24h`",
    )
