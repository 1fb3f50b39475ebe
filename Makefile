# Two commands on a fresh machine: `make run` and `make test` (see README.md).
# Every step is stamped in .make/ so a second run only redoes what changed.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := .make
HOST   ?= 127.0.0.1
PORT   ?= 5000
PYTEST_ARGS ?=

.PHONY: run test setup setup-dev lint test-unit test-browser test-postgres bench clean help

help:
	@echo "make run    - set up and serve http://$(HOST):$(PORT) with demo data (SQLite)"
	@echo "make test   - set up, lint, check the import contract, run every non-browser test"
	@echo "make test-browser - Playwright + Debian chromium journeys"
	@echo "make bench  - run bench/*.py and append to bench/RESULTS.md"

$(STAMP):
	mkdir -p $(STAMP)

$(STAMP)/venv: requirements.txt | $(STAMP)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(STAMP)/venv-dev: $(STAMP)/venv requirements-dev.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

$(STAMP)/npm: package.json package-lock.json | $(STAMP)
	npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	mkdir -p app/static/vendor/echarts app/static/vendor/dmn-js
	cp node_modules/echarts/dist/echarts.min.js app/static/vendor/echarts/
	cp -r node_modules/dmn-js/dist/dmn-modeler.production.min.js node_modules/dmn-js/dist/assets app/static/vendor/dmn-js/
	touch $@

# The BPMN modeler (bpmn-js + properties panel + our provider) and the instance viewer, bundled.
BPMN_SOURCES := $(wildcard app/static_src/bpmn/*)
$(STAMP)/bpmn: $(STAMP)/npm $(BPMN_SOURCES)
	for entry in modeler viewer; do \
	  node_modules/.bin/esbuild app/static_src/bpmn/$$entry.js --bundle --minify --format=iife \
	    --target=es2019 --log-level=warning --loader:.woff=dataurl --loader:.woff2=dataurl \
	    --loader:.ttf=dataurl --loader:.eot=dataurl --loader:.svg=dataurl \
	    --outfile=app/static/vendor/dms-bpmn/dms-$$entry.js || exit 1; \
	done
	touch $@

$(STAMP)/translations: $(STAMP)/venv $(wildcard app/translations/*/LC_MESSAGES/messages.po)
	$(BIN)/pybabel compile --use-fuzzy -d app/translations >/dev/null
	touch $@

setup: $(STAMP)/venv $(STAMP)/npm $(STAMP)/bpmn $(STAMP)/translations

setup-dev: setup $(STAMP)/venv-dev

run: setup
	$(BIN)/python run.py init --demo
	$(BIN)/python run.py serve --host $(HOST) --port $(PORT)

lint: setup-dev
	$(BIN)/ruff check app tests bench migrations run.py
	$(BIN)/ruff format --check app tests bench migrations run.py
	$(BIN)/lint-imports
	$(BIN)/mypy

test: lint
	$(BIN)/python -m pytest tests/unit tests/integration tests/e2e $(PYTEST_ARGS)

test-browser: setup-dev
	$(BIN)/python -m pytest tests/browser $(PYTEST_ARGS)

bench: setup-dev
	$(BIN)/python -m bench

translations-extract: setup
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k N_ --no-location --sort-output -o app/translations/messages.pot app
	$(BIN)/pybabel update -i app/translations/messages.pot -d app/translations --ignore-obsolete --no-fuzzy-matching

clean:
	rm -rf $(STAMP) $(VENV) node_modules app/static/vendor
