# The course's entry points, each setting up .venv first when needed:
#   make lab        install the course and open JupyterLab at the repository root, the start notebook in front
#   make test       install the course with its test tools and run every test
#   make test-fast  the library's tests only (no notebooks, no browser): under a minute, for contributors
#   make lint       ruff and the notebook storage lint
#   make course     the course as a website (Jupyter Book): build/book/_build/html/index.html
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.aecourse-installed
DEV_STAMP := $(VENV)/.aecourse-dev-installed
# Jupyter Book 1.x (2.x fetches its site template from the web at build time) needs markdown-it-py 3, older than the
# one JupyterLab's environment has: it gets an environment of its own, and runs the notebooks in the course's kernel.
BOOK_VENV ?= .venv-book
BOOK_STAMP := $(BOOK_VENV)/.jupyter-book-installed
BOOK := JUPYTER_PATH=$(abspath $(BOOK_VENV))/share/jupyter AECOURSE_DEVICE=cpu TQDM_DISABLE=1 \
	$(BOOK_VENV)/bin/jupyter-book
# JupyterLab refuses to run as root (containers, CI) unless told it may.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root)
# What `make lab` runs (tests/browser/test_lab.py runs this very line): JupyterLab serving the repository root, so
# notebooks/, exercises/ and solutions/ are all in its file browser, with the start notebook open. jupyter/ is added
# to Jupyter's search paths: no news prompt, and a kernel that writes the metadata the notebooks store, so they open
# unmodified (jupyter/README.md). Your own Jupyter settings still apply; nothing is written to your home for this.
LAB_COMMAND = JUPYTER_CONFIG_PATH=jupyter/config JUPYTER_PATH=jupyter/data $(BIN)/jupyter lab $(ROOT_FLAG) \
	--ServerApp.root_dir=. notebooks/00_start_here.ipynb

.PHONY: lab test test-fast dev book-env exercises notebooks lint course bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade --quiet pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $(STAMP)

$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(DEV_STAMP) $(STAMP)

# jupyter-book in $(BOOK_VENV); its notebooks run in a python3 kernel of $(VENV) (the course and its dependencies).
$(BOOK_STAMP): $(STAMP)
	$(PYTHON) -m venv $(BOOK_VENV)
	$(BOOK_VENV)/bin/python -m pip install --quiet --upgrade pip "jupyter-book>=1.0.4,<2"
	$(BIN)/python -m ipykernel install --prefix $(BOOK_VENV) --name python3 --display-name "Python 3 (ipykernel)"
	touch $(BOOK_STAMP)

lab: $(STAMP)
	$(LAB_COMMAND)

# pytest-xdist workers, each test file (each notebook) whole on one of them: two keep 2 cores busy, as a notebook's
# kernel computes while its pytest process waits. TEST_JOBS=4 or more on a bigger machine. Files are handed out in
# the order tests/conftest.py collects them (longest first), not reordered by their number of tests; the 20 slowest
# tests are listed at the end (to keep that order true).
TEST_JOBS ?= 2
test: $(DEV_STAMP)
	$(BIN)/python -m pytest -n $(TEST_JOBS) --dist loadfile --no-loadscope-reorder --durations=20

test-fast: $(DEV_STAMP)
	$(BIN)/python -m pytest -m "not slow" tests --ignore=tests/browser

dev: $(DEV_STAMP)

book-env: $(BOOK_STAMP)

exercises: $(STAMP)
	$(BIN)/python -m aecourse exercises build

notebooks: $(STAMP)
	$(BIN)/python -m aecourse notebooks refresh notebooks/*.ipynb solutions/*.ipynb
	$(BIN)/python -m aecourse exercises build

lint: $(DEV_STAMP)
	$(BIN)/ruff check aecourse tests benchmarks
	$(BIN)/python -m aecourse notebooks lint

course: $(BOOK_STAMP)
	$(BOOK) build . --config book/_config.yml --toc book/_toc.yml --path-output build/book
	@echo "the course's website: build/book/_build/html/index.html"

bench: $(DEV_STAMP)
	$(BIN)/python benchmarks/run_all.py

# Mutation testing of the math modules (slow, not part of `make test` or CI): mutmut mutates them, runs the fast
# library tests against each mutant ([tool.mutmut] in pyproject.toml), then the report is written to
# benchmarks/results/mutation.md. `make mutation MUTANTS="aecourse.corruption*"` runs one module.
.PHONY: mutation
MUTANTS ?=
mutation: $(DEV_STAMP)
	OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 $(BIN)/mutmut run --max-children 2 $(MUTANTS)
	$(BIN)/python benchmarks/mutation_report.py
