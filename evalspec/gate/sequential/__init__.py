"""The adaptive gate's decision engine: anytime-valid tests of a margin, seeded orders, looks.

Public API: SequentialRule, Decision, State, Target, decide_all (decision.py);
unit_order, item_order, order_digest, looks, ORDER_METHOD (order.py). The betting
e-processes live in betting.py, the fixed-n fallback in fallback.py.
"""

from __future__ import annotations

from evalspec.gate.sequential.decision import (
    DEFAULT_SEQUENTIAL_SHARE,
    Decision,
    SequentialRule,
    State,
    Target,
    decide_all,
)
from evalspec.gate.sequential.order import (
    ORDER_METHOD,
    item_order,
    looks,
    order_digest,
    unit_order,
)

__all__ = [
    "DEFAULT_SEQUENTIAL_SHARE",
    "ORDER_METHOD",
    "Decision",
    "SequentialRule",
    "State",
    "Target",
    "decide_all",
    "item_order",
    "looks",
    "order_digest",
    "unit_order",
]
