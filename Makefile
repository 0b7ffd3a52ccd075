# Switchboard — the two commands a new machine needs are `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run worker beat test lint typecheck pytest screenshots messages clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(VENV)/bin/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(VENV)/bin/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

## run: install, migrate, seed the demo data and serve on http://127.0.0.1:8000 (DEBUG on)
run: export DEBUG ?= true
run: $(VENV)/.installed
	$(BIN)/python scripts/create_database.py
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	@if [ -n "$$REDIS_URL" ]; then echo "Tasks go to Redis: start a worker in another terminal with 'make worker'."; \
	 else echo "No REDIS_URL: background tasks run in-process."; fi
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

## worker: a Celery worker with the beat scheduler embedded (development; production runs them apart)
worker: export DEBUG ?= true
worker: $(VENV)/.installed
	$(BIN)/celery -A config worker --beat --loglevel=INFO --concurrency=2

## beat: the Celery beat scheduler alone
beat: export DEBUG ?= true
beat: $(VENV)/.installed
	$(BIN)/celery -A config beat --loglevel=INFO

## test: install the dev extras, run the linters and every test (browser tests included)
test: export SECRET_KEY ?= make-test-only-not-a-secret
test: $(VENV)/.installed-dev lint typecheck pytest

lint: export SECRET_KEY ?= make-test-only-not-a-secret
lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python scripts/htmx_upgrade_check.py templates
	$(BIN)/check-jsonschema --builtin-schema vendor.compose-spec docker-compose.yml
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/python scripts/check_translations.py

typecheck: export SECRET_KEY ?= make-test-only-not-a-secret
typecheck: $(VENV)/.installed-dev
	$(BIN)/mypy .

pytest: export SECRET_KEY ?= make-test-only-not-a-secret
pytest: $(VENV)/.installed-dev
	$(BIN)/pytest $(PYTEST_ARGS)

## screenshots: the workspace, contact panel, routing mode and contacts at 1280 and 390 px in English and German, on a throw-away demo database (var/screenshots/, or SHOTS=DIR)
screenshots: $(VENV)/.installed-dev
	$(BIN)/python scripts/screenshots.py $(SHOTS)

## messages: extract strings into locale/*/django.po and compile them (needs GNU gettext)
messages: export DEBUG ?= true
messages: $(VENV)/.installed
	$(BIN)/python manage.py makemessages --all --no-location --no-obsolete --ignore '.venv/*' --ignore 'var/*'
	$(BIN)/python manage.py compilemessages --ignore '.venv/*'

clean:
	rm -rf $(VENV) var/static .pytest_cache .mypy_cache .ruff_cache
