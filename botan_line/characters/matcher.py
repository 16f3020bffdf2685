"""Layer 1 matching: which pattern of one sister answers a normalised message, if any.

Pure and fast. Whole-message triggers are one dict lookup; contained keywords (and the literal
anchors of regexes) are found in one pass of an Aho-Corasick automaton (pyahocorasick, C), so
the cost depends on the message, not on how many patterns the files hold.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import chain
from typing import TYPE_CHECKING, Protocol, cast

import ahocorasick

if TYPE_CHECKING:  # typeshed describes the regex parser under its old name only
    import sre_parse
else:
    try:  # the regex parser moved in 3.11; the old name warns
        from re import _parser as sre_parse
    except ImportError:  # pragma: no cover
        import sre_parse

from botan_line.characters import meaning as meanings
from botan_line.characters.normalize import asks_something, fold

EXACT, KEYWORDS, MEANING, TYPO, REGEX = 5, 4, 3, 2, 1  # priority: a whole-message match beats a contained one

# What the sister said last to this fan (``when.after``), so that a reaction is read as a reaction
# to it: see ``characters/recall.py`` for how a line is classified.
AFTER = ("told", "asked", "cared", "greeted", "reacted", "nothing")
TYPO_CATEGORIES = ("greeting", "thanks", "apology", "goodbye")  # one slip of the finger is forgiven
TYPO_MIN = 5  # ... in triggers and messages of at least this many characters; not in latin ones (hello):
# the slips forgiven are a phone's flick keyboard's
_NEGATIONS = ("ない", "ません", "なかった", "じゃな")
# Words (or starts of words) a slip must not make: where one appears that the trigger does not have, the
# "slip" wrote another word, not a typo: a negation, another tense or form of the greeting's verb
# (はじめました, いってます, 出かけてる, 帰れました), a request (いってくれ, 帰ってきてよ) or a word of its own
# (じゃあまだ, いただけます). Found by running every forgiven slip of the sisters' greetings through a
# morphological analyser: one kana turns a fixed greeting into ordinary words in these few ways.
_NOT_A_SLIP = (*_NEGATIONS, *"まだ ました まして てる てます てた てよ れま くれ いただけ".split())
_PARTICLES = "ねよな"  # said after any whole-message trigger, they leave what it says as it was


@dataclass(frozen=True, slots=True)
class Context:
    band: str  # morning|daytime|evening|night
    first_visit: bool = False
    chat: str = "one_on_one"
    # one of AFTER, or a function that finds it out: called only when a pattern with when.after
    # is in the running (it reads the store), so most messages never pay for it
    after: str | Callable[[], str] = "nothing"
    # she remembers a notice that named its stream (when.stream), or a function that finds it out
    stream: bool | Callable[[], bool] = False
    called: bool = False  # the message called her by name (taken out of the text matched)

    def said_last(self) -> str:
        return self.after() if callable(self.after) else self.after

    def knows_stream(self) -> bool:
        return self.stream() if callable(self.stream) else self.stream


class Answering(Protocol):
    """A pattern as the matcher files it (``characters.Pattern``; this module knows no YAML): what it
    reads of one once it is filed, and the replies Layer 1 answers with."""

    @property
    def id(self) -> str: ...
    @property
    def max_length(self) -> int: ...
    @property
    def allow_question(self) -> bool: ...
    @property
    def replies(self) -> Sequence[str]: ...


@dataclass(frozen=True, slots=True)
class Match:
    pattern: Answering  # characters.Pattern
    kind: int
    trigger: str


@dataclass(slots=True)
class _Keywords:
    pattern: Answering
    words: tuple[str, ...]
    length: int


@dataclass(slots=True)
class _Regex:
    pattern: Answering
    regex: re.Pattern
    whole: bool
    source: str


def _conditions_hold(pattern, ctx: Context) -> bool:
    when = pattern.when
    if when is None:
        return True
    if when.time is not None and ctx.band not in when.time:
        return False
    if when.first_visit is not None and when.first_visit != ctx.first_visit:
        return False
    if when.chat is not None and when.chat != ctx.chat:
        return False
    if when.stream and not ctx.knows_stream():
        return False
    if when.called is not None and when.called != ctx.called:
        return False
    return when.after is None or ctx.said_last() in when.after  # last: it may read the store


def _streams(pattern) -> bool:
    return bool(pattern.when and pattern.when.stream)


def _overlap(a, b) -> bool:
    """Can both patterns' conditions hold at once?"""
    wa, wb = a.when, b.when
    if wa is None or wb is None:
        return True
    if wa.time is not None and wb.time is not None and not set(wa.time) & set(wb.time):
        return False
    if wa.first_visit is not None and wb.first_visit is not None and wa.first_visit != wb.first_visit:
        return False
    if wa.after is not None and wb.after is not None and not set(wa.after) & set(wb.after):
        return False
    if wa.called is not None and wb.called is not None and wa.called != wb.called:
        return False
    return not (wa.chat and wb.chat and wa.chat != wb.chat)


def required_literal(regex: str) -> str | None:
    """The longest literal every match of ``regex`` must contain (top-level sequence only)."""
    try:
        parsed = sre_parse.parse(regex)
    except re.error:
        return None
    best, run = "", []
    for op, arg in parsed.data:
        if op is sre_parse.LITERAL:  # its argument is the code point (typeshed's stub leaves ints out)
            run.append(chr(cast(int, arg)))
            continue
        best = max(best, "".join(run), key=len)
        run = []
    best = max(best, "".join(run), key=len)
    folded = fold(best, contained=True)
    return folded if folded == best and best else None


def signature(
    pattern, reader: meanings.Reader | None = None, canon: dict | None = None
) -> meanings.Signature:
    """A pattern's ``meaning`` as the matcher uses it: the concepts written down, or else those its
    examples share as the reader reads them. ``canon``: identical sets and weights shared."""
    m = pattern.meaning
    if m.concepts:
        required = {cid: meanings.weight(cid) for cid in m.concepts}
        if canon is not None:
            required = canon.setdefault(tuple(required.items()), required)
        return meanings.Signature(
            required=required,
            optional=meanings.compact(m.optional, canon),
            loose=meanings.compact(m.loose, canon),
            closed=m.closed,
            ask=m.ask,
            negated=m.negated,
            fan=m.fan,
            about=meanings.compact(m.about, canon),
            threshold=m.threshold,
            usual=m.usual,
            current=m.current,
        )
    reader = reader or meanings.Reader()
    readings = [reader.read(*_folded(e)) for e in m.examples]  # text, question, breaks, loans
    sig = meanings.signature_of(readings, m.threshold)
    changes = {"ask": m.ask} if m.ask else {}
    return sig if not changes else meanings.Signature(**{**_fields(sig), **changes})


def variants(pattern, sig: meanings.Signature, canon: dict | None = None) -> list[meanings.Signature]:
    """The signatures of a learned question's drafted wordings (``Meaning.also``): each needs its own
    concepts, and keeps the question's negation, subject, yes/no-ness and threshold."""
    out = []
    for v in pattern.meaning.also:
        required = {cid: meanings.weight(cid) for cid in v.concepts}
        if canon is not None:
            required = canon.setdefault(tuple(required.items()), required)
        out.append(meanings.Signature(**{**_fields(sig), "required": required, "loose": frozenset(),
                                         "ask": v.ask or sig.ask}))  # fmt: skip
    return out


def _fields(sig) -> dict:
    return {f: getattr(sig, f) for f in sig.__slots__}


def _folded(text: str) -> tuple[str, bool, tuple[int, ...], tuple[str, ...]]:
    from botan_line.characters.normalize import normalize

    n = normalize(text)
    return n.text, n.question, n.breaks, n.loans


class Matcher:
    def __init__(
        self,
        patterns: Iterable,
        sister: str | None = None,
        names: dict | None = None,
        *,
        split_streams: bool = True,
    ):
        self.exact: dict[str, list] = {}
        self.keywords: list[_Keywords] = []
        self.regexes: list[_Regex] = []
        self.unanchored: list[_Regex] = []
        self.conflicts: list[tuple[str, str, str]] = []
        # a message that still names a sister once her call was taken out talks about her (ユリの
        # おすすめ読んだ, 牡丹とユリのコラボ): a line picked by words inside it is not for that
        folded = {fold(n, contained=True) for ns in (names or {}).values() for n in ns}
        nicks = sorted((n for n in folded if len(n) > 1), key=len, reverse=True)
        self._named = re.compile("|".join(map(re.escape, nicks))) if nicks else None
        self._automaton = ahocorasick.Automaton()  # contained keywords and contained-regex anchors
        self._whole = ahocorasick.Automaton()  # anchors of whole-message regexes
        self._longest = 0  # no contained trigger matches a message longer than this
        self._slips: dict[str, list] = {}  # the triggers a slip is forgiven in → their patterns
        self._typo: dict[str, dict[str, list]] = {}  # one character of those deleted → {trigger: patterns}
        claimed: dict[tuple, list] = {}
        patterns = list(patterns)
        # Patterns for while a stream is remembered (when.stream) are matched first, on their own: when
        # one holds it wins over any other, whatever the kind of trigger, so they may share triggers
        # with the everyday ones (「配信見たよ」) without a conflict.
        streams = [p for p in patterns if _streams(p)] if split_streams else []
        self._streams = Matcher(streams, sister, names, split_streams=False) if streams else None
        if self._streams is not None:
            self.conflicts += self._streams.conflicts
            patterns = [p for p in patterns if not _streams(p)]
        for pattern in patterns:
            for trigger in pattern.triggers:
                if trigger.exact is not None:
                    for phrase in trigger.exact:
                        key = fold(phrase)
                        self._claim(claimed, ("exact", key), pattern, phrase)
                        self.exact.setdefault(key, []).append(pattern)
                        if pattern.category in TYPO_CATEGORIES and len(key) >= TYPO_MIN and not key.isascii():
                            self._slips.setdefault(key, []).append(pattern)
                            for i in range(len(key)):
                                near = self._typo.setdefault(key[:i] + key[i + 1 :], {})
                                near.setdefault(key, []).append(pattern)
                elif trigger.keywords is not None:
                    words = tuple(sorted({fold(w, contained=True) for w in trigger.keywords}))
                    self._claim(claimed, ("keywords", words), pattern, " + ".join(trigger.keywords))
                    idx = len(self.keywords)
                    self.keywords.append(_Keywords(pattern, words, sum(map(len, words))))
                    for w in words:
                        self._add(self._automaton, w, ("k", idx))
                    self._longest = max(self._longest, pattern.max_length)
                else:
                    whole = (trigger.scope or "whole") == "whole"
                    self._claim(claimed, ("regex", trigger.regex, whole), pattern, trigger.regex)
                    entry = _Regex(pattern, re.compile(trigger.regex), whole, trigger.regex)
                    anchor = required_literal(trigger.regex)
                    if not whole:
                        self._longest = max(self._longest, pattern.max_length)
                    if anchor:
                        idx = len(self.regexes)
                        self.regexes.append(entry)
                        self._add(self._whole if whole else self._automaton, anchor, ("r", idx))
                    else:
                        self.unanchored.append(entry)
        for automaton in (self._automaton, self._whole):
            if len(automaton):
                automaton.make_automaton()
        # questions matched by meaning: an inverted index, concept → the patterns to judge when a message
        # has it; each pattern is filed under a concept every message it answers must have (its rarest),
        # and judged only when its other needed concepts are there too (one frozenset test)
        self._asking: list[tuple[Answering, meanings.Signature, meanings.Needs]] = []
        self._meaning: dict[tuple, tuple[tuple[int, tuple[str, ...], bool], ...]] = {}
        self.reader: meanings.Reader | None = None
        asking = [p for p in patterns if p.meaning is not None]
        if asking:
            forms: dict[str, list[str]] = {}
            for p in asking:
                for cid, words in {**(p.meaning.concepts or {}), **p.meaning.optional}.items():
                    forms.setdefault(cid, []).extend(words)
                for v in p.meaning.also:
                    for cid, words in v.concepts.items():
                        forms.setdefault(cid, []).extend(words)
            self.reader = meanings.Reader(forms, names or {}, sister)
            canon: dict = {}  # one object for each distinct set: thousands of patterns share few
            sigs = [(p, signature(p, self.reader, canon)) for p in asking]
            sigs += [(p, v) for p, sig in sigs if p.meaning.also for v in variants(p, sig, canon)]
            freq: dict[str, int] = {}
            for _p, sig in sigs:
                for cid in sig.required:
                    freq[cid] = freq.get(cid, 0) + 1
            index: dict[tuple, list[tuple[int, tuple[str, ...], bool]]] = {}
            for p, sig in sigs:
                if not sig.required:
                    continue
                needs, filed_under = meanings.needs(sig, canon)
                keys = sorted(filed_under, key=lambda c: (freq[c], c))
                i = len(self._asking)
                flags = canon.setdefault((sig.negated, sig.fan, sig.about), (sig.negated, sig.fan, sig.about))
                if needs.need:  # under its rarest needed concept, with the others to check
                    rest = tuple(c for c in needs.need if c != keys[0])
                    filed = [(keys[0], canon.setdefault(rest, rest), False)]
                else:  # of two solid ones at most one is missing: under both
                    filed = [(key, (), True) for key in keys[:2]]
                for key, rest, shared in filed:  # by concept, negation and subject, and kind of question
                    index.setdefault((key, flags, sig.ask), []).append((i, rest, shared))
                self._asking.append((p, sig, needs))
            self._meaning = {key: tuple(entries) for key, entries in index.items()}

    @staticmethod
    def _add(automaton, word: str, ref: tuple) -> None:
        if word in automaton:
            automaton.get(word).append(ref)
        else:
            automaton.add_word(word, [ref])

    def _claim(self, claimed: dict, key: tuple, pattern, shown: str) -> None:
        for other in claimed.get(key, ()):
            if other is not pattern and _overlap(other, pattern):
                self.conflicts.append((other.id, pattern.id, shown))
        claimed.setdefault(key, []).append(pattern)

    def match(self, text: str, question: bool, ctx: Context, breaks: tuple[int, ...] = (),
              loans: tuple[str, ...] = ()) -> Match | None:  # fmt: skip
        """``breaks``, ``loans``: where sentences end inside ``text`` and its katakana words
        (``Normalized.breaks``, ``.loans``), for meaning matching."""
        if not text:
            return None
        if self._streams is not None:
            found = self._streams.match(text, question, ctx, breaks, loans)
            if found is not None:
                return found
        for pattern in self.exact.get(text, ()):
            if _conditions_hold(pattern, ctx):
                return Match(pattern, EXACT, text)
        hits_k: dict[int, int] = {}
        hits_r: set[int] = set()
        if len(self._whole):
            for _end, refs in self._whole.iter(text):
                hits_r.update(idx for _kind, idx in refs)
        if len(text) <= self._longest and len(self._automaton):  # long messages: whole-message triggers only
            for _end, refs in self._automaton.iter(text):
                for kind, idx in refs:
                    if kind == "k":
                        hits_k[idx] = hits_k.get(idx, 0) + 1
                    else:
                        hits_r.add(idx)
        best: Match | None = None
        best_len = -1
        named = bool(
            (hits_k or hits_r or self.unanchored) and self._named is not None and self._named.search(text)
        )
        if named:  # contained words do not answer a message about a sister by name
            hits_k = {}
        for idx, count in hits_k.items():
            entry = self.keywords[idx]
            if count < len(entry.words) or not all(w in text for w in entry.words):
                continue  # a repeated keyword is not the others ("人間人間" is not "人間 + 証明")
            pattern = entry.pattern
            if (
                len(text) > pattern.max_length
                or entry.length <= best_len
                or not _conditions_hold(pattern, ctx)
            ):
                continue
            if not pattern.allow_question:
                rest = text
                for w in entry.words:
                    rest = rest.replace(w, " ")
                if asks_something(rest, question):
                    continue
            best, best_len = Match(pattern, KEYWORDS, " + ".join(entry.words)), entry.length
        if best is not None:
            return best
        if self._meaning and len(text) <= meanings.MAX_LENGTH:
            found = self.by_meaning(text, question, ctx, breaks, loans)
            if found is not None:
                return found
        if self.exact and not question and TYPO_MIN <= len(text) <= 20:
            typo = self._near_exact(text, ctx)
            if typo is not None:
                return typo
        for rx in [self.regexes[i] for i in sorted(hits_r)] + self.unanchored:
            pattern = rx.pattern
            if rx.whole:
                m = rx.regex.fullmatch(text)
            else:
                if len(text) > pattern.max_length or named:
                    continue
                m = rx.regex.search(text)
                if (
                    m
                    and not pattern.allow_question
                    and asks_something(text[: m.start()] + " " + text[m.end() :], question)
                ):
                    continue
            if m and _conditions_hold(pattern, ctx):
                return Match(pattern, REGEX, rx.source)
        return None

    def by_meaning(
        self,
        text: str,
        question: bool,
        ctx: Context,
        breaks: tuple[int, ...] = (),
        loans: tuple[str, ...] = (),
    ) -> Match | None:
        """The question pattern that asks what this message asks, best score first."""
        if self.reader is None:  # no question patterns: nothing to match by meaning
            return None
        reading = self.reader.read(text, question, breaks, loans)
        if reading.statement or not reading.concepts:
            return None
        present, firm = frozenset(reading.concepts), reading.firm
        if reading.implied:  # 一番よく聴く: 好き said without its word
            present = present.union(reading.implied)
        flags = (reading.negated, reading.fan, reading.about)
        kinds = self._kinds(reading)
        best, best_key = None, None
        seen: set[int] = set()
        asking, index = self._asking, self._meaning
        for cid in chain(reading.concepts, reading.implied) if reading.implied else reading.concepts:
            for kind in kinds:
                for i, rest, shared in index.get((cid, flags, kind), ()):
                    if shared:  # filed under two concepts: judge it once
                        if i in seen:
                            continue
                        seen.add(i)
                    pattern, sig, needs = asking[i]
                    # what judge() would refuse first, without calling it: a needed concept missing,
                    # too much else
                    if rest and not present.issuperset(rest) or not needs.allow(sig, present, firm):
                        continue
                    verdict = meanings.judge(sig, reading)
                    key = (verdict.score, len(sig.required))
                    if verdict.ok and (best_key is None or key > best_key) and _conditions_hold(pattern, ctx):
                        best, best_key = pattern, key
        return Match(best, MEANING, "meaning") if best is not None else None

    @staticmethod
    def _kinds(reading: meanings.Reading) -> tuple[str | None, ...]:
        """The kinds of question (``Signature.ask``) whose patterns may answer this reading, as judge()
        decides: any (None); the message's own; one of its family when all it asks is of one family;
        anything but when/amount for a question without a question word, unless it is a yes/no one."""
        return _kinds(tuple(sorted(reading.asks)), reading.yes_no)

    def explain(
        self,
        pattern,
        text: str,
        question: bool = False,
        breaks: tuple[int, ...] = (),
        loans: tuple[str, ...] = (),
    ) -> meanings.Verdict:
        """Why a question pattern would (or would not) answer a message: its score and reason."""
        reader = self.reader or meanings.Reader()
        return meanings.judge(signature(pattern, reader), reader.read(text, question, breaks, loans))

    def _near_exact(self, text: str, ctx: Context) -> Match | None:
        """A whole-message trigger said with a closing particle or a stretched vowel (また明日ね, へえそうなんだ),
        or a greeting, thanks, apology or goodbye one slip away (おはようござます, ありがとぅ). Only when
        exactly one pattern is that near, and never when the message asks or says no where the trigger
        does not. What counts as a slip: ``_slipped``."""
        found: list[tuple[str, Answering]] = [
            (key, p) for key in self._said_near(text) for p in self.exact.get(key, ())
        ]
        if self._slips:
            found += [(key, p) for key in self._slipped(text) for p in self._slips[key]]
        hits = [
            (key, p)
            for key, p in found
            if _conditions_hold(p, ctx)
            and not any(n in text and n not in key for n in _NEGATIONS)
            and not (text.endswith("か") and not key.endswith("か"))  # おはようございますか asks
        ]
        if len({p.id for _key, p in hits}) != 1:
            return None
        key, pattern = hits[0]
        return Match(pattern, TYPO, key)

    def _said_near(self, text: str) -> list[str]:
        """Triggers this message says with one more character that changes nothing: a closing ね or よ (な
        too, but not after a verb's plain form: 無視するな forbids; nor ね after そう…です: そうなんですね is
        "I see", not "yes"), or a vowel that stretches the kana before it (へえそうなんだ, おはようございまあす)."""
        keys = []
        last, key = text[-1], text[:-1]
        if (
            last in _PARTICLES
            and key in self.exact
            and not (last == "な" and key[-1] in _PLAIN_FORM_ENDS)
            and not (last == "ね" and key.startswith("そう") and key.endswith("です"))
        ):
            keys.append(key)
        for m in _VOWEL_KANA.finditer(text, 1, len(text) - 1):
            i = m.start()
            if _stretches(text[i - 1], text[i]) and (key := text[:i] + text[i + 1 :]) in self.exact:
                keys.append(key)
        return keys

    def _slipped(self, text: str) -> set[str]:
        """The greeting triggers (``_slips``) this message is one slip of the finger away from: a character
        missing, one too many, or one wrong, where a finger slips and not where another word begins.

        - never at the first character, and never past the last (ひさしぶりに, すみませんが go on talking);
        - a wrong one only for a kana on the same key of a phone's flick keyboard (よ/お, す/ず); at the
          last character only its small or full-size twin or the particle's sound (ありがとぅ, こんにちわ),
          as the ending is what makes a word another one (はじめました, いってくれ, じゃあまだ);
        - one too many only as a tap repeated (おはようごございます) or a vowel that stretches the kana before it;
        - the last character never missing (はじめまし is cut short, not mistyped), nor the は of こんにちは
          or こんばんは, without which they are words of their own (こんばんです: 今晩です);
        - and never when the slip makes a word the trigger does not have (``_NOT_A_SLIP``)."""
        keys: set[str] = set()
        n = len(text)
        for key in self._typo.get(text, {}):  # one missing, not the first nor the last
            i = next((j for j in range(n) if key[j] != text[j]), n)
            if 0 < i < n and key[i] not in "はわ":
                keys.add(key)
        for i in range(1, n):
            shorter = text[:i] + text[i + 1 :]
            if i < n - 1 and shorter in self._slips and _double_tap(text, i):  # one too many
                keys.add(shorter)
            for key in self._typo.get(shorter, {}):  # one wrong, at the same place and only there
                if len(key) != n or key[i] == text[i] or key[:i] + key[i + 1 :] != shorter:
                    continue
                if _same_key(key[i], text[i]) if i < n - 1 else _twins(key[i], text[i]):
                    keys.add(key)
        return {k for k in keys if not any(w in text and w not in k for w in _NOT_A_SLIP)}


@functools.cache
def _kinds(asks: tuple[str, ...], yes_no: bool) -> tuple[str | None, ...]:
    if not asks:
        return (None, *(k for k in meanings.ASK_FAMILY if not (yes_no and k in meanings.PRECISE_OR_WHO)))
    families = {meanings.ASK_FAMILY[a] for a in asks}
    same = [k for k, f in meanings.ASK_FAMILY.items() if len(families) == 1 and f in families]
    return (None, *dict.fromkeys([*asks, *same]))


# the keys of a phone's flick keyboard (one consonant row each), with voiced and small kana
_ROWS = ("あいうえおぁぃぅぇぉ", "かきくけこがぎぐげご", "さしすせそざじずぜぞ", "たちつてとだぢづでどっ", "なにぬねの",
         "はひふへほばびぶべぼぱぴぷぺぽ", "まみむめも", "やゆよゃゅょ", "らりるれろ", "わをんゎー")  # fmt: skip
_ROW = {ch: i for i, row in enumerate(_ROWS) for ch in row}
_TWINS = {frozenset(p) for p in ("はわ", "おを", "えへ")}  # particles written as they sound


# a kana and its small twin
_SMALL = {frozenset(p) for p in "あぁ いぃ うぅ えぇ おぉ つっ やゃ ゆゅ よょ わゎ".split()}
# the vowel each kana ends in (small ones too)
_VOWELS = ("あかさたなはまやらわがざだばぱぁゃゎ", "いきしちにひみりぎじぢびぴぃ", "うくすつぬふむゆるぐずづぶぷぅゅ",
           "えけせてねへめれげぜでべぺぇ", "おこそとのほもよろをごぞどぼぽぉょ")  # fmt: skip
_VOWEL = {ch: i for i, row in enumerate(_VOWELS) for ch in row}
_VOWEL_KANA = re.compile("[あいうえおぁぃぅぇぉ]")
_PLAIN_FORM_ENDS = frozenset("うくすつぬふむゆるぐずづぶぷ")  # a verb's plain form ends in one of these


def _same_key(a: str, b: str) -> bool:
    row = _ROW.get(a)
    return (row is not None and row == _ROW.get(b)) or frozenset((a, b)) in _TWINS


def _twins(a: str, b: str) -> bool:
    """The same kana but its size (う/ぅ, つ/っ), or a particle written as it sounds (は/わ)."""
    pair = frozenset((a, b))
    return pair in _SMALL or pair in _TWINS


def _stretches(before: str, vowel: str) -> bool:
    """Is ``vowel`` (あいうえお, full or small) one that only stretches the kana ``before`` it (へえ, まあ)?"""
    return _VOWEL_KANA.fullmatch(vowel) is not None and _VOWEL.get(before) == _VOWEL.get(vowel) is not None


def _double_tap(text: str, i: int) -> bool:
    """Is ``text[i]`` a tap too many: the kana beside it again, or a vowel stretching the one before?"""
    return text[i] in (text[i - 1], text[i + 1]) or _stretches(text[i - 1], text[i])
