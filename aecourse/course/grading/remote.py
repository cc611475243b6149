"""In the grader: the student's function as a proxy, so the library's own checks decide the points here.

`run_checks(exercise_id, RemoteFunction(link, name))` runs an exercise's cases in the grader's process with the
grader's numpy, torch and expected values; each call of the proxy sends the arguments into the sandbox, where the
student's function runs, and returns what it returned (rebuilt by `wire.decode`: plain data, never the sandbox's
objects). Nothing the notebook does to its own process reaches a verdict.

What a call must carry back besides the result, so the checks see what they would see in one process:

- tensor arguments changed in place and the parameters (and .grad) of nn.Module arguments after, say, an
  optimizer step are copied into the grader's objects; torch.Generator arguments get their new state;
- drawings on a matplotlib Axes argument are replayed on the grader's Axes (scatter points and colours, lines);
- function arguments (a checker's lambda) stay here: the sandbox calls them back;
- gradients: when an argument requires grad, the result is attached to the grader's autograd graph by
  `_RemoteGrad`, whose backward asks the sandbox for the vector-Jacobian product u^T dy/dx of the kept call, so
  `fn(x, r).backward()` fills `r.grad` exactly as if `fn` ran here.
"""
from __future__ import annotations

import builtins
import socket
import time

import torch

from . import wire
from .server import AxesStub, Callback, GeneratorState, tensors_in


class SandboxGone(BaseException):
    """The sandbox stopped answering during a check: a BaseException, so that the checks' own handling of the
    student's errors lets it through and the grader stops that exercise, keeping the cases already checked."""


class Link:
    """The grader's end of one sandbox's socket. After a deadline passes or the peer breaks the protocol the link
    is dead: `on_dead` ends the sandbox and every later call fails at once with the reason."""

    def __init__(self, sock: socket.socket, on_dead=lambda: None):
        self.sock, self.on_dead = sock, on_dead
        self.dead: str | None = None
        self.timed_out = False
        self.deadline = float("inf")
        self.hidden: list[str] = []
        self.calls = 0

    def send(self, message: dict) -> None:
        self._alive()
        try:
            wire.send_frame(self.sock, wire.dumps_trusted(message))
        except OSError as err:
            self.kill(f"the notebook's sandbox stopped answering ({err})")

    def receive(self, timeout: float, *, same_as=()):
        self._alive()
        try:
            payload = wire.recv_frame(self.sock, min(time.monotonic() + timeout, self.deadline))
            return wire.decode_with_tensors(payload, same_as=same_as)
        except wire.WireError as err:
            self.timed_out = str(err) == wire.NO_ANSWER
            self.kill("the notebook's sandbox did not answer in time" if self.timed_out else
                      f"the notebook's sandbox broke off ({err})")

    def kill(self, reason: str):
        if self.dead is None:
            self.dead = reason
            self.on_dead()
        raise wire.WireError(self.dead)

    def _alive(self):
        if self.dead is not None:
            raise wire.WireError(self.dead)


class RemoteFunction:
    """Calls the student's function `name` in the sandbox behind `link`; each call may take `timeout` seconds."""

    def __init__(self, link: Link, name: str, timeout: float):
        self.link, self.name, self.timeout = link, name, timeout
        self.__name__ = name

    def __call__(self, *args, **kwargs):
        try:
            return self._call(args, kwargs)
        except wire.WireError as err:
            raise SandboxGone(str(err)) from None

    def _call(self, args, kwargs):
        link = self.link
        link.calls += 1
        call_id = link.calls
        callbacks, generators, axes = [], [], []
        sent_args, sent_kwargs = _stub((args, kwargs), callbacks, generators, axes, {})
        tracked = tensors_in([args, kwargs])
        try:
            wire.dumps_trusted((sent_args, sent_kwargs))
        except Exception as err:  # noqa: BLE001 (a checker passed something pickle cannot carry: the grader's fault)
            raise RuntimeError(f"the grader could not send this case's arguments into the sandbox ({err}); "
                               "tell the course maintainers: a checker must pass picklable values or functions") \
                from None
        link.send({"op": "call", "id": call_id, "function": self.name, "args": sent_args, "kwargs": sent_kwargs,
                   "rng": torch.get_rng_state(), "grads": [_grad(t) for t in tracked]})
        same_as = tuple(args) + tuple(kwargs.values())
        while True:
            answer, tensors = link.receive(self.timeout, same_as=same_as)
            kind = answer.get("kind") if isinstance(answer, dict) else None
            if kind == "callback":
                self._run_callback(answer, callbacks)
            elif kind == "raised":
                link.hidden += _strings(answer.get("hidden"))
                raise _exception(answer)
            elif kind == "result":
                break
            else:
                link.kill("the notebook's sandbox sent something other than a result")
        link.hidden += _strings(answer.get("hidden"))
        state, _ = link.receive(self.timeout)
        _restore(tracked, state.get("state") if isinstance(state, dict) else None, link)
        for generator, new in zip(generators, _list(answer.get("generators"))):
            old = generator.get_state()
            if isinstance(new, torch.Tensor) and new.dtype == torch.uint8 and new.shape == old.shape:
                generator.set_state(new)
        for ax, drawn in zip(axes, _list(answer.get("axes"))):
            _replay(ax, drawn)
        return self._attach(answer.get("value"), tensors, call_id, tracked)

    def _run_callback(self, answer: dict, callbacks: list) -> None:
        number, args, kwargs = answer.get("callback"), answer.get("args"), answer.get("kwargs")
        if not (isinstance(number, int) and 0 <= number < len(callbacks) and isinstance(args, list)
                and isinstance(kwargs, dict) and all(isinstance(k, str) for k in kwargs)):
            self.link.kill("the notebook's sandbox asked for a function it was not given")
        try:
            self.link.send({"op": "callback_result", "value": callbacks[number](*args, **kwargs)})
        except wire.WireError:
            raise
        except Exception as err:  # noqa: BLE001 (the student called the checker's function wrongly: tell them)
            self.link.send({"op": "callback_error", "message": f"{type(err).__name__}: {err}"[:500]})

    def _attach(self, value, tensors, call_id: int, tracked: list[torch.Tensor]):
        """`value` with its tensors joined to the grader's autograd graph when the sandbox's ones need grad."""
        inputs = [t for t in tracked if t.requires_grad]
        if not inputs or not any(needs for _, needs in tensors):
            return value
        link, timeout = self.link, self.timeout

        def vjp(grads):
            link.send({"op": "backward", "id": call_id, "grads": [g if needs else None for g, (_, needs)
                                                                  in zip(grads, tensors)]})
            answer, _ = link.receive(timeout)
            if isinstance(answer, dict) and answer.get("kind") == "raised":
                raise _exception(answer)
            got = _list(answer.get("grads") if isinstance(answer, dict) else None)
            if len(got) != len(inputs):
                link.kill("the notebook's sandbox sent the wrong number of gradients")
            return [g.to(t.dtype) if isinstance(g, torch.Tensor) and g.shape == t.shape else None
                    for g, t in zip(got, inputs)]

        outputs = _RemoteGrad.apply(vjp, tensors, *inputs)
        return _replace(value, {id(old): new for (old, _), new in zip(tensors, outputs)})


class _RemoteGrad(torch.autograd.Function):
    """Outputs computed in the sandbox, as a function of the grader's `inputs`; backward = the sandbox's VJP."""

    @staticmethod
    def forward(ctx, vjp, tensors, *inputs):
        ctx.vjp = vjp
        outputs = tuple(t.clone() for t, _ in tensors)
        ctx.mark_non_differentiable(*[o for o, (_, needs) in zip(outputs, tensors)
                                      if not (needs and (o.is_floating_point() or o.is_complex()))])
        return outputs

    @staticmethod
    def backward(ctx, *grads):
        return (None, None, *ctx.vjp(list(grads)))


# ------------------------------------------------------------------------------------------------ helpers

def _stub(value, callbacks: list, generators: list, axes: list, memo: dict):
    """The argument as the sandbox gets it: tensors as fresh leaves (one per tensor, however often it is passed),
    functions, generators and axes as stubs."""
    if isinstance(value, torch.Tensor):
        if id(value) not in memo:
            memo[id(value)] = value.detach().clone().requires_grad_(value.requires_grad)
        return memo[id(value)]
    if isinstance(value, torch.Generator):
        generators.append(value)
        return GeneratorState(value.get_state())
    if type(value).__module__.startswith("matplotlib") and hasattr(value, "scatter"):
        axes.append(value)
        return AxesStub()
    if isinstance(value, (list, tuple)):
        items = [_stub(v, callbacks, generators, axes, memo) for v in value]
        return items if isinstance(value, list) else tuple(items)
    if isinstance(value, dict):
        return {k: _stub(v, callbacks, generators, axes, memo) for k, v in value.items()}
    if callable(value) and not isinstance(value, (type, torch.nn.Module)):
        callbacks.append(value)
        return Callback(len(callbacks) - 1)
    return value


def _grad(t: torch.Tensor):
    return t.grad.detach().clone() if t.is_leaf and t.grad is not None else None


def _restore(tracked: list[torch.Tensor], state, link: Link) -> None:
    """Copy into the grader's tensors what the student's function did to the sandbox's copies."""
    state = _list(state)
    if len(state) != len(tracked):
        link.kill("the notebook's sandbox sent the wrong number of argument states")
    for t, item in zip(tracked, state):
        data, grad = item if isinstance(item, list) and len(item) == 2 else (None, None)
        if not isinstance(data, torch.Tensor):
            continue
        with torch.no_grad():
            if data.shape != t.shape:          # reshaped in place (unsqueeze_, resize_): the grader's sees it too
                t.data = data.to(t.dtype)
            elif not torch.equal(data.to(t.dtype), t.detach()):
                t.copy_(data.to(t.dtype))
        if t.is_leaf and t.requires_grad:
            t.grad = grad.to(t.dtype) if isinstance(grad, torch.Tensor) and grad.shape == t.shape else None


def _replay(ax, drawn) -> None:
    import numpy as np
    for item in _list(drawn):
        if not isinstance(item, dict):
            continue
        if item.get("kind") == "scatter":
            xy, colors = np.asarray(item.get("offsets"), float), np.asarray(item.get("colors"), float)
            if xy.ndim == 2 and xy.shape[1] == 2 and colors.ndim == 2 and colors.shape[1] == 4 and len(colors):
                ax.scatter(xy[:, 0], xy[:, 1], c=colors if len(colors) == len(xy) else colors[:1])
        elif item.get("kind") == "line":
            xy = np.asarray(item.get("xy"), float)
            if xy.ndim == 2 and xy.shape[1] == 2:
                ax.plot(xy[:, 0], xy[:, 1])


def _replace(value, mapping: dict):
    if isinstance(value, torch.Tensor):
        return mapping.get(id(value), value)
    if isinstance(value, (list, tuple)):
        items = [_replace(v, mapping) for v in value]
        return items if isinstance(value, list) else tuple(items)
    if isinstance(value, dict):
        return {k: _replace(v, mapping) for k, v in value.items()}
    return value


def _exception(answer: dict) -> Exception:
    """The student's exception, as one the checks classify alike: builtin types by name (NotImplementedError
    means "not attempted"), any other as an Exception subclass of the same name."""
    name = answer.get("type") if isinstance(answer.get("type"), str) else "Exception"
    message = f"{answer.get('message')}{answer.get('where') or ''}"[:2000]
    kind = getattr(builtins, name, None)
    if not (isinstance(kind, type) and issubclass(kind, Exception)):
        kind = type(name if name.isidentifier() and len(name) < 80 else "Exception", (Exception,), {})
    try:
        return kind(message)
    except Exception:  # noqa: BLE001 (a builtin that wants other arguments, e.g. UnicodeDecodeError)
        return RuntimeError(f"{name}: {message}")


def _list(value) -> list:
    return list(value) if isinstance(value, (list, tuple)) else []


def _strings(value) -> list[str]:
    return [str(v)[:200] for v in _list(value) if isinstance(v, str)][:20]
