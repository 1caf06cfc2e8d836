"""Execute a Plan: the driver (cache, scoring, records) over an executor (engine requests).

Public entry points: `execute`, the `Executor` seam and its `LocalExecutor`, and
`interruptible` (finishes a run that a signal or a write failure stops).
"""

from evalspec.runner.events import Events, Lines
from evalspec.runner.execute import Execution, execute
from evalspec.runner.executor import Executor, GroupSession
from evalspec.runner.interrupts import RunInterrupted, interruptible
from evalspec.runner.local import LocalExecutor

__all__ = [
    "Events",
    "Execution",
    "Executor",
    "GroupSession",
    "Lines",
    "LocalExecutor",
    "RunInterrupted",
    "execute",
    "interruptible",
]
