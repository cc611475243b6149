"""The messages between the grader and a sandbox, and how each side reads the other's.

A message is 8 bytes of length, then the payload. The two directions are not alike:

- grader -> sandbox: `pickle` (the sandbox unpickling the grader's data is safe; nn.Modules, optimizers and
  tensors travel as they are);
- sandbox -> grader: never pickle. The payload is 4 bytes of header length, a JSON header, then numpy `.npy`
  blobs (`allow_pickle=False`). `encode` turns a value into that form and `decode` rebuilds it from plain types,
  numpy arrays and torch tensors only: whatever the sandbox sends, the grader builds nothing else and runs no
  code of the sandbox's choosing. Anything else (an object with its own `__eq__`, a tensor subclass) arrives as
  an `Opaque` that only knows its type's name.
"""
from __future__ import annotations

import io
import json
import math
import pickle
import socket
import struct
import time

import numpy as np
import torch

MAX_MESSAGE = 256 * 2 ** 20   # bytes a sandbox may send in one message
MAX_DEPTH = 20                # nesting of lists, tuples and dicts in one value
MAX_ITEMS = 100_000           # entries of one list, tuple, dict or set
TORCH_DTYPES = {str(d).removeprefix("torch."): d for d in (
    torch.float64, torch.float32, torch.float16, torch.bfloat16, torch.int64, torch.int32, torch.int16, torch.int8,
    torch.uint8, torch.bool, torch.complex64, torch.complex128)}
NUMPY_KINDS = "biufc"         # bool, int, unsigned, float, complex: no object or structured arrays
SENT_AS = {name: torch.empty(0, dtype=torch.float32 if d == torch.bfloat16 else d).numpy().dtype
           for name, d in TORCH_DTYPES.items()}   # the array `encode` sends each tensor dtype as
MAX_HEADER = 4 * 2 ** 20      # bytes of JSON in one message: json.loads builds up to about 25 times as many, and
                              # holds the grader's GIL meanwhile (classmates' checks wait): 0.1-0.5 s at most
MAX_DECODED = 2 * MAX_MESSAGE  # bytes of arrays and tensors decoded from one message


NO_ANSWER = "no answer before the deadline"


class WireError(RuntimeError):
    """The other side broke the protocol, went silent past its deadline, or hung up."""


class Opaque:
    """A value the sandbox returned that the grader does not rebuild; it only says what type it was."""

    def __init__(self, type_name: str):
        self.type_name = type_name

    def __repr__(self) -> str:
        return f"<{self.type_name} returned from the notebook>"


# ------------------------------------------------------------------------------------------------ framing

def send_frame(sock: socket.socket, payload: bytes) -> None:
    sock.sendall(struct.pack("!Q", len(payload)) + payload)


def recv_frame(sock: socket.socket, deadline: float, limit: int = MAX_MESSAGE) -> bytes:
    """One message, or WireError when it is larger than `limit`, the peer hangs up, or `deadline` passes."""
    (size,) = struct.unpack("!Q", _recv_exact(sock, 8, deadline))
    if size > limit:
        raise WireError(f"a message of {size} bytes is over the limit of {limit}")
    return _recv_exact(sock, size, deadline)


def _recv_exact(sock: socket.socket, size: int, deadline: float) -> bytes:
    chunks, got = [], 0
    while got < size:
        left = deadline - time.monotonic()
        if left <= 0:
            raise WireError(NO_ANSWER)
        sock.settimeout(min(left, 1.0))
        try:
            chunk = sock.recv(min(size - got, 2 ** 20))
        except TimeoutError:
            continue
        except OSError as err:
            raise WireError(f"the connection failed ({err})") from None
        if not chunk:
            raise WireError("the other side hung up")
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def dumps_trusted(message) -> bytes:
    """grader -> sandbox."""
    return pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)


# ------------------------------------------------------------------------------------------------ sandbox -> grader

def encode(value, *, same_as=(), found: list | None = None) -> bytes:
    """The payload for `value` (any nesting of plain types, arrays and tensors). An object that *is* one of
    `same_as` (the call's arguments) is sent as a reference to it, so "return the axes you were given" survives.
    Each tensor sent is appended to `found`, in the order `decode_with_tensors` lists them."""
    blobs: list[bytes] = []
    found = [] if found is None else found

    def blob(array: np.ndarray) -> int:
        buffer = io.BytesIO()
        np.save(buffer, array, allow_pickle=False)
        blobs.append(buffer.getvalue())
        return len(blobs) - 1

    def walk(v, depth):
        if depth > MAX_DEPTH:
            return {"opaque": "a value nested too deeply"}
        for i, arg in enumerate(same_as):
            if v is arg and not isinstance(v, (bool, int, float, str, type(None))):
                return {"arg": i}
        if v is None or isinstance(v, (bool, str)) or type(v) in (int, float):
            return v if not isinstance(v, float) or np.isfinite(v) else {"float": repr(v)}
        if isinstance(v, (list, tuple, set, frozenset, range)):
            kind = {list: "list", tuple: "tuple", range: "list"}.get(type(v), "set")
            return {kind: [walk(x, depth + 1) for x in list(v)[:MAX_ITEMS]]}
        if type(v) is dict:
            return {"dict": [[walk(k, depth + 1), walk(x, depth + 1)] for k, x in list(v.items())[:MAX_ITEMS]]}
        if type(v) is torch.Tensor or type(v) is torch.nn.Parameter:
            t = v.detach().cpu().resolve_conj().resolve_neg()
            if t.layout != torch.strided:
                t = t.to_dense()
            dtype = str(t.dtype).removeprefix("torch.")
            data = t.float().numpy() if t.dtype == torch.bfloat16 else t.numpy()
            found.append(v)
            return {"tensor": blob(data), "dtype": dtype, "grad": v.grad_fn is not None or v.requires_grad}
        if type(v) is np.ndarray and v.dtype.kind in NUMPY_KINDS:
            return {"array": blob(v)}
        if isinstance(v, np.generic) and type(v).__module__ == "numpy" and np.asarray(v).dtype.kind in NUMPY_KINDS:
            return {"scalar": blob(np.asarray(v))}
        return {"opaque": type(v).__qualname__[:100]}

    header = json.dumps({"value": walk(value, 0), "blobs": [len(b) for b in blobs]}).encode()
    return struct.pack("!I", len(header)) + header + b"".join(blobs)


def decode(payload: bytes, *, same_as=()):
    """Rebuild what `encode` sent, from plain types, numpy arrays and torch tensors only; WireError otherwise.
    A tensor that required grad in the sandbox comes back as a plain tensor; `decode_with_tensors` says which."""
    value, _ = decode_with_tensors(payload, same_as=same_as)
    return value


def decode_with_tensors(payload: bytes, *, same_as=()):
    """(value, [(tensor, required_grad_in_sandbox)] in the order they appear). Nothing the payload says makes this
    build more than MAX_DECODED bytes of arrays: each blob is decoded at most once, for one value, into as many
    bytes as it holds, and a tensor's dtype must be its array's (bfloat16 travels as float32)."""
    try:
        header, blobs = _split(payload)
        tensors: list[tuple[torch.Tensor, bool]] = []
        decoded = 0

        def array(i, tensor_dtype: str | None = None) -> np.ndarray:
            nonlocal decoded
            if not isinstance(i, int) or not 0 <= i < len(blobs):
                raise WireError(f"a reference to blob {str(i)[:50]} of {len(blobs)}")
            if blobs[i] is None:
                raise WireError(f"a blob used twice (blob {i})")
            dtype, shape, fortran, start = _npy_header(payload, i, *blobs[i])
            blobs[i] = None
            if tensor_dtype is not None and dtype != SENT_AS[tensor_dtype]:
                raise WireError(f"a tensor of dtype {tensor_dtype} sent as an array of dtype {dtype} "
                                f"(it travels as {SENT_AS[tensor_dtype]})")
            count = math.prod(shape)
            decoded += count * dtype.itemsize
            if decoded > MAX_DECODED:
                raise WireError(f"arrays of {decoded} bytes in all, over the limit of {MAX_DECODED}")
            flat = np.frombuffer(payload, dtype=dtype, count=count, offset=start)
            return flat.reshape(shape, order="F" if fortran else "C").copy(order="K")

        def walk(v, depth):
            if v is None or isinstance(v, (bool, int, float, str)):
                return v
            if not isinstance(v, dict) or len(v) == 0:
                raise WireError(f"an unexpected value of type {type(v).__name__}")
            kind = next((k for k in ("list", "tuple", "set", "dict") if k in v), None)
            if kind is not None:
                if depth > MAX_DEPTH:   # `encode` sends what lies deeper as an opaque
                    raise WireError(f"a value nested more than {MAX_DEPTH} deep")
                if not isinstance(v[kind], list):
                    raise WireError(f"a {kind} whose items are not a list")
                items = v[kind][:MAX_ITEMS]
                if kind != "dict":
                    return {"list": list, "tuple": tuple, "set": _set}[kind]([walk(x, depth + 1) for x in items])
                if not all(isinstance(kx, list) and len(kx) == 2 for kx in items):
                    raise WireError("a dict entry that is not a [key, value] pair")
                return {_key(walk(k, depth + 1)): walk(x, depth + 1) for k, x in items}
            if "float" in v:
                return float(v["float"]) if v["float"] in ("nan", "inf", "-inf") else _bad("a float not nan or inf")
            if "tensor" in v:
                dtype = v.get("dtype")
                if dtype not in TORCH_DTYPES:
                    raise WireError(f"a tensor of unknown dtype {str(dtype)[:50]!r}")
                t = torch.from_numpy(array(v["tensor"], dtype)).to(TORCH_DTYPES[dtype])
                tensors.append((t, bool(v.get("grad"))))
                return t
            if "array" in v:
                return array(v["array"])
            if "scalar" in v:
                return array(v["scalar"])[()]
            if "arg" in v:
                i = v["arg"]
                if not isinstance(i, int) or not 0 <= i < len(same_as):
                    raise WireError(f"a reference to argument {str(i)[:50]} of {len(same_as)}")
                return same_as[i]
            if "opaque" in v:
                return Opaque(str(v["opaque"])[:100])
            raise WireError(f"a value of unknown kind {str(sorted(v))[:100]}")

        return walk(header["value"], 0), tensors
    except WireError:
        raise
    except (ValueError, TypeError, IndexError, RecursionError) as err:
        raise WireError(f"an unreadable value ({type(err).__name__}: {str(err)[:200]})") from None


def _split(payload: bytes) -> tuple[dict, list]:
    """The JSON header and the (start, end) of each blob, which must fill the rest of the payload exactly."""
    if len(payload) < 4:
        raise WireError(f"a message of {len(payload)} bytes, too short for its header's length")
    (size,) = struct.unpack("!I", payload[:4])
    if size > MAX_HEADER:
        raise WireError(f"a header of {size} bytes, over the limit of {MAX_HEADER}")
    if 4 + size > len(payload):
        raise WireError(f"a header of {size} bytes in a message of {len(payload)}")
    try:
        header = json.loads(payload[4:4 + size])
    except (ValueError, RecursionError) as err:
        raise WireError(f"a header that is not JSON ({str(err)[:200]})") from None
    if not isinstance(header, dict) or "value" not in header or not isinstance(header.get("blobs"), list):
        raise WireError("a header without its value and list of blob lengths")
    blobs, start = [], 4 + size
    for length in header["blobs"]:
        if not isinstance(length, int) or length < 0:
            raise WireError(f"a blob length of {str(length)[:50]}")
        blobs.append((start, start + length))
        start += length
    if start != len(payload):
        raise WireError(f"blob lengths that add up to {start - 4 - size} bytes, but {len(payload) - 4 - size} follow "
                        "the header")
    return header, blobs


def _npy_header(payload: bytes, i: int, lo: int, hi: int) -> tuple[np.dtype, tuple, bool, int]:
    """The dtype, shape and order the `.npy` blob payload[lo:hi] declares, and where its data starts, once checked
    to hold exactly that many bytes of a kind in NUMPY_KINDS."""
    fp = io.BytesIO(payload[lo:min(hi, lo + 2 ** 16)])   # numpy refuses headers over 10,000 characters anyway
    try:
        version = np.lib.format.read_magic(fp)
        if version not in ((1, 0), (2, 0)):
            raise WireError(f"blob {i} is in .npy format {version[0]}.{version[1]}, not 1.0 or 2.0")
        read = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        shape, fortran, dtype = read(fp)
    except WireError:
        raise
    except Exception as err:  # noqa: BLE001 (numpy's parser of the header raises ValueError, TokenError, ...)
        raise WireError(f"blob {i} is not a .npy array ({str(err)[:200]})") from None
    if dtype.kind not in NUMPY_KINDS:
        raise WireError(f"blob {i} is an array of dtype {str(dtype)[:100]}")
    if any(n < 0 for n in shape):
        raise WireError(f"blob {i} declares the shape {str(shape)[:100]}")
    start = lo + fp.tell()
    if math.prod(shape) * dtype.itemsize != hi - start:
        raise WireError(f"blob {i} declares {str(shape)[:100]} of {dtype} in {hi - start} bytes of data")
    return dtype, shape, fortran, start


def _bad(why: str):
    raise WireError(why)


def _set(items):
    try:
        return set(items)
    except TypeError:
        raise WireError("a set of unhashable values") from None


def _key(k):
    if isinstance(k, (list, dict, set)) or isinstance(k, (np.ndarray, torch.Tensor)):
        raise WireError("an unhashable dict key")
    return k
