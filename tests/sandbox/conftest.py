"""Fixture of the sandbox tests: nothing a sample started outlives its test."""

from __future__ import annotations

import time
from collections.abc import Iterator

import psutil
import pytest
from sandbox_cases import sandbox_processes


@pytest.fixture
def no_leftovers() -> Iterator[None]:
    """After the test: no child of the test process and no sandbox process remains."""
    yield
    deadline = time.monotonic() + 2.0
    while time.monotonic() < deadline:
        children = [c for c in psutil.Process().children(recursive=True) if c.is_running()]
        left = sandbox_processes()
        if not children and not left:
            return
        time.sleep(0.05)
    raise AssertionError(f"processes left behind: children={children} sandbox={left}")
