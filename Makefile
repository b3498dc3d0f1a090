# WorkflowOS — the two commands: `make run` (set up and start) and `make test` (the whole suite).
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed
VENDOR := static/vendor
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run setup install vendor migrate seed test test-fast test-e2e prod-check lint typecheck check-deploy bench clean

run: setup ## Set up (venv, packages, database, rubric, demo data) and start web + Celery worker
	@echo "Demo users sign in with the password: $${DEMO_PASSWORD:-production-safe-demo}"
	@./scripts/run.sh

setup: install vendor migrate seed

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) || (echo "Python 3.11 with venv is required: apt-get install python3.11-venv" && exit 1)
	$(PIP) install -q --upgrade pip setuptools wheel
	$(PIP) install -q -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP) node_modules/.package-lock.json

node_modules/.package-lock.json: package.json package-lock.json
	@command -v npm >/dev/null || (echo "npm is required for the front-end packages: apt-get install npm" && exit 1)
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

vendor: node_modules/.package-lock.json ## Copy the front-end packages we serve into static/vendor (git-ignored)
	@./scripts/vendor.sh $(VENDOR)

migrate: install
	$(PY) manage.py migrate --noinput -v 0
	$(PY) manage.py load_rubric

seed: migrate
	$(PY) manage.py seed_demo

test: install vendor ## The whole suite (browser tests run when Debian's chromium is installed)
	DJANGO_ENV=test $(VENV)/bin/pytest $(PYTEST_ARGS)

test-fast: install vendor
	DJANGO_ENV=test $(VENV)/bin/pytest -m "not e2e and not integration" $(PYTEST_ARGS)

test-e2e: install vendor
	DJANGO_ENV=test $(VENV)/bin/pytest -m e2e $(PYTEST_ARGS)

prod-check: install vendor ## The production configuration (gunicorn, worker, beat) on local PostgreSQL and Redis, driven by HTTP and browser tests
	./scripts/prod-check.sh $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: install
	$(VENV)/bin/mypy .

check-deploy: install
	DJANGO_ENV=production SECRET_KEY="$$(python3 -c 'import secrets;print(secrets.token_urlsafe(64))')" \
	  REDIS_URL=redis://127.0.0.1:6379/0 DATABASE_URL=postgres://localhost/unused ALLOWED_HOSTS=example.org \
	  $(PY) manage.py check --deploy --fail-level WARNING

clean:
	rm -rf $(VENV) node_modules $(VENDOR) staticfiles
