"""What a run reports while it goes: the events a progress display listens to.

The driver calls an `Events` object at each step: a message, a unit starting (with how
many outputs it needs), outputs arriving (from the cache or the engine, with the tokens
and time they cost), a unit finishing (its result and perf). `Lines` turns them into
plain log lines for a callable (the CLI's stderr, CI logs); a live terminal display
implements the same protocol. Implementations must be cheap and must not raise.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from evalspec.monitor import Sampler
from evalspec.monitor.perf import UnitPerf
from evalspec.plan import Plan
from evalspec.scoring.results import UnitResult


class Events(Protocol):
    def message(self, text: str) -> None:
        """A line worth telling the operator (loading a model, a warning)."""
        ...

    def run_started(self, plan: Plan, sampler: Sampler) -> None:
        """Before the first unit; the sampler's ticks are the live resource readings."""
        ...

    def unit_started(self, unit_id: str, outputs: int) -> None:
        """A unit begins: it needs `outputs` outputs (cached or generated)."""
        ...

    def outputs_done(
        self, unit_id: str, count: int, *, cached: bool, completion_tokens: int, wall_s: float
    ) -> None:
        """`count` more outputs of the unit are in (from the cache, or a chunk the engine
        generated in wall_s seconds with completion_tokens tokens)."""
        ...

    def unit_finished(self, unit_id: str, result: UnitResult, perf: UnitPerf | None) -> None:
        """The unit is scored (or failed: result.error)."""
        ...

    def run_finished(self) -> None: ...


class Lines:
    """Events as plain lines to `say` (no control characters): messages and one summary
    line per finished unit."""

    def __init__(self, say: Callable[[str], None]) -> None:
        self._say = say

    def message(self, text: str) -> None:
        self._say(text)

    def run_started(self, plan: Plan, sampler: Sampler) -> None:
        return None

    def unit_started(self, unit_id: str, outputs: int) -> None:
        return None

    def outputs_done(
        self, unit_id: str, count: int, *, cached: bool, completion_tokens: int, wall_s: float
    ) -> None:
        return None

    def unit_finished(self, unit_id: str, result: UnitResult, perf: UnitPerf | None) -> None:
        self._say(unit_line(unit_id, result, perf))

    def run_finished(self) -> None:
        return None


def unit_line(unit_id: str, result: UnitResult, perf: UnitPerf | None) -> str:
    """One line for a finished unit: its first metric, or its error, and how it ran."""
    if result.error is not None:
        return f"{unit_id}: ERROR {result.error}"
    name, metric = next(iter(result.metrics.items()), ("", None))
    score = f"{name} {metric.value:.3f} ± {metric.stderr:.3f} (n={metric.n})" if metric else ""
    if perf is None or perf.cached:
        how = "all outputs cached"
    else:
        rate = f", {perf.tokens_per_s:g} tok/s" if perf.tokens_per_s is not None else ""
        cached = f", {perf.cached_outputs} cached" if perf.cached_outputs else ""
        how = f"{perf.measured_outputs} generated in {perf.wall_s or 0:g} s{rate}{cached}"
    return f"{unit_id}: {score} — {how}"
