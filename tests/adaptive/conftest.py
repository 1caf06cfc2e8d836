"""Adaptive tests reuse the in-process engine stand-in of tests/runner/fake_engine.py."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "runner"))
