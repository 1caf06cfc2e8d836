"""Build the HTTP engines (openai, vllm-server) from an EngineRequest."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from evalspec.engines.openai_client import ClientConfig
from evalspec.engines.openai_engine import OpenAIConfig, OpenAIEngine
from evalspec.engines.sources import materialize

if TYPE_CHECKING:
    from evalspec.engines.requests import EngineRequest


def load_http_engine(request: EngineRequest) -> OpenAIEngine:
    """openai: an engine for the configured endpoint; vllm-server: start `vllm serve` first."""
    server = dict(request.server)
    if request.engine == "vllm-server":
        from evalspec.engines.vllm_server import load_vllm_server

        return load_vllm_server(
            materialize(request.source),
            server["served_model_name"],
            dict(request.args),
            request.adapters,
            request.device,
            server,
        )
    key_env = server["api_key_env"]
    config = OpenAIConfig(
        client=ClientConfig(
            base_url=server["base_url"],
            api_key=os.environ.get(key_env) if key_env else None,
            timeout_s=server["timeout_s"],
            max_retries=server["max_retries"],
            backoff_s=server["retry_backoff_s"],
        ),
        model=server["served_model_name"],
        max_concurrency=server["max_concurrency"],
        extra_body=request.args,
    )
    return OpenAIEngine(config)
