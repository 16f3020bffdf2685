"""Character files: strict models, loading with file:line errors, and the live set with hot reload.

This module knows YAML and files; matching lives in ``matcher.py`` and knows neither.
"""

from __future__ import annotations

import functools
import logging
import re
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator
from pydantic.dataclasses import dataclass as pydantic_dataclass

from botan_line.characters.matcher import Matcher
from botan_line.characters.normalize import fold
from botan_line.characters.placeholders import (
    CRISIS_PLACEHOLDERS,
    PATTERN_PLACEHOLDERS,
    PLACEHOLDERS,
    STREAM,
    names,
)
from botan_line.characters.placeholders import problem as placeholder_problem
from botan_line.characters.timewords import contradictions, describe, hours_of
from botan_line.errors import CharacterError
from botan_line.yamlio import YamlProblem, line_of, load_with_lines, validate

log = logging.getLogger(__name__)

Band = Literal["morning", "daytime", "evening", "night"]
Category = Literal[
    "greeting",
    "thanks",
    "apology",
    "goodbye",
    "banter",
    "question",
    "reaction",
    "smalltalk",
    "compliment",
    "consult",
    "learned",
]
PATTERN_FILES = ("greetings.yaml", "patterns.yaml")  # learned patterns come from the database
LEARNED_FILE = "learned.yaml"  # an export of the database for review in git (botan-line learned)
STICKER_FILE = "stickers.yaml"
DEFAULT_SISTER = "botan"

# LINE's list of stickers the Messaging API may send (developers.line.biz, "Stickers" / sticker
# definitions), as package → (first, last) sticker ID. Only packages whose ranges we checked are
# here; add another from that list with its range before using it.
SENDABLE_STICKERS: dict[int, tuple[int, int]] = {
    789: (10855, 10894),
    6136: (10551376, 10551399),
    6362: (11087920, 11087943),
    8515: (16581242, 16581265),
    8525: (16581290, 16581313),
    11537: (52002734, 52002773),
    11538: (51626494, 51626533),
    11539: (52114110, 52114149),
}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Trigger(Strict):
    exact: list[str] | None = None
    keywords: list[str] | None = None
    regex: str | None = None
    scope: Literal["whole", "contains"] | None = None

    @model_validator(mode="after")
    def _one_kind(self):
        kinds = [k for k in ("exact", "keywords", "regex") if getattr(self, k) is not None]
        if len(kinds) != 1:
            raise ValueError("a trigger needs exactly one of exact, keywords, regex")
        if self.scope and not self.regex:
            raise ValueError("scope applies to regex triggers only")
        for words in (self.exact, self.keywords):
            if words is not None and (not words or any(not fold(w) for w in words)):
                raise ValueError("trigger words must be non-empty after normalising")
        if self.regex is not None:
            try:
                re.compile(self.regex)
            except re.error as exc:
                raise ValueError(f"bad regex: {exc}") from None
        return self


After = Literal["told", "asked", "cared", "greeted", "reacted", "nothing"]  # matcher.AFTER
Ask = Literal["when", "where", "who", "how", "what", "amount"]  # meaning.ASK_FAMILY


def _ids(value):
    """Concept ids and forms interned: thousands of learned patterns share a few hundred of them."""
    if isinstance(value, dict):
        return {sys.intern(k): tuple(sys.intern(f) for f in v) if isinstance(v, list | tuple) else v
                for k, v in value.items()}  # fmt: skip
    if isinstance(value, list | tuple):
        return tuple(sys.intern(v) if isinstance(v, str) else v for v in value)
    return value


@pydantic_dataclass(frozen=True, slots=True, config=ConfigDict(extra="forbid"))
class Variant:
    """Another wording of a learned question, drafted offline by a model at mining time (「十八番は？」
    beside 「カラオケでよく歌う曲は？」): the concepts it says, each with its own forms, and its kind of
    question. It answers like the question it belongs to, with the same negation, subject and threshold."""

    concepts: dict[str, tuple[str, ...]]
    ask: Ask | None = None
    example: str | None = None  # the drafted wording it was read from, for the review and learned.yaml

    @field_validator("concepts", mode="before")
    @classmethod
    def _interned(cls, value):
        return _ids(value)


@pydantic_dataclass(frozen=True, slots=True, config=ConfigDict(extra="forbid"))
class Meaning:
    """A question matched by meaning (characters/meaning.py): every wording of it, not only the
    ones written down. ``examples`` alone is enough for a hand-written pattern (they are read with
    the shared lexicon when the files load); the miner also writes what it found in them. A slotted
    dataclass of tuples and interned ids, not a model: a worker may hold thousands of them."""

    examples: tuple[str, ...] = ()  # the question in fans' words
    concepts: dict[str, tuple[str, ...]] | None = (
        None  # required concept id → its own forms (lexicon ids: [])
    )
    optional: dict[str, tuple[str, ...]] = Field(default_factory=dict)  # concepts some wordings had
    loose: tuple[str, ...] = ()  # required, but some wordings left it out
    ask: Ask | None = None  # the kind of question; None: any
    closed: bool = False  # every wording asked yes or no (まだ起きてる？): not when or how much
    negated: bool = False
    fan: bool = False  # about the fan (私は…)
    about: tuple[str, ...] = ()  # another sister it is about
    usual: bool = False  # what she usually does (いつも, 普段): not what comes next
    current: bool = False  # what she does now, said by a progressive (何読んでる？): not what comes next
    threshold: float = Field(default=0.75, ge=0.3, le=1.0)  # an admin may make a pattern stricter or looser
    also: tuple[Variant, ...] = ()  # wordings a model drafted offline (learned patterns only)

    @field_validator("concepts", "optional", "loose", "about", mode="before")
    @classmethod
    def _interned(cls, value):
        return _ids(value)

    @model_validator(mode="after")
    def _something(self):
        if not self.examples and not self.concepts:
            raise ValueError("meaning needs examples or concepts")
        return self


class When(Strict):
    time: list[Band] | None = None
    first_visit: bool | None = None
    chat: Literal["one_on_one", "group"] | None = None
    after: list[After] | None = Field(None, min_length=1)  # what she said last to this fan
    stream: Literal[True] | None = None  # only while she remembers a notice that named its stream ({stream})
    called: bool | None = None  # the message called her by name (ほんとにユリちゃん？)


class Pattern(Strict):
    id: str = Field(pattern=r"^[a-z0-9_]+$", max_length=80)
    category: Category
    triggers: list[Trigger] = Field(default_factory=list)
    meaning: Meaning | None = None  # questions: also every other wording of the same question
    when: When | None = None
    max_length: int = Field(20, ge=1, le=5000)
    allow_question: bool = False
    replies: list[str] = Field(min_length=1)
    # a learned pattern for more wordings of one of hers: answers with that pattern's lines (and
    # when), whatever they are now; ``replies`` is their copy at approval, used if it is gone
    same_as: str | None = Field(None, pattern=r"^[a-z0-9_]+$", max_length=80)

    @model_validator(mode="after")
    def _matchable(self):
        if not self.triggers and self.meaning is None:
            raise ValueError("a pattern needs triggers or a meaning")
        return self

    @field_validator("replies")
    @classmethod
    def _replies(cls, replies: list[str], info: ValidationInfo) -> list[str]:
        if info.data.get("category") != "learned" and len(replies) < 2:
            raise ValueError(
                "a pattern needs at least 2 reply variations (only learned patterns may have one)"
            )
        for r in replies:
            if not r.strip():
                raise ValueError("empty reply")
        return _fillable(replies, PATTERN_PLACEHOLDERS)

    @model_validator(mode="after")
    def _stream_named_only_when_known(self):
        if any(names(r, STREAM) for r in self.replies) and not (self.when and self.when.stream):
            raise ValueError("{stream} needs when.stream: true (it names the stream of her latest notice)")
        return self


def _fillable(lines: list[str], allowed: frozenset[str] = PLACEHOLDERS) -> list[str]:
    for line in lines:
        why = placeholder_problem(line, allowed)
        if why:
            raise ValueError(why)
    return lines


class PatternFile(Strict):
    patterns: list[Pattern] = Field(default_factory=list)
    # learned.yaml: approved new variations of existing patterns, by pattern id
    variations: dict[str, list[str]] = Field(default_factory=dict)


def _lines(n: int = 1):
    return Field(min_length=n)


class Lines(Strict):
    welcome: list[str] = _lines()
    join: list[str] = _lines()
    switched: list[str] = _lines()
    sticker: list[str] = _lines()
    media: list[str] = _lines()  # what she cannot look at (video, file, location; photos/voice when off)
    photo_later: list[str] = _lines()  # a photo she cannot look at now (Layer 2 off, paused, over budget)
    voice_later: list[str] = _lines()  # a voice note she cannot listen to now
    media_cap: list[str] = _lines()  # today's photos and voice notes are used up
    photo_failed: list[str] = _lines()  # a photo that could not be fetched or read
    voice_failed: list[str] = _lines()  # a voice note that could not be fetched or transcribed
    voice_too_long: list[str] = _lines()  # over media.max_voice_seconds
    fallback: list[str] = _lines()
    holding: list[str] = _lines()  # the answer is late: "still thinking", then it follows by push
    daily_cap: list[str] = _lines()
    budget_stop: list[str] = _lines()
    refuse_sexual: list[str] = _lines()
    deflect_personal: list[str] = _lines()
    concern: list[str] = _lines(3)  # worrying messages when Layer 2 cannot answer: gentle, never a joke
    forget: list[str] = _lines()
    unknown_command: list[str] = _lines()  # also what a non-admin gets for an admin command
    nickname_set: list[str] = _lines()  # 「ミカって呼んで」: {name} is already the new nickname
    nickname_refused: list[str] = _lines()  # a nickname she won't use (insult, pet name, personal data)
    notify_on: list[str] = (
        _lines()
    )  # the fan asked for notices (/notify on, 「配信通知オンにして」, the menu)
    notify_off: list[str] = _lines()  # ... and to stop them (/notify off, 「通知いらない」)

    @field_validator("*")
    @classmethod
    def _fill(cls, lines: list[str]) -> list[str]:
        return _fillable(lines)


class Rules(Strict):
    forbidden: list[str] = Field(default_factory=list)
    max_sentences: int | None = Field(None, ge=1)


# The endings fans put on a short form of a sister's name to make a nickname of their own (ぼた → ぼたぴ,
# ぼー → ぼーちゃん, ゆり → ゆりりん, かしょ → かしょねぇ): with a persona's ``nickname_stems`` they name her
# like her ``nicknames`` do (learned questions do not need them; a message using one is about her)
NICKNAME_ENDINGS = (
    "ぴ", "っぴ", "ぴー", "ち", "っち", "ちゃん", "ちゃま", "たん", "りん", "ねぇ", "ねえ", "ねー", "姉", "たそ",
    "さま", "様", "ちん", "にゃん", "ぽん", "ぴょん",
)  # fmt: skip


class Persona(Strict):
    id: str = Field(pattern=r"^[a-z0-9_]+$")
    display_name: str = Field(min_length=1, max_length=20)
    icon_url: str = Field(pattern=r"^https://", max_length=2000)
    age: int = Field(ge=0)
    nicknames: list[str] = Field(min_length=1)
    nickname_stems: list[str] = Field(
        default_factory=list, description="short forms of her name fans build nicknames on (NICKNAME_ENDINGS)"
    )
    address: str = Field(min_length=1)
    voice_notes: str = ""
    system_prompt: str = Field(min_length=10)
    rules: Rules = Rules()
    lines: Lines

    @model_validator(mode="before")
    @classmethod
    def _fans_nicknames(cls, data):
        if isinstance(data, dict) and data.get("nickname_stems") and isinstance(data.get("nicknames"), list):
            made = [f"{stem}{end}" for stem in data["nickname_stems"] for end in NICKNAME_ENDINGS]
            data = {**data, "nicknames": list(dict.fromkeys([*data["nicknames"], *made]))}
        return data

    @field_validator("display_name")
    @classmethod
    def _no_line(cls, name: str) -> str:
        if "line" in name.lower():
            raise ValueError('LINE does not allow "LINE" in a sender name')
        return name


class StickerChoice(Strict):
    package_id: int
    sticker_id: int
    shows: str = Field(min_length=1, description="what the sticker shows, for whoever edits the file")
    keywords: list[str] = Field(
        default_factory=list, description="LINE keywords of a fan's sticker it answers; none: any"
    )

    @model_validator(mode="after")
    def _sendable(self):
        first, last = SENDABLE_STICKERS.get(self.package_id, (0, -1))
        if not first <= self.sticker_id <= last:
            raise ValueError(
                f"sticker {self.package_id}/{self.sticker_id} is not on LINE's list of stickers bots may send"
                + (f" (package {self.package_id}: {first}–{last})" if last >= 0 else "")
            )
        if any(not w.strip() for w in self.keywords):
            raise ValueError("empty keyword")
        return self

    @property
    def words(self) -> frozenset[str]:
        return frozenset(w.casefold().strip() for w in self.keywords)


class StickerSet(Strict):
    chance: float = Field(ge=0, le=1, description="how often a fan's sticker gets a sticker back")
    with_line: float = Field(ge=0, le=1, description="when she sends a sticker, how often her line comes too")
    stickers: list[StickerChoice] = Field(min_length=1)


class Contact(Strict):
    name: str
    tel: str | None = None
    url: str | None = None
    hours: str | None = None
    free: bool = Field(False, description="free to call or use (通話料無料, a free chat)")


class SafetyConfig(Strict):
    """characters/safety.yaml. The detection rules are built in (core/safety_rules.py); the word
    lists here add an operator's own phrases on top of them, and safe_phrases take titles and
    idioms out (a katakana entry matches only as a whole katakana word)."""

    checked: date = Field(
        description="when every number and service below was last checked on its official page"
    )
    crisis_reply: dict[str, str] = Field(description="per sister id; {contacts} is replaced by the list")
    contacts: list[Contact] = Field(min_length=1, description="for a crisis (self-harm, suicide)")
    abuse_reply: dict[str, str] = Field(description="per sister id: abuse at home, at school or online")
    abuse_contacts: list[Contact] = Field(min_length=1)
    danger_reply: dict[str, str] = Field(description="per sister id: someone threatens the fan right now")
    danger_contacts: list[Contact] = Field(min_length=1)
    concern_instruction: str = Field(
        min_length=10, description="added to the strong tier's system prompt for a concern message"
    )
    crisis_words: list[str] = Field(default_factory=list)
    concern_words: list[str] = Field(default_factory=list)
    sexual_words: list[str] = Field(default_factory=list)
    personal_words: list[str] = Field(default_factory=list)
    safe_phrases: list[str] = Field(default_factory=list)

    @field_validator("crisis_words", "concern_words", "sexual_words", "personal_words", "safe_phrases")
    @classmethod
    def _words(cls, words: list[str]) -> list[str]:
        from botan_line.characters.safety_text import prepare  # the safety layer's own normalisation

        for w in words:
            if not prepare(w).h.strip():
                raise ValueError(f"{w!r} is empty after normalising")
        return words

    @field_validator("crisis_reply", "abuse_reply", "danger_reply")
    @classmethod
    def _fill(cls, replies: dict[str, str]) -> dict[str, str]:
        _fillable(list(replies.values()), CRISIS_PLACEHOLDERS)
        return replies

    @field_validator("contacts", "abuse_contacts", "danger_contacts")
    @classmethod
    def _one_free(cls, contacts: list[Contact]) -> list[Contact]:
        if not any(c.free and (c.tel or c.url) for c in contacts):
            raise ValueError("name at least one free service (free: true) with a number or an address")
        return contacts

    @field_validator("danger_reply")
    @classmethod
    def _police_first(cls, replies: dict[str, str]) -> dict[str, str]:
        for sister, text in replies.items():
            if "110" not in text:
                raise ValueError(f"the danger reply of {sister!r} must tell the fan to call 110")
        return replies

    def emergency(self, kind: str) -> tuple[dict[str, str], list[Contact]]:
        """The replies and the contacts of a danger, crisis or abuse verdict."""
        if kind == "danger":
            return self.danger_reply, self.danger_contacts
        if kind == "abuse":
            return self.abuse_reply, self.abuse_contacts
        return self.crisis_reply, self.contacts


@dataclass
class Sister:
    persona: Persona
    patterns: dict[str, Pattern]
    source: dict[str, tuple[str, int]]  # pattern id → (file, line)
    stickers: StickerSet | None = None  # stickers.yaml: how she answers a fan's sticker in kind


@dataclass
class CharacterSet:
    sisters: dict[str, Sister]
    safety: SafetyConfig
    matchers: dict[str, Matcher]
    signature: tuple = ()
    loaded_at: float = field(default_factory=time.time)

    def persona(self, sister: str) -> Persona:
        return self.sisters[sister].persona

    def pattern(self, sister: str, pattern_id: str) -> Pattern | None:
        return self.sisters[sister].patterns.get(pattern_id)

    @functools.cached_property
    def speaker_names(self) -> tuple[str, ...]:
        """Every sister's display name and nicknames: what the guard rejects as a speaker label."""
        return tuple(
            dict.fromkeys(
                n for s in self.sisters.values() for n in (s.persona.display_name, *s.persona.nicknames)
            )
        )


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.glob("**/*.yaml") if p.is_file())


def signature(root: Path) -> tuple:
    out = []
    for p in _files(root):
        try:
            st = p.stat()
        except OSError:
            continue
        out.append((str(p), st.st_mtime_ns, st.st_size))
    return tuple(out)


def _load(model, path: Path, problems: list[str]):
    try:
        data, lines = load_with_lines(path)
        return validate(model, data, path, lines), lines
    except YamlProblem as exc:
        problems.extend(exc.problems)
        return None, {}


def learned_from_files(root: Path) -> dict[str, tuple[str, dict | None]]:
    """``learned.yaml`` of every sister folder, as ``load_characters(learned=...)`` takes them."""
    out: dict[str, tuple[str, dict | None]] = {}
    for path in sorted(Path(root).glob(f"*/{LEARNED_FILE}")):
        out[path.parent.name] = (str(path), None)
    return out


def _validate_data(data: dict, where: Path, problems: list[str]):
    try:
        return validate(PatternFile, data, where, {}), {}
    except YamlProblem as exc:
        problems.extend(exc.problems)
        return None, {}


def load_characters(root: Path, learned: Mapping[str, tuple[str, dict | None]] | None = None) -> CharacterSet:
    """Load and check every file under ``root``; raise CharacterError listing every problem.

    ``learned``: per sister, (where, data) of her learned patterns in the learned.yaml schema —
    from the database at run time (data given), or a learned.yaml file to check (data None: read
    the file named by ``where``). Without it the set has no learned patterns."""
    learned = learned or {}
    problems: list[str] = []
    root = Path(root)
    if not root.is_dir():
        raise CharacterError([f"{root}:1: characters folder not found (set BOTAN_CHARACTERS_DIR)"])
    sig = signature(root)
    safety, _ = (
        _load(SafetyConfig, root / "safety.yaml", problems) if (root / "safety.yaml").exists() else (None, {})
    )
    if safety is None and not any(p.startswith(str(root / "safety.yaml")) for p in problems):
        problems.append(f"{root / 'safety.yaml'}:1: missing safety.yaml (crisis reply and contacts)")
    sisters: dict[str, Sister] = {}
    seen_lines: dict[str, str] = {}
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        persona_path = folder / "persona.yaml"
        if not persona_path.exists():
            continue
        persona, plines = _load(Persona, persona_path, problems)
        if persona is None:
            continue
        if persona.id != folder.name:
            problems.append(
                f"{persona_path}:{line_of(plines, ('id',))}: id {persona.id!r} must equal the folder name"
            )
        for key in Lines.model_fields:
            for k, text in enumerate(getattr(persona.lines, key)):
                for word, wrong in contradictions(text, hours_of(None)):
                    line = line_of(plines, ("lines", key, k))
                    problems.append(
                        f"{persona_path}:{line}: 「{word}」 is the wrong time of day at {describe(wrong)} "
                        "(fixed lines are sent at any hour: write {band})"
                    )
        patterns: dict[str, Pattern] = {}
        source: dict[str, tuple[str, int]] = {}
        sources: list[tuple[Path, dict | None]] = [
            (folder / name, None) for name in PATTERN_FILES if (folder / name).exists()
        ]
        if persona.id in learned:
            where, data = learned[persona.id]
            sources.append((Path(where), data))
        for path, data in sources:
            if data is None:
                pf, lines = _load(PatternFile, path, problems)
            else:
                pf, lines = _validate_data(data, path, problems)
            if pf is None:
                continue
            for i, pat in enumerate(pf.patterns):
                where = f"{path}:{line_of(lines, ('patterns', i, 'id'))}"
                if pat.id in patterns:
                    first = source[pat.id]
                    problems.append(
                        f"{where}: duplicate pattern id {pat.id!r} (first at {first[0]}:{first[1]})"
                    )
                    continue
                patterns[pat.id] = pat
                source[pat.id] = (str(path), line_of(lines, ("patterns", i, "id")))
                for j, t in enumerate(pat.triggers):
                    if t.regex and re.search(r"[\u30a1-\u30f6]", t.regex):
                        line = line_of(lines, ("patterns", i, "triggers", j))
                        problems.append(
                            f"{path}:{line}: regex must be written in hiragana (katakana is folded)"
                        )
                hours = hours_of(pat.when.time if pat.when else None)
                for k, reply in enumerate(pat.replies):
                    for word, wrong in contradictions(reply, hours):
                        line = line_of(lines, ("patterns", i, "replies", k))
                        problems.append(
                            f"{path}:{line}: 「{word}」 is the wrong time of day at {describe(wrong)}, when "
                            f"{pat.id!r} can answer (write {{band}}, or narrow when.time)"
                        )
                    owner = seen_lines.setdefault(reply, persona.id)
                    if owner != persona.id:
                        line = line_of(lines, ("patterns", i, "replies", k))
                        problems.append(
                            f"{path}:{line}: this line is already {owner}'s; every sister needs her own"
                        )
            for pattern_id, extra in pf.variations.items():
                line = line_of(lines, ("variations", pattern_id))
                if pattern_id not in patterns:
                    problems.append(f"{path}:{line}: variations for unknown pattern {pattern_id!r}")
                    continue
                base = patterns[pattern_id]
                added = [r for r in extra if r not in base.replies]
                hours = hours_of(base.when.time if base.when else None)
                for k, reply in enumerate(added):
                    for word, wrong in contradictions(reply, hours):
                        problems.append(
                            f"{path}:{line}: 「{word}」 in variation {k + 1} of {pattern_id!r} is the wrong "
                            f"time of day at {describe(wrong)} (write {{band}})"
                        )
                patterns[pattern_id] = base.model_copy(update={"replies": [*base.replies, *added]})
        for pattern_id, pat in list(patterns.items()):
            same = patterns.get(pat.same_as) if pat.same_as else None
            if same is not None and not same.same_as:
                patterns[pattern_id] = pat.model_copy(update={"replies": same.replies, "when": same.when})
        stickers = None
        if (folder / STICKER_FILE).exists():
            stickers, _ = _load(StickerSet, folder / STICKER_FILE, problems)
        sisters[persona.id] = Sister(persona, patterns, source, stickers)
    if DEFAULT_SISTER not in sisters and not problems:
        problems.append(f"{root}:1: the default sister {DEFAULT_SISTER!r} is missing")
    if safety is not None:
        for sid in sisters:
            for replies in ("crisis_reply", "abuse_reply", "danger_reply"):
                if sid not in getattr(safety, replies):
                    problems.append(f"{root / 'safety.yaml'}:1: {replies} has no entry for {sid!r}")
    matchers: dict[str, Matcher] = {}
    names = {sid: sister.persona.nicknames for sid, sister in sisters.items()}
    for sid, sister in sisters.items():
        matcher = Matcher(sister.patterns.values(), sister=sid, names=names)
        for pattern_id, other_id, trigger in matcher.conflicts:
            where, line = sister.source[other_id]
            problems.append(
                f"{where}:{line}: trigger {trigger!r} of {other_id!r} is also claimed by {pattern_id!r} "
                "with overlapping conditions (make when.time disjoint or drop one)"
            )
        matchers[sid] = matcher
    if problems:
        raise CharacterError(problems)
    return CharacterSet(sisters, safety, matchers, sig)


class CharacterStore:
    """The live character set of this process: the files plus the learned patterns of the database.

    Every ``check_every`` seconds (on the next use) it looks whether a file changed (mtime and size)
    and whether the learned patterns changed (``learned.version()``, one tiny query), and reloads
    then. An invalid edit never replaces the live set.
    """

    def __init__(
        self,
        root: Path,
        check_every: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
        learned=None,
    ):
        self.root = Path(root)
        self.learned = learned  # a LearnedSource (storage/learned.py), or None: no learned patterns
        self._lock = threading.Lock()
        self._learned_version = None
        self._current = load_characters(self.root, self._learned_now())
        self._check_every = check_every
        self._clock = clock
        self._next_check = clock() + check_every
        self._seen = self._current.signature
        self.last_error: list[str] | None = None

    def _learned_now(self) -> dict:
        if self.learned is None:
            return {}
        version, data = self.learned.load()
        self._learned_version = version
        return data

    @property
    def current(self) -> CharacterSet:
        if self._clock() >= self._next_check:
            self._next_check = self._clock() + self._check_every
            sig = signature(self.root)
            if sig != self._seen:  # a changed file: try it once per change
                self._seen = sig
                self.reload()
            elif self.learned is not None and self._learned_changed():
                self.reload()
        return self._current

    def _learned_changed(self) -> bool:
        try:
            return self.learned.version() != self._learned_version
        except Exception as exc:  # the database is away: keep serving what we have
            log.warning("learned patterns: version check failed (%s)", type(exc).__name__)
            return False

    def reload(self) -> list[str] | None:
        """Load the files and the learned patterns again; keep the old set on error.
        Returns the problems, or None."""
        with self._lock:
            try:
                new = load_characters(self.root, self._learned_now())
            except CharacterError as exc:
                if exc.problems != self.last_error:
                    log.error("character files invalid, keeping the previous set:\n%s", exc)
                self.last_error = exc.problems
                return exc.problems
            self._current = new
            self.last_error = None
            log.info(
                "character files loaded: %s",
                ", ".join(f"{sid} ({len(s.patterns)} patterns)" for sid, s in new.sisters.items()),
            )
            return None
