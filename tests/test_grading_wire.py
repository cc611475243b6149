"""What the sandbox sends the grader (`wire.encode`) and how the grader rebuilds it (`wire.decode_with_tensors`):
every kind of value comes back as it was sent, and a hostile sandbox's payload is refused with a WireError that says
what was wrong, quickly and without the grader allocating much more than the payload's own size (the hostile
payloads are decoded in a child process whose address space may grow by at most 1 GiB)."""
import io
import json
import re
import struct
import subprocess
import sys

import numpy as np
import pytest
import torch

from aecourse.course.grading import wire

# ------------------------------------------------------------------------------------------------ round trips

def _round_trip(value, same_as=()):
    return wire.decode(wire.encode(value, same_as=same_as), same_as=same_as)


@pytest.mark.parametrize("name", sorted(wire.TORCH_DTYPES))
def test_a_tensor_of_every_dtype_comes_back_with_its_dtype_values_and_grad(name):
    dtype = wire.TORCH_DTYPES[name]
    values = torch.tensor([[0, 1, 2], [3, 4, 5]]).to(dtype) if dtype != torch.bool else torch.eye(2, 3).bool()
    sent = [values.clone().requires_grad_(dtype.is_floating_point or dtype.is_complex), values.t(), values[:0]]
    found = []
    back, tensors = wire.decode_with_tensors(wire.encode(sent, found=found))
    assert [t.dtype for t in back] == [dtype] * 3 and [t.shape for t in back] == [(2, 3), (3, 2), (0, 3)]
    assert torch.equal(back[0], values) and torch.equal(back[1], values.t()) and back[0] is not sent[0]
    assert [id(t) for t in found] == [id(t) for t in sent] and [id(t) for t, _ in tensors] == [id(t) for t in back]
    assert [g for _, g in tensors] == [sent[0].requires_grad, False, False]


def test_tensor_views_parameters_and_generator_states_come_back_as_plain_tensors():
    z = torch.tensor([1 + 2j, 3 - 4j])
    sparse = torch.eye(3).to_sparse()
    state = torch.Generator().manual_seed(0).get_state()
    back = _round_trip([z.conj(), (-torch.ones(2))._neg_view(), sparse, torch.nn.Parameter(torch.ones(2)), state,
                        torch.tensor(2.5, dtype=torch.bfloat16)])
    assert torch.equal(back[0], torch.tensor([1 - 2j, 3 + 4j])) and not back[0].is_conj()
    assert torch.equal(back[1], torch.ones(2)) and torch.equal(back[2], torch.eye(3))
    assert type(back[3]) is torch.Tensor and torch.equal(back[4], state)
    assert back[5].dtype == torch.bfloat16 and back[5].shape == () and back[5].item() == 2.5


@pytest.mark.parametrize("dtype", [bool, np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32,
                                   np.uint64, np.float16, np.float32, np.float64, np.longdouble, np.complex64,
                                   np.complex128, ">f8", ">i4"])
def test_arrays_and_numpy_scalars_of_every_kind_come_back_with_their_dtype(dtype):
    a = np.arange(12).reshape(3, 4).astype(dtype)
    sent = [a, np.asfortranarray(a), a[:, ::2], a[:0], a[1, 2], a.reshape(-1)[5:6].reshape(())]
    back = _round_trip(sent)
    for b, s in zip(back, sent):
        assert type(b) is type(s) and b.dtype == s.dtype and np.shape(b) == np.shape(s) and np.array_equal(b, s)
    assert back[1].flags.f_contiguous and back[0].flags.writeable


def test_plain_values_keep_their_types_and_nesting():
    value = {"a": [1, -2 ** 70, 2.5, float("nan"), float("inf"), -float("inf"), None, True, "s", ""],
             (1, "k"): ({1, 2}, frozenset({3}), range(3), ()), 3: {"inner": {"x": [[[]]]}}, None: [np.float32(2)]}
    back = _round_trip(value)
    assert back["a"][:3] == [1, -2 ** 70, 2.5] and np.isnan(back["a"][3]) and back["a"][4:] == value["a"][4:]
    assert back[(1, "k")] == ({1, 2}, {3}, [0, 1, 2], ()) and back[3] == value[3]
    assert type(back[None][0]) is np.float32 and back[None][0] == 2


def test_the_arguments_come_back_as_themselves_and_other_objects_as_opaque_names():
    x, model = torch.zeros(3), torch.nn.Linear(2, 2)
    back = _round_trip([x, {"m": model}, object(), x.clone()], same_as=(1, x))
    assert back[0] is x and isinstance(back[1]["m"], wire.Opaque) and back[1]["m"].type_name == "Linear"
    assert back[2].type_name == "object" and back[3] is not x and torch.equal(back[3], x)


def test_what_lies_deeper_than_max_depth_arrives_as_an_opaque():
    value = inner = []
    for _ in range(wire.MAX_DEPTH + 5):
        inner.append([])
        inner = inner[0]
    back = _round_trip(value)
    for _ in range(wire.MAX_DEPTH + 1):
        back = back[0]
    assert isinstance(back, wire.Opaque) and back.type_name == "a value nested too deeply"
    deepest = []
    for _ in range(wire.MAX_DEPTH):
        deepest = [deepest]
    assert wire.decode(_payload(_nested(wire.MAX_DEPTH))) == deepest   # what encode sends nests no deeper


# ------------------------------------------------------------------------------------------------ hostile payloads

def _payload(value, blobs=(), lengths=None) -> bytes:
    header = json.dumps({"value": value, "blobs": [len(b) for b in blobs] if lengths is None else lengths}).encode()
    return struct.pack("!I", len(header)) + header + b"".join(blobs)


def _npy(array) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=array.dtype.kind == "O")
    return buffer.getvalue()


def _npy_declaring(shape, descr="<f8", data=b"\0" * 8, version=(1, 0)) -> bytes:
    buffer = io.BytesIO()
    write = np.lib.format.write_array_header_1_0 if version == (1, 0) else np.lib.format.write_array_header_2_0
    write(buffer, {"descr": descr, "fortran_order": False, "shape": shape})
    return buffer.getvalue() + data


def _nested(depth: int):
    value = {"list": []}
    for _ in range(depth):
        value = {"list": [value]}
    return value


def _raw(header: bytes) -> bytes:
    return struct.pack("!I", len(header)) + header


def _one_mib_blob() -> bytes:
    return _npy(np.zeros(2 ** 20, dtype=np.uint8))


def _json_at_max_header() -> bytes:
    empties = (wire.MAX_HEADER - 40) // 3
    header = b'{"value": {"list": [' + b"[]," * empties + b'[]]}, "blobs": []}'
    assert len(header) <= wire.MAX_HEADER
    return _raw(header)


HOSTILE = {   # name: (the payload, made when the tests run; what the WireError says, a regular expression)
    "100,000 references to one 1 MiB uint8 blob as complex128": (
        lambda: _payload({"list": [{"tensor": 0, "dtype": "complex128"}] * 100_000}, [_one_mib_blob()]),
        "a tensor of dtype complex128 sent as an array of dtype uint8"),
    "100,000 references to one blob with its own dtype": (
        lambda: _payload({"list": [{"tensor": 0, "dtype": "uint8"}] * 100_000}, [_one_mib_blob()]),
        r"a blob used twice \(blob 0\)"),
    "an array and a scalar from one blob": (
        lambda: _payload({"list": [{"array": 0}, {"scalar": 0}]}, [_one_mib_blob()]), "a blob used twice"),
    "a float32 tensor sent as float64": (
        lambda: _payload({"tensor": 0, "dtype": "float32"}, [_npy(np.zeros(4))]),
        "a tensor of dtype float32 sent as an array of dtype float64"),
    "a bfloat16 tensor sent as float64": (
        lambda: _payload({"tensor": 0, "dtype": "bfloat16"}, [_npy(np.zeros(4))]),
        r"a tensor of dtype bfloat16 sent as an array of dtype float64 \(it travels as float32\)"),
    "a float64 tensor sent big-endian": (
        lambda: _payload({"tensor": 0, "dtype": "float64"}, [_npy(np.zeros(4, ">f8"))]),
        "a tensor of dtype float64 sent as an array of dtype >f8"),
    "a tensor of a dtype torch lacks": (
        lambda: _payload({"tensor": 0, "dtype": "float128"}, [_npy(np.zeros(4))]),
        "a tensor of unknown dtype 'float128'"),
    "a .npy header declaring 4 GiB in 8 bytes": (
        lambda: _payload({"array": 0}, [_npy_declaring((2 ** 16, 2 ** 13))]),
        r"blob 0 declares \(65536, 8192\) of float64 in 8 bytes of data"),
    "a .npy header declaring 2**80 elements": (
        lambda: _payload({"tensor": 0, "dtype": "float64"}, [_npy_declaring((2 ** 40, 2 ** 40), version=(2, 0))]),
        "blob 0 declares"),
    "a .npy header declaring fewer bytes than it holds": (
        lambda: _payload({"array": 0}, [_npy_declaring((1,), data=b"\0" * 16)]),
        r"blob 0 declares \(1,\) of float64 in 16 bytes"),
    "a .npy header with a negative dimension": (
        lambda: _payload({"array": 0}, [_npy_declaring((-1, -1))]), r"blob 0 declares the shape \(-1, -1\)"),
    "a .npy header 200 MB long": (
        lambda: _payload({"array": 0}, [_npy_declaring((1,), version=(2, 0))[:8] + struct.pack("<I", 200_000_000)]),
        "blob 0 is not a .npy array"),
    "a .npy of format version 3": (
        lambda: _payload({"array": 0}, [_npy_declaring((1,))[:6] + b"\3\0" + _npy_declaring((1,))[8:]]),
        "blob 0 is in .npy format 3.0, not 1.0 or 2.0"),
    "a blob that is not .npy": (
        lambda: _payload({"array": 0}, [b"\x93NUMPX" + b"\0" * 100]), "blob 0 is not a .npy array"),
    "an object array": (
        lambda: _payload({"array": 0}, [_npy(np.array([None, 1], dtype=object))]),
        "blob 0 is an array of dtype object"),
    "a structured array": (
        lambda: _payload({"array": 0}, [_npy(np.zeros(2, dtype="i4,f8"))]), "blob 0 is an array of dtype"),
    "a subarray dtype": (
        lambda: _payload({"array": 0}, [_npy_declaring((1,), descr=("<f8", (2 ** 20,)))]),
        "blob 0 is an array of dtype"),
    "a reference to a blob that is not there": (
        lambda: _payload({"array": 1}, [_npy(np.zeros(1))]), "a reference to blob 1 of 1"),
    "blob lengths that reach past the payload": (
        lambda: _payload({"array": 0}, [_npy(np.zeros(1))], lengths=[1000, 1000]),
        "blob lengths that add up to 2000 bytes, but 136 follow the header"),
    "blob lengths that leave part of the payload out": (
        lambda: _payload({"array": 0}, [_npy(np.zeros(1)), _npy(np.zeros(1))], lengths=[136]),
        "blob lengths that add up to 136 bytes, but 272 follow the header"),
    "a negative blob length, for blobs that overlap": (
        lambda: _payload({"array": 1}, [_npy(np.zeros(1))], lengths=[136, -64]), "a blob length of -64"),
    "a header over MAX_HEADER": (
        lambda: struct.pack("!I", wire.MAX_HEADER + 1) + b"[]," * (wire.MAX_HEADER // 3 + 1),
        f"a header of {wire.MAX_HEADER + 1} bytes, over the limit of {wire.MAX_HEADER}"),
    "a header of MAX_HEADER bytes of empty lists": (_json_at_max_header, "an unexpected value of type list"),
    "a header longer than the message": (
        lambda: struct.pack("!I", 1000) + b"{}", "a header of 1000 bytes in a message of 6"),
    "a header that is not JSON": (lambda: _raw(b"{x}"), "a header that is not JSON"),
    "JSON nested 100,000 deep": (lambda: _raw(b"[" * 100_000 + b"]" * 100_000), "a header that is not JSON"),
    "a header without its blob lengths": (lambda: _raw(b'{"value": 1}'), "a header without its value"),
    "a value nested deeper than MAX_DEPTH": (
        lambda: _payload(_nested(wire.MAX_DEPTH + 1)), f"a value nested more than {wire.MAX_DEPTH} deep"),
    "a dict entry that is not a pair": (
        lambda: _payload({"dict": [[1, 2, 3]]}), r"a dict entry that is not a \[key, value\] pair"),
    "a list that is a string": (lambda: _payload({"list": "abc"}), "a list whose items are not a list"),
    "a value of an unknown kind": (lambda: _payload({"module": "os"}), r"a value of unknown kind \['module'\]"),
    "a float that is not nan or inf": (lambda: _payload({"float": "1e999"}), "a float not nan or inf"),
    "a reference to no argument": (lambda: _payload({"arg": 3}), "a reference to argument 3 of 0"),
    "a set of lists": (lambda: _payload({"set": [{"list": []}]}), "a set of unhashable values"),
    "a pickle": (lambda: __import__("pickle").dumps({"kind": "result"}), "bytes, over the limit of"),
    "two bytes": (lambda: b"\0\0", "a message of 2 bytes, too short for its header's length"),
}

CHILD = """
import json, resource, sys, time
import torch
from aecourse.course.grading import wire
torch.set_num_threads(1)
names = json.loads(sys.argv[2])
def vm():
    return next(int(line.split()[1]) * 1024 for line in open("/proc/self/status") if line.startswith("VmSize:"))
resource.setrlimit(resource.RLIMIT_AS, (vm() + int(sys.argv[1]), resource.RLIM_INFINITY))
rss, results = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, {}
for i, name in enumerate(names):
    payload = open(f"{i}.bin", "rb").read()
    start = time.perf_counter()
    try:
        wire.decode_with_tensors(payload)
        results[name] = ["nothing raised", ""]
    except Exception as err:
        results[name] = [type(err).__name__, str(err)]
    results[name].append(time.perf_counter() - start)
    del payload
results["grown (KiB)"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss
print(json.dumps(results))
"""


@pytest.fixture(scope="module")
def refused(tmp_path_factory):
    """{name: [exception type, message, seconds]} for each of HOSTILE, decoded in a child allowed 1 GiB more."""
    folder = tmp_path_factory.mktemp("hostile")
    for i, (payload, _) in enumerate(HOSTILE.values()):
        (folder / f"{i}.bin").write_bytes(payload())
    run = subprocess.run([sys.executable, "-c", CHILD, str(2 ** 30), json.dumps(list(HOSTILE))], cwd=folder,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads(run.stdout)


@pytest.mark.parametrize("name", list(HOSTILE))
def test_a_hostile_payload_is_refused_quickly_saying_what_was_wrong(refused, name):
    kind, message, seconds = refused[name]
    assert kind == "WireError", f"{kind}: {message}"
    assert re.search(HOSTILE[name][1], message), message
    assert seconds < 10


def test_refusing_every_hostile_payload_takes_little_memory(refused):
    assert refused["grown (KiB)"] < 700 * 1024   # the header of MAX_HEADER bytes of `[],` alone: about 400 MiB


def test_the_bytes_decoded_from_one_message_are_capped(monkeypatch):
    payload = _payload({"list": [{"array": 0}, {"tensor": 1, "dtype": "float64"}]}, [_npy(np.zeros(100))] * 2)
    monkeypatch.setattr(wire, "MAX_DECODED", 1000)
    with pytest.raises(wire.WireError, match="arrays of 1600 bytes in all, over the limit of 1000"):
        wire.decode(payload)
    monkeypatch.setattr(wire, "MAX_DECODED", 1600)
    assert len(wire.decode(payload)) == 2

