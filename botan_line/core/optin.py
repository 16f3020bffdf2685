"""Notices are opt-in: a fan asks for them (or to stop them), and she confirms in her voice.

Three ways, one effect (``SetNotify``, stored with the fan, shown by ``/whoami``, removed by
``/forget`` and by unfollowing): the command ``/notify on|off``, the rich menu's postback
``notify=on|off|toggle`` (``core/events.py``), and plain words — 「配信通知オンにして」「通知ほしい」
「通知いらない」「通知オフにして」 — recognised by :class:`NotifyLayer` before Layer 1. Precision first:
only a short message that is nothing but the request (「LINEの通知オフにしてる」 talks about the fan's
phone; 「通知ってどうやってオンにするの？」 asks), on its own (merged bubbles are Layer 2's).
"""

from __future__ import annotations

import re

from botan_line.core.conversation import TurnContext
from botan_line.core.model import Decision, SetNotify

# Matched whole against the normalised message (katakana folded to hiragana, a stretched last
# vowel dropped: ほしい → ほし).
_WHAT = r"(?:配信(?:の|が)?)?(?:通知|お知らせ)(?:を|は|も)?"
_WHEN = r"(?:配信(?:が)?(?:始まったら|はじまったら|あるとき|ある時|のとき|の時|するとき|する時)、?)?"
_PLEASE = r"(?:ね|よ|ほし|ほしいです|欲し|ください|くださ|下さい|ちょうだい|お願い|お願いします|おねがい|おねがいします|です)?"
_ON = re.compile(
    rf"{_WHEN}{_WHAT}(?:"
    rf"(?:おん|on)(?:に|で)?(?:して|しといて|しておいて|する)?{_PLEASE}"
    r"|ほし|欲し|ほしいです|欲しいです|ほしいな|欲しいな|ください|くださ|下さい|ちょうだい|お願い|お願いします"
    r"|おねがい|おねがいします|受け取りたい|うけとりたい|もらいたい"
    rf"|(?:して|送って|おくって|くれ){_PLEASE}"
    r")"
)
_OFF = re.compile(
    rf"{_WHAT}(?:もう)?(?:"
    r"いらない|要らない|いらないです|いらないかな|いりません|いらないよ|不要|なしで|なしでいい|なしでお願い"
    rf"|(?:おふ|off)(?:に|で)?(?:して|しといて|しておいて|する)?{_PLEASE}"
    rf"|(?:止めて|とめて|やめて|切って|きって|消して|けして|解除して|解除|停止して|停止|すとっぷ){_PLEASE}"
    r")"
)
MAX_CHARS = 24


def wants(text: str) -> bool | None:
    """True: the message asks for notices; False: to stop them; None: neither (``text`` normalised)."""
    if not text or len(text) > MAX_CHARS:
        return None
    if _OFF.fullmatch(text):
        return False
    if _ON.fullmatch(text):
        return True
    return None


def confirm(ctx: TurnContext, on: bool, layer: str) -> Decision:
    """Her line for it (``lines.notify_on`` / ``notify_off``) and the fan's choice, stored."""
    decision = ctx.say_line("notify_on" if on else "notify_off", layer)
    decision.effects.append(SetNotify(ctx.user.user_id, on))
    return decision


class NotifyLayer:
    """「配信通知オンにして」「通知いらない」: she confirms and the fan's notices follow."""

    name = "notify"
    counts_as_message = True

    def answer(self, ctx: TurnContext) -> Decision | None:
        if ctx.turn.earlier or ctx.turn.chat != "one_on_one" or ctx.norm.question:
            return None
        on = wants(ctx.rest)
        return None if on is None else confirm(ctx, on, "layer1")
