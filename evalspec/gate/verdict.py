"""Gate verdicts: one row per (unit, metric), perf rows per unit, the status and the exit code.

A GateRow's statistics fields (all optional, None when there was no baseline
comparison): ``ci_low``/``ci_high``, the confidence interval of current -
baseline at ``confidence``; ``p_value``, the Holm-adjusted p-value of "no
change" over all comparisons of the check; ``test`` ("mcnemar-exact",
"paired-t", "cluster-robust-t", "partially-paired-t", "unpaired-normal"; in adaptive
runs "sequential-betting", or the fixed-n fallback's "tango-score" / "paired-t" /
"cluster-robust-t" at the budget); ``n_paired``,
the samples on both sides; ``flips``: sample ids that changed, "pass_to_fail"
and "fail_to_pass" for binary outcomes, "worse" and "better" (by more than
0.5) for continuous scores.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from evalspec.errors import EXIT_INFRA, EXIT_PASS, EXIT_REGRESSION
from evalspec.gate.adaptive import AdaptiveAccount


class Status(StrEnum):
    PASS = "PASS"
    WARN = "WARN"
    ERROR = "ERROR"
    FAIL = "FAIL"


UNIT_LEVEL = "-"  # metric name of the one row of a failed unit that has no baseline metrics

# display severity: FAIL > ERROR > WARN > PASS
SEVERITY: dict[Status, int] = {Status.PASS: 0, Status.WARN: 1, Status.ERROR: 2, Status.FAIL: 3}


def worst(statuses: list[Status]) -> Status:
    return max(statuses, key=SEVERITY.__getitem__, default=Status.PASS)


@dataclass
class GateRow:
    model: str
    adapter: str | None
    task: str
    metric: str
    baseline: float | None
    baseline_stderr: float | None
    current: float | None
    stderr: float | None
    delta: float | None  # current - baseline
    n: int | None
    status: Status
    reasons: list[str] = field(default_factory=list)  # why the status is not PASS
    notes: list[str] = field(default_factory=list)  # "no rule", "configuration changed ..."
    config_changed: bool = False  # unit hash differs from the baseline entry's
    ci_low: float | None = None  # confidence interval of current - baseline
    ci_high: float | None = None
    confidence: float | None = None
    p_value: float | None = None  # Holm-adjusted, of "no change"
    test: str | None = (
        None  # mcnemar-exact | paired-t | cluster-robust-t | partially-paired-t | unpaired-normal
    )
    n_paired: int | None = None
    flips: dict[str, list[str]] = field(default_factory=dict)

    @property
    def unit_id(self) -> str:
        model = self.model if self.adapter is None else f"{self.model}+{self.adapter}"
        return f"{model}/{self.task}"

    @property
    def label(self) -> str:
        """E.g. "smol/arith accuracy" (just the unit id on a unit-level ERROR row)."""
        return self.unit_id if self.metric == UNIT_LEVEL else f"{self.unit_id} {self.metric}"

    def to_dict(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "status": str(self.status)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GateRow:
        fields = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in data.items() if k in fields}
        values.update(
            status=Status(data["status"]),
            reasons=list(data["reasons"]),
            notes=list(data.get("notes", [])),
            flips={k: list(v) for k, v in (data.get("flips") or {}).items()},
        )
        return cls(**values)


@dataclass
class PerfRow:
    """One performance measurement of a unit against the baseline's, with a relative tolerance."""

    unit_id: str
    model: str
    adapter: str | None
    task: str
    measure: str  # tokens_per_s | latency_p95_s | peak_gpu_memory_mib
    baseline: float | None
    current: float | None
    change_pct: float | None  # (current - baseline) / baseline * 100
    tolerance_pct: float | None  # allowed drop (tokens_per_s) or rise (others) in %; None: no rule
    status: Status
    reasons: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "status": str(self.status)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PerfRow:
        fields = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in data.items() if k in fields}
        values.update(status=Status(data["status"]), reasons=list(data.get("reasons", [])))
        return cls(**values)


@dataclass
class GateResult:
    rows: list[GateRow]
    perf_rows: list[PerfRow] = field(default_factory=list)
    fingerprint_notes: list[str] = field(default_factory=list)  # baseline vs run environment
    # per-tag metrics of the run (reported, not gated): unit, slice ("level=5"), metric,
    # value, stderr, n
    slices: list[dict[str, Any]] = field(default_factory=list)
    adaptive: AdaptiveAccount | None = None  # adaptive runs: budgets used and decisions

    def _statuses(self) -> list[Status]:
        return [row.status for row in self.rows] + [row.status for row in self.perf_rows]

    @property
    def status(self) -> Status:
        return worst(self._statuses())

    @property
    def exit_code(self) -> int:
        """1 on any FAIL (metric or perf), else 3 on any ERROR, else 0 (warnings pass)."""
        statuses = set(self._statuses())
        if Status.FAIL in statuses:
            return EXIT_REGRESSION
        if Status.ERROR in statuses:
            return EXIT_INFRA
        return EXIT_PASS

    def count(self, status: Status) -> int:
        """Metric rows and perf rows with this status."""
        return sum(1 for s in self._statuses() if s is status)

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": str(self.status),
            "exit_code": self.exit_code,
            "counts": {str(s): self.count(s) for s in Status},
            "rows": [row.to_dict() for row in self.rows],
            "perf_rows": [row.to_dict() for row in self.perf_rows],
            "fingerprint_notes": list(self.fingerprint_notes),
            "slices": [dict(s) for s in self.slices],
            **({"adaptive": self.adaptive.to_dict()} if self.adaptive is not None else {}),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GateResult:
        return cls(
            rows=[GateRow.from_dict(row) for row in data["rows"]],
            perf_rows=[PerfRow.from_dict(row) for row in data.get("perf_rows", [])],
            fingerprint_notes=list(data.get("fingerprint_notes", [])),
            slices=[dict(s) for s in data.get("slices", [])],
            adaptive=(
                AdaptiveAccount.from_dict(data["adaptive"]) if data.get("adaptive") else None
            ),
        )
