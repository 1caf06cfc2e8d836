"""Thresholds rules that could never decide: typos, non-finite bounds, bounds of wrong direction.

Each is exit 2 with the rule's file:line, before anything runs; nothing is written.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_runs import error_line, run_evalspec
from report_runs import unit_result, write_run


def _files(workspace: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in workspace.rglob("*") if p.is_file()}


@pytest.mark.parametrize("command", ["validate", "check"])
@pytest.mark.parametrize(
    ("old", "new", "field", "line", "hint"),
    [
        ("task: arithmetic ", "task: arithmetc ", "task", 10, "did you mean 'arithmetic'?"),
        ("metric: accuracy", "metric: acuracy", "metric", 11, "did you mean 'accuracy'?"),
        ("  - task: humaneval", "  - model: smoll\n    task: humaneval", "model", 14, "'smol'"),
    ],
)
def test_a_rule_that_selects_nothing_is_exit_2_at_its_line_before_running(
    workspace: Path, command: str, old: str, new: str, field: str, line: int, hint: str
) -> None:
    thresholds = workspace / "thresholds" / "smoke.yaml"
    thresholds.write_text(thresholds.read_text().replace(old, new, 1))
    before = _files(workspace)

    proc = run_evalspec(*_args(command), cwd=workspace)

    message = error_line(proc, 2)
    assert message.startswith(f"error: thresholds/smoke.yaml:{line}: rules["), message
    assert f"].{field}: '" in message and "matches no" in message and hint in message
    assert message.endswith("fix the pattern or remove the rule")
    assert _files(workspace) == before  # no run directory, nothing rewritten


def _args(command: str) -> tuple[str, ...]:
    if command == "check":
        return ("check", "specs/smoke.yaml", "--runs-dir", "runs")
    return ("validate", "specs/smoke.yaml")


@pytest.mark.parametrize("value", [".nan", ".inf", "-.inf"])
def test_non_finite_bounds_are_rejected_where_they_are_written(workspace: Path, value: str) -> None:
    thresholds = workspace / "thresholds" / "smoke.yaml"
    thresholds.write_text(thresholds.read_text().replace("min: 0.10", f"min: {value}"))

    message = error_line(run_evalspec("validate", "specs/smoke.yaml", cwd=workspace), 2)

    assert message.startswith("error: thresholds/smoke.yaml:13: rules[0].min: "), message
    assert "finite number" in message


def _loss_runs(tmp_path: Path, loss: float) -> tuple[str, str]:
    """A baseline run and a candidate whose `loss` (lower is better) is `loss`."""
    old = {f"s{i}": 0.5 for i in range(8)}
    new = {f"s{i}": loss for i in range(8)}
    runs = tmp_path / "runs"
    a = write_run(runs, old, "OLD", units=[unit_result(old, metric="loss", higher_is_better=False)])
    b = write_run(runs, new, "NEW", units=[unit_result(new, metric="loss", higher_is_better=False)])
    return str(a.path), str(b.path)


@pytest.mark.parametrize(("loss", "code"), [(0.9, 1), (0.1, 0)])
def test_max_caps_a_lower_is_better_metric(tmp_path: Path, loss: float, code: int) -> None:
    rules = tmp_path / "th.yaml"
    rules.write_text("version: 1\nrules:\n  - metric: loss\n    max: 0.5\n")
    a, b = _loss_runs(tmp_path, loss)

    proc = run_evalspec("diff", a, b, "--thresholds", str(rules), cwd=tmp_path)

    assert proc.returncode == code, proc.stdout + proc.stderr
    assert ("is 0.900, above max 0.500" in proc.stdout) == (code == 1)


def test_min_on_a_lower_is_better_metric_is_exit_2_pointing_at_max(tmp_path: Path) -> None:
    rules = tmp_path / "th.yaml"
    rules.write_text("version: 1\nrules:\n  - metric: loss\n    min: 0.5\n")
    a, b = _loss_runs(tmp_path, 0.9)

    message = error_line(run_evalspec("diff", a, b, "--thresholds", str(rules), cwd=tmp_path), 2)

    assert message == (
        f"error: {rules}:4: rules[0].min: `min` floors higher-is-better metrics, and every "
        "metric this rule selects is lower-is-better; write `max: 0.5` for a ceiling"
    )


def test_diff_checks_rules_against_the_runs_it_compares(tmp_path: Path) -> None:
    rules = tmp_path / "th.yaml"
    rules.write_text("version: 1\nrules:\n  - task: arith\n    metric: acc\n    max_drop: 0.1\n")
    a, b = _loss_runs(tmp_path, 0.5)

    message = error_line(run_evalspec("diff", a, b, "--thresholds", str(rules), cwd=tmp_path), 2)

    assert message.startswith(f"error: {rules}:4: rules[0].metric: 'acc' matches no metric")
    assert "there are: loss" in message
