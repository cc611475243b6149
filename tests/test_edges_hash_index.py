"""aecourse.hash_index at its edges: lookups against the definition at every width up to 64 bits (1-bit codes, whole
and partial bytes), empty buckets, many duplicates, the Bloom filter's size at its clip bounds, small probe blocks,
and the full messages."""
import numpy as np
import pytest
import torch

from aecourse import hash_index as hash_index_module
from aecourse.bits import pack_bits
from aecourse.hash_index import BloomFilter, HashIndex, faiss_lookup, fibonacci_hash


def random_bits(n, n_bits, seed=0, p=0.5):
    return (np.random.default_rng(seed).random((n, n_bits)) < p).astype(np.uint8)


def definition(q, db, radius):
    d = (q[:, None, :] != db[None, :, :]).sum(axis=2)
    return [np.flatnonzero(row <= radius) for row in d]


def check(got, expected):
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        assert g.dtype == np.int64
        np.testing.assert_array_equal(g, e)


@pytest.mark.parametrize("n_bits", [1, 2, 7, 8, 9, 15, 16, 23, 33, 48, 63, 64])
def test_lookup_at_every_width(n_bits):
    db = random_bits(120, n_bits, 1, p=0.3)
    q = np.r_[random_bits(6, n_bits, 2, p=0.3), db[:3]]
    index = HashIndex(n_bits, db)
    for radius in sorted({0, 1, min(2, n_bits), min(3, n_bits)}):
        check(index.lookup(q, radius), definition(q, db, radius))
        check(index.lookup(pack_bits(q), radius), definition(q, db, radius))
    assert len(index) == 120 and index.n_addresses == len({row.tobytes() for row in db})
    assert index.bucket_sizes().sum() == 120


def test_duplicates_and_bucket_sizes_in_address_order():
    db = np.array([[1, 1], [0, 0], [1, 1], [0, 1], [1, 1], [0, 0]], dtype=np.uint8)
    index = HashIndex(2, db)
    assert index.n_addresses == 3 and index.bucket_sizes().tolist() == [2, 1, 3]   # addresses 0, 1, 3
    check(index.lookup(np.array([[1, 1], [0, 0], [1, 0]], np.uint8)), [[0, 2, 4], [1, 5], []])
    check(index.lookup(np.array([[1, 0]], np.uint8), 1), [[0, 1, 2, 4, 5]])
    assert repr(index) == "HashIndex(2 bits, 6 items at 3 addresses)"


def test_add_continues_the_ids_and_rebuilds():
    a, b = random_bits(30, 12, 3), random_bits(20, 12, 4)
    index = HashIndex(12).add(a)
    assert len(index) == 30
    index.add(torch.as_tensor(b))
    both = np.r_[a, b]
    check(index.lookup(b[:5], 2), definition(b[:5], both, 2))
    np.testing.assert_array_equal(index.codes, pack_bits(both))
    assert not index.codes.flags.writeable and index._codes.flags.writeable
    assert len(HashIndex(12)) == 0 and HashIndex(12).n_addresses == 0


def test_one_bit_codes_as_bits_or_bytes():
    index = HashIndex(1, np.array([[0], [1], [1]], np.uint8))
    check(index.lookup(np.array([[1]], np.uint8)), [[1, 2]])
    check(index.lookup(np.array([[128]], np.uint8)), [[1, 2]])            # packed: the bit is the top one
    check(index.lookup(np.array([[0]], np.uint8), 1), [[0, 1, 2]])


def test_small_probe_blocks(monkeypatch):
    monkeypatch.setattr(hash_index_module, "CHUNK", 3)
    db, q = random_bits(50, 10, 5, p=0.2), random_bits(9, 10, 6, p=0.2)
    check(HashIndex(10, db).lookup(q, 2), definition(q, db, 2))


def test_bloom_filter_size_is_clipped():
    assert HashIndex(8)._filter.bits == 10 and HashIndex(8)._filter.table.shape == (1024,)
    index = HashIndex(32, random_bits(100, 32, 7))
    assert index._filter.bits == max(10, (16 * index.n_addresses).bit_length())
    assert index._filter.table.sum() <= index.n_addresses and index._filter.table.dtype == bool
    big = HashIndex(64, random_bits(1 << 16, 64, 8))
    assert big._filter.bits == 21
    keys = np.array([0, 1, 2 ** 63, 2 ** 64 - 1], dtype=np.uint64)
    slots = fibonacci_hash(keys, 12)
    assert slots.min() >= 0 and slots.max() < 4096
    assert slots.tolist() == [int((int(k) * 0x9E3779B97F4A7C15) % 2 ** 64) >> 52 for k in keys]
    assert fibonacci_hash(np.array([1], np.uint64), 25)[0] == 0x9E3779B97F4A7C15 >> 39


def test_save_load_and_faiss(tmp_path):
    db = random_bits(40, 12, 9)
    index = HashIndex(12, db)
    path = tmp_path / "index.bin"
    index.save(path)
    assert path.exists() and not (tmp_path / "index.bin.npz").exists()
    again = HashIndex.load(path)
    assert again.n_bits == 12 and np.array_equal(again.codes, index.codes)
    q = db[:4] ^ np.eye(12, dtype=np.uint8)[:4]
    for kind in ("hash", "flat"):
        faiss_index = index.to_faiss(kind, radius=2)
        check(faiss_lookup(faiss_index, pack_bits(q), 2), definition(q, db, 2))
    assert index.to_faiss("hash", radius=2).nflip == 2
    assert index.to_faiss("flat").code_size == 2 and index.to_faiss().nflip == 0


@pytest.mark.parametrize("call, error, message", [
    (lambda: HashIndex(65), ValueError, "n_bits: HashIndex stores codes of at most 64 bits as integer addresses, got "
     "65: use linear_scan for longer codes, or hash on their first 64 bits"),
    (lambda: HashIndex(0), ValueError, "n_bits: expected an integer >= 1, got 0"),
    (lambda: HashIndex(12).lookup(np.zeros((1, 12), np.uint8)), ValueError,
     "lookup: the index is empty: add codes first with index.add(bits)"),
    (lambda: HashIndex(12, np.zeros((2, 12), np.uint8)).lookup(np.zeros((1, 5), np.uint8)), ValueError,
     "query: expected 12-bit codes, as (n, 12) 0/1 bits or (n, 2) packed bytes, got shape (1, 5): the index was "
     "built for 12 bits; queries and database must use the same code length"),
    (lambda: HashIndex(12, np.zeros((2, 12), np.uint8)).lookup(np.zeros((1, 12), np.uint8), 13), ValueError,
     "radius: expected an integer in [0, 12] (the code has 12 bits), got 13"),
    (lambda: HashIndex(12, np.zeros((2, 12), np.uint8)).to_faiss("ivf"), ValueError,
     "kind: expected 'hash' or 'flat', got 'ivf'"),
    (lambda: HashIndex(12).add(np.full((1, 12), 2, np.uint8)), ValueError, "codes: expected bits equal to 0 or 1..."),
    (lambda: HashIndex(12).add(np.zeros((1, 2), np.float32)), TypeError, "codes: expected packed codes of dtype "
     "uint8..."),
    (lambda: HashIndex(1, np.array([[0], [1]], np.uint8)).lookup(np.array([[2]], np.uint8)), ValueError,
     "query: the 7 padding bits after bit 1 must be 0, got set bits..."),       # 1-bit codes: 2 is a packed byte
])
def test_bad_input_gets_the_full_message(call, error, message):
    with pytest.raises(error) as info:
        call()
    text = str(info.value)
    assert text.startswith(message[:-3]) if message.endswith("...") else text == message, text


def test_load_refuses_missing_and_foreign_files(tmp_path):
    with pytest.raises(FileNotFoundError) as info:
        HashIndex.load(tmp_path / "none.npz")
    assert str(info.value) == f"path: no index file at {tmp_path / 'none.npz'!r}: write one with index.save(path)"
    other = tmp_path / "other.npz"
    np.savez(other, n_bits=np.int64(3), codes=np.zeros((1, 1), np.uint8), format=np.str_("something/1"))
    with pytest.raises(ValueError) as info:
        HashIndex.load(other)
    assert str(info.value).startswith(f"path: {other!r} is not a file written by HashIndex.save (found arrays ")


def test_bloom_filter_has_about_16_slots_per_key_up_to_its_cap():
    # 2^bit_length(16 n) slots: 124 keys -> 1984 -> 2^11 slots; 128 keys -> 2048 -> 2^12
    assert BloomFilter(np.arange(124, dtype=np.uint64)).bits == 11
    assert BloomFilter(np.arange(128, dtype=np.uint64)).bits == 12
    capped = BloomFilter(np.arange(1 << 21, dtype=np.uint64))             # 16 * 2^21 would need 2^26 slots
    assert capped.bits == 25 and capped.table.shape == (1 << 25,)


def test_faiss_lookup_checks_its_query_and_radius():
    db = random_bits(30, 16, 10)
    faiss_index = HashIndex(16, db).to_faiss("flat")
    for call, error, message in [
        (lambda: faiss_lookup(faiss_index, np.zeros((1, 2), np.float32), 1), TypeError,
         "query_packed: expected packed codes of dtype uint8, got dtype float32"),
        (lambda: faiss_lookup(faiss_index, np.zeros((1, 3), np.uint8), 1), ValueError,
         "query_packed: expected 2 bytes per code, got 3 bytes per code (shape (1, 3))"),
        (lambda: faiss_lookup(faiss_index, np.zeros((1, 2), np.uint8), 17), ValueError,
         "radius: expected an integer in [0, 16] (the code has 16 bits), got 17"),
    ]:
        with pytest.raises(error) as info:
            call()
        assert str(info.value).startswith(message), str(info.value)
    check(faiss_lookup(faiss_index, pack_bits(db[:2]), 16), [np.arange(30)] * 2)


def test_load_refuses_pickled_arrays(tmp_path):
    path = tmp_path / "pickled.npz"
    np.savez(path, n_bits=np.int64(3), codes=np.array([[1]], dtype=object), format=np.str_("aecourse.HashIndex/1"))
    with pytest.raises(ValueError, match="allow_pickle=False"):
        HashIndex.load(path)
