"""In the sandbox's kernel, before the student's cells: pass on at most `limit` characters of printed output.

A cell that prints without end would otherwise fill the kernel's memory: IPython keeps every cell's printed text for
its history and ipykernel buffers it between sends, so within 20 s the kernel outgrows the sandbox's memory limit and
dies, losing the functions the notebook defined before. Output is not kept while grading anyway (the executor counts
and drops it), so past the cap the text is counted and dropped in the kernel. The write that crosses the cap raises
`OutputLimitExceeded`, once: an endless print loop stops there, not at the cell's time limit (120 s by default),
and the functions defined before it are kept. A loop that catches even that (it is a BaseException, so
`except Exception` does not) runs on in constant memory until the time limit stops it.
"""
from __future__ import annotations

import sys


class OutputLimitExceeded(BaseException):
    """Raised in the cell whose printing crosses the cap (a BaseException: `except Exception` lets it through)."""


class _CappedWrite:
    """The `write` of a capped stream, a data descriptor. IPython patches `stream.write` for the length of each cell,
    with a function that calls the write it found (this one) and keeps the text for its history: setting `write`
    installs such a patch behind the cap (`outer`), so dropped text never reaches it; its call back to this write
    passes straight on to the stream."""

    def __init__(self, stream, budget: dict):
        self.stream_write = type(stream).write.__get__(stream)
        self.outer = None
        self.budget = budget
        self.passing = False

    def __get__(self, stream, owner=None):
        return self if stream is None else self.write

    def __set__(self, stream, function) -> None:
        self.outer = None if function == self.write else function     # set back to this write: no patch

    def write(self, text):
        if self.passing or not isinstance(text, str):    # called back by the patch, or the stream's own type error
            return self.stream_write(text)
        crossing = self.budget["left"] >= 0
        self.budget["left"] -= len(text)
        if self.budget["left"] < 0:
            if crossing:
                raise OutputLimitExceeded(f"the notebook printed more than {self.budget['limit']:,} characters; "
                                          "this cell was stopped there (output is not kept while grading)")
            return len(text)
        if self.outer is None:
            return self.stream_write(text)
        self.passing = True
        try:
            return self.outer(text)
        finally:
            self.passing = False


def cap_output(limit: int) -> None:
    """Make sys.stdout and sys.stderr drop what is written to them past the first `limit` characters (together); the
    write that crosses the limit raises `OutputLimitExceeded`."""
    budget = {"left": limit, "limit": limit}
    for stream in (sys.stdout, sys.stderr):
        base = type(stream)
        stream.__class__ = type(base.__name__, (base,), {"write": _CappedWrite(stream, budget),
                                                         "__module__": base.__module__})
