"""Prometheus: a valid text exposition by Prometheus conventions, and a push to a Pushgateway."""

from __future__ import annotations

import json
import re
import socket
from urllib.request import urlopen

import pytest
from click.testing import CliRunner, Result
from prometheus_client.parser import text_string_to_metric_families
from pushgateway import BINARY, _standin, pushgateway
from recorded_checks import Recorded

from evalspec.cli import cli

NAME = re.compile(r"^evalspec_[a-z0-9_]+$")


def _export(*args: str) -> Result:
    return CliRunner().invoke(cli, ["export", *args, "--format", "prometheus"])


def _samples(text: str) -> dict[str, list[tuple[dict[str, str], float]]]:
    found: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found.setdefault(sample.name, []).append((sample.labels, sample.value))
    return found


def test_the_exposition_parses_and_follows_the_naming_conventions(recorded: Recorded) -> None:
    _, second = recorded.outcomes
    result = _export(str(second.run_dir))

    assert result.exit_code == 0, result.output
    families = list(text_string_to_metric_families(result.stdout))
    assert all(NAME.match(f.name) for f in families)
    assert {f.type for f in families} <= {"gauge", "info"}
    samples = _samples(result.stdout)
    results = json.loads((second.run_dir / "results.json").read_text())
    values = {
        (s["model"], s["adapter"], s["task"], s["metric"]): v
        for s, v in [(labels, value) for labels, value in samples["evalspec_metric_value"]]
    }
    assert values == {
        (u["model"], "", u["task"], name): m["value"]
        for u in results["units"]
        for name, m in u["metrics"].items()
    }
    assert all(labels["spec"] == "hist" for labels, _ in samples["evalspec_metric_value"])
    verdicts = {
        (labels["task"], labels["metric"], labels["verdict"]): value
        for labels, value in samples["evalspec_metric_verdict"]
    }
    assert verdicts[("arith", "accuracy", "FAIL")] == 1.0
    assert verdicts[("arith", "accuracy", "PASS")] == 0.0
    run_verdict = {labels["verdict"]: value for labels, value in samples["evalspec_run_verdict"]}
    assert run_verdict == {"PASS": 0.0, "WARN": 0.0, "FAIL": 1.0, "ERROR": 0.0}
    ((info_labels, one),) = samples["evalspec_run_info"]
    assert one == 1.0 and info_labels["run_id"] == second.run_id
    assert "evalspec_unit_request_latency_seconds" not in samples  # all cached: not measured


def test_perf_in_base_units_with_latency_quantiles(recorded: Recorded) -> None:
    first, _ = recorded.outcomes
    perf = json.loads((first.run_dir / "results.json").read_text())["perf"]["fake/arith"]

    samples = _samples(_export(str(first.run_dir)).stdout)

    latency = {
        labels["quantile"]: value
        for labels, value in samples["evalspec_unit_request_latency_seconds"]
        if labels["task"] == "arith"
    }
    assert latency == {"0.5": perf["latency_p50_s"], "0.95": perf["latency_p95_s"]}
    throughput = samples["evalspec_unit_tokens_per_second"]
    assert [v for labels, v in throughput if labels["task"] == "arith"] == [perf["tokens_per_s"]]
    assert "evalspec_unit_peak_gpu_memory_bytes" not in samples  # no GPU: not measured


def test_the_history_exposes_each_specs_latest_run(recorded: Recorded) -> None:
    result = _export("--history", str(recorded.history))

    assert result.exit_code == 0
    ((labels, _),) = _samples(result.stdout)["evalspec_run_info"]
    assert labels["run_id"] == recorded.outcomes[-1].run_id


def test_a_push_lands_in_the_gateway_grouped_by_spec(recorded: Recorded) -> None:
    _, second = recorded.outcomes
    with pushgateway() as url:
        result = _export(str(second.run_dir), "--pushgateway", url)
        with urlopen(f"{url}/metrics", timeout=10) as answer:
            exposed = answer.read().decode()

    assert result.exit_code == 0, result.output
    assert f"pushed the latest run of 1 spec(s) to {url} (job=evalspec" in result.output
    pushed = _samples(exposed)["evalspec_metric_value"]
    assert {(labels["job"], labels["spec"]) for labels, _ in pushed} == {("evalspec", "hist")}
    accuracy = [v for labels, v in pushed if labels["metric"] == "accuracy"]
    results = json.loads((second.run_dir / "results.json").read_text())
    assert accuracy == [results["units"][0]["metrics"]["accuracy"]["value"]]


def test_the_standin_refuses_what_the_gateway_refuses() -> None:
    """The stand-in used where Debian's gateway is missing answers malformed pushes with 400."""
    from urllib.error import HTTPError
    from urllib.request import Request

    with _standin() as url:
        request = Request(f"{url}/metrics/job/x", data=b"not exposition {", method="PUT")
        with pytest.raises(HTTPError) as refused:
            urlopen(request, timeout=10)
    assert refused.value.code == 400


def test_an_unreachable_gateway_exits_3(recorded: Recorded) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there

    result = _export(str(recorded.outcomes[0].run_dir), "--pushgateway", f"http://127.0.0.1:{port}")

    assert result.exit_code == 3
    assert result.output.startswith(
        f"error: Pushgateway http://127.0.0.1:{port} refused or did not answer"
    )
    assert result.output.count("\n") == 1


def test_debian_gateway_is_used_when_installed() -> None:
    import shutil

    if shutil.which(BINARY) is None:
        pytest.skip(f"{BINARY} is not installed (no apt-get or not root): the stand-in is used")
    with pushgateway() as url, urlopen(f"{url}/metrics", timeout=10) as answer:
        assert "pushgateway_build_info" in answer.read().decode()
