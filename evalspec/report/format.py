"""Formatting shared by the renderers: numbers, verdict marks, markdown-safe cells."""

from __future__ import annotations

from evalspec.gate import GateResult, GateRow, Status

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


def model_label(row: GateRow) -> str:
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
    """E.g. "**FAIL** — 1 regression, 2 warnings in smoke (run R, baseline from run B)"."""
    counts = [
        f"{n} {noun}{'' if n == 1 else 's'}"
        for status, noun in NOUNS.items()
        if (n := result.count(status))
    ]
    if counts:
        summary = ", ".join(counts)
    elif result.rows:
        summary = f"all {len(result.rows)} checks passed"
    else:
        summary = "nothing to gate"
    against = f"baseline from run {baseline_run_id}" if baseline_run_id else "no baseline"
    return f"**{result.status}** — {summary} in {spec_name} (run {run_id}, {against})"


def details(result: GateResult) -> list[str]:
    """Reasons of the non-PASS rows, worst first, each naming unit and metric.

    FAIL reasons are predicates ("dropped 0.250 ...") and follow the label directly.
    """
    order = [Status.FAIL, Status.ERROR, Status.WARN]
    return [
        f"{MARKS[row.status]} {row.label}{' ' if status is Status.FAIL else ': '}{reason}"
        for status in order
        for row in result.rows
        if row.status is status
        for reason in row.reasons
    ]


def changed_units(result: GateResult) -> list[str]:
    return list(dict.fromkeys(row.unit_id for row in result.rows if row.config_changed))
