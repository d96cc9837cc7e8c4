# `make run` and `make test` work on a fresh machine: they create .venv, install what is
# missing, build the web client when its sources changed, then run.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
export HOST PORT

WEB_SOURCES := $(shell find frontend/src frontend/public -type f 2>/dev/null) \
	$(wildcard frontend/index.html frontend/package.json frontend/package-lock.json frontend/vite.config.ts frontend/tsconfig*.json)

.PHONY: run test lint web clean

run: $(VENV)/.installed web
	$(BIN)/roomcast serve --host $(HOST) --port $(PORT)

test: $(VENV)/.installed web
	$(BIN)/ruff check src tests
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests
	$(BIN)/mypy

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "roomcast needs Python 3.11+"'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[test,bench]"
	touch $@

web: $(if $(wildcard frontend/package.json),frontend/dist/index.html)

frontend/dist/index.html: $(WEB_SOURCES)
	cd frontend && npm ci --no-audit --no-fund && npm run build
	touch $@

clean:
	rm -rf $(VENV) frontend/dist frontend/node_modules
