"""End-to-end fixtures: one engine pool for the whole session (the CLI reuses it in-process)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from evalspec.engines import default_pool


@pytest.fixture(scope="session", autouse=True)
def _close_engines_at_exit() -> Iterator[None]:
    yield
    default_pool().close()
