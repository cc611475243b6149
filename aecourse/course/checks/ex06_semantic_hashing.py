"""Checks for solutions/06_semantic_hashing.ipynb: noise schedule, binarise-and-pack, flip masks, a hash-table
lookup and precision@k. The library (aecourse.noisy_codes, aecourse.bits, aecourse.retrieval) is the reference."""
import numpy as np

from ...bits import binarize, n_probes, pack_bits
from ...hash_index import HashIndex
from ...noisy_codes import LinearNoise
from ...retrieval import precision_at_k
from . import exercise, expect, expect_close


@exercise("06.linear_noise", function="linear_noise", points=1)
def check_linear_noise(fn, case):
    with case("no noise at the first epoch"):
        expect_close(fn(0, 100, 8.0, 0.8), 0.0, hint="at epoch 0 the ramp has not started: sigma = 0")
    with case("the final level from `end` of training on"):
        expect_close(fn(99, 100, 8.0, 0.8), 8.0, hint="after the ramp sigma stays at `final`; clip u to [0, 1]")
        expect_close(fn(90, 100, 8.0, 0.8), 8.0, hint="epoch 90 of 100 is past end = 0.8: sigma = final")
    with case("linear in between"):
        for epoch in (10, 33, 50, 79):
            expect_close(fn(epoch, 100, 8.0, 0.8), LinearNoise(8.0, 0.0, 0.8)(epoch, 100),
                         hint=f"epoch {epoch}: sigma = final * min(t / end, 1) with t = epoch / (epochs - 1)")
    with case("other settings"):
        expect_close(fn(4, 11, 2.0, 1.0), LinearNoise(2.0, 0.0, 1.0)(4, 11),
                     hint="with end = 1 the ramp lasts the whole training: t = epoch / (epochs - 1)")


@exercise("06.binarize_and_pack", function="binarize_and_pack", points=1)
def check_binarize_and_pack(fn, case):
    rng = np.random.default_rng(0)
    codes = rng.random((5, 16)).astype(np.float32)
    with case("uint8 bytes, 8 bits to a byte"):
        out = fn(codes)
        expect(isinstance(out, np.ndarray) and out.dtype == np.uint8 and out.shape == (5, 2),
               f"16 bits pack into 2 bytes: expected a uint8 array of shape (5, 2), got "
               f"{type(out).__name__} {getattr(out, 'dtype', '')} {getattr(out, 'shape', '')}")
    with case("round at 1/2, first bit most significant"):
        expect_close(fn(codes), pack_bits(binarize(codes)), atol=0,
                     hint="bit = 1 where code > 0.5; then np.packbits(bits, axis=1)")
    with case("a known code"):
        code = np.array([[0.9, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.8]], dtype=np.float32)
        expect_close(fn(code), np.array([[129]]), atol=0, hint="bits 10000001 are the byte 128 + 1 = 129")
    with case("widths that are not a multiple of 8"):
        expect_close(fn(codes[:, :12]), pack_bits(binarize(codes[:, :12])), atol=0,
                     hint="12 bits take 2 bytes, the last one padded with zeros on the right")


def _rows(masks) -> set:
    return {tuple(int(v) for v in row) for row in np.asarray(masks)}


@exercise("06.flip_masks", function="flip_masks_bits", points=2)
def check_flip_masks(fn, case):
    with case("radius 0: only the query's own address"):
        out = np.asarray(fn(5, 0))
        expect(out.shape == (1, 5) and not out.any(), f"radius 0 needs one all-zero mask of 5 bits, got shape "
               f"{out.shape}")
    for n_bits, radius in ((6, 1), (8, 2), (10, 3)):
        with case(f"{n_bits} bits, radius {radius}: 1 + b + ... masks"):
            out = np.asarray(fn(n_bits, radius))
            expected = n_probes(n_bits, radius)
            expect(out.ndim == 2 and out.shape[1] == n_bits,
                   f"expected one row of {n_bits} bits per mask, got shape {out.shape}")
            expect(len(out) == expected, f"expected {expected} masks (sum of C({n_bits}, i) for i <= {radius}), "
                   f"got {len(out)}; remember the mask with no flip, and every size up to the radius")
            expect(len(_rows(out)) == expected, "some masks appear twice: each set of flipped bits once")
            expect(set(np.unique(out)) <= {0, 1} and out.sum(axis=1).max() <= radius,
                   f"masks are 0/1 and flip at most {radius} bits")


@exercise("06.hash_lookup", function="hash_lookup", points=2)
def check_hash_lookup(fn, case):
    rng = np.random.default_rng(3)
    n_bits = 8
    centres = rng.integers(0, 2, (4, n_bits), dtype=np.uint8)
    db = centres[rng.integers(0, 4, 60)] ^ (rng.random((60, n_bits)) < 0.15).astype(np.uint8)
    keys = [int(k) for k in np.packbits(db, axis=1)[:, 0]]
    table: dict[int, list[int]] = {}
    for i, key in enumerate(keys):
        table.setdefault(key, []).append(i)
    index = HashIndex(n_bits, db)
    queries = [keys[0], keys[5], 0b10101010]
    for radius in (0, 1, 2):
        with case(f"radius {radius}: the same items as a brute-force scan"):
            for q in queries:
                got = sorted(int(i) for i in fn(table, q, n_bits, radius))
                query_bits = np.unpackbits(np.array([[q]], dtype=np.uint8), axis=1)
                want = index.lookup(query_bits, radius)[0].tolist()
                expect(got == want, f"query {q:08b}, radius {radius}: expected items {want}, got {got}; probe "
                       "key ^ mask for every mask of at most `radius` flipped bits, and skip empty addresses")
    with case("an address nobody has gives no items"):
        empty = next(k for k in range(256) if k not in table)
        got = list(fn(table, empty, n_bits, 0))
        expect(got == [], f"address {empty:08b} is empty: expected [], got {got}")


@exercise("06.precision_at_k", function="precision_at_k", points=2)
def check_precision_at_k(fn, case):
    rng = np.random.default_rng(1)
    db = rng.integers(0, 2, (40, 8), dtype=np.uint8)
    db_labels = rng.integers(0, 3, 40)
    queries = db[:6] ^ (rng.random((6, 8)) < 0.1).astype(np.uint8)
    query_labels = db_labels[:6]
    with case("a hand-made example"):
        db_small = np.array([[0, 0], [1, 1], [0, 1]], dtype=np.uint8)
        got = fn(np.array([[0, 0]], dtype=np.uint8), db_small, np.array([0]), np.array([0, 1, 0]), 2)
        expect_close(got, 1.0, hint="the 2 nearest of [00] are 00 (label 0) and 01 (label 0): precision 1")
    for k in (1, 5, 20):
        with case(f"k = {k}"):
            expect_close(fn(queries, db, query_labels, db_labels, k),
                         precision_at_k(queries, db, query_labels, db_labels, k),
                         hint="rank the database by Hamming distance (ties by id: np.argsort(..., kind='stable')), "
                              "keep the first k, average the share of same-label items over queries")
    with case("returns a float"):
        out = fn(queries, db, query_labels, db_labels, 5)
        expect(np.ndim(out) == 0, f"expected one number (the mean over queries), got shape {np.shape(out)}")
