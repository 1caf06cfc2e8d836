"""The runs directory: creating run directories, finding them again by id, spec or recency."""

from __future__ import annotations

import os
import re
import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from evalspec.errors import InfraError, SpecError
from evalspec.store.run import MANIFEST, RECORDS, Run, utc_now_iso, write_model
from evalspec.store.runfiles import Manifest

RUNS_DIR_ENV = "EVALSPEC_RUNS_DIR"
STORE_KEYS = ("run_id", "spec", "started_at", "status", "finished_at", "version")
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def default_runs_dir() -> Path:
    """$EVALSPEC_RUNS_DIR, else ./runs."""
    return Path(os.environ.get(RUNS_DIR_ENV) or "runs")


class RunStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def create(self, spec_name: str, manifest: dict[str, Any]) -> Run:
        """A new run directory with manifest.json (status "running") and an empty records.jsonl.

        `manifest`: the other `Manifest` fields (what ran); the store sets its own keys."""
        if not _SAFE_NAME.match(spec_name):
            raise SpecError(f"spec name {spec_name!r} cannot name a run directory")
        clash = sorted(set(manifest) & set(STORE_KEYS))
        if clash:
            raise ValueError(f"manifest keys {clash} are set by the store; rename them")
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            while True:
                run_id = f"{stamp}-{spec_name}-{secrets.token_hex(3)}"
                path = self.root / run_id
                try:
                    path.mkdir()
                    break
                except FileExistsError:
                    continue
            header = Manifest(**manifest, run_id=run_id, spec=spec_name, started_at=utc_now_iso())
            write_model(path / MANIFEST, header)
            (path / RECORDS).touch()
        except (NotADirectoryError, FileExistsError) as exc:
            raise SpecError(
                f"runs directory {self.root} is not a directory ({exc.filename} is a file); "
                f"pass --runs-dir or set ${RUNS_DIR_ENV} to a directory"
            ) from exc
        except OSError as exc:
            raise InfraError(
                f"cannot create a run directory under {self.root}: {exc.strerror or exc}; "
                f"free space or pass --runs-dir / set ${RUNS_DIR_ENV} to a writable directory"
            ) from exc
        return Run(path)

    def get(self, run_id: str) -> Run:
        path = self.root / run_id
        if not _SAFE_NAME.match(run_id) or not (path / MANIFEST).is_file():
            recent = [run.run_id for run in self.list()[-5:]]
            hint = f"recent runs: {', '.join(recent)}" if recent else "it holds no runs yet"
            raise SpecError(
                f"no run {run_id!r} in {self.root}/ ({hint}); "
                f"set ${RUNS_DIR_ENV} to look in another runs directory"
            )
        return Run(path)

    def find(self, ref: str) -> Run:
        """A run by reference: the path of a run directory, or a run id in this store."""
        path = Path(ref)
        if (path / MANIFEST).is_file():
            return Run(path)
        if len(path.parts) > 1:
            raise SpecError(f"{ref}: not a run directory (no {MANIFEST})")
        return self.get(ref)

    def list(self, spec_name: str | None = None) -> list[Run]:
        """Runs oldest first, optionally only those of one spec; stray directories are skipped."""
        found: list[tuple[str, str, Run]] = []
        if not self.root.is_dir():
            return []
        for path in self.root.iterdir():
            run = Run(path)
            try:
                manifest = run.manifest
            except (SpecError, NotADirectoryError):
                continue
            if spec_name is not None and manifest.spec != spec_name:
                continue
            found.append((manifest.started_at, run.run_id, run))
        found.sort(key=lambda item: (item[0], item[1]))
        return [run for _, _, run in found]

    def latest(self, spec_name: str, complete_only: bool = True) -> Run | None:
        for run in reversed(self.list(spec_name)):
            if not complete_only or run.status == "complete":
                return run
        return None
