# Every target runs inside .venv; the stamp file re-installs when pyproject.toml changes, so a
# fresh clone needs nothing but `make test` or `make demo`.
VENV    := .venv
PY      := $(VENV)/bin/python
DSL     := $(VENV)/bin/deploy-dsl
STAMP   := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help install build check test worker up down up-cluster down-cluster register deploy deploy-success pipeline rollout demo dashboard screenshots recordings bench clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-15s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml package.json
	tools/system-deps.sh
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev,server]'
	npm ci --silent --no-audit --no-fund
	@touch $(STAMP)

install: $(STAMP) ## system packages when missing, .venv with the project and dev tools, npm packages

build: $(STAMP) ## compile definitions/ to build/ (workflows, taskdefs, docs) and the README diagram
	$(DSL) build --readme README.md

check: $(STAMP) ## ruff, mypy --strict and pyright (strict on definitions/; pyproject.toml)
	$(VENV)/bin/ruff check deploy_dsl definitions worker tests bench
	$(VENV)/bin/ruff format --check deploy_dsl definitions worker tests bench
	@# Both type checkers run, whatever the first says: each names its own findings.
	@status=0; \
	echo "$(VENV)/bin/mypy deploy_dsl definitions worker tests/typing tests/flows bench"; \
	$(VENV)/bin/mypy deploy_dsl definitions worker tests/typing tests/flows bench || status=1; \
	echo "node_modules/.bin/pyright"; \
	node_modules/.bin/pyright || status=1; \
	exit $$status

test: $(STAMP) ## the whole suite: unit, snapshot, worker (gunicorn), flow, end to end, cluster
	$(VENV)/bin/pytest

worker: $(STAMP) ## run the mock worker in the foreground (port WORKER_PORT, default 3000)
	$(DSL) server worker

up: $(STAMP) ## start the local Conductor server, the worker, the dashboard and Prometheus
	$(DSL) server up

down: $(STAMP) ## stop the local Conductor server, the worker, the dashboard, Prometheus (and the cluster)
	$(DSL) server down

up-cluster: $(STAMP) ## start the local cluster: PostgreSQL, 2 Conductor nodes, its worker
	$(DSL) server up --backend postgres --nodes 2

down-cluster: $(STAMP) ## stop the local cluster (nodes, worker, keeper, PostgreSQL)
	$(DSL) server down --backend postgres

register: $(STAMP) ## register task definitions and workflows with the active settings
	$(DSL) register

deploy: $(STAMP) ## the seed's rollback scenario
	$(DSL) run deploy_simple_v1 --input samples/deploy_input.json --wait --rolled-back-ok

deploy-success: $(STAMP) ## a deploy that finalizes (scope svc-success)
	$(DSL) run deploy_simple_v1 --input samples/deploy_success_input.json --wait

pipeline: $(STAMP) ## the seed's pipeline of waves
	$(DSL) run pipeline_simple_v1 --input samples/pipeline_input.json --wait

rollout: $(STAMP) ## waves with controls: a canary, 2 deploys at a time, an approval gate
	$(DSL) run rollout_v1 --input samples/rollout_input.json --wait --timeout 2400

demo: $(STAMP) ## build, start the server and worker, register, run the three scenarios
	$(PY) -m deploy_dsl.cli.demo

dashboard: $(STAMP) ## run the dashboard in the foreground (port DASHBOARD_PORT, default 7070)
	$(DSL) dashboard

screenshots: $(STAMP) ## refresh docs/screenshots/ from the dashboard's browser tests (needs `make up`)
	DEPLOY_DSL_SCREENSHOTS=1 $(VENV)/bin/pytest -q tests/e2e/test_dashboard.py

recordings: $(STAMP) ## re-record tests/recordings/ from real runs of the seed workflows (needs `make up`)
	$(DSL) register
	$(PY) -m tests.recordings.make

bench: $(STAMP) ## benchmarks with figures and ratios side by side; ARGS="--json FILE" also writes them
	$(PY) -m bench $(ARGS)

clean: ## stop the local servers, then remove caches and local state (keeps .venv)
	@if [ -x $(DSL) ]; then $(DSL) server down; fi
	rm -rf .state .pytest_cache .mypy_cache .ruff_cache
