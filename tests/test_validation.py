"""aecourse.validation: each check returns what it checked, each converter returns it converted, and every
error says what was expected, what was given and what to do."""
import numpy as np
import pytest
import torch

from aecourse.data import load_digits
from aecourse.validation import (
    as_numpy,
    as_tensor,
    check_bits,
    check_codes,
    check_data,
    check_labels,
    check_packed,
    check_radius,
    packed_width,
    to_numpy,
)


def test_as_numpy_converts_tensors_and_dtypes():
    t = torch.arange(6, dtype=torch.float32).reshape(2, 3).requires_grad_(True)
    out = as_numpy(t, dtype=np.float64)
    assert isinstance(out, np.ndarray) and out.dtype == np.float64 and out.tolist() == [[0, 1, 2], [3, 4, 5]]
    x = np.ones((2, 3), np.float32)
    assert as_numpy(x) is x                                    # no copy when nothing changes
    assert as_numpy(np.ones(4), ndim=1).shape == (4,)
    with pytest.raises(ValueError, match="expected 4 features per sample, got 3"):
        as_numpy(x, "x", n_features=4)


def test_as_tensor_moves_and_keeps_or_sets_the_dtype():
    x = np.ones((2, 3), np.float64)
    assert as_tensor(x).dtype == torch.float32
    assert as_tensor(x, dtype=None).dtype == torch.float64
    assert as_tensor(torch.ones(2, 3), device="cpu").device.type == "cpu"
    with pytest.raises(TypeError, match="floating-point"):
        as_tensor(np.ones((2, 3), np.int64))


def test_check_labels_accepts_arrays_tensors_and_lists():
    assert check_labels(torch.tensor([1, 2]), "y", 2).tolist() == [1, 2]
    assert isinstance(check_labels([1, 2], "y", 2), np.ndarray)
    with pytest.raises(ValueError, match=r"y: expected one label per item, shape \(3,\), got shape \(2,\)"):
        check_labels(np.array([1, 2]), "y", 3)
    with pytest.raises(TypeError, match="y: expected a 1-D numpy array of labels, got NoneType"):
        check_labels(None, "y", 3)


def test_a_dataset_given_as_data_points_to_its_arrays():
    with pytest.raises(TypeError, match=r"x: expected a numpy array or torch tensor, got a Dataset: pass its images, "
                                        r"e.g. digits.x_train"):
        check_data(load_digits())


def test_check_codes_needs_a_tensor():
    h = torch.rand(3, 2)
    assert check_codes(h) is h
    with pytest.raises(TypeError, match="torch tensor of codes.*so gradients can flow"):
        check_codes(h.numpy())


def test_bits_packed_codes_and_radius():
    assert check_bits(torch.tensor([[1, 0, 1]], dtype=torch.bool)).dtype == np.uint8
    assert packed_width(1) == 1 and packed_width(8) == 1 and packed_width(9) == 2
    packed = np.packbits(np.array([[1, 0, 1]], np.uint8), axis=1)
    assert check_packed(packed, n_bits=3) is packed
    with pytest.raises(ValueError, match="padding bits after bit 3 must be 0"):
        check_packed(np.array([[0b10100001]], np.uint8), n_bits=3)
    assert check_radius(np.int64(2), 3) == 2 and isinstance(check_radius(np.int64(2), 3), int)
    with pytest.raises(ValueError, match=r"radius: expected an integer in \[0, 3\]"):
        check_radius(4, 3)
    with pytest.raises(TypeError, match="radius"):
        check_radius(True, 3)


def test_to_numpy_leaves_other_values_alone():
    assert to_numpy([1, 2]) == [1, 2]
    assert isinstance(to_numpy(torch.ones(2, requires_grad=True)), np.ndarray)
