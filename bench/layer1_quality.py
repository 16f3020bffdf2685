#!/usr/bin/env python3
"""Layer 1 coverage and precision per sister, on a labelled corpus of short chat lines.

    .venv/bin/python bench/layer1_quality.py [--split heldout|dev|all] [--misses]

`tests/data/layer1_chat.jsonl`: one fan line a row, with what the sister said just before it
(`after`, the same word the matcher's `when.after` tests), whether Layer 1 should answer it (`l1`)
and, if so, what it means (`intent`). The `heldout` rows were written before the patterns were
tuned and are never tuned on; report those.

- coverage: lines Layer 1 answered with a fitting pattern / all lines (the share that costs nothing)
- precision: lines answered with a fitting pattern / lines answered (a wrong answer is worse than none)
- recall: lines answered with a fitting pattern / lines Layer 1 should answer

Openers (`tests/data/layer1_openers.jsonl`) are sent at every hour (hh:30); an opener counts as
right when the pattern fits it and every variation that pattern can send names the hour right.
Targets (held-out): coverage ≥ 20% per sister at precision ≥ 97%; openers ≥ 97% with no wrong
time word.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from botan_line.characters.loader import load_characters  # noqa: E402
from botan_line.characters.matcher import Context  # noqa: E402
from botan_line.characters.normalize import normalize  # noqa: E402
from botan_line.characters.timewords import fits, time_word  # noqa: E402
from botan_line.clock import time_band  # noqa: E402

# intent → the pattern ids (of any sister) that answer it well
INTENTS: dict[str, tuple[str, ...]] = {
    "understood": ("i_see",),
    "agree": ("agree", "i_see"),
    "impressed": ("impressed", "wow", "nice", "you_are_funny", "cool"),
    "oh_no": ("oh_no",),
    "is_that_so": ("is_that_so", "really", "i_see"),
    "lukewarm": ("hmm",),
    "surprised": ("surprised", "really"),
    "really": ("really", "is_that_so"),
    "yes_answer": ("answered_yes",),
    "thinking": ("thinking", "hmm"),
    "lol": ("lol",),
    "thanks": ("thanks",),
    "apology": ("apology", "sorry"),
    "goodbye": ("goodbye", "bye"),
    "goodnight": ("goodnight", "goodnight_early"),
    "morning": ("morning", "morning_late"),
    "evening": ("evening", "evening_early", "good_evening", "good_evening_early"),
    "hello": ("hello", "hello_offtime", "hello_off"),
    "tadaima": ("tadaima", "tadaima_night", "im_home"),
    "going_out": ("ittekimasu", "going_out"),
    "otsukare": ("otsukare",),
    "hi": ("hi", "hi_casual"),
    "nice_to_meet": ("nice_to_meet", "first_meet", "nice_to_meet_you"),
    "itadakimasu": ("itadakimasu", "eating"),
    "gochisousama": ("gochisousama", "ate_meal"),
    "yes_ok": ("yes_ok",),
    "wow": ("wow", "impressed"),
    "nice": ("nice", "impressed"),
    "you_are_funny": ("you_are_funny", "impressed"),
    "cool": ("cool",),
    "exam": ("exam",),
}
SISTERS = ("botan", "kasho", "yuri")
TZ = ZoneInfo("Asia/Tokyo")


def accepted(intent: str) -> tuple[str, ...]:
    return INTENTS.get(intent, (intent,))


def load(path: Path, split: str) -> list[dict]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r for r in rows if split == "all" or r["split"] == split]


def chat_figures(chars, rows: list[dict], sister: str, misses: list | None = None) -> dict:
    matcher = chars.matchers[sister]
    answered = right = should = 0
    for r in rows:
        n = normalize(r["text"])
        m = matcher.match(n.text, n.question, Context("daytime", after=r["after"]), n.breaks, n.loans)
        should += r["l1"]
        if m is None:
            if r["l1"] and misses is not None:
                misses.append((sister, "miss", r["text"], r["after"], r["intent"]))
            continue
        answered += 1
        ok = r["l1"] and m.pattern.id in accepted(r["intent"])
        right += ok
        if not ok and misses is not None:
            misses.append((sister, f"WRONG {m.pattern.id}", r["text"], r["after"], r["intent"]))
    return {
        "lines": len(rows),
        "coverage": right / len(rows) if rows else 0.0,
        "precision": right / answered if answered else 1.0,
        "recall": right / should if should else 1.0,
        "answered": answered,
    }


def opener_figures(chars, rows: list[dict], sister: str, misses: list | None = None) -> dict:
    matcher = chars.matchers[sister]
    tries = right = wrong_word = 0
    for r in rows:
        for hour in range(24):
            now = datetime(2026, 11, 28, hour, 30, tzinfo=TZ)
            n = normalize(r["text"])
            m = matcher.match(n.text, n.question, Context(time_band(now), after="nothing"), n.breaks, n.loans)
            tries += 1
            if m is None or m.pattern.id not in accepted(r["intent"]):
                if misses is not None:
                    misses.append((sister, f"opener {hour}h", r["text"], m and m.pattern.id, r["intent"]))
                continue
            lines = [reply.replace("{band}", time_word(now)) for reply in m.pattern.replies]
            bad = [line for line in lines if not fits(line, hour)]
            wrong_word += bool(bad)
            right += not bad
            if bad and misses is not None:
                misses.append((sister, f"time word {hour}h", r["text"], bad[0], r["intent"]))
    return {"tries": tries, "right": right / tries if tries else 0.0, "wrong_time_word": wrong_word}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", default="heldout", choices=("heldout", "dev", "all"))
    parser.add_argument("--misses", action="store_true", help="list every miss and wrong answer")
    args = parser.parse_args()
    chars = load_characters(ROOT / "characters")
    chat = load(ROOT / "tests/data/layer1_chat.jsonl", args.split)
    openers = load(ROOT / "tests/data/layer1_openers.jsonl", args.split)
    misses: list | None = [] if args.misses else None
    print(
        f"split: {args.split} — {len(chat)} chat lines ({sum(r['l1'] for r in chat)} for Layer 1), {len(openers)} openers × 24 hours"
    )
    print(
        f"{'sister':<8}{'coverage':>10}{'precision':>11}{'recall':>9}{'answered':>10}{'openers':>9}{'wrong 時':>9}"
    )
    ok = True
    for sister in SISTERS:
        c = chat_figures(chars, chat, sister, misses)
        o = opener_figures(chars, openers, sister, misses)
        print(
            f"{sister:<8}{c['coverage']:>10.1%}{c['precision']:>11.1%}{c['recall']:>9.1%}{c['answered']:>10}"
            f"{o['right']:>9.1%}{o['wrong_time_word']:>9}"
        )
        ok &= (
            c["coverage"] >= 0.20
            and c["precision"] >= 0.97
            and o["right"] >= 0.97
            and not o["wrong_time_word"]
        )
    print("targets met" if ok else "targets NOT met")
    for miss in misses or []:
        print("  ", *miss)
    return 0


if __name__ == "__main__":
    sys.exit(main())
