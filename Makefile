# make lab   : create .venv, install nbtrack, open JupyterLab on notebooks/
# make test  : create/update .venv, install nbtrack with test extras, run the gates, then every test
# make check : the gates alone: ruff (lint, format), mypy on src/, tsc --noEmit, the JS unit tests
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: lab test check install chromium postgresql bench bench-quick reliability clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Re-run on every make so source changes (Python and TypeScript) are built and installed.
install: $(BIN)/python
	$(BIN)/pip install -q -e ".[test]"

# Browser tests need Debian's chromium; install it when missing and we can (root + apt).
chromium:
	@if ! command -v chromium >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null; \
	  else echo "chromium not found and cannot be installed: browser tests will be skipped"; fi; \
	fi

# The team-store tests start a real PostgreSQL (Debian's server binaries); install it the same way.
postgresql:
	@if ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql) >/dev/null; \
	  else echo "PostgreSQL not found and cannot be installed: team-store tests will be skipped"; fi; \
	fi

# The gates (config in pyproject.toml and package.json); `make test` runs them first.
LINTED := src tests benchmarks
check: install
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)
	$(BIN)/mypy
	npm run --if-present typecheck
	npm run --if-present test

test: install chromium postgresql check
	$(BIN)/python -m pytest -q -rs $(PYTEST_ARGS)

lab: install
	$(BIN)/jupyter lab --notebook-dir=notebooks $(if $(filter 0,$(shell id -u)),--allow-root) --LabApp.news_url=None

bench: install postgresql
	$(BIN)/python benchmarks/run.py
	$(BIN)/python benchmarks/capture_cost.py
	$(BIN)/python benchmarks/w_team.py

bench-quick: install
	$(BIN)/python benchmarks/run.py --quick

reliability: install chromium postgresql
	$(BIN)/python -m pytest -q -m "stress or reliability" --reliability-report -p no:cacheprovider

clean:
	rm -rf $(VENV) node_modules src/nbtrack/static src/nbtrack/labextension lib test-output
