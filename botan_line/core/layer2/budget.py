"""The month's Layer 2 budget: what an admin set (``/budget``) or the configuration says, and what is spent.

Past the soft limit every call goes to the cheap tier (``tiers.first_tier``); at the hard limit Layer 2
stops and the sisters answer from Layer 1 and their fixed lines (DESIGN §6).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from botan_line.clock import month_bounds
from botan_line.config import BotConfig
from botan_line.core.ports import Reads

BUDGET_KEY = "budget_monthly_yen"


@dataclass(frozen=True)
class Budget:
    monthly: float
    spent: float
    soft_ratio: float

    @property
    def stopped(self) -> bool:
        return self.monthly <= 0 or self.spent >= self.monthly

    @property
    def soft(self) -> bool:
        return self.spent >= self.monthly * self.soft_ratio


def monthly_budget(reads: Reads, cfg: BotConfig) -> float:
    """The budget an admin set with /budget, else the configured one."""
    raw = reads.state(BUDGET_KEY)
    try:
        value = float(raw) if raw else None
    except ValueError:
        value = None
    return value if value is not None and math.isfinite(value) and value >= 0 else cfg.budget.monthly_yen


def budget(reads: Reads, cfg: BotConfig, now) -> Budget:
    return Budget(monthly_budget(reads, cfg), reads.spent_yen(*month_bounds(now)), cfg.budget.soft_ratio)
