"""The dashboard's data: the ledger of the last N local days, per day and for the whole span."""

from __future__ import annotations

from datetime import datetime

import pytest
from conftest import TZ

from botan_line.config import BotConfig
from botan_line.core.model import Decision, LedgerEntry
from botan_line.doors.dashboard import SPANS, dashboard
from botan_line.storage.db import connect
from botan_line.storage.store import Store

NOW = datetime(2026, 11, 28, 18, 0, tzinfo=TZ)


def write(store: Store, when: str, layer: str, **entry) -> None:
    at = datetime.fromisoformat(when).replace(tzinfo=TZ)
    store.apply(Decision(ledger=LedgerEntry("U1", "botan", layer, **entry)), at)


def test_days_and_span_from_the_ledger(database_url):
    engine = connect(database_url)
    store = Store(engine)
    write(store, "2026-11-21T23:59", "layer1", pattern="botan:night")  # the day before a 7-day span
    write(store, "2026-11-22T00:00", "layer1", pattern="botan:morning")
    write(store, "2026-11-27T12:00", "layer2", model="gpt-4o-mini", tier="cheap", yen=0.03, strong_yen=0.4)
    write(store, "2026-11-27T13:00", "layer2", model="gpt-4o", tier="strong", yen=0.5, strong_yen=0.5)
    write(store, "2026-11-28T09:00", "command", pattern="stats")
    data = dashboard(engine, BotConfig(), NOW, days=7)
    assert data["label"] == "2026-11-22 – 2026-11-28" and data["span"] == 7
    days = {d["day"]: d for d in data["days"]}
    assert list(days) == [f"2026-11-{n}" for n in range(22, 29)]
    assert days["2026-11-22"]["layers"]["layer1"] == 1
    assert days["2026-11-27"]["tiers"] == {"cheap": 1, "strong": 1}
    assert days["2026-11-27"]["yen"] == pytest.approx(0.53)
    assert (days["2026-11-28"]["messages"], days["2026-11-28"]["commands"]) == (0, 1)
    overall = data["report"]["overall"]
    assert overall["messages"] == 3 and overall["yen"] == pytest.approx(0.53)
    assert data["report"]["sisters"] == {}  # not shown: not computed
    assert overall["all_strong_yen"] == pytest.approx(
        sum(d["all_strong_yen"] for d in data["days"]), abs=1e-3
    )
    assert data["projection"][0]["layer1_share"] == pytest.approx(1 / 3, abs=1e-3)
    engine.dispose()


def test_only_the_offered_spans(sqlite_url):
    assert SPANS == (7, 14, 30, 90)
    with pytest.raises(ValueError, match="days must be one of"):
        dashboard(connect(sqlite_url), None, NOW, days=3)
