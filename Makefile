# Two commands a fresh machine with only python3 can run: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: demo test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.run-deps: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[charts]'
	touch $@

$(VENV)/.test-deps: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.run-deps

## Run orderdesk's main job on the embedded default.
demo: $(VENV)/.run-deps
	$(BIN)/orderdesk demo

## Install what the tests need and run the whole suite.
test: $(VENV)/.test-deps
	$(BIN)/python -m pytest -n 2

## ruff, mypy --strict and the import-layer contract.
lint: $(VENV)/.test-deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

## Benchmarks (not tests): figures beside their floors, recorded in bench/RESULTS.md.
## BENCH_ARGS go to the peers suite, e.g. BENCH_ARGS="--systems orderdesk,nautilus --quick".
BENCH_ARGS ?=
bench: $(VENV)/.test-deps
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
