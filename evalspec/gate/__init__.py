"""The gate: baselines, thresholds rules and the verdicts that decide the exit code.

Public API: evaluate, GateResult, GateRow, PerfRow, Status; Baseline (+ BaselineUnit,
BaselineMetric, Provenance), baseline_from_results, unmeasured_units, read_baseline,
write_baseline, describe_changes, baseline_summary; check_rules with spec_targets /
result_targets. The statistics live in gate/stats.py, the pairing in
gate/compare.py, the decision rules in gate/rules.py, the rule checks in
gate/rule_check.py, perf gates in gate/perf.py.
"""

from __future__ import annotations

from evalspec.gate.baseline import (
    Baseline,
    BaselineMetric,
    BaselineUnit,
    Provenance,
    baseline_from_results,
    describe_changes,
    unmeasured_units,
)
from evalspec.gate.baseline_file import baseline_text, read_baseline, write_baseline
from evalspec.gate.baseline_table import baseline_summary
from evalspec.gate.evaluate import evaluate, rule_matches
from evalspec.gate.rule_check import Target, check_rules, result_targets, spec_targets
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
    "Target",
    "baseline_from_results",
    "baseline_summary",
    "baseline_text",
    "check_rules",
    "describe_changes",
    "evaluate",
    "read_baseline",
    "result_targets",
    "rule_matches",
    "spec_targets",
    "unmeasured_units",
    "write_baseline",
]
