"""A hash table from binary codes to items, probed over a Hamming ball (lesson 06b).

`HashIndex` keeps the codes as unsigned integers sorted once; a batch of queries probes all of its flipped
addresses at once with `np.searchsorted` (no Python loop per probe or per query), after a one-hash Bloom
filter has ruled out most of the empty addresses. `bits.linear_scan` is the brute-force alternative;
`HashIndex.to_faiss` exports the codes to a faiss binary index.
"""
from __future__ import annotations

import os

import numpy as np

from .bits import CHUNK, MAX_KEY_BITS, flip_keys, packed_keys, split_by_owner
from .validation import check_bits, check_packed, check_positive_int, check_radius, packed_width, to_numpy


def fibonacci_hash(keys: np.ndarray, bits: int) -> np.ndarray:
    """Fibonacci hashing: the top `bits` bits of key * 2^64/golden ratio (mod 2^64), as table slots.

    Multiplying by an odd constant near 2^64/phi spreads neighbouring keys (codes a bit flip apart) far apart.
    """
    return ((keys * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(64 - bits)).astype(np.intp)


class BloomFilter:
    """A one-hash Bloom filter over uint64 keys: `may_contain(keys)` is False only for keys never added.

    A table of 2^bits booleans with about 16 slots per key, so about 1/16 (6 %) of absent keys get through.
    One table read per key is much cheaper than the binary search it saves for most probed (empty) addresses.
    """

    def __init__(self, keys: np.ndarray):
        self.bits = int(np.clip((16 * len(keys)).bit_length(), 10, 25))
        self.table = np.zeros(1 << self.bits, dtype=bool)
        self.table[fibonacci_hash(keys, self.bits)] = True

    def may_contain(self, keys: np.ndarray) -> np.ndarray:
        return self.table[fibonacci_hash(keys, self.bits)]


class HashIndex:
    """A hash table from b-bit binary codes (b <= 64) to the ids of the items that have them (lesson 06b).

    >>> index = HashIndex(32, bits_db)          # or HashIndex(32).add(bits_db); packed codes work too
    >>> index.lookup(bits_query, radius=2)      # one sorted int64 array of item ids per query

    Item ids are the positions of the codes in the order they were added. Internally the codes are uint64
    addresses sorted once; a lookup XORs each query address with all flip masks and finds the occupied
    addresses with one `np.searchsorted` over the whole batch.
    """

    def __init__(self, n_bits: int, codes=None):
        n_bits = check_positive_int(n_bits, "n_bits")
        if n_bits > MAX_KEY_BITS:
            raise ValueError(f"n_bits: HashIndex stores codes of at most {MAX_KEY_BITS} bits as integer addresses, "
                             f"got {n_bits}: use linear_scan for longer codes, or hash on their first 64 bits")
        self.n_bits = n_bits
        self.n_bytes = packed_width(n_bits)
        self._codes = np.zeros((0, self.n_bytes), dtype=np.uint8)
        self._build()
        if codes is not None:
            self.add(codes)

    def _as_packed(self, codes, name: str) -> np.ndarray:
        """Accept (n, n_bits) 0/1 bits or (n, ceil(n_bits/8)) packed bytes; return packed bytes."""
        arr = to_numpy(codes)
        if isinstance(arr, np.ndarray) and arr.ndim == 2 and arr.shape[1] == self.n_bits and not (
                self.n_bits == self.n_bytes and arr.dtype == np.uint8 and arr.size and arr.max() > 1):
            return np.packbits(check_bits(arr, name, self.n_bits), axis=1)   # (1-bit codes: 0/1 bits, else packed)
        if isinstance(arr, np.ndarray) and arr.ndim == 2 and arr.shape[1] != self.n_bytes:
            raise ValueError(f"{name}: expected {self.n_bits}-bit codes, as (n, {self.n_bits}) 0/1 bits or "
                             f"(n, {self.n_bytes}) packed bytes, got shape {arr.shape}: the index was built "
                             f"for {self.n_bits} bits; queries and database must use the same code length")
        return check_packed(arr, name, self.n_bits)

    def _build(self) -> None:
        keys = packed_keys(self._codes, self.n_bits)
        self._order = np.argsort(keys, kind="stable")                     # ids grouped by address, ascending
        sorted_keys = keys[self._order]
        first = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]]) if len(keys) else np.zeros(0, int)
        self._addresses = sorted_keys[first]                              # occupied addresses, ascending
        self._starts = np.r_[first, len(keys)].astype(np.int64)           # bucket i: _order[starts[i]:starts[i+1]]
        self._filter = BloomFilter(self._addresses)                       # rules out most empty probes

    def add(self, codes) -> HashIndex:
        """Append codes ((n, n_bits) 0/1 bits or packed bytes); their ids continue after the current ones."""
        packed = self._as_packed(codes, "codes")
        self._codes = np.concatenate([self._codes, packed])
        self._build()
        return self

    def __len__(self) -> int:
        return len(self._codes)

    def __repr__(self) -> str:
        return f"HashIndex({self.n_bits} bits, {len(self)} items at {self.n_addresses} addresses)"

    @property
    def codes(self) -> np.ndarray:
        """The stored packed codes, row i = item i (a read-only view)."""
        view = self._codes.view()
        view.flags.writeable = False
        return view

    @property
    def n_addresses(self) -> int:
        """Number of distinct occupied addresses (buckets)."""
        return len(self._addresses)

    def bucket_sizes(self) -> np.ndarray:
        """Items per occupied address, in ascending address order."""
        return np.diff(self._starts)

    def lookup(self, query, radius: int = 0) -> list[np.ndarray]:
        """Ids of the items within Hamming distance <= radius of each query, as sorted int64 arrays.

        radius = 0 is the exact-address lookup. Cost per query: n_probes(b, r) binary searches over the
        occupied addresses, plus the size of the answer.
        """
        if len(self) == 0:
            raise ValueError("lookup: the index is empty: add codes first with index.add(bits)")
        packed = self._as_packed(query, "query")
        radius = check_radius(radius, self.n_bits)
        masks = flip_keys(self.n_bits, radius)
        query_keys = packed_keys(packed, self.n_bits)
        step = max(1, CHUNK // len(masks))
        result = []
        for s in range(0, len(query_keys), step):
            result.extend(self._probe(query_keys[s:s + step], masks))
        return result

    def _probe(self, query_keys: np.ndarray, masks: np.ndarray) -> list[np.ndarray]:
        probes = (query_keys[:, None] ^ masks[None, :]).ravel()           # all probed addresses, query-major
        maybe = np.flatnonzero(self._filter.may_contain(probes))
        slot = np.searchsorted(self._addresses, probes[maybe])
        np.minimum(slot, len(self._addresses) - 1, out=slot)
        hit = self._addresses[slot] == probes[maybe]
        bucket = slot[hit]
        owner = maybe[hit] // len(masks)                                  # query of each hit, ascending
        start, count = self._starts[bucket], self._starts[bucket + 1] - self._starts[bucket]
        # expand each hit bucket into the positions start, start+1, ..., start+count-1 of _order
        total = int(count.sum())
        offset = np.repeat(start - (np.cumsum(count) - count), count) + np.arange(total)
        ids = self._order[offset]
        owner = np.repeat(owner, count)
        ids = np.sort(owner * len(self) + ids) - owner * len(self) if total else ids  # sort ids within each query
        return split_by_owner(ids, owner, len(query_keys))

    # ------------------------------------------------------------------------------------- persistence
    def save(self, path) -> None:
        """Write the index to an .npz file (n_bits and the packed codes; the table is rebuilt on load)."""
        with open(path, "wb") as file:                                    # a file object: no ".npz" appended
            np.savez(file, n_bits=np.int64(self.n_bits), codes=self._codes, format=np.str_("aecourse.HashIndex/1"))

    @classmethod
    def load(cls, path) -> HashIndex:
        """Read an index written by `save`."""
        if not os.path.exists(path):
            raise FileNotFoundError(f"path: no index file at {path!r}: write one with index.save(path)")
        with np.load(path, allow_pickle=False) as data:
            if set(data.files) != {"n_bits", "codes", "format"} or str(data["format"]) != "aecourse.HashIndex/1":
                raise ValueError(f"path: {path!r} is not a file written by HashIndex.save (found arrays {data.files})")
            return cls(int(data["n_bits"]), data["codes"])

    # ------------------------------------------------------------------------------------------- faiss
    def to_faiss(self, kind: str = "hash", radius: int = 0):
        """Export the codes to a faiss binary index, for collections beyond what the course needs.

        kind="hash": `faiss.IndexBinaryHash` probing `nflip = radius` flipped bits; kind="flat":
        `faiss.IndexBinaryFlat` (popcount scan). Codes are zero-padded to whole bytes (faiss needs d % 8 == 0).
        faiss's range radius is strict: `faiss_lookup(index, query, r)` calls range_search with r + 1.
        """
        faiss = _import_faiss()
        if kind not in ("hash", "flat"):
            raise ValueError(f"kind: expected 'hash' or 'flat', got {kind!r}")
        radius = check_radius(radius, self.n_bits)
        d = 8 * self.n_bytes
        if kind == "flat":
            index = faiss.IndexBinaryFlat(d)
        else:
            index = faiss.IndexBinaryHash(d, min(d, MAX_KEY_BITS - 1))   # faiss hashes on < 64 bits
            index.nflip = radius
        index.add(np.ascontiguousarray(self._codes))
        return index


def _import_faiss():
    try:
        import faiss
    except ImportError as error:
        raise ImportError("faiss is not installed: install it with `pip install faiss-cpu` "
                          "(or `pip install -e .[dev]`); HashIndex and linear_scan work without it") from error
    return faiss


def faiss_lookup(faiss_index, query_packed, radius: int) -> list[np.ndarray]:
    """Ids within Hamming distance <= radius from a faiss binary index, as sorted int64 arrays per query.

    faiss's `range_search(q, R)` returns distances strictly below R, so this asks for R = radius + 1.
    """
    query_packed = check_packed(query_packed, "query_packed", n_bytes=faiss_index.code_size)
    radius = check_radius(radius, 8 * faiss_index.code_size)
    lims, _, ids = faiss_index.range_search(np.ascontiguousarray(query_packed), radius + 1)
    return [np.sort(ids[lims[i]:lims[i + 1]]).astype(np.int64) for i in range(len(query_packed))]
