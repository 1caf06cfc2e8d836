"""Baseline files that cannot be trusted are refused (exit 2/3 naming the file), never half used;
`baseline update` loses nothing: not the perf a cached run could not measure, not the file mode."""

from __future__ import annotations

import json
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from cli_runs import Ran, error_line, run_evalspec
from report_runs import unit_result, write_run

BASELINE = Path("baselines") / "smoke.json"
REPO_PERF = {"latency_p95_s": 5.621, "tokens_per_s": 83.95}  # smol/arithmetic in the repo's


def _complete_run(workspace: Path, perf: dict[str, float] | dict[str, object]) -> None:
    """A complete run of spec smoke whose smol/arithmetic unit measured `perf`."""
    scores = {f"arith-{i:03d}": float(i % 2) for i in range(40)}
    unit = unit_result(scores, task="arithmetic")
    write_run(workspace / "runs", scores, "OUT", units=[unit], perf={unit.unit_id: dict(perf)})


def _update(workspace: Path, prefix: tuple[str, ...] = ()) -> Ran:
    return run_evalspec(
        "baseline", "update", "specs/smoke.yaml", "--runs-dir", "runs", "--yes",
        cwd=workspace, prefix=prefix,
    )  # fmt: skip


def _unit_perf(workspace: Path) -> dict[str, float]:
    data = json.loads((workspace / BASELINE).read_text())
    perf: dict[str, float] = data["units"]["smol/arithmetic"]["perf"]
    return perf


@pytest.mark.parametrize("command", ["check", "show"])
def test_a_baseline_recorded_for_another_spec_is_exit_2(workspace: Path, command: str) -> None:
    path = workspace / BASELINE
    path.write_text(path.read_text().replace('"spec": "smoke"', '"spec": "other"'))
    before = path.read_bytes()
    args = ["check", "specs/smoke.yaml", "--runs-dir", "runs"]
    if command == "show":
        args = ["baseline", "show", "specs/smoke.yaml"]

    message = error_line(run_evalspec(*args, cwd=workspace), 2)

    assert message == (
        f"error: {BASELINE}: key 'spec': this baseline was recorded for spec 'other', not "
        "'smoke'; point gate.baseline at this spec's own baseline file"
    )
    assert path.read_bytes() == before
    assert not (workspace / "runs").exists()


def test_update_refuses_to_overwrite_another_specs_baseline(workspace: Path) -> None:
    path = workspace / BASELINE
    path.write_text(path.read_text().replace('"spec": "smoke"', '"spec": "other"'))
    before = path.read_bytes()
    _complete_run(workspace, REPO_PERF)

    message = error_line(_update(workspace), 2)

    assert "this baseline was recorded for spec 'other', not 'smoke'" in message
    assert path.read_bytes() == before


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity"])
@pytest.mark.parametrize(("key", "line"), [('"value": 0.275', 28), ('"tokens_per_s": 83.95', 34)])
@pytest.mark.parametrize("command", ["check", "show"])
def test_non_finite_baseline_values_are_exit_2_at_their_line(
    workspace: Path, token: str, key: str, line: int, command: str
) -> None:
    path = workspace / BASELINE
    path.write_text(path.read_text().replace(key, f"{key.split(':')[0]}: {token}", 1))
    args = ["check", "specs/smoke.yaml", "--runs-dir", "runs"]
    if command == "show":
        args = ["baseline", "show", "specs/smoke.yaml"]

    message = error_line(run_evalspec(*args, cwd=workspace), 2)

    assert message.startswith(
        f"error: {BASELINE}:{line}: {token} is not a number a baseline can hold; restore it "
        f"(`git checkout -- {BASELINE}`)"
    ), message
    assert not (workspace / "runs").exists()


def test_a_value_too_large_for_a_float_is_refused_with_its_key(workspace: Path) -> None:
    path = workspace / BASELINE
    path.write_text(path.read_text().replace('"tokens_per_s": 83.95', '"tokens_per_s": 1e999'))

    message = error_line(run_evalspec("baseline", "show", "specs/smoke.yaml", cwd=workspace), 2)

    assert message.startswith(
        f"error: {BASELINE}: key 'units.smol/arithmetic.perf.tokens_per_s': "
        "Input should be a finite number"
    ), message


@pytest.mark.parametrize("command", ["check", "show", "update"])
@pytest.mark.parametrize(
    ("damage", "expected"),
    [
        ("not-utf8", f"{BASELINE}:1: not UTF-8 text (byte 0); restore it"),
        ("directory", f"{BASELINE}: is a directory, not a baseline file; point gate.baseline"),
        ("under-a-file", "smoke.json/x.json: a parent of this path is a file, not a directory"),
    ],
)
def test_an_unreadable_baseline_path_is_exit_2_naming_it(
    workspace: Path, command: str, damage: str, expected: str
) -> None:
    path = workspace / BASELINE
    if damage == "not-utf8":
        path.write_bytes(b"\xff\xfe{}")
    elif damage == "directory":
        path.unlink()
        path.mkdir()
    else:
        spec = workspace / "specs" / "smoke.yaml"
        spec.write_text(spec.read_text().replace("smoke.json}", "smoke.json/x.json}"))
    _complete_run(workspace, REPO_PERF)
    before = {p: p.read_bytes() for p in workspace.rglob("*") if p.is_file()}
    if command == "update":
        proc = _update(workspace)
    elif command == "show":
        proc = run_evalspec("baseline", "show", "specs/smoke.yaml", cwd=workspace)
    else:
        proc = run_evalspec("check", "specs/smoke.yaml", "--runs-dir", "runs", cwd=workspace)

    message = error_line(proc, 2)

    assert expected in message, message
    assert {p: p.read_bytes() for p in workspace.rglob("*") if p.is_file()} == before


def test_update_into_a_read_only_directory_is_exit_3_and_keeps_the_old_baseline(
    workspace: Path, read_only: Callable[[Path], tuple[str, ...]]
) -> None:
    before = (workspace / BASELINE).read_bytes()
    _complete_run(workspace, {"tokens_per_s": 50.0})

    proc = _update(workspace, prefix=read_only(workspace / "baselines"))

    message = error_line(proc, 3)
    assert message == (
        f"error: {BASELINE}: cannot write the baseline (Read-only file system); check its "
        "permissions; the previous baseline is unchanged"
    )
    assert (workspace / BASELINE).read_bytes() == before


def test_update_after_a_fully_cached_check_keeps_the_measured_perf(workspace: Path) -> None:
    _complete_run(workspace, {"cached": True, "cached_outputs": 40})

    proc = _update(workspace)

    assert proc.returncode == 0, proc.stderr
    assert _unit_perf(workspace) == REPO_PERF
    assert (
        "smol/arithmetic: perf kept from the previous baseline (this run did not measure it "
        "like a full run: its outputs came from the response cache)" in proc.stdout
    )


def test_update_after_a_measured_run_records_the_new_perf(workspace: Path) -> None:
    _complete_run(workspace, {"tokens_per_s": 50.0, "latency_p95_s": 2.5})

    proc = _update(workspace)

    assert proc.returncode == 0, proc.stderr
    assert _unit_perf(workspace) == {"tokens_per_s": 50.0, "latency_p95_s": 2.5}
    assert "smol/arithmetic tokens_per_s: 83.95 -> 50" in proc.stdout


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o664])
def test_update_keeps_the_baseline_files_mode(workspace: Path, mode: int) -> None:
    (workspace / BASELINE).chmod(mode)
    _complete_run(workspace, REPO_PERF)

    assert _update(workspace).returncode == 0

    assert stat.S_IMODE((workspace / BASELINE).stat().st_mode) == mode


def test_a_new_baseline_file_gets_the_mode_the_umask_gives(workspace: Path) -> None:
    (workspace / BASELINE).unlink()
    _complete_run(workspace, REPO_PERF)

    proc = _update(workspace, prefix=("sh", "-c", 'umask 027 && exec "$@"', "sh"))

    assert proc.returncode == 0, proc.stderr
    assert stat.S_IMODE((workspace / BASELINE).stat().st_mode) == 0o640
