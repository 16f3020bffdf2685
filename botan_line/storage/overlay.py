"""Reads for one batch of decisions: the store underneath, this batch's unsaved effects on top.

The fast lane decides many events before it writes them all in one transaction; a fan's second
bubble must still see what the first one changed (the sister they switched to, the variation just
used, what she said last). The overlay answers the core's reads (``core.conversation.Reads``)
that way, and caches what it read, so a batch costs two prefetch queries instead of several reads
per event.
"""

from __future__ import annotations

from collections import Counter, defaultdict

from botan_line.characters.recall import WINDOW_SECONDS, LastReply
from botan_line.core.model import REMEMBERED_LAYERS, Decision, UserState
from botan_line.core.notices import NoticeInfo
from botan_line.storage.effects import KINDS
from botan_line.storage.store import Store


class Overlay:
    def __init__(self, store: Store, now: float | None = None):
        self.store = store
        self.now = now  # the batch's time (epoch seconds): what its fans' last replies are read against
        self._recent: dict[str, tuple[str, LastReply]] | None = None  # read on the first need
        self.users: dict[str, UserState] = {}
        self.variations: dict[tuple[str, str, str], list[int]] = {}
        self._prefetched: set[str] = set()  # users whose variation rows are all in _variations
        self.history_of: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
        self.history_ids: dict[tuple[str, str], list[str | None]] = defaultdict(
            list
        )  # their LINE message ids
        self.unsent: set[str] = set()  # message ids taken back in this batch
        self.forgot: set[str] = set()
        self.states: dict[str, str | None] = {}
        self.calls: Counter[tuple[str, str]] = Counter()
        self._calls_read: dict[tuple[str, str], int] = {}
        self.media: Counter[tuple[str, str]] = Counter()  # photo and voice turns of this batch
        self._media_read: dict[tuple[str, str], int] = {}
        self._tiers_read: dict[str, dict[str, int]] = {}
        self.tiers: Counter[tuple[str, str]] = Counter()
        self.facts_of: dict[str, dict[str, str]] = {}
        self._last: dict[str, tuple[str, LastReply]] = {}  # user → (sister, latest answer of this batch)
        self._remembered: list[NoticeInfo] | None = None

    def prefetch(self, user_ids) -> None:
        """Read the state of every fan in the batch at once."""
        ids = [u for u in dict.fromkeys(user_ids) if u not in self.users]
        if not ids:
            return
        self.users.update(self.store.users(ids))
        for (uid, sister, key), used in self.store.variations(ids).items():
            self.variations.setdefault((uid, sister, key), used)
        self._prefetched.update(ids)

    # --- core.conversation.Reads ---------------------------------------------------------------
    def user(self, user_id: str) -> UserState:
        if user_id not in self.users:
            self.users[user_id] = self.store.user(user_id)
        return self.users[user_id]

    def used_variations(self, user_id: str, sister: str, key: str) -> list[int]:
        found = self.variations.get((user_id, sister, key))
        if found is None and user_id not in self._prefetched:
            found = self.variations[(user_id, sister, key)] = self.store.used_variations(user_id, sister, key)
        return list(found or [])

    def history(self, user_id: str, sister: str, turns: int) -> list[tuple[str, str]]:
        base = [] if user_id in self.forgot else self.store.history(user_id, sister, turns)
        added = zip(self.history_of.get((user_id, sister), []), self.history_ids.get((user_id, sister), []),
                    strict=True)  # fmt: skip
        rows = base + [row for row, mid in added if mid is None or mid not in self.unsent]
        return rows[-turns * 2 :] if turns > 0 else []

    def state(self, key: str) -> str | None:
        if key not in self.states:  # one read per switch per batch (None remembered too)
            self.states[key] = self.store.state(key)
        return self.states[key]

    def spent_yen(self, since: float, until: float) -> float:
        return self.store.spent_yen(since, until)

    def pushes(self, since: float, until: float) -> int:
        return self.store.pushes(since, until)

    def daily_calls(self, user_id: str, day: str) -> int:
        if (user_id, day) not in self._calls_read:
            self._calls_read[(user_id, day)] = self.store.daily_calls(user_id, day)
        return self._calls_read[(user_id, day)] + self.calls[(user_id, day)]

    def daily_media(self, user_id: str, day: str) -> int:
        if (user_id, day) not in self._media_read:
            self._media_read[(user_id, day)] = self.store.daily_media(user_id, day)
        return self._media_read[(user_id, day)] + self.media[(user_id, day)]

    def facts(self, user_id: str) -> dict[str, str]:
        if user_id not in self.facts_of:
            self.facts_of[user_id] = self.store.facts(user_id)
        return dict(self.facts_of[user_id])

    def subscribers(self) -> int:
        return self.store.subscribers()

    def notices(self, limit: int) -> list[NoticeInfo]:
        return self.store.notices(limit)

    def remembered_notices(self, now: float) -> list[NoticeInfo]:
        if self._remembered is None:  # once per batch: every Layer 2 prompt and stream line reads it
            self._remembered = self.store.remembered_notices(now)
        return [n for n in self._remembered if (n.remember_until or 0) > now]

    def tier_calls(self, day: str) -> dict[str, int]:
        if day not in self._tiers_read:  # the day's counts once per batch
            self._tiers_read[day] = dict(self.store.tier_calls(day))
        found = Counter(self._tiers_read[day])
        for (d, tier), n in self.tiers.items():
            if d == day:
                found[tier] += n
        return dict(found)

    def last_reply(self, user_id: str, sister: str) -> LastReply | None:
        found: tuple[str, LastReply] | None
        if user_id in self._last:
            found = self._last[user_id]
        elif self.now is not None and user_id in self._prefetched:
            if self._recent is None:  # a reaction in the batch: every fan's last reply, in two statements
                self._recent = self.store.recent_replies(sorted(self._prefetched), self.now - WINDOW_SECONDS)
            found = self._recent.get(user_id)
        else:
            return self.store.last_reply(user_id, sister)
        return found[1] if found is not None and found[0] == sister else None

    # --- the batch's own writes ----------------------------------------------------------------
    def add(self, decision: Decision, at: float) -> None:
        """A decision of this batch, saved with the batch at ``at`` (epoch seconds): its effects as each
        kind says it is seen (``storage/effects.py``), and her answer as the fan's last reply."""
        entry = decision.ledger
        if entry is not None:  # what the store's last_reply will read once the batch is saved
            text = decision.text if entry.layer in REMEMBERED_LAYERS else ""
            self._last[entry.user_id] = (entry.sister, LastReply(entry.layer, entry.pattern, text, at))
        for effect in decision.effects:
            view = KINDS[type(effect)].view
            if view is not None:
                view(self, effect)
