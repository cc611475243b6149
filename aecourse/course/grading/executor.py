"""Inside the sandbox: run a student's notebook in a kernel, then serve its functions to the grader.

`python -m aecourse.course.grading.executor JOB.json`. The student's code cells run in order (markdown and
pure `check(...)` cells are skipped: the grader runs the checks itself), each within `cell_timeout` and all before
the job's `deadline` (the grader kills the sandbox then; no cell starts in the last `HANDOVER` seconds, so the
functions reach the grader); a cell that raises or times out is noted and the run goes on. Outputs are counted
and dropped, never kept, and the kernel itself drops what a notebook prints past `OUTPUT_CHARACTERS` (`output_cap`) and
stops the cell that crosses it, so endless printing costs no memory and no waiting. The last cell calls
`server.serve`, which answers the grader until it says bye. If the kernel dies first, the run's notes are printed
as one JSON line for the grader.
"""
from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from aecourse.course.limits import OUTPUT_CHARACTERS
from aecourse.course.startup import skip_iri_format_checks
from aecourse.course.verdicts import ERRORED, OK, TIMEOUT

skip_iri_format_checks()     # before nbformat's first import: 1.2 s less for every graded notebook (startup.py)
import nbformat  # noqa: E402
from nbclient import NotebookClient  # noqa: E402
from nbclient.exceptions import DeadKernelError  # noqa: E402

from aecourse.course.notebooks import is_exercise_check_cell  # noqa: E402 (it imports nbformat)

HANDOVER = 5                # seconds before the grader's deadline at which no further cell starts


def first_line(source: str) -> str:
    line = next((s.strip() for s in source.splitlines() if s.strip() and not s.strip().startswith("#")), "")
    return line if len(line) <= 60 else line[:57] + "..."


class QuietClient(NotebookClient):
    """An nbclient that keeps no output: it counts the characters a cell sends (text and display data)."""
    printed = 0

    def output(self, outs, msg, display_id, cell_index):
        content = msg.get("content", {})
        self.printed += len(content.get("text", "")) + sum(len(str(v)) for v in content.get("data", {}).values())
        return None


def run(job: dict) -> dict:
    """Execute the notebook; returns the run's notes (status, problems, bytes printed) and serves if it can."""
    nb = nbformat.reads(Path(job["notebook"]).read_text(encoding="utf-8"), as_version=4)
    Path(Path(job["notebook"]).name).write_text(nbformat.writes(nb), encoding="utf-8")  # the student's own copy
    code = [c for c in nb.cells if c.cell_type == "code"]   # check cells are left out: the grader runs the checks
    todo = [(n, c.source) for n, c in enumerate(code, 1) if c.source.strip() and not is_exercise_check_cell(c)]
    cells = [nbformat.v4.new_code_cell(s) for _, s in todo]
    notes = {"status": OK, "problems": [], "printed": 0}
    cap = nbformat.v4.new_code_cell(f"__import__('aecourse.course.grading.output_cap', fromlist=['cap_output'])"
                                    f".cap_output({OUTPUT_CHARACTERS})")
    serve = nbformat.v4.new_code_cell("")
    client = QuietClient(nbformat.v4.new_notebook(cells=cells + [serve, cap]), kernel_name="python3", allow_errors=True,
                         interrupt_on_timeout=True, error_on_timeout={"ename": "Timeout", "evalue": "",
                                                                      "traceback": []})
    replies: dict[int, dict] = {}
    client.on_cell_executed = lambda cell, cell_index, execute_reply: replies.update(
        {cell_index: execute_reply["content"]})
    with client.setup_kernel(stderr=subprocess.DEVNULL):
        client.execute_cell(cap, len(cells) + 1)    # first, though last in the notebook: indices stay those of todo
        # the grader kills the sandbox at job["deadline"] (its clock, shared here); stop a little before, to hand over
        deadline = time.monotonic() + job["deadline"] - time.time() - HANDOVER
        for index, (number, source) in enumerate(todo):
            where = f"code cell {number} (`{first_line(source)}`)"
            left = deadline - time.monotonic()
            if left <= 0:
                notes["problems"].append(f"the notebook used its {job['total_timeout']:g} s; {where} and the cells "
                                         "after it were not run")
                notes["status"] = TIMEOUT
                break
            client.timeout = max(1, int(min(job["cell_timeout"], left)))
            try:
                client.execute_cell(cells[index], index)
            except DeadKernelError:
                notes["problems"].append(f"the kernel died in {where} (out of memory, a limit, os._exit or a crash)")
                notes["status"] = ERRORED
                return notes
            reply = replies.get(index, {})
            if reply.get("ename") == "Timeout":
                notes["problems"].append(f"{where} did not finish within {client.timeout} s and was stopped (an "
                                         "endless loop?)")
                notes["status"] = TIMEOUT
            elif reply.get("status") == "error":
                detail = str(reply.get("evalue") or "")[:200]
                notes["problems"].append(f"{where} raised {reply.get('ename')}" + (f": {detail}" if detail else ""))
                notes["status"] = ERRORED if notes["status"] == OK else notes["status"]
        notes["printed"] = client.printed
        serve.source = (f"__import__('aecourse.course.grading.server', fromlist=['serve']).serve(globals(), "
                        f"{job['socket']!r}, __import__('json').loads({json.dumps(notes)!r}))")
        client.timeout = None
        try:
            client.execute_cell(serve, len(cells))
        except DeadKernelError:
            notes["problems"].append("the kernel died while the grader checked the functions")
    return notes


if __name__ == "__main__":
    notes = run(json.loads(Path(sys.argv[1]).read_text(encoding="utf-8")))
    print(json.dumps(notes), flush=True)
