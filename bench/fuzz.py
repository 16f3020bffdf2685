#!/usr/bin/env python3
"""Every signed malformed event of tests/fuzz_kit.py through the real webhook, inbox, worker and LINE SDK.

    .venv/bin/python bench/fuzz.py [--share 1.0]

A benchmark, not a test (tests/test_webhook_fuzz.py runs a sample): each body — one event of
line-bot-sdk's samples (and the bot's own event shapes) with one field given a wrong JSON type or
removed — is signed and posted to the app; the worker handles them all against a fake LINE server
that checks every request against LINE's messaging-api.yml. Printed: bodies, 5xx answers, requests
LINE's OpenAPI does not allow, events refused, answered, left pending, and errors logged.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import threading
from collections import Counter
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import requests  # noqa: E402
from fakes import sign, webhook_body  # noqa: E402
from fuzz_kit import sample  # noqa: E402
from sqlalchemy import select  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from botan_line.doors.webhook import create_app  # noqa: E402
from botan_line.doors.worker import Worker  # noqa: E402
from botan_line.settings import Settings  # noqa: E402
from botan_line.storage.db import inbox  # noqa: E402
from botan_line.wiring import build  # noqa: E402

SECRET, TOKEN = "fuzz-secret", "test-token"


class Errors(logging.Handler):
    def __init__(self):
        super().__init__(logging.ERROR)
        self.count = 0

    def emit(self, record):
        self.count += 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--share", type=float, default=1.0, help="the share of the bodies to send")
    args = parser.parse_args()
    from conftest import spec_checked_line  # the fake LINE server that checks LINE's OpenAPI

    errors = Errors()
    logging.getLogger().addHandler(errors)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one access line per body otherwise
    logging.getLogger("botan_line.doors.dispatcher").setLevel(logging.ERROR)  # one refusal line per body
    now = datetime.now(ZoneInfo("Asia/Tokyo")).timestamp()
    tmp = Path(tempfile.mkdtemp(prefix="botan-fuzz-"))
    with spec_checked_line() as line:
        settings = Settings(data_dir=tmp, line_channel_secret=SECRET, line_channel_access_token=TOKEN,
                            line_api_base_url=line.url, worker=False)  # fmt: skip
        services = build(settings, with_line=True, sleep=lambda _s: None)
        server = make_server(
            "127.0.0.1", 0, create_app(services=services, start_workers=False), threaded=True
        )
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_port}/callback"
        bodies = sample(int(now * 1000), share=args.share)
        statuses = Counter()
        with requests.Session() as http:
            for _what, event in bodies:
                body = webhook_body(event)
                headers = {"Content-Type": "application/json", "X-Line-Signature": sign(body, SECRET)}
                statuses[http.post(url, data=body, headers=headers, timeout=10).status_code // 100] += 1
        Worker(services, name="fuzz", clock=lambda: now, inline=True).drain(limit=100_000)
        with services.engine.connect() as conn:
            rows = conn.execute(select(inbox.c.status, inbox.c.outcome)).all()
        server.shutdown()
        violations = list(line.violations)
        sent = len([r for r in line.requests if r.method == "POST"])
    outcomes = Counter(o for _s, o in rows)
    print(f"botan-line fuzz — {len(bodies)} signed bodies, one malformed field each (tests/fuzz_kit.py)")
    print(f"  answers: {dict(sorted(statuses.items()))} (by hundreds: 2 = 2xx …)")
    print(f"  requests to LINE: {sent}, violating LINE's OpenAPI: {len(violations)}")
    print(f"  inbox: {len(rows)} events, pending or working: {sum(s != 'done' for s, _ in rows)}")
    print(f"  outcomes: {dict(outcomes.most_common())}")
    print(f"  errors logged: {errors.count}")
    return 0 if not violations and not statuses.get(5) and errors.count == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
