"""A local cluster started for a run leaves the run's SIGTERM handler in place (ray.init
installs its own, which would exit 15 without finishing the run)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.slow

SCRIPT = textwrap.dedent(
    """
    import signal
    from evalspec.runner.ray.cluster import connect, disconnect

    def ours(signum, frame):
        pass

    signal.signal(signal.SIGTERM, ours)
    connection = connect(None)
    try:
        assert connection.started_here, connection
        assert signal.getsignal(signal.SIGTERM) is ours, signal.getsignal(signal.SIGTERM)
    finally:
        disconnect(connection)
    print("kept")
    """
)


def test_starting_a_local_cluster_keeps_the_runs_sigterm_handler() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=180
    )
    assert done.returncode == 0 and done.stdout.strip() == "kept", done.stderr[-3000:]
