"""The code sandbox: isolation choice, limits, warm fork-server pool, unforgeable verdicts.

`Sandbox(isolation, limits, workers).run(jobs)` scores `CodeJob`s (untrusted candidate
code + trusted prelude and test) into `Outcome`s and says in `label` what held;
`resolve(requested)` picks the isolation.
"""

from evalspec.scoring.sandbox.isolation import (
    Isolation,
    Requested,
    Setup,
    probe_bwrap,
    probe_jail,
    resolve,
    setup,
)
from evalspec.scoring.sandbox.limits import Limits
from evalspec.scoring.sandbox.outcome import Outcome
from evalspec.scoring.sandbox.pool import CodeJob, Sandbox

__all__ = [
    "CodeJob",
    "Isolation",
    "Limits",
    "Outcome",
    "Requested",
    "Sandbox",
    "Setup",
    "probe_bwrap",
    "probe_jail",
    "resolve",
    "setup",
]
