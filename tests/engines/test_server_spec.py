"""Spec and request plumbing of the HTTP engines: ServerSpec rules, flags, requests, hashes."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from evalspec.engines import engine_request
from evalspec.engines.sources import remote_source
from evalspec.engines.vllm_server import server_flags
from evalspec.spec.models import ModelSpec


def model(**fields: object) -> ModelSpec:
    return ModelSpec.model_validate({"id": "m", "source": "org/name", **fields})


def test_openai_needs_a_base_url_and_vllm_server_refuses_one() -> None:
    with pytest.raises(ValidationError, match="needs `server: "):
        model(engine="openai")
    with pytest.raises(ValidationError, match="starts its own server"):
        model(engine="vllm-server", server={"base_url": "http://127.0.0.1:1/v1"})
    with pytest.raises(ValidationError, match="`server` applies to engines"):
        model(engine="vllm", server={"max_concurrency": 2})
    with pytest.raises(ValidationError, match="base_urll"):
        model(engine="openai", server={"base_urll": "x"})


def test_openai_request_carries_server_settings_and_extra_body() -> None:
    spec = model(
        engine="openai",
        server={"base_url": "http://127.0.0.1:8000/v1", "max_concurrency": 3},
        engine_args={"top_k": 1},
    )
    request = engine_request(spec, remote_source(spec.source, None), [])
    server = dict(request.server)
    assert request.engine == "openai" and request.device == "remote"
    assert server["served_model_name"] == "org/name"
    assert server["max_concurrency"] == 3 and server["api_key_env"] == "OPENAI_API_KEY"
    assert dict(request.args) == {"top_k": 1}
    assert request.output_args() == {"top_k": 1}  # extra body fields change outputs


def test_vllm_server_request_reuses_the_offline_defaults(tmp_path: Path) -> None:
    spec = model(engine="vllm-server", engine_args={"max_model_len": 1024})
    request = engine_request(spec, remote_source("x", None), [("a", str(tmp_path), 8)], "cpu")
    args = dict(request.args)
    assert args["dtype"] == "float32" and args["seed"] == 0 and args["max_model_len"] == 1024
    assert args["enable_lora"] is True and args["max_lora_rank"] == 8
    assert dict(request.server)["served_model_name"] == "m"


def test_engine_arguments_become_vllm_serve_flags() -> None:
    flags = server_flags(
        {
            "dtype": "float32",
            "enforce_eager": True,
            "enable_prefix_caching": False,
            "kv_cache_gib": 2,
            "max_model_len": 1024,
            "gpu_memory_utilization": 0.85,
            "override_generation_config": {"temperature": 0.0},
        }
    )
    assert flags == [
        "--dtype",
        "float32",
        "--enforce-eager",
        "--gpu-memory-utilization",
        "0.85",
        "--max-model-len",
        "1024",
        "--override-generation-config",
        '{"temperature": 0.0}',
    ]
