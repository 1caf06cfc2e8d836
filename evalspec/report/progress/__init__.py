"""Progress of a run as it goes: live bars on a terminal, throttled plain lines for logs.

Public entry point: `progress_events` (picks the display); the displays are
`LiveProgress` (rich, evalspec.report.progress.live) and `ThrottledLines`
(evalspec.report.progress.plain), both implementations of `evalspec.runner.Events`.
"""

from __future__ import annotations

from evalspec.report.progress.choose import progress_events, progress_interval
from evalspec.report.progress.plain import ThrottledLines, clean

__all__ = ["ThrottledLines", "clean", "progress_events", "progress_interval"]
