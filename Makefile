# Grove: `make run` serves the demo on SQLite, `make test` runs ruff, mypy and the test suite.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
STAMP := $(VENV)/.installed

export DEBUG ?= 1

.PHONY: run test lint format bench install migrate demo worker clean datamap

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

var:
	mkdir -p var

migrate: install var
	$(MANAGE) migrate --noinput

demo: migrate
	$(MANAGE) seed_demo

run: demo
	@echo "Serving Grove on http://127.0.0.1:8000 (Ctrl-C to stop)"
	$(MANAGE) runserver 127.0.0.1:8000

worker: migrate
	$(MANAGE) db_worker

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	SECRET_KEY=lint-only $(BIN)/mypy

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: install var lint
	DEBUG=0 SECRET_KEY=test-only-secret $(BIN)/python -m pytest $(PYTEST_ARGS)

# The data map document, generated from every model's DATA_MAP (a test fails when it is stale).
datamap: install
	$(MANAGE) datamap --format markdown --output docs/datamap.md

bench: install var
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
