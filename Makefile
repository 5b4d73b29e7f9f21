# The two commands of the README: `make run` and `make test`.
# Everything installs into .venv on first use, so a fresh clone needs only Python 3.11+.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
# Links in e-mail start with the site's address, so it follows HOST and PORT unless
# TFC_SITE_URL is set already.
# A server listening on every interface (HOST=0.0.0.0) is still reached, from this
# machine, at 127.0.0.1.
TFC_SITE_URL ?= http://$(if $(filter 0.0.0.0,$(HOST)),127.0.0.1,$(HOST)):$(PORT)
LOCAL_CONFIG := instance/config.py

.PHONY: run test install browser node

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml $(BIN)/activate
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

# A secret key of this checkout's own, so that the README's flask commands work as
# written, outside debug mode, and sign links the dev server accepts. Made once;
# an instance/config.py that exists already is left as it is.
$(LOCAL_CONFIG): | $(BIN)/activate
	mkdir -p instance
	umask 077 && $(BIN)/python -c "import secrets; print('# Settings of this checkout, made by make run.'); print(f'SECRET_KEY = {secrets.token_hex(32)!r}')" > $@.tmp
	mv $@.tmp $@

# Serve the site on SQLite with the curriculum and sample events loaded, in debug mode.
run: install $(LOCAL_CONFIG)
	TFC_SITE_URL=$(TFC_SITE_URL) $(BIN)/flask --app wsgi db upgrade
	TFC_SITE_URL=$(TFC_SITE_URL) $(BIN)/flask --app wsgi curriculum sync
	TFC_SITE_URL=$(TFC_SITE_URL) $(BIN)/flask --app wsgi demo load
	TFC_SITE_URL=$(TFC_SITE_URL) FLASK_DEBUG=1 $(BIN)/flask --app wsgi run --host $(HOST) --port $(PORT)

# Run the test suite, one process per core; set TFC_TEST_POSTGRES_URL to include
# PostgreSQL. PYTEST_ARGS replaces the default, e.g. PYTEST_ARGS=tests/test_feeds.py.
PYTEST_ARGS ?= --numprocesses auto
test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Chromium from Debian's packages, for the tests that drive a real browser (as root).
browser:
	test -x /usr/bin/chromium || { apt-get update \
		&& DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; }

# Node.js and npm from Debian's packages, for the calendar tests that read every
# feed with ical.js (as root); the tests install ical.js itself with npm ci.
node:
	command -v node >/dev/null && command -v npm >/dev/null || { apt-get update \
		&& DEBIAN_FRONTEND=noninteractive apt-get install -y nodejs npm; }
