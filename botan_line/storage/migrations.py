"""Named, ordered schema migrations, frozen: each creates what it created when it was written.

Never edit a step that has shipped; add a new one at the end of ``MIGRATIONS``. The runner
(``storage.db.migrate``) records each applied name in ``schema_migrations``, one migrator at a
time across processes.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Boolean, Column, Float, Index, Integer, MetaData, String, Table, Text, inspect
from sqlalchemy.engine import Connection


def m0001_initial(conn: Connection) -> None:
    """The first schema: inbox, users, history, ledger, variation use, shared state, candidates, daily calls."""
    md = MetaData()
    inbox = Table(
        "inbox", md,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("event_id", String(64), nullable=False, unique=True),
        Column("chat_key", String(80), nullable=False),
        Column("event_type", String(40), nullable=False),
        Column("body", Text, nullable=False),
        Column("event_ts", Float, nullable=False),
        Column("received_at", Float, nullable=False),
        Column("status", String(16), nullable=False),
        Column("attempts", Integer, nullable=False),
        Column("lease_until", Float),
        Column("claimed_by", String(80)),
        Column("outgoing", Text),
        Column("outcome", String(40)),
        Column("error", Text),
        Column("finished_at", Float),
    )  # fmt: skip
    Index("ix_inbox_claim", inbox.c.status, inbox.c.event_ts)
    Index("ix_inbox_chat", inbox.c.chat_key, inbox.c.status)
    Table(
        "users", md,
        Column("user_id", String(64), primary_key=True),
        Column("sister", String(20), nullable=False),
        Column("display_name", String(100)),
        Column("active", Boolean, nullable=False),
        Column("first_seen", Float, nullable=False),
        Column("last_seen", Float, nullable=False),
        Column("messages", Integer, nullable=False),
        Column("switched_at", Float),
    )  # fmt: skip
    history = Table(
        "history", md,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("user_id", String(64), nullable=False),
        Column("sister", String(20), nullable=False),
        Column("role", String(10), nullable=False),
        Column("text", Text, nullable=False),
        Column("created_at", Float, nullable=False),
    )  # fmt: skip
    Index("ix_history_user", history.c.user_id, history.c.sister, history.c.id)
    ledger = Table(
        "ledger", md,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("created_at", Float, nullable=False),
        Column("user_id", String(64), nullable=False),
        Column("sister", String(20), nullable=False),
        Column("layer", String(12), nullable=False),
        Column("pattern", String(120)),
        Column("model", String(80)),
        Column("tier", String(10)),
        Column("score", Float),
        Column("prompt_tokens", Integer, nullable=False),
        Column("completion_tokens", Integer, nullable=False),
        Column("yen", Float, nullable=False),
        Column("strong_yen", Float, nullable=False),
        Column("latency_ms", Float, nullable=False),
        Column("guard", String(80)),
        Column("normalized", Text),
    )  # fmt: skip
    Index("ix_ledger_time", ledger.c.created_at)
    Index("ix_ledger_user", ledger.c.user_id, ledger.c.created_at)
    Table(
        "variation_use", md,
        Column("user_id", String(64), primary_key=True),
        Column("sister", String(20), primary_key=True),
        Column("pattern", String(120), primary_key=True),
        Column("used", String(400), nullable=False),
    )  # fmt: skip
    Table("state", md, Column("key", String(80), primary_key=True), Column("value", Text, nullable=False))
    candidates = Table(
        "candidates", md,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("sister", String(20), nullable=False),
        Column("kind", String(12), nullable=False),
        Column("pattern_id", String(120)),
        Column("trigger", Text, nullable=False),
        Column("replies", Text, nullable=False),
        Column("users", Integer, nullable=False),
        Column("status", String(10), nullable=False),
        Column("created_at", Float, nullable=False),
        Column("decided_at", Float),
        Column("decided_by", String(64)),
    )  # fmt: skip
    Index("ix_candidates_trigger", candidates.c.sister, candidates.c.trigger)
    Table(
        "daily_calls", md,
        Column("user_id", String(64), primary_key=True),
        Column("day", String(10), primary_key=True),
        Column("calls", Integer, nullable=False),
    )  # fmt: skip
    md.create_all(conn, checkfirst=True)


def _columns(conn: Connection, table: str) -> set[str]:
    return {c["name"] for c in inspect(conn).get_columns(table)}


def m0002_ledger_reply(conn: Connection) -> None:
    """The guard-passing Layer 2 reply, kept for learning."""
    if "reply" not in _columns(conn, "ledger"):  # databases whose 0001 already had it
        conn.exec_driver_sql("ALTER TABLE ledger ADD COLUMN reply TEXT")


def m0003_chat_leases(conn: Connection) -> None:
    """Chat leases (one worker per chat, renewed while it works), fair claims, one ledger row per event."""
    conn.exec_driver_sql(
        "CREATE TABLE chat_leases (chat_key VARCHAR(80) NOT NULL PRIMARY KEY, owner VARCHAR(80) NOT NULL, "
        "lease_until FLOAT NOT NULL)"
    )
    conn.exec_driver_sql("CREATE INDEX ix_inbox_runnable ON inbox (status, chat_key, id)")
    conn.exec_driver_sql("CREATE INDEX ix_inbox_pending ON inbox (status, id, chat_key)")
    conn.exec_driver_sql("CREATE INDEX ix_inbox_lease ON inbox (status, lease_until)")
    conn.exec_driver_sql("ALTER TABLE ledger ADD COLUMN event_id VARCHAR(64)")
    conn.exec_driver_sql("CREATE INDEX ix_ledger_event ON ledger (event_id)")


def m0004_learned_patterns(conn: Connection) -> None:
    """Learned patterns move from learned.yaml into the database (the source of truth for every
    machine), with a version counter every worker polls and an audit trail; candidates carry their
    cluster of paraphrases (triggers) and what the review shows of it (members)."""
    serial = (
        "SERIAL PRIMARY KEY" if conn.dialect.name == "postgresql" else "INTEGER PRIMARY KEY AUTOINCREMENT"
    )
    conn.exec_driver_sql("ALTER TABLE candidates ADD COLUMN triggers TEXT")
    conn.exec_driver_sql("ALTER TABLE candidates ADD COLUMN members TEXT")
    conn.exec_driver_sql(
        f"CREATE TABLE learned_patterns (id {serial}, sister VARCHAR(20) NOT NULL, kind VARCHAR(12) NOT NULL, "
        "pattern_id VARCHAR(80) NOT NULL, body TEXT NOT NULL, candidate_id INTEGER, "
        "approved_by VARCHAR(64) NOT NULL, approved_at FLOAT NOT NULL)"
    )
    conn.exec_driver_sql(
        "CREATE UNIQUE INDEX ux_learned_patterns ON learned_patterns (sister, kind, pattern_id)"
    )
    conn.exec_driver_sql(
        "CREATE TABLE learned_version (id INTEGER NOT NULL PRIMARY KEY, version INTEGER NOT NULL, "
        "changed_at FLOAT NOT NULL)"
    )
    conn.exec_driver_sql("INSERT INTO learned_version (id, version, changed_at) VALUES (1, 0, 0)")
    conn.exec_driver_sql(
        f"CREATE TABLE learned_audit (id {serial}, at FLOAT NOT NULL, admin VARCHAR(64) NOT NULL, "
        "action VARCHAR(20) NOT NULL, sister VARCHAR(20) NOT NULL, pattern_id VARCHAR(80) NOT NULL, "
        "candidate_id INTEGER, detail TEXT)"
    )


def m0005_safety(conn: Connection) -> None:
    """Which safety signal decided a turn: a rule id, ``moderation:<category>``, or why moderation was not heard."""
    conn.exec_driver_sql("ALTER TABLE ledger ADD COLUMN safety VARCHAR(80)")


def m0006_layer2_memory(conn: Connection) -> None:
    """Cached prompt tokens in the ledger, a fan's nickname and facts, Layer 2 calls per day and tier."""
    conn.exec_driver_sql("ALTER TABLE ledger ADD COLUMN cached_tokens INTEGER NOT NULL DEFAULT 0")
    conn.exec_driver_sql("ALTER TABLE users ADD COLUMN nickname VARCHAR(40)")
    conn.exec_driver_sql(
        "CREATE TABLE fan_facts (user_id VARCHAR(64) NOT NULL, key VARCHAR(20) NOT NULL, "
        "value VARCHAR(80) NOT NULL, updated_at FLOAT NOT NULL, PRIMARY KEY (user_id, key))"
    )
    conn.exec_driver_sql(
        "CREATE TABLE daily_tiers (day VARCHAR(10) NOT NULL, tier VARCHAR(10) NOT NULL, "
        "calls INTEGER NOT NULL, PRIMARY KEY (day, tier))"
    )


def m0008_line_native(conn: Connection) -> None:
    """LINE-native: the rich menus ``richmenu sync`` made (one per sister), and every push LINE counts."""
    conn.exec_driver_sql(
        "CREATE TABLE rich_menus (sister VARCHAR(20) NOT NULL PRIMARY KEY, rich_menu_id VARCHAR(64) NOT NULL, "
        "digest VARCHAR(64) NOT NULL, created_at FLOAT NOT NULL)"
    )
    conn.exec_driver_sql(
        "CREATE TABLE pushes (id INTEGER NOT NULL PRIMARY KEY, created_at FLOAT NOT NULL, "
        "kind VARCHAR(16) NOT NULL, recipients INTEGER NOT NULL, retry_key VARCHAR(64) UNIQUE, "
        "event_id VARCHAR(64))"
        if conn.dialect.name == "sqlite"
        else "CREATE TABLE pushes (id SERIAL NOT NULL PRIMARY KEY, created_at FLOAT NOT NULL, "
        "kind VARCHAR(16) NOT NULL, recipients INTEGER NOT NULL, retry_key VARCHAR(64) UNIQUE, "
        "event_id VARCHAR(64))"
    )
    conn.exec_driver_sql("CREATE INDEX ix_pushes_time ON pushes (created_at)")


def m0009_model_generation(conn: Connection) -> None:
    """What the reasoning models bill besides input and output: reasoning tokens (of the completion)
    and prompt tokens written to the cache."""
    conn.exec_driver_sql("ALTER TABLE ledger ADD COLUMN reasoning_tokens INTEGER NOT NULL DEFAULT 0")
    conn.exec_driver_sql("ALTER TABLE ledger ADD COLUMN cache_write_tokens INTEGER NOT NULL DEFAULT 0")


def m0010_candidate_meaning(conn: Connection) -> None:
    """What a candidate means, for its approval and its review: the signature its learned pattern will
    match by (and what it would and would not answer), and a note for the admin (lines to write)."""
    conn.exec_driver_sql("ALTER TABLE candidates ADD COLUMN meaning TEXT")
    conn.exec_driver_sql("ALTER TABLE candidates ADD COLUMN note TEXT")


def m0011_media(conn: Connection) -> None:
    """Fans' photos and voice notes: what kind of turn a ledger row was, its photos' estimated prompt
    tokens and the seconds of audio transcribed; photo and voice turns per fan and day (the daily cap).
    No bytes of a photo or a voice note are ever stored."""
    conn.exec_driver_sql("ALTER TABLE ledger ADD COLUMN media VARCHAR(20)")
    conn.exec_driver_sql("ALTER TABLE ledger ADD COLUMN image_tokens INTEGER NOT NULL DEFAULT 0")
    conn.exec_driver_sql("ALTER TABLE ledger ADD COLUMN audio_seconds FLOAT NOT NULL DEFAULT 0")
    conn.exec_driver_sql(
        "CREATE TABLE daily_media (user_id VARCHAR(64) NOT NULL, day VARCHAR(10) NOT NULL, "
        "turns INTEGER NOT NULL, PRIMARY KEY (user_id, day))"
    )


def m0012_stream_nights(conn: Connection) -> None:
    """Stream nights: fans who asked for notices, notices (sent now or at a time, each once) and the
    batches they went out in, and which LINE message each stored text came from (so an unsend can
    take it back)."""
    conn.exec_driver_sql("ALTER TABLE users ADD COLUMN notify BOOLEAN NOT NULL DEFAULT FALSE")
    conn.exec_driver_sql("ALTER TABLE users ADD COLUMN nickname_message_id VARCHAR(64)")
    conn.exec_driver_sql("ALTER TABLE history ADD COLUMN message_id VARCHAR(64)")
    conn.exec_driver_sql("ALTER TABLE ledger ADD COLUMN message_id VARCHAR(64)")
    conn.exec_driver_sql("ALTER TABLE fan_facts ADD COLUMN message_id VARCHAR(64)")
    conn.exec_driver_sql(
        "CREATE TABLE notices (id INTEGER NOT NULL PRIMARY KEY, key VARCHAR(64) NOT NULL UNIQUE, "
        "sister VARCHAR(20) NOT NULL, text TEXT NOT NULL, title VARCHAR(100), audience VARCHAR(10) NOT NULL, "
        "due_at FLOAT NOT NULL, status VARCHAR(12) NOT NULL, created_by VARCHAR(64) NOT NULL, "
        "created_at FLOAT NOT NULL, claimed_by VARCHAR(80), lease_until FLOAT, sent_at FLOAT, "
        "recipients INTEGER, remember_until FLOAT, error VARCHAR(80))"
    )
    conn.exec_driver_sql("CREATE INDEX ix_notices_due ON notices (status, due_at)")
    conn.exec_driver_sql(
        "CREATE TABLE notice_batches (notice_id INTEGER NOT NULL, n INTEGER NOT NULL, "
        "retry_key VARCHAR(64) NOT NULL, user_ids TEXT, recipients INTEGER NOT NULL, sent_at FLOAT, "
        "PRIMARY KEY (notice_id, n))"
    )


MIGRATIONS: list[tuple[str, Callable[[Connection], None]]] = [
    ("0001_initial", m0001_initial),
    ("0002_ledger_reply", m0002_ledger_reply),
    ("0003_chat_leases", m0003_chat_leases),
    ("0004_learned_patterns", m0004_learned_patterns),
    ("0005_safety", m0005_safety),
    ("0006_layer2_memory", m0006_layer2_memory),
    ("0008_line_native", m0008_line_native),
    ("0009_model_generation", m0009_model_generation),
    ("0010_candidate_meaning", m0010_candidate_meaning),
    ("0011_media", m0011_media),
    ("0012_stream_nights", m0012_stream_nights),
]
