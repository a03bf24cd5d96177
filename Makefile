# The README's two commands: `make run` and `make test`. Only Python 3.11+ and make are needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install install-dev migrate seed lint format check browsers clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet ".[dev]"
	touch $(VENV)/.installed $@

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

migrate: install
	$(MANAGE) migrate --noinput

seed: migrate
	$(MANAGE) seed_recap
	$(MANAGE) ensure_admin

# The background worker (long exports: actions/tasks.py) runs beside the web server and stops
# with it (Ctrl+C, or runserver ending for any reason).
run: seed
	@echo "Portail : http://$(HOST):$(PORT)/   Administration : http://$(HOST):$(PORT)/admin/"
	@$(MANAGE) db_worker --no-reload --queue-name '*' & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	$(MANAGE) runserver $(HOST):$(PORT)

test: install-dev
	$(BIN)/pytest

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

check: install-dev
	$(MANAGE) check
	$(MANAGE) makemigrations --check --dry-run

# Debian's Chromium for the browser tests (Playwright's own download is not reachable).
browsers:
	apt-get install -y chromium poppler-utils

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache staticfiles artifacts

# Speed and memory of the exports and the import, then server time and SQL queries of every
# public page at 100 and 10,000 fiches on SQLite and PostgreSQL side by side (its own database
# contrat_bench; each page's median against a fiche page's, target 4x), then
# the admin import's preview and confirm at 500 to 2,000 rows (the figures behind its limit),
# written to docs/benchmarks.md (not in `make test`).
.PHONY: bench
bench: install-dev
	$(BIN)/python scripts/bench_exports.py
	$(BIN)/python scripts/bench_pages.py
	$(BIN)/python scripts/bench_imports.py

# Load test of the production setup on 127.0.0.1 (gunicorn, the export worker, PostgreSQL
# database contrat_load with 10,000 fiches, whitenoise) driven by locust, 50 users for 60 s
# without then with exports (the pages' p95 of each), then a burst of 200 recap PDFs while
# fiches are read (issue 15); written to docs/benchmarks.md. LOAD_ARGS=--keep reuses the data.
.PHONY: load
load: install-dev
	$(BIN)/python scripts/load.py $(LOAD_ARGS)

# Backup of the whole site (fiches, history, accounts, groups) to backups/<date>_<time>.json.gz,
# and its restore into an empty database: docs/sauvegarde.md.
.PHONY: backup restore
backup: install
	$(BIN)/python scripts/backup.py sauvegarder

restore: install
	@test -n "$(FILE)" || { echo "Indiquez la sauvegarde : make restore FILE=backups/<date>.json.gz"; exit 2; }
	$(MANAGE) migrate --noinput
	$(BIN)/python scripts/backup.py restaurer "$(FILE)"
