"""The web console under test: the real app on the real core, with the fake OpenAI server and a clock.

``console.say("おはよう")`` posts the simulator's form as the page's script does and returns the
conversation fragment; ``console.get("/review")`` a page. The same object serves a real HTTP server
for the browser tests (``console.serve()``).
"""

from __future__ import annotations

import re
import threading
from html import unescape

from conftest import ADMIN
from sqlalchemy import select
from werkzeug.serving import make_server

from botan_line.doors.console import CONSOLE_ADMIN, create_app
from botan_line.storage.db import candidates, ledger
from botan_line.wiring import build

TOKEN = "per-run-token-3f9c2a7d41b8e605"
QUESTION = "推しの配信が終わっちゃって寂しいんだけど、どうしたらいい？"
ANSWERS = [
    "わかる〜！推しロスってマジしんどいよね。アーカイブ見返そ！",
    "それな〜、あたしも配信終わりは寂しくなる！次の配信まで一緒に待と？",
    "寂しいのは推しが好きな証拠じゃん！感想とか書いてみたら？",
]


def texts(html: str, css_class: str) -> list[str]:
    """The text of every element with this class (flat: no nested tags expected inside)."""
    found = re.findall(rf'class="{css_class}"[^>]*>(.*?)</', html, re.S)
    return [unescape(t).strip() for t in found]


class Console:
    def __init__(self, services, clock, ai):
        self.services = services
        self.clock = clock
        self.ai = ai
        self.app = create_app(services, TOKEN, clock=clock)
        self.client = self.app.test_client()
        self._server = None

    @staticmethod
    def path(path: str) -> str:
        return f"/{TOKEN}{path}"

    def get(self, path: str, **kw):
        return self.client.get(self.path(path), **kw)

    def post(self, path: str, data: dict, **kw):
        return self.client.post(self.path(path), data=data, headers={"X-Console-Fetch": "1"}, **kw)

    def say(self, text: str, user: str = "Ufan1", **form) -> str:
        answer = self.post("/chat/say", {"user": user, "text": text, **form})
        assert answer.status_code == 200, answer.data[:500]
        return answer.get_data(as_text=True)

    def ledger(self) -> list:
        with self.services.engine.connect() as conn:
            return conn.execute(select(ledger).order_by(ledger.c.id)).all()

    def candidates(self) -> list:
        with self.services.engine.connect() as conn:
            return conn.execute(select(candidates).order_by(candidates.c.id)).all()

    def ask_many(self, fans: list[str], text: str = QUESTION) -> None:
        """Several fans ask the same question; Layer 2 (the fake OpenAI server) answers each differently."""
        for n, fan in enumerate(fans):
            self.ai.queue(ANSWERS[n % len(ANSWERS)])
            self.say(text, user=fan)

    # --- a real server, for the browser ----------------------------------------------------------
    def serve(self) -> str:
        self._server = make_server("127.0.0.1", 0, self.app, threaded=True)
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return f"http://127.0.0.1:{self._server.server_port}/{TOKEN}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        self.services.engine.dispose()


def consoles(make_settings, clock, openai_fake):
    """The body of a ``make_console`` fixture (``yield from consoles(...)``): consoles on the test settings,
    stopped afterwards."""
    made = []

    def make(database_url: str, **overrides) -> Console:
        settings = make_settings(database_url, admin_user_ids=frozenset({ADMIN, CONSOLE_ADMIN}), **overrides)
        console = Console(build(settings, sleep=lambda _s: None, check_clock=clock), clock, openai_fake)
        made.append(console)
        return console

    yield make
    for console in made:
        console.stop()
