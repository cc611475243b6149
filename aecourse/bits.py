"""Binary codes as addresses: binarise, pack, flip and compare bits (lesson 06b).

A code of b bits is an address. A hash table maps each address to the items stored there, so a query
costs a handful of lookups whatever the size of the database. Similar items are found by probing every
address within Hamming distance r of the query's code, obtained by flipping up to r of its bits:

    n_probes(b, r) = sum_{i=0..r} C(b, i)        e.g. b = 32, r = 2: 1 + 32 + 496 = 529 probes.

Bits are packed 8 to a byte, most significant bit first (`np.packbits`' default): bit j of a code is bit
7 - j % 8 of byte j // 8. faiss's own binarisation (`faiss.real_to_binary`) does the opposite, putting dimension 0
in the least significant bit of byte 0. The Hamming distance between two packed codes, popcount(a XOR b) summed
over bytes, does not depend on the order of the bits within a byte, so faiss's binary indexes find the same
neighbours in our packed codes (`HashIndex.to_faiss`); only a code unpacked with the other library's order
would come out with its bits reversed within each byte.

The hash table over these addresses is `hash_index.HashIndex`; `linear_scan` here is its brute-force twin.
"""
from __future__ import annotations

import itertools
import math
from functools import lru_cache

import numpy as np

from .validation import as_numpy, check_bits, check_number, check_packed, check_positive_int, check_radius

MAX_KEY_BITS = 64          # HashIndex stores each code as one uint64 address
MAX_PROBES = 1 << 22       # beyond ~4M probes per query a linear scan is the better tool
CHUNK = 1 << 21           # probes (or distance entries) handled per vectorised step, bounds memory

_POPCOUNT8 = np.array([i.bit_count() for i in range(256)], dtype=np.uint8)


def popcount(x: np.ndarray) -> np.ndarray:
    """Number of set bits of each element of an unsigned integer array (same shape, uint8)."""
    if hasattr(np, "bitwise_count"):       # numpy >= 2.0: a hardware popcount
        return np.bitwise_count(x)
    x = np.ascontiguousarray(x)
    return _POPCOUNT8[x.view(np.uint8)].reshape(*x.shape, x.itemsize).sum(axis=-1, dtype=np.uint8)


# ----------------------------------------------------------------------------------------- bits and bytes
def binarize(codes, threshold: float = 0.5) -> np.ndarray:
    """Round float codes to bits: 1 where code > threshold, else 0. Returns uint8 (n, b) (lesson 06b).

    Use threshold 0.5 for sigmoid codes and 0 for projections of centred data (LSH, PCA sign, ITQ).
    """
    codes = as_numpy(codes, "codes")
    threshold = check_number(threshold, "threshold")
    return (codes > threshold).astype(np.uint8)


def pack_bits(bits) -> np.ndarray:
    """Pack (n, b) 0/1 bits into (n, ceil(b/8)) uint8 bytes, first bit = most significant (`np.packbits`)
    (lesson 06b)."""
    return np.packbits(check_bits(bits), axis=1)


def unpack_bits(packed, n_bits: int) -> np.ndarray:
    """Inverse of `pack_bits`: (n, ceil(b/8)) uint8 bytes back to (n, n_bits) 0/1 uint8 bits."""
    n_bits = check_positive_int(n_bits, "n_bits")
    packed = check_packed(packed, "packed", n_bits)
    return np.unpackbits(packed, axis=1, count=n_bits)


def to_keys(packed, n_bits: int) -> np.ndarray:
    """Packed codes of up to 64 bits as uint64 integers: bit j of the code has weight 2^(n_bits-1-j)."""
    n_bits = check_positive_int(n_bits, "n_bits")
    if n_bits > MAX_KEY_BITS:
        raise ValueError(f"n_bits: integer addresses hold at most {MAX_KEY_BITS} bits, got {n_bits}")
    packed = check_packed(packed, "packed", n_bits)
    return packed_keys(packed, n_bits)


def packed_keys(packed: np.ndarray, n_bits: int) -> np.ndarray:
    """`to_keys` without the checks, for codes already checked (the hash index calls it on every lookup)."""
    wide = np.zeros((len(packed), 8), dtype=np.uint8)
    wide[:, :packed.shape[1]] = packed
    return wide.view(">u8").ravel().astype(np.uint64) >> np.uint64(64 - n_bits)


# ------------------------------------------------------------------------------------------ flip masks
def n_probes(n_bits: int, radius: int) -> int:
    """Addresses within Hamming distance `radius` of a b-bit code: sum_{i<=r} C(b, i) (lesson 06b)."""
    n_bits = check_positive_int(n_bits, "n_bits")
    radius = check_radius(radius, n_bits)
    return sum(math.comb(n_bits, i) for i in range(radius + 1))


def _check_probes(n_bits: int, radius: int) -> int:
    count = n_probes(n_bits, radius)
    if count > MAX_PROBES:
        raise ValueError(f"radius: a Hamming ball of radius {radius} around a {n_bits}-bit code has {count:,} "
                         f"addresses, more than the {MAX_PROBES:,} this index probes per query: use a smaller "
                         "radius, or linear_scan(query, db, radius), which is cheaper at that size")
    return count


@lru_cache(maxsize=32)
def _flip_positions(n_bits: int, radius: int) -> tuple[np.ndarray, np.ndarray]:
    """Flattened positions of the flipped bits of every probe, and the probe each belongs to."""
    positions, owners, start = [], [], 0
    for i in range(radius + 1):
        combos = np.fromiter(itertools.chain.from_iterable(itertools.combinations(range(n_bits), i)),
                             dtype=np.int64, count=math.comb(n_bits, i) * i)
        positions.append(combos)
        owners.append(np.repeat(np.arange(start, start + math.comb(n_bits, i)), i))
        start += math.comb(n_bits, i)
    return np.concatenate(positions), np.concatenate(owners)


def flip_masks(n_bits: int, radius: int) -> np.ndarray:
    """Packed masks (n_probes, ceil(b/8)) whose XOR with a code gives every address within `radius` (lesson 06b).

    Order: no flip first, then all 1-bit flips, then 2-bit flips, ...; within a size, flipped positions
    in lexicographic order (as `itertools.combinations`).
    """
    count = _check_probes(n_bits, radius)
    positions, owners = _flip_positions(n_bits, radius)
    bits = np.zeros((count, n_bits), dtype=np.uint8)
    bits[owners, positions] = 1
    return np.packbits(bits, axis=1)


@lru_cache(maxsize=32)
def flip_keys(n_bits: int, radius: int) -> np.ndarray:
    """The masks of `flip_masks` as uint64 integers (n_bits <= 64), read-only and cached: XOR one with a key."""
    count = _check_probes(n_bits, radius)
    positions, owners = _flip_positions(n_bits, radius)
    keys = np.zeros(count, dtype=np.uint64)
    np.bitwise_or.at(keys, owners, np.left_shift(np.uint64(1), (n_bits - 1 - positions).astype(np.uint64)))
    keys.flags.writeable = False
    return keys


# ------------------------------------------------------------------------------------------ linear scan
def _words(packed: np.ndarray) -> np.ndarray:
    """Packed codes as (n, w) unsigned words, zero-padded: one uint8/16/32/64 word up to 8 bytes, else uint64s.

    XOR + popcount then costs one operation per word instead of one per byte.
    """
    n_bytes = packed.shape[1]
    width = 8 * ((n_bytes + 7) // 8) if n_bytes > 8 else 1 << (n_bytes - 1).bit_length()
    wide = np.zeros((len(packed), width), dtype=np.uint8)
    wide[:, :n_bytes] = packed
    return wide.view(f"u{min(width, 8)}")


def _distance_blocks(query_packed, db_packed):
    """Check a query/database pair and yield their Hamming distances block by block of queries, (m, n) each."""
    db_packed = check_packed(db_packed, "db_packed")
    query_packed = check_packed(query_packed, "query_packed", n_bytes=db_packed.shape[1])
    if len(db_packed) == 0:
        raise ValueError("db_packed: the database is empty: add at least one code")
    q, x = _words(query_packed), _words(db_packed)
    step = max(1, CHUNK // (len(x) * x.shape[1]))
    for s in range(0, len(q), step):
        dist = popcount(q[s:s + step, None, :] ^ x[None, :, :])
        yield dist[:, :, 0] if x.shape[1] == 1 else dist.sum(axis=-1, dtype=np.int32)


def split_by_owner(values: np.ndarray, owner: np.ndarray, n_groups: int) -> list[np.ndarray]:
    """Values sorted by ascending owner (0..n_groups-1) -> one int64 array per owner (empty where none)."""
    bounds = np.searchsorted(owner, np.arange(n_groups + 1)).tolist()
    values = values.astype(np.int64, copy=False)
    return [values[a:b] for a, b in itertools.pairwise(bounds)]


def hamming_distance(query_packed, db_packed) -> np.ndarray:
    """Hamming distances (nq, n) between packed codes: popcount(q XOR x) summed over the bytes."""
    blocks = [dist.astype(np.int32) for dist in _distance_blocks(query_packed, db_packed)]
    return np.concatenate(blocks) if blocks else np.zeros((0, len(db_packed)), dtype=np.int32)


def linear_scan(query_packed, db_packed, radius: int) -> list[np.ndarray]:
    """Ids of the database codes within Hamming distance <= radius of each query, by scanning them all (lesson 06b).

    Returns one sorted int64 array per query. Cost: n XOR + popcount per query, whatever the radius.
    The radius may be up to 8 * n_bytes (the padding bits of packed codes are 0 and never differ).
    """
    check_radius(radius, 8 * check_packed(db_packed, "db_packed").shape[1])
    result = []
    for dist in _distance_blocks(query_packed, db_packed):
        flat = np.flatnonzero(dist <= radius)                            # row-major: query, then item id
        rows, ids = np.divmod(flat, dist.shape[1])
        result.extend(split_by_owner(ids, rows, len(dist)))
    return result
