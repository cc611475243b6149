# The course's two entry points, each setting up .venv first when needed:
#   make lab    install the course and open JupyterLab on the start notebook
#   make test   install the course with its test tools and run every test
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.aecourse-installed
DEV_STAMP := $(VENV)/.aecourse-dev-installed
# JupyterLab refuses to run as root (containers, CI) unless told it may.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root)

.PHONY: lab test exercises notebooks lint course bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade --quiet pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $(STAMP)

$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(DEV_STAMP) $(STAMP)

lab: $(STAMP)
	$(BIN)/jupyter lab $(ROOT_FLAG) notebooks/00_start_here.ipynb

test: $(DEV_STAMP)
	$(BIN)/python -m pytest

exercises: $(STAMP)
	$(BIN)/python -m aecourse exercises build

notebooks: $(STAMP)
	$(BIN)/python -m aecourse notebooks refresh notebooks/*.ipynb solutions/*.ipynb
	$(BIN)/python -m aecourse exercises build

lint: $(DEV_STAMP)
	$(BIN)/ruff check aecourse tests benchmarks
	$(BIN)/python -m aecourse notebooks lint

course: $(STAMP)
	$(BIN)/python -m aecourse.course.render

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
