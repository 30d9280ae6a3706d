# The two Quick start commands (README): `make demo` and `make test`. Both create the virtual
# environment and install syncd with everything it needs on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint

$(STAMP): pyproject.toml
	@echo "==> creating $(VENV) and installing syncd with every connector (first run: 1.5-3 min with a warm pip cache)"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --upgrade --progress-bar on pip
	$(BIN)/pip install --progress-bar on -e '.[dev,all]'
	touch $(STAMP)
	@echo "==> installed"

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
