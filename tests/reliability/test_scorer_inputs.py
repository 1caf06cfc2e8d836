"""Issue 12, scorer inputs: no pattern hangs scoring, no schema fails late or fetches a URL.

Regex: a catastrophically backtracking pattern stops at the scorer's time limit and the
sample is an error (excluded, with a note), never a silent 0. JSON: a missing or invalid
schema_file, an invalid per-sample schema and a remote `$ref` exit 2 before anything is
generated; at scoring time no reference is ever fetched (a loopback server counts
requests) and a schema that cannot be evaluated leaves the sample out as an error.
"""

from __future__ import annotations

import http.server
import json
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from inputs_cli import Workspace, evalspec, usage_error, workspace

from evalspec.data.types import Sample
from evalspec.errors import SpecError
from evalspec.runner.outcomes import per_sample_value
from evalspec.scoring import score_outputs
from evalspec.scoring.json_match import json_score
from evalspec.scoring.regex_extract import regex_score
from evalspec.spec import load_spec
from evalspec.spec.scorers import JsonScorer, RegexScorer

BACKTRACKS = r"^(a|aa)+$"  # exponential on "aaa...ab", in `re` and in `regex` alike

# --- regex -----------------------------------------------------------------------------


def test_backtracking_pattern_stops_at_the_time_limit_and_is_an_error() -> None:
    scorer = RegexScorer(type="regex", pattern=BACKTRACKS, group=0, timeout_s=0.3)
    samples = [Sample(id="s1", prompt="p", target="a"), Sample(id="s2", prompt="p", target="aa")]
    started = time.process_time()  # `regex` limits CPU time: a busy machine cannot cut it short
    scores = score_outputs(scorer, samples, ["a" * 60 + "b", "aa"])
    assert time.process_time() - started < 3
    hung, fine = scores
    assert hung.excluded and hung.value == 0.0
    assert hung.detail is not None and hung.detail.startswith("error: the pattern took over 0.3 s")
    assert "scorer.timeout_s" in hung.detail
    assert not fine.excluded and fine.value == 1.0
    # left out of the metric (not a 0), the other sample still counts
    assert per_sample_value("exact_match", [hung]) is None
    assert per_sample_value("exact_match", [fine]) == 1.0


def test_the_issues_pattern_on_a_long_output_finishes() -> None:
    """`^(a+)+$` hung `re` forever on a long output; now it is scored at once."""
    started = time.process_time()
    score = regex_score("a" * 5000 + "!", "a", pattern=r"^(a+)+$", timeout_s=1.0)
    assert time.process_time() - started < 3
    assert score.value == 0.0


@pytest.mark.parametrize("timeout", [0, -1, 601])
def test_regex_time_limit_is_bounded(tmp_path: Path, timeout: float) -> None:
    ws = workspace(tmp_path)
    ws.edit(
        "spec.yaml", "{type: numeric}", f"{{type: regex, pattern: '(\\d+)', timeout_s: {timeout}}}"
    )
    with pytest.raises(SpecError, match=r"spec\.yaml:12: tasks\[0\]\.scorer\.timeout_s: input"):
        load_spec(ws.spec)


# --- JSON schemas before generation ----------------------------------------------------


def _json_task(ws: Workspace, scorer: str, rows: list[dict[str, object]] | None = None) -> None:
    ws.edit("spec.yaml", "{type: numeric}", scorer)
    ws.edit("spec.yaml", "format: jsonl", "format: json_extraction")
    rows = rows or [{"id": "r1", "text": "Anna is 31.", "target": {"age": 31}}]
    (ws.root / "data.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))


def test_missing_schema_file_exits_2_at_its_line(tmp_path: Path) -> None:
    ws = workspace(tmp_path)
    _json_task(ws, "{type: json, schema_file: schemas/out.json}")
    proc = evalspec("validate", "spec.yaml", cwd=tmp_path)
    usage_error(
        proc,
        r"^error: spec\.yaml:12: tasks\[0\]\.scorer\.schema_file: file not found: "
        r"schemas/out\.json\. paths are relative to the spec's directory$",
    )


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ('{"type": "object",\n "properties": {,}}', r"invalid JSON at line 2, column 17"),
        ('{"type": 12}', r"invalid JSON Schema at type: 12 is not valid"),
        ("[1, 2]", r"a JSON Schema is a JSON object, got list"),
        ('{"$ref": "#/$defs/nowhere"}', r"\$ref '#/\$defs/nowhere' does not resolve inside"),
        ('{"$ref": "#"}', r"the schema's \$ref chain never ends"),
    ],
)
def test_unusable_schema_file_is_refused_when_the_spec_loads(
    tmp_path: Path, content: str, problem: str
) -> None:
    ws = workspace(tmp_path)
    _json_task(ws, "{type: json, schema_file: out.json}")
    (tmp_path / "out.json").write_text(content)
    with pytest.raises(SpecError) as err:
        load_spec(ws.spec)
    assert re.match(
        rf"^{re.escape(str(ws.spec))}:12: tasks\[0\]\.scorer\.schema_file: "
        rf"{re.escape(str(tmp_path))}/out\.json: {problem}.*fix the schema file$",
        str(err.value),
    ), str(err.value)


def test_invalid_schema_file_exits_2_from_check_before_generation(tmp_path: Path) -> None:
    ws = workspace(tmp_path)
    _json_task(ws, "{type: json, schema_file: out.json}")
    (tmp_path / "out.json").write_text('{"type": 12}')
    proc = evalspec("check", "spec.yaml", cwd=tmp_path)
    usage_error(
        proc,
        r"^error: spec\.yaml:12: tasks\[0\]\.scorer\.schema_file: out\.json: invalid JSON "
        r"Schema at type: 12 is not valid .*fix the schema file$",
    )
    assert not (tmp_path / "runs").exists()


class _Counting(http.server.BaseHTTPRequestHandler):
    hits = 0

    def do_GET(self) -> None:
        type(self).hits += 1
        body = b'{"type": "string"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def schema_server() -> Iterator[str]:
    """A loopback HTTP server that would serve any schema, counting requests."""
    _Counting.hits = 0
    server = http.server.HTTPServer(("127.0.0.1", 0), _Counting)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/schema.json"
    finally:
        server.shutdown()
        server.server_close()


def test_remote_ref_in_schema_file_exits_2_and_fetches_nothing(
    tmp_path: Path, schema_server: str
) -> None:
    ws = workspace(tmp_path)
    _json_task(ws, "{type: json, schema_file: out.json}")
    schema = {"type": "object", "properties": {"age": {"$ref": schema_server}}}
    (tmp_path / "out.json").write_text(json.dumps(schema))
    proc = evalspec("plan", "spec.yaml", cwd=tmp_path)
    usage_error(proc, r"scorer\.schema_file: out\.json: \$ref 'http://127\.0\.0\.1:\d+/schema")
    assert _Counting.hits == 0


def test_unusable_schema_in_a_dataset_row_exits_2_at_its_line(tmp_path: Path) -> None:
    ws = workspace(tmp_path)
    good = {"id": "r1", "text": "Anna is 31.", "target": {"age": 31}}
    bad = {**good, "id": "r2", "schema": {"type": "object", "required": "age"}}
    _json_task(ws, "{type: json}", [good, bad])
    proc = evalspec("validate", "spec.yaml", cwd=tmp_path)
    usage_error(
        proc,
        r"data\.jsonl:2: field 'schema': invalid JSON Schema at required: 'age' is not of type "
        r"'array'; fix the schema$",
    )


def test_unusable_schema_in_a_jsonl_sample_fails_the_plan_naming_the_sample(
    tmp_path: Path, schema_server: str
) -> None:
    """The jsonl format passes `schema` through as meta: the json scorer's input check
    (run when the plan is compiled) catches it."""
    ws = workspace(tmp_path)
    ws.edit("spec.yaml", "{type: numeric}", "{type: json}")
    row = {"id": "r1", "prompt": "p", "target": "t", "schema": {"$ref": schema_server}}
    (tmp_path / "data.jsonl").write_text(json.dumps(row) + "\n")
    proc = evalspec("validate", "spec.yaml", cwd=tmp_path)
    usage_error(
        proc,
        r"^error: spec\.yaml:12: tasks\[0\]\.scorer: scorer json: sample 'r1' has an unusable "
        r"'schema' field: \$ref 'http://127\.0\.0\.1:\d+/schema\.json' does not resolve inside",
    )
    assert _Counting.hits == 0


# --- JSON at scoring time --------------------------------------------------------------


def test_scoring_never_fetches_a_remote_ref(schema_server: str) -> None:
    """Even a schema that skipped the checks: the reference is not retrieved."""
    schema = {"type": "object", "properties": {"age": {"$ref": schema_server}}}
    score = json_score('{"age": 31}', target=None, schema=schema)
    assert score.excluded
    assert score.detail is not None and score.detail.startswith("error: the schema cannot")
    assert _Counting.hits == 0


def test_output_walking_into_a_ref_cycle_is_an_error_not_a_crash() -> None:
    schema = {"properties": {"a": {"$ref": "#/properties/a"}}}
    score = json_score('{"a": 1}', target={"a": 1}, schema=schema)
    assert score.excluded
    assert score.detail == "error: validation did not end (a $ref cycle in the schema?); left out"
    scorer = JsonScorer(type="json")
    sample = Sample(id="s", prompt="p", meta={"target": {"a": 1}, "schema": schema})
    assert score_outputs(scorer, [sample], ['{"b": 2}'])[0].values["schema_valid"] == 1.0


def test_output_nested_too_deep_is_invalid_json() -> None:
    score = json_score("[" * 100_000 + "]" * 100_000, target={"a": 1}, schema={"type": "object"})
    assert not score.excluded
    assert score.values["json_valid"] == 0.0
    assert score.detail is not None and "nested too deeply" in score.detail
