# recall-tracker — `make help` lists the targets.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
RECALL := $(VENV)/bin/recall
STAMP := $(VENV)/.installed
# The dashboard's browser libraries (ECharts), from npm per the committed package-lock.json.
ASSETS := recall/api/dashboard/assets
ASSETS_STAMP := $(ASSETS)/node_modules/.installed
# The official AsyncAPI parser, with which `make test` validates the exported contract.
ASYNCAPI := tests/support/asyncapi
ASYNCAPI_STAMP := $(ASYNCAPI)/node_modules/.installed

.PHONY: help setup system-deps demo test test-unit lint typecheck bench clean

help: ## Show the targets and what they do
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e '.[dev]'
	touch $(STAMP)

# `npm ci` empties node_modules first, so the stamp inside it goes whenever the tree does. The
# packages are prebuilt files: no install script runs (swagger-ui-dist's would report the install).
$(ASSETS_STAMP): $(ASSETS)/package-lock.json $(ASSETS)/package.json
	@command -v npm >/dev/null || { echo "npm is missing: run 'make system-deps' (Debian's nodejs and npm)" >&2; exit 1; }
	npm ci --no-audit --no-fund --ignore-scripts --prefix $(ASSETS)
	touch $@

# A test tool, not a browser asset: its own package, so the dashboard's lock keeps only what is served.
$(ASYNCAPI_STAMP): $(ASYNCAPI)/package-lock.json $(ASYNCAPI)/package.json
	@command -v npm >/dev/null || { echo "npm is missing: run 'make system-deps' (Debian's nodejs and npm)" >&2; exit 1; }
	npm ci --no-audit --no-fund --ignore-scripts --prefix $(ASYNCAPI)
	touch $@

setup: $(STAMP) $(ASSETS_STAMP) $(ASYNCAPI_STAMP) ## Create .venv, install the project with its dev tools, npm ci the dashboard's assets and the AsyncAPI parser

system-deps: ## Install Java, Maven, PostgreSQL, Node/npm and Chromium from Debian packages when missing (needs root)
	@bash scripts/install-system-deps.sh

demo: system-deps setup ## Install, start the broker and a worker, simulate stations, print a summary
	$(RECALL) demo

test: system-deps setup ## Run every test: unit, integration (real Kafka, PostgreSQL), browser (headless Chromium)
	$(PY) -m pytest

test-unit: setup ## Run only the fast pure tests
	$(PY) -m pytest tests/unit -q

lint: setup ## ruff (lint + format check)
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

typecheck: setup ## mypy --strict
	$(VENV)/bin/mypy recall streams schemas tests

bench: setup ## Intake throughput vs a raw aiokafka loop on the local broker
	$(RECALL) bench intake

clean: ## Stop the local broker and delete local state (.local)
	-$(RECALL) broker stop
	rm -rf .local
