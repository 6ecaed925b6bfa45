# Drafter: `make run` starts the app on the sample knowledge base; `make test` runs the tests.
# Each target does its own set-up (virtualenv, pinned packages, knowledge base).

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DATA   ?= var
KB     := $(DATA)/chroma/.sample-loaded
PORT   ?= 8501
JOBS   ?= $(shell nproc 2>/dev/null || echo 2)
SAMPLE := $(wildcard knowledge/sample/*.jsonl)

SHOTS  := $(abspath $(DATA)/screenshots)
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test test-fast test-browser chromium bench triage-model lint format kb clean help

help:
	@echo "make run    - install, build the sample knowledge base, start the app on http://127.0.0.1:$(PORT)"
	@echo "make test   - install and run the whole test suite (browser tests included)"
	@echo "make test-browser - only the real-browser tests (headless Debian chromium)"
	@echo "make bench  - retrieval (needs ../shared/data), local drafting and triage benchmarks"
	@echo "make triage-model - retrain the triage classifier from knowledge/eval/triage/"
	@echo "make lint   - ruff check, ruff format --check, mypy"

# llama.cpp is built for any x86-64 with AVX2, not for this CPU's newest extensions: a native build
# on a virtual machine that reports AMX/AVX-512 crashes in the first decode (seen on 2-core VMs).
LLAMA_CMAKE ?= -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	CMAKE_ARGS="$(LLAMA_CMAKE)" CMAKE_BUILD_PARALLEL_LEVEL=$(JOBS) $(BIN)/pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $@

$(KB): $(STAMP) $(SAMPLE)
	DRAFTER_DATA_DIR=$(DATA) $(BIN)/drafter ingest --sample --quiet
	@touch $@

kb: $(KB)

run: $(KB)
	@DRAFTER_DATA_DIR=$(DATA) $(BIN)/drafter user demo
	@DRAFTER_DATA_DIR=$(DATA) DRAFTER_PASSWORD=doctor-demo $(BIN)/drafter questions add \
		--file knowledge/sample/inbox.jsonl --user doctor
	@echo "Drafter is starting on http://127.0.0.1:$(PORT) (Ctrl-C stops it)"
	DRAFTER_DATA_DIR=$(DATA) $(BIN)/drafter ui --port $(PORT)

# The browser tests drive Debian's chromium (never `playwright install`: it downloads).
chromium:
	@command -v chromium >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null; } || \
		echo "warning: could not install chromium; the browser tests will be skipped"

test: $(STAMP) chromium
	@SCREENSHOTS_DIR=$(SHOTS) $(BIN)/python -m pytest -q; status=$$?; \
		echo "Browser test screenshots: $(SHOTS)"; exit $$status

test-browser: $(STAMP) chromium
	@SCREENSHOTS_DIR=$(SHOTS) $(BIN)/python -m pytest -q -m browser; status=$$?; \
		echo "Browser test screenshots: $(SHOTS)"; exit $$status

test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -m "not slow and not server"

bench: $(STAMP)
	$(BIN)/python bench/retrieval.py
	$(BIN)/python bench/drafting.py
	$(BIN)/python bench/triage.py

# Retrain the triage classifier (drafter/triage/data/semantic.npz) from knowledge/eval/triage/.
triage-model: $(STAMP)
	$(BIN)/python -m drafter.triage.train

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) $(DATA) .pytest_cache .ruff_cache .mypy_cache
