"""Reading the history: the metric rows of a spec's last runs, filtered, oldest first.

Filters are shell-style globs (``*``, ``?``, ``[...]``), as in thresholds rules; several
values of one filter are alternatives. ``models`` match the unit's model label: the model
id, or ``model+adapter`` for an adapter's units (``smol*`` takes both). ``last`` counts
runs (those with a matching row), not rows.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Any

from evalspec.history.index import HistoryIndex

MODEL_LABEL = "CASE WHEN m.adapter IS NULL THEN m.model ELSE m.model || '+' || m.adapter END"
COLUMNS = (
    "r.run_id, r.started_at, r.git_sha, r.git_branch, r.git_dirty, r.gate_status, "
    "r.baseline_run, m.model, m.adapter, m.task, m.metric, m.value, m.stderr, m.n, "
    "m.higher_is_better, m.status, m.baseline, m.delta"
)


@dataclass(frozen=True)
class HistoryQuery:
    spec: str
    models: tuple[str, ...] = ()
    tasks: tuple[str, ...] = ()
    metrics: tuple[str, ...] = ()
    last: int | None = None  # None: every run
    since: datetime | None = None


@dataclass(frozen=True)
class HistoryRow:
    run_id: str
    started_at: str
    git_sha: str | None
    git_branch: str | None
    git_dirty: bool | None
    run_status: str | None  # the check's verdict
    baseline_run: str | None  # the run the check's baseline was recorded from
    model: str
    adapter: str | None
    task: str
    metric: str
    value: float | None
    stderr: float | None
    n: int | None
    higher_is_better: bool | None
    status: str | None  # this metric's verdict
    baseline: float | None
    delta: float | None

    @property
    def model_label(self) -> str:
        return self.model if self.adapter is None else f"{self.model}+{self.adapter}"

    @property
    def series(self) -> str:
        """One trend line: "model/task metric"."""
        return f"{self.model_label}/{self.task} {self.metric}"

    @property
    def started(self) -> datetime:
        return datetime.fromisoformat(self.started_at)


ROW_FIELDS = tuple(f.name for f in fields(HistoryRow))


def query_history(index: HistoryIndex, query: HistoryQuery) -> list[HistoryRow]:
    """The matching metric rows of the spec's matching runs, oldest run first."""
    where, params = _filters(query)
    runs_where = "r.spec = ?"
    run_params: list[object] = [query.spec]
    if query.since is not None:
        since = query.since if query.since.tzinfo else query.since.replace(tzinfo=UTC)
        runs_where += " AND r.started_ts >= ?"
        run_params.append(since.timestamp())
    limit = " LIMIT ?" if query.last is not None else ""
    limit_params = [query.last] if query.last is not None else []
    sql = (
        "WITH picked AS (SELECT r.run_id FROM runs r WHERE "
        f"{runs_where} AND EXISTS (SELECT 1 FROM metrics m WHERE m.run_id = r.run_id{where}) "
        f"ORDER BY r.started_ts DESC{limit}) "
        f"SELECT {COLUMNS} FROM picked JOIN runs r ON r.run_id = picked.run_id "
        f"JOIN metrics m ON m.run_id = r.run_id WHERE 1{where} "
        "ORDER BY r.started_ts, m.unit_id, m.metric"
    )
    rows = index.select(sql, [*run_params, *params, *limit_params, *params])
    return [_row(r) for r in rows]


def _row(values: tuple[Any, ...]) -> HistoryRow:
    """A result row (in COLUMNS order, the fields' order) as a HistoryRow."""
    row = dict(zip(ROW_FIELDS, values, strict=True))
    for flag in ("git_dirty", "higher_is_better"):  # SQLite's 0/1, NULL as None
        row[flag] = None if row[flag] is None else bool(row[flag])
    return HistoryRow(**row)


def indexed_runs(index: HistoryIndex, spec: str) -> int:
    """How many runs of the spec the index holds."""
    return int(index.select("SELECT count(*) FROM runs WHERE spec = ?", (spec,))[0][0])


def _filters(query: HistoryQuery) -> tuple[str, list[object]]:
    """SQL conditions on metrics `m` (each starting with " AND ") and their parameters."""
    where, params = "", list[object]()
    for expression, patterns in (
        (MODEL_LABEL, query.models),
        ("m.task", query.tasks),
        ("m.metric", query.metrics),
    ):
        if patterns:
            where += " AND (" + " OR ".join(f"{expression} GLOB ?" for _ in patterns) + ")"
            params.extend(patterns)
    return where, params
