"""Progress for logs (CI, a pipe, --verbose): plain lines, no control characters, throttled.

Messages and one line per finished unit are written at once; how far the current unit
is (outputs done, tokens/s, ETA, resources) at most every `interval_s` seconds: when a
chunk arrives, or from a heartbeat thread while a long chunk keeps the engine busy, so
a CI log shows the run is alive without scrolling. Every line is cleaned of terminal
escapes and control characters (an engine error may carry colour codes).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable

from evalspec.monitor import Sampler
from evalspec.monitor.perf import UnitPerf
from evalspec.plan import Plan
from evalspec.report.progress.tracker import RunProgress, resources, run_summary
from evalspec.runner.events import unit_line
from evalspec.scoring.results import UnitResult

_ESCAPES = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[@-Z\\-_])")
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean(text: str) -> list[str]:
    """The text as plain lines: escape sequences and control characters removed."""
    text = _CONTROLS.sub("", _ESCAPES.sub("", text.replace("\t", " ")))
    return text.splitlines() or [""]


class ThrottledLines:
    """Events as plain lines to `say`, a progress line at most every `interval_s` seconds."""

    def __init__(
        self,
        say: Callable[[str], None],
        interval_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._say = say
        self._interval_s = interval_s
        self._state = RunProgress(clock=clock)
        self._clock = clock
        self._last = clock()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def message(self, text: str) -> None:
        self._write(text)

    def run_started(self, plan: Plan, sampler: Sampler) -> None:
        with self._lock:
            self._state.start(plan, sampler)
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._heartbeat, name="evalspec-progress", daemon=True
        )
        self._thread.start()

    def unit_started(self, unit_id: str, outputs: int) -> None:
        with self._lock:
            self._state.begin(unit_id, outputs)

    def outputs_done(
        self, unit_id: str, count: int, *, cached: bool, completion_tokens: int, wall_s: float
    ) -> None:
        with self._lock:
            self._state.add(
                unit_id, count, cached=cached, completion_tokens=completion_tokens, wall_s=wall_s
            )
        self._progress_line()

    def unit_finished(self, unit_id: str, result: UnitResult, perf: UnitPerf | None) -> None:
        with self._lock:
            self._state.finish(unit_id, result.error is not None)
            position = f"[{self._state.finished}/{self._state.planned}] "
        self._write(position + unit_line(unit_id, result, perf))

    def run_finished(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        with self._lock:
            summary = run_summary(self._state)
        self._write(f"done: {summary}")

    def _heartbeat(self) -> None:
        while not self._stop.wait(min(self._interval_s, 1.0)):
            self._progress_line()

    def _progress_line(self) -> None:
        with self._lock:
            if self._clock() - self._last < self._interval_s:
                return
            state = self._state
            unit = state.units.get(state.current) if state.current is not None else None
            if unit is None:
                return
            where = f"[{state.finished + 1}/{state.planned}] {unit.unit_id}: "
            line = where + state.unit_status(unit)
            tick = resources(state.latest_tick())
        self._write(f"{line} · {tick}" if tick else line)

    def _write(self, text: str) -> None:
        with self._lock:
            self._last = self._clock()
            for line in clean(text):
                try:
                    self._say(line)
                except (OSError, ValueError):  # a closed stream must not stop the run
                    return
