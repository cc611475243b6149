"""The course's tooling: exercise checks, the exercise generator, notebook tools, grading and the command line.

It imports the math (`aecourse.*`); the math never imports it. `check` is what a check cell calls:

    from aecourse.course import check
    check("02.kl_sparsity", kl_sparsity)
"""
from .checks import check

__all__ = ["check"]
