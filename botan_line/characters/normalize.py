"""Japanese text normalisation for Layer 1 matching.

NFKC (stdlib) already folds half-width katakana and full-width latin; on top of it we fold
katakana to hiragana, lower-case, drop long-vowel marks, wave dashes, punctuation, spaces and
emoji, and collapse stretched characters, so おはよー / おはよ〜〜 / ｵﾊﾖｳ / おはようございまーす!!
all reduce to the forms a pattern author writes. Everything here is str.translate and one or
two compiled regexes: a few microseconds per message.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# katakana ァ(30A1)..ヶ(30F6) → hiragana ぁ(3041)..ゖ(3096); ヽヾ → ゝゞ
_KANA = {cp: cp - 0x60 for cp in range(0x30A1, 0x30F7)} | {0x30FD: 0x309D, 0x30FE: 0x309E}
_VU = {0x30F4: 0x3094}
_DROP_CHARS = (
    "ー―‐-~〜〰・･"  # long-vowel marks and wave dashes
    " \t\r\n\u3000"
    "!?.,、。…‥:;\"'`´^_*#@&%$|/\\+=<>"
    "()[]{}「」『』【】〔〕〈〉《》（）［］｛｝"
    "♪♫☆★♡♥❤✨！？"
)
_TABLE = str.maketrans({**_KANA, **_VU, **{ord(c): None for c in _DROP_CHARS}})
_EMOJI = re.compile(
    "[\U0001f000-\U0001faff\U00002190-\U000021ff\U00002300-\U000023ff\U000025a0-\U000027bf"
    "\U00002b00-\U00002bff\ufe0e\ufe0f\u200d\u20e3\U000e0020-\U000e007f\u3030\u303d]+"
)
_STRETCH = re.compile(r"(.)\1{2,}")  # すごいいいい → すごい, wwwww → w
# small vowel that repeats the vowel of the kana before it: おはよぉ → おはよ, ねぇ → ね
_VOWEL_ROWS = {
    "ぁ": "あかさたなはまやらわがざだばぱ",
    "ぃ": "いきしちにひみりぎじぢびぴ",
    "ぅ": "うくすつぬふむゆるぐずづぶぷ",
    "ぇ": "えけせてねへめれげぜでべぺ",
    "ぉ": "おこそとのほもよろをごぞどぼぽ",
}
_SMALL_VOWEL = re.compile("|".join(f"(?<=[{row}]){small}+" for small, row in _VOWEL_ROWS.items()))
_QUESTION_MARKS = re.compile(r"[?？]")

QUESTION_WORDS = (
    "って",
    "とは",
    "意味",
    "語源",
    "英語",
    "由来",
    "教えて",
    "なに",
    "何",
    "なんで",
    "なぜ",
    "どう",
    "どこ",
    "いつ",
    "だれ",
    "誰",
    "どれ",
    "どっち",
    "ですか",
    "ますか",
    "かな",
)


@dataclass(frozen=True, slots=True)
class Normalized:
    text: str  # the folded form patterns are matched against
    question: bool  # the raw message carried a question mark


def fold(text: str) -> str:
    t = unicodedata.normalize("NFKC", text).lower().translate(_TABLE)
    t = _EMOJI.sub("", t)
    if len(t) > 1:
        t = _SMALL_VOWEL.sub("", t)
        t = _STRETCH.sub(r"\1", t)
    return t


def normalize(text: str) -> Normalized:
    return Normalized(fold(text), bool(_QUESTION_MARKS.search(text)))


def asks_something(remainder: str, question_mark: bool) -> bool:
    """Does the part of a message outside a matched trigger ask something else?"""
    if question_mark:
        return True
    return any(word in remainder for word in QUESTION_WORDS)
