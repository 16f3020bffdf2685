"""The benchmarks' fake LINE and OpenAI servers, in a process of their own.

Prints two lines (the LINE and the OpenAI base URL) and serves until killed. ``GET /bench/log`` on
the LINE fake answers what was delivered: [[path, replyToken or to, arrival time], ...].
Every chat completion takes ``--llm-delay`` seconds, like a real model (1–5 s). With ``--photo WxH``
the data host serves a JPEG of that size (a phone photo: noise, so it does not compress away) for any
message id, and a voice note saying おはよう for ids that start with ``voice``.
"""

from __future__ import annotations

import argparse
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from fakes import FakeLine, FakeOpenAI, voice  # noqa: E402


def phone_photo(size: str) -> bytes:
    import io

    from PIL import Image

    width, height = (int(x) for x in size.lower().split("x"))
    noise = Image.effect_noise((width, height), 48).convert("RGB")
    img = Image.blend(noise, Image.new("RGB", (width, height), (210, 140, 90)), 0.5)
    out = io.BytesIO()
    img.save(out, "JPEG", quality=90)
    return out.getvalue()


class BenchLine(FakeLine):
    photo: bytes | None = None

    def _content(self, req, message_id):
        if message_id not in self.contents and self.photo is not None:
            if message_id.startswith("voice"):
                return 200, voice("おはよう"), {"Content-Type": "audio/x-m4a"}
            return 200, self.photo, {"Content-Type": "image/jpeg"}
        return super()._content(req, message_id)

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
    parser.add_argument("--photo", help="serve a JPEG of this size (WxH) as every fan's photo")
    args = parser.parse_args()
    stop = threading.Event()

    def slow_answer(_body):
        stop.wait(args.llm_delay)
        return "そうなんだ〜！もっと聞かせて！"

    line = BenchLine(token="bench-token")
    if args.photo:
        line.photo = phone_photo(args.photo)
    line.start()
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
