"""Layer 2: the current sister answers through a model, on the tier its rules choose.

``layer`` (when and how to call, the call itself), ``tiers`` (every rule that picks cheap or
strong), ``budget`` (the month's), ``profiles`` (what each model is sent), ``prompt`` (her fixed part
and the fan's), ``lifecycle`` (which configured model shuts down when).
"""

from botan_line.core.layer2.budget import BUDGET_KEY, budget, monthly_budget
from botan_line.core.layer2.layer import PAUSED_KEY, Layer2

__all__ = ["BUDGET_KEY", "PAUSED_KEY", "Layer2", "budget", "monthly_budget"]
