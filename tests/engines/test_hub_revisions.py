"""Hugging Face models are pinned to commits: a branch, tag or no revision resolves to the
commit the (real, temporary) hub cache names, and that sha is the identity and what loads."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from hf_cache import add_snapshot, isolated_hub, set_ref

from evalspec.engines import engine_request
from evalspec.engines.registry import _local_config
from evalspec.engines.sources import ModelSource, local_model_dir, materialize, model_source
from evalspec.errors import EXIT_INFRA, InfraError
from evalspec.plan import compile_plan
from evalspec.spec import load_spec
from evalspec.spec.models import ModelSpec

REPO = "evalspec-test/tiny"
OLD = "a" * 40
NEW = "b" * 40
CONFIG = json.dumps({"architectures": ["LlamaForCausalLM"], "hidden_size": 64}).encode()


@pytest.fixture
def hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    hub = isolated_hub(tmp_path, monkeypatch)
    add_snapshot(hub, REPO, OLD, {"config.json": CONFIG, "tokenizer.json": b"{}"})
    add_snapshot(hub, REPO, NEW, {"config.json": CONFIG + b" ", "tokenizer.json": b"{}"})
    set_ref(hub, REPO, "main", OLD)
    return hub


def source(revision: str | None = None) -> ModelSource:
    return model_source(REPO, revision, Path("/nonexistent"), "spec.yaml:4")


def test_no_revision_is_the_commit_main_names_and_that_snapshot_loads(hub: Path) -> None:
    src = source()
    assert (src.kind, src.revision, src.digest) == ("hub", OLD, f"hub:{REPO}@{OLD}")
    snapshot = hub / "models--evalspec-test--tiny" / "snapshots" / OLD
    assert local_model_dir(src) == snapshot
    assert materialize(src) == str(snapshot)
    assert source("main") == src


def test_a_moved_branch_changes_the_identity_and_the_loaded_snapshot(hub: Path) -> None:
    before = source("main")
    set_ref(hub, REPO, "main", NEW)
    after = source("main")
    assert after.revision == NEW and after.digest == f"hub:{REPO}@{NEW}"
    assert materialize(after).endswith(f"/snapshots/{NEW}")
    assert before.digest != after.digest


def test_a_tag_resolves_through_its_ref(hub: Path) -> None:
    set_ref(hub, REPO, "v1.0", NEW)
    assert source("v1.0").revision == NEW


def test_a_commit_sha_is_its_own_identity_even_when_not_cached(hub: Path) -> None:
    sha = "c" * 40
    src = source(sha)
    assert src.revision == sha and src.digest == f"hub:{REPO}@{sha}"
    assert local_model_dir(src) is None
    assert materialize(src) == REPO  # not on disk: the engine fetches that commit itself


def test_the_engine_is_asked_for_the_resolved_commit(hub: Path) -> None:
    model = ModelSpec.model_validate({"id": "m", "source": REPO, "revision": "main"})
    request = engine_request(model, source("main"), [], "cpu")
    config = _local_config(request)
    assert config.revision == OLD
    assert config.model.endswith(f"/snapshots/{OLD}")
    assert OLD in request.key


def test_unresolvable_offline_is_an_infrastructure_error_saying_what_to_do(hub: Path) -> None:
    with pytest.raises(InfraError) as error:
        model_source("evalspec-test/absent", None, Path("/nonexistent"), "spec.yaml:4")
    assert error.value.exit_code == EXIT_INFRA
    assert str(error.value) == (
        "spec.yaml:4: model evalspec-test/absent: cannot pin its default branch (main) to a "
        f"commit: HF_HUB_OFFLINE is set and the Hugging Face cache ({hub}) does not have it; "
        "download it where the Hub is reachable (`hf download evalspec-test/absent`) and copy "
        "the cache here, or give `revision:` as a 40-character commit sha"
    )
    with pytest.raises(InfraError, match=r"revision 'v9'.*`hf download evalspec-test/tiny "):
        source("v9")


def _spec(root: Path, revision: str) -> Path:
    (root / "qa.jsonl").write_text('{"id": "q1", "prompt": "2+2?", "target": "4"}\n')
    spec = root / "spec.yaml"
    spec.write_text(
        f"""version: 1
name: hub
models:
  - id: tiny
    source: {REPO}
    revision: {revision}
tasks:
  - id: qa
    dataset: {{format: jsonl, source: qa.jsonl}}
    scorer: {{type: numeric}}
"""
    )
    return spec


def test_unit_hashes_follow_the_branch_not_its_name(hub: Path, tmp_path: Path) -> None:
    spec = _spec(tmp_path, "main")
    (before,) = compile_plan(load_spec(spec), device="cpu").units
    assert before.identity["model"]["revision"] == OLD
    set_ref(hub, REPO, "main", NEW)
    (after,) = compile_plan(load_spec(spec), device="cpu").units
    assert after.identity["model"]["revision"] == NEW
    assert after.hash != before.hash
    set_ref(hub, REPO, "main", OLD)
    (again,) = compile_plan(load_spec(spec), device="cpu").units
    assert again.hash == before.hash


class _Hub(BaseHTTPRequestHandler):
    """The Hub's model-info endpoint: main is NEW for REPO; everything else is unknown."""

    def log_message(self, *args: object) -> None:
        return None

    def do_GET(self) -> None:
        path = self.path.split("?")[0]
        if path in (f"/api/models/{REPO}", f"/api/models/{REPO}/revision/main"):
            status, body, headers = 200, {"id": REPO, "sha": NEW}, {}
        elif self.path.startswith(f"/api/models/{REPO}/revision/"):
            status, body, headers = 404, {"error": "no"}, {"X-Error-Code": "RevisionNotFound"}
        else:
            status, body, headers = 404, {"error": "no"}, {"X-Error-Code": "RepoNotFound"}
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)


_RESOLVE = """
import json, sys
from pathlib import Path
from evalspec.engines.sources import model_source
from evalspec.errors import EvalspecError
try:
    src = model_source(sys.argv[1], sys.argv[2] or None, Path("/nonexistent"), "spec.yaml:4")
    print(json.dumps({"revision": src.revision}))
except EvalspecError as exc:
    print(json.dumps({"error": str(exc), "exit": exc.exit_code}))
"""


def test_online_the_hubs_answer_wins_over_a_stale_cached_ref(hub: Path) -> None:
    """huggingface_hub reads HF_ENDPOINT when imported: a subprocess asks a local stand-in."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hub)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    env = {
        **os.environ,
        "HF_ENDPOINT": f"http://127.0.0.1:{server.server_address[1]}",
        "HF_HUB_OFFLINE": "0",
        "TRANSFORMERS_OFFLINE": "0",
        "HF_HUB_CACHE": str(hub),
    }

    def resolve(repo: str, revision: str = "") -> dict[str, object]:
        done = subprocess.run(
            [sys.executable, "-c", _RESOLVE, repo, revision],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        result: dict[str, object] = json.loads(done.stdout)
        return result

    try:
        assert resolve(REPO) == {"revision": NEW}  # the cache's refs/main still says OLD
        missing = resolve(REPO, "v9")
        assert missing["exit"] == 2
        assert missing["error"] == (
            f"spec.yaml:4: model {REPO}, revision 'v9': the Hugging Face Hub refused it "
            "(RevisionNotFoundError, HTTP 404); fix `source` or `revision` (or log in with "
            "`hf auth login` for a gated or private model)"
        )
        assert resolve("evalspec-test/absent")["exit"] == 2
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
