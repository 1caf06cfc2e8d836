"""The sticky PR comment: create or update the one comment that carries a report's marker.

GitHub REST API, issue comments (a PR is an issue):
``GET /repos/{owner}/{repo}/issues/{n}/comments`` (paginated by Link headers),
``PATCH /repos/{owner}/{repo}/issues/comments/{id}``,
``POST /repos/{owner}/{repo}/issues/{n}/comments``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import httpx

import evalspec
from evalspec.errors import InfraError, SpecError

DEFAULT_API_URL = "https://api.github.com"
TOKEN_ENVS = ("GITHUB_TOKEN", "GH_TOKEN")
API_VERSION = "2022-11-28"
MAX_BODY = 65536  # GitHub rejects longer comment bodies
MARKER_RE = re.compile(r"<!-- evalspec:report spec=[^>]*? -->")
TRUNCATED_NOTE = (
    "\n\n> [!NOTE]\n> This report was cut to fit GitHub's {limit}-character comment limit "
    "({omitted} characters left out); the full report is in the job's step summary and artifacts.\n"
)
_REPO_RE = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")


@dataclass(frozen=True)
class CommentResult:
    action: Literal["created", "updated"]
    comment_id: int
    url: str | None


@dataclass(frozen=True)
class GitHubSettings:
    token: str
    api_url: str

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> GitHubSettings:
        """Token from $GITHUB_TOKEN or $GH_TOKEN, API from $GITHUB_API_URL (GitHub Enterprise)."""
        values = os.environ if env is None else env
        token = next((values[name] for name in TOKEN_ENVS if values.get(name)), None)
        if token is None:
            raise SpecError(
                "no GitHub token: set GITHUB_TOKEN or GH_TOKEN (in Actions: "
                "`GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }}` with `pull-requests: write`)"
            )
        api_url = (values.get("GITHUB_API_URL") or DEFAULT_API_URL).rstrip("/")
        return cls(token=token, api_url=api_url)


def report_marker(body: str) -> str:
    """The report's hidden marker; the sticky comment is the one that contains it."""
    found = MARKER_RE.search(body)
    if found is None:
        raise SpecError(
            "the report has no evalspec marker (<!-- evalspec:report spec=NAME -->); "
            "pass a file written by `evalspec check --report-md`"
        )
    return found.group(0)


def fit_body(body: str, limit: int = MAX_BODY) -> str:
    """The body, or its start cut at a line break plus a note, within ``limit`` characters.

    ``<details>`` blocks left open by the cut are closed so the note stays visible.
    """
    if len(body) <= limit:
        return body
    reserve = len(TRUNCATED_NOTE.format(limit=limit, omitted=len(body))) + 64
    head = body[: limit - reserve]
    head = head[: head.rfind("\n") + 1] or head
    open_details = head.count("<details>") - head.count("</details>")
    head += "\n</details>\n" * max(open_details, 0)
    return head + TRUNCATED_NOTE.format(limit=limit, omitted=len(body) - len(head))


def upsert_comment(
    repo: str, pr: int, body: str, settings: GitHubSettings, *, timeout_s: float = 30.0
) -> CommentResult:
    """Update the PR's comment that holds the body's marker, or create it; returns which."""
    if not _REPO_RE.match(repo):
        raise SpecError(f"--repo {repo!r}: expected OWNER/NAME, e.g. octo-org/models")
    marker = report_marker(body)
    text = fit_body(body)
    headers = {
        "Accept": "application/vnd.github+json",
        "Authorization": f"Bearer {settings.token}",
        "X-GitHub-Api-Version": API_VERSION,
        "User-Agent": f"evalspec/{evalspec.__version__}",
    }
    with httpx.Client(base_url=settings.api_url, headers=headers, timeout=timeout_s) as client:
        existing = _find_comment(client, repo, pr, marker)
        if existing is None:
            data = _call(client, "POST", f"/repos/{repo}/issues/{pr}/comments", {"body": text})
            action: Literal["created", "updated"] = "created"
        else:
            path = f"/repos/{repo}/issues/comments/{existing}"
            data = _call(client, "PATCH", path, {"body": text})
            action = "updated"
    return CommentResult(action, int(data["id"]), data.get("html_url"))


def _find_comment(client: httpx.Client, repo: str, pr: int, marker: str) -> int | None:
    """The id of the first comment containing the marker, following Link rel="next" pages."""
    url: str | None = f"/repos/{repo}/issues/{pr}/comments?per_page=100"
    while url is not None:
        response = _request(client, "GET", url, None)
        comments = response.json()
        if not isinstance(comments, list):
            raise InfraError(
                f"GitHub API: GET {url} returned {type(comments).__name__}, not a list"
            )
        for comment in comments:
            if marker in str(comment.get("body") or ""):
                return int(comment["id"])
        url = response.links.get("next", {}).get("url")
    return None


def _call(client: httpx.Client, method: str, url: str, payload: dict[str, Any]) -> dict[str, Any]:
    data = _request(client, method, url, payload).json()
    if not isinstance(data, dict) or "id" not in data:
        raise InfraError(f"GitHub API: {method} {url} returned no comment id")
    return data


def _request(
    client: httpx.Client, method: str, url: str, payload: dict[str, Any] | None
) -> httpx.Response:
    try:
        response = client.request(method, url, json=payload)
    except httpx.HTTPError as exc:
        raise InfraError(f"GitHub API: {method} {url} failed: {exc}") from exc
    if response.is_success:
        return response
    where = f"{method} {response.request.url.path}"
    message = _api_message(response)
    hint = {
        401: "the token is invalid or expired; check GITHUB_TOKEN / GH_TOKEN",
        403: "the token lacks permission; grant `pull-requests: write` (or `issues: write`)",
        404: "no such repository or pull request, or the token cannot see it",
    }.get(response.status_code, "")
    raise InfraError(
        f"GitHub API: {where} returned {response.status_code} {message}"
        + (f" ({hint})" if hint else "")
    )


def _api_message(response: httpx.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        return response.reason_phrase
    if isinstance(data, dict) and data.get("message"):
        return str(data["message"])
    return response.reason_phrase


def read_report(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise SpecError(
            f"{path}: no such report; write it with `evalspec check --report-md`"
        ) from exc
