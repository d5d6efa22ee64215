# Two commands for a newcomer: `make run` serves Roster, `make test` runs every test.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint install lock bench clean

# Every dependency, transitive ones and the dev extra included, comes from requirements.lock
# at the version and with the hashes pinned there (pip refuses anything else); then Roster
# itself, with no dependency resolution of its own and built with the locked setuptools.
$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

install: $(STAMP)

# After changing a pin in pyproject.toml: regenerate requirements.lock (the command at its
# top; pins already in the lock stay unless pyproject.toml asks otherwise).
LOCK_COMMAND := pip-compile --allow-unsafe --extra=dev --generate-hashes --no-emit-find-links \
	--no-emit-index-url --output-file=requirements.lock --strip-extras pyproject.toml
lock: $(STAMP)
	$(BIN)/$(LOCK_COMMAND)

run: $(STAMP)
	$(BIN)/roster db upgrade
	$(BIN)/roster serve --host $${HOST:-127.0.0.1} --port $${PORT:-8000}

test: $(STAMP)
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check src tests $(wildcard bench)
	$(BIN)/ruff format --check src tests $(wildcard bench)
	$(BIN)/mypy
	$(BIN)/lint-imports

# make bench: Okta's request mix against Roster (SQLite, PostgreSQL; 1 and 2 workers), the
# peers (django-scim2, scim2-server, in their own venvs under bench/.peers/) and the
# ceilings, then the scale checks, bench/group_scale.py and a py-spy profile; writes
# bench/results/REPORT.md and charts. Quick mode: about 10 minutes. `make bench FULL=1`:
# 15 s per run, 1,000,000 people on SQLite too, imports given 120 s, every operation
# profiled; about 30 minutes. Needs PostgreSQL on 127.0.0.1:5432 (user postgres, trust).
BENCH_STAMP := $(VENV)/.bench-installed
BENCH_PG := postgresql://postgres@127.0.0.1:5432/postgres

$(BENCH_STAMP): $(STAMP) bench/requirements.txt
	$(BIN)/pip install --quiet -r bench/requirements.txt
	touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	@command -v wrk >/dev/null || apt-get install -y -q wrk || (apt-get update -q && apt-get install -y -q wrk)
	@pg_isready -h 127.0.0.1 -p 5432 -q || pg_ctlcluster --skip-systemctl-redirect "$$(ls /etc/postgresql)" main start
	ROSTER_BENCH_POSTGRES_URL=$(BENCH_PG) $(BIN)/python bench/run.py $(if $(FULL),--full)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
