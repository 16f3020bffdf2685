"""The admin tools behind the admin commands (``core.ports.AdminTools``): reload, learning, reports."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import Engine

from botan_line.characters.loader import CharacterSet, CharacterStore
from botan_line.config import BotConfig
from botan_line.core import stats
from botan_line.core.model import Approve, Reject
from botan_line.core.ports import Candidate
from botan_line.errors import LearningError
from botan_line.storage import learned
from botan_line.storage.store import ledger_rows

log = logging.getLogger(__name__)

MINE_SECONDS = 120.0  # the longest /candidates waits for mining


class AdminTools:
    def __init__(self, engine: Engine, characters: CharacterStore, cfg: BotConfig, layer2_enabled: bool):
        self.engine = engine
        self.characters = characters
        self.cfg = cfg
        self.layer2_enabled = layer2_enabled

    def reload(self) -> tuple[list[str] | None, CharacterSet]:
        return self.characters.reload(), self.characters.current

    def candidates(self, limit: int, time_left: float | None = None) -> tuple[list[Candidate], bool]:
        """Mine fresh candidates in a child process (the morphological dictionary never stays in a
        worker), then the open ones, most asked first. False when mining failed or ran out of time."""
        cfg = self.cfg.learning
        timeout = MINE_SECONDS if time_left is None else max(1.0, min(MINE_SECONDS, time_left - 3.0))
        try:
            mine_in_child(self.engine, self.characters, min_users=cfg.min_distinct_users,
                          max_replies=cfg.max_replies_per_candidate, timeout=timeout)  # fmt: skip
            mined = True
        except LearningError:
            mined = False
        return learned.open_candidates(self.engine, limit=limit), mined

    def approval(self, candidate_id: int, admin: str, replies: list[str] | None, add: bool) -> Approve:
        with self.engine.connect() as conn:
            return learned.plan_approval(conn, self.characters, candidate_id, admin, replies=replies, add=add)

    def rejection(self, candidate_id: int, admin: str) -> Reject:
        with self.engine.connect() as conn:
            return learned.plan_rejection(conn, candidate_id, admin)

    def learn(self, sister: str, trigger: str, replies: list[str], admin: str) -> str:
        return learned.learn(self.engine, self.characters, sister, trigger, replies, admin)

    def report(self, period: str, now: datetime) -> stats.Report:
        return report(self.engine, self.cfg, self.characters.current, period, now)


def report(
    engine: Engine, cfg: BotConfig, chars: CharacterSet | None, period: str, now: datetime
) -> stats.Report:
    """The cost report for a period ('today', 'week', 'month' or 'YYYY-MM')."""
    since, until, label = stats.period_bounds(period, now)
    rows = ledger_rows(engine, since, until + stats.FOLLOWUP_SECONDS)
    order = list(chars.sisters) if chars is not None else ()
    return stats.build_report(rows, cfg=cfg, since=since, until=until, label=label, order=order)


def mine_in_child(
    engine: Engine, store: CharacterStore, *, min_users: int, max_replies: int, timeout: float = 120.0
) -> int:
    """``mine`` in a short-lived process, so the morphological dictionary never stays in a worker.
    Raises LearningError when it fails or takes longer than ``timeout`` seconds (it is killed)."""
    import os
    import subprocess
    import sys

    env = dict(
        os.environ,
        BOTAN_DATABASE_URL=engine.url.render_as_string(hide_password=False),
        BOTAN_CHARACTERS_DIR=str(store.root),
    )
    command = [sys.executable, "-m", "botan_line", "learned", "mine",
               "--min-users", str(min_users), "--max-replies", str(max_replies)]  # fmt: skip
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        log.warning("mining took longer than %.0f s and was stopped", timeout)
        raise LearningError("候補の集計が時間内に終わりませんでした") from None
    if done.returncode != 0:
        log.error("mining failed (exit %s)", done.returncode)
        raise LearningError("候補の集計に失敗しました（ログを確認してください）")
    return int((done.stdout.strip().split() or ["0"])[0])
