"""`evalspec check` progress: live bars on a terminal, clean throttled lines without one."""

from __future__ import annotations

import re
from pathlib import Path

import pyte
from cli_process import COLUMNS, LINES, ROWS, environment, run_on_terminal, run_piped, slow_spec
from openai_standin import Behaviour, standin

ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]")
CONTROLS = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")  # everything but the newline


def _stream_lines(received: str) -> list[str]:
    """Every line the terminal was sent, escape sequences removed (all redraws included)."""
    text = ESCAPES.sub("", received).replace("\r\n", "\n")
    return [line.rsplit("\r", 1)[-1] for line in text.split("\n")]


def _final_screen(received: str) -> list[str]:
    """What the terminal shows once the process ended (a VT emulator replays the stream)."""
    screen = pyte.Screen(COLUMNS, LINES)
    stream = pyte.Stream(screen)
    stream.feed(received)
    return [line.rstrip() for line in screen.display if line.strip()]


def test_on_a_terminal_check_draws_live_bars_and_ends_cleanly(tmp_path: Path) -> None:
    with standin(Behaviour()) as url:
        spec = slow_spec(tmp_path, url, sleep_s=0.25)  # each bar state lasts 0.5 s: redrawn
        done = run_on_terminal(["check", str(spec)], environment(tmp_path), tmp_path)

    assert done.returncode == 0, done.stderr
    screen = _stream_lines(done.stderr)
    # a bar per running unit, moving: outputs done, tokens/s and an ETA between 0 and all
    moving = [
        line
        for line in screen
        if re.search(rf"remote/arith .* [1-{ROWS - 1}]/{ROWS} outputs", line)
    ]
    assert moving, screen
    assert any(re.search(r"\d+\.\d tok/s, ETA \d+ s", line) for line in moving)
    assert any("0/2 units" in line for line in screen)  # the run's own row
    assert any(re.search(r"CPU \d+% · RSS \d+\.\d\d GiB", line) for line in screen)  # monitor
    # it ends cleanly: the cursor is shown again after it was hidden, the bars are gone, and
    # what stays is one summary line per unit and the run's last line
    assert done.stderr.rindex("\x1b[?25h") > done.stderr.rindex("\x1b[?25l")
    shown = _final_screen(done.stderr)
    assert shown[-1].startswith("evalspec: done: 2 units in ")
    assert [line[:24] for line in shown if line.startswith("✓")] == [
        "✓ remote/arith: accuracy",
        "✓ remote/sums: accuracy ",
    ]
    assert not any("outputs" in line or "━" in line for line in shown)
    # the report on stdout stays plain markdown
    assert done.stdout.startswith("<!-- evalspec:report spec=remote -->\n")
    assert "\x1b" not in done.stdout


def test_without_a_terminal_check_writes_throttled_plain_lines(tmp_path: Path) -> None:
    env = environment(tmp_path, EVALSPEC_PROGRESS_INTERVAL_S="0.3")
    with standin(Behaviour()) as url:
        spec = slow_spec(tmp_path, url)
        done = run_piped(["check", str(spec)], env, tmp_path)

    assert done.returncode == 0, done.stderr
    assert CONTROLS.search(done.stderr) is None and "\x1b" not in done.stderr
    lines = done.stderr.splitlines()
    assert all(line.startswith("evalspec: ") for line in lines)
    progress = [
        line for line in lines if re.match(r"evalspec: \[1/2\] remote/arith: \d/8 outputs", line)
    ]
    assert progress, lines
    assert any("tok/s, ETA" in line and "CPU" in line for line in progress)
    assert "evalspec: [1/2] remote/arith: accuracy" in "\n".join(lines)
    assert lines[-1].startswith("evalspec: done: 2 units in ")


def test_by_default_a_progress_line_comes_at_most_every_30_s(tmp_path: Path) -> None:
    with standin(Behaviour()) as url:
        spec = slow_spec(tmp_path, url, sleep_s=0.05)
        done = run_piped(["check", str(spec)], environment(tmp_path), tmp_path)

    assert done.returncode == 0, done.stderr
    assert not re.search(r"\d/8 outputs", done.stderr)  # a short run: only the unit lines
    assert "evalspec: [2/2] remote/sums: accuracy" in done.stderr


def test_verbose_leaves_engine_output_on_the_terminal_with_plain_progress(tmp_path: Path) -> None:
    with standin(Behaviour()) as url:
        spec = slow_spec(tmp_path, url, sleep_s=0.0)
        done = run_on_terminal(["check", str(spec), "--verbose"], environment(tmp_path), tmp_path)

    assert done.returncode == 0, done.stderr
    assert "\x1b" not in done.stderr  # plain lines even on a terminal: engine logs interleave
    assert "evalspec: [2/2] remote/sums: accuracy" in done.stderr
    assert "engine output goes to" not in done.stderr
    (run_dir,) = (tmp_path / "runs").iterdir()
    assert not (run_dir / "engine.log").exists()


def test_quiet_prints_only_the_report(tmp_path: Path) -> None:
    with standin(Behaviour()) as url:
        spec = slow_spec(tmp_path, url, sleep_s=0.0)
        done = run_on_terminal(["check", str(spec), "--quiet"], environment(tmp_path), tmp_path)

    assert done.returncode == 0
    assert done.stderr == ""
    assert done.stdout.startswith("<!-- evalspec:report spec=remote -->\n")


def test_a_bad_progress_interval_and_quiet_with_verbose_are_usage_errors(tmp_path: Path) -> None:
    spec = slow_spec(tmp_path, "http://127.0.0.1:9/v1")

    both = run_piped(["check", str(spec), "-q", "-v"], environment(tmp_path), tmp_path)
    bad = run_piped(
        ["check", str(spec)], environment(tmp_path, EVALSPEC_PROGRESS_INTERVAL_S="soon"), tmp_path
    )

    assert (both.returncode, both.stderr) == (
        2,
        "error: pass at most one of --quiet and --verbose\n",
    )
    assert bad.returncode == 2
    assert bad.stderr.startswith("error: EVALSPEC_PROGRESS_INTERVAL_S='soon': expected a number")
