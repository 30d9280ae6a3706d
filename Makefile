# The two Quick start commands (README): `make demo` and `make test`. Both create the virtual
# environment and install syncd with everything it needs on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Every dependency (core, all connectors, dev) pinned with its hashes: what was tested is what
# installs. `make lock` regenerates it after a change to pyproject.toml (docs/ops.md).
LOCK := requirements.lock
# e.g. `make lock LOCK_ARGS=--upgrade` (everything) or `LOCK_ARGS="--upgrade-package httpx"`.
LOCK_ARGS ?=

.PHONY: demo test lint lock

$(STAMP): pyproject.toml $(LOCK)
	@echo "==> creating $(VENV) and installing syncd with every connector, as pinned in $(LOCK) (first run: 1.5-3 min with a warm pip cache)"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --progress-bar on --require-hashes -r $(LOCK)
	$(BIN)/pip install --progress-bar on --no-deps -e .
	touch $(STAMP)
	@echo "==> installed"

# Resolved for the Python and platform we test and deploy on (CPython 3.11, Linux x86_64);
# pins already in the lock are kept unless LOCK_ARGS asks for an upgrade.
lock: $(STAMP)
	$(BIN)/uv pip compile pyproject.toml --quiet --extra all --extra dev --generate-hashes \
		--python-version 3.11 --python-platform x86_64-manylinux_2_28 \
		--custom-compile-command "make lock" $(LOCK_ARGS) --output-file $(LOCK)

demo: $(STAMP)
	$(BIN)/syncd demo

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .
