"""Start-up time of the processes the course starts itself: the `aecourse` command, the grader's executor and
the test suite's pytest processes (pytest_startup.py).

nbformat validates notebooks with jsonschema, whose format checkers import `rfc3987_syntax` when it is installed
(JupyterLab's jupyter-events installs it). That import builds about 35 parsers: 1.2 CPU-seconds in every process
that reads a notebook, once per graded notebook in `aecourse grade` (python-jsonschema/jsonschema#1428). The
notebook format's schema uses none of the `iri` formats it checks, so these processes go without it. A learner's
kernel never calls this: what a learner imports there behaves as installed.
"""
import sys


def skip_iri_format_checks() -> None:
    """Make `import rfc3987_syntax` raise ImportError in this process, unless it is imported already, so that
    jsonschema leaves out its `iri` and `iri-reference` format checks. Call before the first import of nbformat."""
    sys.modules.setdefault("rfc3987_syntax", None)
