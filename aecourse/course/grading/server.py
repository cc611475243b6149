"""Inside the sandbox, after the student's cells: serve calls of the student's functions to the grader.

The executor's last cell is `serve(globals(), SOCKET, RUN)`. It connects to the grader's socket, says hello (how
the notebook ran, and what it noticed the notebook change), then answers, one at a time:

- `call`: run the student's function on the arguments the grader sent (pickled by the grader: tensors, arrays,
  nn.Modules, optimizers; `Callback`, `GeneratorState` and `AxesStub` stand for what does not travel) and send back
  the result, the final state of every tensor argument (an optimizer step changes a model's weights), the
  generators' states and what was drawn on the axes. Outputs that need gradients keep their graph here;
- `backward`: the vector-Jacobian product of a kept call's outputs, for the grader's autograd (`remote.py`);
- `lookup`: is the function defined (and else, which functions are);
- `bye`: stop.

Nothing here is trusted: the student's code ran first in this process and may have replaced any of it. The
grader treats every answer as the student's function's output and checks it with its own code and values.
"""
from __future__ import annotations

import socket
import sys
import time
import traceback
import types

import torch

from . import wire
from .guard import HIDDEN_CALLS

_LINK: socket.socket | None = None


class Callback:
    """A function argument the grader keeps (a lambda of the checker): calling it asks the grader to run it."""

    def __init__(self, number: int):
        self.number = number

    def __call__(self, *args, **kwargs):
        wire.send_frame(_LINK, wire.encode({"kind": "callback", "callback": self.number, "args": list(args),
                                            "kwargs": kwargs}))
        answer = _receive(time.monotonic() + 3600)
        if answer.get("op") != "callback_result":
            raise RuntimeError(f"the grader could not run the function it passed: {answer.get('message')}")
        return answer["value"]


class GeneratorState:
    """A torch.Generator argument, by its state."""

    def __init__(self, state: torch.Tensor):
        self.state = state


class AxesStub:
    """A matplotlib Axes argument: the student draws on fresh axes here, the grader replays what was drawn."""


def tensors_in(value, seen=None) -> list[torch.Tensor]:
    """Every tensor of an argument, in a fixed order: tensors in lists, tuples and dicts, and the parameters and
    buffers of nn.Modules. The grader and the sandbox walk their own copies alike and get matching lists."""
    seen = set() if seen is None else seen
    found = []
    if id(value) in seen:
        return found
    seen.add(id(value))
    if isinstance(value, torch.Tensor):
        found.append(value)
    elif isinstance(value, torch.nn.Module):
        found += [t for t in list(value.parameters()) + list(value.buffers()) if id(t) not in seen]
        seen.update(id(t) for t in found)
    elif isinstance(value, (list, tuple)):
        for v in value:
            found += tensors_in(v, seen)
    elif isinstance(value, dict):
        for v in value.values():
            found += tensors_in(v, seen)
    return found


def _receive(deadline: float) -> dict:
    return __import__("pickle").loads(wire.recv_frame(_LINK, deadline, limit=2 ** 40))


def _unstub(value, axes: list, generators: list):
    if isinstance(value, GeneratorState):
        g = torch.Generator()
        g.set_state(value.state)
        generators.append(g)
        return g
    if isinstance(value, AxesStub):
        import matplotlib.pyplot as plt
        ax = plt.subplots()[1]
        axes.append(ax)
        return ax
    if isinstance(value, (list, tuple)):
        items = [_unstub(v, axes, generators) for v in value]
        return items if isinstance(value, list) else tuple(items)
    if isinstance(value, dict):
        return {k: _unstub(v, axes, generators) for k, v in value.items()}
    return value


def drawing(ax) -> list[dict]:
    """What was drawn on an Axes, as data: each collection's points and face colours, each line's points."""
    import numpy as np
    ax.figure.canvas.draw()
    drawn = [{"kind": "scatter", "offsets": np.asarray(c.get_offsets(), dtype=float),
              "colors": np.asarray(c.get_facecolors(), dtype=float)} for c in ax.collections]
    drawn += [{"kind": "line", "xy": np.asarray(line.get_xydata(), dtype=float)} for line in ax.lines]
    return drawn


def _where(err: BaseException) -> str:
    frames = [f for f in traceback.extract_tb(err.__traceback__) if f.filename.startswith("<")
              or "ipykernel" in f.filename]
    return f" (at line {frames[-1].lineno}: {frames[-1].line})" if frames and frames[-1].line else ""


def _call(namespace: dict, message: dict, pending: dict) -> list[bytes]:
    """The result (its tensors first, in the order `pending` keeps them), then the arguments' final state."""
    fn = namespace.get(message["function"])
    axes, generators = [], []
    args = _unstub(message["args"], axes, generators)
    kwargs = _unstub(message["kwargs"], axes, generators)
    tracked = tensors_in([args, kwargs])
    for t, grad in zip(tracked, message["grads"]):
        if t.is_leaf:
            t.grad = grad
    torch.set_rng_state(message["rng"])
    del HIDDEN_CALLS[:]
    same_as = tuple(args) + tuple(kwargs.values())
    try:
        value = fn(*args, **kwargs)
        if isinstance(value, types.GeneratorType):
            value = list(value)
    except KeyboardInterrupt:
        raise
    except BaseException as err:  # noqa: BLE001 (the student's error, SystemExit included, told to the grader)
        return [wire.encode({"kind": "raised", "type": type(err).__name__, "message": str(err)[:2000],
                             "where": _where(err), "hidden": list(HIDDEN_CALLS)})]
    outputs: list[torch.Tensor] = []
    state = [[t.detach(), t.grad.detach() if t.grad is not None else None] for t in tracked]
    payload = wire.encode({"kind": "result", "value": value, "hidden": list(HIDDEN_CALLS),
                           "generators": [g.get_state() for g in generators],
                           "axes": [drawing(ax) for ax in axes]}, same_as=same_as, found=outputs)
    for ax in axes:
        __import__("matplotlib.pyplot").pyplot.close(ax.figure)
    pending[message["id"]] = (outputs, [t for t in tracked if t.requires_grad])
    return [payload, wire.encode({"kind": "state", "state": state})]


def _backward(message: dict, pending: dict) -> bytes:
    outputs, inputs = pending[message["id"]]   # kept: a Jacobian asks for several products of one call
    pairs = [(o, g) for o, g in zip(outputs, message["grads"]) if g is not None and o.grad_fn is not None]
    if not pairs or not inputs:
        return wire.encode({"kind": "grads", "grads": [None] * len(inputs)})
    grads = torch.autograd.grad([o for o, _ in pairs], inputs, [g.to(o.dtype) for o, g in pairs],
                                retain_graph=True, allow_unused=True)
    return wire.encode({"kind": "grads", "grads": list(grads)})


def _notebooks(value) -> bool:
    """A function the notebook defined (its cells run as __main__)."""
    return isinstance(value, types.FunctionType) and value.__module__ == "__main__"


def _replaced() -> list[str]:
    found = []
    for name, module in list(sys.modules.items()):
        if not isinstance(module, types.ModuleType) or name.split(".")[0] not in ("aecourse", "numpy", "torch"):
            continue
        for key, value in list(vars(module).items()):
            if _notebooks(value):
                found.append(f"{name}.{key} was replaced by the notebook's own function")
    return found


def noticed(namespace: dict) -> list[str]:
    """What the notebook changed that a grader of the old kind trusted: informational only (the grader decides
    the points without any of it), it flags a notebook for the instructor to read."""
    found = []
    with __import__("warnings").catch_warnings():
        __import__("warnings").simplefilter("ignore")
        found += _replaced()
    checks = sys.modules.get("aecourse.course.checks")
    replaced = [key for key, spec in list(getattr(checks, "REGISTRY", {}).items())
                if not isinstance(getattr(spec, "checker", None), types.FunctionType) or _notebooks(spec.checker)]
    if replaced:
        found.append(f"the checkers of {len(replaced)} exercises were replaced ({', '.join(replaced[:5])}...)")
    shell = namespace.get("get_ipython", lambda: None)()
    for event in ("pre_run_cell", "post_run_cell", "pre_execute", "post_execute"):
        for callback in (shell.events.callbacks.get(event, []) if shell is not None else []):
            if _notebooks(callback):
                found.append(f"the notebook registered a {event} hook")
    if sys.gettrace() is not None or sys.getprofile() is not None:
        found.append("the notebook installed a trace or profile function")
    found += [f"the notebook defines {k}, a name of the grader's" for k in namespace if k.startswith("_aecourse")]
    return sorted(set(found))[:20]


def serve(namespace: dict, path: str, run: dict) -> None:
    """Connect to the grader at `path` and answer its messages until it says bye or hangs up."""
    global _LINK
    _LINK = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    _LINK.connect(path)
    wire.send_frame(_LINK, wire.encode({"kind": "hello", "run": run, "noticed": noticed(namespace)}))
    pending: dict = {}
    while True:
        try:
            message = _receive(time.monotonic() + 3600)
        except wire.WireError:
            return
        op = message.get("op")
        if op == "bye":
            return
        try:
            payloads = _answer(namespace, message, pending)
        except Exception as err:  # noqa: BLE001 (the grader's request failed here: say so, keep serving)
            payloads = [wire.encode({"kind": "raised", "type": type(err).__name__, "message": str(err)[:2000],
                                     "where": _where(err), "hidden": list(HIDDEN_CALLS)})]
        for payload in payloads:
            wire.send_frame(_LINK, payload)


def _answer(namespace: dict, message: dict, pending: dict) -> list[bytes]:
    op = message.get("op")
    if op == "lookup":
        fn = namespace.get(message["function"])
        defined = sorted(k for k, v in namespace.items() if isinstance(v, types.FunctionType) and not k.startswith("_"))
        return [wire.encode({"kind": "lookup", "found": callable(fn), "defined": defined})]
    if op == "call":
        return _call(namespace, message, pending)
    if op == "backward":
        return [_backward(message, pending)]
    raise ValueError(f"unknown request {op!r}")
