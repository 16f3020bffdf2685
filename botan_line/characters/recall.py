"""What a sister said last to a fan, as the one word ``when.after`` conditions test.

A reaction means something only next to the line it reacts to: 「なるほど」 after she explained
something, 「うん」 after she asked, 「うーん」 while the fan thinks about her question. The store
hands over her last reply (layer, pattern, text, time); this module decides, without I/O, which of
``matcher.AFTER`` it was:

- ``cared``: she was comforting or worrying (大丈夫, 無理しない, 休んで …) — no cheerful reaction
  pattern answers after it, whatever it ended with;
- ``asked``: her line ends by asking the fan something;
- ``greeted``: a greeting, thanks, apology or goodbye pattern, or an event line (welcome, switch);
- ``reacted``: one of her own reaction patterns (so two reactions never ping-pong);
- ``told``: anything else she said (an answer, a story, a Layer 2 reply);
- ``nothing``: she has not spoken to this fan for ``window`` seconds, or her last line was a safety
  reply, a fallback or a command.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

WINDOW_SECONDS = 30 * 60
GREETING_CATEGORIES = ("greeting", "thanks", "apology", "goodbye")
# words of comfort and worry: after these a fan's うん or あらら is not small talk
CARE_WORDS = (
    "大丈夫",
    "だいじょうぶ",
    "無理しない",
    "無理しすぎ",
    "無理せず",
    "休んで",
    "休もう",
    "休んでね",
    "心配",
    "つらい",
    "辛い",
    "しんどい",
    "悲し",
    "寂し",
    "さみし",
    "元気出",
    "泣",
    "ゆっくり休",
    "話してくれてありがとう",
    "相談",
)
_TAIL = re.compile(r"[\s!！。．…‥〜～ー~♪☆★♡♥❤✨笑w\U0001f000-\U0001faff\u2600-\u27bf\ufe0f]+$")


@dataclass(frozen=True)
class LastReply:
    """Her latest reply to this fan, as the store keeps it."""

    layer: str  # layer1 | layer2 | fallback | safety | command | event
    pattern: str | None  # "botan:morning", "lines:welcome", …
    text: str
    at: float  # epoch seconds


def asks(text: str) -> bool:
    """Does the line end by asking something (食べた〜？, どう？♪)?"""
    return _TAIL.sub("", text).endswith(("？", "?"))


def said_last(last: LastReply | None, category_of, now: float, window: float = WINDOW_SECONDS) -> str:
    """``category_of(pattern_id)`` gives a Layer 1 pattern's category (None if unknown)."""
    if last is None or now - last.at > window:
        return "nothing"
    if last.layer in ("safety", "fallback"):
        return "nothing"
    if any(word in last.text for word in CARE_WORDS):
        return "cared"
    if asks(last.text):
        return "asked"
    if last.layer in ("event", "command"):
        return "greeted" if (last.pattern or "").startswith("lines:") else "nothing"
    if last.layer == "layer1":
        pattern = (last.pattern or "").partition(":")[2]
        category = category_of(pattern) if pattern and not pattern.startswith("called") else "greeting"
        if category in GREETING_CATEGORIES:
            return "greeted"
        if category == "reaction":
            return "reacted"
    return "told"


def after_for(store, chars, user_id: str, sister: str, now: float) -> str:
    """``said_last`` for a user and sister: the one call the conversation core makes."""

    def category_of(pattern_id: str):
        pattern = chars.pattern(sister, pattern_id) if sister in chars.sisters else None
        return pattern.category if pattern is not None else None

    return said_last(store.last_reply(user_id, sister), category_of, now)
