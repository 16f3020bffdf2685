"""Database: SQLAlchemy Core tables (today's schema), the engine, and the migration runner.

The tables here are what queries use; ``storage/migrations.py`` holds the frozen steps that built
them, recorded in ``schema_migrations``.

SQLite (WAL, busy timeout) by default, PostgreSQL by URL. Timestamps are UTC epoch seconds.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from pathlib import Path

from sqlalchemy import (
    Boolean,
    Column,
    Engine,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
    insert,
    select,
    update,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError

log = logging.getLogger(__name__)
metadata = MetaData()

migrations_table = Table(
    "schema_migrations",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("applied_at", Float, nullable=False),
)

# One row per LINE webhook event; the worker's queue and its outbox.
inbox = Table(
    "inbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("event_id", String(64), nullable=False, unique=True),  # webhookEventId
    Column("chat_key", String(80), nullable=False),  # user/group/room: events of one chat run in order
    Column("event_type", String(40), nullable=False),
    Column("body", Text, nullable=False),  # the event JSON as LINE sent it
    Column("event_ts", Float, nullable=False),  # when it happened (LINE timestamp, seconds)
    Column("received_at", Float, nullable=False),
    Column("status", String(16), nullable=False, default="pending"),  # pending|working|done|failed
    Column("attempts", Integer, nullable=False, default=0),
    Column("lease_until", Float),
    Column("claimed_by", String(80)),
    Column("outgoing", Text),  # decided messages (JSON) once the pipeline ran: resends never re-decide
    Column("outcome", String(40)),  # replied|pushed|expired|standby|nothing|already_sent|...
    Column("error", Text),
    Column("finished_at", Float),
)
Index("ix_inbox_claim", inbox.c.status, inbox.c.event_ts)
Index("ix_inbox_chat", inbox.c.chat_key, inbox.c.status)
Index("ix_inbox_runnable", inbox.c.status, inbox.c.chat_key, inbox.c.id)
Index("ix_inbox_pending", inbox.c.status, inbox.c.id, inbox.c.chat_key)
Index("ix_inbox_lease", inbox.c.status, inbox.c.lease_until)

# Which worker holds a chat: one chat's events are handled by one worker at a time, in order.
chat_leases = Table(
    "chat_leases",
    metadata,
    Column("chat_key", String(80), primary_key=True),
    Column("owner", String(80), nullable=False),
    Column("lease_until", Float, nullable=False),
)

users = Table(
    "users",
    metadata,
    Column("user_id", String(64), primary_key=True),
    Column("sister", String(20), nullable=False),
    Column("display_name", String(100)),
    Column("active", Boolean, nullable=False, default=True),
    Column("first_seen", Float, nullable=False),
    Column("last_seen", Float, nullable=False),
    Column("messages", Integer, nullable=False, default=0),
    Column("switched_at", Float),
    Column("nickname", String(40)),  # what the fan asked to be called (SetNickname); /forget clears it
    Column("notify", Boolean, nullable=False, default=False),  # asked for notices (/notify on); 0012
    Column("nickname_message_id", String(64)),  # the LINE message that asked for the nickname (unsend); 0012
)

# A few small things a fan chose to share (core/facts.py), one row per key; /forget deletes them.
fan_facts = Table(
    "fan_facts",
    metadata,
    Column("user_id", String(64), primary_key=True),
    Column("key", String(20), primary_key=True),
    Column("value", String(80), nullable=False),
    Column("updated_at", Float, nullable=False),
    Column("message_id", String(64)),  # the LINE message it was said in (an unsend takes it back); 0012
)

history = Table(
    "history",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", String(64), nullable=False),
    Column("sister", String(20), nullable=False),
    Column("role", String(10), nullable=False),  # user|assistant
    Column("text", Text, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("message_id", String(64)),  # a fan's row: the LINE message it came from (unsend); 0012
)
Index("ix_history_user", history.c.user_id, history.c.sister, history.c.id)

# One row per reply, every layer: what it cost and how it was decided.
ledger = Table(
    "ledger",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("created_at", Float, nullable=False),
    Column("user_id", String(64), nullable=False),
    Column("sister", String(20), nullable=False),
    Column("layer", String(12), nullable=False),  # command|safety|layer1|layer2|fallback|event
    Column("pattern", String(120)),
    Column("model", String(80)),
    Column("tier", String(10)),
    Column("score", Float),
    Column("prompt_tokens", Integer, nullable=False, default=0),
    Column("completion_tokens", Integer, nullable=False, default=0),
    Column("cached_tokens", Integer, nullable=False, default=0),  # of prompt_tokens, from the prompt cache
    Column("reasoning_tokens", Integer, nullable=False, default=0),  # of completion_tokens (0009)
    Column(
        "cache_write_tokens", Integer, nullable=False, default=0
    ),  # of prompt_tokens, written to the cache
    Column("yen", Float, nullable=False, default=0.0),
    Column("strong_yen", Float, nullable=False, default=0.0),  # what the strong tier would have cost
    Column("latency_ms", Float, nullable=False, default=0.0),
    Column("guard", String(80)),  # pass | reject:<reason>[,retry...]
    # the normalised message when Layer 2 was asked or Layer 1 answered (never for safety rows)
    Column("normalized", Text),
    Column("reply", Text),  # the guard-passing Layer 2 reply, for learning
    Column("event_id", String(64)),  # the webhook event decided (one row per decision: never decided twice)
    # which safety signal decided: "<kind>:<rule id>", "<kind>:moderation:<category>", or
    # "moderation_unavailable:<reason>" when the second opinion could not be heard; never the fan's words
    Column("safety", String(80)),
    Column("message_id", String(64)),  # the LINE message answered (the last bubble of a merged turn); 0012
    Column("media", String(20)),  # a photo or voice turn: image | image:<n> | audio (0011)
    Column("image_tokens", Integer, nullable=False, default=0),  # of prompt_tokens, the photos' (estimated)
    Column("audio_seconds", Float, nullable=False, default=0.0),  # transcribed (priced in yen)
)
Index("ix_ledger_time", ledger.c.created_at)
Index("ix_ledger_user", ledger.c.user_id, ledger.c.created_at)
Index("ix_ledger_event", ledger.c.event_id)

# Which reply variations a user has already had, per pattern (no immediate repetition).
variation_use = Table(
    "variation_use",
    metadata,
    Column("user_id", String(64), primary_key=True),
    Column("sister", String(20), primary_key=True),
    Column("pattern", String(120), primary_key=True),
    Column("used", String(400), nullable=False, default=""),  # comma-separated indexes, oldest first
)

# Small key/value state shared by every process: budget notices, pause switch.
state = Table(
    "state",
    metadata,
    Column("key", String(80), primary_key=True),
    Column("value", Text, nullable=False),
)

# Learning: candidate Layer 1 lines waiting for an admin.
candidates = Table(
    "candidates",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("sister", String(20), nullable=False),
    Column("kind", String(12), nullable=False),  # pattern|variation
    Column("pattern_id", String(120)),  # for variations: the pattern they extend
    Column("trigger", Text, nullable=False),
    Column("replies", Text, nullable=False),  # JSON list
    Column("users", Integer, nullable=False, default=0),
    Column("status", String(10), nullable=False, default="open"),  # open|approved|rejected
    Column("created_at", Float, nullable=False),
    Column("decided_at", Float),
    Column("decided_by", String(64)),
    Column("triggers", Text),  # JSON list: every wording of the cluster, as Layer 1 sees it (0004)
    Column("members", Text),  # JSON list of {"text", "users"}: what the review shows (0004)
    Column("meaning", Text),  # JSON: {"meaning": signature, "would": [...], "wont": [...]} (0010)
    Column("note", Text),  # for the admin: why the replies need writing (0010)
)
Index("ix_candidates_trigger", candidates.c.sister, candidates.c.trigger)

# Per-user daily Layer 2 counter (atomic increments enforce the cap across processes).
daily_calls = Table(
    "daily_calls",
    metadata,
    Column("user_id", String(64), primary_key=True),
    Column("day", String(10), primary_key=True),
    Column("calls", Integer, nullable=False, default=0),
)

# Photo and voice turns per fan and day (media.per_user_daily); never the bytes (0011).
daily_media = Table(
    "daily_media",
    metadata,
    Column("user_id", String(64), primary_key=True),
    Column("day", String(10), primary_key=True),
    Column("turns", Integer, nullable=False, default=0),
)

# Layer 2 calls per day and tier, all fans together (the strong tier's daily share).
daily_tiers = Table(
    "daily_tiers",
    metadata,
    Column("day", String(10), primary_key=True),
    Column("tier", String(10), primary_key=True),
    Column("calls", Integer, nullable=False, default=0),
)


# The rich menus `botan-line richmenu sync` made: one per sister, so a switch can link the fan's menu.
rich_menus = Table(
    "rich_menus",
    metadata,
    Column("sister", String(20), primary_key=True),
    Column("rich_menu_id", String(64), nullable=False),
    Column("digest", String(64), nullable=False),  # of the menu JSON and image: an unchanged menu is kept
    Column("created_at", Float, nullable=False),
)

# Every message LINE counts against the monthly quota: pushes, admin notices, announcements.
pushes = Table(
    "pushes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("created_at", Float, nullable=False),
    Column("kind", String(16), nullable=False),  # answer|notice|announce
    Column("recipients", Integer, nullable=False),  # LINE counts one message per recipient
    Column("retry_key", String(64), unique=True),  # the request's X-Line-Retry-Key: counted once
    Column("event_id", String(64)),
)
Index("ix_pushes_time", pushes.c.created_at)

# Notices to fans (/announce): sent now or at a time, each exactly once across workers and crashes (0012).
notices = Table(
    "notices",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),  # what /announce list and cancel show
    Column(
        "key", String(64), nullable=False, unique=True
    ),  # the draft's UUID: LINE retry keys derive from it
    Column("sister", String(20), nullable=False),  # sent as her
    Column("text", Text, nullable=False),
    Column("title", String(100)),  # the stream's name (『…』 【…】 「…」 in the text), what her lines name
    Column("audience", String(10), nullable=False),  # optin (multicast to fans who asked) | all (broadcast)
    Column("due_at", Float, nullable=False),
    Column("status", String(12), nullable=False),  # scheduled | sending | sent | cancelled | dropped | failed
    Column("created_by", String(64), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("claimed_by", String(80)),  # the worker sending it (a lapsed lease is taken over)
    Column("lease_until", Float),
    Column("sent_at", Float),
    Column("recipients", Integer),  # messages LINE accepted (one per recipient)
    Column("remember_until", Float),  # the sisters know what it announced until then
    Column("error", String(80)),  # why it was dropped or failed (never a fan's words)
)
Index("ix_notices_due", notices.c.status, notices.c.due_at)
# The requests a notice went out in: ≤ 500 fans each, each with its own retry key, recorded when
# LINE accepted it, so a notice taken over after a crash resends only what LINE has not accepted.
notice_batches = Table(
    "notice_batches",
    metadata,
    Column("notice_id", Integer, primary_key=True),
    Column("n", Integer, primary_key=True),
    Column("retry_key", String(64), nullable=False),
    Column("user_ids", Text),  # JSON list (multicast); None: a broadcast
    Column("recipients", Integer, nullable=False),
    Column("sent_at", Float),
)

# Learned Layer 1 patterns: the source of truth for every machine (0004). One row per learned
# pattern, or per set of approved variations of a file pattern; ``body`` is its YAML-schema dict.
learned_patterns = Table(
    "learned_patterns",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("sister", String(20), nullable=False),
    Column("kind", String(12), nullable=False),  # pattern | variation
    Column("pattern_id", String(80), nullable=False),  # learned_12, or the file pattern varied
    Column("body", Text, nullable=False),  # JSON
    Column("candidate_id", Integer),
    Column("approved_by", String(64), nullable=False),
    Column("approved_at", Float, nullable=False),
)
Index("ux_learned_patterns", learned_patterns.c.sister, learned_patterns.c.kind, learned_patterns.c.pattern_id,
      unique=True)  # fmt: skip
# One row (id 1): bumped by every change of learned_patterns, read by every worker every 2 s.
learned_version = Table(
    "learned_version",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("version", Integer, nullable=False),
    Column("changed_at", Float, nullable=False),
)
# Who changed what in the learned patterns, and when: approvals, edits, imports, removals.
learned_audit = Table(
    "learned_audit",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", Float, nullable=False),
    Column("admin", String(64), nullable=False),
    Column("action", String(20), nullable=False),  # approve | learn | import | remove
    Column("sister", String(20), nullable=False),
    Column("pattern_id", String(80), nullable=False),
    Column("candidate_id", Integer),
    Column("detail", Text),  # JSON: the body written
)


class DatabaseGone(DisconnectionError):
    """The SQLite file was deleted or replaced under a running service."""


def _sqlite_file_engine(url: str, path: Path) -> Engine:
    """A SQLite engine that never writes into a file nobody can see.

    Every pooled connection remembers the file it opened (device, inode); at checkout a deleted or
    replaced file makes it drop the connection, and new connections open the file only if it
    exists (``mode=rw``), so the webhook answers 503 instead of acking into an unlinked inode."""
    path.parent.mkdir(parents=True, exist_ok=True)
    sqlite3.connect(path).close()  # create it once, here; later connections never do
    uri = f"file:{path}?mode=rw"

    def creator():
        return sqlite3.connect(uri, uri=True, timeout=30, check_same_thread=False)

    # a small pool: opening a SQLite connection (and its PRAGMAs) per request costs more than the insert
    engine = create_engine(url, creator=creator, pool_size=4, max_overflow=8, hide_parameters=True)

    def identity() -> tuple[int, int] | None:
        try:
            st = os.stat(path)
        except OSError:
            return None
        return st.st_dev, st.st_ino

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_conn, record):
        record.info["file"] = identity()
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA cache_size=-1024")  # 1 MiB per connection; the OS caches the file anyway
        # Checkpoints (the only fsyncs in WAL mode) are left to the inbox worker (``checkpoint``),
        # so a webhook ack never pays for one; this high mark is only a backstop.
        cur.execute("PRAGMA wal_autocheckpoint=20000")
        cur.close()

    @event.listens_for(engine, "checkout")
    def _still_there(_dbapi_conn, record, _proxy):
        now = identity()
        if now is None or now != record.info.get("file"):
            raise DatabaseGone("the database file was deleted or replaced")

    return engine


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            return _sqlite_file_engine(url, Path(parsed.database))
        return create_engine(url, hide_parameters=True, connect_args={"check_same_thread": False})
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    # hide_parameters: SQL errors never quote what users wrote into logs or the inbox
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5, hide_parameters=True)


def migrate(engine: Engine) -> list[str]:
    """Apply pending migrations (``storage/migrations.py``) in order; return the names applied."""
    import time

    from botan_line.storage.migrations import MIGRATIONS

    applied: list[str] = []
    with engine.begin() as conn:
        migrations_table.create(conn, checkfirst=True)
    with engine.begin() as conn:
        # one migrator at a time across processes: take the write lock before reading what is done
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql("SELECT pg_advisory_xact_lock(71520301)")
        else:
            conn.execute(update(migrations_table).where(migrations_table.c.name.is_(None)).values(name=None))
        done = set(conn.scalars(select(migrations_table.c.name)))
        for name, step in MIGRATIONS:
            if name in done:
                continue
            step(conn)
            conn.execute(insert(migrations_table).values(name=name, applied_at=time.time()))
            applied.append(name)
    if applied:
        log.info("database migrated: %s", ", ".join(applied))
    return applied


def checkpoint(engine: Engine) -> None:
    """Fold the SQLite write-ahead log back into the database (no-op elsewhere)."""
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")


def connect(url: str) -> Engine:
    engine = make_engine(url)
    migrate(engine)
    return engine
