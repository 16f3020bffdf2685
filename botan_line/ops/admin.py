"""The admin tools behind the admin commands (``core.commands.AdminTools``): reload, learning, reports."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine

from botan_line.characters.loader import CharacterSet, CharacterStore
from botan_line.config import BotConfig
from botan_line.ops import learning, stats
from botan_line.storage.store import ledger_rows


class AdminTools:
    def __init__(self, engine: Engine, characters: CharacterStore, cfg: BotConfig, layer2_enabled: bool):
        self.engine = engine
        self.characters = characters
        self.cfg = cfg
        self.layer2_enabled = layer2_enabled

    def reload(self) -> tuple[list[str] | None, CharacterSet]:
        return self.characters.reload(), self.characters.current

    def candidates(self, limit: int) -> list[learning.Candidate]:
        """Mine fresh candidates, then the open ones, most asked first."""
        cfg = self.cfg.learning
        learning.mine(self.engine, self.characters, min_users=cfg.min_distinct_users,
                      max_replies=cfg.max_replies_per_candidate)  # fmt: skip
        return learning.open_candidates(self.engine, limit=limit)

    def approve(self, candidate_id: int, admin: str) -> None:
        learning.approve(self.engine, self.characters, candidate_id, admin)

    def reject(self, candidate_id: int, admin: str) -> None:
        learning.reject(self.engine, candidate_id, admin)

    def learn(self, sister: str, trigger: str, replies: list[str], admin: str) -> str:
        return learning.learn(self.engine, self.characters, sister, trigger, replies, admin)

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
