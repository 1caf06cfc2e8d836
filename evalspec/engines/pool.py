"""The engine pool: load the engine a request names, keep it resident, hand it back.

The pool keeps one engine resident at a time (a GPU holds one model), so a plan
grouped by model loads each model once, and a test session that reuses the pool
loads the built-in model once. An engine that failed is discarded, so the next
request loads it anew.
"""

from __future__ import annotations

from collections.abc import Callable

from evalspec.engines.base import Engine
from evalspec.engines.registry import ENGINES
from evalspec.engines.requests import EngineRequest

Loader = Callable[[EngineRequest], Engine]


def load_engine(request: EngineRequest) -> Engine:
    """Build the engine a request names (loads the model)."""
    return ENGINES[request.engine].load(request)


class EnginePool:
    """Loads engines on demand and keeps the most recent one resident.

    `loader` builds an engine from a request (default: the engine table's); tests
    pass an in-process stand-in to exercise the runner without a model."""

    def __init__(self, loader: Loader = load_engine) -> None:
        self._loader = loader
        self._key: str | None = None
        self._engine: Engine | None = None
        self.loads = 0

    def get(self, request: EngineRequest) -> Engine:
        if self._engine is not None and self._key == request.key:
            return self._engine
        self.close()
        self._engine = self._loader(request)
        self._key = request.key
        self.loads += 1
        return self._engine

    def discard(self, request: EngineRequest) -> None:
        """Close the resident engine if it is the request's (it failed: reload next time)."""
        if self._key == request.key:
            self.close()

    def close(self) -> None:
        engine, self._engine, self._key = self._engine, None, None
        if engine is not None:
            engine.close()


_DEFAULT_POOL: EnginePool | None = None


def default_pool() -> EnginePool:
    """The process-wide pool (the CLI uses it; tests share it across invocations)."""
    global _DEFAULT_POOL
    if _DEFAULT_POOL is None:
        _DEFAULT_POOL = EnginePool()
    return _DEFAULT_POOL
