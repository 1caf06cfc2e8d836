"""The code_exec scorer runs HumanEval candidates against their tests in child processes."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from evalspec.data import Sample, load_dataset
from evalspec.errors import SpecError
from evalspec.scoring import score_outputs
from evalspec.scoring.code_exec import run_candidate
from evalspec.spec.models import DatasetSpec
from evalspec.spec.scorers import CodeExecScorer

SCORER = CodeExecScorer(type="code_exec", timeout_s=10)

HAS_CLOSE_FULL = """Here is my solution:

```python
from typing import List


def has_close_elements(numbers: List[float], threshold: float) -> bool:
    for i, a in enumerate(numbers):
        for j, b in enumerate(numbers):
            if i != j and abs(a - b) < threshold:
                return True
    return False
```

It compares every pair.
"""


@pytest.fixture(scope="module")
def humaneval() -> list[Sample]:
    spec = DatasetSpec(format="humaneval", source="builtin:humaneval")
    return load_dataset(spec, Path(".")).samples


def test_first_ten_canonical_solutions_pass(humaneval: list[Sample]) -> None:
    samples = humaneval[:10]
    scores = score_outputs(SCORER, samples, [s.target for s in samples])
    assert [s.value for s in scores] == [1.0] * 10
    assert all(s.detail is None for s in scores)
    # the level, then what held (e.g. "bwrap+cgroup")
    assert {(s.isolation or "").split("+")[0] for s in scores} <= {"bwrap", "rlimits"}


def test_first_ten_with_a_broken_body_fail_on_their_assertions(humaneval: list[Sample]) -> None:
    samples = humaneval[:10]
    scores = score_outputs(SCORER, samples, ["    return None\n"] * 10)
    assert [s.value for s in scores] == [0.0] * 10
    details = [s.detail or "" for s in scores]
    assert details[4].startswith("TypeError")  # mean_absolute_deviation computes with None
    assert all(d.startswith("AssertionError") for i, d in enumerate(details) if i != 4)


def test_markdown_fenced_full_function_passes(humaneval: list[Sample]) -> None:
    assert run_candidate(humaneval[0], HAS_CLOSE_FULL, 10).value == 1.0


def test_fenced_full_function_can_use_helpers_defined_in_the_prompt(
    humaneval: list[Sample],
) -> None:
    make_palindrome = humaneval[10]  # its prompt defines is_palindrome, used by the solution
    output = f"```python\ndef make_palindrome(string: str) -> str:\n{make_palindrome.target}```"
    assert run_candidate(make_palindrome, output, 10).value == 1.0


def test_fenced_completion_body_is_appended_to_the_prompt(humaneval: list[Sample]) -> None:
    output = f"```\n{humaneval[2].target}```"
    assert run_candidate(humaneval[2], output, 10).value == 1.0


def test_printing_instead_of_returning_fails(humaneval: list[Sample]) -> None:
    output = "    print(number % 1.0)\n"  # truncate_number
    score = run_candidate(humaneval[2], output, 10)
    assert score.value == 0.0
    assert score.detail == "AssertionError"


def test_sys_exit_zero_before_the_tests_fails(humaneval: list[Sample]) -> None:
    output = "    import sys\n    sys.exit(0)\n" + "\nimport sys\nsys.exit(0)\n"
    score = run_candidate(humaneval[2], output, 10)
    assert (score.value, score.detail) == (0.0, "exited before the checker ran")


def test_os_exit_zero_inside_the_candidate_fails(humaneval: list[Sample]) -> None:
    output = "    import os\n    os._exit(0)\n"  # runs when check() calls the candidate
    score = run_candidate(humaneval[2], output, 10)
    assert (score.value, score.detail) == (0.0, "exited before the checker ran")


def test_infinite_loop_times_out_within_two_seconds_of_the_limit(
    humaneval: list[Sample],
) -> None:
    start = time.monotonic()
    score = run_candidate(humaneval[2], "    while True:\n        pass\n", 1.0)
    elapsed = time.monotonic() - start
    assert (score.value, score.detail) == (0.0, "timeout")
    assert elapsed < 3.0


def test_cpu_limit_below_the_wall_clock_limit_stops_a_busy_loop(
    humaneval: list[Sample],
) -> None:
    from evalspec.scoring.code_exec import score_code
    from evalspec.scoring.sandbox import Limits

    start = time.monotonic()
    (score,) = score_code(
        [humaneval[2]],
        ["    while True:\n        pass\n"],
        limits=Limits(timeout_s=20.0, cpu_s=1.0),
        workers=1,
    )
    assert (score.value, score.detail) == (0.0, "cpu time limit")
    assert time.monotonic() - start < 15.0  # long before the 20 s wall-clock limit


def test_default_cpu_limit_is_a_backstop_past_the_wall_clock_limit() -> None:
    from evalspec.scoring.sandbox import Limits

    assert Limits(timeout_s=1.0).cpu_seconds == 2
    assert Limits(timeout_s=2.5).cpu_seconds == 4
    assert Limits(timeout_s=10.0, cpu_s=3.0).cpu_seconds == 3


def test_background_children_are_killed_and_do_not_hold_the_run(
    humaneval: list[Sample],
) -> None:
    output = (
        "    import os, time\n"
        "    if os.fork() == 0:\n"
        "        time.sleep(30)\n"
        "        os._exit(0)\n"
        "    return number % 1.0\n"
    )
    start = time.monotonic()
    score = run_candidate(humaneval[2], output, 5.0)
    assert time.monotonic() - start < 3.0
    assert score.value == 1.0  # the sleeping children did not keep the run waiting


def test_runaway_output_hits_the_output_limit(humaneval: list[Sample]) -> None:
    output = "    while True:\n        print('x' * 65536)\n"
    score = run_candidate(humaneval[2], output, 10.0)
    assert score.value == 0.0
    assert (score.detail or "").startswith("output limit exceeded")


def test_syntax_error_reports_the_error_line(humaneval: list[Sample]) -> None:
    score = run_candidate(humaneval[2], "    return (\n", 10.0)
    assert score.value == 0.0
    assert (score.detail or "").startswith("SyntaxError")


def test_samples_without_tests_are_a_spec_error() -> None:
    with pytest.raises(SpecError, match="scorer code_exec needs samples with 'test'"):
        score_outputs(SCORER, [Sample("x", "def f():\n", "")], ["    return 1\n"])


def test_future_import_in_a_fenced_full_function_still_runs(humaneval: list[Sample]) -> None:
    output = HAS_CLOSE_FULL.replace("from typing import List", "from __future__ import annotations")
    assert run_candidate(humaneval[0], output, 10).value == 1.0
