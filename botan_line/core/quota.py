"""The monthly push quota, as the core may know it: LINE's last reading plus what we pushed since.

Replies are free; push, multicast and broadcast count one message per recipient against the
month's quota (200 on the free plan). The worker reads LINE (``GET /v2/bot/message/quota``,
``/quota/consumption`` and the follower count) off the fast lane and keeps the reading in the
shared state (``QUOTA_KEY``); every push it sends is counted in the ``pushes`` table. The core
combines the two — it never calls LINE itself.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime

from botan_line.clock import month_bounds

QUOTA_KEY = "line_quota"
NOTICE_KEY = "push_quota_notice:{month}"  # NoticeOnce: the admins hear of 80% once a month


@dataclass(frozen=True)
class Reading:
    """What LINE said, when: the quota type and limit, the month's usage, the reachable friends."""

    read_at: float
    month: str  # YYYY-MM the reading belongs to (a new month starts from zero)
    type: str  # limited | none
    limit: int | None
    used: int
    reach: int | None  # friends a broadcast reaches (followers − blocks), None when LINE has no figure
    fans: int = 0  # active one-on-one fans the bot knows (the estimate when reach is None)

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def parse(cls, raw: str | None) -> Reading | None:
        if not raw:
            return None
        try:
            return cls(**json.loads(raw))
        except (ValueError, TypeError):
            return None


@dataclass(frozen=True)
class PushUsage:
    """Pushes this month against the quota."""

    counted: int  # every push this month in our own table
    reading: Reading | None  # LINE's last word this month, None if none yet

    @property
    def used(self) -> int:
        """Our best figure: LINE's count when it was read, plus our pushes since (or ours alone)."""
        return self.reading.used + self._since if self.reading else self.counted

    _since: int = 0

    @property
    def limit(self) -> int | None:
        return self.reading.limit if self.reading and self.reading.type == "limited" else None

    @property
    def remaining(self) -> int | None:
        return None if self.limit is None else max(0, self.limit - self.used)

    @property
    def share(self) -> float | None:
        return self.used / self.limit if self.limit else None

    @property
    def reach(self) -> tuple[int, bool] | None:
        """(recipients of a broadcast, exact?): LINE's figure, else the fans the bot knows."""
        if self.reading is None:
            return None
        if self.reading.reach is not None:
            return self.reading.reach, True
        return self.reading.fans, False


def usage(reads, now: datetime) -> PushUsage:
    """This month's pushes from ``reads`` (``core.conversation.Reads``) and the stored reading."""
    since, until = month_bounds(now)
    counted = reads.pushes(since, until)
    reading = Reading.parse(reads.state(QUOTA_KEY))
    if reading is None or reading.month != f"{now:%Y-%m}":
        return PushUsage(counted, None)
    after = reads.pushes(reading.read_at, until)
    return PushUsage(counted, reading, _since=after)


def line(u: PushUsage) -> str:
    """One Japanese line for reports: 「プッシュ 今月 12通 / 上限 200通（6%）」."""
    if u.reading is None:
        return f"プッシュ 今月 {u.counted:,}通（LINEの上限はまだ読めていません）"
    if u.limit is None:
        return f"プッシュ 今月 {u.used:,}通（上限なし）"
    return f"プッシュ 今月 {u.used:,}通 / 上限 {u.limit:,}通（{u.share:.0%}、残り {u.remaining:,}通）"


def english(u: PushUsage) -> str:
    """The same for the terminal report."""
    if u.reading is None:
        return f"pushes this month: {u.counted:,} (LINE's quota not read yet)"
    if u.limit is None:
        return f"pushes this month: {u.used:,} (no limit)"
    return (
        f"pushes this month: {u.used:,} of {u.limit:,} ({u.share:.0%}, {u.remaining:,} left; "
        "LINE's count when read, plus ours since)"
    )
