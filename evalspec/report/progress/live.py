"""Progress on a terminal: a rich live display of the run, redrawn a few times a second.

One bar per running unit (outputs done/total, tokens/s, ETA), a bar for the run's
units, and the latest monitor reading (GPU utilisation and memory per GPU, else CPU and
RSS). Messages and one summary line per finished unit print above the bars, so what
stays on screen is the run's log; the bars vanish when the run ends. The display never
takes over sys.stdout or sys.stderr: engine output stays where the capture sent it.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.progress import (
    BarColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    Task,
    TaskID,
    TextColumn,
)
from rich.table import Column
from rich.text import Text

from evalspec.monitor import Sampler
from evalspec.monitor.perf import UnitPerf
from evalspec.plan import Plan
from evalspec.report.progress.tracker import RunProgress, duration, resources, run_summary
from evalspec.runner.events import unit_line
from evalspec.scoring.results import UnitResult

REFRESH_PER_S = 4
RUN_ROW = "run"


class _Status(ProgressColumn):
    """The unit's rate and countdown, computed at each redraw."""

    def __init__(self, state: RunProgress) -> None:
        super().__init__(table_column=Column(no_wrap=True, overflow="ellipsis"))
        self._state = state

    def render(self, task: Task) -> Text:
        unit = self._state.units.get(task.fields.get("unit", ""))
        if unit is None:  # the run's row
            state = self._state
            return Text(
                f"{state.finished}/{state.planned} units, {duration(state.elapsed_s())}",
                style="dim",
            )
        return Text(self._state.unit_status(unit), style="cyan")


class _Resources:
    """The latest monitor tick, read at each redraw."""

    def __init__(self, state: RunProgress) -> None:
        self._state = state

    def __rich__(self) -> RenderableType:
        text = resources(self._state.latest_tick())
        return Text(f"  {text}" if text else "", style="dim")


class LiveProgress:
    """Events as a live terminal display on `console` (a terminal)."""

    def __init__(self, console: Console) -> None:
        self._console = console
        self._state = RunProgress()
        self._bars = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(bar_width=24),
            _Status(self._state),
            console=console,
        )
        self._tasks: dict[str, TaskID] = {}
        self._live: Live | None = None

    def message(self, text: str) -> None:
        self._print(Text(f"evalspec: {text}", style="dim"))

    def run_started(self, plan: Plan, sampler: Sampler) -> None:
        self._state.start(plan, sampler)
        self._tasks[RUN_ROW] = self._bars.add_task(plan.spec_name, total=len(plan.units))
        self._live = Live(
            Group(self._bars, _Resources(self._state)),
            console=self._console,
            refresh_per_second=REFRESH_PER_S,
            transient=True,
            redirect_stdout=False,
            redirect_stderr=False,
        )
        self._live.start()

    def unit_started(self, unit_id: str, outputs: int) -> None:
        self._state.begin(unit_id, outputs)
        self._tasks[unit_id] = self._bars.add_task(f"  {unit_id}", total=outputs, unit=unit_id)

    def outputs_done(
        self, unit_id: str, count: int, *, cached: bool, completion_tokens: int, wall_s: float
    ) -> None:
        unit = self._state.add(
            unit_id, count, cached=cached, completion_tokens=completion_tokens, wall_s=wall_s
        )
        task = self._tasks.get(unit_id)
        if task is not None:
            self._bars.update(task, completed=unit.done)

    def unit_finished(self, unit_id: str, result: UnitResult, perf: UnitPerf | None) -> None:
        self._state.finish(unit_id, result.error is not None)
        task = self._tasks.pop(unit_id, None)
        if task is not None:
            self._bars.remove_task(task)
        self._bars.update(self._tasks[RUN_ROW], completed=self._state.finished)
        ok = result.error is None
        line = Text("✓ " if ok else "✗ ", style="green" if ok else "bold red")
        line.append(unit_line(unit_id, result, perf), style=None if ok else "red")
        self._print(line)

    def run_finished(self) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None
        self._print(Text(f"evalspec: done: {run_summary(self._state)}", style="bold"))

    def _print(self, renderable: Any) -> None:
        try:
            self._console.print(renderable, highlight=False, soft_wrap=True)
        except (OSError, ValueError):  # a closed terminal must not stop the run
            return
