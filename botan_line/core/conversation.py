"""The conversation core: what does the current sister say to this, from which layer, at what cost.

Plain Python: fed a Turn and returning a Decision (messages + what to remember). The database,
OpenAI and the clock come in as adapters; LINE is never called from here. The webhook worker and
the chat console are two thin front doors to this class.
"""

from __future__ import annotations

import functools
import logging
import random
import re
import time
import unicodedata
from collections.abc import Callable
from datetime import datetime

from botan_line.characters import recall
from botan_line.characters.loader import DEFAULT_SISTER, CharacterSet, CharacterStore
from botan_line.characters.matcher import Context
from botan_line.characters.normalize import normalize
from botan_line.characters.timewords import time_word
from botan_line.clock import time_band
from botan_line.core import safety
from botan_line.core.layer2 import Layer2
from botan_line.core.model import Decision, LedgerEntry, Outgoing, Turn, UserState

log = logging.getLogger(__name__)


def pick_variation(n: int, used: list[int], rng: random.Random) -> tuple[int, list[int]]:
    """A variation this user has not had since the last full cycle (never the same twice in a row)."""
    used = [i for i in used if 0 <= i < n]
    free = [i for i in range(n) if i not in used]
    if not free:
        last = used[-1] if used else None
        used = []
        free = [i for i in range(n) if i != last] or [0]
    choice = rng.choice(free)
    return choice, [*used, choice]


HONORIFICS = (
    "お姉ちゃん",
    "おねえちゃん",
    "姉ちゃん",
    "ねえちゃん",
    "お姉さん",
    "姉さん",
    "ねえさん",
    "お姉",
    "姉",
    "ちゃん",
    "さん",
    "さま",
    "様",
    "たん",
    "っち",
)
_HON = "(?:" + "|".join(HONORIFICS) + ")"


def _name_regex(nick: str) -> str:
    """How a nickname may appear. Kanji names and names with an honorific are distinctive anywhere; a
    katakana name must not be part of a longer katakana word; a bare hiragana or latin name (かしょう,
    botan) must stand as a word of its own, so 「なんかしょうもない」 and "botanical" call nobody."""
    n = re.escape(nick)
    if re.search(r"[\u4e00-\u9fff]", nick) or nick.endswith(HONORIFICS):
        return f"{n}{_HON}?"
    if re.search(r"[\u30a1-\u30fa]", nick):
        return f"(?<![\u30a1-\u30fc]){n}(?:{_HON}|(?![\u30a1-\u30fc]))"
    return f"(?<!\\w){n}(?:{_HON}|(?!\\w))"


@functools.lru_cache(maxsize=64)
def _caller(nicknames: tuple[str, ...]) -> re.Pattern:
    names = sorted({unicodedata.normalize("NFKC", n).lower() for n in nicknames}, key=len, reverse=True)
    return re.compile("|".join(_name_regex(n) for n in names))


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
    return sid, caller.sub(" ", light)


class Pipeline:
    def __init__(
        self,
        characters: CharacterStore,
        store,
        layer2: Layer2,
        *,
        admins: frozenset[str] = frozenset(),
        commands=None,
        rng: random.Random | None = None,
        tz=None,
    ):
        self.characters = characters
        self.store = store
        self.layer2 = layer2
        self.admins = admins
        self.commands = commands
        self.rng = rng or random.Random()
        self.tz = tz

    # --- helpers ---------------------------------------------------------------------------
    def _fill(self, line: str, user: UserState, persona, now: datetime) -> str:
        name = user.display_name or persona.address
        return line.replace("{name}", name).replace("{band}", time_word(now))

    def choose(self, user: UserState, sister: str, key: str, options: list[str]) -> tuple[int, tuple]:
        used = self.store.used_variations(user.user_id, sister, key)
        idx, used = pick_variation(len(options), used, self.rng)
        return idx, (sister, key, ",".join(map(str, used)))

    def line(self, user: UserState, sister: str, key: str, now: datetime) -> tuple[str, tuple]:
        """One of the sister's fixed persona lines (welcome, fallback, ...), without repeats."""
        persona = self.characters.current.persona(sister)
        options = getattr(persona.lines, key)
        idx, var = self.choose(user, sister, f"lines:{key}", options)
        return self._fill(options[idx], user, persona, now), var

    def reply(
        self, user: UserState, sister: str, text: str, layer: str, *, quick_reply: bool = False, **ledger
    ) -> Decision:
        return Decision(
            messages=[Outgoing(sister, text, quick_reply)],
            ledger=LedgerEntry(user.user_id, sister, layer, **ledger),
        )

    def is_admin(self, user_id: str) -> bool:
        return user_id in self.admins

    # --- text: the main path -----------------------------------------------------------------
    def on_text(self, turn: Turn, on_slow: Callable[[], None] = lambda: None) -> Decision:
        started = time.perf_counter()
        chars = self.characters.current
        user = self.store.user(turn.user_id)
        if turn.display_name and not user.display_name:
            user = UserState(user.user_id, user.sister, user.messages, turn.display_name, user.switched_at)
        if user.sister not in chars.sisters:
            user = UserState(user.user_id, DEFAULT_SISTER, user.messages, user.display_name, user.switched_at)
        band = time_band(turn.now)
        text = turn.text.strip()

        called, rest_raw = called_sister(text, chars)
        if turn.chat == "group" and not (called or turn.mentioned):
            return Decision()  # in groups the sisters speak when spoken to
        if text.startswith("/") and self.commands is not None:
            decision = self.commands.run(self, turn, user, band)
            return self._finish(decision, started)

        norm = normalize(text)
        rest = normalize(rest_raw).text if called else norm.text
        switched = bool(called and called != user.sister)
        sister = called or user.sister
        new_user = UserState(
            user.user_id,
            sister,
            user.messages + 1,
            user.display_name,
            turn.now.timestamp() if switched else user.switched_at,
        )
        persona = chars.persona(sister)

        kind = safety.classify(norm.text, chars.safety)
        if kind is not None:
            decision = self._safety(kind, user, sister, turn.now)
            decision.user = new_user
            return self._finish(decision, started)

        if called and not rest:  # just her name: she answers the call
            text_line, var = self.line(user, sister, "switched", turn.now)
            decision = self.reply(
                user, sister, text_line, "layer1", pattern=f"{sister}:called", quick_reply=switched
            )
            decision.variation = var
        else:
            after = recall.after_for(self.store, chars, user.user_id, sister, turn.now.timestamp())
            ctx = Context(band=band, first_visit=user.first_visit, chat=turn.chat, after=after)
            match = chars.matchers[sister].match(rest, norm.question, ctx)
            if match is not None:
                pattern = match.pattern
                idx, var = self.choose(user, sister, pattern.id, pattern.replies)
                decision = self.reply(
                    user,
                    sister,
                    self._fill(pattern.replies[idx], user, persona, turn.now),
                    "layer1",
                    pattern=f"{sister}:{pattern.id}",
                )
                decision.variation = var
            else:
                decision = self._layer2(turn, user, persona, switched, rest, on_slow)
        decision.user = new_user
        if decision.ledger and decision.ledger.layer in ("layer1", "layer2", "fallback"):
            decision.history = [(sister, "user", text), (sister, "assistant", decision.text)]
        return self._finish(decision, started)

    def _safety(self, kind: str, user: UserState, sister: str, now: datetime) -> Decision:
        chars = self.characters.current
        if kind == safety.CRISIS:
            persona = chars.persona(sister)
            text = safety.crisis_reply(chars.safety, sister, user.display_name or persona.address)
            return self.reply(user, sister, text, "safety", pattern="safety:crisis")
        key = "refuse_sexual" if kind == safety.SEXUAL else "deflect_personal"
        text, var = self.line(user, sister, key, now)
        decision = self.reply(user, sister, text, "safety", pattern=f"safety:{kind}")
        decision.variation = var
        return decision

    def _layer2(
        self, turn: Turn, user: UserState, persona, switched: bool, normalized: str, on_slow
    ) -> Decision:
        window = self.layer2.cfg.router_for(persona.id).switched_within_seconds
        recently = user.switched_at is not None and turn.now.timestamp() - user.switched_at < window
        result = self.layer2.answer(
            persona=persona,
            user=user,
            text=turn.text.strip(),
            now=turn.now,
            switched=switched or recently,
            on_slow=on_slow,
            time_left=turn.time_left,
        )
        route = result.route
        ledger = dict(
            model=result.model,
            tier=route.tier if route and result.model else None,
            score=route.score if route else None,
            prompt_tokens=result.prompt_tokens,
            completion_tokens=result.completion_tokens,
            yen=result.yen,
            strong_yen=result.strong_yen,
            guard=result.guard,
        )
        if safety.has_personal_data(turn.text):
            normalized = None  # never kept, never learned from, never shown in a report
        if result.text is not None:
            decision = self.reply(
                user, persona.id, result.text, "layer2", normalized=normalized, reply=result.text, **ledger
            )
        else:
            line, var = self.line(user, persona.id, result.lines, turn.now)
            decision = self.reply(
                user,
                persona.id,
                line,
                "fallback",
                pattern=f"lines:{result.lines}",
                normalized=normalized,
                **ledger,
            )
            decision.variation = var
        decision.notices = [(admin, n) for n in result.notices for admin in sorted(self.admins)]
        return decision

    @staticmethod
    def _finish(decision: Decision, started: float) -> Decision:
        """Record how long the decision took, model calls included."""
        if decision.ledger is not None:
            decision.ledger.latency_ms = (time.perf_counter() - started) * 1000
        return decision

    # --- other events --------------------------------------------------------------------------
    def fixed_line(
        self,
        turn: Turn,
        key: str,
        *,
        quick_reply: bool = False,
        sister: str | None = None,
        layer: str = "event",
    ) -> Decision:
        """A sister's fixed line for an event (sticker, media, welcome, join)."""
        user = self.store.user(turn.user_id)
        sister = sister or user.sister
        if sister not in self.characters.current.sisters:
            sister = DEFAULT_SISTER
        text, var = self.line(user, sister, key, turn.now)
        decision = self.reply(user, sister, text, layer, pattern=f"lines:{key}", quick_reply=quick_reply)
        decision.variation = var
        return decision

    def switch(self, turn: Turn, sister: str) -> Decision:
        """Postback, quick reply or /command: make ``sister`` this user's current sister."""
        user = self.store.user(turn.user_id)
        decision = self.fixed_line(turn, "switched", sister=sister, layer="command")
        decision.user = UserState(
            user.user_id, sister, user.messages, user.display_name, turn.now.timestamp()
        )
        return decision
