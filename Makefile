# Two commands set up everything on a fresh machine:
#   make run   create .venv, install Centinela, train the default model (once, a few
#              minutes), scan the bundled sample into SQLite and print a summary
#   make test  create .venv, install Centinela with test extras, run the test suite
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
# torch is pinned to the CPU build this machine kind keeps on disk; a newer range
# would pull a multi-GB CUDA build.
TORCH  ?= torch==2.13.0

.PHONY: run test install install-dev bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install --quiet -e ".[semantic]"

install-dev: $(BIN)/python
	$(BIN)/pip install --quiet "$(TORCH)"
	$(BIN)/pip install --quiet -e ".[dev,postgres,transformer,semantic]"

run: install
	$(BIN)/centinela train --if-missing
	$(BIN)/centinela scan corpora/sample/ads.jsonl

test: install-dev
	$(BIN)/python -m pytest -q

bench: install
	$(BIN)/centinela bench

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
