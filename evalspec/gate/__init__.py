"""The gate: baselines, thresholds rules and the verdicts that decide the exit code.

Public API: evaluate, GateResult, GateRow, PerfRow, Status; Baseline (+ BaselineUnit,
BaselineMetric, Provenance), baseline_from_results, read_baseline,
write_baseline, describe_changes, baseline_summary. The statistics live in
gate/stats.py, the pairing in gate/compare.py, the decision rules in
gate/rules.py, perf gates in gate/perf.py.
"""

from __future__ import annotations

from evalspec.gate.baseline import (
    Baseline,
    BaselineMetric,
    BaselineUnit,
    Provenance,
    baseline_from_results,
    describe_changes,
)
from evalspec.gate.baseline_file import baseline_text, read_baseline, write_baseline
from evalspec.gate.evaluate import evaluate, rule_matches
from evalspec.gate.summary import baseline_summary
from evalspec.gate.verdict import GateResult, GateRow, PerfRow, Status

__all__ = [
    "Baseline",
    "BaselineMetric",
    "BaselineUnit",
    "GateResult",
    "GateRow",
    "PerfRow",
    "Provenance",
    "Status",
    "baseline_from_results",
    "baseline_summary",
    "baseline_text",
    "describe_changes",
    "evaluate",
    "read_baseline",
    "rule_matches",
    "write_baseline",
]
