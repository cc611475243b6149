"""aecourse.validation at its edges: every bound of the validators (inclusive or open) and each message in full."""
import numpy as np
import pytest
import torch

from aecourse.validation import (
    _describe,
    as_numpy,
    as_tensor,
    check_bits,
    check_choice,
    check_codes,
    check_data,
    check_labels,
    check_number,
    check_packed,
    check_positive_int,
    check_radius,
    packed_width,
    to_numpy,
)


def test_check_data_accepts_and_returns_its_input():
    x = np.zeros((2, 3), np.float32)
    assert check_data(x) is x
    t = torch.zeros(2, 3, dtype=torch.float64)
    assert check_data(t, n_features=3) is t
    assert check_data(np.zeros((0, 3)), allow_empty=True).shape == (0, 3)
    assert check_data(np.zeros((2, 3, 4)), ndim=3, n_features=4).shape == (2, 3, 4)
    assert check_data(np.zeros(3), ndim=1).shape == (3,)
    assert check_data(np.zeros((2, 3), np.float16)).dtype == np.float16


@pytest.mark.parametrize("x, kwargs, error, message", [
    ([[1.0]], {}, TypeError, "x: expected a numpy array or torch tensor, got a list: wrap it with "
                             "np.asarray(x, dtype=np.float32)"),
    ((1.0,), {"name": "codes"}, TypeError, "codes: expected a numpy array or torch tensor, got a tuple: wrap it "
                                           "with np.asarray(codes, dtype=np.float32)"),
    ("abc", {}, TypeError, "x: expected a numpy array or torch tensor, got str 'abc'"),
    (np.zeros((2, 2), int), {}, TypeError, "x: expected floating-point values, got dtype int64: convert with "
                                           "x.astype(np.float32) (numpy) or x.float() (torch)"),
    (torch.zeros(2, 2, dtype=torch.int32), {}, TypeError, "x: expected floating-point values, got dtype torch.int32"
                                                          ": convert with x.astype(np.float32) (numpy) or x.float() "
                                                          "(torch)"),
    (np.zeros((2, 2, 2)), {}, ValueError, "x: expected a 2-D array (n_samples, n_features), got shape (2, 2, 2): "
                                          "flatten images first, e.g. x.reshape(len(x), -1)"),
    (np.zeros(2), {}, ValueError, "x: expected a 2-D array (n_samples, n_features), got shape (2,): add a batch "
                                  "dimension, e.g. x.reshape(1, -1)"),
    (np.zeros(()), {}, ValueError, "x: expected a 2-D array (n_samples, n_features), got shape ():"),
    (np.zeros((2, 2)), {"ndim": 3}, ValueError, "x: expected a 3-D array 3 dimensions, got shape (2, 2): add a "
                                                "batch dimension, e.g. x.reshape(1, -1)"),
    (np.zeros((0, 2)), {}, ValueError, "x: expected at least one sample and one feature, got shape (0, 2): check "
                                       "that the data loaded and the split is not empty"),
    (np.zeros((2, 0)), {}, ValueError, "x: expected at least one sample and one feature, got shape (2, 0)..."),
    (np.zeros(0), {"ndim": 1}, ValueError, "x: expected at least one sample and one feature, got shape (0,)..."),
    (np.zeros((2, 3)), {"n_features": 4}, ValueError, "x: expected 4 features per sample, got 3 (shape (2, 3)): the "
                                                      "model and the data must agree on the input size"),
    (np.array([[0.0, np.inf]]), {}, ValueError, "x: expected finite values, got NaN or inf: find them with "
                                                "np.isfinite(x) and drop or impute those entries"),
    (torch.tensor([[0.0, float("nan")]]), {}, ValueError, "x: expected finite values, got NaN or inf..."),
    (np.array([[0.0, -np.inf]]), {"allow_empty": True}, ValueError, "x: expected finite values..."),
])
def test_check_data_messages(x, kwargs, error, message):
    with pytest.raises(error) as info:
        check_data(x, **kwargs)
    text = str(info.value)
    assert text.startswith(message[:-3]) if message.endswith("...") else text == message, text


def test_check_positive_int_bounds():
    assert check_positive_int(1, "n") == 1 and check_positive_int(np.int64(5), "n") == 5
    assert type(check_positive_int(np.int64(5), "n")) is int
    assert check_positive_int(0, "n", minimum=0) == 0
    assert check_positive_int(-3, "n", minimum=-3) == -3
    for value, error, message in [(0, ValueError, "n: expected an integer >= 1, got 0"),
                                  (-1, ValueError, "n: expected an integer >= 1, got -1"),
                                  (True, TypeError, "n: expected an integer >= 1, got bool True"),
                                  (2.0, TypeError, "n: expected an integer >= 1, got float 2.0"),
                                  ("3", TypeError, "n: expected an integer >= 1, got str '3'")]:
        with pytest.raises(error) as info:
            check_positive_int(value, "n")
        assert str(info.value) == message
    with pytest.raises(ValueError) as info:
        check_positive_int(1, "k", minimum=2)
    assert str(info.value) == "k: expected an integer >= 2, got 1"


def test_check_number_bounds():
    assert check_number(0.0, "a", low=0.0) == 0.0 and check_number(1.0, "a", high=1.0) == 1.0
    assert check_number(np.float32(0.5), "a") == 0.5 and type(check_number(3, "a")) is float
    assert check_number(-1e300, "a") == -1e300
    cases = [
        ((0.0, "a"), {"low": 0.0, "low_open": True}, "a: expected a number in (0, inf], got 0"),
        ((-0.1, "a"), {"low": 0.0}, "a: expected a number in [0, inf], got -0.1"),
        ((1.0, "a"), {"high": 1.0, "high_open": True}, "a: expected a number in [-inf, 1), got 1"),
        ((1.5, "a"), {"high": 1.0}, "a: expected a number in [-inf, 1], got 1.5"),
        ((1.0, "a"), {"low": 0.0, "high": 1.0, "low_open": True, "high_open": True},
         "a: expected a number in (0, 1), got 1"),
        ((0.0, "a"), {"low": 0.0, "high": 1.0, "low_open": True, "high_open": True},
         "a: expected a number in (0, 1), got 0"),
    ]
    for args, kwargs, message in cases:
        with pytest.raises(ValueError) as info:
            check_number(*args, **kwargs)
        assert str(info.value) == message
    assert check_number(0.5, "a", low=0.0, high=1.0, low_open=True, high_open=True) == 0.5
    for value, message in [(True, "a: expected a finite real number, got bool True"),
                           (float("nan"), "a: expected a finite real number, got float nan"),
                           (float("inf"), "a: expected a finite real number, got float inf"),
                           ("1", "a: expected a finite real number, got str '1'"),
                           (1j, "a: expected a finite real number, got complex 1j")]:
        with pytest.raises(TypeError) as info:
            check_number(value, "a")
        assert str(info.value) == message


def test_check_choice():
    assert check_choice("b", "kind", ("a", "b")) == "b"
    assert check_choice(None, "act", {None: 1, "relu": 2}) is None
    with pytest.raises(ValueError) as info:
        check_choice("c", "kind", ("b", "a"))
    assert str(info.value) == "kind: expected one of ['a', 'b'], got 'c'"
    with pytest.raises(ValueError) as info:
        check_choice("x", "act", {None: 1, "relu": 2})
    assert str(info.value) == "act: expected one of [None, 'relu'], got 'x'"


def test_describe():
    assert _describe(torch.zeros(2, 3)) == "a torch tensor of shape (2, 3) and dtype torch.float32"
    assert _describe(np.zeros((2,), np.float64)) == "a numpy array of shape (2,) and dtype float64"
    assert _describe(3) == "int 3"
    assert len(_describe("x" * 500)) == 120


def test_converters_pass_their_settings_on():
    x = np.ones((2, 3), np.float32)
    assert as_numpy(x).dtype == np.float32 and as_numpy(torch.ones(2, 3, dtype=torch.float64)).dtype == np.float64
    assert as_numpy(np.zeros((0, 3)), allow_empty=True).shape == (0, 3)
    assert as_numpy(np.zeros((2, 3, 4)), ndim=3, n_features=4).shape == (2, 3, 4)
    for call, message in [
        (lambda: as_numpy(np.zeros((0, 3))), "x: expected at least one sample and one feature..."),
        (lambda: as_numpy(x, "codes", n_features=4), "codes: expected 4 features per sample, got 3..."),
        (lambda: as_numpy(np.zeros(3), "v"), "v: expected a 2-D array (n_samples, n_features), got shape (3,)..."),
        (lambda: as_tensor(x, "data", n_features=2), "data: expected 2 features per sample, got 3..."),
        (lambda: as_tensor([[1.0]], "data"), "data: expected a numpy array or torch tensor, got a list..."),
        (lambda: check_codes(x, "z"), "z: expected a torch tensor of codes (n_samples, n_units), got a numpy "
                                      "array of shape (2, 3) and dtype float32..."),
        (lambda: check_codes(torch.ones(3), "z"), "z: expected a 2-D array..."),
    ]:
        with pytest.raises((TypeError, ValueError)) as info:
            call()
        assert str(info.value).startswith(message[:-3]), str(info.value)
    t = as_tensor(x, device="cpu", dtype=torch.float64)
    assert t.dtype == torch.float64 and t.device.type == "cpu"
    t32 = torch.ones(2, 3)
    assert as_tensor(t32) is t32 and as_tensor(t32, dtype=None) is t32
    assert as_tensor(x, device="meta").device.type == "meta"                 # the device asked for, not x's
    assert as_tensor(t32, device=torch.device("meta"), dtype=None).device.type == "meta"
    assert to_numpy(torch.ones(1, 2, requires_grad=True)).tolist() == [[1.0, 1.0]]


def test_labels_and_bits_validators():
    assert check_labels((3, 4), "y", 2).tolist() == [3, 4] and check_labels(np.array(["a"]), "y", 1)[0] == "a"
    with pytest.raises(ValueError) as info:
        check_labels(np.zeros((2, 1)), "labels", 2)
    assert str(info.value) == ("labels: expected one label per item, shape (2,), got shape (2, 1): pass the labels "
                               "of the same items, in the same order (one per row of the codes)")
    assert [packed_width(b) for b in (1, 7, 8, 9, 16, 17, 64, 65)] == [1, 1, 1, 2, 2, 3, 8, 9]
    assert check_bits(np.zeros((0, 5), np.uint8), n_bits=5).shape == (0, 5)
    assert check_bits(np.array([[True, False]])).tolist() == [[1, 0]]
    with pytest.raises(ValueError) as info:
        check_bits(np.zeros((1, 4), np.uint8), "q", n_bits=5)
    assert str(info.value) == ("q: expected 5 bits per code, got 4 (shape (1, 4)): queries and database must use "
                               "codes of the same length")
    assert check_packed(np.zeros((1, 3), np.uint8), n_bytes=3).shape == (1, 3)
    with pytest.raises(ValueError) as info:
        check_packed(np.zeros((1, 2), np.uint8), "db", n_bytes=3)
    assert str(info.value) == ("db: expected 3 bytes per code, got 2 bytes per code (shape (1, 2)): queries and "
                               "database must use codes of the same length")
    assert check_packed(np.full((1, 2), 255, np.uint8), n_bits=16).shape == (1, 2)      # no padding to check
    with pytest.raises(TypeError) as info:
        check_packed(np.zeros((1, 2), np.float32))
    assert str(info.value).startswith("packed: expected packed codes of dtype uint8, got dtype float32")
    assert check_radius(0, 3) == 0 and check_radius(3, 3) == 3
    with pytest.raises(ValueError) as info:
        check_radius(-1, 3)
    assert str(info.value) == "radius: expected an integer in [0, 3] (the code has 3 bits), got -1"
    with pytest.raises(TypeError) as info:
        check_radius(1.0, 3)
    assert str(info.value) == "radius: expected an integer number of bits in [0, 3], got float 1.0"


def test_only_a_dataset_with_both_splits_gets_the_dataset_hint():
    import types
    half = types.SimpleNamespace(x_train=1)                                  # no x_test: not a dataset
    with pytest.raises(TypeError) as info:
        check_data(half)
    assert str(info.value) == "x: expected a numpy array or torch tensor, got SimpleNamespace namespace(x_train=1)"
