"""The statistical reader of the safety layer: character n-grams and a linear model.

The rules (``safety_rules``) know the phrasings they were written against; this model reads the
ways people write around them — self-harm told by what was done, abuse at home, someone at the
door, solicitation in slang, a hunt for her address. It is a multinomial logistic regression over
the binary character 1–3-grams of the safety layer's hiragana form (``safety_text.prepare``), trained
offline with scikit-learn on corpora from several independent authors (``bench/train_safety.py``,
``tests/data/safety/authors``) and shipped as a small table (``safety_model.tsv.gz``): one row per
n-gram that matters, its weight per class as an int16, plus each class's bias and its threshold.

At run time it is plain Python (no numpy or scikit-learn): each n-gram's CRC-32 is looked up by
bisection in a sorted array of the table's hashes, and its class weights are added (tens of µs per
message). Hashes instead of a dict of strings keep the loaded table under 1 MB instead of 5 MB in
the worker, the process that loads it on first use; two n-grams of the table that share a hash are
merged (their weights summed), and an unknown n-gram meets a hash of the table about once in 10^5
messages, which moves a probability by one n-gram's weight.

``read`` walks the table's ``order``: a class, or a *pool* of classes whose probabilities are summed.
A message the model thinks is a crisis or abuse, without knowing which, still splits its
probability between the two and reached neither threshold; read as a pool (crisis + abuse + danger:
"an emergency"; those and concern: "worrying"), it does, and the reply is that of the pool's most
probable class. The first entry of ``order`` whose probability reaches its threshold wins; the
thresholds were chosen on authors the model was not trained on (leave one author out).
"""

from __future__ import annotations

import gzip
import json
import math
import zlib
from array import array
from bisect import bisect_left
from dataclasses import dataclass
from functools import cache
from pathlib import Path

MODEL_PATH = Path(__file__).with_name("safety_model.tsv.gz")
NGRAMS = (1, 2, 3)
NONE = "none"


# Voicing marks dropped before reading (で = て, が = か, ぱ = は): northern dialects voice what the standard
# writes unvoiced (生ぎでる for 生きてる, 殴られだ), and the marks rarely decide what a message is about.
# An 8-fold check on 66 authors, as written → unvoiced: crisis 86.1 → 87.0%, worrying +1.1, sexual −0.8,
# personal −0.9 points; on a Tohoku writer's and a Nagoya writer's lines, crisis 57 → 69% (seen once).
UNVOICED = str.maketrans(
    "がぎぐげござじずぜぞだぢづでどばびぶべぼぱぴぷぺぽゔ",
    "かきくけこさしすせそたちつてとはひふへほはひふへほう",
)


def unvoiced(h: str) -> str:
    return h.translate(UNVOICED)


def features(h: str) -> set[str]:
    """The binary features of a message's h form (``safety_text.prepare``, with the spans the rules
    mask blanked: ``safety.Ruleset.read``): its character n-grams, with a space at each end so that
    a message's first and last letters are features of their own."""
    h = " " + " ".join(h.split()) + " "
    return {h[i : i + n] for n in NGRAMS for i in range(len(h) - n + 1) if h[i : i + n].strip()}


def gram_key(gram: str) -> int:
    """An n-gram's place in the table: its CRC-32 (stable across processes, unlike ``hash``)."""
    return zlib.crc32(gram.encode("utf-8"))


@dataclass(frozen=True, slots=True)
class Reading:
    kind: str  # a class name ("crisis", "abuse", ...) or "none"
    probability: float


class Model:
    """The shipped table: ``classes``, ``bias`` and ``thresholds`` from its header line, then one
    ``n-gram<TAB>w1,w2,...`` row per feature (weights × 1/scale, kept to the nearest ``step``), in the order
    of the n-grams' hashes."""

    def __init__(self, header: dict, lines):
        self.classes: list[str] = header["classes"]
        self.bias: list[float] = header["bias"]
        self.thresholds: dict[str, float] = header["thresholds"]
        self.order: list[str] = header["order"]  # classes and pools, in the order they are tried
        self.pools: dict[str, list[str]] = header.get("pools", {})  # pool name → its classes
        self.unvoiced: bool = header.get("unvoiced", False)  # reads h without voicing marks (UNVOICED)
        # a built-in rule's kind → the probability of "none" at which the reader overrules that rule
        self.veto: dict[str, float] = header.get("veto", {})
        self.scale: float = header["scale"]
        # the weights (× scale) are kept in steps of ``step``, one signed byte each: half the memory of
        # two bytes (0.5 MB), for 8 changed readings of 56,563 corpus lines and 3 vetoes at step 17
        self.step: int = header.get("step", 1)
        k = len(self.classes)
        self.hashes = array("I")  # ascending: bisect_left finds a row
        self.weights = array("b")  # k per row
        self.merged = 0  # n-grams that shared a hash with the one before
        self.clipped = 0  # weights beyond 127 steps (none in a table written with its step)
        for line in lines:  # streamed straight into the arrays: the table is written sorted by hash
            gram, _, ws = line.rstrip("\n").partition("\t")
            key = gram_key(gram)
            last = self.hashes[-1] if self.hashes else -1
            if key < last:
                raise ValueError(
                    f"{gram!r}: the table is not sorted by hash (write it with bench/train_safety.py)"
                )
            if key == last:
                self.merged += 1
                for c, x in enumerate(map(int, ws.split(","))):
                    self.weights[c - k] = self._byte(self.weights[c - k] * self.step + x)
                continue
            self.hashes.append(key)
            self.weights.extend(self._byte(int(x)) for x in ws.split(","))

    def _byte(self, x: int) -> int:
        q = round(x / self.step)
        if -127 <= q <= 127:
            return q
        self.clipped += 1
        return 127 if q > 0 else -127

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> Model:
        with gzip.open(path, "rt", encoding="utf-8") as f:
            return cls(json.loads(f.readline()), f)

    def probabilities(self, h: str) -> dict[str, float]:
        k = len(self.classes)
        sums = [0] * k
        weights, hashes, n = self.weights, self.hashes, len(self.hashes)
        for gram in features(unvoiced(h) if self.unvoiced else h):
            key = gram_key(gram)
            row = bisect_left(hashes, key)
            if row < n and hashes[row] == key:
                base = row * k
                for c in range(k):
                    sums[c] += weights[base + c]
        unit = self.step / self.scale
        logits = [b + s * unit for b, s in zip(self.bias, sums, strict=True)]
        top = max(logits)
        exps = [math.exp(x - top) for x in logits]
        total = sum(exps)
        return {c: e / total for c, e in zip(self.classes, exps, strict=True)}

    def read(self, h: str) -> Reading | None:
        """The first class or pool of ``order`` whose probability in the h form ``h`` reaches its
        threshold, as a class (a pool reads as its most probable class), or None."""
        return self.decide(self.probabilities(h))

    def overrules(self, kind: str, probs: dict[str, float]) -> bool:
        """Whether the reader, sure the message is nothing (``probs`` of "none" at the veto of
        ``kind``), overrules a built-in rule that read it as ``kind`` (「もう無理」 after a marathon,
        a horror game's 首吊り). Chosen offline to cost no emergency line caught (train_safety)."""
        return probs.get(NONE, 0.0) >= self.veto.get(kind, 2.0)

    def decide(self, probs: dict[str, float]) -> Reading | None:
        for name in self.order:
            members = self.pools.get(name, [name])
            p = sum(probs.get(c, 0.0) for c in members)
            if p >= self.thresholds.get(name, 2.0):
                return Reading(max(members, key=lambda c: probs.get(c, 0.0)), p)
        return None


@cache
def shipped() -> Model:
    """The model shipped with the package (loaded once per process, on first use)."""
    return Model.load(MODEL_PATH)
