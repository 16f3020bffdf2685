"""The worker's LINE side: run a decision's saved actions, send notices, count pushes, read LINE's figures.

``LineSide.run`` executes the actions saved with a decision's outgoing messages (so a resend after a
crash runs them again: a rich-menu link is idempotent, and marking a message read twice changes
nothing). Read receipts go out only once her answer was delivered, and only when the channel's
``markAsReadMode`` is manual (``read_mode``: ``GET /v2/bot/info``, read in the sender pool and kept
for ``line.quota_refresh_minutes``). ``send_notice`` sends a notice the dispatcher claimed, batch by
batch, each with its retry key and marked when LINE accepted it (``storage/notices.py``): a resend
never reaches anyone twice. ``pushed`` counts every message LINE counts against the monthly quota and
tells the admins once a month when 80% is used. ``refresh`` reads the quota and the follower count
from LINE; the worker calls it off the fast lane, and the core reads the result from the shared
state (``core/quota.py``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime

from botan_line.adapters.line_api import SendFailed, retry_key
from botan_line.core import quota
from botan_line.core.model import Decision, LinkMenu, MarkRead, Notice, NoticeOnce, Outgoing
from botan_line.core.notices import FAILED, SENT, NoticeInfo, local_time
from botan_line.storage import notices

log = logging.getLogger(__name__)


class LineSide:
    def __init__(self, services, clock: Callable[[], float]):
        self.s = services
        self.clock = clock
        self._mode: tuple[str | None, float] = (None, float("-inf"))  # markAsReadMode, when read
        self._mode_lock = threading.Lock()

    @property
    def settings(self):
        return self.s.settings

    def _local(self, ts: float) -> datetime:
        return datetime.fromtimestamp(ts, self.settings.tz)

    # --- actions ---------------------------------------------------------------------------------
    def run(self, actions, event_id: str, answered: bool = True) -> list[Notice]:
        """Run each action once; a failure is logged and never stops the others (or the send).
        ``answered``: her answer was delivered (read receipts wait for it)."""
        for action in actions:
            try:
                if isinstance(action, LinkMenu):
                    self.link(action)
                elif isinstance(action, MarkRead) and answered:
                    self.mark_read(action)
            except SendFailed as exc:
                log.warning("LINE action %s failed: %s", type(action).__name__, exc.reason)
        return []

    def link(self, action: LinkMenu) -> None:
        """The fan's rich menu follows their sister (off with BOTAN_RICH_MENU=false; needs a sync)."""
        if not self.settings.rich_menu or self.s.edge is None or not action.user_id.startswith("U"):
            return  # off, no LINE, or a group/room without a user ID (menus belong to users)
        menu = self.s.store.rich_menu_ids().get(action.sister)
        if menu is None:
            log.info("no rich menu for %s yet (run botan-line richmenu sync)", action.sister)
            return
        self.s.edge.link_rich_menu(action.user_id, menu)

    def mark_read(self, action: MarkRead) -> None:
        """Each message she answered, oldest first, with its own token — when the channel reads manually."""
        if self.s.edge is None or self.read_mode() != "manual":
            return  # auto: LINE marked everything read on arrival already
        for token in action.tokens:
            self.s.edge.mark_read(token)

    def read_mode(self) -> str | None:
        """The channel's markAsReadMode, read at most every ``line.quota_refresh_minutes`` (None: unknown)."""
        ttl = 60 * self.settings.config.line.quota_refresh_minutes
        with self._mode_lock:
            mode, read_at = self._mode
            now = self.clock()
            if self.s.edge is None or now - read_at < ttl:
                return mode
            try:
                mode = self.s.edge.read_mode()
            except SendFailed as exc:
                log.info("read mode not known: %s", exc.reason)  # tried again after the same wait
            self._mode = (mode, now)
            return mode

    # --- notices -----------------------------------------------------------------------------------
    def send_notice(self, claimed: notices.Claimed) -> None:
        """Send a claimed notice's batches not yet accepted, each once (its retry key); then the sisters
        remember it. A failure LINE will not change its mind about (4xx but 429) fails it and tells the
        admins; any other is tried again after the lease, while the grace lasts."""
        edge = self.s.edge
        n = claimed.notice
        if edge is None:
            return
        messages = [Outgoing(n.sister, n.text)]
        for batch in claimed.pending:
            try:
                if batch.user_ids is None:
                    edge.broadcast(messages, batch.retry_key)
                else:
                    edge.multicast(list(batch.user_ids), messages, batch.retry_key)
            except SendFailed as exc:
                lasting = _lasting(exc.reason)
                log.warning("notice #%d batch %d not sent: %s", n.id, batch.n, exc.reason)
                notices.finish(
                    self.s.engine, n.id, FAILED if lasting else "retry", self.clock(), error=exc.reason
                )
                if lasting:
                    self.tell_admins(
                        f"⚠️ お知らせ #{n.id} を送れませんでした（{exc.reason}）。", f"notice-failed:{n.id}"
                    )
                return
            notices.batch_sent(self.s.engine, n.id, batch.n, self.clock())
            self.pushed("announce", batch.recipients, batch.retry_key, f"notice:{n.id}")
        hours = self.settings.config.line.notice_memory_hours
        notices.finish(self.s.engine, n.id, SENT, self.clock(), remember_seconds=3600 * hours)
        log.info("notice #%d sent", n.id)
        self.refresh()  # LINE's own count, now that it has changed

    def notice_dropped(self, n: NoticeInfo) -> None:
        """Its time passed longer than the grace ago while nobody could send it: the admins hear why."""
        grace = self.settings.config.line.notice_grace_minutes
        when = local_time(n.due_at, self.settings.tz)
        why = f"送ろうとしても失敗が続いた（{n.error}）" if n.error else "ボットが止まっていた"
        text = (
            f"⚠️ {when}のお知らせ #{n.id} は、{why}まま{grace:g}分以上過ぎたので送りませんでした。"
            "必要なら /announce でもう一度送ってください。"
        )
        self.tell_admins(text, f"notice-dropped:{n.id}")

    def tell_admins(self, text: str, purpose: str) -> None:
        for admin in sorted(self.settings.admin_user_ids):
            self.push_notice(Notice(admin, text), purpose)

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


def _lasting(reason: str) -> bool:
    """A refusal LINE will repeat (a 4xx other than 429); timeouts, 429 and 5xx may pass."""
    code = reason.rsplit("_", 1)[-1]
    return code.isdigit() and 400 <= int(code) < 500 and code != "429"
