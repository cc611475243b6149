# The course's two entry points, each setting up .venv first when needed:
#   make lab    install the course and open JupyterLab on the start notebook
#   make test   install the course with its test tools and run every test
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.aecourse-installed

.PHONY: lab test exercises notebooks lint course bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade --quiet pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

lab: $(STAMP)
	$(BIN)/jupyter lab notebooks/00_start_here.ipynb

test: $(STAMP)
	$(BIN)/python -m pytest

exercises: $(STAMP)
	$(BIN)/python -m aecourse exercises build

notebooks: $(STAMP)
	$(BIN)/python -m aecourse notebooks refresh notebooks/*.ipynb solutions/*.ipynb
	$(BIN)/python -m aecourse exercises build

lint: $(STAMP)
	$(BIN)/ruff check aecourse tests benchmarks
	$(BIN)/python -m aecourse notebooks lint

course: $(STAMP)
	$(BIN)/python -m aecourse.render

bench: $(STAMP)
	$(BIN)/python benchmarks/run_all.py
