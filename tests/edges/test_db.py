"""The schema: frozen migrations build the tables the code queries, on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import inspect, select, text

from botan_line.storage import migrations
from botan_line.storage.db import ledger, make_engine, metadata, migrate


def test_the_migrations_build_todays_tables(database_url):
    engine = make_engine(database_url)
    try:
        migrate(engine)
        found = inspect(engine)
        for table in metadata.sorted_tables:
            assert {c["name"] for c in found.get_columns(table.name)} == set(table.c.keys()), table.name
    finally:
        engine.dispose()


def test_0005_adds_the_safety_signal_to_an_existing_ledger(database_url, monkeypatch):
    engine = make_engine(database_url)
    try:
        before = [m for m in migrations.MIGRATIONS if m[0] < "0005"]
        monkeypatch.setattr(migrations, "MIGRATIONS", before)
        migrate(engine)
        with engine.begin() as conn:  # a row written before 0005 existed
            conn.execute(
                text(
                    "INSERT INTO ledger (created_at, user_id, sister, layer, prompt_tokens, completion_tokens,"
                    " yen, strong_yen, latency_ms) VALUES (1, 'U1', 'botan', 'safety', 0, 0, 0, 0, 0.1)"
                )
            )
        monkeypatch.undo()
        assert migrate(engine)[0] == "0005_safety"  # and whatever came after it
        with engine.connect() as conn:
            old = conn.execute(select(ledger)).one()
        assert (old.user_id, old.layer, old.safety) == ("U1", "safety", None)
    finally:
        engine.dispose()
