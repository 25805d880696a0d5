# The two commands of the quick start: `make run` and `make test`.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000
# Tests run on real MariaDB and Redis; override either to point elsewhere.
TEST_DATABASE_URL ?= mysql://root@127.0.0.1:3306/pedometer
TEST_REDIS_URL ?= redis://127.0.0.1:6379/1

# What every test run sees: real services, a fixed signing key, a fast hasher.
TEST_ENV = DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) \
	SECRET_KEY=test-only-secret-long-enough-for-hs256-signing-keys-0123456789 \
	PASSWORD_HASHERS=django.contrib.auth.hashers.MD5PasswordHasher

.PHONY: run demo-walker test test-dates bench venv services browser tools lint imports typecheck format serve requirements cluster cluster-down chaos deploy-check catalogues messages

venv:
	@scripts/bootstrap.sh

services:
	@scripts/services.sh

browser:  ## Debian's Chromium and axe-core (npm, package-lock.json) for the browser and accessibility tests
	@scripts/browser.sh
	@scripts/axe.sh

tools:
	@scripts/debian_tools.sh promtool faketime

# Directories that hold other projects' catalogues (Django's, DRF's) or none of ours.
I18N_IGNORE = --ignore=.venv --ignore=.venv-iac --ignore=node_modules --ignore=staticfiles

catalogues: venv  ## Compile locale/*/LC_MESSAGES/django.po to .mo (GNU gettext's msgfmt; never committed)
	@scripts/debian_tools.sh msgfmt
	$(PY) manage.py compilemessages -v0 $(I18N_IGNORE)

messages: venv  ## Collect new or changed strings into locale/ko/LC_MESSAGES/django.po (README, "Languages")
	@scripts/debian_tools.sh msgfmt
	$(PY) manage.py makemessages -l ko --add-location=file $(I18N_IGNORE) --ignore=bench --ignore=scripts --ignore=deploy --ignore='*/tests/*'

run: venv catalogues  ## Serve the embedded default with demo data on http://127.0.0.1:$(PORT)
	DEBUG=true $(PY) manage.py migrate --no-input -v0
	DEBUG=true $(PY) manage.py seed_demo
	@# uvicorn: the server the cluster, the shutdown and the cross-process tests prove (README, "ASGI server")
	DEBUG=true $(PY) -m uvicorn pedometer_site.asgi:application --host 127.0.0.1 --port $(PORT) --lifespan off --ws-max-size 65536 --ws-per-message-deflate false

demo-walker: venv  ## Beside `make run`: walker1 syncs 400 more steps every 3 s through the API, so the board moves
	DEBUG=true $(PY) manage.py demo_walker --url http://127.0.0.1:$(PORT)

test: venv services browser tools catalogues lint imports typecheck deploy-check  ## The whole suite, on MariaDB and Redis, with a real browser
	$(TEST_ENV) $(PY) -m pytest $(PYTEST_ARGS)

test-dates: venv services browser tools catalogues  ## The suite (less cluster and chaos) 400 days ahead and at a month end in Seoul
	$(TEST_ENV) scripts/test_dates.sh $(PY) -m pytest $(PYTEST_ARGS)

bench: venv services catalogues  ## Every benchmark in one sitting -> bench/results/<date>.md (BENCH_QUICK=1: a short smoke run)
	@scripts/debian_tools.sh wrk
	$(PY) bench/run_all.py

cluster: venv  ## HAProxy + 3 app nodes + 3-node Galera behind HAProxy + Redis with Sentinel + worker, on loopback
	@scripts/cluster.sh up

chaos: venv services  ## Just the chaos test (its own fresh cluster), printing its figures
	$(TEST_ENV) $(PY) -m pytest -m chaos pedometer_site/tests/test_chaos.py $(PYTEST_ARGS)

cluster-down:  ## Stop everything `make cluster` started
	@scripts/cluster.sh down

deploy-check: venv  ## Offline checks of deploy/: hadolint, terraform fmt, checkov (in .venv-iac)
	@scripts/iac_venv.sh
	@scripts/deploy_check.sh

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

imports: venv  ## No import cycles, between apps or inside one; dependencies point one way (pyproject.toml)
	$(VENV)/bin/lint-imports --no-cache

typecheck: venv  ## mypy with the Django and DRF stubs over the apps and the infrastructure (pyproject.toml)
	$(VENV)/bin/mypy

format: venv
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

requirements:  ## Re-pin requirements*.txt from requirements*.in
	$(VENV)/bin/pip install -q pip-tools
	$(VENV)/bin/pip-compile -q --strip-extras --no-emit-index-url --no-emit-find-links -o requirements.txt requirements.in
	$(VENV)/bin/pip-compile -q --strip-extras --no-emit-index-url --no-emit-find-links -c requirements.txt -o requirements-dev.txt requirements-dev.in
	$(VENV)/bin/pip-compile -q --strip-extras --no-emit-index-url --no-emit-find-links -o requirements-iac.txt requirements-iac.in
