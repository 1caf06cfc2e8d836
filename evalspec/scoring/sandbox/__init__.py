"""The code sandbox: isolation choice, limits, warm fork-server pool, unforgeable verdicts.

`Sandbox(isolation, limits, workers).run(jobs)` scores `CodeJob`s (untrusted candidate
code + trusted prelude and test) into `Outcome`s; `resolve(requested)` picks the isolation.
"""

from evalspec.scoring.sandbox.isolation import (
    Isolation,
    Requested,
    probe_bwrap,
    resolve,
    rlimits_drops_uid,
)
from evalspec.scoring.sandbox.limits import Limits
from evalspec.scoring.sandbox.pool import CodeJob, Outcome, Sandbox

__all__ = [
    "CodeJob",
    "Isolation",
    "Limits",
    "Outcome",
    "Requested",
    "Sandbox",
    "probe_bwrap",
    "resolve",
    "rlimits_drops_uid",
]
