# The two set-up commands: `make run` and `make test`. Both need only Python 3.11+.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test serve lint messages

$(PY):
	@echo "Creating $(VENV)/ and installing the helpdesk's dependencies (once)…"
	@$(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install -q --disable-pip-version-check --upgrade pip

$(VENV)/.run-deps: requirements.txt | $(PY)
	@$(PY) -m pip install -q --disable-pip-version-check -r requirements.txt
	@touch $@

$(VENV)/.test-deps: requirements.txt requirements-dev.txt | $(PY)
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@ $(VENV)/.run-deps

# Sign-in, survey and status-callback links point where the helpdesk is served, unless
# HELPDESK_PUBLIC_URL says otherwise (a proxy, a tunnel).
run serve: export HELPDESK_PUBLIC_URL ?= http://$(if $(filter 0.0.0.0 ::,$(HOST)),127.0.0.1,$(HOST)):$(PORT)
# The demo's live chat is open whenever someone tries it, with or without an agent online.
run serve: export HELPDESK_CHAT_WITHOUT_ONLINE_AGENT ?= 1

# Installs, migrates, seeds the demo data (once) and serves on http://$(HOST):$(PORT).
run: export HELPDESK_ALLOW_DEV_SECRETS = 1
run: $(VENV)/.run-deps
	@$(PY) manage.py migrate --noinput -v0
	@$(PY) manage.py collectstatic --noinput -v0
	@$(PY) manage.py seed_kb
	@LOG_LEVEL=WARNING $(PY) manage.py seed_demo --if-empty
	@$(MAKE) --no-print-directory serve

# HELPDESK_ALLOW_DEV_SECRETS: the built-in development secrets are fine on this machine;
# without it (and with DEBUG off) the helpdesk refuses to start on them.
serve:
	@echo "Serving on $$HELPDESK_PUBLIC_URL/ (Ctrl-C stops)"
	@HELPDESK_ALLOW_DEV_SECRETS=1 $(PY) -m uvicorn helpdesk.asgi:application --host $(HOST) --port $(PORT) --log-level warning

# Installs what the tests need (Debian's chromium for the browser tests, where
# apt-get can install it) and runs the whole suite.
test: $(VENV)/.test-deps
	@if [ ! -x /usr/bin/chromium ] && command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
		echo "Installing Debian's chromium for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-thai-tlwg >/dev/null; \
	fi
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.test-deps
	$(PY) -m ruff check .

# Regenerates the translation catalogues (needs gettext); the compiled .mo files are committed.
messages: $(VENV)/.test-deps
	$(PY) manage.py makemessages -l th --ignore=.venv --ignore=bench
	$(PY) manage.py makemessages -d djangojs -l th --ignore=.venv --ignore=staticfiles
	$(PY) manage.py compilemessages -l th
