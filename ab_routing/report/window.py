"""The time window of a report and the CloudWatch period that slices it into looks.

Pure: the clock is an argument. CloudWatch only answers with periods that are multiples of 60 s
for data up to 15 days old, of 300 s up to 63 days and of 3600 s beyond (and rounds StartTime down
to those multiples), and it keeps hourly data for 455 days; the window is aligned the same way so
that every data point falls into exactly one of our periods.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

MAX_LOOKS = 1440
"""At most this many periods per window: one-minute looks for a day, and 4 sums x 5 variants x 1440
= 28,800 data points, well under GetMetricData's 100,800 per call."""
MAX_SINCE = timedelta(days=455)
"""CloudWatch's retention of hourly data."""
SINCE_PATTERN = re.compile(r"([1-9][0-9]*)([mhd])")
UNIT_SECONDS = {"m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class Since:
    """A length of time as the user typed it (`30m`, `2h`, `1d`)."""

    text: str
    seconds: int


def parse_since(text: str) -> Since:
    """`30m` / `2h` / `7d` -> Since. Raises ValueError with a message meant for the user."""
    match = SINCE_PATTERN.fullmatch(text.strip())
    if not match:
        raise ValueError(f"expected a number and a unit m, h or d (e.g. 30m, 2h, 1d), got {text!r}")
    seconds = int(match.group(1)) * UNIT_SECONDS[match.group(2)]
    if seconds > MAX_SINCE.total_seconds():
        raise ValueError(f"{text!r} is longer than CloudWatch keeps data ({MAX_SINCE.days} days)")
    return Since(text.strip(), seconds)


@dataclass(frozen=True)
class Window:
    """[start, end) split into `periods` periods of `period` seconds, the looks of the test."""

    since: str
    start: datetime
    end: datetime
    period: int
    """Seconds per period (a multiple of `granularity`)."""
    periods: int
    granularity: int
    """60, 300 or 3600: the finest period CloudWatch serves for data as old as `start`."""

    @property
    def whole_period(self) -> int:
        """One period covering the whole window, for the percentile queries."""
        return self.periods * self.period

    def index(self, timestamp: datetime) -> int | None:
        """Which period a data point belongs to; None outside the window."""
        offset = (timestamp - self.start).total_seconds()
        i = math.floor(offset / self.period)
        return i if 0 <= i < self.periods else None


def granularity_for(age: timedelta) -> int:
    if age <= timedelta(days=15):
        return 60
    if age <= timedelta(days=63):
        return 300
    return 3600


def make_window(now: datetime, since: Since) -> Window:
    """The window ending at the last whole minute before `now` (the current minute is still filling),
    reaching back at least `since`, in whole periods aligned as CloudWatch aligns them."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    now = now.astimezone(UTC)
    granularity = granularity_for(timedelta(seconds=since.seconds + 60))
    end = _floor(now, 60 if granularity == 60 else granularity)
    span = max(granularity, math.ceil(since.seconds / granularity) * granularity)
    period = max(granularity, math.ceil(span / MAX_LOOKS / granularity) * granularity)
    periods = math.ceil(span / period)
    return Window(since.text, end - timedelta(seconds=periods * period), end, period, periods, granularity)


def _floor(moment: datetime, seconds: int) -> datetime:
    epoch = int(moment.timestamp())
    return datetime.fromtimestamp(epoch - epoch % seconds, tz=UTC)


ANCHORED = "experiment start"
"""`Window.since` of a window that begins at the experiment's start: the only kind that decides."""


def ceil_minute(moment: datetime) -> datetime:
    """The first whole minute at or after `moment`: a period that began before the experiment's
    start would mix traffic from before it into the test."""
    floored = _floor(moment.astimezone(UTC), 60)
    return floored if floored == moment else floored + timedelta(seconds=60)


def make_anchored_window(now: datetime, start: datetime) -> Window:
    """[start rounded up to the minute, now], in whole periods from start (at most MAX_LOOKS; the
    end falls on the last whole period, so the window never reaches before the start)."""
    if now.tzinfo is None or start.tzinfo is None:
        raise ValueError("now and start must be timezone-aware")
    begin = ceil_minute(start)
    end = _floor(now.astimezone(UTC), 60)
    span = max(0, int((end - begin).total_seconds()))
    granularity = granularity_for(timedelta(seconds=span + 60))
    if granularity > 60:
        floored = _floor(begin, granularity)
        begin = floored if floored == begin else floored + timedelta(seconds=granularity)
        span = max(0, int((end - begin).total_seconds()))
    period = max(granularity, math.ceil(span / MAX_LOOKS / granularity) * granularity)
    periods = span // period
    return Window(ANCHORED, begin, begin + timedelta(seconds=periods * period), period, periods, granularity)
