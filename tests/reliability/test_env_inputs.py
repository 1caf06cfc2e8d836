"""Issue 12, environment settings: a bad EVALSPEC_MONITOR_INTERVAL_S is a usage error.

`inf` used to reach the sampler thread's wait (a traceback); nan, negative, zero and
text are refused the same way: exit 2, one line naming the variable and what to write.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from inputs_cli import evalspec, usage_error, workspace

from evalspec.errors import SpecError
from evalspec.monitor import interval_from_env

ENV = "EVALSPEC_MONITOR_INTERVAL_S"


@pytest.mark.parametrize("value", ["inf", "-inf", "nan", "-1", "0", "1e9", "fast"])
def test_bad_monitor_interval_is_refused(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv(ENV, value)
    with pytest.raises(SpecError) as err:
        interval_from_env()
    assert str(err.value) == (
        f"{ENV}={value!r}: expected a number of seconds above 0 and at most 3600, e.g. 0.5; "
        "fix or unset it (default 1)"
    )


def test_monitor_interval_within_range_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV, "3600")
    assert interval_from_env() == 3600.0
    monkeypatch.setenv(ENV, " 0.05 ")
    assert interval_from_env() == 0.05


def test_infinite_monitor_interval_exits_2_from_check_before_any_engine(tmp_path: Path) -> None:
    workspace(tmp_path)
    proc = evalspec("check", "--quiet", "spec.yaml", cwd=tmp_path, env={ENV: "inf"}, timeout=60)
    usage_error(proc, rf"^error: {ENV}='inf': expected a number of seconds above 0")
    assert proc.stdout == ""


def test_bad_monitor_interval_exits_2_from_validate(tmp_path: Path) -> None:
    workspace(tmp_path)
    proc = evalspec("validate", "spec.yaml", cwd=tmp_path, env={ENV: "nan"})
    usage_error(proc, rf"^error: {ENV}='nan': expected a number of seconds above 0")
