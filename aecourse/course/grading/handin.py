"""Reading a hand-in as a notebook, in a child process with limits: the grader never parses a student's file itself.

A 49 MB notebook of `[],[],...` is valid JSON that costs a parser 4 GiB and a minute; a deeply nested one costs
recursion. `read_notebook(data)` hands the bytes of a hand-in over `IN_PROCESS` bytes to `python -m
aecourse.course.grading.handin` under prlimit (memory, CPU) and a wall-clock timeout, which parses them with
nbformat and answers with the notebook normalised to nbformat 4, or the reason it is unreadable: what comes back is
plain JSON text the grader only writes to a file. A smaller hand-in (an exercise notebook is 5-50 kB) cannot cost
much (1 MB of `[],` is 30 MB of lists) and is parsed here, without the child's 0.3-0.5 CPU-seconds.
"""
from __future__ import annotations

import json
import subprocess
import sys
import warnings

MEMORY = 2 * 2 ** 30     # bytes of address space for the parser
CPU = 60                 # CPU seconds for the parser
WALL = 120               # seconds before the parser is killed
IN_PROCESS = 2 ** 20     # bytes up to which the grader parses a hand-in itself


def _parse(data: bytes) -> str:
    """The notebook, normalised (nbformat 4 JSON); ValueError with a reason a student understands."""
    from aecourse.course.startup import skip_iri_format_checks
    skip_iri_format_checks()
    import nbformat
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            nb = nbformat.reads(data.decode("utf-8"), as_version=4)
        if not all(c.cell_type in ("code", "markdown", "raw") and isinstance(c.source, str) for c in nb.cells):
            raise ValueError("a cell has no type or no source")
        return nbformat.writes(nb)
    except Exception as err:  # noqa: BLE001 (nbformat raises many kinds; all mean "unreadable")
        reason = str(err).splitlines()[0][:200] if str(err) else type(err).__name__
        raise ValueError(f"not a readable notebook ({type(err).__name__}: {reason}); open it in JupyterLab, "
                         "save it, and hand in the .ipynb file itself") from None


def read_notebook(data: bytes) -> str:
    """`data` parsed (in a limited child when large): the normalised notebook's JSON text, or ValueError saying
    why not."""
    if len(data) <= IN_PROCESS:
        return _parse_bounded(data)
    from .sandbox import tool
    prlimit = tool("prlimit")
    limits = [prlimit, f"--as={MEMORY}", f"--cpu={CPU}", "--core=0", "--"] if prlimit else []
    try:
        done = subprocess.run([*limits, sys.executable, "-m", __name__], input=data, capture_output=True,
                              timeout=WALL)
    except subprocess.TimeoutExpired:
        raise ValueError(f"not a readable notebook: reading it took over {WALL} s; open it in JupyterLab, clear "
                         "the outputs, save it and hand it in again") from None
    try:
        answer = json.loads(done.stdout)
    except ValueError:
        raise ValueError(f"not a readable notebook: reading it needed more than {MEMORY // 2 ** 30} GB of memory "
                         f"or {CPU} s (exit status {done.returncode}); open it in JupyterLab, clear the outputs, save "
                         "it and hand it in again") from None
    if "error" in answer:
        raise ValueError(answer["error"])
    return answer["notebook"]


def _parse_bounded(data: bytes) -> str:
    try:
        return _parse(data)
    except (MemoryError, RecursionError):
        raise ValueError("not a readable notebook: it is too large or too deeply nested to read; clear the outputs, "
                         "save it and hand it in again") from None


def main() -> None:
    try:
        answer = {"notebook": _parse_bounded(sys.stdin.buffer.read())}
    except ValueError as err:
        answer = {"error": str(err)}
    sys.stdout.write(json.dumps(answer))


if __name__ == "__main__":
    main()
