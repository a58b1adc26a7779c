# The course's commands. `make book` and `make test` set up .venv themselves.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NOTEBOOKS := $(sort $(wildcard notebooks/*.ipynb))

.PHONY: help lock book test i18n-check translations lint typecheck unit notebooks-fresh nbval nbval-portable book-strict execute execute-stale gpu-cells package-check benchmarks benchmarks-quick mutate mutate-all pdf texlive release-check assignments assignments-test assignments-prove-full mathjax chromium site-test clean colab-check colab-run-all

help:
	@echo "make book       set up .venv and build the site into _build/html"
	@echo "make lock       remake requirements.txt (the lock) from requirements.in"
	@echo "make test       lint, unit tests, notebook checks, nbval (quick mode), strict book build, browser test"
	@echo "make translations  after an English change: update the Chinese catalogs (locales/zh_CN)"
	@echo "make site-test  build the site and check every page in headless Chromium"
	@echo "make execute    re-run every notebook in full mode, in place (commit the result)"
	@echo "make execute-stale  re-run only the notebooks whose code or imported utils changed"
	@echo "make gpu-cells  on a CUDA machine: run the GPU cells and record their outputs"
	@echo "make mutate MODULE=utils/x.py  mutation-test one module with mutmut (make mutate-all: every module)"
	@echo "make pdf        build the whole book as a PDF with TeX Live (minutes)"
	@echo "make release-check  version, changelog, citation and setup-cell refs agree (RELEASE=vX.Y.Z)"
	@echo "make colab-check  run the course as on Colab (Colab's pinned versions; downloads a few GB)"
	@echo "make colab-run-all  every chapter in full mode as on Colab, claims in reader mode (long)"
	@echo "make benchmarks run every benchmark in full mode"
	@echo "make assignments build student and autograder copies into assignments/dist/"
	@echo "make clean      remove _build"

# requirements.txt is a lock (every package, transitive ones included, with hashes), so pip
# installs exactly the environment the site and the tests were checked with.
$(STAMP): requirements.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@touch $(STAMP)

# Remake the lock from requirements.in (edit the direct pins there, then `make lock`, `make test`).
lock: $(STAMP)
	rm -f requirements.txt
	$(BIN)/uv pip compile requirements.in --generate-hashes --python-version 3.11 \
	  --python-platform x86_64-manylinux_2_28 $${PIP_FIND_LINKS:+--find-links $$PIP_FIND_LINKS} \
	  -o requirements.txt

# Sphinx copies _static only when a page is out of date: a changed style sheet rebuilds every page.
book: $(STAMP) mathjax
	$(BIN)/jupyter-book build . --builder html \
	  $$(test -f _build/html/index.html && find _static -type f -newer _build/html/index.html | grep -q . && echo --all)
	$(BIN)/python tools/i18n.py build
	@echo "Open _build/html/index.html (the Chinese edition: _build/html/zh/index.html)"

test: $(STAMP) lint typecheck release-check i18n-check unit notebooks-fresh nbval nbval-portable benchmarks-quick assignments-test book-strict site-test
	@echo "make test: all checks passed"

lint: $(STAMP)
	$(BIN)/ruff check .

# Settings in pyproject.toml ([tool.mypy]).
typecheck: $(STAMP)
	$(BIN)/mypy

# Chromium first: the browser checks have unit tests too. Spread over the cores (pytest-xdist,
# one file per worker at a time), one intra-op thread per worker: two workers that each split
# every operation over both cores spend their time waiting.
XDIST := -n auto --dist loadfile
unit: $(STAMP) chromium
	OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 $(BIN)/python -m pytest $(XDIST) tests

# Committed outputs must come from a full run of the current code (tools/notebooks.py).
notebooks-fresh: $(STAMP)
	$(BIN)/python tools/notebooks.py check
	$(BIN)/python tools/site_notebook_meta.py --check

# The Chinese edition's catalogs against the current English source: coverage per page, and the
# translations that break maths, code, links, numbers or the glossary. A release build
# (RELEASE=vX.Y.Z) also fails below 100% or on a fuzzy entry; in development that only warns.
i18n-check: $(STAMP)
	$(BIN)/python tools/i18n.py check $(if $(RELEASE),--release)

# After an English change: extract the messages and merge them into locales/zh_CN (sphinx-intl).
translations: $(STAMP)
	$(BIN)/python tools/i18n.py update

# Quick mode, the tweets corpus, an empty data cache: nothing is downloaded or read from the
# user's cache, whatever the network.
NBVAL := LSTM_BOOK_QUICK=1 LSTM_BOOK_CORPUS=tweets LSTM_BOOK_DEVICE=cpu LSTM_BOOK_DATA=$$(mktemp -d) \
  $(BIN)/python -m pytest --nbval --nbval-current-env \
  --nbval-sanitize-with tests/nbval_sanitize.cfg -p no:cacheprovider

nbval: $(STAMP)
	$(NBVAL) $(NOTEBOOKS)

# The same comparison as on another machine: one thread, ATen's portable kernels, MKL's
# compatible code path. A number that only this CPU reproduces fails here.
nbval-portable: $(STAMP)
	OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 ATEN_CPU_CAPABILITY=default MKL_CBWR=COMPATIBLE \
	  $(NBVAL) $(XDIST) $(NOTEBOOKS)

benchmarks-quick: $(STAMP)
	@set -e; for b in $(wildcard benchmarks/*.py); do \
	  echo "== $$b --quick"; $(BIN)/python $$b --quick; done

book-strict: $(STAMP) mathjax
	rm -rf _build/html _build/.doctrees
	$(BIN)/jupyter-book build . --builder html --all -W -n --keep-going
	$(BIN)/python tools/i18n.py build --strict
	$(BIN)/python tools/check_site.py

# MathJax served by the site itself (npm registry once, SHA-256 checked), so math renders offline.
mathjax: $(STAMP)
	$(BIN)/python tools/mathjax.py

# Debian's chromium for the browser test (never a downloaded browser), and a CJK font for the
# Chinese edition's pages.
chromium:
	@command -v chromium >/dev/null && fc-list :lang=zh family | grep -q "Noto Sans CJK SC" || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends chromium \
	    fonts-noto-cjk; }

# Every toc page in headless Chromium: HTTP 200, no console errors, images, MathJax, links, Colab.
site-test: $(STAMP) chromium book-strict
	$(BIN)/python tools/site_test.py

# Graded assignments (otter-grader): generated copies are never committed.
assignments: $(STAMP)
	$(BIN)/python tools/assignments.py assign

# Solutions get full marks, students get no solutions, blank and filled-in copies grade as they should.
assignments-test: $(STAMP)
	$(BIN)/python tools/assignments.py prove

# The slow full-marks proofs left out of `make test` (A3's q4 trains the model in the guarded
# grading process, about 10 minutes on 2 cores); the record is committed.
assignments-prove-full: $(STAMP)
	$(BIN)/python tools/assignments.py prove --full --record ci/assignments-full-proof.txt a3_sentiment

execute: $(STAMP)
	$(BIN)/python tools/notebooks.py execute $(NOTEBOOKS)

# Only the notebooks whose cells or imported utils modules changed since their last execution.
execute-stale: $(STAMP)
	$(BIN)/python tools/notebooks.py execute-stale

# On a machine with CUDA: full run of the notebooks that have GPU cells; only those cells'
# outputs are written back, with the code hash they came from (book/setup.md).
gpu-cells: $(STAMP)
	$(BIN)/python tools/notebooks.py gpu-cells

# `pip install .` into a new, empty environment, then import every utils module there
# (tests/test_packaging.py checks the declared packages on every `make test`).
package-check:
	rm -rf _build/package-venv && $(PYTHON) -m venv _build/package-venv
	_build/package-venv/bin/pip install --quiet -c requirements.txt .
	rm -rf build
	cd _build && package-venv/bin/python -c "import importlib, pkgutil, utils; \
	  names = [m.name for m in pkgutil.iter_modules(utils.__path__)]; \
	  [importlib.import_module('utils.' + n) for n in names]; \
	  print('imported', len(names), 'utils modules from', utils.__file__)"

# mutmut ([tool.mutmut] in pyproject.toml) on one module, in a scratch copy; its section of today's record.
# SLOW="tests/x.py::test_y ...": tests run only for the mutants the others miss (same result, faster).
MUTATION_RECORD := benchmarks/results/mutation-$(shell date +%F).txt
mutate: $(STAMP)
	@test -n "$(MODULE)" || { echo "usage: make mutate MODULE=utils/text.py  (every module: make mutate-all)"; exit 2; }
	$(BIN)/python tools/mutation.py $(MODULE) --record $(MUTATION_RECORD) $(if $(SLOW),--slow-tests $(SLOW))

benchmarks: $(STAMP)
	@set -e; for b in $(wildcard benchmarks/*.py); do echo "== $$b"; $(BIN)/python $$b; done

clean:
	rm -rf _build

# Colab as students meet it (not in `make test`: the first run downloads Colab's torch, a few GB):
# Colab's Python and package versions (ci/colab-pins.txt), a fake google.colab, the course URL
# served from this working tree; every notebook in quick mode, a blank and a filled-in copy of
# each assignment, and Colab's packages unchanged by setup cells and grading.
colab-check: $(STAMP)
	$(BIN)/python tools/colab_check.py --record ci/colab-check.txt

# "Run all" of every chapter in full mode under Colab's pins, claims in reader mode, as a student
# on Colab runs it: per chapter, passed or the first error, the time, the claims that came out
# differently (not in `make test`: it takes about as long as `make execute`).
colab-run-all: $(STAMP)
	$(BIN)/python tools/colab_check.py --full --record ci/colab-run-all.txt

# Every utils module (hours: run it on an idle machine, never inside `make test`).
mutate-all: $(STAMP)
	$(BIN)/python tools/mutation.py --all --record $(MUTATION_RECORD)

# Debian's TeX Live and poppler for the PDF (never a downloaded TeX or browser).
texlive:
	@command -v xelatex >/dev/null && command -v pdftotext >/dev/null || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends \
	    texlive-xetex texlive-latex-recommended texlive-latex-extra texlive-fonts-recommended \
	    texlive-plain-generic tex-gyre latexmk xindy fonts-freefont-otf fonts-dejavu \
	    poppler-utils; }

# The whole book as one PDF (_build/pdf/_build/latex/book.pdf), checked with pdftotext; a run is
# recorded in ci/pdf-build.txt. Slow (minutes), so not part of `make test`.
pdf: $(STAMP) texlive
	$(BIN)/python tools/pdf.py build --record ci/pdf-build.txt

# Version, changelog, CITATION.cff and the setup cells' ref agree (RELEASE=v1.0.0 for a release).
release-check: $(STAMP)
	$(BIN)/python tools/release.py check $(if $(RELEASE),--release $(RELEASE))
	$(if $(RELEASE),$(BIN)/python tools/i18n.py check --release)
