# The course's commands. `make book` and `make test` set up .venv themselves.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NOTEBOOKS := $(sort $(wildcard notebooks/*.ipynb))

.PHONY: help book test lint unit notebooks-fresh nbval book-strict execute benchmarks assignments assignments-test mathjax chromium site-test clean

help:
	@echo "make book       set up .venv and build the site into _build/html"
	@echo "make test       lint, unit tests, notebook checks, nbval (quick mode), strict book build, browser test"
	@echo "make site-test  build the site and check every page in headless Chromium"
	@echo "make execute    re-run every notebook in full mode, in place (commit the result)"
	@echo "make benchmarks run every benchmark in full mode"
	@echo "make assignments build student and autograder copies into assignments/dist/"
	@echo "make clean      remove _build"

$(STAMP): requirements.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@touch $(STAMP)

book: $(STAMP) mathjax
	$(BIN)/jupyter-book build . --builder html
	@echo "Open _build/html/index.html"

test: $(STAMP) lint unit notebooks-fresh nbval benchmarks-quick assignments-test book-strict site-test
	@echo "make test: all checks passed"

lint: $(STAMP)
	$(BIN)/ruff check .

unit: $(STAMP)
	$(BIN)/python -m pytest tests

# Committed outputs must come from a full run of the current code (tools/notebooks.py).
notebooks-fresh: $(STAMP)
	$(BIN)/python tools/notebooks.py check

nbval: $(STAMP)
	LSTM_BOOK_QUICK=1 \
	  $(BIN)/python -m pytest --nbval --nbval-current-env \
	  --nbval-sanitize-with tests/nbval_sanitize.cfg -p no:cacheprovider $(NOTEBOOKS)

benchmarks-quick: $(STAMP)
	@set -e; for b in $(wildcard benchmarks/*.py); do \
	  echo "== $$b --quick"; $(BIN)/python $$b --quick; done

book-strict: $(STAMP) mathjax
	rm -rf _build/html _build/.doctrees
	$(BIN)/jupyter-book build . --builder html --all -W -n --keep-going
	$(BIN)/python tools/check_site.py

# MathJax served by the site itself (npm registry once, SHA-256 checked), so math renders offline.
mathjax: $(STAMP)
	$(BIN)/python tools/mathjax.py

# Debian's chromium for the browser test (never a downloaded browser).
chromium:
	@command -v chromium >/dev/null || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends chromium; }

# Every toc page in headless Chromium: HTTP 200, no console errors, images, MathJax, links, Colab.
site-test: $(STAMP) chromium book-strict
	$(BIN)/python tools/site_test.py

# Graded assignments (otter-grader): generated copies are never committed.
assignments: $(STAMP)
	$(BIN)/python tools/assignments.py assign

# Solutions get full marks, students get no solutions, blank and filled-in copies grade as they should.
assignments-test: $(STAMP)
	$(BIN)/python tools/assignments.py prove

execute: $(STAMP)
	$(BIN)/python tools/notebooks.py execute $(NOTEBOOKS)

benchmarks: $(STAMP)
	@set -e; for b in $(wildcard benchmarks/*.py); do echo "== $$b"; $(BIN)/python $$b; done

clean:
	rm -rf _build
