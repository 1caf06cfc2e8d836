"""Run `evalspec` as a real process: under a pseudo-terminal, or with pipes (no terminal)."""

from __future__ import annotations

import fcntl
import os
import pty
import struct
import subprocess
import sys
import termios
import threading
from dataclasses import dataclass
from pathlib import Path

import yaml

ROWS = 8
COLUMNS, LINES = 110, 30


def evalspec_command() -> list[str]:
    script = Path(sys.executable).parent / "evalspec"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from evalspec.cli import main; main()"]


def slow_spec(root: Path, base_url: str, sleep_s: float = 0.15) -> Path:
    """Two tasks of ROWS samples on the stand-in, each answer taking sleep_s seconds."""
    rows = [
        f'{{"id": "q{i}", "prompt": "What is {i} + 1?", "target": "{i + 1}"}}' for i in range(ROWS)
    ]
    (root / "data.jsonl").write_text("\n".join(rows) + "\n")
    tasks = [
        {
            "id": task_id,
            "dataset": {"format": "jsonl", "source": "data.jsonl"},
            "prompt": {"template": f"sleep={sleep_s} {task_id} {{prompt}}"},
            "generation": {"max_tokens": 8},
            "scorer": {"type": "numeric"},
        }
        for task_id in ("arith", "sums")
    ]
    server = {"base_url": base_url, "max_concurrency": 1, "max_retries": 0}
    model = {"id": "remote", "source": "standin", "engine": "openai", "server": server}
    spec = {"version": 1, "name": "remote", "models": [model], "tasks": tasks}
    path = root / "remote.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def environment(root: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "EVALSPEC_"))}
    env.update(
        EVALSPEC_RESPONSE_CACHE=str(root / "responses.sqlite"),
        EVALSPEC_RUNS_DIR=str(root / "runs"),
        EVALSPEC_CHUNK_SIZE="2",  # a chunk per two outputs: the bars move
        TERM="xterm-256color",
        **extra,
    )
    return env


@dataclass
class Done:
    returncode: int
    stdout: str
    stderr: str  # under a terminal: everything the terminal received on stderr


def run_piped(args: list[str], env: dict[str, str], cwd: Path) -> Done:
    done = subprocess.run(
        [*evalspec_command(), *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=120
    )
    return Done(done.returncode, done.stdout, done.stderr)


def run_on_terminal(args: list[str], env: dict[str, str], cwd: Path) -> Done:
    """stderr (and stdin) on a pseudo-terminal of COLUMNS x LINES; stdout on a pipe."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", LINES, COLUMNS, 0, 0))
    process = subprocess.Popen(
        [*evalspec_command(), *args],
        env=env,
        cwd=cwd,
        stdin=slave,
        stdout=subprocess.PIPE,
        stderr=slave,
        start_new_session=True,
    )
    os.close(slave)
    received = bytearray()

    def drain() -> None:
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the last holder of the terminal closed it
                return
            if not chunk:
                return
            received.extend(chunk)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    assert process.stdout is not None
    stdout = process.stdout.read().decode()
    returncode = process.wait(timeout=120)
    reader.join(timeout=10)
    os.close(master)
    return Done(returncode, stdout, received.decode("utf-8", errors="replace"))
