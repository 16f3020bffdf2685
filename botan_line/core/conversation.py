"""The conversation core: what does the current sister say to this, from which layer, at what cost.

The layers are a table (``Conversation.layers``), walked in order; the first that answers decides,
and ``finish`` is the one place a decision is completed (errbot walks its command table the same
way). The core is plain Python: it is fed a :class:`Turn` and a read-only port onto the stored
state (:class:`Reads`), and returns a :class:`Decision` whose side effects are data. It never
writes, never calls LINE, and calls OpenAI only in ``complete``: Layer 2 answers ``decide`` with a
:class:`Deferred` call that the caller runs when it can (the worker's Layer 2 pool, or the chat
console at once), so every other answer is decided in microseconds.
"""

from __future__ import annotations

import functools
import random
import re
import time
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from botan_line.characters.loader import DEFAULT_SISTER, CharacterSet, CharacterStore, Persona
from botan_line.characters.normalize import Normalized, normalize
from botan_line.characters.placeholders import fill
from botan_line.characters.timewords import time_word
from botan_line.clock import time_band
from botan_line.core import native, notices, safety
from botan_line.core.model import (
    REMEMBERED_LAYERS,
    AddHistory,
    Decision,
    Effect,
    LedgerEntry,
    Outgoing,
    SaveUser,
    SetFact,
    SetNickname,
    Turn,
    UserState,
    UseVariation,
)
from botan_line.core.ports import Reads

if TYPE_CHECKING:  # they import this module
    from botan_line.core.commands import SlowCommand
    from botan_line.core.layer2.layer import Layer2Call
    from botan_line.core.media import MediaCall, MediaLayer


def pick_variation(n: int, used: Sequence[int], rng: random.Random) -> tuple[int, tuple[int, ...]]:
    """A variation this user has not had since the last full cycle (never the same twice in a row)."""
    used = [i for i in used if 0 <= i < n]
    free = [i for i in range(n) if i not in used]
    if not free:
        last = used[-1] if used else None
        used = []
        free = [i for i in range(n) if i != last] or [0]
    choice = rng.choice(free)
    return choice, (*used, choice)


# --- calling a sister by name ----------------------------------------------------------------
HONORIFICS = (
    "お姉ちゃん", "おねえちゃん", "姉ちゃん", "ねえちゃん", "お姉さん", "姉さん", "ねえさん", "お姉", "姉",
    "ちゃん", "さん", "さま", "様", "たん", "っち",
)  # fmt: skip
_HON = "(?:" + "|".join(HONORIFICS) + ")"


_KANA = "\u3041-\u309f\u30fc"  # hiragana and the long-vowel mark
_PARTICLE = "(?:は|って|の)"  # the particle tying a name to the question, dropped with it


def _name_regex(nick: str) -> str:
    """How a nickname may appear. Kanji names and names with an honorific are distinctive anywhere; a
    katakana name must not be part of a longer katakana word; a bare hiragana name (かしょう, ぼたぴ)
    must not be part of a longer kana word, except before は/って or after ねえ; a latin one (botan)
    not part of a longer latin word. So 「なんかしょうもない」 「ゆりかご」 「ゆりの花」 and "botanical" call
    nobody, while 「ぼたぴ十八番は？」 「ゆりは？」 and 「ねえゆり」 do."""
    n = re.escape(nick)
    if re.search(r"[\u4e00-\u9fff]", nick) or nick.endswith(HONORIFICS):
        return f"{n}{_HON}?"
    if re.search(r"[\u30a1-\u30fa]", nick):
        return f"(?<![\u30a1-\u30fc]){n}(?:{_HON}|(?![\u30a1-\u30fc]))"
    if re.fullmatch(f"[{_KANA}]+", nick):
        before = f"(?:(?<=ねえ)|(?<=ねぇ)|(?<![{_KANA}a-z0-9]))"
        return f"{before}{n}(?:{_HON}|(?=は|って)|(?![{_KANA}a-z0-9]))"
    return f"(?<![a-z0-9]){n}(?:{_HON}|(?![a-z0-9]))"


@functools.lru_cache(maxsize=64)
def _caller(nicknames: tuple[str, ...]) -> re.Pattern:
    names = sorted({unicodedata.normalize("NFKC", n).lower() for n in nicknames}, key=len, reverse=True)
    return re.compile("|".join(_name_regex(n) for n in names))


@functools.lru_cache(maxsize=64)
def _call_with_particle(caller: re.Pattern) -> re.Pattern:
    return re.compile(f"(?:{caller.pattern})\\s*(?:{_PARTICLE}(?=\\w))?")  # 「牡丹は？」 keeps its は


def called_sister(text: str, chars: CharacterSet) -> tuple[str | None, str]:
    """The one sister a raw message calls by name, and the message with her name (and honorific) taken out."""
    light = unicodedata.normalize("NFKC", text).lower()
    found: dict[str, re.Pattern] = {}
    for sid, sister in chars.sisters.items():
        caller = _caller(tuple(sister.persona.nicknames))
        if caller.search(light):
            found[sid] = caller
    if len(found) != 1:  # nobody, or several sisters named ("牡丹とユリどっちが好き？"): no switch
        return None, text
    sid, caller = next(iter(found.items()))
    if all(_TALKED_ABOUT.match(light, m.end()) for m in caller.finditer(light)):
        return None, text  # 「牡丹のことどう思う？」 asks the current sister about her: no switch
    # the name goes with the particle that ties it to the question: 「牡丹の十八番は？」 asks 十八番は？
    # (her own, the case _TALKED_ABOUT leaves aside), 「ユリってなに読んでる？」 asks なに読んでる？
    return sid, _call_with_particle(caller).sub(" ", light)


# a name followed by these is who the message is about, not whom it calls
_TALKED_ABOUT = re.compile(
    r"\s*(?:のこと|の事|について|ってどんな|ってどう|ってどういう|のどこが|をどう|の印象|の第一印象|の性格)"
)


# --- what every layer reads ---------------------------------------------------------------------
@dataclass(frozen=True)
class TurnContext:
    """One turn as the layers see it: the fan, who answers, the normalised text, the time and the ports."""

    turn: Turn
    user: UserState  # before this turn (with a known sister)
    sister: str  # who answers: the one called by name, else the fan's current sister
    called: bool  # the message called a sister by name
    switched: bool  # ... and she was not the current one
    norm: Normalized  # the whole message, normalised
    rest: str  # the normalised message without the called name
    band: str  # morning|daytime|evening|night: what patterns' when.time tests
    chars: CharacterSet
    reads: Reads
    admins: frozenset[str]
    rng: random.Random
    started: float = field(default_factory=time.perf_counter)
    rest_breaks: tuple[int, ...] = ()  # where sentences end inside ``rest``
    rest_loans: tuple[str, ...] = ()  # its katakana words, folded (``Normalized.loans``)

    @property
    def persona(self) -> Persona:
        return self.chars.persona(self.sister)

    @property
    def now(self) -> datetime:
        return self.turn.now

    @property
    def is_admin(self) -> bool:
        return self.turn.user_id in self.admins

    def name(self, sister: str | None = None) -> str:
        """What she calls this fan: the nickname they chose, their LINE name, else her word for "you"."""
        user = self.user
        return user.nickname or user.display_name or self.chars.persona(sister or self.sister).address

    def fill(self, template: str, sister: str | None = None) -> str:
        """A line's placeholders: ``{name}``, ``{band}`` as the word for this hour (夜 at 21:30), and
        ``{stream}``, the stream her latest notice named (read only for a line that names it)."""
        stream = (self.stream_title or "") if "{stream}" in template else ""
        return fill(template, name=self.name(sister), band=time_word(self.now), stream=stream)

    @functools.cached_property
    def stream_title(self) -> str | None:
        """The stream her latest remembered notice named (``core/notices.py``), if any: what
        ``when.stream`` patterns need and ``{stream}`` says."""
        return notices.stream_title(self.reads, self.sister, self.now)

    def pick(self, key: str, count: int, sister: str | None = None) -> tuple[int, UseVariation]:
        """Which of ``count`` variations to use for ``key``, and the effect that remembers it."""
        sister = sister or self.sister
        before = self.reads.used_variations(self.user.user_id, sister, key)
        idx, used = pick_variation(count, before, self.rng)
        return idx, UseVariation(self.user.user_id, sister, key, used)

    def learnable(self, verdict=None) -> str | None:
        """The message as reports and learning may keep it — normalised, without the sister's name, so
        exactly what Layer 1 matched — never personal data, never merged bubbles, never a message a
        safety signal flagged (``verdict``: a concern must not become a Layer 1 pattern)."""
        if verdict is not None or self.turn.earlier or safety.has_personal_data(self.turn.text):
            return None
        return self.rest or None

    def line(self, key: str, sister: str | None = None) -> tuple[str, UseVariation]:
        """One of the sister's fixed persona lines (welcome, fallback, ...), filled, without repeats."""
        options = getattr(self.chars.persona(sister or self.sister).lines, key)
        idx, effect = self.pick(f"lines:{key}", len(options), sister)
        return self.fill(options[idx], sister), effect

    def reply(
        self,
        text: str,
        layer: str,
        *,
        sister: str | None = None,
        quick_reply: bool = False,
        effects: Sequence[Effect] = (),
        **ledger,
    ) -> Decision:
        sister = sister or self.sister
        return Decision(
            messages=[Outgoing(sister, text, quick_reply)],
            ledger=LedgerEntry(self.user.user_id, sister, layer, **ledger),
            effects=list(effects),
        )

    def say_line(
        self, key: str, layer: str, *, sister: str | None = None, quick_reply: bool = False
    ) -> Decision:
        """Reply with one of her fixed lines, recorded as pattern ``lines:<key>``."""
        text, used = self.line(key, sister)
        return self.reply(
            text, layer, sister=sister, quick_reply=quick_reply, effects=[used], pattern=f"lines:{key}"
        )


class Layer(Protocol):
    """One step of the table: answer the turn, or None to let the next layer try."""

    name: str
    counts_as_message: bool  # the fan's message count and current sister move on when it answers

    def answer(self, ctx: TurnContext) -> Decision | Deferred | None: ...


@dataclass
class Heard:
    """A voice note's words (``core/media.py``), to be answered like a text: ``Conversation.hear``."""

    text: str  # what the transcription model heard
    note: str  # what the history keeps before the words: 「［ボイス 8秒］」
    media: str  # the ledger's kind of turn ("audio")
    seconds: float  # transcribed
    yen: float  # what the transcription cost
    effects: list[Effect]  # the daily media count
    time_left: float | None  # reply-token life left once the words were heard


class SlowLayer(Layer, Protocol):
    """A layer whose answer may be deferred: it runs the call later, in the Layer 2 lane (a voice
    note's layer returns the words it heard, which the other layers then answer)."""

    def run(self, ctx: TurnContext, call: Any, time_left: float | None = None) -> Decision | Heard: ...


@dataclass
class Deferred:
    """A call prepared by ``decide`` (a model call, a slow command, a photo or voice turn);
    ``Conversation.complete`` runs it and finishes the decision."""

    ctx: TurnContext
    call: Layer2Call | SlowCommand | MediaCall
    layer: SlowLayer


class Conversation:
    """The front doors' one entry point: ``decide`` (fast), ``complete`` (Layer 2), ``on_text`` (both)."""

    def __init__(
        self,
        characters: CharacterStore,
        layers: Sequence[Layer],
        *,
        admins: frozenset[str] = frozenset(),
        rng: random.Random | None = None,
        media: MediaLayer | None = None,
    ):
        self.characters = characters
        self.layers = tuple(layers)
        self.admins = admins
        self.rng = rng or random.Random()
        self.media = media  # fans' photos and voice notes (core/media.py); None: her fixed media line

    # --- text: the main path -----------------------------------------------------------------
    def context(self, turn: Turn, reads: Reads) -> TurnContext:
        chars = self.characters.current
        user = reads.user(turn.user_id)
        if user.sister not in chars.sisters:
            user = replace(user, sister=DEFAULT_SISTER)
        if turn.display_name and not user.display_name:
            user = replace(user, display_name=turn.display_name)
        text = turn.text.strip()
        called, rest_raw = called_sister(text, chars)
        norm = normalize(text)
        rest = normalize(rest_raw) if called else norm
        return TurnContext(
            turn=turn,
            user=user,
            sister=called or user.sister,
            called=called is not None,
            switched=bool(called and called != user.sister),
            norm=norm,
            rest=rest.text,
            rest_breaks=rest.breaks,
            rest_loans=rest.loans,
            band=time_band(turn.now),
            chars=chars,
            reads=reads,
            admins=self.admins,
            rng=self.rng,
        )

    def decide(self, turn: Turn, reads: Reads) -> Decision | Deferred:
        """Walk the layers; a Decision at once, or the Layer 2 call to run (never a model call here)."""
        ctx = self.context(turn, reads)
        if turn.chat == "group" and not (ctx.called or turn.mentioned):
            return Decision()  # in groups the sisters speak when spoken to
        for layer in self.layers:
            result = layer.answer(ctx)
            if isinstance(result, Deferred):
                return result
            if result is not None:
                return self.finish(ctx, result, layer)
        raise RuntimeError("no layer answered: the table must end with one that always does")

    def complete(self, deferred: Deferred, time_left: float | None = None) -> Decision:
        """Run a deferred Layer 2 call (``time_left``: seconds of reply-token life left now)."""
        result = deferred.layer.run(deferred.ctx, deferred.call, time_left)
        if isinstance(result, Heard):
            return self.hear(deferred.ctx, result)
        return self.finish(deferred.ctx, result, deferred.layer)

    def hear(self, ctx: TurnContext, heard: Heard) -> Decision:
        """A voice note's words through the same layers as a text (commands aside: a spoken word is
        never a command): safety reads them first, Layer 1 answers a spoken 「おはよう」 without a
        model. The history keeps the note with the words; the ledger row carries the transcription's
        seconds and price on top of whatever answered."""
        inner = self.context(
            replace(ctx.turn, text=heard.text, earlier=(), time_left=heard.time_left), ctx.reads
        )
        by: Layer
        decision: Decision
        for layer in self.layers:
            if layer.name == "commands":
                continue
            result = layer.answer(inner)
            if isinstance(result, Deferred):
                answered = result.layer.run(result.ctx, result.call, heard.time_left)
                if isinstance(answered, Heard):  # no layer hears twice
                    raise RuntimeError("a voice note's words were heard again")
                decision, by = answered, result.layer
                break
            if result is not None:
                decision, by = result, layer
                break
        else:
            raise RuntimeError("no layer answered: the table must end with one that always does")
        decision.effects += heard.effects
        if decision.ledger is not None:
            entry = decision.ledger
            decision.record(media=heard.media, audio_seconds=heard.seconds, yen=entry.yen + heard.yen,
                            strong_yen=entry.strong_yen + heard.yen)  # fmt: skip
        noted = replace(inner, turn=replace(inner.turn, text=f"{heard.note}{heard.text}"))
        return self.finish(noted, decision, by)

    def on_text(self, turn: Turn, reads: Reads) -> Decision:
        """Decide and, when Layer 2 is needed, call it at once (chat console, replay, tests)."""
        result = self.decide(turn, reads)
        return self.complete(result, turn.time_left) if isinstance(result, Deferred) else result

    def finish(self, ctx: TurnContext, decision: Decision, layer: Layer) -> Decision:
        """The one place a decision is completed: the fan's new state, history, latency."""
        if layer.counts_as_message and decision.ledger is not None:
            now = ctx.now.timestamp()
            user = replace(
                ctx.user,
                sister=ctx.sister,
                messages=ctx.user.messages + 1,
                switched_at=now if ctx.switched else ctx.user.switched_at,
            )
            decision.effects.append(SaveUser(user))
            if decision.ledger.layer in REMEMBERED_LAYERS:
                uid = ctx.user.user_id
                said = [*ctx.turn.earlier, ctx.turn.text.strip()]
                decision.effects += [
                    AddHistory(uid, ctx.sister, "user", t, ctx.turn.message_id(i)) for i, t in enumerate(said)
                ]
                decision.effects.append(AddHistory(uid, ctx.sister, "assistant", decision.text))
        if decision.ledger is not None:
            decision.ledger.latency_ms = (time.perf_counter() - ctx.started) * 1000
            decision.ledger.message_id = ctx.turn.message_id()
        _said_in(decision, ctx.turn)
        native.link_on_switch(decision, ctx.user.sister)  # her rich menu follows the fan (LINE side)
        return native.quote(decision, ctx.turn)  # groups: quote the message answered

    # --- other events ------------------------------------------------------------------------
    def event_context(self, turn: Turn, reads: Reads, sister: str | None = None) -> TurnContext:
        """A context for a non-text event (sticker, follow, postback): no text, a known sister."""
        ctx = self.context(replace(turn, text=""), reads)
        if sister is not None and sister in ctx.chars.sisters:
            ctx = replace(ctx, sister=sister, switched=sister != ctx.user.sister)
        return ctx

    def fixed_line(
        self, turn: Turn, reads: Reads, key: str, *, quick_reply: bool = False, sister: str | None = None
    ) -> Decision:
        """A sister's fixed line for an event (sticker, media, welcome, join)."""
        ctx = self.event_context(turn, reads, sister)
        return ctx.say_line(key, "event", quick_reply=quick_reply)

    def holding_line(self, turn: Turn, reads: Reads) -> Outgoing:
        """A short "still thinking" line, sent by reply while the real answer follows by push."""
        ctx = self.event_context(turn, reads)
        return Outgoing(ctx.sister, ctx.fill(self.rng.choice(ctx.persona.lines.holding)))

    def switch(self, turn: Turn, reads: Reads, sister: str) -> Decision:
        """Postback, quick reply or /command: make ``sister`` this fan's current sister."""
        ctx = self.event_context(turn, reads, sister)
        return native.link_on_switch(switch_decision(ctx, sister), ctx.user.sister)


def _said_in(decision: Decision, turn: Turn) -> None:
    """What a turn keeps of the fan (a fact, a nickname) records the LINE message it was said in, so an
    unsend can take it back; merged bubbles' facts are attributed bubble by bubble (``core/memory.py``)."""
    if not turn.message_ids:
        return
    decision.effects = [
        replace(e, message_id=turn.message_id())
        if isinstance(e, SetFact | SetNickname) and e.message_id is None
        else e
        for e in decision.effects
    ]


def switch_decision(ctx: TurnContext, sister: str) -> Decision:
    """Her "you called me" line, and the fan's current sister set to her."""
    decision = ctx.say_line("switched", "command", sister=sister)
    user = replace(ctx.user, sister=sister, switched_at=ctx.now.timestamp())
    decision.effects.append(SaveUser(user))
    return decision
