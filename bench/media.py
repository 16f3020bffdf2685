#!/usr/bin/env python3
"""A burst of fans' photos through the real service (gunicorn, 2 workers), like bench/burst.py.

A benchmark, not a test: `.venv/bin/python bench/media.py [--photos 20] [--greetings 50] [--runs 3]`.
The fake LINE and OpenAI servers run in a process of their own (bench/fakes_proc.py): every fan's
photo is a phone-sized JPEG (--photo, default 4032x3024, about 4 MB) served from the fake data host,
every chat call takes --llm-delay seconds. What it measures:

- the PSS of the whole service (every gunicorn process) sampled every 100 ms while the photos are
  handled — its peak against the target of 150 MB with 2 workers — and before and after;
- the latency of other fans' greetings sent while the photos are handled (the fast lane must not
  wait): from the moment a request leaves the sender to the moment the fake LINE got the answer;
- the time of a photo turn, from the webhook to her answer (the merge window, the fetch, the scaling,
  the moderation and the chat call of --llm-delay seconds);
- what a photo turn and a voice note cost, from the ledger of the run (the fake's usage: prompt
  tokens with the photo at OpenAI's patch rule) and from the price list with a typical prompt.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))
from burst import QUESTIONS, Fakes, Server, pct, pss_kb, send_all, signed, wait_answers  # noqa: E402
from fakes import audio_event, image_event, text_event  # noqa: E402


class PhotoFakes(Fakes):
    """bench/burst.py's fakes, serving a phone photo for every message id."""

    def __init__(self, llm_delay: float, photo: str):
        self.proc = subprocess.Popen([sys.executable, str(ROOT / "bench" / "fakes_proc.py"), "--llm-delay",
                                      str(llm_delay), "--photo", photo], stdout=subprocess.PIPE, text=True)  # fmt: skip
        self.line = self.proc.stdout.readline().strip()
        self.openai = self.proc.stdout.readline().strip()
        host, port = self.line.removeprefix("http://").split(":")
        self.addr = (host, int(port))


class Sampler(threading.Thread):
    """The service's PSS every ``every`` seconds until stopped."""

    def __init__(self, server: Server, every: float = 0.1):
        super().__init__(daemon=True)
        self.server, self.every = server, every
        self.samples: list[tuple[float, float]] = []
        self.worker: list[tuple[float, float]] = []  # the elected worker's own PSS
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.is_set():
            self.samples.append((time.time(), self.server.pss_mb()))
            worker = self.server.worker_pid()
            if worker:
                self.worker.append((time.time(), round(pss_kb(worker) / 1024, 1)))
            self._done.wait(self.every)

    def stop(self) -> list[tuple[float, float]]:
        self._done.set()
        self.join()
        return self.samples


def ledger(server: Server) -> list[dict]:
    from sqlalchemy import create_engine, text

    engine = create_engine(f"sqlite:///{server.tmp / 'botan.db'}")
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT layer, media, model, prompt_tokens, completion_tokens, cached_tokens, "
                                 "image_tokens, audio_seconds, yen, guard FROM ledger")).mappings().all()  # fmt: skip
    engine.dispose()
    return [dict(r) for r in rows]


def burst(
    server: Server, fakes: Fakes, photos: int, greetings: int, rate: float, kind: str = "photo"
) -> dict:
    tag = time.time_ns() % 10**6
    warm = [text_event("おはよう", f"Uwarm{tag}{i}", timestamp_ms=int(time.time() * 1000)) for i in range(20)]
    send_all(server.port, [signed([e]) for e in warm], senders=4)
    wait_answers(fakes, {e["replyToken"] for e in warm}, timeout=30)
    time.sleep(1.0)
    fakes.reset()
    before = server.pss_mb()
    now_ms = int(time.time() * 1000)
    if kind == "photo":
        shots = [image_event(f"Uphoto{tag}{i:03d}", message_id=f"photo{tag}{i:03d}", timestamp_ms=now_ms)
                 for i in range(photos)]  # fmt: skip
    else:  # the same burst as Layer 2 questions: what photos add to a burst of model calls
        shots = [text_event(QUESTIONS[i % len(QUESTIONS)], f"Uphoto{tag}{i:03d}", timestamp_ms=now_ms)
                 for i in range(photos)]  # fmt: skip
    hellos = [text_event("おはよう", f"Ugreet{tag}{i:03d}", timestamp_ms=now_ms) for i in range(greetings)]
    sampler = Sampler(server)
    sampler.start()
    t0 = time.time()
    _lat, photo_sent, errors = send_all(server.port, [signed([e]) for e in shots], senders=8)
    # the other fans greet while the photos are being handled: 10 a second
    _lat, hello_sent, errors2 = send_all(server.port, [signed([e]) for e in hellos], senders=2, rate=rate)
    answered_hellos = wait_answers(fakes, {e["replyToken"] for e in hellos}, timeout=30)
    answered_photos = wait_answers(fakes, {e["replyToken"] for e in shots}, timeout=60)
    time.sleep(0.5)
    samples = sampler.stop()
    worker_samples = sampler.worker
    greet = [min(answered_hellos[e["replyToken"]]) - hello_sent[i] for i, e in enumerate(hellos)
             if e["replyToken"] in answered_hellos]  # fmt: skip
    turn = [min(answered_photos[e["replyToken"]]) - photo_sent[i] for i, e in enumerate(shots)
            if e["replyToken"] in answered_photos]  # fmt: skip
    during = [mb for at, mb in samples if at >= t0]
    # one voice note saying おはよう (Layer 1 answers its words), for its cost
    note = audio_event(
        f"Uvoice{tag}", message_id=f"voice{tag}", duration_ms=8000, timestamp_ms=int(time.time() * 1000)
    )
    send_all(server.port, [signed([note])], senders=1)
    wait_answers(fakes, {note["replyToken"]}, timeout=30)
    rows = ledger(server)
    photo_rows = [r for r in rows if (r["media"] or "").startswith("image")]
    voice_rows = [r for r in rows if r["media"] == "audio"]
    return {
        "photos_answered": f"{len(turn)}/{photos}",
        "photo_layers": sorted({f"{r['layer']}:{r['guard']}" for r in photo_rows}),
        "worker_pss_peak_mb": max((mb for at, mb in worker_samples if at >= t0), default=None),
        "greetings_answered": f"{len(greet)}/{greetings}",
        "errors": errors + errors2,
        "pss_before_mb": before,
        "pss_peak_mb": max(during) if during else None,
        "pss_after_mb": server.pss_mb(),
        "greeting_p50_ms": round(statistics.median(greet) * 1000, 1) if greet else None,
        "greeting_p99_ms": round(pct(greet, 99) * 1000, 1) if greet else None,
        "greeting_max_ms": round(max(greet) * 1000, 1) if greet else None,
        "photo_turn_p50_s": round(statistics.median(turn), 2) if turn else None,
        "photo_turn_max_s": round(max(turn), 2) if turn else None,
        "photo_prompt_tokens": round(statistics.median(r["prompt_tokens"] for r in photo_rows))
        if photo_rows
        else None,
        "photo_image_tokens": round(statistics.median(r["image_tokens"] for r in photo_rows))
        if photo_rows
        else None,
        "photo_yen_ledger": round(statistics.median(r["yen"] for r in photo_rows), 4) if photo_rows else None,
        "voice_layer": voice_rows[-1]["layer"] if voice_rows else None,
        "voice_yen_ledger": round(voice_rows[-1]["yen"], 4) if voice_rows else None,
    }


def priced() -> dict:
    """What a photo and a voice note cost at the configured prices (BOTAN_CONFIG's defaults): a photo
    turn on the cheap tier with her cached fixed prompt (bench/layer2_cost.py's typical exchange)
    plus one 512×384 photo; a voice note of 8 and of 60 seconds, answered by Layer 1."""
    sys.path.insert(0, str(ROOT))
    from botan_line.config import BotConfig
    from botan_line.core import stats
    from botan_line.core.layer2.prompt import patches

    cfg = BotConfig()
    model = cfg.tiers.cheap.model
    image = patches(512, 384)
    photo = cfg.price_yen(model, stats.TYPICAL_PROMPT_TOKENS + image, stats.TYPICAL_COMPLETION_TOKENS,
                          stats.TYPICAL_CACHED_TOKENS)  # fmt: skip
    text = cfg.price_yen(
        model, stats.TYPICAL_PROMPT_TOKENS, stats.TYPICAL_COMPLETION_TOKENS, stats.TYPICAL_CACHED_TOKENS
    )
    heard = cfg.media.transcription_model
    return {
        "photo_turn_yen": round(photo, 4),
        "of_which_the_photo_yen": round(photo - text, 4),
        "photo_image_tokens": image,
        "voice_8s_yen": round(cfg.minutes_yen(heard, 8), 4),
        "voice_60s_yen": round(cfg.minutes_yen(heard, 60), 4),
        "voice_8s_with_a_layer2_answer_yen": round(cfg.minutes_yen(heard, 8) + text, 4),
        "model": model,
        "transcription": heard,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=20)
    parser.add_argument("--greetings", type=int, default=50)
    parser.add_argument("--rate", type=float, default=10.0, help="greetings per second during the burst")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--llm-delay", type=float, default=2.0)
    parser.add_argument("--photo", default="4032x3024", help="the size of every fan's photo (a phone's)")
    parser.add_argument(
        "--concurrent", type=int, help="media.concurrent (photos fetched and decoded at once)"
    )
    parser.add_argument("--kind", choices=("photo", "text"), default="photo",
                        help="text: the same burst as Layer 2 questions, to compare")  # fmt: skip
    args = parser.parse_args()
    fakes = PhotoFakes(args.llm_delay, args.photo)
    print(f"machine: {platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"{args.workers} gunicorn workers, {args.photos} photos of {args.photo}, model calls {args.llm_delay:g} s, "
          f"SQLite")  # fmt: skip
    runs = []
    extra = {}
    if args.concurrent:
        config = Path(tempfile.mkdtemp(prefix="botan-media-")) / "config.yaml"
        config.write_text(f"media: {{concurrent: {args.concurrent}}}\n")
        extra["BOTAN_CONFIG"] = str(config)
    try:
        for _ in range(args.runs):
            server = Server("bot", fakes, args.workers, None, extra)
            try:
                runs.append(burst(server, fakes, args.photos, args.greetings, args.rate, args.kind))
            finally:
                server.stop()
            print(f"  {json.dumps(runs[-1], ensure_ascii=False)}", flush=True)
    finally:
        fakes.stop()
    numeric = [k for k, v in runs[0].items() if isinstance(v, (int, float))]
    print("  median: " + ", ".join(f"{k} {statistics.median(r[k] for r in runs):g}" for k in numeric))
    print(f"  priced: {json.dumps(priced(), ensure_ascii=False)}")


if __name__ == "__main__":
    main()
