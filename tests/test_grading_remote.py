"""The trusted side of grading without a sandbox or a kernel: the server runs in a thread of this process, on the
solutions' functions, and the library's checks call them through `RemoteFunction`. Every solution must earn full
marks this way (the proxy is faithful); wrong answers and forged outputs earn what they earn in one process."""
import socket
import tempfile
import threading
from pathlib import Path

import nbformat
import numpy as np
import pytest
import torch

from aecourse.course.checks import PASSED, all_exercises, run_checks
from aecourse.course.grading import remote, server

ROOT = Path(__file__).resolve().parent.parent


def solution_functions() -> dict:
    """Every function the solutions define in a `### BEGIN SOLUTION` cell, by name."""
    namespace = {"np": np, "torch": torch}
    exec("import numpy as np\nimport torch\nfrom torch import nn", namespace)
    for path in sorted((ROOT / "solutions").glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type == "code" and "BEGIN SOLUTION" in cell.source:
                exec(cell.source, namespace)
    return namespace


class Served:
    """A server thread on `namespace` and the grader's link to it."""

    def __init__(self, namespace: dict):
        self.folder = tempfile.TemporaryDirectory()
        path = str(Path(self.folder.name) / "s.sock")
        listener = socket.socket(socket.AF_UNIX)
        listener.bind(path)
        listener.listen(1)
        self.thread = threading.Thread(target=server.serve, args=(namespace, path, {}), daemon=True)
        self.thread.start()
        conn, _ = listener.accept()
        listener.close()
        self.link = remote.Link(conn)
        self.hello, _ = self.link.receive(30)

    def function(self, name: str, timeout: float = 30):
        return remote.RemoteFunction(self.link, name, timeout)

    def close(self):
        self.link.send({"op": "bye"})
        self.thread.join(10)
        self.folder.cleanup()


@pytest.fixture(scope="module")
def solutions():
    served = Served(solution_functions())
    yield served
    served.close()


@pytest.mark.parametrize("exercise_id", sorted(all_exercises()))
def test_every_solution_earns_full_marks_through_the_proxy(solutions, exercise_id):
    spec = all_exercises()[exercise_id]
    report = run_checks(exercise_id, solutions.function(spec.function))
    assert [(c.name, c.status, c.message) for c in report.cases if c.status != PASSED] == []
    assert report.score == spec.points
