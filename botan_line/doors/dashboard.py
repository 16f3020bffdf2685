"""The console's cost dashboard: the ledger of the last N local days, per day and for the span.

Reads the ledger once and hands the rows to the pure functions of ``ops/stats.py``; what comes back
is plain JSON for the page's charts and tables.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Engine

from botan_line.config import BotConfig
from botan_line.core import stats
from botan_line.core.model import LAYERS
from botan_line.storage.store import ledger_rows

SPANS = (7, 14, 30, 90)  # the days the page offers
DEFAULT_SPAN = 14


def dashboard(engine: Engine, cfg: BotConfig, now: datetime, days: int = DEFAULT_SPAN) -> dict:
    """Per-day figures for the ``days`` local days ending today, and the report over all of them."""
    if days not in SPANS:
        raise ValueError(f"days must be one of {', '.join(map(str, SPANS))}")
    if now.tzinfo is None:
        raise ValueError("now must carry the bot's time zone: the days are its local days")
    first = now.date() - timedelta(days=days - 1)
    bounds = stats.day_bounds(first, days, now.tzinfo)
    since, until = bounds[0][1], bounds[-1][2]
    rows = stats.plain_rows(
        ledger_rows(engine, since, until + stats.FOLLOWUP_SECONDS)
    )  # read once, used twice
    per_day = stats.daily(rows, cfg=cfg, days=bounds)
    label = f"{bounds[0][0]} – {bounds[-1][0]}"
    report = stats.build_report(rows, cfg=cfg, since=since, until=until, label=label, per_sister=False)
    return {
        "span": days,
        "label": label,
        "layers": [[n.key, n.label, n.color] for n in LAYERS.values() if n.message],  # the charts' series
        "days": [d.to_json() for d in per_day],
        "report": report.to_json(),
        "projection": [
            {"layer1_share": round(share, 3), "monthly_yen": round(yen, 2)}
            for share, yen in stats.projection(report)
        ],
    }
