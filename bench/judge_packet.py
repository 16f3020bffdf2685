#!/usr/bin/env python3
"""Turn a month's Layer 1 answers into a packet for readers who did not write the patterns (issue 22).

    .venv/bin/python bench/judge_packet.py var/month/month2_layer1.jsonl --out packet.jsonl [--parts 2]

``bench/month.py`` writes every Layer 1 answer of month 2 (``month2_layer1.jsonl``). A reader judges
each distinct (fan line, pattern) once, weighted by how often it was said: an authored pattern on
every reply it may give (``her_possible_replies``, from ``characters/``), a learned pattern on
whether the fan asks what the wordings it was learned from ask (``learned_from``) — the month's
learned replies come from a fake model, so their text says nothing; one learned for more wordings of
a pattern of hers (``same_as``) answers with that pattern's lines, and shows both. The readers add ``verdict``
(appropriate / borderline / wrong) and ``reason``; ``--score FILE...`` then prints the weighted shares.

A rerun of a judged month (after fixes) keeps the verdicts of what was judged before: ``--carry JUDGED...``
writes the items whose fan line, sister and what answered it (an authored pattern's possible replies, a
learned one's wordings and replies) were judged to ``out.carried.jsonl`` with their verdicts, and only the
rest to the packet for a new reader; ``--score`` then reads both.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from botan_line.characters.loader import load_characters  # noqa: E402

VERDICTS = ("appropriate", "borderline", "wrong")


def packet(rows: list[dict]) -> list[dict]:
    chars = load_characters(ROOT / "characters")
    times = Counter((r["fan"], r["pattern"]) for r in rows)
    first: dict[tuple[str, str], dict] = {}
    for r in rows:
        first.setdefault((r["fan"], r["pattern"]), r)
    items = []
    for n, ((fan, pid), count) in enumerate(times.most_common(), 1):
        r = first[(fan, pid)]
        sister, _, local = (pid or "").partition(":")
        item = {"id": n, "fan": fan, "sister": sister, "pattern": pid, "times": count}
        if "learned_from" in r:
            item.update(kind="learned", learned_from=r["learned_from"])
        if "learned_from" not in r or "same_as" in r:  # her lines (for more wordings of one: its)
            local = r["same_as"].partition(":")[2] if "same_as" in r else local
            pattern = chars.pattern(sister, local) if sister in chars.sisters else None
            replies = list(pattern.replies) if pattern is not None and pattern.replies else [r["reply"]]
            item.update(her_possible_replies=replies)
            item.setdefault("kind", "authored")
        items.append(item)
    return items


def _key(item: dict) -> tuple:
    """What a verdict is about: the fan line, her, and what answered it (never the pattern's id, which a
    rerun may number differently)."""
    return (
        item["fan"],
        item["sister"],
        item["kind"],
        tuple(sorted(item.get("learned_from", ()))),
        tuple(item.get("her_possible_replies", ())),
    )


def carry(items: list[dict], judged: list[Path]) -> tuple[list[dict], list[dict]]:
    """Split ``items`` into those judged before (with the earlier verdict and reason) and the rest."""
    known: dict[tuple, dict] = {}
    for p in judged:
        for x in p.read_text(encoding="utf-8").splitlines():
            if x.strip():
                old = json.loads(x)
                if old.get("verdict") in VERDICTS:
                    known.setdefault(_key(old), old)
    kept, fresh = [], []
    for item in items:
        old = known.get(_key(item))
        if old is None:
            fresh.append(item)
        else:
            kept.append({**item, "verdict": old["verdict"], "reason": old.get("reason", ""), "carried": True})
    return kept, fresh


def score(paths: list[Path]) -> None:
    items = [json.loads(x) for p in paths for x in p.read_text(encoding="utf-8").splitlines() if x.strip()]
    for kind in ("all", "authored", "learned"):
        chosen = [i for i in items if kind == "all" or i["kind"] == kind]
        weight = sum(i["times"] for i in chosen)
        if not weight:
            continue
        shares = {v: sum(i["times"] for i in chosen if i.get("verdict") == v) / weight for v in VERDICTS}
        unjudged = sum(i["times"] for i in chosen if i.get("verdict") not in VERDICTS)
        print(f"{kind:9} {len(chosen):4} distinct, {weight:5} answers: "
              + ", ".join(f"{v} {shares[v]:.1%}" for v in VERDICTS)
              + (f" (unjudged {unjudged})" if unjudged else ""))  # fmt: skip


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("month", type=Path, nargs="?", help="month2_layer1.jsonl from bench/month.py")
    ap.add_argument("--out", type=Path, help="the packet (with --parts N: N files, out.1.jsonl …)")
    ap.add_argument("--parts", type=int, default=1)
    ap.add_argument("--score", type=Path, nargs="+", help="judged packets: print the weighted shares")
    ap.add_argument(
        "--carry", type=Path, nargs="+", help="judged packets of an earlier run: keep their verdicts"
    )
    args = ap.parse_args()
    if args.score:
        score(args.score)
        return 0
    if args.month is None or args.out is None:
        ap.error("give the month file and --out, or --score FILES")
    rows = [json.loads(x) for x in args.month.read_text(encoding="utf-8").splitlines() if x.strip()]
    items = packet(rows)
    if args.carry:
        kept, items = carry(items, args.carry)
        out = args.out.with_suffix(".carried.jsonl")
        out.write_text("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in kept), encoding="utf-8")
        print(f"{out}: {len(kept)} items with earlier verdicts, {sum(i['times'] for i in kept)} answers")
    parts = [items[i :: args.parts] for i in range(args.parts)]
    for k, part in enumerate(parts, 1):
        out = args.out if args.parts == 1 else args.out.with_suffix(f".{k}.jsonl")
        out.write_text("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in part), encoding="utf-8")
        print(f"{out}: {len(part)} items, {sum(i['times'] for i in part)} answers")
    return 0


if __name__ == "__main__":
    sys.exit(main())
