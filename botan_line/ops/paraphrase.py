"""Which fan questions mean the same thing: content words by reading, grouped greedily.

「おすすめの漫画教えて！」, 「なんかおすすめのマンガない？」 and 「最近おすすめの漫画ある？」 share
their content words once each is read by a morphological analyser (MeCab through fugashi, with
the UniDic-lite dictionary): 勧める + 漫画 (read マンガ, whatever the script), while the frame —
教えて, ない？, ある？, 最近, なんか, the sister's name and honorific — carries no intent.
「おすすめのアニメ教えて」 keeps アニメ and stays apart: one different content word in two is too many.

Only the miner imports this (offline: ``botan-line review``, ``botan-line learned mine``, or a child
process for ``/candidates``), so the dictionary (≈14 MB of mapped pages) never weighs on the
service's workers.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Iterable

THRESHOLD = 0.6  # Jaccard of content-word sets; measured in bench/paraphrase.py
CONTENT_POS = ("名詞", "動詞", "形容詞", "形状詞", "副詞")
# words that frame a question rather than say what it is about (lemmas)
FRAME = frozenset(
    "有る 在る 無い 居る 為る 成る 出来る 教える 知る 言う 思う 聞く 下さる 呉れる 貰う 最近 今 今日 何 "
    "何か 此れ 其れ 彼れ 事 物 方 人 感じ 本当 ちょっと 一寸 色々 良い 矢張り ね よ ちゃん さん 様 どう 如何 遣る 為す".split()
)


@functools.cache
def _tagger():
    import fugashi  # noqa: PLC0415 - heavy: only the miner pays for it

    return fugashi.Tagger()


def content(text: str) -> frozenset[str]:
    """The content words of a message, each by the reading of its lemma (漫画 = まんが = マンガ)."""
    words = set()
    for w in _tagger()(unicodedata.normalize("NFKC", text)):
        f = w.feature
        if f.pos1 not in CONTENT_POS or f.lemma in FRAME or f.pos2 == "数詞":
            continue
        words.add(f.lForm or f.lemma or w.surface)
    return frozenset(words)


def similarity(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 1.0 if a == b else 0.0
    return len(a & b) / len(a | b)


def cluster(items: Iterable[tuple[str, str]], threshold: float = THRESHOLD) -> list[list[str]]:
    """Group ``(key, raw text)`` pairs, most frequent first in, each key joining the first group
    whose every member it resembles (complete link: no chains of near-misses). Keys with the same
    content-word set always meet; a message with no content words only meets its own key."""
    groups: list[tuple[list[str], list[frozenset[str]]]] = []
    for key, raw in items:
        words = content(raw)
        for members, sets in groups:
            if words and all(similarity(words, s) >= threshold for s in sets):
                members.append(key)
                sets.append(words)
                break
        else:
            groups.append(([key], [words]))
    return [members for members, _ in groups]
