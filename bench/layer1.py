#!/usr/bin/env python3
"""Layer 1 decision speed at 100, 1,000 and 10,000 patterns (a benchmark, not a test).

One decision = normalise the raw message + find the matching pattern (or none). Patterns are
synthetic but shaped like the real files: mostly whole-message phrases, some keyword sets, 1%
regexes; messages are a mix of exact hits, contained hits, questions that must fall through, and
long misses. Sizes are measured interleaved in one process, so the growth ratio is not skewed by
the machine's mood; each figure is the median of several rounds.

    .venv/bin/python bench/layer1.py [--rounds 5] [--decisions 20000]
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from botan_line.characters.loader import Pattern, load_characters  # noqa: E402
from botan_line.characters.matcher import Context, Matcher  # noqa: E402
from botan_line.characters.normalize import normalize  # noqa: E402

KANA = "あいうえおかきくけこさしすせそたちつてとなにぬねのはひふへほまみむめもやゆよらりるれろわん"


def word(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(KANA) for _ in range(n))


def synthetic(n: int, seed: int = 7) -> tuple[list[Pattern], list[str]]:
    rng = random.Random(seed)
    patterns, phrases = [], []
    for i in range(n):
        kind = i % 100
        if kind == 0:
            trigger = {"regex": f"^{word(rng, 3)}[ぁ-ん]{{0,3}}$"}
        elif kind < 20:
            trigger = {"keywords": [word(rng, 3), word(rng, 2)]}
        else:
            phrase = word(rng, rng.randint(4, 8))
            trigger = {"exact": [phrase, phrase + "よ"]}
            phrases.append(phrase)
        patterns.append(
            Pattern.model_validate(
                {"id": f"p{i}", "category": "smalltalk", "triggers": [trigger], "replies": ["うん", "そっか"]}
            )
        )
    return patterns, phrases


def messages(phrases: list[str], rng: random.Random, count: int = 400) -> list[str]:
    out = []
    for i in range(count):
        r = i % 4
        if r == 0:
            out.append(rng.choice(phrases) + "ー！")  # exact hit after normalisation
        elif r == 1:
            out.append("ｵﾊﾖｳ" if i % 8 == 1 else "おはようって英語で何て言うの？")
        elif r == 2:
            out.append("ねえ" + rng.choice(phrases) + "だよね")  # contained, no trigger for it
        else:
            out.append(
                "昨日の配信で言ってたゲームのタイトル、なんだっけ？ずっと考えてるんだけど思い出せなくて"
            )
    return out


def measure(matcher: Matcher, texts: list[str], decisions: int) -> list[float]:
    ctx = Context("morning")
    timings = []
    perf = time.perf_counter_ns
    n = len(texts)
    for i in range(decisions):
        raw = texts[i % n]
        t0 = perf()
        norm = normalize(raw)
        matcher.match(norm.text, norm.question, ctx)
        timings.append((perf() - t0) / 1000)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description="Layer 1 decision benchmark")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--decisions", type=int, default=20000)
    args = parser.parse_args()
    sizes = [100, 1_000, 10_000]
    rng = random.Random(11)
    setups = {}
    for n in sizes:
        patterns, phrases = synthetic(n)
        t0 = time.perf_counter()
        matcher = Matcher(patterns)
        setups[n] = (matcher, messages(phrases, rng), time.perf_counter() - t0)
    results = {n: {"median": [], "p99": []} for n in sizes}
    for _ in range(args.rounds):
        for n in sizes:  # interleaved: every size sees the same machine conditions
            matcher, texts, _ = setups[n]
            measure(matcher, texts, 2000)  # warm up
            t = sorted(measure(matcher, texts, args.decisions))
            results[n]["median"].append(t[len(t) // 2])
            results[n]["p99"].append(t[int(len(t) * 0.99)])
    real = load_characters(Path(__file__).resolve().parents[1] / "characters")
    real_n = len(real.sisters["botan"].patterns)
    real_t = sorted(
        measure(real.matchers["botan"], messages(["おはよう", "ありがとう", "疲れた"], rng), args.decisions)
    )

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"{'patterns':>9} {'median µs':>10} {'p99 µs':>8} {'index build s':>14}")
    for n in sizes:
        print(
            f"{n:>9,} {statistics.median(results[n]['median']):>10.2f} "
            f"{statistics.median(results[n]['p99']):>8.2f} {setups[n][2]:>14.3f}"
        )
    growth = statistics.median(results[10_000]["median"]) / statistics.median(results[100]["median"])
    print(f"growth of the median from 100 to 10,000 patterns: {growth:.2f}x")
    print(
        f"real files (botan, {real_n} patterns): median {real_t[len(real_t) // 2]:.2f} µs, "
        f"p99 {real_t[int(len(real_t) * 0.99)]:.2f} µs"
    )


if __name__ == "__main__":
    main()
