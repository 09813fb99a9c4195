# Two entry points for a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test tour bench docs clean

run: $(VENV)/.installed .env.local
	@set -a; . ./.env.local; set +a; \
	echo "API token: $$GOODWILL_API_TOKEN   webhook secret: $$GOODWILL_WEBHOOK_SECRET"; \
	echo "admin page: http://127.0.0.1:8000/admin   password: $$GOODWILL_ADMIN_PASSWORD (all saved in .env.local)"; \
	$(BIN)/goodwill serve

test: $(VENV)/.installed-test
	@# The admin browser test drives Debian's chromium; without apt it skips, saying why.
	@if [ ! -x /usr/bin/chromium ] && command -v apt-get >/dev/null; then \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) \
		>/dev/null 2>&1 || echo "could not install chromium: tests/test_admin_browser.py will skip"; \
	fi
	eval "$$(bash tests/services.sh)"; $(BIN)/pytest

tour: $(VENV)/.installed .env.local
	@set -a; . ./.env.local; set +a; $(BIN)/goodwill send

bench: $(VENV)/.installed-test
	$(BIN)/python bench/engine.py

# The policy reference is generated from the condition and action registries; a test compares.
docs: $(VENV)/.installed
	$(BIN)/goodwill reference > docs/policies.md

$(VENV)/.installed: setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

# Local secrets for the embedded install, made once: never defaults baked into the code.
.env.local:
	@$(PYTHON) -c "import secrets, base64; \
	print('GOODWILL_WEBHOOK_SECRET=whsec_' + base64.b64encode(secrets.token_bytes(24)).decode()); \
	print('GOODWILL_API_TOKEN=' + secrets.token_urlsafe(24)); \
	print('GOODWILL_SECRET_KEY=' + secrets.token_urlsafe(32)); \
	print('GOODWILL_ADMIN_PASSWORD=' + secrets.token_urlsafe(12))" > $@
	@echo "wrote $@ with a fresh webhook secret, API token, admin session key and password"

clean:
	rm -rf $(VENV) build *.egg-info
