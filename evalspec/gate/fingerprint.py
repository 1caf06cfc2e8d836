"""Fingerprint differences between a run's unit and its baseline entry (engine, device, dtype).

The model, adapter and prompt digests are what a change under test changes
(the unit hash already reports them); every other fingerprint key present on
both sides describes the environment, and a difference there makes a
comparison not like-for-like unless the thresholds file allows that key.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

SUBJECT_KEYS = frozenset({"model_digest", "adapter_digest", "prompt_digest"})
# how model-written code was isolated: shown in every report, never changes scores
SANDBOX_KEY = "sandbox"


def environment_changes(
    baseline: dict[str, Any], current: dict[str, Any], allowed: Collection[str]
) -> tuple[list[str], list[str]]:
    """Descriptions of the environment keys that differ: (not allowed, allowed)."""
    blocking: list[str] = []
    tolerated: list[str] = []
    for key in sorted(baseline.keys() & current.keys() - SUBJECT_KEYS - {SANDBOX_KEY}):
        if baseline[key] != current[key]:
            text = f"{key} {_show(baseline[key])} → {_show(current[key])}"
            (tolerated if key in allowed else blocking).append(text)
    return blocking, tolerated


def fingerprint_notes(unit_id: str, blocking: list[str], tolerated: list[str]) -> list[str]:
    notes: list[str] = []
    if blocking:
        keys = ", ".join(text.split(" ", 1)[0] for text in blocking)
        notes.append(
            f"{unit_id}: fingerprint differs from the baseline ({'; '.join(blocking)}): its "
            f"comparisons are WARN; allow it with `allow_fingerprint_change: [{keys}]`"
        )
    if tolerated:
        notes.append(
            f"{unit_id}: fingerprint differs from the baseline ({'; '.join(tolerated)}), "
            "allowed by the thresholds file"
        )
    return notes


def _show(value: Any) -> str:
    return "none" if value is None else str(value)


def sandbox_note(unit_id: str, fingerprint: dict[str, Any]) -> list[str]:
    """Which isolation ran the unit's model-written code (code_exec units only)."""
    isolation = fingerprint.get(SANDBOX_KEY)
    if isolation is None:
        return []
    return [f"{unit_id}: model-written code ran with `{isolation}` isolation"]
