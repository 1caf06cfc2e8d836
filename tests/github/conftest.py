"""A fake GitHub API server per test, on a free local port."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from fake_github import FakeGitHub, serve


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    fake = FakeGitHub()
    server = serve(fake)
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
