"""Render a Plan for `evalspec plan`: a text table or JSON (the dry run)."""

from __future__ import annotations

import json

from evalspec.plan.models import Plan


def render_plan(plan: Plan, as_json: bool = False) -> str:
    if as_json:
        return json.dumps(
            {
                "spec": plan.spec_name,
                "spec_digest": plan.spec_digest,
                "engine_loads": plan.engine_loads,
                "groups": [
                    {
                        "model": g.request.model_id,
                        "engine": g.request.engine,
                        "source": g.request.source.location,
                        "device": g.request.device,
                        "engine_args": dict(g.request.args),
                        "units": [
                            {
                                "unit_id": u.unit_id,
                                "hash": u.hash,
                                "samples": len(u.samples),
                                "dataset_size": u.dataset_size,
                            }
                            for u in g.units
                        ],
                    }
                    for g in plan.groups
                ],
            },
            indent=2,
            sort_keys=True,
        )
    rows = [("#", "unit", "samples", "hash")]
    for load, group in enumerate(plan.groups, start=1):
        for unit in group.units:
            rows.append(
                (
                    str(load),
                    unit.unit_id,
                    f"{len(unit.samples)}/{unit.dataset_size}",
                    unit.hash[:12],
                )
            )
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)) for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    n_samples = sum(len(u.samples) for u in plan.units)
    lines.append("")
    lines.append(
        f"{plan.spec_name}: {len(plan.units)} units, {n_samples} samples, "
        f"{plan.engine_loads} engine load{'s' if plan.engine_loads != 1 else ''} "
        "(# = the engine load a unit runs on)"
    )
    for group in plan.groups:
        args = ", ".join(f"{k}={v}" for k, v in group.request.args)
        lines.append(
            f"  {group.request.model_id}: {group.request.engine} on "
            f"{group.request.device}, {group.request.source.location} ({args})"
        )
    return "\n".join(lines)
