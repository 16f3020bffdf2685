"""Matching questions by meaning: two wordings of one question meet, two questions that share words do not.

No model and no morphological analyser at run time. A message (already folded by ``normalize``) is
read in one pass of an Aho-Corasick automaton over every known form: the concepts of ``lexicon.py``
(スイーツ = 甘いもの = デザート), the content words of the sister's own meaning patterns (found offline
by the miner), question words, negations, the sisters' names and the words that only frame a
question (ねえねえ, 教えて, ですか). The reading is compact:

- ``concepts``: what it is about (like + food), each with a weight (time words such as 最近 weigh half);
- ``asks``: the kind of question (when / where / who / how-why / what-which / amount), or none;
- ``negated``, ``fan`` (about the fan: 私は…), ``about`` (another sister named);
- ``unknown``: content nobody explained (kanji or long kana runs outside every known form).

A pattern's ``Signature`` holds the concepts its question needs (``required``), those some of its
wordings had (``optional``), its kind, negation and subject. It answers a message when the kind,
negation and subject agree, every required concept is there (one may be missing from four or more)
and the score — required weight found over required weight + extra concepts + unexplained content —
reaches the pattern's threshold (0.75 unless the admin set another).

A question often comes after some context (「昨日の配信楽しかった！で、次いつ？」): everything before the
last clause break (けど, ところで, ました …) may supply a required concept but never counts against one.
"""

from __future__ import annotations

import functools
import operator
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field

import ahocorasick

from botan_line.characters import lexicon
from botan_line.characters.normalize import fold

DEFAULT_THRESHOLD = 0.75
EXTRA_LIGHT = 0.25  # an unasked light concept (最近) counts this much against a match
LOOSE_COST = 0.25  # a loosely required concept left out counts this much against a match
MISS_ONE_OF = 4  # from this many required concepts on, one may be missing
MAX_LENGTH = 120  # longer messages are stories, not questions to answer from a file
CONTENT, TIME, ASK, REQUEST, NEG, FAN, FRAME, CUT, NAME, HABIT = range(10)
CUTS = (
    (
        "けど けれど けれども だけど ですが ますが ましたが のですが んですが たんですが ところで ちなみに そもそも "
        "さて 逆に いから たいから ので んで てさ けどさ ました でした です ます ております しております てます "
        "だよね んだよね よね んです なんです たんです なんよ "
        "たどん っどん るどん かどん けどん ちょっど ちょっで そういえば そういや そう言えば"  # Kagoshima どん = けど
    ).split()
)
ASK_FAMILY = {
    "what": "open",
    "where": "open",
    "who": "open",
    "how": "open",
    "amount": "amount",
    "when": "when",
}


def family_of(ask: str, measured: bool = False, timelike: bool = False) -> str:
    """The family of a kind of question; of a thing measured (ランク, 身長), what and how much are one,
    and of a thing that is a time (季節), what and when."""
    family = ASK_FAMILY[ask]
    return "open" if (measured and family == "amount") or (timelike and family == "when") else family


# 練習しない日, 食べないもの: a negation that is itself a thing asked about
NEG_NOUN = ("日", "こと", "時", "とき", "もの", "物", "やつ")
STATEMENT_ENDS = (
    "です",
    "ます",
    "ました",
    "でした",
    "た",
    "だよ",
    "だね",
    "よ",
    "ね",
    "てる",
    "ってる",
    "る",
    "ばい",  # Hakata: やってみたばい, 見たっちゃん, 行くけん tell
    "っちゃん",
    "けん",
    "たさ",  # Okinawa: やってみたさ, 行くさ, でーじ楽しかったやっさ tell
    "るさ",
    "やっさ",
    "たで",  # Kansai: やってみたで, 見てるで tell
    "たが",  # Kagoshima: 笑ったが, 行ったど, 見たっちゃ tell
    "たど",
    "たっちゃ",
    "るで",
    "たに",  # Ise: 飲んでみたに, 行くに tell
    "るに",
    "たじゃ",  # Tsugaru: 飲んでみだ, めがったじゃ, やってみるじゃ tell
    "るじゃ",
    "だじゃ",
    "てみだ",
    "でみだ",
    "たげん",  # Kanazawa: 食べてみたげん, 笑っとったげん tell
    "るげん",
    "だ",  # 雨だ, 明日歌枠だ: a remark; a question ending in だ asks with a word (誰だ, いつだ)
    "中",  # テスト勉強中, 配信見てる最中 (no question mark): what the fan is doing now
    "がんばれ",  # 次の配信もがんばれ: a cheer, not a question about the next stream
    "頑張れ",
    "がんばって",
    "頑張って",
    "ふぁいと",
    "がんばろ",  # 受験頑張るけん一緒に頑張ろ: let's both, not a question about exams
    "頑張ろ",
    "頑張ってください",  # 次の配信も頑張ってください: a cheer, not a question about the next stream
    "がんばってください",
    "ようかな",  # 週末ためしてみよっかな: what the fan thinks of doing, not a question to her
    "よっかな",
    "がんばろう",
    "頑張ろう",
    "ありがと",  # 感度それにしてみるわ、ありがと: thanks close a line that tells
    "ありがとう",
    "ありがとー",
    "ありがとね",
    "さんきゅ",
    "さんきゅー",
    "thanks",  # うたったよ、obrigado: thanks in the fan's other language close a line that tells too
    "thankyou",
    "thx",
    "obrigado",
    "obrigada",
    "gracias",
    "merci",
    "あざす",
    "あざっす",
)
# やる？ 行った？ ですか？ 楽しい？ しないの(ん)？ あるの？ 得意ですかな
YES_NO_ENDS = ("る", "た", "か", "い", "ない", "ん", "の", "かな", "かね")
PRECISE = ("when", "amount")
# what a yes/no question never answers: when, how much, who, how or why (まだ起きてる？ is not 誰が一番早く
# 起きる？; 英語話せる？ is not どうやったら英語話せる？). What and which it may: おすすめある？ asks for one.
NOT_YES_NO = frozenset({"when", "amount", "who", "how"})
PRECISE_OR_WHO = (*PRECISE, "who")  # a question of these kinds is never asked by a yes/no one
AFTERTHOUGHT = (
    "で",
    "の",
    "に",
    "は",
    "が",
    "を",
    "も",
    "と",
    "から",
    "まで",
)  # a yes/no question is not one of these: 誕生日配信やる？ asks no date
_SOFT = lexicon.SOFT
_SOFT_FOR = {ask: _SOFT | more for ask, more in lexicon.SOFT_WHEN_ASKED.items()}
# 〜よる, 〜よった (Iyo, Hiroshima, Kyushu: 読みよる is 読んでる): the frame takes the verb's last kana
_I_ROW = frozenset("いきしちにひみりぎじびぴ")
_PROGRESSIVE = frozenset("しよる しよった りよる みよる きよる べよる びよる いよる".split())
_BY_SIZE = operator.itemgetter(0, 1, 2)
_FIRST = operator.itemgetter(0)
_KANJI = re.compile(r"[\u4e00-\u9fff\u3005a-z0-9]")


@dataclass(frozen=True, slots=True)
class Entry:
    kind: int
    ids: tuple[str, ...] = ()
    ask: str | None = None  # a content word that is also a question word (何時間: hours, asks an amount)

    @property
    def weights(self) -> tuple[tuple[str, float], ...]:
        return _weights(self.ids)


@dataclass(slots=True)
class Reading:
    """What a message says, as far as meaning matching cares."""

    concepts: dict[str, float] = field(default_factory=dict)  # anywhere in the message
    tail: dict[str, float] = field(default_factory=dict)  # in its last clause: what it asks about
    asks: set[str] = field(default_factory=set)  # ask groups (lexicon.ASK_GROUPS values)
    request: bool = False
    negated: bool = False
    fan: bool = False
    about: frozenset[str] = frozenset()  # other sisters named
    unknown: float = 0.0  # unexplained content in the last clause
    unknown_words: tuple[str, ...] = ()
    statement: bool = False
    yes_no: bool = False  # no question word, no request, ends in a predicate: 誕生日配信やる？
    has: bool = False  # a yes/no question whether she has one (家に犬おる？ ペット飼ってる？)
    usual: bool = False  # asks what she usually does (いつも何時から配信してる？), not what comes next
    # concepts of the question that count at least half a point when nothing explains them
    firm: set[str] = field(default_factory=set)
    # concepts said without their word (lexicon.IMPLIES; a habit or superlative such as よく聴く or
    # 一番おいしい asks for a favourite), each with the concept that said it (None: a habit word). They
    # meet a question that needs them, and what stood in then no longer counts against it.
    implied: Mapping[str, str | None] = field(default_factory=dict)

    @property
    def content(self) -> bool:
        return bool(self.concepts) or self.unknown > 0


@dataclass(frozen=True, slots=True)
class Signature:
    """What a question pattern asks, as stored in its ``meaning`` (see ``loader.Meaning``)."""

    required: Mapping[str, float]
    optional: frozenset[str] = frozenset()
    loose: frozenset[str] = frozenset()  # required, but some wordings left it out: one may be missing
    closed: bool = False  # asked only yes/no (まだ起きてる？): not an answer to when or how much
    ask: str | None = None  # an ask group, or None: any
    negated: bool = False
    fan: bool = False
    about: frozenset[str] = frozenset()
    threshold: float = DEFAULT_THRESHOLD
    usual: bool = False  # most wordings asked what she usually does (いつも, 普段, だいたい)
    current: bool = (
        False  # asked what she does now by a progressive alone (何読んでる？): not next, not first
    )


@dataclass(frozen=True, slots=True)
class Verdict:
    score: float
    ok: bool
    reason: str  # "" when ok: why not, for the review


def weight(concept: str) -> float:
    return 0.5 if concept in lexicon.LIGHT else 1.0


@functools.lru_cache(maxsize=4096)
def _weights(ids: tuple[str, ...]) -> tuple[tuple[str, float], ...]:
    return tuple((cid, weight(cid)) for cid in ids)


def _lines(block: str):
    for line in block.strip().splitlines():
        name, _, forms = line.partition(":")
        yield name.strip(), forms.split()


@functools.cache
def base_entries() -> dict[str, Entry]:
    """Every form of the shared lexicon, folded, to what it is (the first kind listed wins)."""
    out: dict[str, Entry] = {}

    def put(form: str, entry: Entry) -> None:
        key = fold(form, contained=True)
        if not key:
            return
        old = out.get(key)
        if old is None:
            out[key] = entry
        elif old.kind == entry.kind == CONTENT:
            out[key] = Entry(CONTENT, tuple(dict.fromkeys(old.ids + entry.ids)), old.ask)
        elif old.kind == CONTENT and entry.kind == ASK:
            out[key] = Entry(CONTENT, old.ids, entry.ids[0])

    for name, forms in _lines(lexicon.CONCEPTS):
        for form in forms:
            word, *more = form.split("+")
            put(word, Entry(CONTENT, (name, *more)))
    for name, forms in _lines(lexicon.TIMES):
        for form in forms:
            put(form, Entry(CONTENT, (name,)))
    for name, forms in _lines(lexicon.ENGLISH):
        for form in forms:
            put(form, Entry(CONTENT, (name,)))
    for name, forms in _lines(lexicon.ASKS + "\n" + lexicon.ENGLISH_ASKS):
        for form in forms:
            put(form, Entry(ASK, (lexicon.ASK_GROUPS[name],)))
    asks = sorted(
        ((k, e.ids[0] if e.kind == ASK else e.ask) for k, e in out.items() if e.kind == ASK or e.ask),
        key=lambda x: -len(x[0]),
    )
    for key, entry in list(out.items()):  # 週に何回, 何時起き: a content word with a question word in it
        if entry.kind == CONTENT and entry.ask is None:
            inner = next((a for k, a in asks if "何" in k and k in key and k != key), None)
            if inner:
                out[key] = Entry(CONTENT, entry.ids, inner)
    for form in lexicon.REQUEST.split():
        put(form, Entry(REQUEST))
    for form in lexicon.NEGATIONS.split():
        put(form, Entry(NEG))
    for form in lexicon.FAN.split():
        put(form, Entry(FAN))
    for form in CUTS:
        put(form, Entry(CUT))
    for form in lexicon.HABIT.split():
        put(form, Entry(HABIT))
    for form in (lexicon.FRAME + " " + lexicon.ENGLISH_FRAME).split():
        put(form, Entry(FRAME))
    return out


def _katakana_forms() -> frozenset[str]:
    """The lexicon's non-content words that it lists in katakana (マジ, ガチ, ヤツ), folded."""
    asks = " ".join(f for _name, forms in _lines(lexicon.ASKS) for f in forms)
    blocks = (lexicon.FRAME, lexicon.REQUEST, lexicon.NEGATIONS, lexicon.FAN, asks)
    return frozenset(
        fold(f, contained=True) for block in blocks for f in block.split() if _KATAKANA.search(f)
    )


_KATAKANA = re.compile("[ァ-ヺ]")
_LATIN = re.compile("[a-z]")
_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyz")


def concept_forms(concept: str) -> list[str]:
    """The lexicon's folded forms of a concept (for the review and the miner)."""
    return [k for k, e in base_entries().items() if e.kind == CONTENT and concept in e.ids]


_KATAKANA_FORMS = _katakana_forms()


class Reader:
    """One sister's reader: the lexicon, her meaning patterns' own forms and the sisters' names."""

    def __init__(self, extra: Mapping[str, Iterable[str]] = {}, names: Mapping[str, Iterable[str]] = {},
                 own: str | None = None):  # fmt: skip
        entries = dict(base_entries())
        for concept, forms in extra.items():
            entry = Entry(CONTENT, (concept,))  # one for all its forms
            for form in forms:
                key = fold(form, contained=True)
                if not key:
                    continue
                old = entries.get(key)
                if old is None or old.kind in (FRAME, CUT, HABIT):
                    entries[key] = entry
                elif old.kind == CONTENT and concept not in old.ids:
                    entries[key] = Entry(CONTENT, old.ids + (concept,), old.ask)
                elif old.kind == ASK:
                    entries[key] = Entry(CONTENT, (concept,), old.ids[0])
        for sid, nicks in names.items():
            for nick in nicks:
                key = fold(nick, contained=True)
                if key and len(key) > 1:
                    entries[key] = Entry(FRAME) if sid == own else Entry(NAME, (sid,))
        self.automaton = ahocorasick.Automaton()
        values: dict = {}
        for key, entry in entries.items():  # longest first, content before the rest on a tie
            value = (len(key), entry.kind != CONTENT, entry)
            self.automaton.add_word(key, values.setdefault(value, value))
        self.automaton.make_automaton()
        # katakana words that are what the lexicon says even when written so (マジ, ヤツ), and names
        self.short_latin = frozenset(k for k in entries if len(k) <= 2 and k.isascii() and k.isalpha())
        self.kana_kept = _KATAKANA_FORMS | {
            fold(n, contained=True) for nicks in names.values() for n in nicks
        }

    def _glued(self, text: str, start: int, length: int) -> bool:
        if length > 2 or text[start : start + length] not in self.short_latin:
            return False
        end = start + length
        return (start > 0 and text[start - 1] in _LETTERS) or (end < len(text) and text[end] in _LETTERS)

    @staticmethod
    def _loan_spans(text: str, loans: tuple[str, ...]) -> list[tuple[int, int]]:
        out = []
        for word in loans:
            i = text.find(word)
            while i >= 0:
                out.append((i, i + len(word)))
                i = text.find(word, i + len(word))
        return out

    def _inside_loan(self, text: str, chosen: tuple, kana_spans: list[tuple[int, int]]) -> bool:
        """A frame word, particle or question word read inside a katakana word: not what was written."""
        start, end, entry = chosen
        if entry.kind in (CONTENT, NAME):
            return False
        for s, e in kana_spans:
            if s <= start and end <= e:
                return not (start == s and end == e and text[s:e] in self.kana_kept)
        return False

    @staticmethod
    def _stems(spans: list, taken: int, progressive: list) -> list:
        """The verb a dialect progressive ends (読みよる, 起きよる, 書きよった) shares its last kana with the
        frame (みよる): the longest content word ending on that kana, otherwise free, is read too."""
        out = []
        for fs, _fe, _entry in progressive:
            for neg, _later, start, entry in spans:  # longest first
                end = start - neg
                if entry.kind == CONTENT and start < fs and end == fs + 1:
                    if not taken & (((1 << (fs - start)) - 1) << start):
                        taken |= ((1 << (fs - start)) - 1) << start
                        out.append((start, end, entry))
                        break
        return out

    def read(self, text: str, question: bool = False, breaks: tuple[int, ...] = (),
             loans: tuple[str, ...] = ()) -> Reading:  # fmt: skip
        """``breaks``: where a sentence ended inside ``text`` (normalize's ``breaks``): the sentence that
        asks is the question, the others only context (誕生日いつ？お祝いしたい). ``loans``: the words
        written in katakana (normalize's ``loans``): content, even where their folded letters spell a
        particle or a frame word (カラー → から, マーク → まく), unless the lexicon lists that very
        katakana word as one (マジ, ヤツ) or it is a name."""
        spans = [
            (-length, later, end - length + 1, entry)
            for end, (length, later, entry) in self.automaton.iter(text)
        ]
        if _LATIN.search(text):  # la, v, pc: a word of their own, not letters of play or favorite
            spans = [s for s in spans if not self._glued(text, s[2], -s[0])]
        spans.sort(key=_BY_SIZE)
        taken = 0  # a bit per character
        chosen = []
        for neg, _later, start, entry in spans:  # longest first: からおけ before のか, いろいろ before いろ
            bits = ((1 << -neg) - 1) << start
            if not taken & bits:
                taken |= bits
                chosen.append((start, start - neg, entry))
        if "よ" in text:  # 起きよる, 過ごしよる: the dialect progressive (all its frames hold よ)
            if progressive := [c for c in chosen if c[2].kind == FRAME and text[c[0] : c[1]] in _PROGRESSIVE]:
                chosen += self._stems(spans, taken, progressive)
            chosen = [  # after a verb's i-row kana, よる is the progressive, not the night
                (s, e, _FRAME_ENTRY)
                if e - s == 2 and text[s:e] == "よる" and s and text[s - 1] in _I_ROW
                else (s, e, x)
                for s, e, x in chosen
            ]
        chosen.sort(key=_FIRST)
        kana_spans = self._loan_spans(text, loans) if loans else ()
        if kana_spans:
            chosen = [c for c in chosen if not self._inside_loan(text, c, kana_spans)]
        if chosen and chosen[-1][2].kind == ASK and _copula_at_end(text, chosen[-1][0]):
            chosen[-1] = (chosen[-1][0], chosen[-1][1], _FRAME_ENTRY)
        qs, qe = 0, len(text)  # the sentence that asks
        told = False  # no sentence asks and an earlier one tells (リップ試してみた！色好き)
        if breaks:
            bounds = [0, *(b for b in breaks if 0 < b < len(text)), len(text)]
            sentences = list(zip(bounds, bounds[1:], strict=False))
            asking = [i for i, (a, b) in enumerate(sentences)  # 知りたい after 何時から？ only says why it asks
                      if any(a <= s < b and (e.kind == ASK or e.ask or e.kind == REQUEST and text[s:e_] not in _WISH)
                             for s, e_, e in chosen)]  # fmt: skip
            at = asking[-1] if asking else len(sentences) - 1
            told = not asking and any(text[a:b].endswith(STATEMENT_ENDS) for a, b in sentences[:-1])
            qs, qe = sentences[at]
            for a, b in sentences[at + 1 :]:  # an afterthought that ends in a particle narrows the question
                piece = text[
                    a:b
                ]  # (好きなキャラ誰？ラノベ限定で); a reason only says why (お祝いしたいはんで)
                if not piece.endswith(AFTERTHOUGHT) or piece.endswith(_BECAUSE):
                    break
                qe = b
        cut = qs  # and within it, what comes before a clause break (けど, ところで) is context too
        for start, end, entry in chosen:
            if entry.kind == CUT and start >= qs and end < qe - 1:
                cut = end
        r = Reading()
        concepts, tail, asks = r.concepts, r.tail, r.asks
        gaps = []
        pos = 0
        names = set()
        negs: list[tuple[int, bool]] = []
        habit = False
        spoken = False  # a question word proper, not a noun that names what is asked (方法, 理由)
        for start, end, entry in chosen:
            if start > pos:
                gaps.append((pos, start))
            pos = end
            kind = entry.kind
            if kind == FRAME:
                continue
            if kind == HABIT:
                habit = True
                continue
            in_tail = cut <= start < qe
            if kind == CONTENT:
                ask = entry.ask and _since(entry.ask, text, end)
                if ask == "when" != entry.ask:  # 何歳から: the age is only the time asked
                    if in_tail:
                        asks.add(ask)
                    continue
                for cid, w in entry.weights:
                    concepts[cid] = w
                    if in_tail:
                        tail[cid] = w
                        if cid not in _SOFT:
                            r.firm.add(cid)
                if ask and in_tail:
                    asks.add(ask)
                    spoken = True
            elif not in_tail:
                continue
            elif kind == ASK:
                asks.add(_since(entry.ids[0], text, end))
                spoken = spoken or text[start:end] not in _NAMED_ASKS
                habit = habit or text[start:end] in _WHICH  # 犬と猫ならどっち？ asks which she likes
            elif kind == REQUEST:  # 教えてもろた: was taught; 頑張ってください: a cheer; neither asks
                r.request = r.request or not (text.startswith(_GIVEN, end) or text.endswith(_CHEER, 0, start))
            elif kind == NEG:  # 練習しない日: the negation says which thing is asked about
                negs.append((end, text[start:end].endswith(NEG_NOUN) or text.startswith(NEG_NOUN, end)))
            elif kind == FAN:
                r.fan = True
            elif kind == NAME:
                names.add(entry.ids[0])
        if pos < len(text):
            gaps.append((pos, len(text)))
        unknown, words = 0.0, []
        for start, end in gaps:
            if end <= cut or start >= qe:
                continue
            a, b = max(start, cut), min(end, qe)
            piece = text[a:b]
            if kana_spans and any(s < b and a < e for s, e in kana_spans):
                unknown += 1.0 if len(piece) > 1 else 0.5  # (part of) a loanword nobody explained
                words.append(piece)
            elif _KANJI.search(piece):  # a word nobody explained (one kanji: often part of a known one)
                unknown += 1.0 if len(piece) > 1 else 0.5
                words.append(piece)
            elif len(piece) >= 3:
                unknown += 0.5
                words.append(piece)
        r.unknown, r.unknown_words = unknown, tuple(words)
        # a negation counts when it says what is asked about (好きじゃないアニメ, 練習しない日), not when it
        # only closes the question (いただけませんか, しないの？, ありませんか)
        if negs:
            content_starts = [s for s, _e, entry in chosen if entry.kind == CONTENT and s < qe]
            r.negated = any(noun or any(s >= end for s in content_starts) for end, noun in negs)
        r.about = frozenset(names)
        if not r.asks:  # no question word in the last clause: perhaps earlier (次の予定ある？いつ？ has one)
            for s, e, entry in chosen:
                if entry.kind == ASK:
                    r.asks.add(entry.ids[0])
                    spoken = spoken or text[s:e] not in _NAMED_ASKS
                elif entry.ask:
                    r.asks.add(entry.ask)
                    spoken = True
        r.statement = not (
            question
            or spoken
            or r.request
            or text.endswith(("ある", "いる"))
            or _asks_unmarked(text, kana_spans)
        ) and (
            told
            or text.endswith(STATEMENT_ENDS)
            or (text.endswith(("な", "わ")) and not text.endswith("かな"))
        )  # 面白かったな tells; どうかな asks; 好きな曲ある asks whether there is one
        r.yes_no = not (r.asks or r.request) and text[qs:qe].endswith(YES_NO_ENDS)
        r.has = r.yes_no and text[qs:qe].endswith(_HAS_ENDS)
        r.usual = _USUAL_ANY.search(text) is not None and any(text[s:e] in _USUAL for s, e, _entry in chosen)
        # 誰が一番うまい？ 一番苦手な… いつも何時から？ (a habit asked when or how much says no 好き)
        habit = habit and _NOT_LIKED.isdisjoint(r.asks) and _UNLIKE.isdisjoint(concepts)
        if habit or not _IMPLYING.isdisjoint(concepts):
            r.implied = _implied(concepts, habit)
        # げーむなにしよる？ 何読んでる？: a progressive with no time word asks what she does now, and so
        # not what the next stream will be (lexicon.APART); it stands in for 今, never counts against
        if (
            r.asks
            and not (habit or r.usual)
            and _TIMELY.isdisjoint(concepts)
            and _PROGRESSIVE_END.search(text, qs, qe)
        ):
            r.implied = {**r.implied, "now": None}
        return r


_IMPLYING = frozenset(lexicon.IMPLIES)
_APART_FROM_NOW = frozenset().union(
    *(b for a, b in lexicon.APART if "now" in a), *(a for a, b in lexicon.APART if "now" in b)
)
# the clause that asks ends in a progressive: してる, 読んでます, しとる, しよる, しちょる, してはる, してん, してらの
_PROGRESSIVE_END = re.compile(
    "(?:[てで](?:る|いる|ます|います|はる|はります|らっしゃる|ら)|[しりみきいびべ]よ[るん]|[とど]る|ちょ[るん]|[しとど]ん|てん)"
    "(?:の|ん|んですか|んですか|ですか|か|なん|なの|と|が|ね|かな|っけ|のか)?$"
)
# 最近, 今日, 次, 一日に: words that say when, not what
_TIMELY = frozenset(line.partition(":")[0].strip() for line in lexicon.TIMES.strip().splitlines()) | {
    "per_day"
}
# nouns that name what a question asks; in a line that ends telling (教えていただいた方法、今夜からやってみます,
# 理由があって休みました) they ask nothing
_NAMED_ASKS = frozenset(lexicon.NAMED_ASKS.split())
_WHICH = frozenset({"どっち", "どちら"})
_FRAME_ENTRY = Entry(FRAME)


def _copula_at_end(text: str, start: int) -> bool:
    """英語できる人なん？: a closing なん after a word is the copula (なの), not 何 (何なん, なんなん keep it)."""
    return start > 0 and text[start:] == "なん" and text[start - 1] not in "何なにのん"


_UNLIKE = frozenset({"dislike", "skill_good", "skill_bad"})  # a superlative of these asks no favourite


def _implied(concepts: Mapping[str, float], habit: bool) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    disliked = "dislike" in concepts
    if habit:
        out["like"] = None
    for cid in concepts:
        for other in lexicon.IMPLIES.get(cid, ()):
            if other not in concepts and not (disliked and other in lexicon.STANCE):
                out.setdefault(other, cid)
    return out


def _since(ask: str, text: str, end: int) -> str:
    """何歳から, 何年生から: an amount that says since when, a question about when."""
    return "when" if ask == "amount" and text.startswith("から", end) else ask


# what she usually does, not what comes next: いつも何時から配信してる？ is not 次の配信いつ？
_USUAL = frozenset(
    ("いつも", "普段", "ふだん", "だいたい", "大体", "基本", "基本的に", "毎回", "ことが多い", "ことがおおい")
)


def _asks_unmarked(text: str, kana_spans) -> bool:
    """A question written without a question mark that ends like a statement: 何かあります (Kyoto speech
    asks with a plain ます), 〜はります said of her, an either-or (それとも), a katakana noun (ジャンル: its
    る is no verb)."""
    return (
        text.endswith(_HONORIFIC_ASK)
        or "それとも" in text
        or (("何か" in text or "なにか" in text) and text.endswith(_THERE_IS))
        or any(e == len(text) for _s, e in kana_spans)
    )


_BECAUSE = ("はんで", "ので", "んで", "さかい", "すけ", "だで", "やで", "だから", "やから", "じゃから")
# 家に犬とか猫おるん？ ペット飼ってる？ (an animal or a person there; 好きな曲ある？ asks for one)
_HAS_ENDS = ("いる", "いるの", "いるん", "います", "いますか", "おる", "おるん", "おるの", "おります", "飼ってる",
             "かってる", "飼っとる", "飼ってます", "飼ってますか")  # fmt: skip
_HONORIFIC_ASK = ("はります", "はりますの", "はるんです", "はるの", "はるん")
_THERE_IS = (
    "ある",
    "あります",
    "あるん",
    "あるんです",
    "います",
    "いる",
    "おる",
    "おります",
    "あらはります",
    "おらはります",
)


_NOT_LIKED = frozenset(("who", "when", "amount"))

_CHEER = ("頑張って", "がんばって", "無理しないで", "むりしないで", "気をつけて", "きをつけて")

# a wish to know: a request when nothing else asks, not what picks the sentence that asks
_WISH = frozenset(("知りたい", "しりたい", "知りたか", "しりたか", "知りとう", "気にな", "きにな"))

# after 教えて: what was given (past), not what is asked for (教えてもらえる？ asks)
_GIVEN = (
    "もろた",
    "もろて",
    "もらった",
    "もらいました",
    "くれた",
    "くれました",
    "いただいた",
    "いただきました",
    "頂いた",
    "頂きました",
)
_USUAL_ANY = re.compile("|".join(sorted(_USUAL, key=len, reverse=True)))  # a quick look before the spans


def usual_or_next(a_usual: bool, a: Collection[str], b_usual: bool, b: Collection[str]) -> bool:
    """Whether one asks what she usually does and the other what comes next (次, 今度), which it does not."""
    return (a_usual and "next" in b and "next" not in a) or (b_usual and "next" in a and "next" not in b)


def judge(sig: Signature, r: Reading) -> Verdict:
    """Does a message with this reading ask the signature's question? The score and, if not, why."""
    if r.statement:
        return Verdict(0.0, False, "a statement, not a question")
    if sig.negated != r.negated:
        return Verdict(0.0, False, "negation differs")
    if sig.fan != r.fan:
        return Verdict(0.0, False, "about the fan" if r.fan else "not about the fan")
    if sig.about != r.about:
        return Verdict(0.0, False, "about another sister" if r.about else "not about her sister")
    if sig.ask in PRECISE_OR_WHO and r.yes_no:
        return Verdict(0.0, False, f"a yes/no question, not {sig.ask}")
    if sig.closed and r.asks.intersection(NOT_YES_NO):
        return Verdict(0.0, False, "a yes/no question, not " + "/".join(sorted(r.asks)))
    if sig.ask is not None and r.asks and sig.ask not in r.asks:
        named = sig.required.keys() | r.concepts.keys()
        measured, timelike = bool(lexicon.MEASURES & named), bool(lexicon.TIMELIKE & named)
        family = family_of(sig.ask, measured, timelike)
        if any(family_of(a, measured, timelike) != family for a in r.asks):
            return Verdict(0.0, False, f"asks {'/'.join(sorted(r.asks))}, not {sig.ask}")
    if usual_or_next(sig.usual, sig.required.keys() | sig.optional, r.usual, r.concepts.keys()):
        return Verdict(0.0, False, "usually, not next" if sig.usual else "next, not usually")
    for turn in lexicon.TURNS:  # 読書以外の趣味ある？ learned: not 趣味なに？, nor the reverse
        present = turn in r.concepts
        if (turn in sig.required) != present and (not present or turn not in sig.optional):
            return Verdict(0.0, False, f"another question: {turn}")
    heard = r.concepts.keys() | r.implied.keys() if r.implied else r.concepts.keys()
    for one, other in lexicon.APART:  # 今なに読んでる？ learned: not 初めて読むならどれ？, nor the reverse
        for want, have in ((one, other), (other, one)):
            if (
                (want & sig.required.keys() or sig.current and "now" in want)
                and have & heard
                and not want & heard
            ):
                return Verdict(0.0, False, "another question: " + "/".join(sorted(have & heard)))
    for thing, kinds in lexicon.KINDS.items():  # 次の歌枠いつ？ learned: not 次の配信いつ？, nor the reverse
        if thing in r.concepts and thing in sig.required:
            want, have = kinds.intersection(sig.required), kinds.intersection(r.concepts)
            if (want and not want & have) or have - want - sig.optional:
                return Verdict(0.0, False, f"another kind of {thing}")
    found = total = 0.0
    missed, loose, unsaid = [], [], []
    stood_in: tuple[str | None, ...] = ()
    solid = any(w >= 1.0 for w in sig.required.values())
    implied = r.implied
    for cid, w in sig.required.items():
        if cid in r.concepts or cid in implied:
            if implied and cid not in r.concepts:
                stood_in += (implied[cid],)
            found += w
            total += w
        elif w < 1.0 and solid:
            unsaid.append(cid)  # a light concept (最近, 一日) may be left unsaid when the topic is there
        elif cid in sig.loose:
            loose.append(cid)
        else:
            total += w
            missed.append(cid)
    # a time word (最近, 今) is no topic: 「最近なに見てる？」 does not answer 「最近いいことあった？」, whose
    # only word in common is 最近, though 見る is light (次いつ？ may still mean the stream 次の配信いつ？ named)
    if not any(cid in r.concepts or cid in implied for cid in sig.required if cid not in _TIMELY) and not any(
        cid in r.concepts or cid in implied for cid in sig.optional if cid not in _TIMELY
    ):
        said = [cid for cid in sig.required if cid not in _TIMELY and cid not in sig.loose]
        if said:
            return Verdict(found / (total or 1.0), False, "missing " + ", ".join(said))
    if missed and (len(missed) > 1 or len(sig.required) < MISS_ONE_OF):
        return Verdict(found / (total or 1.0), False, "missing " + ", ".join(missed))
    known = sig.required.keys() | sig.optional
    # the last clause says what is asked; when it names nothing (…たいんだけど、何からやればいい？), the
    # context before it is the topic, and what the question does not explain there counts too
    extras = [cid for cid in (r.tail or r.concepts) if cid not in known]
    if stood_in:  # what stood in for a concept the question needs is not more content
        extras = [cid for cid in extras if cid not in stood_in]
    if unsaid and any(cid in lexicon.LIGHT for cid in extras):  # …unless another light verb took its place
        return Verdict(found / (total or 1.0), False, "other content: " + ", ".join(extras))
    soft = _SOFT_FOR.get(sig.ask or "", _SOFT)
    extra = sum(EXTRA_LIGHT if cid in soft else weight(cid) for cid in extras)
    if loose:
        # a word some wordings left out may be left out again, once, when nothing takes its place: a time word
        # may come along, another light verb may not (最近なに聴いてる？ is not 最近なに読んでる？)
        if (
            missed
            or len(loose) > 1
            or any(c not in lexicon.SOFT or c in lexicon.LIGHT for c in extras)
            or not found
        ):
            return Verdict(found / (total + sum(weight(c) for c in loose)), False,
                           "missing " + ", ".join(missed + loose))  # fmt: skip
        total += LOOSE_COST * sum(weight(c) for c in loose)
    score = found / (total + extra + r.unknown) if total else 0.0
    if score < sig.threshold:
        why = "other content: " + ", ".join(extras + list(r.unknown_words))
        return Verdict(score, False, why)
    return Verdict(score, True, "")


@dataclass(frozen=True, slots=True)
class Needs:
    """What ``judge`` asks of a message before anything else, precomputed for an index: every concept
    of ``need`` present, at most one of ``some`` missing, and no more unexplained concepts than the
    threshold allows (``firm``: each such concept costs at least half a point)."""

    need: tuple[str, ...]
    some: tuple[str, ...]
    weight: float  # the required weight: the most a message can find
    free: frozenset[str]  # concepts a message may add at no full cost: asked, optional, standing in

    def allow(self, sig: Signature, present: frozenset[str], firm: set[str]) -> bool:
        """``need`` beyond the concept it was found by is checked by the index (``Matcher``)."""
        if self.some and len(self.some) - len(present.intersection(self.some)) > 1:
            return False
        extra = len(firm.difference(self.free))  # set operations in C: this runs for every candidate
        return not extra or self.weight / (self.weight + 0.5 * extra) >= sig.threshold


def needs(sig: Signature, canon: dict | None = None) -> tuple[Needs, frozenset[str]]:
    """The signature's ``Needs``, and the concepts to file it under in an index: one of ``need``,
    or when nothing is needed for sure, its solid concepts (at most one of them is missing)."""
    solid = frozenset(c for c, w in sig.required.items() if w >= 1.0)
    base = solid or frozenset(sig.required)
    need: frozenset[str]
    if len(sig.required) >= MISS_ONE_OF:  # one of them may be missing
        need, some = frozenset(), base
    else:
        need, some = base - sig.loose, base & sig.loose
    keys = need or (solid if len(solid) >= 2 else frozenset(sig.required))
    stand_ins = (c for c, others in lexicon.IMPLIES.items() if any(o in sig.required for o in others))
    free = compact(
        [*sig.required, *sig.optional, *stand_ins, *lexicon.SOFT_WHEN_ASKED.get(sig.ask or "", ())], canon
    )
    found = Needs(tuple(sorted(need)), tuple(sorted(some)), sum(sig.required.values()), free)
    return (canon.setdefault(found, found) if canon is not None else found), keys


def compact(items, canon: dict | None = None) -> frozenset[str]:
    """A frozenset, the one empty frozenset when empty, and one shared object per set in ``canon``."""
    out = frozenset(items) if items else EMPTY
    return canon.setdefault(out, out) if canon is not None else out


EMPTY: frozenset[str] = frozenset()


def signature_of(readings: list[Reading], threshold: float = DEFAULT_THRESHOLD) -> Signature:
    """The question several wordings ask: concepts most of them share are required — those every
    wording said strictly, the others loosely (one of them may be left out) — the rest optional;
    the most common kind of question, negation and subject."""
    n = len(readings)
    counts: dict[str, int] = {}
    for r in readings:
        for cid in r.concepts:
            counts[cid] = counts.get(cid, 0) + 1
    need = (n + 1) // 2 if n > 2 else n
    required = {cid: weight(cid) for cid, c in counts.items() if c >= need}
    optional = frozenset(cid for cid in counts if cid not in required)
    loose = frozenset(cid for cid in required if counts[cid] < n)
    asks: dict[str, int] = {}
    for r in readings:
        for a in r.asks:
            asks[a] = asks.get(a, 0) + 1
    ask = max(sorted(asks), key=lambda a: asks[a]) if asks else None
    half = n / 2
    return Signature(
        required=required,
        optional=optional,
        loose=loose,
        closed=all(r.yes_no for r in readings),
        ask=ask,
        negated=sum(r.negated for r in readings) > half,
        fan=sum(r.fan for r in readings) > half,
        about=max((r.about for r in readings), key=lambda a: sum(x.about == a for x in readings)),
        threshold=threshold,
        usual=sum(r.usual for r in readings) > half,
        # げーむなにしよる: what she plays now (a progressive), so not the next stream's game
        current="now" not in counts
        and not _APART_FROM_NOW & counts.keys()
        and any("now" in r.implied for r in readings),
    )
