#!/usr/bin/env python3
"""The evalspec action's gate step: check each spec, comment on the PR, set the outputs.

For each spec (INPUT_SPECS: files or globs; glob matches without a top-level `tasks:`
key, such as model catalogs, are skipped) it runs `evalspec check` with markdown, JSON
and JUnit reports in the report directory, then, when INPUT_COMMENT is true and the
event is a pull request (or INPUT_PR names one), `evalspec comment` with each report.
It writes the outputs `exit-code`, `reports`, `report-dir` and `runs-dir` to
$GITHUB_OUTPUT and exits with the combined code: 1 if any spec regressed, else 2 if any
is invalid, else 3 if any could not run, else 0. A comment that cannot be posted is a
warning: it does not change the verdict.

Runs locally with the Python evalspec is installed in, e.g.
  INPUT_SPECS='specs/*.yaml' INPUT_COMMENT=false python scripts/action/gate.py
Environment: INPUT_SPECS, INPUT_ARGS (extra `check` arguments), INPUT_COMMENT, INPUT_PR,
EVALSPEC_REPORT_DIR (default evalspec-reports), EVALSPEC_RUNS_DIR (default runs), and
GitHub's GITHUB_OUTPUT, GITHUB_EVENT_PATH, GITHUB_REPOSITORY, GITHUB_TOKEN, GITHUB_API_URL.
"""

from __future__ import annotations

import glob
import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

EVALSPEC = [sys.executable, "-m", "evalspec.cli"]
SPEC_KEY = re.compile(r"^tasks:", re.MULTILINE)
ANNOTATIONS = {
    1: "::error title=regression::{spec}: the model regressed (exit 1); see the report",
    2: "::error title=invalid spec::{spec}: invalid spec or usage (exit 2)",
    3: "::error title=infrastructure failure::{spec}: evalspec could not run "
    "(exit 3: engine, GPU or internal error), not a verdict on the model",
}
PRIORITY = (1, 2, 3)  # a regression first, then what the author must fix, then the runner


def spec_files(patterns: str) -> list[str]:
    """Files named or matched, in order, once each; glob matches that are not specs skipped."""
    found: list[str] = []
    for pattern in patterns.split():
        if glob.has_magic(pattern):
            matches = sorted(glob.glob(pattern, recursive=True))
            found.extend(m for m in matches if _is_spec(m))
        else:
            found.append(pattern)  # named outright: checked (a missing file is exit 2)
    return list(dict.fromkeys(found))


def _is_spec(path: str) -> bool:
    try:
        return bool(SPEC_KEY.search(Path(path).read_text(encoding="utf-8")))
    except (OSError, UnicodeDecodeError):
        return False


def combined(codes: list[int]) -> int:
    for code in PRIORITY:
        if code in codes:
            return code
    return next((code for code in codes if code != 0), 0)


def pull_request() -> int | None:
    """INPUT_PR, else the number of the pull request the event is about."""
    explicit = os.environ.get("INPUT_PR", "").strip()
    if explicit:
        return int(explicit)
    event_path = os.environ.get("GITHUB_EVENT_PATH")
    if not event_path:
        return None
    try:
        event = json.loads(Path(event_path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    number = (event.get("pull_request") or {}).get("number")
    return number if isinstance(number, int) else None


def report_names(specs: list[str]) -> list[str]:
    """One report name per spec: its file name, numbered when two share it."""
    names: list[str] = []
    for spec in specs:
        stem = Path(spec).stem
        name, n = stem, 1
        while name in names:
            n += 1
            name = f"{stem}-{n}"
        names.append(name)
    return names


def set_outputs(values: dict[str, str]) -> None:
    target = os.environ.get("GITHUB_OUTPUT")
    if not target:
        return
    with open(target, "a", encoding="utf-8") as out:
        for key, value in values.items():
            out.write(f"{key}<<EVALSPEC_EOF\n{value}\nEVALSPEC_EOF\n")


def check(spec: str, name: str, report_dir: Path, args: list[str]) -> int:
    reports = [
        *("--report-md", str(report_dir / f"{name}.md")),
        *("--report-json", str(report_dir / f"{name}.json")),
        *("--junit", str(report_dir / f"{name}.xml")),
    ]
    print(f"::group::evalspec check {spec}", flush=True)
    try:
        code = subprocess.run([*EVALSPEC, "check", spec, *reports, *args]).returncode
    finally:
        print("::endgroup::", flush=True)
    if code in ANNOTATIONS:
        print(ANNOTATIONS[code].format(spec=spec), flush=True)
    else:
        print(f"{spec}: pass" if code == 0 else f"::error::{spec}: exit code {code}", flush=True)
    return code


def comment(reports: list[Path], pr: int) -> None:
    repo = os.environ.get("GITHUB_REPOSITORY", "")
    for report in reports:
        done = subprocess.run(
            [*EVALSPEC, "comment", "--repo", repo, "--pr", str(pr), "--report", str(report)],
            capture_output=True,
            text=True,
        )
        if done.returncode == 0:
            print(done.stdout.strip(), flush=True)
        else:
            why = " ".join(done.stderr.split()) or f"exit {done.returncode}"
            print(f"::warning title=no PR comment::{report.name}: {why}", flush=True)


def main() -> int:
    report_dir = Path(os.environ.get("EVALSPEC_REPORT_DIR") or "evalspec-reports").resolve()
    runs_dir = Path(os.environ.get("EVALSPEC_RUNS_DIR") or "runs").resolve()
    os.environ["EVALSPEC_RUNS_DIR"] = str(runs_dir)
    report_dir.mkdir(parents=True, exist_ok=True)
    patterns = os.environ.get("INPUT_SPECS") or "specs/*.yaml"
    specs = spec_files(patterns)
    if not specs:
        print(f"::error title=no specs::no spec file matches {patterns!r}", flush=True)
        set_outputs({"exit-code": "2", "reports": "", "report-dir": str(report_dir)})
        return 2
    args = shlex.split(os.environ.get("INPUT_ARGS", ""))
    names = report_names(specs)
    codes = [check(spec, name, report_dir, args) for spec, name in zip(specs, names, strict=True)]
    (report_dir / "exit-codes").write_text(
        "".join(f"{spec} {code}\n" for spec, code in zip(specs, codes, strict=True))
    )
    reports = [report_dir / f"{n}.md" for n in names if (report_dir / f"{n}.md").is_file()]
    if os.environ.get("INPUT_COMMENT", "true").strip().lower() == "true":
        pr = pull_request()
        if pr is None:
            print("evalspec: not a pull request: no comment posted", flush=True)
        else:
            comment(reports, pr)
    code = combined(codes)
    set_outputs(
        {
            "exit-code": str(code),
            "reports": "\n".join(str(r) for r in reports),
            "report-dir": str(report_dir),
            "runs-dir": str(runs_dir),
        }
    )
    return code


if __name__ == "__main__":
    sys.exit(main())
