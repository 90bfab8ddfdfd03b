# opsdesk: `make run` to try it, `make test` to prove it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= $(or $(OPSDESK_PORT),8000)
JOBS ?= 2
PG_TEST_URL ?= postgres://postgres@127.0.0.1:5432/test

.PHONY: run test lint unit install install-dev clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# Reinstall whenever pyproject.toml changes.
$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e ".[dev]"
	@touch $@ $(VENV)/.installed-run

install: $(VENV)/.installed-run
install-dev: $(VENV)/.installed-dev

# The demo's audit key and checkpoint sit beside its data directory, not inside it (and not
# in the home directory, where they would outlive `make clean` and flag the next demo).
run: install
	@BIN=$(BIN) OPSDESK_HTTPS=$${OPSDESK_HTTPS:-false} OPSDESK_PORT=$(PORT) \
		OPSDESK_CONFIG_DIR=$${OPSDESK_CONFIG_DIR:-$(CURDIR)/var-config} sh scripts/run.sh

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

unit: install-dev
	@sh scripts/test.sh $(JOBS) $(PG_TEST_URL)

test: lint unit

clean:
	rm -rf $(VENV) var var-config
