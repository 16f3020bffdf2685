"""Signed events whose fields break LINE's webhook schema: acknowledged, stored, finished as refused — never
decided, never a request to LINE that LINE's own OpenAPI document does not allow (the fake LINE server
checks every request against messaging-api.yml), never a 5xx, never left pending. A deterministic sample
here; bench/fuzz.py runs all of them."""

from __future__ import annotations

import logging

from fuzz_kit import sample
from sqlalchemy import select

from botan_line.storage.db import inbox as inbox_table


def test_malformed_signed_events_are_refused_and_nothing_malformed_reaches_line(sbot, caplog):
    caplog.set_level(logging.WARNING)
    bodies = sample(sbot.clock.ms, share=0.12)
    assert len(bodies) > 300
    statuses = [sbot.post(event).status_code for _what, event in bodies]
    assert max(statuses) < 500
    sbot.work(limit=20_000)
    with sbot.services.engine.connect() as conn:
        rows = conn.execute(select(inbox_table.c.status, inbox_table.c.outcome)).all()
    assert {status for status, _ in rows} == {"done"}  # nothing pending, nothing stuck
    outcomes = [outcome for _, outcome in rows]
    assert outcomes.count("refused") > len(bodies) // 3
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    # the fake LINE server's own check (conftest) fails the test on any request LINE would refuse
    assert sbot.line.violations == []
