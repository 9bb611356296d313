# The two commands: `make run` (site + worker + beat on embedded defaults) and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000
# One pytest worker per core (pytest-xdist); an idle worker takes tests queued for a busy one
# (worksteal), so one slow test at the end does not keep the others waiting. `make test
# PYTEST_ARGS=` runs in one process.
PYTEST_ARGS ?= -n auto --dist worksteal
export PORT

.PHONY: run test lint format install migrate bench clean

$(VENV)/bin/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is required")'
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: $(VENV)/bin/python pyproject.toml
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@

install: $(VENV)/.installed

run: install
	@$(PY) scripts/check_port.py $(PORT)
	DJANGO_DEBUG=1 SITE_URL=http://127.0.0.1:$(PORT) $(PY) manage.py migrate --noinput
	DJANGO_DEBUG=1 SITE_URL=http://127.0.0.1:$(PORT) $(PY) manage.py seed_demo
	@echo "Starting web, worker and beat on http://127.0.0.1:$(PORT)/ (Ctrl-C stops all three)"
	DJANGO_DEBUG=1 SITE_URL=http://127.0.0.1:$(PORT) WEB_PORT=$(PORT) $(VENV)/bin/honcho -f Procfile.dev start

test: install
	$(PY) -m pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: install
	$(PY) bench/run_all.py

clean:
	rm -rf $(VENV) var
