"""pytest plugin for the course's own test runs: `-p aecourse.course.pytest_startup` (pyproject's addopts) loads it
before the plugins pytest finds installed, so nbval's import of nbformat, and every notebook read after it, goes
without jsonschema's `iri` format checks (startup.py): about 1 CPU-second less in pytest and in each of its
pytest-xdist workers. It defines no hooks."""
from .startup import skip_iri_format_checks

skip_iri_format_checks()
