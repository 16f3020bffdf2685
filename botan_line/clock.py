"""Time in BOTAN_TIMEZONE: the time-of-day bands patterns use and the months budgets use."""

from __future__ import annotations

import calendar
from datetime import datetime


def time_band(now: datetime) -> str:
    """morning 5–10, daytime 10–17, evening 17–22, night 22–5 (local time of ``now``)."""
    h = now.hour
    if 5 <= h < 10:
        return "morning"
    if 10 <= h < 17:
        return "daytime"
    if 17 <= h < 22:
        return "evening"
    return "night"


def month_bounds(now: datetime) -> tuple[float, float]:
    """The calendar month of ``now`` as [start, end) epoch seconds."""
    start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    days = calendar.monthrange(now.year, now.month)[1]
    end = start.replace(day=days).timestamp() + 86400
    return start.timestamp(), end
