"""MLflow: one MLflow run per evalspec run, on a real `mlflow server`, read back by its client."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from recorded_checks import Recorded

from evalspec.cli import cli
from evalspec.export.mlflow_format import mlflow_key


def _export(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, ["export", *args, "--format", "mlflow"], env=env)


@pytest.mark.slow
def test_each_run_becomes_one_mlflow_run_and_exports_repeat_safely(
    recorded: Recorded, tmp_path: Path
) -> None:
    from mlflow.tracking import MlflowClient
    from mlflow_server import mlflow_server

    with mlflow_server(tmp_path) as url:
        env = {"MLFLOW_TRACKING_URI": url}
        first = _export("--history", str(recorded.history), env=env)
        again = _export("--history", str(recorded.history), env=env)
        client = MlflowClient(url)
        experiment = client.get_experiment_by_name("evalspec/hist")
        assert experiment is not None
        runs = {r.info.run_name: r for r in client.search_runs([experiment.experiment_id])}
        outcome = recorded.outcomes[0]
        run = runs[outcome.run_id]
        artifacts = {a.path for a in client.list_artifacts(run.info.run_id)}
        downloaded = Path(client.download_artifacts(run.info.run_id, "results.json", str(tmp_path)))

    assert first.exit_code == 0, first.output
    assert f"MLflow at {url}: 2 run(s) logged, 0 already there" in first.output
    assert f"MLflow at {url}: 0 run(s) logged, 2 already there" in again.output
    assert set(runs) == {o.run_id for o in recorded.outcomes}
    results = json.loads((outcome.run_dir / "results.json").read_text())
    expected = {}
    for unit in results["units"]:
        for name, metric in unit["metrics"].items():
            key = mlflow_key(f"{unit['unit_id']}/{name}")
            expected |= {key: metric["value"], f"{key}.stderr": metric["stderr"]}
            expected[f"{key}.n"] = float(metric["n"])
    assert {k: v for k, v in run.data.metrics.items() if "/perf/" not in k} == expected
    assert (
        run.data.metrics["fake/arith/perf/tokens_per_s"]
        == results["perf"]["fake/arith"]["tokens_per_s"]
    )
    params = run.data.params
    assert params["spec"] == "hist"
    assert params["unit_hash/fake/arith"] == results["units"][0]["unit_hash"]
    assert json.loads(params["engine_fingerprint/fake/echo"]) == results["units"][1]["fingerprint"]
    assert run.data.tags["evalspec.run_id"] == outcome.run_id
    assert run.data.tags["evalspec.verdict"] == "PASS"
    assert runs[recorded.outcomes[1].run_id].data.tags["evalspec.verdict"] == "FAIL"
    assert run.info.status == "FINISHED"
    assert artifacts == {"report.md", "results.json", "records.jsonl", "manifest.json"}
    assert downloaded.read_bytes() == (outcome.run_dir / "results.json").read_bytes()


def test_keys_are_made_valid_for_mlflow() -> None:
    assert mlflow_key("smol+sql-v3/humaneval/pass@10") == "smol_plus_sql-v3/humaneval/pass_at_10"
    assert mlflow_key("m/t/score (judge)") == "m/t/score _judge_"


def test_without_a_tracking_uri_it_is_a_usage_error(recorded: Recorded) -> None:
    result = _export(str(recorded.outcomes[0].run_dir), env={"MLFLOW_TRACKING_URI": ""})

    assert result.exit_code == 2
    assert (
        result.output
        == "error: --format mlflow: set $MLFLOW_TRACKING_URI or pass --tracking-uri URI\n"
    )


def test_an_unreachable_server_exits_3_with_one_line(recorded: Recorded) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{s.getsockname()[1]}"  # closed again: nothing listens

    result = _export(
        str(recorded.outcomes[0].run_dir),
        "--tracking-uri",
        url,
        env={"MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0", "MLFLOW_HTTP_REQUEST_TIMEOUT": "5"},
    )

    assert result.exit_code == 3
    assert result.output.startswith(f"error: MLflow at {url}: ")
    assert result.output.count("\n") == 1
