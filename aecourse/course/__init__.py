"""The course's tooling: exercise checks, the exercise generator, notebook tools, grading and the command line.

It imports the math (`aecourse.*`); the math never imports it. `check` is what a check cell calls:

    from aecourse.course import check
    check("02.kl_sparsity", kl_sparsity)

`check` is imported on first use (PEP 562): the command line's tools that only read and write notebooks
(`aecourse check`, `notebooks lint`, `exercises build`) never load the checks, nor torch with them.
"""

from ..lazy_imports import lazy_attributes

__all__ = ["check"]
__getattr__ = lazy_attributes(__name__, {"check": "checks"})
