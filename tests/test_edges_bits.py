"""aecourse.bits at its edges: every code width from 1 to 80 bits against the definition (the word widths of the
scan change at 1, 2, 4, 8 and 9+ bytes), the popcount fallback, thresholds and radii at their bounds, messages."""
import math
import types

import numpy as np
import pytest
import torch

from aecourse import bits as bits_module
from aecourse.bits import (
    MAX_PROBES,
    binarize,
    flip_masks,
    hamming_distance,
    linear_scan,
    n_probes,
    pack_bits,
    popcount,
    to_keys,
    unpack_bits,
)


def random_bits(n, n_bits, seed=0):
    return np.random.default_rng(seed).integers(0, 2, (n, n_bits), dtype=np.uint8)


def distances(a, b):
    return (a[:, None, :] != b[None, :, :]).sum(axis=2)


@pytest.mark.parametrize("n_bits", [1, 3, 8, 9, 16, 17, 24, 31, 32, 33, 40, 56, 63, 64, 65, 72, 80])
def test_distances_and_scan_at_every_width(n_bits):
    q, db = random_bits(7, n_bits, 1), random_bits(40, n_bits, 2)
    d = distances(q, db)
    got = hamming_distance(pack_bits(q), pack_bits(db))
    assert got.dtype == np.int32
    np.testing.assert_array_equal(got, d)
    for radius in sorted({0, 1, n_bits // 3, n_bits // 2, n_bits}):
        result = linear_scan(pack_bits(q), pack_bits(db), radius)
        assert len(result) == 7
        for row, ids in zip(d, result):
            assert ids.dtype == np.int64
            np.testing.assert_array_equal(ids, np.flatnonzero(row <= radius))
    np.testing.assert_array_equal(unpack_bits(pack_bits(db), n_bits), db)


def test_scan_in_small_blocks(monkeypatch):
    monkeypatch.setattr(bits_module, "CHUNK", 5)
    q, db = random_bits(9, 20, 3), random_bits(30, 20, 4)
    d = distances(q, db)
    np.testing.assert_array_equal(hamming_distance(pack_bits(q), pack_bits(db)), d)
    for row, ids in zip(d, linear_scan(pack_bits(q), pack_bits(db), 9)):
        np.testing.assert_array_equal(ids, np.flatnonzero(row <= 9))


def test_no_queries_give_empty_results():
    db = pack_bits(random_bits(4, 12))
    none = hamming_distance(np.zeros((0, 2), np.uint8), db)
    assert none.shape == (0, 4) and none.dtype == np.int32           # the dtype of every other answer
    assert linear_scan(np.zeros((0, 2), np.uint8), db, 1) == []


def test_popcount_with_and_without_numpy_bitwise_count(monkeypatch):
    values = np.array([0, 1, 3, 255, 2 ** 32 - 1, 2 ** 63 + 5], dtype=np.uint64)
    expected = [bin(int(v)).count("1") for v in values]
    np.testing.assert_array_equal(popcount(values), expected)
    without = types.SimpleNamespace(**{k: getattr(np, k) for k in dir(np) if k != "bitwise_count"})
    monkeypatch.setattr(bits_module, "np", without)
    got = popcount(values)
    assert got.dtype == np.uint8 and got.shape == values.shape
    np.testing.assert_array_equal(got, expected)
    grid = np.arange(256, dtype=np.uint8).reshape(16, 16)
    np.testing.assert_array_equal(popcount(grid), [[bin(v).count("1") for v in row] for row in grid.tolist()])
    np.testing.assert_array_equal(popcount(np.array([[0xFFFF, 0x0101]], dtype=np.uint16)), [[16, 2]])


def test_binarize_threshold_is_strict():
    codes = np.array([[0.5, 0.50001, 0.0, -0.1, 1.0]])
    np.testing.assert_array_equal(binarize(codes), [[0, 1, 0, 0, 1]])
    np.testing.assert_array_equal(binarize(codes, 0), [[1, 1, 0, 0, 1]])
    np.testing.assert_array_equal(binarize(codes, np.float32(-0.5)), [[1, 1, 1, 1, 1]])
    np.testing.assert_array_equal(binarize(torch.tensor([[0.7, 0.2]], requires_grad=True)), [[1, 0]])
    assert binarize(codes).dtype == np.uint8


def test_packing_and_keys_bit_order():
    bits = np.array([[1, 0, 0, 0, 0, 0, 0, 0, 0, 1]], dtype=np.uint8)
    np.testing.assert_array_equal(pack_bits(bits), [[128, 64]])
    assert to_keys(pack_bits(bits), 10).tolist() == [2 ** 9 + 1]
    assert to_keys(pack_bits(np.ones((1, 64), np.uint8)), 64).tolist() == [2 ** 64 - 1]
    assert to_keys(pack_bits(np.eye(64, dtype=np.uint8)[:1]), 64).tolist() == [2 ** 63]
    assert to_keys(pack_bits(np.eye(5, dtype=np.uint8)), 5).tolist() == [16, 8, 4, 2, 1]
    assert to_keys(pack_bits(bits.astype(bool)), 10).dtype == np.uint64
    np.testing.assert_array_equal(pack_bits(torch.tensor([[1, 1, 0]])), [[192]])


def test_probe_counts_and_masks():
    assert n_probes(32, 2) == 529 and n_probes(20, 4) == 6196 and n_probes(5, 5) == 32 and n_probes(7, 0) == 1
    assert n_probes(np.int64(4), np.int64(1)) == 5
    masks = flip_masks(10, 2)
    assert masks.shape == (1 + 10 + 45, 2)
    keys = to_keys(masks, 10)
    assert keys[0] == 0 and keys[1:11].tolist() == [1 << (9 - i) for i in range(10)]
    assert keys[11] == (1 << 9) | (1 << 8) and keys[-1] == 3
    assert len(set(keys.tolist())) == len(keys)
    np.testing.assert_array_equal(bits_module.flip_keys(10, 2), keys)
    assert not bits_module.flip_keys(10, 2).flags.writeable
    # the probe limit is inclusive: exactly MAX_PROBES is allowed
    n_bits = next(b for b in range(2, 10_000) if 1 + b + math.comb(b, 2) > MAX_PROBES)
    assert bits_module._check_probes(2 ** 22 - 1, 1) == 2 ** 22 == MAX_PROBES
    with pytest.raises(ValueError) as info:
        bits_module._check_probes(n_bits, 2)
    assert str(info.value) == (
        f"radius: a Hamming ball of radius 2 around a {n_bits}-bit code has {n_probes(n_bits, 2):,} addresses, more "
        f"than the {MAX_PROBES:,} this index probes per query: use a smaller radius, or linear_scan(query, db, "
        "radius), which is cheaper at that size")


def test_radius_bounds_and_types():
    db = pack_bits(random_bits(5, 12))
    assert len(linear_scan(db, db, 16)) == 5                 # up to 8 * n_bytes: padding bits never differ
    assert all(len(ids) == 5 for ids in linear_scan(db, db, np.int64(16)))
    for radius, error, message in [
        (-1, ValueError, "radius: expected an integer in [0, 16] (the code has 16 bits), got -1"),
        (17, ValueError, "radius: expected an integer in [0, 16] (the code has 16 bits), got 17"),
        (True, TypeError, "radius: expected an integer number of bits in [0, 16], got bool True"),
        (1.0, TypeError, "radius: expected an integer number of bits in [0, 16], got float 1.0"),
    ]:
        with pytest.raises(error) as info:
            linear_scan(db, db, radius)
        assert str(info.value) == message


@pytest.mark.parametrize("call, error, message", [
    (lambda: pack_bits([[0, 1]]), TypeError,
     "bits: expected a numpy array of 0/1 bits of shape (n_items, n_bits), got list [[0, 1]]"),
    (lambda: pack_bits(np.zeros((2, 3), np.float32)), TypeError,
     "bits: expected bits of dtype uint8 or bool, got floating-point codes (float32): turn them into bits first "
     "with binarize(bits)"),
    (lambda: pack_bits(np.zeros((2, 3), np.complex64)), TypeError,
     "bits: expected bits of dtype uint8 or bool, got dtype complex64"),
    (lambda: pack_bits(np.zeros(3, np.uint8)), ValueError,
     "bits: expected a 2-D array (n_items, n_bits), got shape (3,): for a single code use bits.reshape(1, -1)"),
    (lambda: pack_bits(np.array([[0, 2]], np.uint8)), ValueError,
     "bits: expected bits equal to 0 or 1, got values in [0, 2]: binarize float codes with binarize(codes); "
     "unpack packed codes with unpack_bits"),
    (lambda: pack_bits(np.array([[-1, 0]], np.int64)), ValueError, "bits: expected bits equal to 0 or 1, got values "
     "in [-1, 0]..."),
    (lambda: unpack_bits([[1]], 8), TypeError, "packed: expected a numpy uint8 array of packed codes, got list..."),
    (lambda: unpack_bits(np.zeros((1, 1), np.float32), 8), TypeError,
     "packed: expected packed codes of dtype uint8, got dtype float32: binarize float codes with binarize(packed), "
     "then pack_bits"),
    (lambda: unpack_bits(np.zeros((1, 1), np.int64), 8), TypeError,
     "packed: expected packed codes of dtype uint8, got dtype int64: pack 0/1 bits with pack_bits(bits)"),
    (lambda: unpack_bits(np.zeros(1, np.uint8), 8), ValueError,
     "packed: expected a 2-D array (n_items, n_bytes), got shape (1,): for a single code use packed.reshape(1, -1)"),
    (lambda: unpack_bits(np.zeros((1, 2), np.uint8), 8), ValueError,
     "packed: expected 8-bit codes packed into 1 bytes, got 2 bytes per code (shape (1, 2)): queries and database "
     "must use codes of the same length"),
    (lambda: unpack_bits(np.array([[0b00000100]], np.uint8), 5), ValueError,
     "packed: the 3 padding bits after bit 5 must be 0, got set bits: pack the codes with pack_bits(bits), or check "
     "n_bits"),
    (lambda: unpack_bits(np.zeros((1, 1), np.uint8), 0), ValueError, "n_bits: expected an integer >= 1, got 0"),
    (lambda: to_keys(np.zeros((1, 9), np.uint8), 65), ValueError,
     "n_bits: integer addresses hold at most 64 bits, got 65"),
    (lambda: hamming_distance(np.zeros((1, 2), np.uint8), np.zeros((3, 1), np.uint8)), ValueError,
     "query_packed: expected 1 bytes per code, got 2 bytes per code (shape (1, 2)): queries and database must use "
     "codes of the same length"),
    (lambda: hamming_distance(np.zeros((1, 1), np.uint8), np.zeros((0, 1), np.uint8)), ValueError,
     "db_packed: the database is empty: add at least one code"),
    (lambda: hamming_distance(np.zeros((1, 1), np.uint8), np.zeros((3, 1), np.float32)), TypeError,
     "db_packed: expected packed codes of dtype uint8, got dtype float32..."),
    (lambda: linear_scan(np.zeros((1, 1), np.uint8), np.zeros((3, 1), np.int64), 1), TypeError,
     "db_packed: expected packed codes of dtype uint8, got dtype int64..."),
    (lambda: n_probes(0, 0), ValueError, "n_bits: expected an integer >= 1, got 0"),
    (lambda: to_keys(np.zeros((1, 1), np.uint8), 0), ValueError, "n_bits: expected an integer >= 1, got 0"),
    (lambda: to_keys(np.zeros((1, 1), np.float32), 8), TypeError,
     "packed: expected packed codes of dtype uint8, got dtype float32..."),
    (lambda: to_keys(np.zeros((1, 2), np.uint8), 8), ValueError,
     "packed: expected 8-bit codes packed into 1 bytes, got 2 bytes per code (shape (1, 2))..."),
    (lambda: to_keys(np.array([[0b00000100]], np.uint8), 5), ValueError,
     "packed: the 3 padding bits after bit 5 must be 0, got set bits..."),
    (lambda: binarize(np.zeros((1, 2)), threshold="0.5"), TypeError,
     "threshold: expected a finite real number, got str '0.5'"),
    (lambda: binarize(np.zeros((1, 2)), threshold=True), TypeError,
     "threshold: expected a finite real number, got bool True"),
    (lambda: binarize(np.zeros(2)), ValueError, "codes: expected a 2-D array..."),
])
def test_bad_input_gets_the_full_message(call, error, message):
    with pytest.raises(error) as info:
        call()
    text = str(info.value)
    assert text.startswith(message[:-3]) if message.endswith("...") else text == message, text


def test_padding_is_checked_only_when_the_width_is_not_whole_bytes():
    full = np.array([[0xFF]], np.uint8)
    np.testing.assert_array_equal(unpack_bits(full, 8), [[1] * 8])
    np.testing.assert_array_equal(unpack_bits(np.array([[0b11111000]], np.uint8), 5), [[1] * 5])
    assert unpack_bits(np.zeros((0, 1), np.uint8), 5).shape == (0, 5)
    np.testing.assert_array_equal(unpack_bits(torch.tensor([[0b10000000]], dtype=torch.uint8), 1), [[1]])
    assert pack_bits(np.zeros((0, 3), np.uint8)).shape == (0, 1)
