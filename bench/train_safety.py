#!/usr/bin/env python3
"""Train the safety layer's statistical reader (botan_line/core/safety_model.py) and write its table.

Offline, with scikit-learn and pykakasi (``pip install -e '.[train]'``); the bot itself never imports them.

    .venv/bin/python bench/train_safety.py [--authors DIR] [--out botan_line/core/safety_model.tsv.gz]
        [--cache oof.npz] [--folds 8]

Data: the training authors' corpora (``--authors``, tests/data/safety/authors by default, minus
the authors named in its README as held out), the first safety corpus (tests/data/safety/*.tsv),
ordinary fan lines other authors wrote for other work (tests/data/learning, tests/data/layer1_chat)
and 3,000 generated ordinary lines (tests/corpus.py, dev templates). Look-alikes and ordinary lines
are the class ``none``.

The model reads what the rules leave (``safety.Ruleset.read``: the h form with idioms, titles and
safe phrases blanked), and in production the more serious of the two verdicts wins; so thresholds
are chosen for the pair. Every line gets an out-of-fold probability from a model trained without
its author (leave one author out; the ordinary pools, many writers' lines, in four folds each);
each class's or pool's threshold (``READ_ORDER``) is the lowest at which the false alarms it adds to
the rules' stay within a budget: 0.5% of the crisis family's look-alikes for each of the four that
read that family (danger, abuse, emergency, worrying: 2% at most, the issue's target), 1% of the
sexual ones (target 3%), 1% of the personal ones (target 5%: a deflection to an ordinary question
such as 「最近どうしてた？教えて」 is the visible mistake), and at most 1 ordinary line in 5,000. Then the vetoes
(``choose_vetoes``: where the reader overrules a built-in rule) and a lower emergency threshold bought with what they save
(``spend_vetoes``). The final model is trained on everything, every line read without voicing marks and also in kana.
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import math
import os
import sys
import zlib
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import numpy as np  # noqa: E402
from safety_corpus import AUTHORS, CLASSES, NEAR, authors, fan_chat, held_out_names, older_corpus  # noqa: E402
from scipy.sparse import csr_matrix  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402

from botan_line.characters.loader import load_characters  # noqa: E402
from botan_line.core import safety  # noqa: E402
from botan_line.core.safety_model import MODEL_PATH, NONE, Model, features, gram_key, unvoiced  # noqa: E402

ORDER = ["danger", "crisis", "abuse", "sexual", "concern", "personal"]  # most serious first
# What the reader tries, in turn (safety_model.Model.decide): a class, or a pool of classes whose
# probabilities are summed and which reads as its most probable class. A crisis the model cannot
# tell from abuse (or from a worry) splits its probability and reached no class's threshold; as a
# pool it does: leave one author out on 58 authors, crisis caught 76 → 87% at the same false alarms.
READ_ORDER = ["danger", "abuse", "emergency", "sexual", "worrying", "personal"]
POOLS = {"emergency": ["crisis", "abuse", "danger"], "worrying": ["crisis", "abuse", "danger", "concern"]}
BUDGET = {"near_crisis": 0.005, "near_sexual": 0.01, "near_personal": 0.01}  # per class, added to the rules'
ORDINARY_BUDGET = 1 / 5000
# The kinds of built-in rule the reader may overrule when it is sure a line is nothing (never danger):
# leave one author out on 66 authors, false alarms on crisis look-alikes 146 → 114 of 3,037 (4.8 → 3.8%), on
# sexual ones 21 → 18, on ordinary lines 50 → 36, for 3 concern lines of 2,170, one sexual line and no
# emergency line.
VETO_KINDS = ["crisis", "abuse", "concern", "sexual", "personal"]
# What a veto may cost, as a share of the lines its family catches: nothing for an emergency; one in 200 for
# concern, whose verdict is only the gentle reply and whose rules make most of the crisis family's false
# alarms (the freed budget then buys a lower emergency threshold: ``spend_vetoes``); one in 2,000 for the rest.
VETO_COST = {"crisis": 0.0, "abuse": 0.0, "concern": 1 / 200, "sexual": 1 / 2000, "personal": 1 / 2000}
SCALE = 1000
PRUNE = 30  # rows whose every |weight| × SCALE is below this are left out of the table
C = 1.0  # inverse regularisation: chosen by leave-one-author-out among 0.5, 1, 2, 4
# Every training line is also learned in kana (pykakasi: 薬を飲んだ → くすりをのんだ) at this weight, so a fan
# who writes without kanji is read like the others. Leave one author out (8 folds, 60 authors), without → with:
# the lines as written, crisis 85.7 → 85.3%, personal 88.3 → 91.1%, the rest within 0.2 points; the same lines in
# kana, crisis 58.4 → 77.4%, abuse 75 → 92%, danger 78 → 95%, sexual 62 → 81%, personal 40 → 82%. A full kana
# copy at weight 1 cost the lines as written 2 crisis points.
KANA_WEIGHT = 0.3


def dataset(folder: Path, extra_held_out: set[str]):
    rows: list[tuple[str, str, str]] = []  # (group, label, text)
    named = held_out_names(folder)
    stray = sorted(n for n in named if (folder / f"author_{n}.tsv").exists())
    if stray:  # moved into training without updating the README: it would be left out silently
        sys.exit(
            f"{folder / 'README.md'} names {', '.join(stray)} as held out, but their files are training authors"
        )
    held = named | extra_held_out
    for name, lines in authors(folder).items():
        if name in held:
            continue
        rows += [(name, label, text) for label, text in lines]
    rows += [("older", label, text) for label, text in older_corpus()]
    # the ordinary pools are many writers' lines, not one author's: four folds each, so a model that
    # reads one quarter has seen the style of the rest (as the shipped model has seen all of it)
    rows += [(f"fanchat{i % 4}", "ordinary", t) for i, t in enumerate(fan_chat())]
    from corpus import ordinary_chat

    rows += [(f"templates{i % 4}", "ordinary", t) for i, t in enumerate(ordinary_chat("dev", 3000))]
    return rows


def read_all(rows):
    """(rule verdict kind or None, masked h form, whether the reader may overrule the verdict) per
    row: what the rules say, what the model reads."""
    rules = safety.rules_for(load_characters(ROOT / "characters").safety)
    out = []
    for _, _, text in rows:
        verdict, h = rules.read(text)
        vetoable = verdict is not None and not safety._operators(verdict.rule)
        out.append((verdict.kind if verdict else None, h, vetoable))
    return out


def target(label: str) -> str:
    return label if label in CLASSES else NONE


class Vectors:
    def __init__(self):
        self.vocab: dict[str, int] = {}

    def fit(self, texts: list[str]) -> list[set[str]]:
        feats = [features(t) for t in texts]
        counts = Counter(g for f in feats for g in f)
        self.vocab = {g: i for i, g in enumerate(sorted(g for g, n in counts.items() if n >= 2))}
        return feats

    def matrix(self, feats: list[set[str]]) -> csr_matrix:
        indptr, indices = [0], []
        for f in feats:
            indices.extend(sorted(self.vocab[g] for g in f if g in self.vocab))
            indptr.append(len(indices))
        data = np.ones(len(indices), dtype=np.float32)
        return csr_matrix((data, indices, indptr), shape=(len(feats), len(self.vocab)))


def in_kana(rows) -> list[str]:
    """Each row read in kana (pykakasi: 薬を飲んだ → くすりをのんだ), as its masked h form."""
    import pykakasi

    kakasi = pykakasi.kakasi()
    kana = [(g, lab, "".join(x["hira"] for x in kakasi.convert(text))) for g, lab, text in rows]
    return [h for _, h, _ in read_all(kana)]


def fit(texts: list[str], labels: list[str], kana: list[str] | None = None):
    """The model on the masked h forms ``texts``, and on ``kana`` (the same lines in kana, where
    they differ) at ``KANA_WEIGHT``."""
    vec = Vectors()
    weights = [1.0] * len(texts)
    if kana is not None:
        extra = [(k, lab) for k, lab, t in zip(kana, labels, texts, strict=True) if k != t]
        texts = texts + [k for k, _ in extra]
        labels = labels + [lab for _, lab in extra]
        weights += [KANA_WEIGHT] * len(extra)
    feats = vec.fit(texts)
    model = LogisticRegression(C=C, max_iter=3000, class_weight="balanced")
    model.fit(vec.matrix(feats), labels, sample_weight=np.array(weights))
    return vec, model


def out_of_fold(rows, hs: list[str], kana: list[str], folds: int = 0):
    """Every row's probabilities from a model that never saw its author: one fold per author, or
    ``folds`` folds of whole authors (faster: 8 folds take a tenth of the time)."""
    fold_of = {g: (zlib.crc32(g.encode()) % folds if folds else g) for g, _, _ in rows}
    groups = sorted(set(fold_of.values()), key=str)
    classes = sorted({target(lab) for _, lab, _ in rows})
    probs = np.zeros((len(rows), len(classes)))
    for g in groups:
        train = [i for i, r in enumerate(rows) if fold_of[r[0]] != g]
        test = [i for i, r in enumerate(rows) if fold_of[r[0]] == g]
        vec, model = fit(
            [hs[i] for i in train], [target(rows[i][1]) for i in train], [kana[i] for i in train]
        )
        p = model.predict_proba(vec.matrix([features(hs[i]) for i in test]))
        for j, c in enumerate(model.classes_):
            probs[test, classes.index(c)] = p[:, j]
        print(f"  fold {g}: {len(test)} lines", file=sys.stderr)
    return probs, classes


def column(probs, classes, name: str):
    """The probabilities of a class or a pool (the sum of its classes') for every row."""
    return sum(probs[:, classes.index(c)] for c in POOLS.get(name, [name]))


def reader(thresholds, vetoes=None) -> Model:
    return Model(
        {
            "classes": [],
            "bias": [],
            "thresholds": thresholds,
            "order": READ_ORDER,
            "pools": POOLS,
            "veto": vetoes or {},
            "scale": 1,
        },
        [],
    )


def combined(read, probs_row, classes, thresholds, vetoes=None) -> str | None:
    """What ``safety.classify`` answers for a row read by the rules as ``read`` (``read_all``)."""
    rule, _, vetoable = read
    model = reader(thresholds, vetoes)
    probs = dict(zip(classes, probs_row, strict=True))
    reading = model.decide(probs)
    if reading is None:
        return None if rule is not None and vetoable and model.overrules(rule, probs) else rule
    if rule is None or ORDER.index(reading.kind) < ORDER.index(rule):
        return reading.kind
    return rule


def choose_vetoes(rows, reads, probs, classes, thresholds) -> dict[str, float]:
    """Per kind of built-in rule, the lowest probability of "none" at which the reader overrules
    the rule (on lines the reader itself leaves) that costs at most ``VETO_COST`` of the lines its
    family catches (none for an emergency kind) and removes more false alarms than it costs."""
    from safety_corpus import FAMILY

    worrying = FAMILY["concern"]  # crisis, abuse, danger and concern lines: caught as any of those

    def counts(label: str, kind: str) -> bool:  # a line of ``label`` read as ``kind`` is caught
        return kind in FAMILY.get(label, ()) or (label in worrying and kind in worrying)

    labels = [lab for _, lab, _ in rows]
    none = probs[:, classes.index(NONE)]
    plain = reader(thresholds)
    out: dict[str, float] = {}
    for kind in VETO_KINDS:
        idx = [
            i
            for i, (rule, _, vetoable) in enumerate(reads)
            if rule == kind and vetoable and plain.decide(dict(zip(classes, probs[i], strict=True))) is None
        ]
        caught = [i for i in idx if counts(labels[i], kind)]
        wrong = [i for i in idx if kind in NEAR.get(labels[i], ()) or labels[i] == "ordinary"]
        family = sum(1 for x in labels if counts(x, kind))
        allowed = int(family * VETO_COST[kind])
        for t in [x / 1000 for x in range(500, 1000, 5)]:
            lost = sum(none[i] >= t for i in caught)
            if lost <= allowed and sum(none[i] >= t for i in wrong) > lost:
                out[kind] = t
                break
    return out


def spend_vetoes(rows, reads, probs, classes, thresholds, vetoes) -> dict[str, float]:
    """The emergency pool's threshold lowered as far as the crisis family's false alarms (on its
    look-alikes, and on ordinary lines) stay at what the rules and reader raised without vetoes:
    the false alarms the vetoes remove pay for crises caught, a miss being the costlier mistake.
    Leave one author out on 68 authors: crisis 88.0 → 92.6%, look-alike false alarms 3.7 → 4.8% (as
    before the vetoes), concern 85.8 → 84.7%."""
    from safety_corpus import FAMILY

    labels = [lab for _, lab, _ in rows]
    look_alike = [i for i, x in enumerate(labels) if x == "near_crisis"]
    ordinary = [i for i, x in enumerate(labels) if x == "ordinary"]
    family = FAMILY["concern"]

    def alarms(ths, vts) -> tuple[int, int]:
        said = [combined(reads[i], probs[i], classes, ths, vts) for i in range(len(rows))]
        return sum(said[i] in family for i in look_alike), sum(said[i] is not None for i in ordinary)

    before = alarms(thresholds, {})
    out = dict(thresholds)
    t = thresholds["emergency"]
    while t > 0.5:
        trial = dict(out, emergency=round(t - 0.01, 2))
        now = alarms(trial, vetoes)
        if now[0] > before[0] or now[1] > before[1]:
            break
        out, t = trial, t - 0.01
    return out


def choose_thresholds(rows, reads, probs, classes) -> dict[str, float]:
    """Each entry of ``READ_ORDER`` in turn: the lowest threshold at which the false alarms it adds —
    on lines neither the rules nor an earlier entry flag — stay within each family's budget."""
    labels = [lab for _, lab, _ in rows]
    totals = Counter(labels)
    out: dict[str, float] = {}
    taken = np.zeros(len(rows), dtype=bool)  # flagged by an earlier entry: a later one never reads them
    for kind in READ_ORDER:
        members = POOLS.get(kind, [kind])
        col = column(probs, classes, kind)
        sub = probs[:, [classes.index(c) for c in members]]
        reads_as = [members[j] for j in sub.argmax(axis=1)]  # a pool reads as its most probable class
        out[kind] = 2.0  # never: only when even 0.999 adds more false alarms than the budget
        # a fine tail above 0.99, so that a few ordinary lines reading high raise a threshold a little
        # instead of closing the whole entry (three advice questions once closed "worrying")
        for t in [*(x / 100 for x in range(25, 99)), *(x / 1000 for x in range(990, 1000))]:
            ok = True
            for lab, budget in [*BUDGET.items(), ("ordinary", ORDINARY_BUDGET)]:
                fam = NEAR.get(lab, set(CLASSES))
                added = sum(
                    1
                    for i, x in enumerate(labels)
                    if x == lab
                    and not taken[i]
                    and reads[i][0] not in fam
                    and col[i] >= t
                    and reads_as[i] in fam
                )
                if added > budget * totals[lab]:
                    ok = False
                    break
            if ok:
                out[kind] = t
                break
        if out[kind] > 1:
            print(f"WARNING: {kind} is closed: even at 0.999 it adds more false alarms than its budget")
        taken |= col >= out[kind]
    return out


def report(rows, reads, probs, classes, thresholds, vetoes):
    from safety_corpus import FAMILY

    labels = [lab for _, lab, _ in rows]
    both = [combined(reads[i], probs[i], classes, thresholds, vetoes) for i in range(len(rows))]
    print("leave one author out: rules alone → rules + reader at the chosen thresholds and vetoes")
    for lab in [*CLASSES, *NEAR, "ordinary"]:
        idx = [i for i, x in enumerate(labels) if x == lab]
        if not idx:
            continue
        fam = FAMILY.get(lab) or NEAR.get(lab, set(CLASSES))
        before = sum(reads[i][0] in fam for i in idx)
        after = sum(both[i] in fam for i in idx)
        what = "caught" if lab in FAMILY else "false alarms"
        print(f"  {lab:14} {what} {before / len(idx):6.1%} → {after}/{len(idx)} = {after / len(idx):.1%}")


def export(
    vec: Vectors,
    model,
    thresholds: dict[str, float],
    vetoes: dict[str, float],
    out: Path,
    trained_on: list[str],
) -> None:
    classes = list(model.classes_)
    coef = model.coef_.T  # (features, classes)
    grams = sorted(vec.vocab, key=lambda g: (gram_key(g), g))  # the reader streams it into sorted arrays
    kept = 0
    # the reader keeps each weight in one signed byte, in steps that make the largest fit (16 at SCALE
    # 1000: steps of 0.016, half of PRUNE)
    step = max(1, math.ceil(max(abs(float(x)) for x in coef.ravel()) * SCALE / 127))
    # written beside the table and renamed over it: a process reading the table meanwhile (a test's worker,
    # the bot) sees the old one or the new one, never half of one
    part = out.with_name(out.name + ".part")
    with (
        part.open("wb") as raw,
        gzip.GzipFile(filename=str(out), mode="wb", fileobj=raw, compresslevel=9) as packed,
        io.TextIOWrapper(packed, encoding="utf-8") as f,
    ):
        header = {
            "classes": classes,
            "bias": [round(float(b), 4) for b in model.intercept_],
            "thresholds": thresholds,
            "order": READ_ORDER,
            "pools": POOLS,
            "veto": vetoes,
            "unvoiced": True,
            "scale": SCALE,
            "step": step,
            "trained_on": trained_on,
        }
        f.write(json.dumps(header, ensure_ascii=False) + "\n")
        for gram in grams:
            w = coef[vec.vocab[gram]]
            q = [int(round(x * SCALE)) for x in w]
            if max(abs(x) for x in q) < PRUNE:  # small everywhere: it barely moves a reading
                continue
            f.write(gram + "\t" + ",".join(map(str, q)) + "\n")
            kept += 1
    os.replace(part, out)
    print(f"wrote {out}: {kept} of {len(grams)} n-grams, {out.stat().st_size // 1024} KB")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--authors", type=Path, default=AUTHORS)
    ap.add_argument("--hold-out", default="", help="more author names to leave out, comma-separated")
    ap.add_argument("--out", type=Path, default=MODEL_PATH)
    ap.add_argument("--no-cv", action="store_true", help="reuse the thresholds of the current table")
    ap.add_argument("--folds", type=int, default=0, help="folds of whole authors (default: one per author)")
    ap.add_argument(
        "--cache", type=Path, help="keep the out-of-fold probabilities here (.npz) and reuse them"
    )
    args = ap.parse_args()
    rows = dataset(args.authors, set(filter(None, args.hold_out.split(","))))
    print(Counter(target(lab) for _, lab, _ in rows), file=sys.stderr)
    reads = read_all(rows)
    hs = [unvoiced(h) for _, h, _ in reads]  # as the shipped reader reads them (safety_model.UNVOICED)
    kana = [unvoiced(h) for h in in_kana(rows)]
    if args.no_cv:
        header = json.loads(gzip.open(args.out, "rt").readline())
        thresholds, vetoes = header["thresholds"], header.get("veto", {})
    else:
        if args.cache and args.cache.exists():
            saved = np.load(args.cache)
            probs, classes = saved["probs"], list(saved["classes"])
            assert len(probs) == len(rows), f"{args.cache} was made from other data: delete it"
        else:
            probs, classes = out_of_fold(rows, hs, kana, args.folds)
            if args.cache:
                np.savez(args.cache, probs=probs, classes=np.array(classes))
        thresholds = choose_thresholds(rows, reads, probs, classes)
        vetoes = choose_vetoes(rows, reads, probs, classes, thresholds)
        thresholds = spend_vetoes(rows, reads, probs, classes, thresholds, vetoes)
        print("thresholds:", thresholds, "vetoes:", vetoes)
        report(rows, reads, probs, classes, thresholds, vetoes)
    vec, model = fit(hs, [target(r[1]) for r in rows], kana)
    export(vec, model, thresholds, vetoes, args.out, sorted({g for g, _, _ in rows}))


if __name__ == "__main__":
    main()
