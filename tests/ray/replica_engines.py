"""Engine loaders for the Ray tests: they run inside the replica actors.

`LoggedLoader` wraps an engine (the in-process stand-in, or the real vLLM engine)
so that every prompt a replica generates is appended to a log file (pid, request),
which the test reads to see what ran where and that no finished shard ran twice. It
can also make one replica die inside a shard (`os._exit`, once: a marker file says
it happened), refuse to load, raise inside the engine once, or stall a shard.
Ray pickles this module by value (the conftest registers it), so the actors need
not import it from the tests directory.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fake_engine import FakeEngine

from evalspec.engines import BatchStats, Completion, Engine, EngineRequest, Prompt
from evalspec.errors import InfraError
from evalspec.spec.models import AdapterSpec, GenerationSpec


@dataclass(frozen=True)
class Faults:
    exit_on_call: int | None = None  # the n-th generate call (1-based) of one replica exits
    raise_on_call: int | None = None  # ... or raises (the engine "dies" inside a live actor)
    stall_on_call: int | None = None  # ... or sleeps `stall_s` (a shard past its timeout)
    stall_s: float = 0.0
    marker: Path | None = None  # the fault happens once per test: this file says it did
    cannot_load: str | None = None  # a model id whose engine refuses to load


@dataclass(frozen=True)
class LoggedLoader:
    log: Path
    real: bool = False  # the real engine table's engine (vLLM), else the stand-in
    delay_s: float = 0.0  # per generate call, so a test can act mid-run
    faults: Faults = Faults()

    def __call__(self, request: EngineRequest) -> Engine:
        if self.faults.cannot_load == request.model_id:
            raise InfraError(f"vLLM could not load {request.model_id}: no such weights")
        if self.real:
            from evalspec.engines.pool import load_engine

            inner: Any = load_engine(request)
        else:
            inner = FakeEngine()
        return LoggedEngine(inner, self, request.model_id)  # type: ignore[return-value]


class LoggedEngine:
    def __init__(self, inner: Any, loader: LoggedLoader, model_id: str) -> None:
        self.inner, self.loader, self.model_id, self.calls = inner, loader, model_id, 0
        self.load_s = getattr(inner, "load_s", 0.0)

    def generate(
        self,
        prompts: Sequence[Prompt],
        params: GenerationSpec,
        adapter: AdapterSpec | None = None,
        seeds: Sequence[int | None] | None = None,
    ) -> tuple[list[Completion], BatchStats]:
        self.calls += 1
        self._fault()
        time.sleep(self.loader.delay_s)
        out = self.inner.generate(prompts, params, adapter, seeds)
        seeds = list(seeds) if seeds is not None else [params.seed] * len(prompts)
        self._log([json.dumps([self.model_id, p, s]) for p, s in zip(prompts, seeds, strict=True)])
        return out  # type: ignore[no-any-return]

    def loglikelihood(
        self, pairs: Sequence[tuple[str, str]], adapter: AdapterSpec | None = None
    ) -> list[float]:
        self.calls += 1
        self._fault()
        values = self.inner.loglikelihood(pairs, adapter)
        self._log([json.dumps([self.model_id, p]) for p in pairs])
        return values  # type: ignore[no-any-return]

    def fingerprint(self) -> dict[str, Any]:
        return self.inner.fingerprint()  # type: ignore[no-any-return]

    def close(self) -> None:
        self.inner.close()

    def _fault(self) -> None:
        faults = self.loader.faults
        if faults.marker is not None and faults.marker.exists():
            return
        for call, what in (
            (faults.exit_on_call, "exit"),
            (faults.raise_on_call, "raise"),
            (faults.stall_on_call, "stall"),
        ):
            if call == self.calls:
                if faults.marker is not None:
                    faults.marker.write_text(f"{what} {os.getpid()}\n")
                if what == "exit":
                    time.sleep(0.2)  # inside the shard, mid-way
                    os._exit(1)
                if what == "raise":
                    raise RuntimeError("engine core died")
                time.sleep(faults.stall_s)

    def _log(self, requests: list[str]) -> None:
        lines = "".join(f"{os.getpid()}\t{r}\n" for r in requests)
        with open(self.loader.log, "a", encoding="utf-8") as log:
            log.write(lines)


def generated(log: Path) -> list[tuple[int, str]]:
    """(pid, request) of every generated request (model, prompt, seed), in log order."""
    if not log.exists():
        return []
    out = []
    for line in log.read_text(encoding="utf-8").splitlines():
        pid, request = line.split("\t", 1)
        out.append((int(pid), request))
    return out
