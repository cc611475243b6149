"""Inside the sandbox: the library's answers to the exercises being graded, callable from the library alone.

The sandbox's copy of the library ends every module with `register()`, and each module that holds an answer with
`NAME = hide(NAME, "aecourse.module.NAME")`. A hidden answer runs when its caller's code object is one the library
compiled from its own files (registered as each module finished loading: the module's code and every function,
class body, lambda and comprehension nested in it); any other caller (the notebook, a helper it compiled under a
library file name, the checks package) gets a RuntimeError, and the name is noted in `HIDDEN_CALLS` for the grader,
which flags the notebook. Code objects are told apart by identity, not by name or content: a notebook can compile
an identical one, never the same one.
"""
from __future__ import annotations

import sys
import types

HIDDEN_CALLS: list[str] = []                    # answers the current call reached
LIBRARY_CODE: dict[int, types.CodeType] = {}    # id -> code object, kept alive so the ids stay theirs


def _nested(code: types.CodeType):
    yield code
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _nested(const)


def register() -> None:
    """Called at the end of a library module: its code objects may call the hidden answers. The checks package
    (aecourse.course) is never registered: the notebook can reach the answers through it."""
    frame = sys._getframe(1)
    if frame.f_globals.get("__name__", "").startswith("aecourse.course"):
        return
    for code in _nested(frame.f_code):
        LIBRARY_CODE[id(code)] = code


def from_library(code: types.CodeType) -> bool:
    return LIBRARY_CODE.get(id(code)) is code


def hide(function, name: str):
    """`function` (an exercise's answer), refusing calls from outside the library's registered code."""
    def guarded(*args, **kwargs):
        if from_library(sys._getframe(1).f_code):
            return function(*args, **kwargs)
        HIDDEN_CALLS.append(name)
        raise RuntimeError(f"{name} is this exercise's answer in the course library: it is hidden while notebooks "
                           "are graded; write the function yourself")
    guarded.__name__, guarded.__doc__ = function.__name__, function.__doc__
    return guarded
