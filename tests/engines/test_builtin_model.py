"""The built-in model's converted directory and the digest memo it is named by.

A run once failed to load the built-in model while its directory looked intact; these
make the lookup impossible to fool: a damaged digest memo is recomputed, the directory
is absolute and used only when complete, and an incomplete one is converted again.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from evalspec.digests import file_digest, sha256_bytes
from evalspec.engines import builtin
from evalspec.engines.builtin import CONVERTED_FILES, converted_dir, gguf_path, resolve_builtin
from evalspec.files import cache_dir


def test_a_damaged_digest_memo_is_recomputed_not_trusted(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("EVALSPEC_CACHE_DIR", str(tmp_path / "cache"))
    data = tmp_path / "weights.bin"
    data.write_bytes(b"x" * 1000)
    right = file_digest(data)
    assert right == sha256_bytes(b"x" * 1000)
    (memo,) = (cache_dir() / "digests").iterdir()
    for damage in ("", "deadbeef", "z" * 64, "\n"):
        memo.write_text(damage)
        assert file_digest(data) == right
    memo.write_bytes(b"\xff\xfe")
    assert file_digest(data) == right


def test_the_converted_directory_is_absolute_even_from_a_relative_cache_dir(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("EVALSPEC_CACHE_DIR", "relative-cache")
    directory = converted_dir("smollm2-135m-instruct")
    assert directory.is_absolute()
    assert directory.parent == tmp_path / "relative-cache" / "models"


def test_a_directory_missing_a_file_or_holding_an_empty_one_is_incomplete(tmp_path: Path) -> None:
    for name in CONVERTED_FILES:
        (tmp_path / name).write_text("{}")
    assert builtin._complete(tmp_path)
    (tmp_path / "tokenizer.json").write_text("")
    assert not builtin._complete(tmp_path)
    (tmp_path / "tokenizer.json").unlink()
    assert not builtin._complete(tmp_path)
    assert not builtin._complete(tmp_path / "absent")


@pytest.mark.slow
def test_an_incomplete_converted_directory_is_converted_again(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The real conversion (about 25 s): a directory with config.json but no weights, as a
    copy interrupted by hand would leave, is replaced by a complete one."""
    real, _ = resolve_builtin("smollm2-135m-instruct")
    monkeypatch.setenv("EVALSPEC_CACHE_DIR", str(tmp_path))
    target = converted_dir("smollm2-135m-instruct")
    target.mkdir(parents=True)
    shutil.copy(real / "config.json", target / "config.json")

    directory, digest = resolve_builtin("smollm2-135m-instruct")

    assert directory == target and builtin._complete(directory)
    assert digest == file_digest(gguf_path("smollm2-135m-instruct"))
    assert not list(target.parent.glob(".*stale*"))
