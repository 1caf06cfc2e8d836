"""A small OpenAI-compatible stand-in server: real HTTP on 127.0.0.1, scripted failures."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Failure = int | tuple[int, dict[str, str]]  # a status, or a status with its response headers


@dataclass
class Behaviour:
    """What the stand-in does: statuses to answer first, then 200s (or `always` forever)."""

    # e.g. [429]: the first request gets 429; [(503, {"Retry-After": "1"})]: with that header
    failures: list[Failure] = field(default_factory=list)
    always: int | None = None  # e.g. 500: every request fails
    logprobs: bool = True  # echo + logprobs supported on /v1/completions
    requests: int = 0
    arrivals: list[float] = field(default_factory=list)  # time.time() of each POST
    authorization: list[str | None] = field(default_factory=list)  # its header, per POST
    bodies: list[dict[str, Any]] = field(default_factory=list)  # each POST's JSON body
    in_flight: int = 0
    max_in_flight: int = 0
    seeds: dict[str, int | None] = field(default_factory=dict)  # chat text -> seed sent
    lock: threading.Lock = field(default_factory=threading.Lock)


def _answer(path: str, body: dict[str, Any], behaviour: Behaviour) -> dict[str, Any]:
    if path.endswith("/chat/completions"):
        text = body["messages"][-1]["content"]
        behaviour.seeds[text] = body.get("seed")
        # "sleep=S ..." makes the answer slow, so later prompts finish first
        if text.startswith("sleep="):
            time.sleep(float(text.split()[0].removeprefix("sleep=")))
        return {
            "choices": [{"message": {"content": f"echo:{text}"}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": len(text.split()), "completion_tokens": 2},
        }
    prompt = body["prompt"]
    if not body.get("echo"):
        return {
            "choices": [{"text": f"echo:{prompt}", "finish_reason": "length"}],
            "usage": {"prompt_tokens": len(prompt.split()), "completion_tokens": 1},
        }
    choice: dict[str, Any] = {"text": prompt + " x", "finish_reason": "length"}
    if behaviour.logprobs:  # one token per word: offsets of word starts, logprob -0.5 each
        words = prompt.split(" ")
        offsets, pos = [], 0
        for word in words:
            offsets.append(pos)
            pos += len(word) + 1
        token_logprobs: list[float | None] = [None] + [-0.5] * (len(words) - 1)
        choice["logprobs"] = {
            "tokens": [*words, " x"],
            "token_logprobs": [*token_logprobs, -9.0],  # the generated token: never counted
            "text_offset": [*offsets, len(prompt)],
        }
    else:
        choice["logprobs"] = None
    return {"choices": [choice], "usage": {"prompt_tokens": len(prompt.split(" "))}}


def _handler(behaviour: Behaviour) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            return None

        def _send(
            self, status: int, data: dict[str, Any], headers: dict[str, str] | None = None
        ) -> None:
            payload = json.dumps(data).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            if status == 429 and headers is None:
                self.send_header("Retry-After", "0")
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        def do_GET(self) -> None:
            if self.path == "/v1/models":
                self._send(200, {"data": [{"id": "standin", "root": "standin-root"}]})
            elif self.path == "/version":
                self._send(200, {"version": "standin-1"})
            else:
                self._send(404, {"error": "not found"})

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            with behaviour.lock:
                behaviour.requests += 1
                behaviour.arrivals.append(time.time())
                behaviour.authorization.append(self.headers.get("Authorization"))
                behaviour.bodies.append(body)
                behaviour.in_flight += 1
                behaviour.max_in_flight = max(behaviour.max_in_flight, behaviour.in_flight)
                failure = behaviour.failures.pop(0) if behaviour.failures else behaviour.always
            status, headers = failure if isinstance(failure, tuple) else (failure, None)
            try:
                if status is not None:
                    self._send(status, {"error": {"message": f"scripted {status}"}}, headers)
                else:
                    self._send(200, _answer(self.path, body, behaviour))
            finally:
                with behaviour.lock:
                    behaviour.in_flight -= 1

    return Handler


@contextmanager
def standin(behaviour: Behaviour) -> Iterator[str]:
    """Serve on a free loopback port; yields the base URL (with /v1)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(behaviour))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
