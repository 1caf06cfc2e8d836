"""Gate verdicts: one row per (unit, metric), the overall status and the exit code."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from evalspec.errors import EXIT_INFRA, EXIT_PASS, EXIT_REGRESSION


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
        )
        return cls(**values)


@dataclass
class GateResult:
    rows: list[GateRow]

    @property
    def status(self) -> Status:
        return worst([row.status for row in self.rows])

    @property
    def exit_code(self) -> int:
        """1 on any FAIL, else 3 on any ERROR, else 0 (warnings pass)."""
        statuses = {row.status for row in self.rows}
        if Status.FAIL in statuses:
            return EXIT_REGRESSION
        if Status.ERROR in statuses:
            return EXIT_INFRA
        return EXIT_PASS

    def count(self, status: Status) -> int:
        return sum(1 for row in self.rows if row.status is status)

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": str(self.status),
            "exit_code": self.exit_code,
            "counts": {str(s): self.count(s) for s in Status},
            "rows": [row.to_dict() for row in self.rows],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GateResult:
        return cls(rows=[GateRow.from_dict(row) for row in data["rows"]])
