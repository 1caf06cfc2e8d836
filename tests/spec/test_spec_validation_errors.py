"""Invalid specs, catalogs and thresholds: one `FILE:LINE: FIELD.PATH: problem` line each."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from evalspec.errors import EXIT_USAGE, SpecError
from evalspec.spec import load_catalog, load_spec, load_thresholds

Write = Callable[[str, str], Path]  # the `write` fixture of conftest.py

MODEL = """\
version: 1
name: smoke
models:
  - id: m
    source: org/model
tasks:
  - id: t
    dataset: {format: jsonl, source: data.jsonl}
    scorer: {type: exact_match}
"""  # lines 1-9; extra task keys from line 10 on


def error_of(load: Callable[[str], object], path: object) -> str:
    with pytest.raises(SpecError) as info:
        load(str(path))
    text = str(info.value)
    assert "\n" not in text
    assert info.value.exit_code == EXIT_USAGE
    return text


def spec_error(write: Write, text: str) -> str:
    return error_of(load_spec, write("spec.yaml", text))


def test_valid_spec_loads(write: Write) -> None:
    loaded = load_spec(write("spec.yaml", MODEL))
    assert loaded.spec.tasks[0].id == "t"


def test_unknown_key_suggests_closest_valid_key(write: Write) -> None:
    assert spec_error(write, MODEL + "    generaton: {max_tokens: 4}\n") == (
        "spec.yaml:10: tasks[0].generaton: unknown key 'generaton' (did you mean 'generation'?)"
    )


def test_unknown_key_without_close_match_lists_valid_keys(write: Write) -> None:
    assert spec_error(write, MODEL + "zzqqx: 1\n") == (
        "spec.yaml:10: zzqqx: unknown key 'zzqqx'. "
        "valid keys: gate, include, judges, models, name, run, samples, tasks, version"
    )


def test_wrong_type_names_expected_type_and_offending_value(write: Write) -> None:
    text = MODEL + "    generation:\n      max_tokens: many\n"
    assert spec_error(write, text) == (
        "spec.yaml:11: tasks[0].generation.max_tokens: expected an integer, got 'many'"
    )


def test_wrong_type_for_a_list_field(write: Write) -> None:
    assert spec_error(write, MODEL + "    generation: {stop: 5}\n") == (
        "spec.yaml:10: tasks[0].generation.stop: expected a list, got 5"
    )


def test_null_section_is_a_wrong_type(write: Write) -> None:
    assert (
        spec_error(write, MODEL + "gate:\n") == "spec.yaml:10: gate: expected a mapping, got null"
    )


def test_missing_required_field_points_at_parent_mapping(write: Write) -> None:
    text = MODEL.replace("    dataset: {format: jsonl, source: data.jsonl}\n", "    dataset:\n")
    text = text.replace("    dataset:\n", "    dataset:\n      format: jsonl\n")
    assert spec_error(write, text) == (
        "spec.yaml:8: tasks[0].dataset.source: missing required key 'source'"
    )


def test_missing_top_level_field_points_at_file(write: Write) -> None:
    assert spec_error(write, "version: 1\nname: x\nmodels: [{id: m, source: s}]\n") == (
        "spec.yaml: tasks: missing required key 'tasks'"
    )


def test_typo_is_reported_before_the_missing_key_it_causes(write: Write) -> None:
    text = MODEL.replace("    source: org/model", "    sorce: org/model")
    assert spec_error(write, text) == (
        "spec.yaml:5: models[0].sorce: unknown key 'sorce' (did you mean 'source'?) (1 more error)"
    )


def test_invalid_literal_lists_allowed_values_and_suggests_one(write: Write) -> None:
    assert spec_error(write, MODEL + "samples: {mode: quik}\n") == (
        "spec.yaml:10: samples.mode: invalid value 'quik'; "
        "allowed: 'validate', 'quick', 'standard', 'full' or 'adaptive' (did you mean 'quick'?)"
    )


def test_unsupported_version_is_an_invalid_literal(write: Write) -> None:
    assert spec_error(write, MODEL.replace("version: 1", "version: 2")) == (
        "spec.yaml:1: version: invalid value 2; allowed: 1"
    )


def test_scorer_field_error_skips_the_union_tag_in_the_path(write: Write) -> None:
    text = MODEL.replace("{type: exact_match}", "\n      type: numeric\n      tolerance: x")
    assert spec_error(write, text) == (
        "spec.yaml:11: tasks[0].scorer.tolerance: expected a number, got 'x'"
    )


def test_unknown_key_in_scorer_suggests_that_scorers_keys(write: Write) -> None:
    text = MODEL.replace("{type: exact_match}", "{type: numeric, tolerence: 0.1}")
    assert spec_error(write, text) == (
        "spec.yaml:9: tasks[0].scorer.tolerence: unknown key 'tolerence' "
        "(did you mean 'tolerance'?)"
    )


def test_unknown_scorer_type_lists_valid_types(write: Write) -> None:
    text = MODEL.replace("{type: exact_match}", "\n      type: numerc")
    assert spec_error(write, text) == (
        "spec.yaml:10: tasks[0].scorer.type: unknown type 'numerc'; "
        "valid types: exact_match, numeric, gsm8k, regex, choice, math, code_exec, function_call, "
        "json, ifeval, multiple_choice, judge (did you mean 'numeric'?)"
    )


def test_missing_scorer_type_lists_valid_types(write: Write) -> None:
    text = MODEL.replace("{type: exact_match}", "{tolerance: 0.1}")
    assert spec_error(write, text) == (
        "spec.yaml:9: tasks[0].scorer: missing required key 'type'; "
        "valid types: exact_match, numeric, gsm8k, regex, choice, math, code_exec, function_call, "
        "json, ifeval, multiple_choice, judge"
    )


def test_scorer_given_as_a_string_is_a_wrong_type(write: Write) -> None:
    text = MODEL.replace("{type: exact_match}", "numeric")
    assert spec_error(write, text) == (
        "spec.yaml:9: tasks[0].scorer: expected a mapping with a `type` key, got 'numeric'. "
        "valid types: exact_match, numeric, gsm8k, regex, choice, math, code_exec, function_call, "
        "json, ifeval, multiple_choice, judge"
    )


def test_model_validator_error_uses_pydantic_location(write: Write) -> None:
    assert spec_error(write, MODEL + "    metrics: [acc]\n") == (
        "spec.yaml:7: tasks[0]: metric 'acc' is not reported by scorer 'exact_match'; "
        "use one of: exact_match, pass@k"
    )


def test_pass_at_k_needs_that_many_samples(write: Write) -> None:
    assert spec_error(write, MODEL + "    metrics: [pass@5]\n") == (
        "spec.yaml:7: tasks[0]: metric 'pass@5' needs generation.n >= 5 samples per prompt (n is 1)"
    )


def test_duplicate_task_id_points_at_second_task(write: Write) -> None:
    second = (
        "  - id: t\n    dataset: {format: jsonl, source: d.jsonl}\n    scorer: {type: numeric}\n"
    )
    assert spec_error(write, MODEL + second) == (
        "spec.yaml:10: tasks[1]: duplicate task id 't' (first at line 7). give each a unique id"
    )


def test_bad_id_explains_allowed_characters(write: Write) -> None:
    assert spec_error(write, MODEL.replace("name: smoke", "name: 'my spec'")) == (
        "spec.yaml:2: name: invalid id 'my spec'. use letters, digits, '_', '.' and '-', "
        "starting with a letter or digit"
    )


def test_model_entry_that_is_neither_mapping_nor_id(write: Write) -> None:
    text = MODEL.replace("  - id: m\n    source: org/model\n", "  - 5\n  - [a]\n")
    assert spec_error(write, text) == (
        "spec.yaml:4: models[0]: expected a mapping or a string, got 5 (1 more error)"
    )


def test_model_mapping_errors_do_not_mention_the_id_branch(write: Write) -> None:
    text = MODEL.replace("    source: org/model\n", "    source: org/model\n    preset: fast\n")
    assert spec_error(write, text) == (
        "spec.yaml:6: models[0].preset: invalid value 'fast'; "
        "allowed: 'memory_optimized', 'balanced' or 'performance'"
    )


def test_constraint_violation_shows_the_value(write: Write) -> None:
    assert spec_error(write, MODEL + "    generation: {max_tokens: 0}\n") == (
        "spec.yaml:10: tasks[0].generation.max_tokens: input should be greater than 0, got 0"
    )


def test_empty_task_list_needs_one_item(write: Write) -> None:
    text = MODEL.split("tasks:")[0] + "tasks: []\n"
    assert spec_error(write, text) == "spec.yaml:6: tasks: needs at least 1 item, got an empty list"


def test_several_errors_report_the_first_in_file_order_with_a_count(write: Write) -> None:
    text = MODEL.replace("version: 1", "version: 3") + "    generation: {max_tokens: x}\nfoo: 1\n"
    assert (
        spec_error(write, text)
        == "spec.yaml:1: version: invalid value 3; allowed: 1 (2 more errors)"
    )


def test_top_level_must_be_a_mapping(write: Write) -> None:
    assert spec_error(write, "- a\n- b\n") == (
        "spec.yaml:1: the top level must be a mapping (key: value), got a list"
    )


def test_empty_spec_file(write: Write) -> None:
    assert (
        spec_error(write, "\n") == "spec.yaml: file is empty. expected a YAML mapping (key: value)"
    )


def test_yaml_syntax_error_in_spec(write: Write) -> None:
    text = MODEL + "    generation: {max_tokens: 4\n"
    assert spec_error(write, text).startswith("spec.yaml:11:1: invalid YAML: ")


def test_duplicate_key_in_spec(write: Write) -> None:
    assert spec_error(write, MODEL + "    scorer: {type: numeric}\n") == (
        "spec.yaml:10: tasks[0].scorer: duplicate key 'scorer' (first at line 9). "
        "remove one of them"
    )


def test_missing_spec_file_keeps_the_path_as_given(write: Write) -> None:
    write("specs/other.yaml", MODEL)
    assert error_of(load_spec, "specs/nope.yaml") == "specs/nope.yaml: file not found"


def test_error_names_the_relative_path_as_given(write: Write) -> None:
    path = write("specs/smoke.yaml", MODEL + "    generaton: {}\n")
    assert error_of(load_spec, path).startswith("specs/smoke.yaml:10: tasks[0].generaton: ")


def test_thresholds_rule_without_bound_is_reported_at_the_rule(write: Write) -> None:
    path = write("th.yaml", "version: 1\nrules:\n  - {min: 0.5}\n  - task: t\n    metric: m\n")
    assert error_of(load_thresholds, path) == (
        "th.yaml:4: rules[1]: a rule needs `min`, `max`, `max_drop`, `perf` or a combination"
    )


def test_thresholds_unknown_key(write: Write) -> None:
    path = write("th.yaml", "version: 1\nrules:\n  - {min: 0.5, maxdrop: 0.1}\n")
    assert error_of(load_thresholds, path) == (
        "th.yaml:3: rules[0].maxdrop: unknown key 'maxdrop' (did you mean 'max_drop'?)"
    )


def test_valid_thresholds_load(write: Write) -> None:
    path = write("th.yaml", "version: 1\nrules:\n  - {task: t, min: 0.5}\n")
    assert load_thresholds(path).rules[0].min == 0.5


def test_catalog_duplicate_model_points_at_second(write: Write) -> None:
    path = write(
        "cat.yaml", "version: 1\nmodels:\n  - {id: a, source: x}\n  - {id: a, source: y}\n"
    )
    assert error_of(load_catalog, path) == (
        "cat.yaml:4: models[1]: duplicate model id 'a' (first at line 3). give each a unique id"
    )


def test_catalog_needs_a_model(write: Write) -> None:
    path = write("cat.yaml", "version: 1\nmodels: []\n")
    assert error_of(load_catalog, path) == (
        "cat.yaml:2: models: needs at least 1 item, got an empty list"
    )
