"""Japanese text normalisation for Layer 1 matching.

NFKC (stdlib) already folds half-width katakana and full-width latin; on top of it we fold
katakana to hiragana, lower-case, drop long-vowel marks, wave dashes, punctuation, spaces and
emoji, and collapse stretched characters, so おはよー / おはよ〜〜 / ｵﾊﾖｳ / おはようございまーす!!
all reduce to the forms a pattern author writes. Everything here is str.translate and a few
compiled regexes: a few microseconds per message.

Two rules keep meaning that plain dropping would lose or miss:
- a long-vowel mark (or wave dash) right before ん is kept as one ー: うーん (thinking) is not
  うん (yes), ふーん (I see) is not ふん (hmph);
- a vowel that only stretches the kana before it at the end of the message is dropped, the way
  a final ー is: へえ = へー = へ, ねえ = ねー, かわいい = かわいー, いいなあ = いいなー.
And a laugh at the end of a kana message is dropped (確かに(笑) = 確かに, ありがとうw = ありがとう);
a message that is only a laugh keeps it.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

# katakana ァ(30A1)..ヶ(30F6) → hiragana ぁ(3041)..ゖ(3096); ヽヾ → ゝゞ
_KANA = {cp: cp - 0x60 for cp in range(0x30A1, 0x30F7)} | {0x30FD: 0x309D, 0x30FE: 0x309E}
_VU = {0x30F4: 0x3094}
_LONG_MARKS = "ー―‐-~〜〰・･"  # long-vowel marks and wave dashes: dropped
_BREAKS = (  # spaces, punctuation and symbols: dropped too, but first they end a word
    " \t\r\n\u3000!?.,、。…‥:;\"'`´^_*#@&%$|/\\+=<>()[]{}「」『』【】〔〕〈〉《》（）［］｛｝♪♫☆★♡♥❤✨！？"
    "∀ωдε∇▽⊂⊃≧≦\u0301"  # the faces of kaomoji: (・∀・), (*´ω`*) (NFKC turns ´ into a space and U+0301)
)
_KEEP_LONG = "\ue000"  # private-use stand-ins that survive the tables until the end
_BREAK = "\ue001"
_SENT = "\ue002"  # a break that ends a sentence (after NFKC: ！→!, ？→?); ``normalize`` notes where
_ANY_BREAK = _BREAK + _SENT
_TABLE = str.maketrans(
    {
        **_KANA,
        **_VU,
        **{ord(c): None for c in _LONG_MARKS},
        **{ord(c): _BREAK for c in _BREAKS},
        **{ord(c): _SENT for c in "!?。\n"},
    }
)
_EMOJI = re.compile(
    "[\U0001f000-\U0001faff\U00002190-\U000021ff\U00002300-\U000023ff\U000025a0-\U000027bf"
    "\U00002b00-\U00002bff\ufe0e\ufe0f\u200d\u20e3\U000e0020-\U000e007f\u3030\u303d]+"
)
# 朝練なんよ〜🎺😪 何時に起きる？: emoji and then a space end a sentence, as 。 does
_EMOJI_SPACE = re.compile(f"(?:{_EMOJI.pattern})[ \t]+(?=\\S)")
_SPOKEN_QUESTION = re.compile(r"(?<=\S)\s*はてな(?:マーク)?\s*$")
_STRETCH = re.compile(r"(.)\1{2,}")  # すごいいいい → すごい, wwwww → w
# after NFKC and before the table: う〜ん, ウーーン → う(ー)ん
_LONG_BEFORE_N = re.compile("[ー―‐\\-~〜〰ｰ]+(?=[んン])")
# a laugh closing a kana message: ありがとう笑, 確かに(笑), なるほどw (爆笑, 苦笑, www stay)
_LAUGH = re.compile(f"(?<=[ぁ-ゖ])(?:[{_ANY_BREAK}]*(?:笑|w)+)+[{_ANY_BREAK}]*$")
_VOWEL_ROWS = {
    "ぁ": "あかさたなはまやらわがざだばぱゃ",
    "ぃ": "いきしちにひみりぎじぢびぴ",
    "ぅ": "うくすつぬふむゆるぐずづぶぷゅ",
    "ぇ": "えけせてねへめれげぜでべぺ",
    "ぉ": "おこそとのほもよろをごぞどぼぽょ",
}
_FULL = {"ぁ": "あ", "ぃ": "い", "ぅ": "う", "ぇ": "え", "ぉ": "お"}
# a small vowel repeating the vowel of the kana before it, anywhere: おはよぉ → おはよ, ねぇ → ね
_SMALL_VOWEL = re.compile("|".join(f"(?<=[{row}]){small}+" for small, row in _VOWEL_ROWS.items()))
# a full-size one, where a word ends (before a break, a kanji or the end): へえ → へ, ねえ聞いて → ね聞いて
_WORD_END = f"(?=[{_ANY_BREAK}\u4e00-\u9fff]|$)"
_FINAL_VOWEL = re.compile(
    "|".join(f"(?<=[{row}]){_FULL[small]}+{_WORD_END}" for small, row in _VOWEL_ROWS.items())
)
_QUESTION_MARKS = re.compile(r"[?？]")
_KATAKANA_WORD = re.compile("[ァ-ヺ][ァ-ヺー]+")  # after NFKC (ｶﾗｰ → カラー); one kana is no word
_STRETCHED_ENDING = re.compile("[ヨネナカサワゾゼ]ー+$")  # ダヨー, カナー: a particle said long ...
_LONG_KATAKANA = re.compile("[ァ-ヺ]ー|[ｦ-ﾝ]ｰ")  # a loanword needs its long-vowel mark
_HALF_WIDTH = re.compile("[ｦ-ﾝ]")

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
    breaks: tuple[int, ...] = ()  # where a sentence ended (。！？) inside ``text``: for meaning matching
    # the message's loanwords, folded: katakana words whose long-vowel mark folding drops (カラー → から,
    # マーク → まく), so their letters may spell a particle; meaning matching reads them as content.
    # Katakana without one (チャン, カナ, ナニ: おじさん構文) and a stretched ending (ダヨー, カナー) are not
    loans: tuple[str, ...] = ()


def fold(text: str, *, contained: bool = False) -> str:
    """The form triggers are matched in. ``contained``: a word looked for inside messages, which
    keeps a stretched final vowel when dropping it would leave a single character (へえ, いい)."""
    return _fold(text, contained).replace(_SENT, "")


def _fold(text: str, contained: bool) -> str:
    t = unicodedata.normalize("NFKC", text).lower()
    if "ん" in t or "ン" in t:
        t = _LONG_BEFORE_N.sub(_KEEP_LONG, t)
    if " " in t:  # after NFKC a full-width space is one too
        t = _EMOJI_SPACE.sub("。", t)
    t = _EMOJI.sub(_BREAK, t.translate(_TABLE))
    if len(t) > 1:
        if (
            "ぁ" in t or "ぃ" in t or "ぅ" in t or "ぇ" in t or "ぉ" in t
        ):  # a regex pass only when it can match
            t = _SMALL_VOWEL.sub("", t)
        t = _STRETCH.sub(r"\1", t)
        if "笑" in t or "w" in t:
            t = _LAUGH.sub("", t)
        cut = _FINAL_VOWEL.sub("", t)
        if not contained or len(cut.replace(_BREAK, "").replace(_SENT, "")) > 1:
            t = cut
    return t.replace(_BREAK, "").replace(_KEEP_LONG, "ー")


def _loans(text: str) -> tuple[str, ...]:
    if not _LONG_KATAKANA.search(text):
        return ()
    if _HALF_WIDTH.search(text):
        text = unicodedata.normalize("NFKC", text)
    out = [w for w in (_loanword(x) for x in _KATAKANA_WORD.findall(text) if "ー" in x) if w]
    return tuple(dict.fromkeys(out))


@functools.lru_cache(maxsize=4096)
def _loanword(word: str) -> str:
    folded = fold(word, contained=True)
    if len(folded) < 2 or (_STRETCHED_ENDING.search(word) and folded in _frame_words()):
        return ""  # ... when what is left is a frame word (だよ, かな), not サッカー or タワー
    return folded


@functools.cache
def _frame_words() -> frozenset[str]:
    from botan_line.characters import lexicon  # plain data

    return frozenset(fold(w, contained=True) for w in lexicon.FRAME.split())


def normalize(text: str) -> Normalized:
    if "はてな" in text:  # 次の配信何時からはてな: a voice engine that spelt the question mark out
        text = _SPOKEN_QUESTION.sub("?", text)
    marked = _fold(text, False)
    loans = _loans(text)
    if _SENT not in marked:
        return Normalized(marked, bool(_QUESTION_MARKS.search(text)), (), loans)
    breaks: list[int] = []
    pos = 0
    for piece in marked.split(_SENT)[:-1]:
        pos += len(piece)
        if pos and (not breaks or breaks[-1] != pos):
            breaks.append(pos)
    folded = marked.replace(_SENT, "")
    question = bool(_QUESTION_MARKS.search(text))
    return Normalized(folded, question, tuple(b for b in breaks if b < len(folded)), loans)


def asks_something(remainder: str, question_mark: bool) -> bool:
    """Does the part of a message outside a matched trigger ask something else?"""
    if question_mark:
        return True
    return any(word in remainder for word in QUESTION_WORDS)
