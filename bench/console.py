#!/usr/bin/env python3
"""How fast the web console's pages load and answer, in a real headless Chromium.

A benchmark, not a test: ``.venv/bin/python bench/console.py`` (needs Debian's chromium and
chromium-driver, and selenium from the test extra). It seeds a scratch SQLite database with a month of
ledger rows (``--per-day`` messages a day, a realistic mix of layers and tiers), starts the console
the way ``botan-line console`` does (``ops/cli_console.make_console``: the werkzeug server on a free
loopback port, a random token), and measures with the browser's Navigation Timing:

- each page (chat with a 20-exchange transcript, the 30-day dashboard, the review), loaded ``--runs``
  times, interleaved: time to the first byte, to DOMContentLoaded, to the load event, and for the
  dashboard until its four charts are drawn (a ``performance.mark`` in dashboard.js);
- the simulator's round trip: type a greeting, click 送信, until her answer is on the page.

Medians and p90 in milliseconds. Layer 2 is off: this measures the console, not a model.
"""

from __future__ import annotations

import argparse
import platform
import random
import statistics
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from browser_kit import start_browser, unavailable  # noqa: E402

from botan_line.ops.cli_console import make_console  # noqa: E402
from botan_line.settings import Settings  # noqa: E402
from botan_line.storage.db import ledger  # noqa: E402

TZ = ZoneInfo("Asia/Tokyo")
LAYERS = [("layer1", 0.55), ("layer2", 0.38), ("fallback", 0.04), ("safety", 0.01), ("command", 0.02)]


def seed(engine, days: int, per_day: int, now: datetime) -> int:
    rng = random.Random(7)
    rows = []
    for d in range(days):
        start = (now - timedelta(days=days - 1 - d)).replace(hour=0, minute=0, second=0).timestamp()
        for _ in range(per_day):
            layer = rng.choices([k for k, _ in LAYERS], [w for _, w in LAYERS])[0]
            strong = rng.random() < 0.3
            called = layer == "layer2"
            rows.append({
                "created_at": start + rng.uniform(0, 86399), "user_id": f"U{rng.randrange(400):04d}",
                "sister": rng.choice(["botan", "botan", "kasho", "yuri"]), "layer": layer,
                "pattern": f"botan:p{rng.randrange(60)}" if layer == "layer1" else None,
                "model": ("gpt-4o" if strong else "gpt-4o-mini") if called else None,
                "tier": ("strong" if strong else "cheap") if called else None,
                "prompt_tokens": 1700 if called else 0, "completion_tokens": 60 if called else 0,
                "cached_tokens": 1408 if called else 0,
                "yen": (0.36 if strong else 0.028) if called else 0.0, "strong_yen": 0.36 if called else 0.0,
            })  # fmt: skip
    with engine.begin() as conn:
        conn.execute(ledger.insert(), rows)
    return len(rows)


def timings(driver) -> dict:
    return driver.execute_script(
        """const n = performance.getEntriesByType('navigation')[0];
        const drawn = performance.getEntriesByName('charts-drawn')[0];
        return {ttfb: n.responseStart - n.startTime, dcl: n.domContentLoadedEventEnd - n.startTime,
                load: n.loadEventEnd - n.startTime, charts: drawn ? drawn.startTime : null};"""
    )


def summary(values: list[float]) -> str:
    values = sorted(values)
    p90 = values[min(len(values) - 1, int(0.9 * len(values)))]
    return f"median {statistics.median(values):7.1f} ms   p90 {p90:7.1f} ms"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--per-day", type=int, default=1000)
    args = parser.parse_args()
    reason = unavailable()
    if reason:
        print(f"bench/console.py: {reason}", file=sys.stderr)
        return 2
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    with tempfile.TemporaryDirectory(prefix="botan-console-bench-") as scratch:
        settings = Settings(data_dir=Path(scratch), database_url=f"sqlite:///{scratch}/botan.db",
                            characters_dir=ROOT / "characters", worker=False)  # fmt: skip
        server, url, services = make_console(settings, "127.0.0.1", 0)
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        rows = seed(services.engine, 30, args.per_day, datetime.now(TZ))
        driver = start_browser(Path(scratch) / "profile")
        try:
            driver.get(url + "chat?user=Ubench")
            trips = []
            for n in range(20):  # the transcript the chat page then shows, and the round trip
                before = len(driver.find_elements(By.CSS_SELECTOR, ".exchange"))
                driver.find_element(By.ID, "text").send_keys("おはよう" if n % 2 else "こんにちは")
                started = time.perf_counter()
                driver.find_element(By.ID, "send").click()
                WebDriverWait(driver, 10, poll_frequency=0.005).until(
                    lambda d, b=before: len(d.find_elements(By.CSS_SELECTOR, ".exchange")) > b
                )
                trips.append((time.perf_counter() - started) * 1000)
            pages = {"chat (20 exchanges)": "chat?user=Ubench", "dashboard (30 days)": "dashboard?days=30",
                     "review": "review"}  # fmt: skip
            seen: dict[str, list[dict]] = {name: [] for name in pages}
            for _ in range(args.runs):
                for name, path in pages.items():
                    driver.get(url + path)
                    if "dashboard" in path:
                        WebDriverWait(driver, 10, poll_frequency=0.005).until(
                            lambda d: d.execute_script("return document.body.dataset.charts") == "drawn"
                        )
                    seen[name].append(timings(driver))
        finally:
            driver.quit()
            server.shutdown()
            server.server_close()
            services.engine.dispose()
    print(
        f"bench/console.py — {platform.machine()}, Python {platform.python_version()}, {args.runs} loads per page"
    )
    print(f"ledger: {rows:,} rows over 30 days ({args.per_day:,} a day); Layer 2 off")
    for name, runs in seen.items():
        print(f"\n{name}")
        print(f"  first byte        {summary([r['ttfb'] for r in runs])}")
        print(f"  DOMContentLoaded  {summary([r['dcl'] for r in runs])}")
        print(f"  load              {summary([r['load'] for r in runs])}")
        if runs[0]["charts"] is not None:
            print(f"  charts drawn      {summary([r['charts'] for r in runs])}")
    print(f"\nsimulator round trip (click 送信 → her answer on the page, Layer 1): {summary(trips)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
