# Two commands: `make run` serves the demo workshop, `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export WORKSHOP_PORT ?= 5000
# Tests in parallel processes (pytest-xdist): many wait on servers, sockets and browsers. Each process
# makes its own databases; `make test PYTEST_ARGS=...` runs something else.
PYTEST_ARGS ?= -n auto --maxprocesses=4

.PHONY: run test migrate demo clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,postgres,redis]'
	touch $(STAMP)

migrate: $(STAMP)
	$(BIN)/flask --app workshop db upgrade

run: migrate
	$(BIN)/flask --app workshop certificate-fonts
	$(BIN)/flask --app workshop demo --if-needed
	$(BIN)/python -m workshop.serve

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
