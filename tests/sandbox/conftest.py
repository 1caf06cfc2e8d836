"""Fixtures of the sandbox tests: nothing a sample started outlives its test, the host unchanged."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from sandbox_cases import HostState, host_effects, leftover_processes


@pytest.fixture
def no_leftovers() -> Iterator[None]:
    """After the test: no process of the pools' uids and no child of this process remains
    (children that were there before the test, an earlier test's, are not its own)."""
    before = {p.pid for p in leftover_processes()}
    yield
    deadline = time.monotonic() + 2.0
    while time.monotonic() < deadline:
        left = [p for p in leftover_processes() if p.pid not in before]
        if not left:
            return
        time.sleep(0.05)
    raise AssertionError(f"processes left behind: {left}")


@pytest.fixture
def host_untouched() -> Iterator[HostState]:
    """Hostname and sysctls as they were; no SysV object, /tmp or /dev/shm entry of ours."""
    before = HostState.take()
    yield before
    assert HostState.take() == before
    assert host_effects() == []
