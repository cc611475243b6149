"""Every time and size limit of the course's tools, in one place: the command line's defaults, the functions'
defaults and the messages that name a limit read them here (as nbgrader keeps its preprocessors' limits in one
configuration).
"""
from __future__ import annotations

from dataclasses import dataclass

CHECK_CELL_SECONDS = 300        # `aecourse check`: each cell of a learner's notebook (a lesson trains in one cell)
REFRESH_CELL_SECONDS = 600      # `aecourse notebooks refresh`: each cell of a lesson run to store its outputs
GRADE_CELL_SECONDS = 120        # `aecourse grade`: each cell of a hand-in, and each exercise's checks
GRADE_TOTAL_SECONDS = 600       # `aecourse grade`: a hand-in's run, wall clock from its sandbox's start
HANDIN_BYTES = 50 * 2 ** 20     # a hand-in's size, collected (deploy/collect-notebooks) and graded
OUTPUT_CHARACTERS = 16 * 2 ** 20  # what a graded notebook may print; past it the text is counted and dropped


@dataclass(frozen=True)
class Limits:
    """What one graded notebook's sandbox may use: bytes of memory (with a cgroup, of all its processes together;
    without, the address space of each), CPU seconds per process, bytes per file written, processes, and the size
    of each writable folder (home, /tmp, /dev/shm)."""
    memory: int = 6 * 2 ** 30
    cpu: int = 1800
    file_size: int = 256 * 2 ** 20
    processes: int = 256
    folder_size: int = 512 * 2 ** 20


DEFAULT_LIMITS = Limits()
