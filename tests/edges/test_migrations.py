"""The frozen migrations build exactly the schema ``storage/db.py`` describes, on every database."""

from __future__ import annotations

from sqlalchemy import inspect, select

from botan_line.storage.db import learned_version, metadata, migrate


def test_migrations_build_the_tables_the_queries_use(database_url):
    from botan_line.storage.db import connect

    engine = connect(database_url)
    try:
        found = inspect(engine)
        for table in metadata.sorted_tables:
            columns = {c["name"] for c in found.get_columns(table.name)}
            assert columns == {c.name for c in table.columns}, table.name
            indexes = {i["name"] for i in found.get_indexes(table.name)}
            assert {i.name for i in table.indexes} <= indexes, table.name
        with engine.connect() as conn:
            assert conn.scalar(select(learned_version.c.version)) == 0  # the counter workers poll
        assert migrate(engine) == []  # applied once, recorded
    finally:
        engine.dispose()
