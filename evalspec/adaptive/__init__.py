"""Adaptive runs: samples in a seeded order, a look after each batch, stop once the gate is decided.

Public API: AdaptiveSettings, adaptive_settings, force_adaptive (settings.py);
build_tracks, Track (tracks.py: each unit's order, budget, looks and rules,
settled before the run); run_adaptive, AdaptiveRun (loop.py); gate_inputs,
AdaptiveGate (verdicts.py: the decisions, the observed baseline and the account
the gate takes). The statistics live in evalspec.gate.sequential.
"""

from __future__ import annotations

from evalspec.adaptive.loop import AdaptiveRun, run_adaptive
from evalspec.adaptive.settings import AdaptiveSettings, adaptive_settings, force_adaptive
from evalspec.adaptive.tracks import Track, build_tracks
from evalspec.adaptive.verdicts import AdaptiveGate, gate_inputs

__all__ = [
    "AdaptiveGate",
    "AdaptiveRun",
    "AdaptiveSettings",
    "Track",
    "adaptive_settings",
    "build_tracks",
    "force_adaptive",
    "gate_inputs",
    "run_adaptive",
]
