# `make` regenerates everything from the spec; `make test` runs every test.
# Each target's `## text` is what `make help` prints.

SPEC        ?= openapi/processor-tasks.yaml
PYTHON      ?= python3
VENV        := .venv
PY          := $(VENV)/bin/python
STAMP       := $(VENV)/.installed
PORT        ?= 8080
# The mock package serves its own copy of the contract, so that it runs without this repository.
MOCK_SPEC   := mock_server/processor_tasks_mock/processor-tasks.yaml

.DEFAULT_GOAL := all
.PHONY: all help venv generate check drift style typecheck test test-fast contract contract-live mock bench compat clean

# The handwritten Python that ruff and mypy --strict hold to the generated code's bar. The
# generated package is checked on its own (isolated ruff in regenerate.py, mypy below);
# generator/runtime/ is checked as part of it, where its relative imports resolve.
HANDWRITTEN := generator/regenerate.py generator/spec_rules.py generator/spec_data.py benchmarks mock_server review tests tools noxfile.py
# npm, if the machine has it: without it `make test` skips (locally) or fails (CI=true) the
# docs/lint tests instead of failing to install node_modules.
NPM         := $(shell command -v npm 2>/dev/null)

all: generate typecheck ## Bootstrap the pinned venv, validate the spec, regenerate the client, mypy --strict over all Python

help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  %-12s %s\n", $$1, $$2}'

$(STAMP): requirements/generator.txt requirements/dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements/dev.txt
	touch $(STAMP)

venv: $(STAMP) ## Create .venv with every pinned tool

generate: $(STAMP) ## Validate and lint the spec, then regenerate generated_client/ from it
	$(PY) generator/regenerate.py --spec $(SPEC) --out generated_client
	cp $(SPEC) $(MOCK_SPEC)

check: drift style typecheck ## Every gate: committed client up to date, ruff, mypy --strict (CI and pre-commit run these)

drift: $(STAMP) ## Fail when the committed client differs from what the spec generates
	$(PY) generator/regenerate.py --spec $(SPEC) --out generated_client --check
	@cmp -s $(SPEC) $(MOCK_SPEC) || { echo "$(MOCK_SPEC) differs from $(SPEC); run \`make\` and commit" >&2; exit 1; }

style: $(STAMP) ## ruff lint + format check of the handwritten code (config: pyproject.toml)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(STAMP) ## mypy --strict over the generated client and every handwritten module and test
	cd generated_client && ../$(PY) -m mypy --strict --cache-dir ../.mypy_cache processor_tasks_client
	$(PY) -m mypy --strict $(HANDWRITTEN)

test: $(STAMP) $(if $(NPM),node_modules) ## Run every test (spec, generator drift, client, mock, contract, review kit)
	$(PY) -m pytest

test-fast: $(STAMP) $(if $(NPM),node_modules) ## Every test except those marked slow (pytest -m "not slow")
	$(PY) -m pytest -m "not slow"

compat: $(STAMP) ## The client's tests on Python 3.11/3.12/3.13 with lowest and newest dependencies (nox)
	$(VENV)/bin/nox $(NOX_ARGS)

contract: $(STAMP) ## Run the schemathesis contract suite alone (JUnit report in reports/)
	$(PY) -m pytest tests/contract --junitxml=reports/contract-junit.xml

# The one way to point the contract suite at a real endpoint (README: "Run the contract suite
# against a live endpoint"). PROCESSOR_TASKS_CONTRACT_LIVE=1 is the switch; client credentials
# in the shell never select the live target on their own. Read-only: GET/HEAD/OPTIONS/TRACE.
contract-live: $(STAMP) ## Run the contract suite against the live endpoint in PROCESSOR_TASKS_BASE_URL (read-only)
	PROCESSOR_TASKS_CONTRACT_LIVE=1 $(PY) -m pytest tests/contract/test_contract.py -p no:cacheprovider \
		--junitxml=reports/contract-live-junit.xml

mock: $(STAMP) ## Serve the mock server on 127.0.0.1 (port: PORT=8080)
	PORT=$(PORT) PYTHONPATH=mock_server $(PY) -m processor_tasks_mock

bench: $(STAMP) ## Run the benchmarks and print the ratio table
	$(PY) -m benchmarks

clean: ## Remove everything make creates: venv, node_modules, build output, reports, caches
	rm -rf $(VENV) node_modules build reports .nox .pytest_cache .mypy_cache .ruff_cache .hypothesis .benchmarks .schemathesis
	find . -path ./.git -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

# --- API review kit: rendered reference, lint, breaking-change report (issue 5) -------
BASE        ?= main~1
DOCS_OUT    ?= build/docs/index.html
# Redocly CLI: no usage data sent, no update check (the registries are all it may reach).
# Its Node 20 end-of-life box and build-docs' Redoc 3 box obey no setting; tools/quiet_redocly.py
# drops exactly those two from stderr and keeps everything else and the exit status.
REDOCLY     := REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_NOTIFICATIONS=true $(PYTHON) tools/quiet_redocly.py node_modules/.bin/redocly
.PHONY: docs lint diff

node_modules: package.json package-lock.json ## Install the pinned node tools (Redocly CLI, playwright-core) with npm ci
	@command -v npm >/dev/null || { echo "npm is missing: install Node.js 20.19+ with npm (see README, Set up)" >&2; exit 1; }
	npm ci --no-audit --no-fund
	touch node_modules

docs: node_modules ## Build the offline HTML reference of the spec into build/docs/index.html
	$(REDOCLY) build-docs $(SPEC) --inlineBundle --title "ModelArts processor tasks API $$(sed -n 's/^  version: //p' $(SPEC) | head -1)" \
		--openapi.schemaDefinitionsTagName=Schemas --openapi.schemasExpansionLevel=all -o $(DOCS_OUT)
	@echo "open $(DOCS_OUT) in a browser (works offline)"

lint: node_modules ## Lint the spec with Redocly CLI and the ruleset in redocly.yaml (0 errors, 0 warnings)
	$(REDOCLY) lint --lint-config=error --max-problems 1000 $(SPEC)

diff: $(STAMP) ## Breaking-change report of the spec at BASE (default main~1) against the working tree
	$(PY) -m review.spec_diff --base $(BASE) --spec $(SPEC) --changelog openapi/CHANGELOG.md
