"""A local stand-in for GitHub's REST API: issue comments with pagination and token auth.

Real HTTP on 127.0.0.1 (http.server in a thread): the endpoints, status codes,
error bodies and Link headers that evalspec's comment client uses.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

LIST_OR_CREATE = re.compile(r"^/repos/([^/]+)/([^/]+)/issues/(\d+)/comments$")
UPDATE = re.compile(r"^/repos/([^/]+)/([^/]+)/issues/comments/(\d+)$")


@dataclass
class FakeGitHub:
    token: str = "secret-token"
    repo: str = "octo/models"
    prs: set[int] = field(default_factory=lambda: {7})
    page_size: int = 100  # GitHub caps per_page at 100; smaller here to test pagination
    read_only: bool = False  # a token without pull-requests/issues write permission
    comments: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    requests: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    next_id: int = 1000
    url: str = ""

    def add_comment(self, pr: int, body: str) -> int:
        self.next_id += 1
        comment = {
            "id": self.next_id,
            "body": body,
            "html_url": f"https://github.com/{self.repo}/pull/{pr}#issuecomment-{self.next_id}",
            "user": {"login": "someone", "type": "User"},
        }
        self.comments.setdefault(pr, []).append(comment)
        return self.next_id


def serve(fake: FakeGitHub) -> ThreadingHTTPServer:
    """Start serving ``fake`` on a free port; ``fake.url`` is its base URL. Call shutdown()."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return

        def do_GET(self) -> None:
            self._handle("GET")

        def do_POST(self) -> None:
            self._handle("POST")

        def do_PATCH(self) -> None:
            self._handle("PATCH")

        def _handle(self, method: str) -> None:
            parts = urlsplit(self.path)
            fake.requests.append((method, self.path, dict(self.headers.items())))
            if self.headers.get("Authorization") != f"Bearer {fake.token}":
                return self._send(401, {"message": "Bad credentials"})
            if self.headers.get("Accept") != "application/vnd.github+json":
                return self._send(415, {"message": "Unsupported media type"})
            if method == "GET" and (m := LIST_OR_CREATE.match(parts.path)):
                return self._list(m, parse_qs(parts.query))
            if method == "POST" and (m := LIST_OR_CREATE.match(parts.path)):
                return self._create(m)
            if method == "PATCH" and (m := UPDATE.match(parts.path)):
                return self._update(m)
            return self._send(404, {"message": "Not Found"})

        def _known(self, match: re.Match[str], pr: int | None) -> bool:
            repo = f"{match.group(1)}/{match.group(2)}"
            return repo == fake.repo and (pr is None or pr in fake.prs)

        def _list(self, match: re.Match[str], query: dict[str, list[str]]) -> None:
            pr = int(match.group(3))
            if not self._known(match, pr):
                return self._send(404, {"message": "Not Found"})
            per_page = min(int(query.get("per_page", ["30"])[0]), fake.page_size)
            page = int(query.get("page", ["1"])[0])
            items = fake.comments.get(pr, [])
            chunk = items[(page - 1) * per_page : page * per_page]
            headers = {}
            if page * per_page < len(items):
                base = f"{fake.url}{urlsplit(self.path).path}"
                headers["Link"] = (
                    f'<{base}?per_page={per_page}&page={page + 1}>; rel="next", '
                    f'<{base}?per_page={per_page}&page=1>; rel="first"'
                )
            self._send(200, chunk, headers)

        def _create(self, match: re.Match[str]) -> None:
            pr = int(match.group(3))
            if not self._known(match, pr):
                return self._send(404, {"message": "Not Found"})
            if fake.read_only:
                return self._send(403, {"message": "Resource not accessible by integration"})
            body = self._body()
            if body is None:
                return self._send(422, {"message": "Validation Failed"})
            comment_id = fake.add_comment(pr, body)
            self._send(201, self._comment(comment_id))

        def _update(self, match: re.Match[str]) -> None:
            comment_id = int(match.group(3))
            if not self._known(match, None) or self._comment(comment_id) is None:
                return self._send(404, {"message": "Not Found"})
            if fake.read_only:
                return self._send(403, {"message": "Resource not accessible by integration"})
            body = self._body()
            if body is None:
                return self._send(422, {"message": "Validation Failed"})
            comment = self._comment(comment_id)
            assert comment is not None
            comment["body"] = body
            self._send(200, comment)

        def _comment(self, comment_id: int) -> dict[str, Any] | None:
            return next(
                (c for cs in fake.comments.values() for c in cs if c["id"] == comment_id), None
            )

        def _body(self) -> str | None:
            length = int(self.headers.get("Content-Length") or 0)
            data = json.loads(self.rfile.read(length) or b"{}")
            body = data.get("body") if isinstance(data, dict) else None
            if not isinstance(body, str) or len(body) > 65536:
                return None
            return body

        def _send(self, status: int, data: Any, headers: dict[str, str] | None = None) -> None:
            raw = json.dumps(data).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(raw)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(raw)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    return server
