# Everyday commands. `make run` and `make test` set everything up from nothing.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
STAMP := $(VENV)/.installed-dev

.PHONY: run test test-fast coverage setup seed lint fmt migrations-check messages clean bench load-test bench-spreadsheets

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

seed: setup
	$(PY) manage.py migrate --noinput
	$(PY) manage.py compile_catalogues
	$(PY) manage.py load_seed
	@echo "Demo accounts (for the local demo only; password 'demo'):"
	@$(PY) manage.py setup_demo

run: seed
	@echo ""
	@echo "  Serving http://127.0.0.1:$(PORT)/  (Ctrl-C stops)"
	@echo ""
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

# The whole suite, on SQLite by default or on the database DATABASE_URL names.
test: setup
	$(PY) manage.py compile_catalogues
	$(PY) -m pytest $(PYTEST_ARGS)

# Under a minute: everything but the browser and LibreOffice tests (CI still runs those), on
# every core (pytest-xdist).
test-fast: setup
	$(PY) manage.py compile_catalogues
	$(PY) -m pytest -q -n auto -m "not browser and not libreoffice" $(PYTEST_ARGS)

# The whole suite with line coverage of the apps, failing under 90 % (CI runs this).
coverage: setup
	$(PY) manage.py compile_catalogues
	$(PY) -m pytest --cov --cov-report=term-missing:skip-covered --cov-fail-under=90 $(PYTEST_ARGS)

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

fmt: setup
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

migrations-check: setup
	$(PY) manage.py makemigrations --check --dry-run

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles artifacts

# Pages under load: gunicorn + wrk (Debian's `wrk`) against PostgreSQL, synthetic data at scale
# 1 and 10 (bench/run.py; writes bench/results.json and the table in docs/benchmarks.md).
bench: setup
	$(PY) -m bench.run

# Mixed load (locust) with faults (PostgreSQL restart, killed worker), loopback only
# (bench/load.py; writes docs/load-test.md).
load-test: setup
	$(PY) -m bench.load

# Spreadsheet speed and memory (pytest-benchmark): prints figures (see docs/benchmarks.md).
bench-spreadsheets: setup
	$(PY) -m pytest bench/spreadsheets.py -q -s --benchmark-columns=median,min,max,rounds

# Extract the Danish source strings into the English catalogue (needs GNU gettext's xgettext),
# then translate the new entries in locale/en/LC_MESSAGES/django.po.
messages: setup
	$(PY) manage.py makemessages -l en --no-obsolete --ignore=.venv --ignore=staticfiles --ignore=artifacts --ignore=bench --ignore=tests
	$(PY) manage.py compile_catalogues
