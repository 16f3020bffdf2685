#!/usr/bin/env python3
"""Layer 1 decision speed at 100, 1,000 and 10,000 patterns (a benchmark, not a test).

One decision = normalise the raw message + find the matching pattern (or none). Patterns are
synthetic but shaped like the real files: mostly whole-message phrases, some keyword sets, 1%
regexes; messages are a mix of exact hits, contained hits, questions that must fall through, and
long misses. Sizes are measured interleaved in one process, so the growth ratio is not skewed by
the machine's mood; each figure is the median of several rounds.

The meaning case (``--meaning N``, 3,000 by default) is 10,000 patterns of which N are learned
questions matched by meaning (``meaning``: two or three concepts of the shared lexicon and often a
word of their own, an optional concept, a kind of question, an exact trigger each, as the miner
writes them), with questions among the messages: wordings of a pattern's question (which it
answers), the same with one concept swapped (a different question: nothing answers it) and a
sentence of context before one. ``--memory`` also measures what the N meaning patterns add to a
process (PSS, each case in a fresh interpreter: the patterns as the loader keeps them plus the
matcher built from them).

    .venv/bin/python bench/layer1.py [--rounds 5] [--decisions 20000] [--meaning 3000] [--memory]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import subprocess
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


def _concepts() -> tuple[list[str], dict[str, list[str]]]:
    """The shared lexicon's content concepts and their forms (as a fan would type them)."""
    from botan_line.characters import lexicon

    forms = {}
    for line in lexicon.CONCEPTS.strip().splitlines():
        name, _, rest = line.partition(":")
        forms[name.strip()] = [f.split("+")[0] for f in rest.split()]
    return list(forms), forms


ASK_WORDS = {"what": "なに", "when": "いつ", "how": "どうやって", "amount": "どのくらい", None: "教えて"}


def with_meaning(
    n_total: int, n_meaning: int, seed: int = 7, also: int = 0
) -> tuple[list[Pattern], list[str], list[dict]]:
    """``n_total`` synthetic patterns of which ``n_meaning`` are learned questions with a meaning, each
    with ``also`` drafted wordings (``Meaning.also``: one or two concepts, one of them its own)."""
    patterns, phrases = synthetic(n_total - n_meaning, seed)
    rng = random.Random(seed + 1)
    other = random.Random(
        seed + 2
    )  # the drafted wordings' own: the questions stay the same with or without them
    ids, forms = _concepts()
    questions = []
    for i in range(n_meaning):
        need = rng.sample(ids, rng.choice((1, 2, 2, 3)))
        concepts = {cid: [] for cid in need}
        if rng.random() < 0.6:  # a content word the lexicon did not know, with its forms
            own = word(rng, rng.randint(3, 4))
            concepts[f"w:{own}"] = [own, own[:-1] + "る"]
        optional = {cid: [] for cid in rng.sample(ids, rng.choice((0, 1, 2))) if cid not in concepts}
        ask = rng.choice(("what", "what", "when", "how", "amount", None))
        text = "の".join(rng.choice(forms[c]) if not c.startswith("w:") else concepts[c][0] for c in concepts)
        questions.append({"concepts": list(concepts), "text": text, "ask": ask})
        variants = []
        for _ in range(also):  # a word of two kanji: one a message cannot spell by chance, as kana can
            own = "".join(chr(0x4E00 + other.randrange(0x5000)) for _ in range(2))
            said = {f"w:{own}": [own]} | {cid: [] for cid in other.sample(need, 1) if other.random() < 0.5}
            variants.append({"concepts": said, "example": own + ASK_WORDS[ask] + "？"})
        patterns.append(
            Pattern.model_validate(
                {
                    "id": f"learned_{i}",
                    "category": "learned",
                    "triggers": [{"exact": [text + ASK_WORDS[ask]]}],
                    "meaning": {
                        "examples": [text + ASK_WORDS[ask] + "？"],
                        "concepts": concepts,
                        "optional": optional,
                        "ask": ask,
                        "also": variants,
                    },
                    "replies": ["うん", "そっか"],
                }
            )  # fmt: skip
        )
    return patterns, phrases, questions


def meaning_messages(
    phrases: list[str], questions: list[dict], rng: random.Random, count: int = 400
) -> list[str]:
    """The usual mix, and as many questions: a pattern's question in other words, the same with one
    concept swapped, and one after a sentence of context."""
    ids, forms = _concepts()
    out = messages(phrases, rng, count // 2)
    for i in range(count - len(out)):
        q = rng.choice(questions)
        parts = [rng.choice(forms[c]) if not c.startswith("w:") else c[2:] for c in q["concepts"]]
        if i % 3 == 1:  # another question sharing words
            parts[rng.randrange(len(parts))] = rng.choice(forms[rng.choice(ids)])
        text = "ねえねえ" + "の".join(parts) + ("って" + ASK_WORDS[q["ask"]] if q["ask"] else "ある") + "？"
        if i % 3 == 2:
            text = "昨日の配信楽しかった！ところで" + text
        out.append(text)
    rng.shuffle(out)
    return out


def pss_kb() -> int:
    with open("/proc/self/smaps_rollup") as f:
        for line in f:
            if line.startswith("Pss:"):
                return int(line.split()[1])
    return 0


def memory_case(n_meaning: int, also: int = 0) -> dict:
    """In this (fresh) process: PSS before and after 10,000 patterns with ``n_meaning`` meaning ones."""
    import gc

    from botan_line.characters import meaning  # noqa: F401 - imported before the baseline, as in the service

    gc.collect()
    before = pss_kb()
    patterns, _phrases, _q = with_meaning(10_000, n_meaning, also=also)
    matcher = Matcher(patterns, sister="botan", names={"yuri": ["ユリ", "ユリちゃん"]})
    normalize("ねえねえ好きな食べ物なに？")
    matcher.match("好きな食べ物なに", True, Context("evening"))
    gc.collect()
    after = pss_kb()
    return {"meaning": n_meaning, "pss_kb": after - before}


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
        matcher.match(norm.text, norm.question, ctx, norm.breaks, norm.loans)
        timings.append((perf() - t0) / 1000)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description="Layer 1 decision benchmark")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--decisions", type=int, default=20000)
    parser.add_argument("--meaning", type=int, default=3000, help="meaning patterns among 10,000")
    parser.add_argument("--memory", action="store_true", help="also the PSS the meaning patterns add")
    parser.add_argument(
        "--also", type=int, default=0, help="drafted wordings per learned question (Meaning.also)"
    )
    parser.add_argument("--memory-case", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_case is not None:
        print(json.dumps(memory_case(args.memory_case, args.also)))
        return
    sizes = [100, 1_000, 10_000]
    rng = random.Random(11)
    setups = {}
    for n in sizes:
        patterns, phrases = synthetic(n)
        t0 = time.perf_counter()
        matcher = Matcher(patterns)
        setups[n] = (matcher, messages(phrases, rng), time.perf_counter() - t0)
    patterns, phrases, questions = with_meaning(10_000, args.meaning, also=args.also)
    t0 = time.perf_counter()
    matcher = Matcher(patterns, sister="botan", names={"yuri": ["ユリ", "ユリちゃん"], "kasho": ["花相"]})
    setups["meaning"] = (matcher, meaning_messages(phrases, questions, rng), time.perf_counter() - t0)
    cases = [*sizes, "meaning"]
    results = {n: {"median": [], "p99": []} for n in cases}
    for _ in range(args.rounds):
        for n in cases:  # interleaved: every size sees the same machine conditions
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
    for n in cases:
        label = f"{n:>9,}" if n != "meaning" else f"{'10,000*':>9}"
        print(
            f"{label} {statistics.median(results[n]['median']):>10.2f} "
            f"{statistics.median(results[n]['p99']):>8.2f} {setups[n][2]:>14.3f}"
        )
    print(
        f"* {args.meaning:,} of them questions matched by meaning ({args.also} drafted wordings each), "
        "half the messages questions"
    )
    matcher, texts, _ = setups["meaning"]
    answered = sum(
        1
        for t in texts
        if (n := normalize(t))
        and (m := matcher.match(n.text, n.question, Context("morning"), n.breaks, n.loans))
        and m.kind == 3
    )  # fmt: skip
    print(f"  messages answered by meaning: {answered} of {len(texts)}")
    growth = statistics.median(results[10_000]["median"]) / statistics.median(results[100]["median"])
    print(f"growth of the median from 100 to 10,000 patterns: {growth:.2f}x")
    print(
        f"real files (botan, {real_n} patterns): median {real_t[len(real_t) // 2]:.2f} µs, "
        f"p99 {real_t[int(len(real_t) * 0.99)]:.2f} µs"
    )
    if args.memory:
        figures = {}
        for n in (0, args.meaning):
            runs = []
            for _ in range(3):
                done = subprocess.run([sys.executable, __file__, "--memory-case", str(n), "--also", str(args.also)],
                                      capture_output=True, text=True, check=True)  # fmt: skip
                runs.append(json.loads(done.stdout)["pss_kb"])
            figures[n] = statistics.median(runs)
        extra = (figures[args.meaning] - figures[0]) / 1024
        print(f"PSS of 10,000 patterns: {figures[0] / 1024:.1f} MB plain, {figures[args.meaning] / 1024:.1f} MB with "
              f"{args.meaning:,} meaning ones: +{extra:.1f} MB ({extra * 1024 / max(1, args.meaning):.2f} KB each)")  # fmt: skip


if __name__ == "__main__":
    main()
