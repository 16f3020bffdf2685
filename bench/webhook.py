#!/usr/bin/env python3
"""Webhook ack latency and throughput under gunicorn (2 workers), plus the service's memory (PSS).

A benchmark, not a test: run it with `.venv/bin/python bench/webhook.py`. It starts a fake LINE
server and a deliberately slow fake OpenAI server (every Layer 2 call takes --llm-delay seconds),
serves the real app with gunicorn, sends signed text events at a fixed rate (open loop: each
request leaves at its scheduled time whether or not the previous ones were answered) and prints
p50/p99 ack latency, throughput, how many events the workers answered, and the PSS of gunicorn's
master and workers.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from fakes import FakeLine, FakeOpenAI, sign, text_event, webhook_body  # noqa: E402

SECRET = "bench-secret"
MESSAGES = [
    "おはよう",
    "ありがとう",
    "おやすみ",
    "最近ハマってるゲームがあって、ちょっと語ってもいい？",
    "AIなの？",
    "今日のご飯なに食べたと思う？当ててみて",
    "疲れた",
    "配信いつ？",
]


def pss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(x) for x in out.split()]


def wait_up(port: int, timeout: float = 30) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not come up")


def run(
    rate: float, seconds: float, workers: int, llm_delay: float, database_url: str | None, via: str = "serve"
) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="botan-bench-"))
    line = FakeLine(token="bench-token").start()
    ai = FakeOpenAI(default=lambda body: "そうなんだ〜！もっと聞かせて！").start()
    slow = threading.Event()

    def slow_default(body):
        slow.wait(llm_delay)  # every Layer 2 call takes seconds, like a real model
        return "そうなんだ〜！もっと聞かせて！"

    ai.default = slow_default
    port = 18000 + os.getpid() % 1000
    env = dict(
        os.environ,
        LINE_CHANNEL_SECRET=SECRET,
        LINE_CHANNEL_ACCESS_TOKEN="bench-token",
        LINE_API_BASE_URL=line.url,
        OPENAI_BASE_URL=ai.url + "/v1",
        OPENAI_API_KEY="bench",
        BOTAN_DATA_DIR=str(tmp),
        BOTAN_LOG_LEVEL="WARNING",
        WEB_CONCURRENCY=str(workers),
    )
    if database_url:
        env["BOTAN_DATABASE_URL"] = database_url
    if via == "serve":  # what the systemd unit runs (it also writes gunicorn's access log)
        command = [str(Path(sys.executable).with_name("botan-line")), "serve", "--bind", f"127.0.0.1:{port}"]
    else:  # gunicorn's own script, as the Procfile runs it
        command = [
            str(Path(sys.executable).with_name("gunicorn")),
            "--config",
            "python:botan_line.doors.gunicorn_conf",
        ]
        command += ["--bind", f"127.0.0.1:{port}", "--log-level", "warning"]
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    try:
        wait_up(port)
        time.sleep(3.0)  # let the elected process finish importing the SDKs and start its threads
        warmup = int(rate * 2)  # the first two seconds warm the pools and are not counted
        total = int(rate * seconds) + warmup
        latencies: list[float] = []
        errors = 0
        lock = threading.Lock()
        senders = 8

        # built before the clock starts, so the client spends its time sending, not signing
        now_ms = int(time.time() * 1000) + 2000
        requests = []
        for i in range(total):
            body = webhook_body(
                text_event(
                    MESSAGES[i % len(MESSAGES)],
                    f"Ubench{i % 300:04d}",
                    timestamp_ms=now_ms + int(i * 1000 / rate),
                )
            )
            requests.append(
                (body, {"Content-Type": "application/json", "X-Line-Signature": sign(body, SECRET)})
            )
        start = time.perf_counter() + 0.2

        def sender(k: int) -> None:
            nonlocal errors
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            for i in range(k, total, senders):
                body, headers = requests[i]
                due = start + i / rate
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
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                elapsed = time.perf_counter() - max(t0, due)
                with lock:
                    if i >= warmup:
                        latencies.append(elapsed * 1000)
                    errors += 0 if ok else 1

        threads = [threading.Thread(target=sender, args=(k,)) for k in range(senders)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - start
        pids = [server.pid, *children(server.pid)]
        pss = {pid: pss_kb(pid) for pid in pids}
        answered_before = len(line.replies()) + len(line.pushes())
        latencies.sort()
        q = statistics.quantiles(latencies, n=100)
        return {
            "rate_target": rate,
            "events": total,
            "errors": errors,
            "throughput": round(total / wall, 1),
            "warmup_events": warmup,
            "ack_p50_ms": round(statistics.median(latencies), 2),
            "ack_p99_ms": round(q[98], 2),
            "ack_max_ms": round(latencies[-1], 2),
            "answered_during_run": answered_before,
            "pss_total_mb": round(sum(pss.values()) / 1024, 1),
            "pss_per_process_mb": {str(p): round(v / 1024, 1) for p, v in pss.items()},
            "workers": workers,
            "llm_delay_s": llm_delay,
            "via": via,
        }
    finally:
        slow.set()
        server.terminate()
        server.wait(30)
        line.stop()
        ai.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description="Webhook ack latency, throughput and memory under gunicorn")
    parser.add_argument("--rate", type=float, default=200)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--llm-delay", type=float, default=3.0)
    parser.add_argument("--runs", type=int, default=3, help="report the median of this many runs")
    parser.add_argument("--database-url", help="default: SQLite in a temp dir")
    parser.add_argument(
        "--via",
        choices=("serve", "gunicorn"),
        default="serve",
        help="start the service as the systemd unit does (botan-line serve) or as the Procfile does (gunicorn)",
    )
    args = parser.parse_args()
    results = [
        run(args.rate, args.seconds, args.workers, args.llm_delay, args.database_url, args.via)
        for _ in range(args.runs)
    ]
    for r in results:
        print(json.dumps(r, ensure_ascii=False))
    med = {
        k: statistics.median(r[k] for r in results)
        for k in ("throughput", "ack_p50_ms", "ack_p99_ms", "pss_total_mb")
    }
    print(f"machine: {platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}")
    print(
        f"median of {len(results)} runs at {args.rate:.0f} events/s for {args.seconds:.0f} s, "
        f"{args.workers} gunicorn workers started via {args.via}, Layer 2 calls taking {args.llm_delay:.0f} s:"
    )
    print(
        f"  ack p50 {med['ack_p50_ms']:.2f} ms, p99 {med['ack_p99_ms']:.2f} ms, "
        f"throughput {med['throughput']:.1f} events/s, PSS total {med['pss_total_mb']:.1f} MB"
    )


if __name__ == "__main__":
    main()
