# careerplan: `make run` starts the whole app, `make test` runs the suite.
# Both build the virtual environment from uv.lock first; only Python 3.12+ is needed.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
UV_VERSION := 0.13.8
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint format check venv migrate clean bench

$(VENV)/.synced: pyproject.toml uv.lock scripts/find-python
	@PYTHON_BIN=$$(scripts/find-python) || exit 1; \
	if [ ! -x $(PY) ]; then echo "Creating $(VENV) with $$PYTHON_BIN"; "$$PYTHON_BIN" -m venv $(VENV); fi
	@$(PY) -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	@# --inexact keeps uv itself; --frozen installs exactly what the lock says.
	@$(VENV)/bin/uv sync --quiet --frozen --inexact --python $(PY)
	@touch $@

venv: $(VENV)/.synced

migrate: venv
	@$(PY) manage.py migrate --no-input -v 0

run: migrate
	@$(PY) scripts/run.py --host $(HOST) --port $(PORT)

# The suite in TEST_WORKERS processes (pytest-xdist; each has its own test database).
TEST_WORKERS ?= 2
test: venv
	@$(VENV)/bin/pytest -q -n $(TEST_WORKERS) -m "not e2e and not fault and not services"

# Benchmarks print figures (bench/README.md); never part of `make test`.
# BENCH_ARGS=--quick for a short run; BENCH_DATABASE_URL points at PostgreSQL.
bench: venv
	@$(PY) bench/run.py $(BENCH_ARGS)

lint: venv
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/ruff format --check .

format: venv
	@$(VENV)/bin/ruff check --fix .
	@$(VENV)/bin/ruff format .

check: lint
	@$(PY) manage.py makemigrations --check --dry-run

clean:
	rm -rf $(VENV) var artifacts
