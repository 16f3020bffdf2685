"""The benchmarks' fake LINE and OpenAI servers, in a process of their own.

Prints two lines (the LINE and the OpenAI base URL) and serves until killed. ``GET /bench/log`` on
the LINE fake answers what was delivered: [[path, replyToken or to, arrival time], ...].
Every chat completion takes ``--llm-delay`` seconds, like a real model (1–5 s).
"""

from __future__ import annotations

import argparse
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from fakes import FakeLine, FakeOpenAI  # noqa: E402


class BenchLine(FakeLine):
    def _answer(self, req, request_id):
        if req.method == "GET" and req.path == "/bench/log":
            with self._cond:
                rows = [[r.path, r.json.get("replyToken") or r.json.get("to"), r.at] for r in self._delivered
                        if r.path.endswith(("/reply", "/push"))]  # fmt: skip
            return 200, rows, {}
        if req.method == "POST" and req.path == "/bench/reset":
            with self._cond:
                self._delivered.clear()
                self.requests.clear()
            return 200, {}, {}
        return super()._answer(req, request_id)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--llm-delay", type=float, default=3.0)
    args = parser.parse_args()
    stop = threading.Event()

    def slow_answer(_body):
        stop.wait(args.llm_delay)
        return "そうなんだ〜！もっと聞かせて！"

    line = BenchLine(token="bench-token").start()
    ai = FakeOpenAI(default=slow_answer).start()
    print(line.url, flush=True)
    print(ai.url + "/v1", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        line.stop()
        ai.stop()


if __name__ == "__main__":
    main()
