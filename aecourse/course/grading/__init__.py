"""`aecourse grade SUBMISSIONS --assignment NAME`: grade a class's notebooks, each as hostile code.

One idea per module: `collect` (find and read the hand-ins), `sandbox` (bubblewrap, limits, the library copy with
the answers hidden), `executor` and `server` (inside the sandbox: run the notebook, then serve its functions),
`wire` (the messages, read safely), `remote` (the student's function as a proxy, so the library's checks decide
the points in the grader's own process), `grade` (one notebook, a class), `reports` (gradebook, feedback, summary).

Names are imported on first use: the sandbox's library imports `server` while the math modules load, and must
not pull in the rest (the checks import the math).
"""
from ...lazy_imports import lazy_attributes

_WHERE = {"Submission": "collect", "find_submissions": "collect", "safe_name": "collect",
          "assignment_exercises": "grade", "grade_folder": "grade",
          "grade_submission": "grade", "read_submission": "grade", "run_cli": "grade", "Grade": "reports",
          "feedback": "reports", "summary_table": "reports", "OK": "reports", "ERRORED": "reports",
          "TIMEOUT": "reports", "FLAGGED": "reports", "INVALID": "reports", "AMBIGUOUS": "reports",
          "MISSING": "reports"}
__all__ = sorted(_WHERE)
__getattr__ = lazy_attributes(__name__, _WHERE)
