"""How the safety layer reads a raw fan message: undo the usual disguises, keep the word boundaries.

Layer 1's ``fold`` throws punctuation and script away, which is right for matching greetings and
wrong here: folded, 「やっぱりスカイツリー」 contains りすか and 「えっ？ちょっと」 contains えっち. So
this module makes two aligned forms of one cleaned text:

- ``k``: NFKC (ｼﾆﾀｲ → シニタイ, full-width latin → ascii), lower case, disguises undone, punctuation
  turned into one space (a boundary), scripts kept — katakana words are matched here as whole words;
- ``h``: ``k`` with katakana folded to hiragana, one character for one, so a span found in one form
  is the same span in the other — phrases written in hiragana or kanji are matched here.

Disguises undone: separators between single letters (し・に・た・い, 死 に た い), stretched letters
(しにたいいいい, 死にたーーい), small vowels (しにたぁい, 死にたぃ), masking symbols inside a word
(え◯ち, セッ○ス → え〇ち, セッ〇ス: rules treat 〇 as "any letter"), look-alike kanji (工口 → エロ),
romaji (shinitai, risuka → シニタイ, リスカ, through jaconv). Emoji are kept: some rules need them.
Everything is str.translate and a handful of compiled regexes; romaji conversion only runs on a
latin word that is romaji through and through, which ordinary Japanese chat rarely contains.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import jaconv

_KATA_TO_HIRA = str.maketrans({cp: cp - 0x60 for cp in range(0x30A1, 0x30F7)})
_KATAKANA_RUN = re.compile(r"[\u30a1-\u30f6]+")
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\ufe0e\ufe0f"), None)
# Punctuation that separates words: becomes one space. "?" is kept: a question is a signal.
_PUNCT = re.compile(r"[\s、。,.!…‥:;\"'`´^_()\[\]{}「」『』【】〔〕〈〉《》〜~♪♫☆★・/\\|<>=+#@&%$-]+")
_MASK = re.compile(r"(?<=[^\W\d_])[◯○〇●◎◇◆□■×✕*♡♥❤](?=[^\W\d_])")
_SPACED = re.compile(r"(?<![^\W_])[^\W_](?:[ ・.,_\-/|*]+[^\W_](?![^\W_])){2,}")
_SEPARATORS = re.compile(r"[ ・.,_\-/|*]+")
_STRETCH = re.compile(r"([^\d])\1{2,}")  # しにたいいいい → しにたい; 4444 and 100 stay
_LONG_AFTER_KANA = re.compile(r"(?<=[\u3041-\u309f\u4e00-\u9fff])[ー〜~]+")  # 死にたーい; not オーバー
_SMALL = "ぁぃぅぇぉ"
_VOWEL_ROWS = {
    "ぁ": "あかさたなはまやらわがざだばぱ",
    "ぃ": "いきしちにひみりぎじぢびぴ",
    "ぅ": "うくすつぬふむゆるぐずづぶぷ",
    "ぇ": "えけせてねへめれげぜでべぺ",
    "ぉ": "おこそとのほもよろをごぞどぼぽ",
}
_REPEATED_SMALL = re.compile("|".join(f"(?<=[{row}]){s}+" for s, row in _VOWEL_ROWS.items()))
_SMALL_AFTER_HIRA = re.compile(r"(?<=[\u3041-\u3096])[ぁぃぅぇぉ]")
_SMALL_TO_FULL = str.maketrans("ぁぃぅぇぉ", "あいうえお")
_LOOKALIKES = (("工口", "エロ"), ("エ口", "エロ"), ("工ロ", "エロ"), ("ｴ口", "エロ"))
# A latin word that is romaji through and through: shinitai, kietai, risuka, ecchi, jisatsu.
_LATIN_WORD = re.compile(r"[a-z]{3,}(?: (?:i|tai|tee|nai|yo|na|ne)(?![a-z]))?")  # kieta i, shini tai
_ROMAJI = re.compile(
    r"(?:(?:[kgsztdnhbpmr]y|sh|ch|ts|j|f|[kgsztdnhbpmyrw])?[aiueo]|n(?![aiueoy])|([kgstdhbpmrfjc])(?=\1|ch))+"
)


@dataclass(frozen=True, slots=True)
class Prepared:
    k: str  # scripts kept (katakana words are matched here)
    h: str  # the same text with katakana folded to hiragana, aligned with k
    latin: str  # NFKC + lower case before romaji conversion (English phrases)


def _romaji(word: re.Match) -> str:
    w = word.group().replace(" ", "")
    if not _ROMAJI.fullmatch(w) or len(set(w)) < 3:  # "www", "aaa" are not words
        return word.group()
    return jaconv.alphabet2kata(w)


def _unspace(m: re.Match) -> str:
    return _SEPARATORS.sub("", m.group())


def _hira(text: str) -> str:
    return _KATAKANA_RUN.sub(lambda m: m.group().translate(_KATA_TO_HIRA), text)


def prepare(raw: str) -> Prepared:
    """The forms every safety rule reads (see the module docstring)."""
    t = unicodedata.normalize("NFKC", raw).lower().translate(_INVISIBLE)
    for a, b in _LOOKALIKES:
        if a in t:
            t = t.replace(a, b)
    latin = t
    if _MASK.search(t):
        t = _MASK.sub("〇", t)
    if _SPACED.search(t):
        t = _SPACED.sub(_unspace, t)
    if _LATIN_WORD.search(t):
        t = _LATIN_WORD.sub(_romaji, t)
    t = _LONG_AFTER_KANA.sub("", t)
    t = _STRETCH.sub(r"\1", t)
    if any(s in t for s in _SMALL):
        t = _REPEATED_SMALL.sub("", t)
        t = _SMALL_AFTER_HIRA.sub(lambda m: m.group().translate(_SMALL_TO_FULL), t)
    t = _PUNCT.sub(" ", t).strip()
    return Prepared(t, _hira(t), latin)
