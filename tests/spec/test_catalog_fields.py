"""Spec fields of the catalog tasks: generation.n and pass@k, output_type, regex and judge
scorers, `judges:`; each problem is one `FILE:LINE: FIELD.PATH: problem` line."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from evalspec.cli import cli
from evalspec.errors import EXIT_USAGE, SpecError
from evalspec.spec import load_spec

Write = Callable[[str, str], Path]  # the `write` fixture of conftest.py

REPO = Path(__file__).resolve().parents[2]

HEAD = """\
version: 1
name: s
models:
  - id: m
    source: org/model
tasks:
  - id: t
    dataset: {format: jsonl, source: data.jsonl}
"""  # lines 1-8; task keys from line 9 on

CATALOG = """\
version: 1
models:
  - id: smol
    source: org/smol
  - id: judge-big
    source: org/judge
"""

JUDGE_TASK = """\
tasks:
  - id: t
    dataset: {format: jsonl, source: data.jsonl}
    scorer: {type: judge, model: judge-big}
"""


def spec_error(write: Write, text: str, name: str = "spec.yaml") -> str:
    path = write(name, text)
    with pytest.raises(SpecError) as info:
        load_spec(str(path))
    message = str(info.value)
    assert "\n" not in message
    assert info.value.exit_code == EXIT_USAGE
    return message


# --- generation.n and pass@k ---------------------------------------------------------------


def test_n_above_one_with_greedy_temperature_is_rejected(write: Write) -> None:
    text = HEAD + "    generation: {n: 2}\n    scorer: {type: exact_match}\n"
    assert spec_error(write, text) == (
        "spec.yaml:9: tasks[0].generation: n > 1 samples of a greedy (temperature 0) "
        "generation are identical; set temperature > 0"
    )


def test_n_above_one_with_explicit_zero_temperature_is_rejected(write: Write) -> None:
    generation = "    generation:\n      n: 3\n      temperature: 0.0\n"
    text = HEAD + generation + "    scorer: {type: numeric}\n"
    assert spec_error(write, text).startswith(
        "spec.yaml:9: tasks[0].generation: n > 1 samples of a greedy"
    )


def test_pass_at_k_above_n_is_rejected(write: Write) -> None:
    text = (
        HEAD + "    generation: {n: 2, temperature: 0.8}\n"
        "    scorer: {type: code_exec}\n"
        "    metrics: [pass@1, pass@5]\n"
    )
    assert spec_error(write, text) == (
        "spec.yaml:7: tasks[0]: metric 'pass@5' needs generation.n >= 5 samples per prompt (n is 2)"
    )


def test_pass_at_k_with_default_n_is_rejected(write: Write) -> None:
    text = HEAD + "    scorer: {type: numeric}\n    metrics: [pass@2]\n"
    assert spec_error(write, text) == (
        "spec.yaml:7: tasks[0]: metric 'pass@2' needs generation.n >= 2 samples per prompt (n is 1)"
    )


@pytest.mark.parametrize(
    ("scorer", "metrics"),
    [("code_exec", ["pass@1", "pass@2"]), ("numeric", ["accuracy", "pass@2"])],
)
def test_pass_at_n_is_accepted_for_binary_scorers(
    write: Write, scorer: str, metrics: list[str]
) -> None:
    text = (
        HEAD + "    generation: {n: 2, temperature: 0.8, seed: 3}\n"
        f"    scorer: {{type: {scorer}}}\n"
        f"    metrics: [{', '.join(metrics)}]\n"
    )
    task = load_spec(write("spec.yaml", text)).spec.tasks[0]
    assert task.generation.n == 2
    assert task.metric_names == tuple(metrics)


def test_pass_at_k_is_not_reported_by_a_non_binary_scorer(write: Write) -> None:
    text = (
        HEAD + "    generation: {n: 2, temperature: 0.8}\n"
        "    scorer: {type: judge, model: m}\n"
        "    metrics: [pass@1]\n"
    )
    assert spec_error(write, text) == (
        "spec.yaml:7: tasks[0]: metric 'pass@1' is not reported by scorer 'judge'; "
        "use one of: judge_score, turn_1, turn_2"
    )


def test_metric_not_reported_by_the_scorer_lists_its_metrics(write: Write) -> None:
    text = HEAD + "    scorer: {type: exact_match}\n    metrics: [accuracy]\n"
    assert spec_error(write, text) == (
        "spec.yaml:7: tasks[0]: metric 'accuracy' is not reported by scorer 'exact_match'; "
        "use one of: exact_match, pass@k"
    )


def test_multiple_choice_metric_outside_its_list_is_rejected(write: Write) -> None:
    text = (
        HEAD + "    output_type: loglikelihood\n"
        "    scorer: {type: multiple_choice}\n"
        "    metrics: [acc, accuracy]\n"
    )
    assert spec_error(write, text) == (
        "spec.yaml:7: tasks[0]: metric 'accuracy' is not reported by scorer 'multiple_choice'; "
        "use one of: acc, acc_norm, mc2"
    )


# --- output_type ---------------------------------------------------------------------------


def test_loglikelihood_with_a_generate_scorer_is_rejected(write: Write) -> None:
    text = HEAD + "    output_type: loglikelihood\n    scorer: {type: exact_match}\n"
    assert spec_error(write, text) == (
        "spec.yaml:7: tasks[0]: output_type loglikelihood goes with scorer multiple_choice "
        "(and only it); got output_type loglikelihood with scorer exact_match"
    )


def test_multiple_choice_scorer_on_a_generate_task_is_rejected(write: Write) -> None:
    text = HEAD + "    scorer: {type: multiple_choice}\n"
    assert spec_error(write, text) == (
        "spec.yaml:7: tasks[0]: output_type loglikelihood goes with scorer multiple_choice "
        "(and only it); got output_type generate with scorer multiple_choice"
    )


def test_loglikelihood_with_a_chat_prompt_is_accepted(write: Write) -> None:
    text = (
        HEAD + "    output_type: loglikelihood\n"
        "    prompt: {chat: true, system: 'Answer with a letter.'}\n"
        "    scorer: {type: multiple_choice}\n"
    )
    (task,) = load_spec(write("spec.yaml", text)).spec.tasks
    assert task.prompt.chat is True
    assert task.prompt.system == "Answer with a letter."


def test_choice_delimiter_with_a_chat_prompt_is_rejected(write: Write) -> None:
    text = (
        HEAD + "    output_type: loglikelihood\n"
        "    prompt: {chat: true}\n"
        "    choice_delimiter: ' '\n"
        "    scorer: {type: multiple_choice}\n"
    )
    assert spec_error(write, text) == (
        "spec.yaml:7: tasks[0]: choice_delimiter applies to raw prompts: with prompt.chat: true "
        "each choice opens the assistant turn directly (as lm-eval's --apply_chat_template); "
        "remove choice_delimiter or set prompt.chat: false"
    )


def test_loglikelihood_without_chat_defaults_to_a_raw_prompt(write: Write) -> None:
    text = (
        HEAD + "    output_type: loglikelihood\n"
        "    prompt: {template: 'Q: {prompt}'}\n"
        "    scorer: {type: multiple_choice}\n"
        "  - id: bare\n"
        "    dataset: {format: jsonl, source: data.jsonl}\n"
        "    output_type: loglikelihood\n"
        "    scorer: {type: multiple_choice}\n"
        "  - id: gen\n"
        "    dataset: {format: jsonl, source: data.jsonl}\n"
        "    scorer: {type: exact_match}\n"
    )
    with_template, bare, generate = load_spec(write("spec.yaml", text)).spec.tasks
    assert with_template.prompt.chat is False
    assert with_template.prompt.template == "Q: {prompt}"
    assert bare.prompt.chat is False
    assert generate.prompt.chat is True  # the default of generate tasks is unchanged


def test_loglikelihood_rejects_several_samples_per_prompt(write: Write) -> None:
    text = (
        HEAD + "    output_type: loglikelihood\n"
        "    generation: {n: 2, temperature: 0.5}\n"
        "    scorer: {type: multiple_choice}\n"
    )
    assert spec_error(write, text) == (
        "spec.yaml:7: tasks[0]: generation.n applies to output_type generate only"
    )


# --- regex scorer --------------------------------------------------------------------------


def test_regex_scorer_with_an_invalid_pattern_is_rejected(write: Write) -> None:
    text = HEAD + "    scorer: {type: regex, pattern: '(unclosed'}\n"
    assert spec_error(write, text) == (
        "spec.yaml:9: tasks[0].scorer: pattern is not a valid regular expression: "
        "missing ) at position 9"
    )


def test_regex_scorer_naming_a_missing_group_is_rejected(write: Write) -> None:
    text = HEAD + "    scorer: {type: regex, pattern: '(a)(b)', group: 3}\n"
    assert spec_error(write, text) == (
        "spec.yaml:9: tasks[0].scorer: group 3 does not exist: the pattern has 2 group(s)"
    )


def test_regex_scorer_default_group_needs_a_group_in_the_pattern(write: Write) -> None:
    text = HEAD + "    scorer: {type: regex, pattern: '\\d+'}\n"
    assert spec_error(write, text) == (
        "spec.yaml:9: tasks[0].scorer: group 1 does not exist: the pattern has 0 group(s)"
    )


def test_regex_scorer_group_zero_needs_no_group(write: Write) -> None:
    text = HEAD + "    scorer: {type: regex, pattern: '\\d+', group: 0}\n"
    scorer = load_spec(write("spec.yaml", text)).spec.tasks[0].scorer
    assert scorer.type == "regex"


# --- judge scorer and judges: --------------------------------------------------------------


def test_judge_model_not_in_the_spec_points_at_the_scorer_model_line(write: Write) -> None:
    text = HEAD + "    scorer:\n      type: judge\n      model: mm\n"
    assert spec_error(write, text) == (
        "spec.yaml:11: tasks[0].scorer.model: judge model 'mm' is not in this spec "
        "(did you mean 'm'?). add it under `judges:` (judge only) or `models:`"
    )


def test_judge_model_without_a_close_id_has_no_suggestion(write: Write) -> None:
    text = HEAD + "    scorer:\n      type: judge\n      model: zzzzzzzz\n"
    assert spec_error(write, text) == (
        "spec.yaml:11: tasks[0].scorer.model: judge model 'zzzzzzzz' is not in this spec. "
        "add it under `judges:` (judge only) or `models:`"
    )


def test_judges_resolve_from_an_included_catalog(write: Write) -> None:
    write("cat.yaml", CATALOG)
    text = "version: 1\nname: s\ninclude: [cat.yaml]\nmodels: [smol]\njudges: [judge-big]\n"
    loaded = load_spec(write("spec.yaml", text + JUDGE_TASK))
    assert [m.id for m in loaded.spec.resolved_models()] == ["smol"]
    judges = loaded.spec.resolved_judges()
    assert [(j.id, j.source) for j in judges] == [("judge-big", "org/judge")]
    assert loaded.spec.tasks[0].scorer.type == "judge"


def test_judge_may_be_one_of_the_evaluated_models(write: Write) -> None:
    write("cat.yaml", CATALOG)
    text = "version: 1\nname: s\ninclude: [cat.yaml]\nmodels: [smol, judge-big]\n"
    loaded = load_spec(write("spec.yaml", text + JUDGE_TASK))
    assert [m.id for m in loaded.spec.resolved_models()] == ["smol", "judge-big"]
    assert loaded.spec.resolved_judges() == []


def test_unknown_judge_id_suggests_a_catalog_model(write: Write) -> None:
    write("cat.yaml", CATALOG)
    text = "version: 1\nname: s\ninclude: [cat.yaml]\nmodels: [smol]\njudges: [judge-bgi]\n"
    assert spec_error(write, text + JUDGE_TASK) == (
        "spec.yaml:5: judges[0]: unknown model id 'judge-bgi' (did you mean 'judge-big'?). "
        "catalog models: smol, judge-big"
    )


def test_judge_that_is_also_a_model_of_the_whole_catalog_is_rejected(write: Write) -> None:
    # no `models:`: every catalog model is evaluated, judge-big included
    write("cat.yaml", CATALOG)
    text = "version: 1\nname: s\ninclude: [cat.yaml]\njudges: [judge-big]\n"
    assert spec_error(write, text + JUDGE_TASK) == (
        "spec.yaml:4: judges[0]: 'judge-big' is both a model and a judge; a model of the spec "
        "can judge already: remove it from `judges:`"
    )


def test_model_listed_in_both_models_and_judges_is_rejected_at_its_line(write: Write) -> None:
    write("cat.yaml", CATALOG)
    text = "version: 1\nname: s\ninclude: [cat.yaml]\nmodels: [smol, judge-big]\n"
    message = spec_error(write, text + "judges: [judge-big]\n" + JUDGE_TASK)
    assert message.startswith("spec.yaml:5: judges[0]"), message
    assert "judge-big" in message


def test_model_listed_in_both_models_and_judges_is_rejected(write: Write) -> None:
    write("cat.yaml", CATALOG)
    text = "version: 1\nname: s\ninclude: [cat.yaml]\nmodels: [smol, judge-big]\n"
    message = spec_error(write, text + "judges: [judge-big]\n" + JUDGE_TASK)
    assert message.startswith("spec.yaml")
    assert "judge-big" in message


@pytest.mark.parametrize(("low", "high"), [(5, 5), (10, 1)])
def test_min_rating_not_below_max_rating_is_rejected(write: Write, low: int, high: int) -> None:
    text = HEAD + f"    scorer: {{type: judge, model: m, min_rating: {low}, max_rating: {high}}}\n"
    assert spec_error(write, text) == (
        "spec.yaml:9: tasks[0].scorer: min_rating must be below max_rating"
    )


# --- the repository's specs ----------------------------------------------------------------


SPECS = ["coding", "math", "general", "biomedical", "smoke"]
# the other specs read hf: datasets that are not in this machine's cache: only their files
# are validated here (`--spec-only`); smoke's data ships in the repository
FULL = ["smoke"]


@pytest.mark.parametrize("name", SPECS)
def test_validate_accepts_each_repository_spec(name: str) -> None:
    path = REPO / "specs" / f"{name}.yaml"
    spec_only = [] if name in FULL else ["--spec-only"]
    result = CliRunner().invoke(cli, ["validate", *spec_only, str(path)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"ok: {path} (")


def test_validate_accepts_all_repository_specs_in_one_call() -> None:
    paths = [str(REPO / "specs" / f"{name}.yaml") for name in SPECS]
    result = CliRunner().invoke(cli, ["validate", "--spec-only", *paths])
    assert result.exit_code == 0, result.output
    assert [line.split(" (")[0] for line in result.output.splitlines()] == [
        f"ok: {p}" for p in paths
    ]


def test_validate_accepts_every_spec_file_in_the_repository() -> None:
    found = sorted(p for p in (REPO / "specs").glob("*.yaml") if p.name != "models.yaml")
    assert {p.stem for p in found} >= set(SPECS)
    result = CliRunner().invoke(cli, ["validate", "--spec-only", *map(str, found)])
    assert result.exit_code == 0, result.output
