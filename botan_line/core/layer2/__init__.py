"""Layer 2: the current sister answers through a model, on the tier its rules choose.

``layer`` (when and how to call, the call itself), ``tiers`` (every rule that picks cheap or
strong), ``prompt`` (what the model is sent).
"""

from botan_line.core.layer2.layer import BUDGET_KEY, PAUSED_KEY, Layer2, budget, monthly_budget

__all__ = ["BUDGET_KEY", "PAUSED_KEY", "Layer2", "budget", "monthly_budget"]
