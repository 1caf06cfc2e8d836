"""The machine-readable report: the gate result plus run identity, as stable JSON."""

from __future__ import annotations

import json
from collections.abc import Sequence

from evalspec.gate import GateResult
from evalspec.report.format import ungated

REPORT_VERSION = 1


def render_json(
    result: GateResult,
    *,
    spec_name: str,
    run_id: str,
    baseline_run_id: str | None,
    fingerprint_notes: Sequence[str] = (),
    scope: str | None = None,
) -> str:
    """The report as JSON; GateResult.from_dict(json.loads(text)) reads the verdicts back.

    Keys: version, spec, run_id, baseline_run_id, status, exit_code, counts (per
    status), rows (GateRow.to_dict each), perf_rows, fingerprint_notes (the
    gate's, then ``fingerprint_notes``), gated (false when no thresholds rule and no
    baseline judged anything), scope (what a targeted run covered, else null).
    """
    document = {
        "version": REPORT_VERSION,
        "spec": spec_name,
        "run_id": run_id,
        "baseline_run_id": baseline_run_id,
        **result.to_dict(),
        "gated": not ungated(result, baseline_run_id),
        "scope": scope,
    }
    document["fingerprint_notes"] = list(
        dict.fromkeys([*result.fingerprint_notes, *fingerprint_notes])
    )
    return json.dumps(document, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
