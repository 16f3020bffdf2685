"""LINE-native touches on a decision: quoting in groups, the fan's rich menu, stickers in kind.

Pure functions over plain data, like the rest of the core. What must happen on LINE's side (link a
rich menu) is added to ``Decision.actions``; the worker runs it after the decision is saved
(``doors/line_actions.py``). The core never calls LINE.
"""

from __future__ import annotations

import random
from dataclasses import replace
from typing import TYPE_CHECKING

from botan_line.characters.loader import StickerChoice, StickerSet
from botan_line.core.model import STICKER, TEXT, Decision, LinkMenu, Outgoing, SaveUser, Turn

if TYPE_CHECKING:  # the conversation imports this module
    from botan_line.core.conversation import TurnContext

QUOTABLE = (TEXT, STICKER)  # LINE lets text and sticker messages quote (quoteToken)


def quote(decision: Decision, turn: Turn) -> Decision:
    """In groups and rooms, the first text or sticker of the answer quotes the message it answers."""
    if turn.chat != "group" or not turn.quote_token:
        return decision
    for i, message in enumerate(decision.messages):
        if message.kind in QUOTABLE:
            if message.quote_token is None:
                decision.messages[i] = replace(message, quote_token=turn.quote_token)
            break
    return decision


def link_on_switch(decision: Decision, before: str) -> Decision:
    """A decision that moves the fan to another sister also shows them her rich menu."""
    for effect in decision.effects:
        if isinstance(effect, SaveUser) and effect.user.sister != before:
            action = LinkMenu(effect.user.user_id, effect.user.sister)
            if action not in decision.actions:
                decision.actions.append(action)
    return decision


# --- stickers in kind --------------------------------------------------------------------------
def choose_sticker(kit: StickerSet, keywords: tuple[str, ...], rng: random.Random) -> StickerChoice | None:
    """The sister's sticker that best answers these keywords (most shared words), else one of her
    general ones (no keywords), else None. ``kit`` is the sister's ``characters.loader.StickerSet``."""
    wanted = set(keywords)
    scored = [(len(wanted & s.words), s) for s in kit.stickers if s.keywords]
    best = max((n for n, _ in scored), default=0)
    if best:
        return rng.choice([s for n, s in scored if n == best])
    general = [s for s in kit.stickers if not s.keywords]
    return rng.choice(general) if general else None


def sticker_answer(ctx: TurnContext, keywords: tuple[str, ...]) -> Decision:
    """A fan's sticker: her sticker line, or sometimes a sticker back, alone or with her line.

    ``ctx`` is the event's TurnContext; its ``rng`` decides (tests inject it). Recorded as layer
    ``event`` with pattern ``lines:sticker`` or ``sticker:<package>/<sticker>``."""
    decision = ctx.say_line("sticker", "event")
    kit = ctx.chars.sisters[ctx.sister].stickers
    if kit is None or not kit.stickers or ctx.rng.random() >= kit.chance:
        return decision
    choice = choose_sticker(kit, keywords, ctx.rng)
    if choice is None:
        return decision
    sticker = Outgoing(ctx.sister, kind=STICKER, sticker=(str(choice.package_id), str(choice.sticker_id)))
    if ctx.rng.random() < kit.with_line:
        decision.messages.append(sticker)  # her line, then the sticker
    else:
        decision.messages = [sticker]
        decision.effects = []  # her line was not used: the variation is still fresh
    return decision.record(pattern=f"sticker:{choice.package_id}/{choice.sticker_id}")
