"""Formatting shared by the renderers: numbers, verdict marks, markdown-safe cells."""

from __future__ import annotations

from evalspec.gate import GateResult, GateRow, Status
from evalspec.gate.evaluate import NO_RULE
from evalspec.gate.verdict import PerfRow

MARKS: dict[Status, str] = {
    Status.PASS: "✅",
    Status.WARN: "⚠️",
    Status.FAIL: "❌",
    Status.ERROR: "💥",
}
NOUNS: dict[Status, str] = {
    Status.FAIL: "regression",
    Status.ERROR: "error",
    Status.WARN: "warning",
}
NONE = "—"


def number(value: float | None) -> str:
    return NONE if value is None else f"{value:.3f}"


def signed(value: float | None) -> str:
    if value is None:
        return NONE
    text = f"{value:+.3f}"
    return "0.000" if text in ("+0.000", "-0.000") else text


def with_stderr(value: float | None, stderr: float | None) -> str:
    if value is None or stderr is None:
        return number(value)
    return f"{value:.3f} ± {stderr:.3f}"


def model_label(row: GateRow | PerfRow) -> str:
    return row.model if row.adapter is None else f"{row.model}+{row.adapter}"


def cell(text: str) -> str:
    """Text safe inside a markdown table cell: pipes escaped, line breaks as <br>."""
    lines = text.replace("\\", "\\\\").replace("|", "\\|").splitlines()
    return "<br>".join(lines)


def one_line(text: str) -> str:
    """Text safe as one markdown list item."""
    return " ".join(text.split())


def verdict_line(
    result: GateResult, spec_name: str, run_id: str, baseline_run_id: str | None
) -> str:
    """E.g. "**FAIL** — 1 regression, 2 warnings in smoke (run R, baseline from run B)";
    "**NO GATE** — no gate configured: 3 metrics recorded in smoke (run R, no baseline)" when
    nothing could decide (no thresholds rule selected a metric and there is no baseline)."""
    if ungated(result, baseline_run_id):
        n = len(result.rows)
        return (
            f"**NO GATE** — no gate configured: {n} metric{'' if n == 1 else 's'} recorded "
            f"in {spec_name} (run {run_id}, no baseline)"
        )
    counts = [
        f"{n} {noun}{'' if n == 1 else 's'}"
        for status, noun in NOUNS.items()
        if (n := result.count(status))
    ]
    if counts:
        summary = ", ".join(counts)
    elif result.rows or result.perf_rows:
        summary = f"all {len(result.rows) + len(result.perf_rows)} checks passed"
    else:
        summary = "nothing to gate"
    against = f"baseline from run {baseline_run_id}" if baseline_run_id else "no baseline"
    return f"**{result.status}** — {summary} in {spec_name} (run {run_id}, {against})"


def ungated(result: GateResult, baseline_run_id: str | None) -> bool:
    """True when no baseline and no thresholds rule judged anything: every row passed
    with "no rule" and no baseline value, and no perf measure has a tolerance."""
    return (
        baseline_run_id is None
        and bool(result.rows)
        and all(
            row.status is Status.PASS and row.baseline is None and NO_RULE in row.notes
            for row in result.rows
        )
        and all(row.status is Status.PASS and row.tolerance_pct is None for row in result.perf_rows)
    )


def details(result: GateResult) -> list[str]:
    """Reasons of the non-PASS rows (metrics, then performance), worst first.

    FAIL reasons are predicates ("dropped 0.250 ...") and follow the label directly.
    """
    labelled: list[tuple[Status, str, list[str]]] = [
        (row.status, row.label, row.reasons) for row in result.rows
    ]
    labelled.extend(
        (row.status, f"{row.unit_id} {row.measure}", row.reasons) for row in result.perf_rows
    )
    order = [Status.FAIL, Status.ERROR, Status.WARN]
    return [
        f"{MARKS[status]} {label}{' ' if status is Status.FAIL else ': '}{reason}"
        for status in order
        for row_status, label, reasons in labelled
        if row_status is status
        for reason in reasons
    ]


def changed_units(result: GateResult) -> list[str]:
    return list(dict.fromkeys(row.unit_id for row in result.rows if row.config_changed))


def interval(low: float | None, high: float | None) -> str:
    """A confidence interval of a difference, e.g. "[-0.350, -0.050]"."""
    if low is None or high is None:
        return NONE
    return f"[{signed(low)}, {signed(high)}]"


def p_value(value: float | None) -> str:
    if value is None:
        return NONE
    return "<0.001" if value < 0.001 else f"{value:.3f}"


def confidence_label(confidence: float | None) -> str:
    """E.g. "95% CI"; 95% when the gate did not say."""
    level = 0.95 if confidence is None else confidence
    return f"{level * 100:g}% CI"


def measure(value: float | None) -> str:
    """A performance measurement: 3 decimals below 1 (latencies), else 2."""
    if value is None:
        return NONE
    return f"{value:.3f}" if abs(value) < 1 else f"{value:.2f}"


def percent(value: float | None, signed_: bool = True) -> str:
    if value is None:
        return NONE
    return f"{value:+.1f}%" if signed_ else f"{value:g}%"


def fence(text: str, info: str = "") -> str:
    """A fenced code block that holds ``text`` verbatim (the fence outgrows any backtick run)."""
    longest = max((len(run) for run in text.split("\n") for run in _backtick_runs(run)), default=0)
    ticks = "`" * max(3, longest + 1)
    return f"{ticks}{info}\n{text}\n{ticks}"


def _backtick_runs(line: str) -> list[str]:
    runs: list[str] = []
    current = ""
    for char in line:
        if char == "`":
            current += char
        elif current:
            runs.append(current)
            current = ""
    if current:
        runs.append(current)
    return runs
