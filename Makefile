# opsplanner: `make run` serves the app with its worker; `make test` runs the whole suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
FLASK  := $(BIN)/flask --app opsplanner
STAMP  := $(VENV)/.installed-stamp
HOST   ?= 127.0.0.1
PORT   ?= 5000
# pytest processes for `make test` (at most; never more than the machine's cores)
TEST_WORKERS ?= 4

.PHONY: run test install lint format db demo worker web messages bench clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "opsplanner needs Python 3.11 or newer")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

# Compiled message catalogues (not in git): rebuilt whenever a .po file changes.
PO_FILES := $(wildcard opsplanner/translations/*/LC_MESSAGES/messages.po)
MO_FILES := $(PO_FILES:.po=.mo)

$(MO_FILES): %.mo: %.po $(STAMP)
	$(BIN)/pybabel compile -i $< -o $@

install: $(STAMP) $(MO_FILES)

db: install
	$(FLASK) init-db
	$(FLASK) load-reference

demo: db
	$(FLASK) demo

run: demo
	$(FLASK) serve --host $(HOST) --port $(PORT)

test: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest -n auto --maxprocesses $(TEST_WORKERS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Production-style processes, one per terminal or host (see README).
web: install
	$(BIN)/gunicorn --bind $(HOST):$(PORT) --workers 4 'opsplanner:create_app()'

worker: install
	$(BIN)/celery -A worker.celery_app worker --beat --loglevel INFO

messages: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k lazy_ngettext:1,2 -o opsplanner/translations/messages.pot .
	$(BIN)/pybabel update -i opsplanner/translations/messages.pot -d opsplanner/translations

bench: install
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info
