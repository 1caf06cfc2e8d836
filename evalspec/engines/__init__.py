"""Engines: build the engine a model group asks for, keep it resident, hand it back.

Public entry points: `engine_request` (what a plan asks of an engine, cheap, no
loading), `EnginePool.get` (load or reuse) and the engine table `ENGINES`;
`engine_output_to` sends what engines print to a log file (`ENGINE_LOG`).
"""

from __future__ import annotations

from evalspec.engines.base import BatchStats, Completion, Engine, Prompt
from evalspec.engines.output import ENGINE_LOG, engine_output_to, log_tail, terminal
from evalspec.engines.pool import EnginePool, default_pool
from evalspec.engines.registry import ENGINES, EngineKind, engine_kind, engine_request
from evalspec.engines.requests import EngineRequest

__all__ = [
    "ENGINES",
    "ENGINE_LOG",
    "BatchStats",
    "Completion",
    "Engine",
    "EngineKind",
    "EnginePool",
    "EngineRequest",
    "Prompt",
    "default_pool",
    "engine_kind",
    "engine_output_to",
    "engine_request",
    "log_tail",
    "terminal",
]
