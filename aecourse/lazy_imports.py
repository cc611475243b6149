"""Names a package imports on first use (PEP 562), so that importing the package stays cheap.

    __getattr__ = lazy_attributes(__name__, {"fit": "training"})   # aecourse.fit imports aecourse.training then

`aecourse` (its top-level names), `aecourse.course` (`check`) and `aecourse.course.grading` use it: the command
line's notebook tools never load torch, and the grader's sandbox loads only the module it needs.
"""
from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping


def lazy_attributes(package: str, where: Mapping[str, str]) -> Callable[[str], object]:
    """A module-level `__getattr__` for `package`: `name` is looked up in its submodule `where[name]`, imported
    then; any other name raises AttributeError as usual."""
    def __getattr__(name: str):
        if name not in where:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(f".{where[name]}", package), name)
    return __getattr__
