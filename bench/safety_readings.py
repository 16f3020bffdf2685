#!/usr/bin/env python3
"""Write botan_line/core/safety_readings.tsv: the kana reading of every kanji run in the built-in
safety rules, in its place (see botan_line/core/safety_kana.py).

Offline, with pykakasi (``pip install -e '.[train]'``); run it after changing a rule (a test says
when the table misses a run), and read the new rows: pykakasi misreads some (何年生 → なんねんなま,
従兄 → じゅうけい); the right reading goes in bench/safety_readings_fixes.tsv. Readings that would
misfire are left out by the data (see ``inside_words`` and ``false_alarms``).

    .venv/bin/python bench/safety_readings.py
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import pykakasi  # noqa: E402

from botan_line.characters.safety_text import prepare  # noqa: E402
from botan_line.core import safety, safety_kana  # noqa: E402
from botan_line.core.safety_rules import RULES  # noqa: E402

OUT = ROOT / "botan_line" / "core" / "safety_readings.tsv"
# Where pykakasi reads a kanji wrongly in its place, and every lone kanji (紐 → ひも, which pykakasi reads
# on'yomi): context, kanji, reading ("" for none), from helpers who read every row of the table
FIXES = ROOT / "bench" / "safety_readings_fixes.tsv"
# A short reading (three kana) may stand inside other words in this many ordinary lines: 下着 → したぎ
# (4, most of them したぎ itself) stays, 体位 → たいい (88: たいいく) and 遺書 → いしょ (183: いっしょ) go; a
# share of the pool, as every new author adds lines: with 45,812 lines, 9 (薬 → くすり, 6, is mostly くすり itself)
MAX_INSIDE_SHARE = 1 / 5000
MIN_INSIDE = 5


def reading(kakasi, context: str, kanji: str, fixed: str | None = None) -> str | None:
    """The reading of ``kanji`` where it stands in ``context`` (kana before, the kanji, kana after),
    or None where a kana alternative would do more harm than good."""
    before, _, after = context.partition(kanji)
    if fixed is not None:
        core = fixed
    else:
        whole = kana(kakasi, context)
        if not whole.startswith(before) or not whole.endswith(after):
            return None
        core = whole[len(before) : len(whole) - len(after)]
    if not core or safety_kana.KANJI.search(core) or core == kanji:
        return None
    if len(kanji) == 1 and not after and fixed is None:  # pykakasi reads a lone kanji on'yomi (縫 → ほう):
        return None  # only a reader's reading (紐 → ひも) is taken
    if len(core) + len(after) < (2 if not after else 3):  # 見え → みえ, 切っ → きっ: too short not to be
        return None  # some other word
    return core


def kana(kakasi, text: str) -> str:
    return "".join(part["hira"] for part in kakasi.convert(text))


def ordinary_pool() -> list[str]:
    """Lines that must stay unflagged: the training authors' look-alikes and
    ordinary lines, fans' chat written for other work, and generated ordinary chat."""
    from corpus import ordinary_chat
    from safety_corpus import authors, fan_chat, held_out_names

    held = held_out_names()
    lines = [
        t
        for a, rows in authors().items()
        if a not in held
        for label, t in rows
        if label.startswith(("near", "ord"))
    ]
    lines += fan_chat() + ordinary_chat("dev")  # the held-out templates stay for bench/safety.py
    return list(dict.fromkeys(lines))


def inside_words(kakasi, rows: dict[tuple[str, str], str], pool: list[str]) -> dict[tuple[str, str], int]:
    """For each short reading of a kanji word with no kana after it (遺書 → いしょ), the ordinary
    lines that hold it, as written or read in kana, without the word: いっしょ, ばんごはんらーめん."""
    texts = [(h, kana(kakasi, h)) for h in (prepare(t).h for t in pool)]
    out = {}
    for (context, kanji), core in rows.items():
        if core and len(core) <= 3 and not context.partition(kanji)[2]:
            out[(context, kanji)] = sum(1 for h, k in texts if (core in h or core in k) and kanji not in h)
    return out


def false_alarms(rows: dict[tuple[str, str], str], pool: list[str]) -> dict[tuple[str, str], int]:
    """The readings that make a rule fire on a pool line the kanji-only rules leave alone, each with
    the number of such lines: はんら (半裸) in ばんごはんらーめん, たいい (体位) in たいいく."""
    plain = safety.compile_rules(None, readings={})
    kana_rules = safety.compile_rules(None, readings=rows)
    by_rule: dict[str, list[tuple[str, str]]] = {}
    for kind, rule_id, form, _anchors, pattern in RULES:
        if form == "h":
            ident = f"{kind.partition(':')[2] or kind}:{rule_id}"
            by_rule[ident] = [(r.context, r.kanji) for r in safety_kana.runs(pattern)]
    out: dict[tuple[str, str], int] = {}
    for text in pool:
        verdict = kana_rules.classify(text)
        if verdict is None or verdict == plain.classify(text):
            continue
        h = prepare(text).h
        for key in by_rule.get(verdict.rule, ()):
            core = rows.get(key)
            if core and core + key[0].partition(key[1])[2] in h:
                out[key] = out.get(key, 0) + 1
    return out


def main() -> None:
    kakasi = pykakasi.kakasi()
    fixes = {}
    for line in FIXES.read_text(encoding="utf-8").splitlines():
        context, kanji, fixed = (line.split("\t") + [""])[:3]
        fixes[(context, kanji)] = fixed
    rows: dict[tuple[str, str], str] = {}
    for _kind, _rule_id, form, _anchors, pattern in RULES:
        if form != "h":
            continue
        for run in safety_kana.runs(pattern):
            key = (run.context, run.kanji)
            if key not in rows:
                rows[key] = reading(kakasi, run.context, run.kanji, fixes.get(key)) or ""
    pool = ordinary_pool()
    inside = inside_words(kakasi, rows, pool)
    limit = max(MIN_INSIDE, round(len(pool) * MAX_INSIDE_SHARE))
    for key, n in sorted(inside.items()):
        if n > limit:
            print(f"  left out: {key[0]} → {rows[key]} (inside other words in {n} ordinary lines)")
            rows[key] = ""
    while hits := false_alarms(rows, pool):  # a reading behind a new false alarm is left out
        for key, n in hits.items():
            print(f"  left out: {key[0]} → {rows[key]} ({n} ordinary or look-alike lines)")
            rows[key] = ""
    lines = [
        "# context<TAB>kanji<TAB>reading: written by bench/safety_readings.py (pykakasi); an empty reading is none",
        *(f"{c}\t{k}\t{r}" for (c, k), r in sorted(rows.items())),
    ]
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{len(rows)} runs, {sum(1 for r in rows.values() if r)} with a reading → {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
