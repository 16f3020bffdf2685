"""The statistical reader of the safety layer: character n-grams and a linear model.

The rules (``safety_rules``) know the phrasings they were written against; this model reads the
ways people write around them — self-harm told by what was done, abuse at home, someone at the
door, solicitation in slang, a hunt for her address. It is a multinomial logistic regression over
the binary character 1–3-grams of the safety layer's hiragana form (``safety_text.prepare``), trained
offline with scikit-learn on corpora from several independent authors (``bench/train_safety.py``,
``tests/data/safety/authors``) and shipped as a small table (``safety_model.tsv.gz``): one row per
n-gram that matters, its weight per class as an int16, plus each class's bias and its threshold.

At run time it is plain Python: a dict lookup per n-gram and a few additions (tens of µs per
message, no numpy or scikit-learn). The table loads on first use, so only the process that decides
(the worker) pays for it. ``read`` returns the most serious class whose probability reaches its
threshold; the thresholds were chosen on authors the model was not trained on (leave one author out).
"""

from __future__ import annotations

import gzip
import json
import math
from array import array
from dataclasses import dataclass
from functools import cache
from pathlib import Path

MODEL_PATH = Path(__file__).with_name("safety_model.tsv.gz")
NGRAMS = (1, 2, 3)
NONE = "none"


def features(h: str) -> set[str]:
    """The binary features of a message's h form (``safety_text.prepare``, with the spans the rules
    mask blanked: ``safety.Ruleset.read``): its character n-grams, with a space at each end so that
    a message's first and last letters are features of their own."""
    h = " " + " ".join(h.split()) + " "
    return {h[i : i + n] for n in NGRAMS for i in range(len(h) - n + 1) if h[i : i + n].strip()}


@dataclass(frozen=True, slots=True)
class Reading:
    kind: str  # a class name ("crisis", "abuse", ...) or "none"
    probability: float


class Model:
    """The shipped table: ``classes``, ``bias`` and ``thresholds`` from its header line, then one
    ``n-gram<TAB>w1,w2,...`` row per feature (weights × 1/scale)."""

    def __init__(self, header: dict, lines):
        self.classes: list[str] = header["classes"]
        self.bias: list[float] = header["bias"]
        self.thresholds: dict[str, float] = header["thresholds"]
        self.order: list[str] = header["order"]  # most serious first
        self.scale: float = header["scale"]
        self.index: dict[str, int] = {}
        self.weights = array("h")
        for line in lines:  # streamed: no list of rows is ever held
            gram, _, ws = line.rstrip("\n").partition("\t")
            self.index[gram] = len(self.index)
            self.weights.extend(map(int, ws.split(",")))

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> Model:
        with gzip.open(path, "rt", encoding="utf-8") as f:
            return cls(json.loads(f.readline()), f)

    def probabilities(self, h: str) -> dict[str, float]:
        k = len(self.classes)
        sums = [0] * k
        weights, index = self.weights, self.index
        for gram in features(h):
            row = index.get(gram)
            if row is not None:
                base = row * k
                for c in range(k):
                    sums[c] += weights[base + c]
        logits = [b + s / self.scale for b, s in zip(self.bias, sums, strict=True)]
        top = max(logits)
        exps = [math.exp(x - top) for x in logits]
        total = sum(exps)
        return {c: e / total for c, e in zip(self.classes, exps, strict=True)}

    def read(self, h: str) -> Reading | None:
        """The most serious class whose probability in the h form ``h`` reaches its threshold, or None."""
        probs = self.probabilities(h)
        for kind in self.order:
            p = probs.get(kind, 0.0)
            if p >= self.thresholds.get(kind, 2.0):
                return Reading(kind, p)
        return None


@cache
def shipped() -> Model:
    """The model shipped with the package (loaded once per process, on first use)."""
    return Model.load(MODEL_PATH)
