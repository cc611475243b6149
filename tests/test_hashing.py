"""Binarise/pack, flip masks, the hash index against brute force and faiss, persistence, bad input."""
import math

import numpy as np
import pytest
import torch

from aecourse.bits import (
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
from aecourse.hash_index import HashIndex, faiss_lookup
from aecourse.validation import check_bits


def clustered_bits(n, n_bits, n_centres, flip=0.05, seed=0):
    """Codes near a few random centres (each bit flipped with probability `flip`), as a real collection is."""
    rng = np.random.default_rng(seed)
    centres = rng.integers(0, 2, (n_centres, n_bits), dtype=np.uint8)
    return centres[rng.integers(0, n_centres, n)] ^ (rng.random((n, n_bits)) < flip).astype(np.uint8)


def brute_force(query_bits, db_bits, radius):
    """The definition: ids whose codes differ from the query's in at most `radius` bits."""
    dist = (query_bits[:, None, :] != db_bits[None, :, :]).sum(axis=2)
    return [np.flatnonzero(row <= radius) for row in dist]


def pairs(result):
    return {(q, int(i)) for q, ids in enumerate(result) for i in ids}


def assert_same(got, expected):
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        assert g.dtype == np.int64
        np.testing.assert_array_equal(g, e)


# ----------------------------------------------------------------------------------------- bits and bytes
def test_binarize_thresholds_numpy_and_torch():
    codes = np.array([[0.1, 0.5, 0.51, 0.9]], dtype=np.float32)
    np.testing.assert_array_equal(binarize(codes), [[0, 0, 1, 1]])
    np.testing.assert_array_equal(binarize(torch.tensor(codes)), [[0, 0, 1, 1]])
    np.testing.assert_array_equal(binarize(codes - 0.5, threshold=0), [[0, 0, 1, 1]])
    assert binarize(codes).dtype == np.uint8


@pytest.mark.parametrize("n_bits", [1, 7, 8, 12, 32, 64, 100])
def test_pack_unpack_round_trip(n_bits):
    bits = np.random.default_rng(n_bits).integers(0, 2, (20, n_bits), dtype=np.uint8)
    packed = pack_bits(bits)
    assert packed.shape == (20, math.ceil(n_bits / 8)) and packed.dtype == np.uint8
    np.testing.assert_array_equal(unpack_bits(packed, n_bits), bits)


def test_packing_is_most_significant_bit_first():
    np.testing.assert_array_equal(pack_bits(np.array([[1, 0, 0, 0, 0, 0, 0, 1, 1]])), [[129, 128]])
    np.testing.assert_array_equal(to_keys(pack_bits(np.array([[1, 0, 1]])), 3), [5])


def test_popcount():
    x = np.array([0, 1, 255, 2**32 - 1, 2**64 - 1], dtype=np.uint64)
    np.testing.assert_array_equal(popcount(x), [0, 1, 8, 32, 64])


# ------------------------------------------------------------------------------------------- flip masks
def test_n_probes_counts_the_hamming_ball():
    assert n_probes(32, 2) == 1 + 32 + 496 == 529
    assert n_probes(20, 4) == 6196          # Salakhutdinov & Hinton's radius-4 ball around a 20-bit address
    assert n_probes(8, 8) == 256


def test_flip_masks_order_and_content():
    masks = unpack_bits(flip_masks(4, 2), 4)
    expected = [[0, 0, 0, 0], [1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1],
                [1, 1, 0, 0], [1, 0, 1, 0], [1, 0, 0, 1], [0, 1, 1, 0], [0, 1, 0, 1], [0, 0, 1, 1]]
    np.testing.assert_array_equal(masks, expected)
    masks = unpack_bits(flip_masks(12, 3), 12)
    assert len(masks) == n_probes(12, 3) and len(np.unique(masks, axis=0)) == len(masks)
    assert masks.sum(axis=1).max() == 3


# ----------------------------------------------------------------------------------- correctness of lookup
@pytest.mark.parametrize("n_bits", [1, 5, 8, 12, 16, 32, 64])
def test_lookup_equals_brute_force_and_linear_scan(n_bits):
    db = clustered_bits(400, n_bits, n_centres=20, seed=n_bits)
    query = clustered_bits(60, n_bits, n_centres=20, seed=n_bits)        # same centres: many hits
    index = HashIndex(n_bits, db)
    for radius in range(min(n_bits, 3) + 1):
        expected = brute_force(query, db, radius)
        assert_same(index.lookup(query, radius), expected)
        assert_same(index.lookup(pack_bits(query), radius), expected)
        assert_same(linear_scan(pack_bits(query), pack_bits(db), radius), expected)
    assert sum(map(len, expected)) > 0


@pytest.mark.parametrize("n_bits", [8, 12, 32, 64])
def test_lookup_equals_faiss_index_binary_hash(n_bits):
    pytest.importorskip("faiss")
    db = clustered_bits(2000, n_bits, n_centres=30, seed=1)
    query = clustered_bits(100, n_bits, n_centres=30, seed=1)
    index = HashIndex(n_bits, db)
    for radius in range(4):
        ours = index.lookup(query, radius)
        faiss_hash = faiss_lookup(index.to_faiss("hash", radius=radius), pack_bits(query), radius)
        faiss_flat = faiss_lookup(index.to_faiss("flat"), pack_bits(query), radius)
        assert pairs(ours) == pairs(faiss_hash) == pairs(faiss_flat) == pairs(brute_force(query, db, radius))


def test_faiss_range_radius_is_strict():
    """faiss returns distances < R: asking it for R = r drops the items exactly r bits away."""
    faiss = pytest.importorskip("faiss")
    db = np.array([[0] * 8, [1] + [0] * 7, [1, 1] + [0] * 6], dtype=np.uint8)
    index = faiss.IndexBinaryFlat(8)
    index.add(pack_bits(db))
    lims, _, ids = index.range_search(pack_bits(db[:1]), 1)
    assert sorted(ids[lims[0]:lims[1]]) == [0]                             # distance 1 excluded
    assert_same(faiss_lookup(index, pack_bits(db[:1]), 1), [np.array([0, 1])])


def test_lookup_exact_address_and_duplicates():
    db = np.array([[0, 1, 1], [1, 1, 1], [0, 1, 1], [0, 0, 0]], dtype=np.uint8)
    index = HashIndex(3, db)
    assert index.n_addresses == 3 and len(index) == 4
    np.testing.assert_array_equal(np.sort(index.bucket_sizes()), [1, 1, 2])
    assert_same(index.lookup(np.array([[0, 1, 1], [1, 0, 0]]), 0), [np.array([0, 2]), np.array([], dtype=np.int64)])
    assert_same(index.lookup(np.array([[0, 1, 1]]), 1), [np.array([0, 1, 2])])
    assert_same(index.lookup(np.array([[0, 1, 1]]), 3), [np.array([0, 1, 2, 3])])


def test_hamming_distance_hand_worked():
    a = pack_bits(np.array([[1, 0, 1, 1, 0, 0, 0, 0, 1]]))
    b = pack_bits(np.array([[1, 0, 1, 1, 0, 0, 0, 0, 1], [0, 1, 0, 0, 1, 1, 1, 1, 0], [1, 1, 1, 1, 0, 0, 0, 0, 0]]))
    np.testing.assert_array_equal(hamming_distance(a, b), [[0, 9, 2]])
    wide = np.random.default_rng(0).integers(0, 2, (5, 130), dtype=np.uint8)
    np.testing.assert_array_equal(hamming_distance(pack_bits(wide), pack_bits(wide)),
                                  (wide[:, None] != wide[None]).sum(2))


def test_add_appends_ids_and_many_queries_are_chunked(monkeypatch):
    from aecourse import bits, hash_index
    db = clustered_bits(300, 16, n_centres=10)
    index = HashIndex(16, db[:100]).add(db[100:])
    query = clustered_bits(50, 16, n_centres=10, seed=3)
    monkeypatch.setattr(bits, "CHUNK", 64)                                 # forces several scan blocks
    monkeypatch.setattr(hash_index, "CHUNK", 64)                           # and several probe blocks
    assert_same(index.lookup(query, 2), brute_force(query, db, 2))
    assert_same(linear_scan(pack_bits(query), pack_bits(db), 2), brute_force(query, db, 2))


# ------------------------------------------------------------------------------------------- persistence
def test_save_load_round_trip(tmp_path):
    db = clustered_bits(500, 20, n_centres=15)
    index = HashIndex(20, db)
    index.save(tmp_path / "index.npz")
    loaded = HashIndex.load(tmp_path / "index.npz")
    assert loaded.n_bits == 20 and len(loaded) == 500
    np.testing.assert_array_equal(loaded.codes, index.codes)
    query = clustered_bits(40, 20, n_centres=15, seed=9)
    for radius in (0, 2):
        assert_same(loaded.lookup(query, radius), index.lookup(query, radius))


def test_load_refuses_other_files(tmp_path):
    np.savez(tmp_path / "other.npz", weights=np.zeros(3))
    with pytest.raises(ValueError, match="not a file written by HashIndex.save"):
        HashIndex.load(tmp_path / "other.npz")
    with pytest.raises(FileNotFoundError, match="no index file"):
        HashIndex.load(tmp_path / "missing.npz")


# --------------------------------------------------------------------------------------------- bad input
def test_float_codes_are_refused_with_a_hint():
    index = HashIndex(8)
    with pytest.raises(TypeError, match=r"binarize"):
        index.add(np.random.rand(5, 8))
    with pytest.raises(TypeError, match="binarize"):
        pack_bits(np.random.rand(5, 8))


def test_wrong_width_is_refused():
    index = HashIndex(16, clustered_bits(10, 16, 2))
    with pytest.raises(ValueError, match=r"expected 16-bit codes.*got shape \(3, 12\)"):
        index.lookup(np.zeros((3, 12), dtype=np.uint8))
    with pytest.raises(ValueError, match=r"expected 16-bit codes"):
        index.add(np.zeros((3, 3), dtype=np.uint8))
    with pytest.raises(ValueError, match=r"expected 2 bytes per code, got 3"):
        linear_scan(np.zeros((1, 3), np.uint8), np.zeros((4, 2), np.uint8), 1)
    with pytest.raises(ValueError, match=r"expected 7 bits per code, got 6"):
        check_bits(np.zeros((2, 6), np.uint8), "bits", n_bits=7)


def test_wrong_dtype_and_values_are_refused():
    with pytest.raises(TypeError, match="dtype uint8"):
        unpack_bits(np.zeros((2, 2), dtype=np.int32), 16)
    with pytest.raises(ValueError, match="equal to 0 or 1"):
        pack_bits(np.array([[0, 2, 1]], dtype=np.uint8))
    with pytest.raises(ValueError, match="padding bits"):
        HashIndex(12).add(np.array([[0, 1]], dtype=np.uint8))      # bit 15 set, but codes have 12 bits
    with pytest.raises(ValueError, match=r"2-D array.*reshape\(1, -1\)"):
        HashIndex(8, clustered_bits(5, 8, 1)).lookup(np.zeros(8, dtype=np.uint8))
    with pytest.raises(TypeError, match="numpy"):
        HashIndex(8).add([[0, 1, 0, 1, 0, 1, 0, 1]])


@pytest.mark.parametrize("radius", [-1, 17])
def test_radius_out_of_range_is_refused(radius):
    index = HashIndex(16, clustered_bits(10, 16, 2))
    with pytest.raises(ValueError, match=r"radius: expected an integer in \[0, 16\]"):
        index.lookup(clustered_bits(2, 16, 2), radius)
    with pytest.raises(ValueError, match="radius"):
        n_probes(16, radius)
    with pytest.raises(TypeError, match="radius"):
        index.lookup(clustered_bits(2, 16, 2), 1.5)


def test_huge_ball_points_to_linear_scan():
    index = HashIndex(64, clustered_bits(10, 64, 2))
    with pytest.raises(ValueError, match="linear_scan"):
        index.lookup(clustered_bits(1, 64, 2), 10)


def test_empty_index_and_bad_sizes_are_refused():
    with pytest.raises(ValueError, match="index is empty"):
        HashIndex(8).lookup(np.zeros((1, 8), np.uint8))
    with pytest.raises(ValueError, match="database is empty"):
        linear_scan(np.zeros((1, 1), np.uint8), np.zeros((0, 1), np.uint8), 0)
    with pytest.raises(ValueError, match="at most 64 bits"):
        HashIndex(65)
    with pytest.raises(ValueError, match=">= 1"):
        HashIndex(0)
    with pytest.raises(ValueError, match="'hash' or 'flat'"):
        HashIndex(8, clustered_bits(3, 8, 1)).to_faiss("ivf")


def test_missing_faiss_gives_install_hint(monkeypatch):
    import builtins
    real_import = builtins.__import__

    def no_faiss(name, *args, **kwargs):
        if name == "faiss":
            raise ImportError("No module named 'faiss'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_faiss)
    with pytest.raises(ImportError, match="pip install faiss-cpu"):
        HashIndex(8, clustered_bits(3, 8, 1)).to_faiss()


def test_save_keeps_the_path_given(tmp_path):
    path = str(tmp_path / "codes.index")                    # no .npz suffix is added behind the caller's back
    HashIndex(8, clustered_bits(5, 8, 1)).save(path)
    assert len(HashIndex.load(path)) == 5


def test_bits_of_the_right_width_but_wrong_values_say_so():
    with pytest.raises(ValueError, match="equal to 0 or 1"):
        HashIndex(16).add(np.full((2, 16), 3, dtype=np.uint8))
    with pytest.raises(TypeError, match="binarize"):
        HashIndex(16, clustered_bits(4, 16, 1)).lookup(np.random.rand(2, 16).astype(np.float32))
    one_bit = HashIndex(1, np.array([[1], [0]], dtype=np.uint8))             # 1-bit codes: bits and bytes look alike
    assert_same(one_bit.lookup(np.array([[128]], dtype=np.uint8)), [np.array([0])])
    assert_same(one_bit.lookup(torch.tensor([[1]], dtype=torch.uint8)), [np.array([0])])


def test_bit_order_differs_from_faiss_but_distances_agree():
    """bits.py's docstring: we pack the first bit as the most significant (np.packbits); faiss's own binarisation
    puts dimension 0 in the least significant bit of byte 0. Hamming distances do not see the order."""
    faiss = pytest.importorskip("faiss")
    rng = np.random.default_rng(0)
    x = rng.standard_normal((20, 16)).astype(np.float32)
    ours = pack_bits((x > 0).astype(np.uint8))
    theirs = np.zeros_like(ours)
    faiss.real_to_binary(16 * len(x), faiss.swig_ptr(np.ascontiguousarray(x)), faiss.swig_ptr(theirs))
    first = np.zeros((1, 16), np.uint8)
    first[0, 0] = 1
    assert pack_bits(first)[0, 0] == 0b1000_0000                          # ours: dimension 0 = most significant
    assert np.array_equal(theirs, np.packbits(x > 0, axis=1, bitorder="little"))   # faiss: least significant
    assert np.array_equal(hamming_distance(ours, ours), hamming_distance(theirs, theirs))
