"""A readable plain-text summary of a baseline file (`evalspec baseline show`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from evalspec.gate.baseline import PERF_MEASURES, Baseline


def baseline_summary(baseline: Baseline, path: Path | None = None) -> str:
    """Provenance, then one table row per unit metric, then fingerprints and perf per unit."""
    prov = baseline.provenance
    where = f" ({path})" if path is not None else ""
    lines = [
        f"baseline of spec '{baseline.spec}'{where}",
        f"run {prov.run_id}, git {prov.git_sha[:12] if prov.git_sha else 'unknown'}, "
        f"created {prov.created}",
        "",
    ]
    table: list[tuple[str, ...]] = [("unit", "metric", "value ± stderr", "n", "samples")]
    for unit_id, unit in sorted(baseline.units.items()):
        for name, metric in sorted(unit.metrics.items()):
            direction = "" if metric.higher_is_better else " (lower is better)"
            table.append(
                (
                    unit_id,
                    name + direction,
                    f"{metric.value:.3f} ± {metric.stderr:.3f}",
                    str(metric.n),
                    str(len(unit.samples)),
                )
            )
    lines.extend(_columns(table) if len(table) > 1 else ["(no units)"])
    for unit_id, unit in sorted(baseline.units.items()):
        lines.append("")
        lines.append(f"{unit_id}  hash {unit.hash[:12]}")
        lines.extend(
            f"  {key}: {_value(unit.fingerprint[key])}" for key in sorted(unit.fingerprint)
        )
        perf = ", ".join(f"{m} {unit.perf[m]:g}" for m in PERF_MEASURES if m in unit.perf)
        lines.append(f"  perf: {perf or 'not recorded'}")
        if unit.clusters:
            lines.append(f"  clusters: {len(set(unit.clusters.values()))}")
    return "\n".join(lines) + "\n"


def _columns(table: list[tuple[str, ...]]) -> list[str]:
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    right = {2, 3, 4}
    out = []
    for index, row in enumerate(table):
        cells = [
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        out.append("  ".join(cells).rstrip())
        if index == 0:
            out.append("  ".join("-" * w for w in widths))
    return out


def _value(value: Any) -> str:
    if value is None:
        return "none"
    text = str(value)
    return text if len(text) <= 40 else f"{text[:40]}…"
