"""Test harness: the real app over HTTP, fake LINE and OpenAI servers, an injected clock.

``bot.say("おはよう")`` posts a signed webhook event to the running app, lets a worker handle it
and returns what the fake LINE server received — tests read like chats.
"""

from __future__ import annotations

import os
import shutil
import sys
import threading
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import requests
from sqlalchemy import create_engine, text
from werkzeug.serving import make_server

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corebot import CoreBot, FakeContent, FakeModel  # noqa: E402
from fakes import FakeLine, FakeOpenAI, sign, text_event, webhook_body  # noqa: E402

from botan_line.characters.timewords import FILL_WORDS  # noqa: E402
from botan_line.doors.webhook import create_app  # noqa: E402
from botan_line.doors.worker import Worker  # noqa: E402
from botan_line.settings import Settings  # noqa: E402
from botan_line.wiring import build  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SECRET = "test-channel-secret"
TOKEN = "test-token"
ADMIN = "Uadmin0000000000000000000000000001"
TZ = ZoneInfo("Asia/Tokyo")
POSTGRES_URL = os.environ.get("BOTAN_TEST_POSTGRES_URL", "")
DATABASES = ["sqlite"] + (["postgres"] if POSTGRES_URL else [])


class Clock:
    """Injected wall clock (epoch seconds). Tests move it; nothing sleeps."""

    def __init__(self, when: datetime):
        self.t = when.timestamp()

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.t, TZ)

    def set(self, iso: str) -> None:
        self.t = datetime.fromisoformat(iso).replace(tzinfo=TZ).timestamp()

    @property
    def ms(self) -> int:
        return int(self.t * 1000)


def reset_postgres(url: str) -> None:
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture
def characters_dir(tmp_path) -> Path:
    """A private copy of the character files, so a test may edit them."""
    dest = tmp_path / "characters"
    shutil.copytree(REPO / "characters", dest, ignore=shutil.ignore_patterns("learned.yaml"))
    return dest


@pytest.fixture(params=DATABASES)
def database_url(request, tmp_path) -> str:
    if request.param == "postgres":
        reset_postgres(POSTGRES_URL)
        return POSTGRES_URL
    return f"sqlite:///{tmp_path / 'botan.db'}"


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'botan.db'}"


def spec_checked_line() -> FakeLine:
    """A FakeLine that checks every request it receives, and every answer it gives, against LINE's
    OpenAPI documents (tests/line_spec.py); problems collect in ``violations``."""
    from line_spec import line_spec

    spec = line_spec()
    return FakeLine(
        token=TOKEN,
        check=lambda r: spec.check_request(r.method, r.path, r.query, r.headers, r.raw),
        check_answer=lambda r, status, body: spec.check_response(r.method, r.path, status, body),
    )


@pytest.fixture
def line():
    with spec_checked_line() as fake:
        yield fake
    assert fake.violations == [], "requests or answers that LINE's OpenAPI documents do not allow"


@pytest.fixture
def openai_fake():
    with FakeOpenAI() as fake:
        yield fake


@pytest.fixture
def make_settings(tmp_path, characters_dir, line, openai_fake):
    def make(database_url: str, **overrides) -> Settings:
        values = dict(
            data_dir=tmp_path,
            database_url=database_url,
            characters_dir=characters_dir,
            line_channel_secret=SECRET,
            line_channel_access_token=TOKEN,
            line_api_base_url=line.url,
            openai_api_key="test-key",
            openai_base_url=openai_fake.url + "/v1",
            admin_user_ids=frozenset({ADMIN}),
            worker=False,
        )
        values.update(overrides)
        return Settings(**values)

    return make


class Bot:
    def __init__(self, services, line: FakeLine, ai: FakeOpenAI, clock: Clock, url: str):
        self.services = services
        self.line = line
        self.ai = ai
        self.clock = clock
        self.url = url
        self.http = requests.Session()
        self.worker = Worker(services, name="test-worker", clock=clock, inline=True)

    # --- the webhook ---------------------------------------------------------------------------
    def post_body(self, body: bytes, signature: str | None = "sign") -> requests.Response:
        headers = {"Content-Type": "application/json"}
        if signature == "sign":
            signature = sign(body, SECRET)
        if signature is not None:
            headers["X-Line-Signature"] = signature
        return self.http.post(self.url + "/callback", data=body, headers=headers, timeout=10)

    def post(self, *events: dict) -> requests.Response:
        return self.post_body(webhook_body(*events))

    def work(self, limit: int = 200) -> int:
        """Let the worker handle everything, moving the clock past any merge window it waits in."""
        steps = self.worker.drain(limit)
        while self.worker.waiting_jobs():
            self.clock.advance(self.services.settings.merge_seconds)
            steps += self.worker.drain(limit)
        return steps

    def deliver(self, *events: dict) -> list[str]:
        """Post events, let the worker handle them, return the texts LINE received meanwhile."""
        before = len(self.line.sent_texts())
        response = self.post(*events)
        assert response.status_code == 200, response.text
        self.work()
        return self.line.sent_texts()[before:]

    def say(self, message: str, user: str = "Utest1", **kw) -> str:
        """What this user was answered (admin notices pushed meanwhile are not part of it)."""
        event = text_event(message, user, timestamp_ms=self.clock.ms, **kw)
        before = len(self.line.requests)
        self.deliver(event)
        sent = [r.json for r in self.line.requests[before:] if r.path.endswith(("/reply", "/push"))]
        mine = [b for b in sent if b.get("replyToken") == event["replyToken"] or b.get("to") == user]
        return "\n".join(m.get("text") or m.get("altText", "") for b in mine for m in b["messages"])

    # --- what happened -------------------------------------------------------------------------
    def ledger(self) -> list:
        from sqlalchemy import select

        from botan_line.storage.db import ledger

        with self.services.engine.connect() as conn:
            return conn.execute(select(ledger).order_by(ledger.c.id)).all()

    def last(self):
        rows = self.ledger()
        return rows[-1] if rows else None

    def lines(self, sister: str, key: str) -> list[str]:
        """A sister's fixed lines as a user can receive them (placeholders filled in every way)."""
        persona = self.services.characters.current.persona(sister)
        out = []
        for line in getattr(persona.lines, key):
            line = line.replace("{name}", persona.address)
            out += [line.replace("{band}", band) for band in FILL_WORDS]
        return out

    def user_sister(self, user: str = "Utest1") -> str:
        return self.services.store.user(user).sister


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 11, 28, 12, 0, tzinfo=TZ))


@pytest.fixture
def make_bot(make_settings, line, openai_fake, clock):
    started = []

    def make(database_url: str, **overrides) -> Bot:
        services = build(
            make_settings(database_url, **overrides), with_line=True, sleep=lambda _s: None, check_clock=clock
        )
        app = create_app(services=services, start_workers=False)
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        thread.start()
        started.append((server, services))
        return Bot(services, line, openai_fake, clock, f"http://127.0.0.1:{server.server_port}")

    yield make
    for server, services in started:
        server.shutdown()
        server.server_close()
        services.engine.dispose()


@pytest.fixture
def bot(make_bot, database_url) -> Bot:
    """The bot on every configured database (SQLite always, PostgreSQL when configured)."""
    return make_bot(database_url)


@pytest.fixture
def sbot(make_bot, sqlite_url) -> Bot:
    """The bot on SQLite only, for tests about behaviour rather than storage."""
    return make_bot(sqlite_url)


@pytest.fixture
def make_core(tmp_path, characters_dir, clock):
    """The core in-process (no HTTP, no worker): ``make_core(layer2=False, config=...)``."""
    made = []

    def make(layer2: bool = True, **overrides) -> CoreBot:
        values = dict(
            data_dir=tmp_path,
            database_url=f"sqlite:///{tmp_path / f'core{len(made)}.db'}",
            characters_dir=characters_dir,
            admin_user_ids=frozenset({ADMIN}),
            worker=False,
        )
        values.update(overrides)
        model = FakeModel()
        content = FakeContent()
        services = build(
            Settings(**values), llm=model if layer2 else None, check_clock=clock, content=content
        )
        made.append(services)
        return CoreBot(services, model, clock, content)

    yield make
    for services in made:
        services.engine.dispose()


@pytest.fixture
def core(make_core) -> CoreBot:
    return make_core()


# --- the command line, in-process ------------------------------------------------------------
@pytest.fixture
def clean_environ(monkeypatch, tmp_path):
    """main() writes the file's values into os.environ: give it a private one, and a neutral cwd."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOTAN_", "LINE_", "OPENAI_"))}
    monkeypatch.setattr(os, "environ", env)
    work = tmp_path / "elsewhere"
    work.mkdir()
    monkeypatch.chdir(work)
    return env


def write_env(tmp_path, characters_dir, **extra) -> str:
    lines = [
        f"BOTAN_DATA_DIR={tmp_path / 'data'}",
        f"BOTAN_CHARACTERS_DIR={characters_dir}",
        f"LINE_CHANNEL_SECRET={SECRET}",
        f"LINE_CHANNEL_ACCESS_TOKEN={TOKEN}",
        *(f"{k}={v}" for k, v in extra.items()),
    ]
    path = tmp_path / "env"
    path.write_text("\n".join(lines) + "\n")
    path.chmod(0o640)
    return str(path)
