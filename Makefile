# `make run` sets up and starts the app; `make test` sets up and runs lint + every test, side by
# side; `make test-fast` the tests that start no process (docs/development.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-fast lint setup clean bench

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

run: $(STAMP)
	$(BIN)/iquest dev

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports

# Test processes side by side. Most tests wait on real processes (workers, subprocesses, the
# sandbox) rather than compute — the suite spends about a third of its time on CPU — so more
# of them than cores pays (measured runs: docs/development.md).
# worksteal: an idle process takes tests queued for a busy one (the long ones run first).
PYTEST_WORKERS ?= 4

test: lint
	$(BIN)/pytest -q -n $(PYTEST_WORKERS) --dist worksteal

test-fast: $(STAMP)
	$(BIN)/pytest -q -n 2 -m "not slow"

bench: $(STAMP)
	$(BIN)/python bench/webhook_load.py
	$(BIN)/python bench/job_cost.py
	$(BIN)/python bench/ingest_mix.py

clean:
	rm -rf $(VENV) .iquest build *.egg-info
