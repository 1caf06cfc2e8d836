"""`evalspec history import DIR...`: index run directories made elsewhere (CI artifacts).

Each DIR is a run directory or a directory searched for run directories (any depth).
Idempotent: a run already in the index (by run id) is left as it is, so importing the
same artifact twice, or a run this machine's `check` already recorded, changes nothing.
The new runs go in in one transaction: an import is indexed whole or not at all.
Only finished checks are indexed (status complete or failed); their verdicts are the
ones the check kept in ``report.json`` (none for runs that kept none: see building.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from evalspec.errors import SpecError
from evalspec.history.building import entry_from_run, kept_verdicts
from evalspec.history.entries import IMPORT, RunEntry
from evalspec.history.index import HistoryIndex
from evalspec.store import Run
from evalspec.store.run import MANIFEST

INDEXED_STATUSES = ("complete", "failed")


@dataclass
class ImportSummary:
    path: Path
    indexed: list[str] = field(default_factory=list)  # run ids
    already: list[str] = field(default_factory=list)  # run ids indexed before
    skipped: list[str] = field(default_factory=list)  # "DIR: why" (not finished)
    damaged: list[str] = field(default_factory=list)  # "problem" lines (unreadable files)


def import_runs(dirs: Sequence[Path], history: Path) -> ImportSummary:
    """Index every finished run under `dirs`; SpecError when a DIR is not a directory."""
    found = find_run_dirs(dirs)
    summary = ImportSummary(history)
    entries: list[RunEntry] = []
    with HistoryIndex(history) as index:
        for run_dir in found:
            run = Run(run_dir)
            try:
                manifest = run.manifest
                if index.has(manifest.run_id):
                    summary.already.append(manifest.run_id)
                    continue
                if manifest.status not in INDEXED_STATUSES:
                    summary.skipped.append(
                        f"{run_dir}: status '{manifest.status}' (only finished checks are indexed)"
                    )
                    continue
                gate, baseline_run = kept_verdicts(run, manifest.run_id)
                entries.append(entry_from_run(run, gate, baseline_run, source=IMPORT))
            except SpecError as exc:
                summary.damaged.append(str(exc))
        entries.sort(key=lambda e: (e.started, e.run_id))  # in the order they ran
        summary.indexed = index.add_many(entries)
        summary.already.extend(e.run_id for e in entries if e.run_id not in summary.indexed)
    return summary


def find_run_dirs(dirs: Sequence[Path]) -> list[Path]:
    """Run directories (holding manifest.json) given or found under `dirs`, each once."""
    found: dict[Path, None] = {}
    for path in dirs:
        if (path / MANIFEST).is_file():
            found[path] = None
        elif path.is_dir():
            found.update((m.parent, None) for m in sorted(path.rglob(MANIFEST)))
        else:
            raise SpecError(f"{path}: not a directory; pass run directories or folders of them")
    return list(found)
