"""A Prometheus Pushgateway for tests: Debian's `prometheus-pushgateway` when installed (as
`make install` does where apt exists), else a local stand-in speaking the same HTTP API.

The stand-in is a real HTTP server on 127.0.0.1: PUT /metrics/job/<job>{/<label>/<value>}
replaces that group's metrics (text exposition, checked with prometheus_client's parser; a
malformed body is 400 as the gateway answers), GET /metrics exposes every group's samples
with the group's labels added, as the gateway does.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote
from urllib.request import urlopen

from prometheus_client.parser import text_string_to_metric_families

BINARY = "prometheus-pushgateway"


@contextmanager
def pushgateway() -> Iterator[str]:
    """The base URL of a running gateway, stopped afterwards."""
    if shutil.which(BINARY):
        with _real() as url:
            yield url
    else:
        with _standin() as url:
            yield url


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def _real() -> Iterator[str]:
    port = _free_port()
    proc = subprocess.Popen(
        [BINARY, f"--web.listen-address=127.0.0.1:{port}", "--persistence.file="],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urlopen(f"{url}/-/ready", timeout=1) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{BINARY} did not start") from None
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


class _Groups:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.bodies: dict[tuple[tuple[str, str], ...], str] = {}


def _handler(groups: _Groups) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            return

        def _group(self) -> tuple[tuple[str, str], ...] | None:
            parts = [unquote(p) for p in self.path.split("/")[2:]]
            if len(parts) < 2 or parts[0] != "job" or len(parts) % 2:
                return None
            return tuple(zip(parts[::2], parts[1::2], strict=True))

        def do_PUT(self) -> None:
            group = self._group()
            body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
            try:
                list(text_string_to_metric_families(body))
            except ValueError as exc:
                group = None
                body = str(exc)
            if group is None:
                self._answer(400, f"pushed metrics are invalid: {body}")
                return
            with groups.lock:
                groups.bodies[group] = body
            self._answer(200, "")

        do_POST = do_PUT

        def do_GET(self) -> None:
            if self.path == "/-/ready":
                self._answer(200, "OK")
                return
            lines = []
            with groups.lock:
                for group, body in groups.bodies.items():
                    extra = dict(group)
                    for family in text_string_to_metric_families(body):
                        lines.append(f"# TYPE {family.name} {family.type}")
                        for sample in family.samples:
                            labels = {**sample.labels, **extra}
                            text = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
                            lines.append(f"{sample.name}{{{text}}} {sample.value}")
            self._answer(200, "\n".join(lines) + "\n")

        def _answer(self, code: int, text: str) -> None:
            data = text.encode()
            self.send_response(code)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler


@contextmanager
def _standin() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(_Groups()))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
