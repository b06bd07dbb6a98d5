# Two commands on a fresh machine: `make demo` and `make test`. Everything else is a helper.
# The app runs on Python 3.13 in Azure (the worker is pinned in requirements.txt), so .venv is 3.13:
# python3.13 on PATH if it runs, else a pyenv install. `make PYTHON=/path/to/python3.13` overrides.
ifeq ($(origin PYTHON),undefined)
PYTHON := $(firstword $(foreach p,python3.13 $(wildcard $(HOME)/.pyenv/versions/3.13*/bin/python3.13),\
  $(shell $(p) -c 'import sys; assert sys.version_info[:2] == (3, 13)' >/dev/null 2>&1 && echo $(p))))
endif
VENV := .venv
PY := $(VENV)/bin/python
LAKE ?= .lake/demo
SAMPLE := samples/my_spotify_data.zip
# checkov (Bicep security scan in tests/infra/) lives in its own venv: it pins old pycep/packaging.
CHECKOV_VENV := .venv-checkov
CHECKOV_PYTHON ?= python3
CHECKOV_VERSION := 3.3.30

.PHONY: demo test lint format install install-dev chromium bench sample clean azurite

$(VENV)/.installed: requirements.txt
	@test -n "$(PYTHON)" || { echo "Python 3.13 is needed: put python3.13 on PATH, or run make PYTHON=/path/to/python3.13" >&2; exit 1; }
	@# A .venv of another Python (a checkout from before 3.13) is rebuilt, not patched.
	@v='import sys; print(sys.version_info[:2])'; [ ! -x $(PY) ] || [ "$$($(PY) -c "$$v")" = "$$($(PYTHON) -c "$$v")" ] || rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt requirements.txt $(VENV)/.installed
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

node_modules/.bin/azurite: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(CHECKOV_VENV)/.installed:
	$(CHECKOV_PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(CHECKOV_VENV)/bin/python -m pip install --quiet checkov==$(CHECKOV_VERSION)
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev node_modules/.bin/azurite $(CHECKOV_VENV)/.installed chromium

# Debian's chromium, for the report's tests in a real browser (tests/report/).
chromium:
	@scripts/install_chromium.sh

## make demo: set up, ingest the bundled sample export into a fresh folder lake, print the summary.
demo: install
	rm -rf $(LAKE)
	$(PY) -m cli ingest $(SAMPLE) --lake $(LAKE)
	$(PY) -m cli wrapped --lake $(LAKE)
	@echo "The demo's lake is $(LAKE); again: $(PY) -m cli wrapped --lake $(LAKE) --year 2024"

## make test: set up (venv, dev tools, Azurite), lint, type-check, and run every test against real parts.
test: install-dev
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(PY) -m pytest

lint: install-dev
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy

format: install-dev
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

## make azurite: the storage emulator for `func start` (README), its files in .azurite/ (ignored).
azurite: node_modules/.bin/azurite
	node_modules/.bin/azurite --silent --skipApiVersionCheck --disableTelemetry --location .azurite

## make bench: the benchmarks whose figures the README quotes.
bench: install-dev
	$(PY) bench/ingest_bench.py
	$(PY) bench/import_bench.py
	$(PY) bench/enrich_requests.py
	$(PY) bench/worker_bench.py
	$(PY) bench/charts_bench.py

## make sample: regenerate the bundled synthetic export (deterministic).
sample: install
	$(PY) -m samples.generate --out $(SAMPLE) --force

clean:
	rm -rf .lake .azurite .pytest_cache .ruff_cache .mypy_cache bench/out
