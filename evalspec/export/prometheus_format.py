"""Prometheus: the text exposition format (node_exporter's textfile collector), or a push.

Gauges describe each spec's latest run in the entries (Prometheus keeps the history by
scraping; the exposition carries no timestamps, which textfile collectors and the
Pushgateway refuse). Names and labels follow Prometheus conventions: an ``evalspec_``
prefix, base units (seconds, bytes), ``_info`` for identity, ``_timestamp_seconds`` for
times, a state-set gauge (1 for the state, 0 for the others) for verdicts, ``quantile``
for latency quantiles. Labels: spec, model, adapter ("" for the base model), task,
metric. With ``--pushgateway URL`` each spec is pushed as group {job="evalspec",
spec=NAME}, replacing that spec's previous push.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from evalspec.errors import InfraError
from evalspec.export.base import ExportDone, ExportOptions
from evalspec.export.output import deliver_text
from evalspec.history import RunEntry

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry

JOB = "evalspec"
STATES = ("PASS", "WARN", "FAIL", "ERROR")
UNIT_LABELS = ("spec", "model", "adapter", "task")
METRIC_LABELS = (*UNIT_LABELS, "metric")
MIB = 1024 * 1024


def export_prometheus(entries: Sequence[RunEntry], options: ExportOptions) -> ExportDone:
    latest = latest_per_spec(entries)
    if options.pushgateway is None:
        from prometheus_client import generate_latest

        text = generate_latest(registry_of(latest)).decode("utf-8")
        return deliver_text(text, options, f"the latest run of {len(latest)} spec(s)")
    for entry in latest:
        push(options.pushgateway, entry)
    return ExportDone(
        f"pushed the latest run of {len(latest)} spec(s) to {options.pushgateway} "
        f"(job={JOB}, grouped by spec)"
    )


def latest_per_spec(entries: Sequence[RunEntry]) -> list[RunEntry]:
    latest: dict[str, RunEntry] = {}
    for entry in entries:
        if entry.spec not in latest or entry.started >= latest[entry.spec].started:
            latest[entry.spec] = entry
    return [latest[spec] for spec in sorted(latest)]


def push(gateway: str, entry: RunEntry) -> None:
    from prometheus_client import push_to_gateway

    try:
        push_to_gateway(
            gateway,
            job=JOB,
            registry=registry_of([entry]),
            grouping_key={"spec": entry.spec},
            timeout=30,
        )
    except OSError as exc:  # urllib's URLError and HTTPError are OSErrors
        raise InfraError(f"Pushgateway {gateway} refused or did not answer: {exc}") from exc


def registry_of(entries: Sequence[RunEntry]) -> CollectorRegistry:
    from prometheus_client import CollectorRegistry, Gauge, Info

    registry = CollectorRegistry()

    def gauge(name: str, doc: str, labels: Sequence[str]) -> Gauge:
        return Gauge(name, doc, labels, registry=registry)

    value = gauge("evalspec_metric_value", "A metric of a unit in the latest run", METRIC_LABELS)
    stderr = gauge("evalspec_metric_stderr", "The metric's standard error", METRIC_LABELS)
    samples = gauge("evalspec_metric_samples", "Samples the metric is computed on", METRIC_LABELS)
    verdict = gauge(
        "evalspec_metric_verdict",
        "The gate's verdict on the metric (1 for the verdict, 0 for the others)",
        (*METRIC_LABELS, "verdict"),
    )
    throughput = gauge(
        "evalspec_unit_tokens_per_second", "Generated tokens per second of a unit", UNIT_LABELS
    )
    latency = gauge(
        "evalspec_unit_request_latency_seconds",
        "Request latency quantiles of a unit",
        (*UNIT_LABELS, "quantile"),
    )
    memory = gauge(
        "evalspec_unit_peak_gpu_memory_bytes", "Peak GPU memory while a unit ran", UNIT_LABELS
    )
    started = gauge(
        "evalspec_run_started_timestamp_seconds", "When the latest run started", ("spec",)
    )
    run_verdict = gauge(
        "evalspec_run_verdict",
        "The check's verdict (1 for the verdict, 0 for the others)",
        ("spec", "verdict"),
    )
    info = Info("evalspec_run", "The latest run's identity", ("spec",), registry=registry)
    for entry in entries:
        spec = entry.spec
        started.labels(spec).set(entry.started.timestamp())
        info.labels(spec).info(
            {
                "run_id": entry.run_id,
                "git_sha": entry.git_sha or "",
                "git_branch": entry.git_branch or "",
                "git_dirty": "" if entry.git_dirty is None else str(entry.git_dirty).lower(),
                "spec_digest": entry.spec_digest or "",
                "status": entry.status,
            }
        )
        if entry.gate_status is not None:
            for state in STATES:
                run_verdict.labels(spec, state).set(int(state == entry.gate_status))
        for m in entry.metrics:
            of_metric = (spec, m.model, m.adapter or "", m.task, m.metric)
            if m.value is not None:
                value.labels(*of_metric).set(m.value)
            if m.stderr is not None:
                stderr.labels(*of_metric).set(m.stderr)
            if m.n is not None:
                samples.labels(*of_metric).set(m.n)
            if m.status is not None:
                for state in STATES:
                    verdict.labels(*of_metric, state).set(int(state == m.status))
        for u in entry.units:
            of_unit = (spec, u.model, u.adapter or "", u.task)
            if (tokens := u.measure("tokens_per_s")) is not None:
                throughput.labels(*of_unit).set(tokens)
            for quantile, name in (("0.5", "latency_p50_s"), ("0.95", "latency_p95_s")):
                if (seconds := u.measure(name)) is not None:
                    latency.labels(*of_unit, quantile).set(seconds)
            if (mib := u.measure("peak_gpu_memory_mib")) is not None:
                memory.labels(*of_unit).set(mib * MIB)
    return registry
