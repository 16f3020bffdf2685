"""The layers of the conversation table, in the order ``default_layers`` puts them.

Each answers a turn with a Decision or leaves it to the next (None). Layer 2 lives in
``core/layer2/``; everything here decides in microseconds from the character files.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Sequence

from botan_line.characters import recall
from botan_line.characters.matcher import Context
from botan_line.core import safety
from botan_line.core.conversation import Deferred, Layer, TurnContext
from botan_line.core.fallback import fallback
from botan_line.core.model import Decision
from botan_line.core.nickname import NicknameLayer
from botan_line.core.optin import NotifyLayer

_LEAD = re.compile(r"^[\s\u200d\ufe0e\ufe0f\U0001f000-\U0001faff\u2600-\u27bf]*")  # spaces and emoji


def command_text(text: str) -> str | None:
    """The command in a message — ``/help``, ``／ｈｅｌｐ`` as a Japanese IME types it, or after an
    emoji left in front of a removed @mention — NFKC-normalised; None when it is not a command."""
    rest = unicodedata.normalize("NFKC", _LEAD.sub("", text, count=1))
    return rest.strip() if rest.startswith("/") else None


def command_words(text: str) -> str:
    """What follows the command's name, exactly as typed (a reply an admin writes keeps its ！ and ？)."""
    parts = _LEAD.sub("", text, count=1).strip().split(maxsplit=1)
    return parts[1].strip() if len(parts) > 1 else ""


def is_command(text: str) -> bool:
    return command_text(text) is not None


class CommandLayer:
    """Slash-commands: never reach a model, never cost anything. A slow one (``/candidates``) is
    deferred like a Layer 2 call, so the worker runs it in its Layer 2 lane."""

    name = "commands"
    counts_as_message = False

    def __init__(self, commands):
        self.commands = commands  # core.commands.Commands

    def answer(self, ctx: TurnContext) -> Decision | Deferred | None:
        if not is_command(ctx.turn.text) or self.commands is None:
            return None
        result = self.commands.run(ctx)
        return result if isinstance(result, Decision) else Deferred(ctx, result, self)

    def run(self, ctx: TurnContext, call, time_left: float | None = None) -> Decision:
        """The slow command ``call`` (a ``core.commands.SlowCommand``), off the fast lane."""
        return self.commands.execute(ctx, call.command, call.arg, time_left)


class SafetyLayer:
    """Crisis, sexual and personal-information messages, before anything can play with them.

    Every bubble of the turn is classified (``safety.classify_turn``: the most serious verdict wins).
    A concern (worrying but not clear: もう無理, つらい) goes to Layer 2 — the strong tier with the
    careful instruction — when it can answer, and gets her gentle ``concern`` line when it cannot."""

    name = "safety"
    counts_as_message = True

    def __init__(self, layer2=None):
        self.layer2 = layer2  # core.layer2.Layer2, or None: concerns always get the fixed line

    def answer(self, ctx: TurnContext) -> Decision | Deferred | None:
        verdict = safety.classify_turn((*ctx.turn.earlier, ctx.turn.text), ctx.chars.safety)
        if verdict is None:
            return None
        if verdict.kind == safety.CONCERN and self.layer2 is not None:
            result = self.layer2.answer(ctx, concern=verdict)  # None: off or paused
            if result is not None:
                return result
        return safety_decision(ctx, verdict)


LINE_FOR = {safety.SEXUAL: "refuse_sexual", safety.PERSONAL: "deflect_personal", safety.CONCERN: "concern"}


def safety_decision(ctx: TurnContext, verdict: safety.SafetyVerdict) -> Decision:
    """The fixed answer to a verdict, from the rules, the statistical reader, moderation or the chat
    model's own reading: the danger, crisis or abuse reply with its free contacts (fixed text, never
    a model), else her line for the kind; the signal goes to the ledger."""
    if verdict.kind in safety.EMERGENCY:
        text = safety.emergency_reply(ctx.chars.safety, verdict.kind, ctx.sister, ctx.name())
        return ctx.reply(text, "safety", pattern=f"safety:{verdict.kind}", safety=verdict.signal)
    text, used = ctx.line(LINE_FOR[verdict.kind])
    return ctx.reply(text, "safety", effects=[used], pattern=f"safety:{verdict.kind}", safety=verdict.signal)


class SisterCallLayer:
    """Just her name: she answers the call (and the fan now talks to her)."""

    name = "sister_call"
    counts_as_message = True

    def answer(self, ctx: TurnContext) -> Decision | None:
        if not ctx.called or ctx.rest or ctx.turn.earlier:  # a name after other bubbles is not a call
            return None
        text, used = ctx.line("switched")
        return ctx.reply(
            text, "layer1", quick_reply=ctx.switched, effects=[used], pattern=f"{ctx.sister}:called"
        )


class Layer1:
    """The sister's YAML greetings and patterns: zero cost, always in her voice.

    Never for merged bubbles: a pattern answers one line, and 「うん」 or 「おはよ」 at the end of a
    thought split over several bubbles is not what the fan was saying (Layer 2 reads them all)."""

    name = "layer1"
    counts_as_message = True

    def answer(self, ctx: TurnContext) -> Decision | None:
        if ctx.turn.earlier:
            return None
        after = functools.cache(
            lambda: recall.after_for(ctx.reads, ctx.chars, ctx.user.user_id, ctx.sister, ctx.now.timestamp())
        )
        match_ctx = Context(band=ctx.band, first_visit=ctx.user.first_visit, chat=ctx.turn.chat, after=after,
                            stream=lambda: ctx.stream_title is not None, called=ctx.called)  # fmt: skip
        match = ctx.chars.matchers[ctx.sister].match(
            ctx.rest, ctx.norm.question, match_ctx, ctx.rest_breaks, ctx.rest_loans
        )
        if match is None:
            return None
        pattern = match.pattern
        idx, used = ctx.pick(pattern.id, len(pattern.replies))
        text = ctx.fill(pattern.replies[idx])
        # the words are kept (as Layer 2's are) so the miner can teach this pattern the other ways
        # fans say the same thing: ``learning.mine``
        return ctx.reply(
            text, "layer1", effects=[used], pattern=f"{ctx.sister}:{pattern.id}", normalized=ctx.learnable()
        )


class FallbackLayer:
    """Always answers: her fixed lines when Layer 2 is off, paused or failing."""

    name = "fallback"
    counts_as_message = True

    def answer(self, ctx: TurnContext) -> Decision:
        return fallback(ctx, "layer2_off")


def default_layers(commands, layer2, nickname=None) -> Sequence[Layer]:
    """commands → safety → sister call → nickname → notices opt-in → Layer 1 → Layer 2 → fallback."""
    nickname = nickname if nickname is not None else NicknameLayer()
    return (
        CommandLayer(commands),
        SafetyLayer(layer2),
        SisterCallLayer(),
        nickname,
        NotifyLayer(),
        Layer1(),
        layer2,
        FallbackLayer(),
    )
