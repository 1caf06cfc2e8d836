"""The report's adaptive section: compute saved, and how and when each rule stopped."""

from __future__ import annotations

from typing import Any

from evalspec.gate.adaptive import AdaptiveAccount, AdaptiveRule
from evalspec.report.format import interval

STOPPED = {
    "PASS": "✅ decided PASS",
    "FAIL": "❌ decided FAIL",
    "BUDGET": "⚠️ budget reached",
    "CONTINUE": "⚠️ stopped undecided",
}


def adaptive_section(account: AdaptiveAccount | None) -> dict[str, Any] | None:
    """The template's `adaptive` block: a summary line, one row per rule, notes per unit."""
    if account is None:
        return None
    return {
        "summary": summary_line(account),
        "rules": [_rule(rule) for rule in account.rules],
        "notes": [
            f"{unit.unit_id}: {'; '.join([unit.stopped, *unit.notes])}"
            for unit in account.units
            if unit.notes or not any(rule.unit_id == unit.unit_id for rule in account.rules)
        ],
    }


def summary_line(account: AdaptiveAccount) -> str:
    """E.g. "80 of 300 samples of the budget used (27%): 73% of the compute saved; ..."."""
    used, budget = account.samples_used, account.budget_samples
    share = f" ({used / budget:.0%})" if budget else ""
    reused = f", {account.reused} reused from the response cache" if account.reused else ""
    return (
        f"{used} of {budget} samples of the budget used{share}: "
        f"**{account.saved:.0%} of the compute saved**; "
        f"{account.generated} outputs generated{reused}"
    )


def _rule(rule: AdaptiveRule) -> dict[str, str]:
    # the reason repeats "decided PASS after n of N ...": keep what follows the first colon
    evidence = rule.reason.split(": ", 1)[1] if ": " in rule.reason else rule.reason
    stopped = STOPPED.get(rule.state, rule.state)
    return {
        "unit": rule.unit_id,
        "metric": rule.metric,
        "max_drop": f"{rule.max_drop:g}",
        "used": f"{rule.n_used} / {rule.budget_n} {rule.units}",
        "interval": f"{interval(rule.low, rule.high)} ({rule.confidence:.0%}, {rule.test})",
        "stopped": f"{stopped}: {evidence}",
    }
