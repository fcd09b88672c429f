# Two commands for a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
FLASK := $(BIN)/flask --app wsgi

.PHONY: run test test-sqlite test-postgres assets migrate seed lint bench clean

$(STAMP): requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $(STAMP)

# Front-end packages (Swagger UI, socket.io client) from the npm registry; no CDN at run time.
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

assets: node_modules/.package-lock.json

migrate: $(STAMP)
	$(FLASK) db upgrade

seed: migrate
	$(FLASK) seed-demo

run: $(STAMP) assets seed
	$(FLASK) run --host 127.0.0.1 --port 5000 --no-reload

test: test-sqlite test-postgres

test-sqlite: $(STAMP)
	env -u TEST_DATABASE_URL $(BIN)/pytest -q

# Runs the same suite on PostgreSQL when TEST_DATABASE_URL is set (as .ci/run does).
test-postgres: $(STAMP)
	@if [ -n "$$TEST_DATABASE_URL" ]; then $(BIN)/pytest -q; \
	else echo "TEST_DATABASE_URL not set: PostgreSQL run skipped (set it to run the suite on PostgreSQL)"; fi

lint: $(STAMP)
	$(BIN)/ruff check app tests bench migrations config.py wsgi.py

clean:
	rm -rf $(VENV) node_modules .pytest_cache
