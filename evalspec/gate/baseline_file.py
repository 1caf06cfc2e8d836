"""Reading and writing baseline files (baselines/*.json), with errors that name file and key.

A baseline that cannot be trusted is refused, never half used: unreadable or
non-UTF-8 files, JSON's non-standard NaN / Infinity (Python's json accepts
them), values of the wrong type, and a baseline recorded for another spec.
Writes are atomic and keep the file's mode.
"""

from __future__ import annotations

import errno
import json
import re
from pathlib import Path

from pydantic import ValidationError

from evalspec.errors import InfraError, SpecError
from evalspec.files import atomic_write_text
from evalspec.gate.baseline import BASELINE_VERSION, Baseline

_NON_FINITE = re.compile(r"-?\b(?:NaN|Infinity)\b")
_RESTORE = "restore it (`git checkout -- FILE`) or rewrite it with `evalspec baseline update`"


class _NonFinite(ValueError):
    def __init__(self, token: str) -> None:
        super().__init__(token)
        self.token = token


def _refuse_constant(token: str) -> float:
    raise _NonFinite(token)


def read_baseline(path: Path, spec: str | None = None) -> Baseline | None:
    """The baseline in `path`, or None when the file does not exist yet.

    With ``spec``, a baseline recorded for another spec is an error.
    """
    text = _read_text(path)
    if text is None:
        return None
    restore = _RESTORE.replace("FILE", str(path))
    try:
        data = json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise SpecError(
            f"{path}:{exc.lineno}: invalid baseline JSON: {exc.msg}; {restore}"
        ) from None
    except _NonFinite as exc:
        raise SpecError(
            f"{path}:{_line_of_constant(text)}: {exc.token} is not a number a baseline can "
            f"hold; {restore}"
        ) from None
    if not isinstance(data, dict):
        raise SpecError(f"{path}: a baseline must be a JSON object; {restore}")
    if data.get("version") != BASELINE_VERSION:
        raise SpecError(
            f"{path}: key 'version': expected {BASELINE_VERSION}, got {data.get('version')!r}; "
            "regenerate it with `evalspec baseline update`"
        )
    try:
        baseline = Baseline.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(part) for part in first["loc"]) or "(top level)"
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise SpecError(f"{path}: key '{key}': {first['msg']}{more}; {restore}") from None
    if spec is not None and baseline.spec != spec:
        raise SpecError(
            f"{path}: key 'spec': this baseline was recorded for spec '{baseline.spec}', not "
            f"'{spec}'; point gate.baseline at this spec's own baseline file"
        )
    return baseline


def _read_text(path: Path) -> str | None:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise SpecError(
            f"{path}: is a directory, not a baseline file; point gate.baseline at a .json file"
        ) from None
    except NotADirectoryError:
        raise SpecError(
            f"{path}: a parent of this path is a file, not a directory; fix gate.baseline"
        ) from None
    except OSError as exc:
        raise InfraError(f"{path}: cannot read the baseline ({exc.strerror})") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise SpecError(
            f"{path}:{line}: not UTF-8 text (byte {exc.start}); "
            f"{_RESTORE.replace('FILE', str(path))}"
        ) from None


def _line_of_constant(text: str) -> int:
    """The line of the first NaN / Infinity outside a JSON string (1 when not found)."""
    in_string = escaped = False
    line = 1
    for index, char in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char == "\n":
            line += 1
        elif _NON_FINITE.match(text, index):
            return line
    return 1


def baseline_text(baseline: Baseline) -> str:
    """Canonical file content: sorted keys, indent 2, trailing newline."""
    data = baseline.model_dump(mode="json")
    for unit in data["units"].values():  # only multi-metric units carry per-metric samples
        if not unit["metric_samples"]:
            del unit["metric_samples"]
        if unit["order"] is None:  # baselines written before adaptive gating
            del unit["order"]
    return json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def write_baseline(path: Path, baseline: Baseline) -> None:
    """Replace the baseline file atomically (its mode kept); errors name the path."""
    try:
        atomic_write_text(path, baseline_text(baseline))
    except (IsADirectoryError, NotADirectoryError, FileExistsError) as exc:
        raise SpecError(
            f"{path}: cannot write the baseline here ({exc.strerror}); fix gate.baseline"
        ) from None
    except OSError as exc:
        hint = "free some disk space" if exc.errno == errno.ENOSPC else "check its permissions"
        raise InfraError(
            f"{path}: cannot write the baseline ({exc.strerror}); {hint}; "
            "the previous baseline is unchanged"
        ) from None
