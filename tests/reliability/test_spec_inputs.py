"""Issue 12, spec inputs: every broken spec, catalog or thresholds file is one line, exit 2.

Control characters (comments included), prompt templates, empty stop strings, seeds
out of the engines' range, non-finite numbers, huge scalars and an include of a file
that is not a mapping: each names FILE:LINE, the field and what to do, and no
traceback appears; the CLI cases run the real command in a subprocess.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from inputs_cli import evalspec, usage_error, workspace

from evalspec.errors import SpecError
from evalspec.spec import load_catalog, load_spec, load_thresholds
from evalspec.spec.models import MAX_SEED, GenerationSpec

CONTROLS = {"\x00": "U+0000", "\x01": "U+0001", "\x07": "U+0007", "\x1b": "U+001B"}
CONTROLS |= {"\x7f": "U+007F", "\ufffe": "U+FFFE"}


# --- control characters ----------------------------------------------------------------


@pytest.mark.parametrize("char", list(CONTROLS))
@pytest.mark.parametrize(
    ("name", "old", "loader", "field"),
    [
        ("spec.yaml", "# a| spec", load_spec, ""),  # a comment on line 1
        ("spec.yaml", "Answer| with", load_spec, "tasks[0].prompt.template: "),
        ("thresholds.yaml", "min: 0|.1", load_thresholds, "rules[0].min: "),
        ("models.yaml", "id: sm|ol", load_catalog, "models[0].id: "),
    ],
)
def test_control_character_is_refused_at_its_line_column_and_field(
    tmp_path: Path, char: str, name: str, old: str, loader: object, field: str
) -> None:
    """`old` marks with | where the character goes, in a file of the workspace."""
    ws = workspace(tmp_path)
    path = ws.edit(name, old.replace("|", ""), old.replace("|", char))
    lines = path.read_text(encoding="utf-8").splitlines()
    line = next(i for i, text in enumerate(lines, start=1) if char in text)
    column = lines[line - 1].index(char) + 1
    with pytest.raises(SpecError) as err:
        loader(path)  # type: ignore[operator]
    message = str(err.value)
    assert message.startswith(f"{path}:{line}:{column}: {field}control character "), message
    assert CONTROLS[char] in message
    assert "delete it" in message


def test_control_character_in_a_comment_exits_2_from_the_cli(tmp_path: Path) -> None:
    ws = workspace(tmp_path)
    ws.edit("spec.yaml", "one field", "one\x07field")
    proc = evalspec("validate", "spec.yaml", cwd=tmp_path)
    usage_error(proc, r"^error: spec\.yaml:1:\d+: control character U\+0007 \(BEL\) .*delete it")


def test_control_character_in_the_thresholds_file_exits_2(tmp_path: Path) -> None:
    ws = workspace(tmp_path)
    ws.edit("thresholds.yaml", "version: 1", "version: 1  # \x1b[31m")
    proc = evalspec("check", "spec.yaml", cwd=tmp_path)
    usage_error(proc, r"^error: thresholds\.yaml:1:\d+: version: control character U\+001B")
    assert not (tmp_path / "runs").exists()  # refused before any run started


# --- prompt templates ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "template", "problem"),
    [
        ("template", "{prompt Answer.", r"expected '\}' before end of string"),
        ("template", "{prompt}} x", r"Single '\}' encountered"),
        ("system", "{", r"Single '\{' encountered"),
        ("template", "{prompt:d}", r"'\{prompt:d\}' has a conversion or format spec"),
        ("template", "{prompt:>99999999999}", r"has a conversion or format spec"),
        ("template", "{prompt!r}", r"has a conversion or format spec"),
        ("template", "Q: {0}", r"'\{0\}' \(in 'Q: \{0\}'\) is a positional placeholder"),
        ("template", "{prompt.__class__}", r"uses attribute or index access"),
    ],
)
def test_bad_template_is_refused_when_the_spec_loads(
    tmp_path: Path, field: str, template: str, problem: str
) -> None:
    ws = workspace(tmp_path)
    quoted = '"' + template + '"'
    if field == "template":
        ws.edit("spec.yaml", '"{prompt} Answer with the number only."', quoted)
    else:
        ws.edit("spec.yaml", "    prompt:\n", f"    prompt:\n      system: {quoted}\n")
    with pytest.raises(SpecError) as err:
        load_spec(ws.spec)
    message = str(err.value)
    assert message.startswith(f"{ws.spec}:10: tasks[0].prompt.{field}: "), message
    assert re.search(problem, message), message
    assert "write {{ and }} for literal braces" in message


def test_huge_format_width_exits_2_instead_of_memory_error(tmp_path: Path) -> None:
    ws = workspace(tmp_path)
    ws.edit("spec.yaml", "{prompt} Answer", "{prompt:>99999999999} Answer")
    proc = evalspec("plan", "spec.yaml", cwd=tmp_path)
    usage_error(proc, r"^error: spec\.yaml:10: tasks\[0\]\.prompt\.template: .*format spec")


def test_bad_fewshot_answer_template_is_refused(tmp_path: Path) -> None:
    ws = workspace(tmp_path)
    ws.edit(
        "spec.yaml",
        "    generation:",
        "    fewshot: {k: 1, split: train, answer: '{x'}\n    generation:",
    )
    with pytest.raises(SpecError, match=r"spec\.yaml:11: tasks\[0\]\.fewshot\.answer: '\{x'"):
        load_spec(ws.spec)


# --- generation settings the engines refuse at run time --------------------------------


@pytest.mark.parametrize("command", ["validate", "check"])
def test_empty_stop_string_exits_2_before_running(tmp_path: Path, command: str) -> None:
    ws = workspace(tmp_path)
    ws.edit("spec.yaml", "temperature: 0.0}", 'temperature: 0.0, stop: ["\\n", ""]}')
    proc = evalspec(command, "spec.yaml", cwd=tmp_path)
    usage_error(
        proc,
        r'^error: spec\.yaml:11: tasks\[0\]\.generation\.stop: an empty stop string .*remove ""',
    )
    assert not (tmp_path / "runs").exists()


def test_seed_above_the_engines_range_exits_2(tmp_path: Path) -> None:
    ws = workspace(tmp_path)
    ws.edit("spec.yaml", "temperature: 0.0}", f"temperature: 0.7, seed: {2**64}}}")
    proc = evalspec("validate", "spec.yaml", cwd=tmp_path)
    usage_error(
        proc,
        rf"^error: spec\.yaml:11: tasks\[0\]\.generation\.seed: seed {2**64} is out of range: "
        rf"use 0 to {MAX_SEED}",
    )


@pytest.mark.parametrize("seed", [2**63, -1])
def test_seed_outside_the_engines_range_is_refused(tmp_path: Path, seed: int) -> None:
    ws = workspace(tmp_path)
    ws.edit("spec.yaml", "temperature: 0.0}", f"temperature: 0.7, seed: {seed}}}")
    with pytest.raises(SpecError, match=rf"generation\.seed: seed {seed} is out of range"):
        load_spec(ws.spec)


def test_seed_range_accounts_for_the_n_samples_of_a_prompt() -> None:
    assert GenerationSpec(seed=MAX_SEED).seed == MAX_SEED
    assert GenerationSpec(seed=MAX_SEED - 3, n=4, temperature=0.5).seed == MAX_SEED - 3
    with pytest.raises(ValueError, match=rf"use a seed of at most {MAX_SEED - 3}"):
        GenerationSpec(seed=MAX_SEED - 2, n=4, temperature=0.5)


@pytest.mark.parametrize(
    ("name", "old", "new", "field"),
    [
        (
            "spec.yaml",
            "temperature: 0.0",
            "temperature: .inf",
            r"tasks\[0\]\.generation\.temperature",
        ),
        (
            "spec.yaml",
            "temperature: 0.0",
            "temperature: 2.5",
            r"tasks\[0\]\.generation\.temperature",
        ),
        ("thresholds.yaml", "min: 0.1", "min: .nan", r"rules\[0\]\.min"),
        ("thresholds.yaml", "min: 0.1", "max_drop: .inf", r"rules\[0\]\.max_drop"),
    ],
)
def test_non_finite_or_out_of_range_numbers_exit_2(
    tmp_path: Path, name: str, old: str, new: str, field: str
) -> None:
    ws = workspace(tmp_path)
    path = ws.edit(name, old, new)
    with pytest.raises(SpecError, match=rf"^{re.escape(str(path))}:\d+: {field}: input should be"):
        (load_spec if name == "spec.yaml" else load_thresholds)(path)


def test_nan_threshold_exits_2_from_validate(tmp_path: Path) -> None:
    ws = workspace(tmp_path)
    ws.edit("thresholds.yaml", "min: 0.1", "min: .nan")
    proc = evalspec("validate", "spec.yaml", cwd=tmp_path)
    usage_error(proc, r"^error: thresholds\.yaml:3: rules\[0\]\.min: input should be a finite")


# --- scalars and includes --------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "reason"),
    [("1" * 5000, "Exceeds the limit"), ("2024-13-01", "month must be in 1..12")],
)
def test_scalar_yaml_cannot_build_is_one_line(tmp_path: Path, value: str, reason: str) -> None:
    ws = workspace(tmp_path)
    ws.edit("spec.yaml", "max_tokens: 8", f"max_tokens: {value}")
    with pytest.raises(SpecError) as err:
        load_spec(ws.spec)
    message = str(err.value)
    assert message.startswith(f"{ws.spec}:11: tasks[0].generation.max_tokens: cannot read ")
    assert reason in message and "quote it" in message
    assert len(message) < 300


def test_include_of_a_huge_non_mapping_quotes_only_an_excerpt(tmp_path: Path) -> None:
    ws = workspace(tmp_path)
    (tmp_path / "models.yaml").write_text("x" * 5_000_000 + "\n", encoding="utf-8")
    proc = evalspec("validate", "spec.yaml", cwd=tmp_path)
    line = usage_error(
        proc, r"^error: models\.yaml:1: the top level must be a mapping .*'xxxx.*\.\.\.'\)$"
    )
    assert len(line) < 200
    assert ws.spec.exists()


@pytest.mark.parametrize(
    "text",
    [
        "version: 1\nname: *" + "x" * 100_000 + "\n",  # PyYAML quotes the alias whole
        "k" * 100_000 + ": 1\n" + "k" * 100_000 + ": 2\n",  # a duplicate key
        "1" * 4000 + ": 1\n",  # a key read as a number
    ],
)
def test_yaml_errors_quote_at_most_an_excerpt(tmp_path: Path, text: str) -> None:
    path = tmp_path / "spec.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SpecError) as err:
        load_spec(path)
    assert len(str(err.value)) < len(str(path)) + 300, str(err.value)[:400]
