#!/usr/bin/env python3
"""Safety layer and quality guard on the labelled corpora (a benchmark, not a test).

With ``--authors DIR`` (tests/data/safety/authors by default; a folder of held-out authors to
measure once), prints per author and pooled, for the rules alone and for rules + reader: the
share caught of each class (crisis, abuse and danger count as caught when read as any of the three;
"worrying" adds concern), false alarms on each family's look-alikes and on ordinary lines, with
Wilson 95% intervals on the pooled figures; ``--ordinary FILE`` adds a file of ordinary lines.

Then prints, for the dev and the held-out parts of tests/data/safety: recall and false-positive rate
per class (positives of the class; negatives are its look-alikes, concern lines included), the
concern recall, and the hits on generated ordinary fan chat (tests/corpus.py). Then the guard's
precision and recall on tests/data/guard (a rejection is a positive), its false-reject rate on
generated ordinary replies and on every line shipped in characters/, the median microseconds per
message of classify and check_reply, and what importing and compiling the safety layer costs in
memory (PSS, from /proc/self/smaps_rollup).

    .venv/bin/python bench/safety.py [--rounds 5] [--misses] [--authors DIR] [--ordinary FILE] [--only-authors]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))


def pss_kb() -> int:
    try:
        for line in Path("/proc/self/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


# What the service already loads (pydantic, yaml, the loader, the guard), then the safety layer.
from botan_line.characters.loader import load_characters  # noqa: E402
from botan_line.core.guard import check_reply, check_variation  # noqa: E402

BEFORE = pss_kb()
from botan_line.core import safety  # noqa: E402  (jaconv, the rule table)

IMPORTED = pss_kb()
CHARS = load_characters(ROOT / "characters")
RULES = CHARS.safety
NAMES = CHARS.speaker_names  # what Layer 2 passes the guard: every sister's names
LOADED = pss_kb()
safety.classify("おはよう", RULES, model=False)  # compiles the rules (regexes, Aho-Corasick automaton)
COMPILED = pss_kb()
safety.classify("おはよう", RULES)  # loads the statistical reader's table
READER = pss_kb()
from corpus import BLIND, CLASSES, SPLITS, load, load_guard, ordinary_chat, ordinary_replies  # noqa: E402


def kind(text: str) -> str | None:
    verdict = safety.classify(text, RULES)
    return verdict.kind if verdict else None


def pct(n: int, d: int) -> str:
    return f"{n}/{d} = {100 * n / d:.1f}%" if d else "n/a"


def safety_figures(show_misses: bool) -> None:
    print("safety layer (tests/data/safety)")
    for split in (*SPLITS, BLIND):
        for cls in CLASSES:
            rows = load(cls, split)
            pos = [t for label, t in rows if label == cls]
            neg = [t for label, t in rows if label != cls]
            hits = [t for t in pos if kind(t) == cls]
            false = [t for t in neg if kind(t) == cls]
            print(
                f"  {split:8} {cls:9} recall {pct(len(hits), len(pos)):>18}   false positives {pct(len(false), len(neg))}"
            )
            if show_misses:
                for t in pos:
                    if t not in hits:
                        print(f"      miss: {t}")
                for t in false:
                    print(f"      false: {t}")
        concern = [t for label, t in load("crisis", split) if label == "concern"]
        ok = sum(kind(t) == "concern" for t in concern)
        print(f"  {split:8} concern   recall {pct(ok, len(concern)):>18}   (no target; crisis look-alikes)")
    for split in SPLITS:
        lines = ordinary_chat(split, 12000)
        counts: dict[str, int] = {}
        for t in lines:
            k = kind(t)
            if k:
                counts[k] = counts.get(k, 0) + 1
        shown = ", ".join(f"{k} {counts.get(k, 0)}" for k in ("crisis", "sexual", "personal", "concern"))
        print(f"  {split:8} ordinary chat: {len(lines)} lines → {shown}")


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    if not n:
        return 0.0, 0.0
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * ((p * (1 - p) / n + z * z / (4 * n * n)) ** 0.5) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def author_figures(folder: Path, ordinary_file: Path | None, show_misses: bool) -> None:
    from safety_corpus import CLASSES as SIX
    from safety_corpus import FAMILY, NEAR, authors

    books = authors(folder)
    if ordinary_file is not None:
        lines = [t.strip() for t in ordinary_file.read_text(encoding="utf-8").splitlines() if t.strip()]
        books[ordinary_file.stem] = [("ordinary", t) for t in lines]
    print(f"safety layer on the authors of {folder} ({', '.join(books)})")
    rows = [(name, label, text) for name, lines in books.items() for label, text in lines]
    reads = {}
    for _, _, text in rows:
        if text not in reads:
            alone = safety.classify(text, RULES, model=False)
            both = safety.classify(text, RULES)
            reads[text] = (alone.kind if alone else None, both.kind if both else None)
    worrying = "worrying"
    targets = [*SIX, worrying, *NEAR, "ordinary"]
    for name in [*books, "pooled"]:
        parts = []
        for lab in targets:
            base = "concern" if lab == worrying else lab
            mine = [r for r in rows if r[1] == base and (name == "pooled" or r[0] == name)]
            if lab == worrying:  # everything that needs a careful answer: crisis, abuse, danger, concern
                mine = [r for r in rows if r[1] in FAMILY and r[1] not in ("sexual", "personal")]
                mine = [r for r in mine if name == "pooled" or r[0] == name]
            if not mine:
                continue
            fam = FAMILY["concern"] if lab == worrying else FAMILY.get(lab) or NEAR.get(lab) or set(SIX)
            alone = sum(reads[t][0] in fam for _, _, t in mine)
            both = sum(reads[t][1] in fam for _, _, t in mine)
            if name == "pooled":
                lo, hi = wilson(both, len(mine))
                what = "caught" if lab in FAMILY or lab == worrying else "false alarms"
                print(f"  pooled {lab:14} {what:12} rules {alone / len(mine):6.1%}  rules+reader "
                      f"{both}/{len(mine)} = {both / len(mine):6.1%}  (95% CI {lo:.1%}–{hi:.1%})")  # fmt: skip
            else:
                parts.append(f"{lab} {both / len(mine):.0%}")
            if show_misses and name == "pooled":
                for author, label, t in mine:
                    hit = reads[t][1] in fam
                    if (lab in FAMILY or lab == worrying) != hit:
                        print(f"      {author}: {label} read as {reads[t][1]}: {t}")
        if name != "pooled":
            print(f"  {name:12} " + ", ".join(parts))


def guard_figures() -> None:
    print("quality guard (tests/data/guard; rejection = positive)")
    for split in SPLITS:
        bad, good = load_guard(split)
        tp = sum(
            not (check_variation(o, r, names=NAMES) if o else check_reply(r, names=NAMES)).ok
            for _, r, o in bad
        )
        fp = sum(not check_reply(g, names=NAMES).ok for g in good)
        precision = tp / (tp + fp) if tp + fp else 0.0
        print(
            f"  {split:8} recall {pct(tp, len(bad)):>16}   precision {precision:.3f}   "
            f"good replies rejected {pct(fp, len(good))}"
        )
        generated = ordinary_replies(split, 3000)
        rejected = 0
        for sister, reply in generated:
            p = CHARS.persona(sister)
            rejected += not check_reply(
                reply, forbidden=p.rules.forbidden, max_sentences=p.rules.max_sentences, names=NAMES
            ).ok
        print(f"  {split:8} generated ordinary replies rejected {pct(rejected, len(generated))}")
    shipped = rejected = 0
    for sister in CHARS.sisters.values():
        p = sister.persona
        lines = [line for _, options in p.lines for line in options]
        lines += [line for pat in sister.patterns.values() for line in pat.replies]
        for line in lines:
            text = line.replace("{name}", p.address).replace("{band}", "朝")
            shipped += 1
            rejected += not check_reply(
                text, forbidden=p.rules.forbidden, max_sentences=p.rules.max_sentences, names=NAMES
            ).ok
    print(f"  shipped character lines rejected {pct(rejected, shipped)}")


def median_us(fn, texts: list[str], rounds: int) -> float:
    per_round = []
    for _ in range(rounds):
        samples = []
        for t in texts:
            start = time.perf_counter_ns()
            fn(t)
            samples.append(time.perf_counter_ns() - start)
        per_round.append(statistics.median(samples) / 1000)
    return statistics.median(per_round)


def speed(rounds: int) -> None:
    messages = ordinary_chat("heldout", 3000) + [t for c in CLASSES for s in SPLITS for _, t in load(c, s)]
    flagged = [t for c in CLASSES for s in SPLITS for label, t in load(c, s) if label == c]
    replies = [r for _, r in ordinary_replies("heldout", 3000)]
    print("speed (median per message, median of rounds)")
    print(
        f"  classify, fan messages         {median_us(lambda t: safety.classify(t, RULES), messages, rounds):6.1f} µs"
    )
    print(
        f"  classify, flagged messages     {median_us(lambda t: safety.classify(t, RULES), flagged, rounds):6.1f} µs"
    )
    guard = lambda t: check_reply(t, names=NAMES)  # noqa: E731
    print(f"  check_reply, ordinary replies  {median_us(guard, replies, rounds):6.1f} µs")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--misses", action="store_true", help="list every miss and false positive")
    parser.add_argument("--authors", type=Path, default=ROOT / "tests" / "data" / "safety" / "authors")
    parser.add_argument("--ordinary", type=Path, help="a file of ordinary fan lines, one per line")
    parser.add_argument("--only-authors", action="store_true", help="the author figures and the speed only")
    args = parser.parse_args()
    author_figures(args.authors, args.ordinary, args.misses)
    if not args.only_authors:
        safety_figures(args.misses)
        guard_figures()
    speed(args.rounds)
    print(
        f"memory (PSS): importing the safety layer {(IMPORTED - BEFORE) / 1024:.2f} MB, "
        f"compiling its rules {(COMPILED - LOADED) / 1024:.2f} MB, loading the reader {(READER - COMPILED) / 1024:.2f} MB"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
