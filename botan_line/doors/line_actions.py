"""The worker's LINE side: run a decision's saved actions, count pushes, keep the quota reading.

``LineSide.run`` executes what the core put in ``Decision.actions`` (saved with the outgoing
messages, so a resend after a crash runs them again: a rich-menu link is idempotent, and an
announcement carries a retry key, so LINE accepts it once). ``pushed`` counts every message LINE
counts against the monthly quota and tells the admins once a month when 80% is used.
``refresh`` reads the quota and the follower count from LINE; the worker calls it off the fast
lane, and the core reads the result from the shared state (``core/quota.py``).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import datetime

from botan_line.adapters.line_api import MULTICAST_MAX, SendFailed, retry_key
from botan_line.core import quota
from botan_line.core.model import Announce, Decision, LinkMenu, Notice, NoticeOnce, Outgoing

log = logging.getLogger(__name__)


class LineSide:
    def __init__(self, services, clock: Callable[[], float]):
        self.s = services
        self.clock = clock

    @property
    def settings(self):
        return self.s.settings

    def _local(self, ts: float) -> datetime:
        return datetime.fromtimestamp(ts, self.settings.tz)

    # --- actions ---------------------------------------------------------------------------------
    def run(self, actions, event_id: str) -> list[Notice]:
        """Run each action once; a failure is logged and never stops the others (or the send)."""
        notices: list[Notice] = []
        for action in actions:
            try:
                if isinstance(action, LinkMenu):
                    self.link(action)
                elif isinstance(action, Announce):
                    notices += self.announce(action, event_id)
            except SendFailed as exc:
                log.warning("LINE action %s failed: %s", type(action).__name__, exc.reason)
        return notices

    def link(self, action: LinkMenu) -> None:
        """The fan's rich menu follows their sister (off with BOTAN_RICH_MENU=false; needs a sync)."""
        if not self.settings.rich_menu or self.s.edge is None or not action.user_id.startswith("U"):
            return  # off, no LINE, or a group/room without a user ID (menus belong to users)
        menu = self.s.store.rich_menu_ids().get(action.sister)
        if menu is None:
            log.info("no rich menu for %s yet (run botan-line richmenu sync)", action.sister)
            return
        self.s.edge.link_rich_menu(action.user_id, menu)

    def announce(self, a: Announce, event_id: str) -> list[Notice]:
        """Broadcast (or multicast to ``a.to``) once; the admins hear how it went."""
        edge = self.s.edge
        messages = [Outgoing(a.sister, a.text)]
        admins = sorted(self.settings.admin_user_ids)
        try:
            if a.to:
                for n, i in enumerate(range(0, len(a.to), MULTICAST_MAX)):
                    chunk = list(a.to[i : i + MULTICAST_MAX])
                    key = a.retry_key if n == 0 else str(uuid.uuid5(uuid.UUID(a.retry_key), str(n)))
                    edge.multicast(chunk, messages, key)
                    self.pushed("announce", len(chunk), key, event_id)
            else:
                edge.broadcast(messages, a.retry_key)
                self.pushed("announce", a.recipients, a.retry_key, event_id)
        except SendFailed as exc:
            log.warning("announcement %s not sent: %s", a.announcement, exc.reason)
            return [Notice(admin, f"お知らせを送れませんでした（{exc.reason}）。") for admin in admins]
        self.refresh()  # LINE's own count, now that it has changed
        return []

    # --- counting pushes -------------------------------------------------------------------------
    def pushed(self, kind: str, recipients: int, key: str | None, event_id: str | None) -> None:
        """Count an accepted push; past the notice share of a limited quota, tell the admins once."""
        now = self.clock()
        self.s.store.record_push(kind, recipients, key, event_id, now)
        for notice in self.check(now):
            self.push_notice(notice, f"quota:{now:.0f}")

    def check(self, now: float) -> list[Notice]:
        """The once-a-month notice when the quota is nearly used (a NoticeOnce through the store)."""
        when = self._local(now)
        u = quota.usage(self.s.store, when)
        ratio = self.settings.config.line.quota_notice_ratio
        if u.share is None or u.share < ratio or not self.settings.admin_user_ids:
            return []
        text = (
            f"⚠️ 今月のプッシュ通数が上限の{u.share:.0%}に達しました（{u.used:,} / {u.limit:,}通）。"
            "残りが尽きると、期限切れの返信・お知らせ・管理者への通知が届かなくなります。"
        )
        once = NoticeOnce(
            quota.NOTICE_KEY.format(month=f"{when:%Y-%m}"), text, tuple(sorted(self.settings.admin_user_ids))
        )
        return self.s.store.apply(Decision(effects=[once]), when)

    def push_notice(self, notice: Notice, purpose: str) -> None:
        if self.s.edge is None:
            log.warning("admin notice not sent (no LINE credentials)")
            return
        key = retry_key(purpose, f"notice:{notice.to}")
        try:
            self.s.edge.push(notice.to, [Outgoing("botan", notice.text)], key)
        except SendFailed as exc:
            log.warning("admin notice failed: %s", exc.reason)
            return
        self.s.store.record_push("notice", 1, key, None, self.clock())

    # --- reading LINE ----------------------------------------------------------------------------
    def refresh(self) -> quota.Reading | None:
        """Read the quota, the usage and the follower count from LINE into the shared state."""
        edge = self.s.edge
        if edge is None:
            return None
        now = self.clock()
        when = self._local(now)
        try:
            kind, limit, used = edge.quota()
        except SendFailed as exc:
            log.info("quota not read: %s", exc.reason)
            return None
        yesterday = datetime.fromtimestamp(now - 86400, self.settings.tz)  # today's figure is not ready yet
        counted = edge.followers(f"{yesterday:%Y%m%d}")
        reach = max(0, counted[0] - counted[1]) if counted else None
        reading = quota.Reading(now, f"{when:%Y-%m}", kind, limit, used, reach, self.s.store.active_fans())
        self.s.store.set_state(quota.QUOTA_KEY, reading.to_json())
        for notice in self.check(now):
            self.push_notice(notice, f"quota:{now:.0f}")
        return reading
