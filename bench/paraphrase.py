#!/usr/bin/env python3
"""Does an approved question answer the other wordings of it, and only those? (a benchmark, not a test)

    .venv/bin/python bench/paraphrase.py [--dir tests/data/learning/authors] [--misses] [--json]

Author files (``*_questions.jsonl``, see BRIEF_COMMON.md there): per intent 10 wordings and 3
contrasts that share words but ask something else, and ``to``: the sister asked (``any``: 牡丹, the
default). For each file and each of three splits (wordings 1–3, 4–6, 7–9), in a fresh database
through the real core:

1. every intent's three training wordings are sent by three fans (a fan who talks to Kasho or ユリ
   switches to her first, and a wording that names a sister goes to her, as in the service) and
   answered by a fake model in each sister's voice;
2. the real miner (``learning.mine``: clustering, meaning, triggers) runs and every candidate is
   approved with the code ``/approve`` runs (``learned.decide_now``);
3. every other wording and every contrast is sent by a new fan. A learned pattern belongs to the
   intent most of its merged wordings came from.

- paraphrases answered: an intent's untrained wordings answered by Layer 1 with a pattern learned
  from that intent / all of them (target on held-out authors ≥ 80%);
- wrong matches: contrasts answered by the pattern of the intent they contrast, and other intents'
  wordings answered by a pattern learned from another intent, over all of them (≤ 1%).

The end-to-end figure is the product of two steps, measured apart:

- grouping: of the intents whose three training wordings all reached Layer 2, the share the miner
  merged into one candidate (a split leaves groups of fewer than three fans: no candidate);
- recall given approval: the same run again with the miner's grouping replaced by the truth (the
  three wordings of each intent form its candidate, as an admin approving that question gets),
  everything else unchanged; paraphrases answered and wrong matches as above.

``--misses`` prints what was split (each training wording with the concepts and question kind the
miner read) and, for the approval run, every paraphrase not answered with why its own pattern
refused it.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import os
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from botan_line.characters.normalize import normalize  # noqa: E402
from botan_line.core.conversation import called_sister  # noqa: E402
from botan_line.core.model import Turn  # noqa: E402
from botan_line.core.ports import Completion, Moderation  # noqa: E402
from botan_line.errors import LearningError  # noqa: E402
from botan_line.ops import learning, paraphrase  # noqa: E402
from botan_line.settings import Settings  # noqa: E402
from botan_line.storage import learned  # noqa: E402
from botan_line.wiring import build  # noqa: E402

TZ = ZoneInfo("Asia/Tokyo")
ADMIN = "Ubench-admin"
VOICES = {  # the fake model answers in each sister's register (one line per sister, all different)
    "kasho": "ふふ、いい質問ですね。それはまた配信でゆっくりお話ししますね。",
    "yuri": "えっと…それはね、今度ゆっくり話したいかも。",
    "botan": "それ聞いちゃう？マジで今度配信で話すね！",
}


class VoiceModel:
    """Layer 2 for the benchmark: her own line, chosen by her system prompt; moderation flags nothing."""

    def complete(self, ask, messages, *, deadline) -> Completion:
        system = messages[0]["content"][:40] if messages else ""  # あなたは「花相（かしょう）」です…
        sid = "kasho" if "花相" in system else "yuri" if "ユリ" in system else "botan"
        text = VOICES[sid]
        return Completion(
            text, ask.model, sum(len(str(m["content"])) for m in messages), len(text), True, 1.0
        )

    def moderate(self, text, *, model, timeout, deadline) -> Moderation:
        return Moderation(True, {}, False, model)


def sister_of(intent: dict) -> str:
    return intent["to"] if intent["to"] in ("botan", "kasho", "yuri") else "botan"


class Run:
    """One fresh database, one author file, one split."""

    def __init__(self, work: Path, name: str, chars_dir: Path):
        self.name = name
        settings = Settings(data_dir=work, database_url=f"sqlite:///{work / (name + '.db')}",
                            characters_dir=chars_dir, admin_user_ids=frozenset({ADMIN}), worker=False)  # fmt: skip
        self.services = build(settings, llm=VoiceModel())
        self.n = 0
        self.now = datetime(2026, 11, 20, 20, 0, tzinfo=TZ)

    def ask(self, sister: str, text: str):
        """A new fan talking to ``sister`` asks ``text``; the ledger row of the answer."""
        self.n += 1
        user = f"Ufan{self.n:05d}"
        if sister != "botan":
            self._turn(user, f"/{sister}")
        decision = self._turn(user, text)
        return decision.ledger

    def _turn(self, user: str, text: str):
        s = self.services
        decision = s.conversation.on_text(Turn(user_id=user, text=text, now=self.now), s.store)
        s.store.apply(decision, self.now)
        return decision


def _shown(reading) -> str:
    if reading is None:
        return "-"
    asks = "/".join(sorted(reading.asks)) or "·"
    extra = f" ?{'|'.join(reading.unknown_words)}" if reading.unknown_words else ""
    flags = "".join(f for f, on in (("¬", reading.negated), ("私", reading.fan)) if on)
    about = f" about {','.join(sorted(reading.about))}" if reading.about else ""
    return f"[{asks}{flags}{about}] {' '.join(sorted(reading.concepts))}{extra}"


class _Truth:
    """The miner's grouping replaced by the truth: the wordings of one intent form one group."""

    def __init__(self, origin: dict[tuple[str, str], int]):
        self.by_text: dict[str, dict[str, int]] = {}  # key → sister → intent
        for (sister, key), i in origin.items():
            self.by_text.setdefault(key, {})[sister] = i
        self.real = paraphrase.cluster

    def __enter__(self):
        def cluster(wordings, threshold=paraphrase.THRESHOLD):
            # the miner clusters one sister's wordings at a time: whose they are, a key said to two sisters
            # (の誕生日いつ, her name taken out) belongs to this one's intent
            seen = Counter(
                s for w in wordings for s in self.by_text.get(w.text, {}) if len(self.by_text[w.text]) == 1
            )
            sister = seen.most_common(1)[0][0] if seen else None
            groups: dict[int, list] = {}
            for w in wordings:
                mine = self.by_text.get(w.text, {})
                intent = mine.get(sister) if sister in mine else next(iter(mine.values()), None)
                groups.setdefault(intent if intent is not None else -1 - len(groups), []).append(w)
            return list(groups.values())

        paraphrase.cluster = cluster
        return self

    def __exit__(self, *exc):
        paraphrase.cluster = self.real


def run_file(path: Path, split: int, work: Path, chars_dir: Path, misses: list | None,
             truth: bool = False, drafted: dict | None = None, dump: Path | None = None) -> dict:  # fmt: skip
    intents = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    run = Run(work, f"{path.stem}-{split}-{'truth' if truth else 'miner'}", chars_dir)
    train = {i: d["wordings"][split * 3 : split * 3 + 3] for i, d in enumerate(intents)}
    origin: dict[
        tuple[str, str], int
    ] = {}  # (sister, normalised key) → intent: keys of two sisters may be alike
    reached: dict[
        int, set[tuple[str, str]]
    ] = {}  # intent → (sister, key) of its training wordings in Layer 2
    for i, d in enumerate(intents):
        for text in train[i]:
            row = run.ask(sister_of(d), text)
            if row.normalized:
                origin[(row.sister, row.normalized)] = i
            if row.layer == "layer2" and row.normalized:
                reached.setdefault(i, set()).add((row.sister, row.normalized))
    s = run.services
    t0 = time.perf_counter()
    cfg = s.settings.config.learning
    asked: list[list[str]] = []

    def rephrase(questions: list[str], n: int) -> list[str]:  # drafted wordings, read from a file
        asked.append(questions)
        return (drafted or {}).get(frozenset(questions), [])[:n]

    with _Truth(origin) if truth else contextlib.nullcontext():
        mined = learning.mine(s.engine, s.characters, min_users=cfg.min_distinct_users,
                              max_replies=cfg.max_replies_per_candidate,
                              rephrase=rephrase if drafted is not None or dump else None)  # fmt: skip
    if dump:
        with open(dump / f"{run.name}.jsonl", "w", encoding="utf-8") as fh:
            for q in asked:
                fh.write(json.dumps({"wordings": q}, ensure_ascii=False) + "\n")
    mine_s = time.perf_counter() - t0
    owner: dict[str, int | None] = {}  # "sister:learned_N" → intent
    pattern_of: dict[int, str] = {}  # intent → its learned pattern ("learned_N")
    failed = 0
    out = Counter()
    cands = list(learned.open_candidates(s.engine, limit=10**6))
    where: dict[tuple[str, str], int] = {}  # (sister, key) → candidate id
    for cand in cands:
        for m in cand.members:
            where[(cand.sister, m["text"])] = cand.id
    for i, keys in reached.items():
        if len(keys) < 3:
            continue  # one of them was answered already, or two wordings were the same key
        out["groupable"] += 1
        ids = {where.get(k) for k in keys}
        together = len(ids) == 1 and None not in ids
        out["grouped"] += together
        if not together and misses is not None and not truth:
            misses.append(("SPLIT", intents[i]["intent"]))
            for k in sorted(keys, key=lambda k: str(where.get(k))):
                misses.append(("    ", f"#{where.get(k)}", k[1], _reading_of(s, k[0], k[1])))
    for cand in cands:
        try:
            learned.decide_now(s.engine, s.characters, cand.id, ADMIN, approve_it=True)
        except LearningError as exc:
            failed += 1
            if misses is not None:
                misses.append(("approval failed", cand.trigger, str(exc)))
            continue
        votes = Counter(origin.get((cand.sister, m["text"])) for m in cand.members)
        owner[f"{cand.sister}:learned_{cand.id}"] = votes.most_common(1)[0][0]
        pattern_of.setdefault(votes.most_common(1)[0][0], f"learned_{cand.id}")
    s.characters.reload()
    chars = s.characters.current
    for i, d in enumerate(intents):
        sister = sister_of(d)
        for text in d["wordings"]:
            if text in train[i]:
                continue
            row = run.ask(sister, text)
            out["paraphrases"] += 1
            hit = row.layer == "layer1" and owner.get(row.pattern) == i
            out["answered"] += hit
            if not hit and misses is not None and truth:
                why = _why(chars, sister, pattern_of.get(i), text)
                misses.append(("miss", d["intent"], text, row.pattern or row.layer, why))
            if row.layer == "layer1" and row.pattern in owner and owner[row.pattern] != i:
                out["wrong_paraphrase"] += 1
                if misses is not None:
                    misses.append(("WRONG", d["intent"], text, intents[owner[row.pattern]]["intent"]))
        for text in d["contrasts"]:
            row = run.ask(sister, text)
            out["contrasts"] += 1
            if row.layer == "layer1" and row.pattern in owner:
                wrong = owner[row.pattern] == i
                out["wrong_contrast"] += wrong
                out["contrast_other_learned"] += not wrong
                if misses is not None:
                    tag = "WRONG contrast" if wrong else "contrast answered by"
                    misses.append((tag, d["intent"], text, intents[owner[row.pattern]]["intent"]))
    out.update(candidates=mined, approved=len(owner), failed=failed, intents=len(intents))
    out["mine_seconds"] = round(mine_s, 1)
    covered = {v for v in owner.values() if v is not None}
    out["intents_learned"] = len(covered)
    s.engine.dispose()
    return dict(out)


def _reading_of(services, sister: str, key: str) -> str:
    analyst = paraphrase.Analyst({sid: x.persona.nicknames for sid, x in services.characters.current.sisters.items()},
                                 sister)  # fmt: skip
    w = paraphrase.Wording(key, key)
    analyst.learn([w])
    return _shown(w.reading)


def _why(chars, sister: str, pattern_id: str | None, text: str) -> str:
    """How the intent's own learned pattern reads this wording, and why it does not answer it."""
    if pattern_id is None:
        return "(no pattern learned)"
    pattern = chars.pattern(sister, pattern_id)
    matcher = chars.matchers[sister]
    if pattern is None or pattern.meaning is None or matcher.reader is None:
        return "(no meaning)"
    _called, rest = called_sister(text, chars)
    n = normalize(rest)
    reading = matcher.reader.read(n.text, normalize(text).question, n.breaks, n.loans)
    verdict = matcher.explain(pattern, n.text, normalize(text).question, n.breaks, n.loans)
    m = pattern.meaning
    need = "+".join(sorted(m.concepts or {}))
    return f"{verdict.score:.2f} {verdict.reason or 'ok (another pattern won)'} | needs {need} [{m.ask or '·'}] | read {_shown(reading)}"


def _load_drafted(path: str | None) -> dict | None:
    """``--drafted``: JSON lines ``{"wordings": [...], "drafted": [...]}``, the other wordings a model
    (or a writer standing in for one, who saw only ``wordings``) drafted for each candidate."""
    if not path:
        return None
    out: dict[frozenset, list[str]] = {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line.strip():
            d = json.loads(line)
            out[frozenset(d["wordings"])] = d["drafted"]
    return out


def _job(args):
    path, split, work, chars, want_misses, truth, drafted, dump = args
    misses: list | None = [] if want_misses else None
    figures = run_file(path, split, work, chars, misses, truth=truth, drafted=_load_drafted(drafted),
                       dump=Path(dump) if dump else None)  # fmt: skip
    return path.stem, truth, figures, misses or []


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", default=str(ROOT / "tests/data/learning/authors"), help="author files")
    parser.add_argument("--misses", action="store_true", help="list splits, misses and wrong matches")
    parser.add_argument("--splits", default="0,1,2", help="which thirds of the wordings train (0,1,2)")
    parser.add_argument("--only", choices=("miner", "truth"), default=None, help="run one of the two")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--drafted", help="JSON lines of other wordings drafted for each candidate (see _load_drafted)"
    )
    parser.add_argument(
        "--dump-candidates", metavar="DIR", help="write the wordings each candidate would be drafted from"
    )
    args = parser.parse_args()
    files = sorted(Path(args.dir).glob("*_questions.jsonl"))
    if not files:
        print(f"no *_questions.jsonl in {args.dir}", file=sys.stderr)
        return 2
    modes = {"miner": [False], "truth": [True], None: [False, True]}[args.only]
    rows: dict[bool, dict[str, Counter]] = {m: {} for m in modes}
    listed: dict[bool, list] = {m: [] for m in modes}
    with tempfile.TemporaryDirectory(prefix="botan-paraphrase-") as tmp:
        if args.dump_candidates:
            Path(args.dump_candidates).mkdir(parents=True, exist_ok=True)
        jobs = [(path, split, Path(tmp), ROOT / "characters", args.misses, truth, args.drafted, args.dump_candidates)
                for truth in modes for path in files for split in map(int, args.splits.split(","))]  # fmt: skip
        if args.jobs > 1:
            with multiprocessing.get_context("spawn").Pool(args.jobs) as pool:
                done = pool.map(_job, jobs, chunksize=1)
        else:
            done = [_job(j) for j in jobs]
    for stem, truth, figures, misses in done:
        rows[truth].setdefault(stem, Counter()).update(figures)
        listed[truth] += misses
    for truth in modes:
        rows[truth]["all"] = sum(rows[truth].values(), Counter())
    if args.json:
        print(
            json.dumps(
                {"miner" if not t else "truth": r for t, r in rows.items()}, ensure_ascii=False, indent=1
            )
        )
        return 0
    for truth in modes:
        print(
            "with the truth's grouping (recall given approval)"
            if truth
            else "with the miner's grouping (end to end)"
        )
        print(
            f"{'file':<32}{'grouped':>9}{'answered':>10}{'wrong':>8}{'wrong c.':>10}{'cands':>7}{'failed':>7}"
        )
        for name, c in rows[truth].items():
            wrongs = c["wrong_paraphrase"] + c["wrong_contrast"]
            tried = c["paraphrases"] + c["contrasts"]
            grouped = f"{c['grouped'] / c['groupable']:.1%}" if c["groupable"] and not truth else "-"
            print(
                f"{name:<32}{grouped:>9}{c['answered'] / c['paraphrases']:>10.1%}{wrongs / tried:>8.2%}"
                f"{c['wrong_contrast'] / c['contrasts']:>10.2%}{c['approved']:>7}{c['failed']:>7}"
            )
    print("grouped: intents whose three training wordings (all reaching Layer 2) the miner merged into one "
          "candidate; answered: untrained wordings answered with their intent's pattern; wrong: contrasts and "
          "other intents' wordings answered by a pattern of another intent; wrong c.: contrasts alone")  # fmt: skip
    for truth in modes:
        if listed[truth]:
            print("\n--- " + ("recall given approval" if truth else "miner") + ": misses")
        for miss in listed[truth]:
            print("  ", *miss)
    return 0


if __name__ == "__main__":
    sys.exit(main())
