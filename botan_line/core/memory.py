"""What a turn that reaches Layer 2 asks her to remember: the facts a fan shares, bubble by bubble,
and a nickname asked for in bubbles merged behind the call (a lone request is answered by the
nickname layer before Layer 1). The effects travel with the Layer 2 call and are written with its
answer; the nickname also goes into the call's per-fan note at once."""

from __future__ import annotations

from dataclasses import replace

from botan_line.config import BotConfig
from botan_line.core import facts
from botan_line.core.conversation import TurnContext
from botan_line.core.model import Effect, SetNickname
from botan_line.core.nickname import chosen, sister_forms


def remembered(ctx: TurnContext, cfg: BotConfig) -> list[Effect]:
    """SetFact effects (a later bubble wins a key), then a SetNickname when merged bubbles ask for one."""
    names = sister_forms(n for s in ctx.chars.sisters.values() for n in s.persona.nicknames)
    bubbles = (*ctx.turn.earlier, ctx.turn.text)
    found: dict[str, Effect] = {}
    for i, bubble in enumerate(bubbles):  # each remembers the LINE message it was said in (unsend)
        for effect in facts.remember(ctx.user.user_id, bubble, ctx.now, ctx.chars.safety, names):
            found[effect.key] = replace(effect, message_id=ctx.turn.message_id(i))
    effects = list(found.values())
    if ctx.turn.earlier:
        for i in reversed(range(len(bubbles))):
            name, why = chosen(
                ctx, bubbles[i], max_chars=cfg.nickname.max_chars, refused_words=cfg.nickname.refused_words
            )
            if name is not None and why is None:
                effects.append(SetNickname(ctx.user.user_id, name, ctx.turn.message_id(i)))
                break
    return effects


def nickname_in(effects: list[Effect]) -> str | None:
    """The nickname these effects set, if any."""
    return next((e.nickname for e in effects if isinstance(e, SetNickname)), None)
