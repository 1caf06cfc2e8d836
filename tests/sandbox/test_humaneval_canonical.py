"""All 164 HumanEval canonical solutions pass and 164 broken variants fail, in every mode."""

from __future__ import annotations

from pathlib import Path

import pytest
from sandbox_cases import MODES, level

from evalspec.data import Sample, load_dataset
from evalspec.scoring.code_exec import score_code
from evalspec.spec.models import DatasetSpec


@pytest.fixture(scope="module")
def humaneval() -> list[Sample]:
    return load_dataset(
        DatasetSpec(format="humaneval", source="builtin:humaneval"), Path(".")
    ).samples


def broken(sample: Sample) -> str:
    """A wrong variant: even samples return None, odd ones negate/corrupt the canonical result."""
    if int(sample.id.split("/")[1]) % 2 == 0:
        return "    return None\n"
    entry = sample.meta["entry_point"]
    return (
        f"```python\n{sample.meta['prompt']}{sample.target}\n"
        f"_right = {entry}\n"
        f"def {entry}(*args, **kwargs):\n"
        "    value = _right(*args, **kwargs)\n"
        "    if isinstance(value, bool):\n"
        "        return not value\n"
        "    if isinstance(value, (int, float)):\n"
        "        return value + 1\n"
        "    return [value, 'broken']\n"
        "```"
    )


@pytest.mark.parametrize("mode", MODES)
def test_canonical_solutions_all_pass_and_broken_ones_all_fail(
    humaneval: list[Sample], mode: str
) -> None:
    assert len(humaneval) == 164
    outputs = [s.target for s in humaneval] + [broken(s) for s in humaneval]
    with level(mode) as isolation:
        scores = score_code(humaneval + humaneval, outputs, 10.0, isolation=isolation, workers=2)
    good, bad = scores[:164], scores[164:]
    false_fails = [(s.id, g.detail) for s, g in zip(humaneval, good, strict=True) if g.value != 1]
    false_passes = [s.id for s, b in zip(humaneval, bad, strict=True) if b.value != 0]
    assert false_fails == []
    assert false_passes == []
