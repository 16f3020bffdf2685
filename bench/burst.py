#!/usr/bin/env python3
"""Bursts against the real service (gunicorn, 2 workers) beside line-bot-sdk's flask-echo example.

A benchmark, not a test: `.venv/bin/python bench/burst.py [scenario ...] [--runs N] [--database-url URL]`.
The fake LINE and OpenAI servers run in a process of their own (bench/fakes_proc.py; every model
call takes --llm-delay seconds). Scenarios (default: all):

  throughput  1,000 Layer 1 greetings from 1,000 fans as fast as 16 senders can go: answered/s,
              bot and echo run alternately in the same run (ratio of medians)
  ack         200 Layer 1 events/s for 10 s (open loop): ack p50/p99, bot and echo; PSS of each
  layer2      200 Layer 2 questions from 200 fans at once, 50 greetings interleaved: answered within
              the reply window, greeting latency
  backlog     one fan with 80 queued questions, then 50 other fans greet: their latency
  kill        100 Layer 2 questions over 10 s, the elected worker SIGKILLed at 4 s: unanswered,
              answered twice, decided twice

Latency is measured from the moment a request leaves the sender to the moment the fake LINE
received the answer. Medians over --runs; the machine is shared and noisy.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from fakes import sign, text_event, webhook_body  # noqa: E402

SECRET = "bench-secret"
TOKEN = "bench-token"
WINDOW = 60.0  # LINE guarantees a reply token for one minute
QUESTIONS = [
    "最近ハマってるゲームがあって、ちょっと語ってもいい？",
    "今日のご飯なに食べたと思う？当ててみて",
    "明日テストなんだけど全然勉強してなくてやばい、どうしよう",
    "おすすめの漫画あったら教えてほしいな",
    "配信で歌ってた曲、なんていうタイトルだったっけ？",
]


# --- processes ---------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [pid, *[int(x) for x in out.split()]]


class Fakes:
    def __init__(self, llm_delay: float):
        self.proc = subprocess.Popen([sys.executable, str(ROOT / "bench" / "fakes_proc.py"), "--llm-delay",
                                      str(llm_delay)], stdout=subprocess.PIPE, text=True)  # fmt: skip
        self.line = self.proc.stdout.readline().strip()
        self.openai = self.proc.stdout.readline().strip()
        host, port = self.line.removeprefix("http://").split(":")
        self.addr = (host, int(port))

    def _call(self, method: str, path: str):
        conn = http.client.HTTPConnection(*self.addr, timeout=30)
        conn.request(method, path, headers={"Authorization": f"Bearer {TOKEN}"})
        resp = conn.getresponse()
        body = resp.read()
        conn.close()
        return json.loads(body) if body else None

    def log(self) -> list:
        return self._call("GET", "/bench/log")

    def reset(self) -> None:
        self._call("POST", "/bench/reset")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


class Server:
    """gunicorn serving the bot (the project's config) or the echo example, 2 workers."""

    def __init__(self, kind: str, fakes: Fakes, workers: int, database_url: str | None, extra_env=None):
        self.kind = kind
        self.tmp = Path(tempfile.mkdtemp(prefix=f"botan-bench-{kind}-"))
        self.port = free_port()
        env = dict(os.environ, LINE_CHANNEL_SECRET=SECRET, LINE_CHANNEL_ACCESS_TOKEN=TOKEN,
                   LINE_API_BASE_URL=fakes.line, OPENAI_BASE_URL=fakes.openai, OPENAI_API_KEY="bench",
                   BOTAN_DATA_DIR=str(self.tmp), BOTAN_LOG_LEVEL="INFO", WEB_CONCURRENCY=str(workers),
                   BOTAN_BIND=f"127.0.0.1:{self.port}", **(extra_env or {}))  # fmt: skip
        if database_url:
            env["BOTAN_DATABASE_URL"] = database_url
        gunicorn = str(Path(sys.executable).with_name("gunicorn"))
        if kind == "bot":
            args = [gunicorn, "--config", "python:botan_line.doors.gunicorn_conf", "--log-level", "warning"]
        else:
            args = [gunicorn, "--workers", str(workers), "--bind", f"127.0.0.1:{self.port}", "--log-level", "warning",
                    "--chdir", str(ROOT / "bench"), "echo_app:app"]  # fmt: skip
        self.stderr = open(self.tmp / "stderr.log", "w+")  # noqa: SIM115
        self.proc = subprocess.Popen(args, cwd=ROOT, env=env, stderr=self.stderr)
        self._wait_up()

    def _wait_up(self, timeout: float = 60) -> None:
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=1)
                conn.request("POST", "/callback", body=b"{}", headers={"X-Line-Signature": "x"})
                conn.getresponse().read()
                if self.kind == "bot":
                    self._wait_worker(deadline)
                return
            except OSError:
                time.sleep(0.2)
        raise SystemExit(f"{self.kind} did not come up:\n{self.log()}")

    def _wait_worker(self, deadline: float) -> None:
        while time.time() < deadline and self.worker_pid() is None:
            time.sleep(0.2)

    def log(self) -> str:
        self.stderr.flush()
        return (self.tmp / "stderr.log").read_text()

    def worker_pid(self, after: int = 0) -> int | None:
        pids = [int(p) for p in re.findall(r"inbox worker running in process (\d+)", self.log())]
        pids = [p for p in pids if p != after]
        return pids[-1] if pids else None

    def pss_mb(self) -> float:
        return round(sum(pss_kb(p) for p in tree(self.proc.pid)) / 1024, 1)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        shutil.rmtree(self.tmp, ignore_errors=True)


# --- load --------------------------------------------------------------------------------------
def signed(events: list[dict]) -> tuple[bytes, dict]:
    body = webhook_body(*events)
    return body, {"Content-Type": "application/json", "X-Line-Signature": sign(body, SECRET)}


def send_all(
    port: int, bodies: list, senders: int, rate: float | None = None
) -> tuple[list[float], dict, int]:
    """Post every body; closed loop (as fast as possible) or open loop at ``rate``/s.
    Returns ack latencies (ms), send time per body index, errors."""
    latencies, sent_at, errors = [], {}, 0
    lock = threading.Lock()
    start = time.perf_counter() + 0.05
    wall0 = time.time() + 0.05

    def sender(k: int) -> None:
        nonlocal errors
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for i in range(k, len(bodies), senders):
            body, headers = bodies[i]
            due = start + (i / rate if rate else 0)
            if rate:
                delay = due - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
            t0 = time.perf_counter()
            try:
                conn.request("POST", "/callback", body=body, headers=headers)
                resp = conn.getresponse()
                resp.read()
                ok = resp.status == 200
            except OSError:
                ok = False
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            t1 = time.perf_counter()
            with lock:
                latencies.append((t1 - max(t0, due) if rate else t1 - t0) * 1000)
                sent_at[i] = wall0 + (t0 - start)
                errors += 0 if ok else 1

    threads = [threading.Thread(target=sender, args=(k,)) for k in range(senders)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, sent_at, errors


def wait_answers(fakes: Fakes, tokens: set[str], timeout: float) -> dict[str, list[float]]:
    """Arrival times of the answers (reply or push) to these tokens / chats, waiting up to ``timeout``."""
    deadline = time.time() + timeout
    while True:
        got: dict[str, list[float]] = {}
        for _path, key, at in fakes.log():
            if key in tokens:
                got.setdefault(key, []).append(at)
        if len(got) >= len(tokens) or time.time() > deadline:
            return got
        time.sleep(0.5)


def pct(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100)[q - 1]


def greetings(n: int, prefix: str, now_ms: int) -> list[dict]:
    return [text_event("おはよう", f"U{prefix}{i:05d}", timestamp_ms=now_ms) for i in range(n)]


# --- scenarios ---------------------------------------------------------------------------------
def warm_up(server: Server, fakes: Fakes, n: int = 200) -> None:
    """Untimed: first connections, first imports and compiled rules, for the bot and the echo alike."""
    events = greetings(n, f"w{server.kind}{time.time_ns() % 10**6}", int(time.time() * 1000))
    send_all(server.port, [signed([e]) for e in events], senders=8)
    wait_answers(fakes, {e["replyToken"] for e in events}, timeout=30)


def throughput(server: Server, fakes: Fakes, n: int = 1000) -> dict:
    warm_up(server, fakes)
    fakes.reset()
    events = greetings(n, f"t{server.kind}{time.time_ns() % 10**6}", int(time.time() * 1000))
    bodies = [signed([e]) for e in events]
    t0 = time.time()
    latencies, _sent, errors = send_all(server.port, bodies, senders=16)
    answered = wait_answers(fakes, {e["replyToken"] for e in events}, timeout=60)
    last = max((min(v) for v in answered.values()), default=t0)
    return {"answered": len(answered), "errors": errors, "answered_per_s": round(len(answered) / (last - t0), 1),
            "ack_p50_ms": round(statistics.median(latencies), 2)}  # fmt: skip


def ack(server: Server, fakes: Fakes, rate: float = 200, seconds: float = 10) -> dict:
    warm_up(server, fakes)
    fakes.reset()
    n = int(rate * (seconds + 2))
    now_ms = int(time.time() * 1000)
    events = greetings(n, f"a{server.kind}{time.time_ns() % 10**6}", now_ms)
    for i, e in enumerate(events):
        e["timestamp"] = now_ms + int(i * 1000 / rate)
    latencies, _sent, errors = send_all(server.port, [signed([e]) for e in events], senders=8, rate=rate)
    counted = latencies[int(rate * 2) :]  # the first two seconds warm the pools
    answered = wait_answers(fakes, {e["replyToken"] for e in events}, timeout=30)
    return {"ack_p50_ms": round(statistics.median(counted), 2), "ack_p99_ms": round(pct(counted, 99), 2),
            "errors": errors, "answered": f"{len(answered)}/{n}", "pss_mb": server.pss_mb()}  # fmt: skip


def layer2(server: Server, fakes: Fakes, questions: int = 200, hellos: int = 50) -> dict:
    fakes.reset()
    now_ms = int(time.time() * 1000)
    tag = time.time_ns() % 10**6
    asks = [
        text_event(QUESTIONS[i % len(QUESTIONS)], f"Uq{tag}{i:04d}", timestamp_ms=now_ms)
        for i in range(questions)
    ]
    greets = greetings(hellos, f"g{tag}", now_ms)
    events, gi = [], 0
    for i, e in enumerate(asks):  # a greeting after every fourth question
        events.append(e)
        if i % 4 == 3 and gi < hellos:
            events.append(greets[gi])
            gi += 1
    bodies = [signed([e]) for e in events]
    _lat, sent_at, errors = send_all(server.port, bodies, senders=16)
    answered = wait_answers(fakes, {e["replyToken"] for e in events}, timeout=75)
    ts = {e["replyToken"]: e["timestamp"] / 1000 for e in events}
    sent = {events[i]["replyToken"]: t for i, t in sent_at.items()}
    in_window = [
        k for k, at in answered.items() if k in {a["replyToken"] for a in asks} and min(at) - ts[k] < WINDOW
    ]
    greet_lat = [
        min(answered[g["replyToken"]]) - sent[g["replyToken"]] for g in greets if g["replyToken"] in answered
    ]
    return {"questions_answered_in_window": f"{len(in_window)}/{questions}",
            "greetings_answered": f"{len(greet_lat)}/{hellos}",
            "greeting_p50_s": round(statistics.median(greet_lat), 3) if greet_lat else None,
            "greeting_p99_s": round(pct(greet_lat, 99), 3) if greet_lat else None,
            "slowest_question_s": round(max(min(answered[k]) - ts[k] for k in in_window), 1) if in_window else None,
            "errors": errors}  # fmt: skip


def backlog(server: Server, fakes: Fakes, queued: int = 80, others: int = 50) -> dict:
    fakes.reset()
    now_ms = int(time.time() * 1000)
    tag = time.time_ns() % 10**6
    chatty = [
        text_event(f"{QUESTIONS[i % 5]}（{i}）", f"Uchatty{tag}", timestamp_ms=now_ms + i)
        for i in range(queued)
    ]
    send_all(server.port, [signed([e]) for e in chatty], senders=4)
    hello = greetings(others, f"o{tag}", now_ms)
    for i, e in enumerate(hello):
        e["timestamp"] = now_ms + 100 * i
    _lat, sent_at, _err = send_all(server.port, [signed([e]) for e in hello], senders=2, rate=10)
    answered = wait_answers(fakes, {e["replyToken"] for e in hello}, timeout=30)
    lat = [
        min(answered[e["replyToken"]]) - sent_at[i]
        for i, e in enumerate(hello)
        if e["replyToken"] in answered
    ]
    chatty_done = wait_answers(fakes, {e["replyToken"] for e in chatty}, timeout=30)
    return {"others_answered": f"{len(lat)}/{others}", "others_p99_s": round(pct(lat, 99), 3) if lat else None,
            "others_max_s": round(max(lat), 3) if lat else None,
            "chatty_fan_replies": sum(len(v) for v in chatty_done.values())}  # fmt: skip


def kill(server: Server, fakes: Fakes, n: int = 100, seconds: float = 10, at: float = 4.0) -> dict:
    from sqlalchemy import create_engine, text

    fakes.reset()
    now_ms = int(time.time() * 1000)
    tag = time.time_ns() % 10**6
    events = [text_event(QUESTIONS[i % 5], f"Uk{tag}{i:04d}", timestamp_ms=now_ms + int(i * 1000 * seconds / n))
              for i in range(n)]  # fmt: skip
    victim = server.worker_pid()
    killer = threading.Timer(at, lambda: os.kill(victim, signal.SIGKILL))
    killer.start()
    send_all(server.port, [signed([e]) for e in events], senders=4, rate=n / seconds)
    killer.join()
    answered = wait_answers(fakes, {e["replyToken"] for e in events}, timeout=75)
    ts = {e["replyToken"]: e["timestamp"] / 1000 for e in events}
    late = [k for k, v in answered.items() if min(v) - ts[k] >= WINDOW]
    url = os.environ.get("BENCH_DB") or f"sqlite:///{server.tmp / 'botan.db'}"
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as conn:
        twice = conn.execute(text("SELECT count(*) FROM (SELECT event_id FROM ledger WHERE event_id IS NOT NULL "
                                  "GROUP BY event_id HAVING count(*) > 1) d")).scalar()  # fmt: skip
    engine.dispose()
    return {"killed_pid": victim, "new_worker_pid": server.worker_pid(after=victim),
            "unanswered": n - len(answered) + len(late), "answered_twice": sum(len(v) > 1 for v in answered.values()),
            "decided_twice": twice}  # fmt: skip


SCENARIOS = {"throughput": throughput, "ack": ack, "layer2": layer2, "backlog": backlog, "kill": kill}
VERSUS_ECHO = {"throughput", "ack"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenarios", nargs="*", default=list(SCENARIOS))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--llm-delay", type=float, default=3.0)
    parser.add_argument(
        "--database-url", help="default: SQLite in a temp dir (PostgreSQL: reset before each run)"
    )
    args = parser.parse_args()
    fakes = Fakes(args.llm_delay)
    print(f"machine: {platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"{args.workers} gunicorn workers, model calls {args.llm_delay:g} s, "
          f"{'PostgreSQL' if args.database_url else 'SQLite'}")  # fmt: skip
    try:
        for name in args.scenarios:
            results: dict[str, list[dict]] = {"bot": [], "echo": []}
            for _ in range(args.runs):
                kinds = ["echo", "bot"] if name in VERSUS_ECHO else ["bot"]
                for kind in kinds:
                    if args.database_url and kind == "bot":
                        reset_postgres(args.database_url)
                        os.environ["BENCH_DB"] = args.database_url
                    server = Server(kind, fakes, args.workers, args.database_url if kind == "bot" else None)
                    try:
                        results[kind].append(SCENARIOS[name](server, fakes))
                    finally:
                        server.stop()
            report(name, results)
    finally:
        fakes.stop()


def reset_postgres(url: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def report(name: str, results: dict[str, list[dict]]) -> None:
    print(f"\n== {name}")
    for kind, runs in results.items():
        for r in runs:
            print(f"  {kind:5} {json.dumps(r, ensure_ascii=False)}")
    bot, echo = results["bot"], results["echo"]
    numeric = [k for k, v in bot[0].items() if isinstance(v, (int, float))] if bot else []
    med = {k: statistics.median(r[k] for r in bot) for k in numeric}
    line = ", ".join(f"{k} {v:g}" for k, v in med.items())
    print(f"  median bot: {line}")
    if echo:
        emed = {k: statistics.median(r[k] for r in echo) for k in numeric if k in echo[0]}
        print("  median echo: " + ", ".join(f"{k} {v:g}" for k, v in emed.items()))
        for k in ("answered_per_s", "ack_p99_ms"):
            if k in med and emed.get(k):
                # each bot run against the echo run just before it: the machine's drift cancels out
                pairs = [b[k] / e[k] for b, e in zip(bot, echo, strict=False) if e[k]]
                print(f"  ratio bot/echo {k}: {med[k] / emed[k]:.2f} (of medians); "
                      f"{statistics.median(pairs):.2f} (median of pairs: {', '.join(f'{x:.2f}' for x in pairs)})")  # fmt: skip


if __name__ == "__main__":
    main()
