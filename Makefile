# skinlab: the two commands a person needs are `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run test check lint types unit venv models browser postgres bench clean lock

$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "skinlab needs Python 3.11+"'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@touch $(STAMP)

venv: $(STAMP)

# The BA page's browser tests (tests/e2e) drive Debian's Chromium; CJK fonts for readable
# screenshots. Needs root (or run the apt-get line yourself once).
browser:
	@command -v chromium >/dev/null || (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium fonts-wqy-microhei)

# The demo brand /rank scores until real exports are ingested (simulated, and labelled so).
EVENTS ?= $(or $(SKINLAB_EVENTS_DIR),var/events)

models: $(STAMP)
	$(BIN)/skinlab models ensure
	@test -e $(EVENTS) || $(BIN)/skinlab simulate --users 20000 --out $(EVENTS)

run: models
	$(BIN)/skinlab serve --host $(HOST) --port $(PORT)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

types: $(STAMP)
	$(BIN)/mypy

check: lint types

# Debian's PostgreSQL server, for the second run of the database-facing tests.
postgres:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql)

# Every test on SQLite; then the unit and integration tests again, each test app on a fresh
# database of a throwaway PostgreSQL server (.ci/with-postgres).
unit: $(STAMP) browser postgres
	$(BIN)/python -m pytest -n 2 tests
	.ci/with-postgres $(BIN)/python -m pytest -n 2 tests/unit tests/integration

test: check models unit

bench: models
	$(BIN)/skinlab bench analyze --json

# Regenerate the pinned dependency set from a fresh resolution of pyproject.toml.
lock:
	rm -rf /tmp/skinlab-lock && $(PYTHON) -m venv /tmp/skinlab-lock
	/tmp/skinlab-lock/bin/pip install --quiet --upgrade pip
	/tmp/skinlab-lock/bin/pip install --quiet '.[dev]'
	/tmp/skinlab-lock/bin/pip freeze --exclude skinlab > requirements.lock

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
