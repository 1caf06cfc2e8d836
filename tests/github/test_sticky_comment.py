"""`evalspec comment` against a local GitHub API server: one sticky comment per spec."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner, Result
from fake_github import FakeGitHub

from evalspec.cli import cli
from evalspec.report.github import MAX_BODY


def _report(tmp_path: Path, text: str, spec: str = "smoke", name: str = "report.md") -> Path:
    path = tmp_path / name
    path.write_text(f"<!-- evalspec:report spec={spec} -->\n{text}\n", encoding="utf-8")
    return path


def _comment(github: FakeGitHub, report: Path, pr: int = 7, **env: str | None) -> Result:
    environment: dict[str, str | None] = {
        "GITHUB_TOKEN": github.token,
        "GH_TOKEN": None,
        "GITHUB_API_URL": github.url,
        **env,
    }
    return CliRunner().invoke(
        cli,
        ["comment", "--repo", github.repo, "--pr", str(pr), "--report", str(report)],
        env=environment,
    )


def test_first_call_creates_the_comment_and_later_calls_update_it(
    github: FakeGitHub, tmp_path: Path
) -> None:
    github.add_comment(7, "LGTM")

    first = _comment(github, _report(tmp_path, "**FAIL** first push"))
    second = _comment(github, _report(tmp_path, "**PASS** second push"))

    assert first.exit_code == 0, first.output
    assert first.output.startswith("created comment ")
    assert second.exit_code == 0, second.output
    assert second.output.startswith("updated comment ")
    bodies = [c["body"] for c in github.comments[7]]
    assert bodies == ["LGTM", "<!-- evalspec:report spec=smoke -->\n**PASS** second push\n"]


def test_each_spec_keeps_its_own_comment(github: FakeGitHub, tmp_path: Path) -> None:
    _comment(github, _report(tmp_path, "smoke v1", spec="smoke", name="a.md"))
    _comment(github, _report(tmp_path, "coding v1", spec="coding", name="b.md"))
    _comment(github, _report(tmp_path, "smoke v2", spec="smoke", name="a.md"))

    bodies = sorted(c["body"].splitlines()[1] for c in github.comments[7])
    assert bodies == ["coding v1", "smoke v2"]


def test_marker_on_the_second_page_is_found_through_link_headers(
    github: FakeGitHub, tmp_path: Path
) -> None:
    github.page_size = 2
    for i in range(3):
        github.add_comment(7, f"chatter {i}")
    sticky = github.add_comment(7, "<!-- evalspec:report spec=smoke -->\nold")
    github.add_comment(7, "more chatter")

    result = _comment(github, _report(tmp_path, "new"))

    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"updated comment {sticky}")
    assert len(github.comments[7]) == 5
    gets = [path for method, path, _ in github.requests if method == "GET"]
    assert len(gets) == 2 and "page=2" in gets[1]
    assert [c["body"] for c in github.comments[7] if c["id"] == sticky] == [
        "<!-- evalspec:report spec=smoke -->\nnew\n"
    ]


def test_requests_carry_the_github_api_headers(github: FakeGitHub, tmp_path: Path) -> None:
    assert _comment(github, _report(tmp_path, "x")).exit_code == 0

    for _, _, headers in github.requests:
        assert headers["Accept"] == "application/vnd.github+json"
        assert headers["X-GitHub-Api-Version"] == "2022-11-28"
        assert headers["Authorization"] == f"Bearer {github.token}"


def test_gh_token_is_used_when_github_token_is_unset(github: FakeGitHub, tmp_path: Path) -> None:
    result = _comment(github, _report(tmp_path, "x"), GITHUB_TOKEN=None, GH_TOKEN=github.token)

    assert result.exit_code == 0, result.output
    assert len(github.comments[7]) == 1


def test_missing_token_exits_2_and_says_what_to_set(github: FakeGitHub, tmp_path: Path) -> None:
    result = _comment(github, _report(tmp_path, "x"), GITHUB_TOKEN=None)

    assert result.exit_code == 2
    assert "set GITHUB_TOKEN or GH_TOKEN" in result.output
    assert github.requests == []


def test_bad_credentials_exit_3_with_the_api_message(github: FakeGitHub, tmp_path: Path) -> None:
    result = _comment(github, _report(tmp_path, "x"), GITHUB_TOKEN="wrong")

    assert result.exit_code == 3
    assert "401 Bad credentials" in result.output
    assert 7 not in github.comments


def test_token_without_write_permission_exits_3(github: FakeGitHub, tmp_path: Path) -> None:
    github.read_only = True

    result = _comment(github, _report(tmp_path, "x"))

    assert result.exit_code == 3
    assert "403 Resource not accessible by integration" in result.output
    assert "pull-requests: write" in result.output


def test_unknown_pull_request_exits_3_with_not_found(github: FakeGitHub, tmp_path: Path) -> None:
    result = _comment(github, _report(tmp_path, "x"), pr=999)

    assert result.exit_code == 3
    assert "404 Not Found" in result.output


def test_unreachable_api_exits_3(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli,
        ["comment", "--repo", "o/r", "--pr", "1", "--report", str(_report(tmp_path, "x"))],
        env={"GITHUB_TOKEN": "t", "GITHUB_API_URL": "http://127.0.0.1:9"},
    )

    assert result.exit_code == 3
    assert "GitHub API: GET" in result.output


def test_report_without_marker_is_a_usage_error(github: FakeGitHub, tmp_path: Path) -> None:
    plain = tmp_path / "plain.md"
    plain.write_text("just text\n")

    result = _comment(github, plain)

    assert result.exit_code == 2
    assert "no evalspec marker" in result.output
    assert github.requests == []


def test_oversized_report_is_truncated_with_a_note_and_stays_sticky(
    github: FakeGitHub, tmp_path: Path
) -> None:
    huge = "<details>\n<summary>flips</summary>\n\n" + "line of output\n" * 10_000
    report = _report(tmp_path, huge)

    first = _comment(github, report)
    again = _comment(github, report)

    assert first.exit_code == 0, first.output
    assert again.output.startswith("updated comment ")
    (stored,) = (c["body"] for c in github.comments[7])
    assert len(stored) <= MAX_BODY
    assert stored.startswith("<!-- evalspec:report spec=smoke -->\n")
    assert "This report was cut to fit GitHub's 65536-character comment limit" in stored
    assert stored.count("<details>") == stored.count("</details>")
