# Set-up and checks. `make demo` runs the whole flow on the embedded defaults;
# `make test` installs the test dependencies and runs every check.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test check bench page clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@

# Node packages of the Yjs interop and browser tests; without npm those tests skip.
INTEROP := tests/interop

$(VENV)/.installed-node: $(INTEROP)/package-lock.json | $(BIN)/python
	@if command -v npm >/dev/null; then \
		(cd $(INTEROP) && npm ci --no-audit --no-fund) && touch $@; \
	else echo "npm not found: the Yjs interop and browser tests will be skipped"; fi

demo: $(VENV)/.installed
	$(BIN)/pmr demo

test: $(VENV)/.installed-test $(VENV)/.installed-node
	$(MAKE) check

# PostgreSQL server for the second pass of the integration tests.
TEST_POSTGRES_URL ?= postgresql://postgres@127.0.0.1:5432/test

# Lint, types, import layers and tests: the same steps for developers and CI. The whole
# suite runs on SQLite (storage tests cover PostgreSQL too); the integration tier then runs
# again with its reports, jobs and actors on PostgreSQL, even when the first pass failed.
# Any exit code but 0 fails the target, so pytest's 5 (no tests collected) fails it too.
check:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .
	$(BIN)/lint-imports
	$(BIN)/pytest; sqlite=$$?; \
	PMR_TEST_DATABASE_URL=$(TEST_POSTGRES_URL) $(BIN)/pytest tests/actors tests/deployments; \
	postgres=$$?; \
	echo "pytest exit codes: SQLite pass $$sqlite, PostgreSQL pass $$postgres"; \
	test $$sqlite -eq 0 && test $$postgres -eq 0

# SCHEDULE=path/to/sp10-cost-loaded.xer make bench
bench: $(VENV)/.installed-test
	cd bench && ../$(BIN)/python import_schedule.py "$(SCHEDULE)"
	cd bench && ../$(BIN)/python generate_report.py "$(SCHEDULE)"

# Rebuild the collaboration page's script bundle in deployments/web/static.
page: $(VENV)/.installed-node
	cd $(INTEROP) && node build-page.mjs

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
