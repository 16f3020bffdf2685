"""The safety layer: crisis, sexual and personal-information messages, before every other layer.

``classify(raw_text, rules)`` reads the raw fan message (it does its own normalisation, see
``safety_text``) and returns a ``SafetyVerdict`` or None. Kinds, most serious first:

- ``danger``: someone threatens the fan right now (at the door, following them, an adult who
  wants to meet a minor alone): the fixed danger reply, 110 first;
- ``crisis``: self-harm or suicide: the fixed crisis reply with its free contacts (never a model);
- ``abuse``: violence or sexual exploitation at home, at school or online (sextortion included):
  the fixed abuse reply, 189 and the lines for children;
- ``sexual``: aimed at the sisters, refused in character (``lines.refuse_sexual``);
- ``personal``: asks the sisters for real-life details, deflected (``lines.deflect_personal``);
- ``concern``: worrying but not clear (もう無理, つらい): never a joke or "say it again" — the
  strong tier with ``concern_instruction`` when Layer 2 can answer, ``lines.concern`` when not.

Two readers decide: the rules (the built-in table ``safety_rules`` plus the operator's words and
safe phrases from characters/safety.yaml), precise on the phrasings they know, and a statistical
reader (``safety_model``: character n-grams, trained on several authors' corpora) for the ways
people write around them; the more serious verdict wins, and where the reader is sure a message
is nothing it overrules a built-in concern or crisis rule (never danger, never the operator's
words; the thresholds cost no emergency line in training). ``from_moderation`` turns OpenAI's moderation scores into the same
verdict, for messages the rules did not decide. A verdict's ``rule`` names what matched (a rule
id, a YAML list index or a moderation category), never the user's words: it is safe to store.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import ahocorasick

from botan_line.characters.placeholders import CRISIS_PLACEHOLDERS, fill
from botan_line.characters.safety_text import prepare
from botan_line.core import safety_kana, safety_model
from botan_line.core.safety_rules import KATA, REPORTED, RULES

Kind = Literal["danger", "crisis", "abuse", "sexual", "concern", "personal"]
DANGER: Kind = "danger"
CRISIS: Kind = "crisis"
ABUSE: Kind = "abuse"
CONCERN: Kind = "concern"
SEXUAL: Kind = "sexual"
PERSONAL: Kind = "personal"
# most serious first: a worried fan gets the gentle line, not a refusal
ORDER: tuple[Kind, ...] = (DANGER, CRISIS, ABUSE, SEXUAL, CONCERN, PERSONAL)
KINDS: dict[str, Kind] = {kind: kind for kind in ORDER}  # a label read elsewhere → its Kind
EMERGENCY = frozenset({DANGER, CRISIS, ABUSE})
# What someone said to the fan is blanked before most rules (「何駅？」って聞かれた asks nobody here), but a
# threat or a demand told that way (写真ばらまくって言われた, 今夜殺すって) is what abuse and danger are about.
REPORTED_MASK = "mask:reported"
HEARD = frozenset({DANGER, ABUSE})  # a fixed reply that names free services, never a model
WORD_LISTS = {  # safety.yaml field → kind
    "crisis_words": CRISIS,
    "sexual_words": SEXUAL,
    "personal_words": PERSONAL,
    "concern_words": CONCERN,
    "safe_phrases": "mask",
}


@dataclass(frozen=True, slots=True)
class SafetyVerdict:
    kind: Kind
    rule: str  # e.g. "crisis:want_to_die", "sexual_words[3]", "moderation:self-harm/intent"

    @property
    def signal(self) -> str:
        """What the ledger records: the kind first, then what decided ("crisis:want_to_die",
        "concern_words[0]", "concern:moderation:self-harm"). Never the fan's words."""
        return self.rule if self.rule.startswith(self.kind) else f"{self.kind}:{self.rule}"


@dataclass(frozen=True, slots=True)
class _Rule:
    kind: str  # a Kind, or "mask"
    id: str
    form: str  # "h", "k" or "latin"
    pattern: re.Pattern
    masks: bool  # blanks its spans before the other rules run


_KATAKANA_WORD = re.compile(f"[{KATA}]+")
_HAS_LATIN = re.compile(r"[a-z]")
# a space between two Japanese words (not punctuation, which safety_text turns into spaces itself)
_WORD_SPACE = re.compile(r"(?<=[ぁ-ゖァ-ヺー一-龯])[ \u3000](?=[ぁ-ゖァ-ヺー一-龯])")


class Ruleset:
    """Compiled rules: an Aho-Corasick pass over the anchors picks the few regexes worth running."""

    def __init__(self, rules: list[tuple[str, str, str, str, str]]):
        self.rules: list[_Rule] = []
        self.unanchored: list[int] = []  # latin rules: run when the message has latin letters
        self.automaton = ahocorasick.Automaton()
        anchors: dict[str, set[int]] = {}
        for kind, rule_id, form, anchor_text, pattern in rules:
            index = len(self.rules)
            masks = kind.startswith("mask")
            kind = kind.partition(":")[2] or kind  # "mask:concern" → a concern that masks
            self.rules.append(_Rule(kind, rule_id, form, re.compile(pattern), masks))
            words = anchor_text.split()
            if not words:
                self.unanchored.append(index)
            for word in words:
                anchors.setdefault(word, set()).add(index)
        for word, indexes in anchors.items():
            self.automaton.add_word(word, frozenset(indexes))
        if anchors:
            self.automaton.make_automaton()
        self._has_anchors = bool(anchors)

    def candidates(self, h: str, latin: str) -> set[int]:
        found: set[int] = set()
        if self._has_anchors:
            for _, indexes in self.automaton.iter(h):
                found |= indexes
        if self.unanchored and _HAS_LATIN.search(latin):
            found.update(self.unanchored)
        return found

    def classify(self, raw: str, *, use_anchors: bool = True) -> SafetyVerdict | None:
        return self.read(raw, use_anchors=use_anchors)[0]

    def read(self, raw: str, *, use_anchors: bool = True) -> tuple[SafetyVerdict | None, str]:
        """The rules' verdict on ``raw``, and its h form with the masked spans (idioms, titles,
        safe phrases) blanked: what the statistical reader reads.

        A message written word by word with spaces, as children do (ぼくが いなくなれば いえで
        けんか なくなる), is read again with those spaces taken out when the rules find nothing: the
        rules are written for unspaced text. On the training authors this catches 29 more lines
        (crisis 10, sexual 6, abuse 5) and no look-alike or ordinary line of the 950 spaced ones; one space
        is enough (いえ どこらへん, 中の人 何歳なん): 7 lines more, again no look-alike or ordinary one."""
        verdict, h = self._read(raw, use_anchors)
        if verdict is None and _WORD_SPACE.search(raw):
            verdict = self._read(_WORD_SPACE.sub("", raw), use_anchors)[0]
        return verdict, h

    def _read(self, raw: str, use_anchors: bool) -> tuple[SafetyVerdict | None, str]:
        p = prepare(raw)
        if not p.h:
            return None, ""
        todo = self.candidates(p.h, p.latin) if use_anchors else set(range(len(self.rules)))
        if not todo:
            return None, p.h
        forms = {"h": p.h, "k": p.k, "latin": p.latin}
        heard = dict(forms)  # the same with someone's reported words kept: what abuse and danger rules read
        concern: str | None = None
        ordered = sorted(todo)
        for i in ordered:  # masks first, in table order: they blank their spans in h and k alike
            rule = self.rules[i]
            if rule.masks:
                spans = [m.span() for m in rule.pattern.finditer(forms[rule.form]) if m.end() > m.start()]
                if not spans:
                    continue
                if rule.kind == CONCERN and concern is None:
                    concern = rule.id
                for blanked in (forms,) if rule.id == REPORTED_MASK else (forms, heard):
                    for form in ("h", "k"):
                        text = blanked[form]
                        for start, end in spans:
                            text = text[:start] + " " * (end - start) + text[end:]
                        blanked[form] = text
        for kind in ORDER:
            if kind == CONCERN and concern is not None:
                return SafetyVerdict(CONCERN, concern), forms["h"]
            read = heard if kind in HEARD else forms
            for i in ordered:
                rule = self.rules[i]
                if rule.kind == kind and not rule.masks and rule.pattern.search(read[rule.form]):
                    return SafetyVerdict(kind, rule.id), forms["h"]
        return None, forms["h"]


def _builtin(readings: dict[tuple[str, str], str] | None = None) -> list[tuple[str, str, str, str, str]]:
    out = []
    readings = safety_kana.load_readings() if readings is None else readings
    for kind, rule_id, form, anchors, pattern in RULES:
        if form == "h":  # 殴られ → (?:殴|なぐ)られ: fans who type in kana (safety_kana)
            pattern, kana = safety_kana.with_kana(pattern, readings)
            if anchors and kana:
                anchors = " ".join(dict.fromkeys([*anchors.split(), *kana]))
        if kind == PERSONAL:  # a question the fan reports (「何駅？」って聞かれた) asks nobody here
            pattern = f"(?:{pattern}){REPORTED}"
        out.append((kind, f"{kind.partition(':')[2] or kind}:{rule_id}", form, anchors, pattern))
    return out


def _word_rule(field: str, index: int, word: str) -> tuple[str, str, str, str, str] | None:
    """An operator's word: katakana → whole katakana word in the k form; else a phrase in the h form."""
    p = prepare(word)
    if not p.h.strip():
        return None
    kind = WORD_LISTS[field]
    rule_id = f"{field}[{index}]"
    if _KATAKANA_WORD.fullmatch(p.k):
        return kind, rule_id, "k", p.h, rf"(?<![{KATA}]){re.escape(p.k)}(?![ァ-ヺ])"
    return kind, rule_id, "h", p.h.split()[0], re.escape(p.h)


def compile_rules(cfg, *, readings: dict[tuple[str, str], str] | None = None) -> Ruleset:
    """The built-in rules plus the word lists of a ``SafetyConfig`` (characters/safety.yaml);
    ``readings`` replaces the kana readings table (bench/safety_readings.py)."""
    extra = []
    for field in WORD_LISTS:
        for i, word in enumerate(getattr(cfg, field, None) or ()):
            rule = _word_rule(field, i, word)
            if rule is not None:
                extra.append(rule)
    masks = [r for r in extra if r[0] == "mask"]
    # the operator's words before the built-in rules of their kind: their verdict is the one kept,
    # and the reader never overrules it (masks run first whatever their place)
    return Ruleset([*masks, *(r for r in extra if r[0] != "mask"), *_builtin(readings)])


_CACHE: list[tuple[object, Ruleset]] = []  # (config object, its rules); a reload brings a new object


def rules_for(cfg) -> Ruleset:
    for seen, ruleset in _CACHE:
        if seen is cfg:
            return ruleset
    ruleset = compile_rules(cfg)
    _CACHE.insert(0, (cfg, ruleset))
    del _CACHE[4:]
    return ruleset


def classify(text: str, rules, *, model: bool = True) -> SafetyVerdict | None:
    """The most serious verdict of the rules and the statistical reader on the RAW message
    ``text``; None if neither flags it. ``rules`` is the ``SafetyConfig`` of characters/safety.yaml
    (or a compiled ``Ruleset``); ``model=False`` asks the rules alone."""
    ruleset = rules if isinstance(rules, Ruleset) else rules_for(rules)
    verdict, h = ruleset.read(text)
    if not model or not h.strip() or (verdict is not None and verdict.kind == ORDER[0]):
        return verdict
    reader = safety_model.shipped()
    probs = reader.probabilities(h)
    reading = reader.decide(probs)
    if reading is None:
        if verdict is not None and not _operators(verdict.rule) and reader.overrules(verdict.kind, probs):
            return None  # a built-in rule's phrase in a line the reader is sure is nothing
        return verdict
    if verdict is not None and ORDER.index(verdict.kind) <= ORDER.index(reading.kind):
        return verdict
    return SafetyVerdict(KINDS[reading.kind], "reader")


def _operators(rule_id: str) -> bool:
    """A verdict of the operator's own words (``crisis_words[0]``): the reader never overrules it."""
    return rule_id.endswith("]")


def classify_turn(texts: Sequence[str], rules) -> SafetyVerdict | None:
    """The most serious verdict (``ORDER``) over the bubbles of one turn (``Turn.earlier`` + ``Turn.text``).

    Each bubble is read on its own, and, when there are several, all of them run together: one
    thought split over bubbles (「手首」「切った」, 「死に」「たい」) is still that thought."""
    texts = [t for t in texts if t and t.strip()]
    if len(texts) > 1:
        texts.append("".join(t.strip() for t in texts))
    best: SafetyVerdict | None = None
    for text in texts:
        verdict = classify(text, rules)
        if verdict is not None and (best is None or ORDER.index(verdict.kind) < ORDER.index(best.kind)):
            best = verdict
            if best.kind == ORDER[0]:
                break
    return best


# --- OpenAI moderation as a second opinion ---------------------------------------------------


def from_moderation(moderation, cfg) -> SafetyVerdict | None:
    """The verdict OpenAI's category scores imply under ``cfg`` (BotConfig.safety); None if none.

    ``moderation`` has ``available`` and ``scores`` (category → 0..1, names as the API spells
    them: "self-harm/intent"). An unavailable result decides nothing: the caller fails open to
    the rules. Crisis beats sexual beats concern; within a kind the first category listed wins."""
    if moderation is None or not getattr(moderation, "available", False):
        return None
    scores = moderation.scores
    for kind, thresholds in ((CRISIS, cfg.crisis), (SEXUAL, cfg.sexual), (CONCERN, cfg.concern)):
        for category, threshold in thresholds.items():
            if scores.get(category, 0.0) >= threshold:
                return SafetyVerdict(kind, f"moderation:{category}")
    return None


def from_chat_model(risk: str | None) -> SafetyVerdict | None:
    """The chat model's own reading of the fan's message (``core.layer2.verdict``), as a verdict;
    None for "none", a missing reading or a label this layer does not know."""
    kind = KINDS.get(risk or "")
    return SafetyVerdict(kind, "chat_model") if kind is not None else None


# --- the crisis reply and personal data --------------------------------------------------------


def emergency_reply(safety, kind: str, sister: str, name: str) -> str:
    """The fixed reply of ``sister`` to a danger, crisis or abuse verdict, with ``{name}`` and the
    ``{contacts}`` list of that kind filled (characters/safety.yaml)."""
    reply, listed = safety.emergency(kind)
    contacts = []
    for c in listed:
        parts = [c.name]
        if c.tel:
            parts.append(c.tel)
        if c.hours:
            parts.append(f"（{c.hours}）")
        if c.url:
            parts.append(c.url)
        contacts.append("・" + " ".join(parts))
    return fill(reply[sister], CRISIS_PLACEHOLDERS, name=name, contacts="\n".join(contacts))


_PII = [
    re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+"),  # e-mail
    re.compile(r"(?:\+?\d[\d\-() ]{8,}\d)"),  # phone numbers
    re.compile(r"〒|\d{3}-\d{4}|丁目|番地|号室|\d+-\d+-\d+"),  # postal codes, street addresses
    re.compile(r"[都道府県市区町村]\S{0,8}\d"),
    re.compile(
        r"(?:名前|なまえ|本名)(?:は|って)|と申します|っていいます|って言います|といいます|と言います|"
        r"(?:私|わたし|僕|ぼく|俺|おれ|うち)(?:は|の名前は)\S{1,10}です"
    ),  # names the user gave
]


def has_personal_data(raw: str) -> bool:
    """Phone numbers, e-mail addresses, addresses, names: such messages are never learned from."""
    return any(p.search(raw) for p in _PII)
