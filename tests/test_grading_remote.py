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
from aecourse.course.grading import guard, remote, server, wire

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


HOSTILE = '''
import os
import torch

class Sneaky:
    def __reduce__(self):
        return (os.system, ("touch /tmp/aecourse-pwned",))
    def __eq__(self, other):
        return True

class Custom(Exception):
    pass

def add_one(x):
    x.add_(1)
    return x

def sneaky(x):
    return [Sneaky(), {"k": Sneaky()}]

def raises_value(x):
    raise ValueError("bad x")

def raises_custom(x):
    raise Custom("mine")

def stub(x):
    raise NotImplementedError()

def cube(x):
    return x ** 3

def detached(x):
    return (x * 2).detach()

def generator(n, g):
    return torch.rand(n, generator=g)
'''


@pytest.fixture(scope="module")
def hostile():
    namespace = {}
    exec(HOSTILE, namespace)
    served = Served(namespace)
    yield served
    served.close()


def test_in_place_changes_come_back_and_a_returned_argument_is_the_original(hostile):
    x = torch.zeros(3)
    out = hostile.function("add_one")(x)
    assert out is x and torch.equal(x, torch.ones(3))


def test_objects_of_the_sandbox_arrive_as_opaque_names_never_unpickled(hostile):
    out = hostile.function("sneaky")(torch.zeros(1))
    assert isinstance(out[0], wire.Opaque) and out[0].type_name == "Sneaky" and out[0] != 1
    assert isinstance(out[1]["k"], wire.Opaque)
    assert not Path("/tmp/aecourse-pwned").exists()
    with pytest.raises(wire.WireError):
        wire.decode(__import__("pickle").dumps({"kind": "result"}))


def test_exceptions_keep_their_kind(hostile):
    with pytest.raises(ValueError, match="bad x"):
        hostile.function("raises_value")(1)
    with pytest.raises(Exception, match="mine") as info:
        hostile.function("raises_custom")(1)
    assert type(info.value).__name__ == "Custom"
    with pytest.raises(NotImplementedError):
        hostile.function("stub")(1)


def test_gradients_follow_the_sandbox_and_generators_their_state(hostile):
    x = torch.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="does not require grad"):
        hostile.function("detached")(x).sum().backward()    # as in one process: a detached result has no graph
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    jacobian = torch.autograd.functional.jacobian(hostile.function("cube"), x)    # several products of one call
    assert torch.allclose(jacobian, torch.diag(3 * x.detach() ** 2))
    g, here = torch.Generator().manual_seed(3), torch.Generator().manual_seed(3)
    assert torch.equal(hostile.function("generator")(4, g), torch.rand(4, generator=here))
    assert torch.equal(g.get_state(), here.get_state())


def test_values_travel_with_their_types():
    value = {"a": [1, 2.5, float("nan"), None, True, "s"], "t": (torch.arange(3, dtype=torch.int16),),
             "b": torch.tensor([1.5], dtype=torch.bfloat16), "c": torch.tensor([1 + 2j]), "n": np.float32(2),
             "m": np.eye(2, dtype=bool), "set": {1, 2}}
    back = wire.decode(wire.encode(value))
    assert back["a"][:2] == [1, 2.5] and np.isnan(back["a"][2]) and back["a"][3:] == [None, True, "s"]
    assert back["t"][0].dtype == torch.int16 and back["b"].dtype == torch.bfloat16 and back["c"].is_complex()
    assert type(back["n"]) is np.float32 and back["m"].dtype == bool and back["set"] == {1, 2}


def test_a_hidden_reference_refuses_callers_outside_the_library():
    hidden = guard.hide(lambda: 42, "aecourse.example.answer")
    del guard.HIDDEN_CALLS[:]
    with pytest.raises(RuntimeError, match="hidden while notebooks are graded"):
        hidden()
    assert guard.HIDDEN_CALLS == ["aecourse.example.answer"]
