"""Which progress display a run gets: live bars on a terminal, throttled lines elsewhere.

`--quiet`: none (only the report). A terminal (and not `--verbose`, whose engine logs
would tear the bars): the rich live display. Anything else (CI, a pipe, a file,
TERM=dumb, --verbose): plain lines, with a progress line at most every
$EVALSPEC_PROGRESS_INTERVAL_S seconds (default 30).
"""

from __future__ import annotations

import os
from typing import TextIO

from evalspec.envsettings import seconds_from_env
from evalspec.runner.events import Events, Lines

INTERVAL_ENV = "EVALSPEC_PROGRESS_INTERVAL_S"
DEFAULT_INTERVAL_S = 30.0
PREFIX = "evalspec: "


def progress_interval() -> float:
    """$EVALSPEC_PROGRESS_INTERVAL_S (seconds above 0), else 30; anything else is exit 2."""
    return seconds_from_env(INTERVAL_ENV, DEFAULT_INTERVAL_S, "10")


def live_terminal(stream: TextIO) -> bool:
    """True when `stream` is a terminal that can redraw (not TERM=dumb)."""
    try:
        tty = stream.isatty()
    except (OSError, ValueError):
        return False
    return tty and os.environ.get("TERM", "") not in ("dumb", "unknown")


def progress_events(stream: TextIO, *, quiet: bool = False, verbose: bool = False) -> Events:
    """The display for a run whose own output goes to `stream` (the terminal's stderr)."""
    if quiet:
        return Lines(lambda _: None)
    interval_s = progress_interval()  # a bad setting is exit 2 wherever the run goes
    if live_terminal(stream) and not verbose:
        from rich.console import Console

        from evalspec.report.progress.live import LiveProgress

        return LiveProgress(Console(file=stream))
    from evalspec.report.progress.plain import ThrottledLines

    def say(line: str) -> None:
        stream.write(PREFIX + line + "\n")
        stream.flush()

    return ThrottledLines(say, interval_s)
