"""Checks for solutions/06_semantic_hashing.ipynb: the noisy sigmoid, noise schedule, binarise-and-pack, flip masks, a
hash-table lookup and precision@k. The library (aecourse.noisy_codes, aecourse.bits, aecourse.retrieval) is the
reference."""
import itertools

import numpy as np
import torch

from ...bits import binarize, n_probes, pack_bits
from ...noisy_codes import LinearNoise
from ...retrieval import precision_at_k
from . import exercise, expect, expect_close, expect_not_close


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _implied_noise(h, z) -> torch.Tensor:
    """The noise a result h = sigmoid(z + noise) carries: logit(h) - z, in float64."""
    h = torch.as_tensor(h).detach().double()
    noise = torch.log(h) - torch.log1p(-h) - z.double()
    expect(bool(torch.isfinite(noise).all()), "the result must lie strictly between 0 and 1, as "
           "sigmoid(z + sigma * eps) does: add the noise to z, then apply torch.sigmoid")
    return noise


@exercise("06.noisy_sigmoid", function="noisy_sigmoid", points=2)
def check_noisy_sigmoid(fn, case):
    z = 2.0 * torch.randn(200, 16, generator=_gen(1))    # pre-activations: 200 examples, 16 code units
    sigma = 1.5
    with case("eval mode (training=False): the plain sigmoid, no noise"):
        got = fn(z.clone(), sigma, False, _gen(0))
        expect_not_close(got, z.clamp(0, 1), "squash with torch.sigmoid(z), not a clamp to [0, 1]")
        expect_close(got, torch.sigmoid(z), hint="with training=False (eval mode) the layer is the plain sigmoid, "
                     "torch.sigmoid(z): the noise is for training only")
    with case("training mode (training=True): noise is added"):
        got = fn(z.clone(), sigma, True, _gen(0))
        expect(isinstance(got, torch.Tensor) and got.shape == z.shape, f"return a tensor shaped like z "
               f"{tuple(z.shape)}, got {type(got).__name__} {tuple(getattr(got, 'shape', ()))}")
        expect(not torch.allclose(got, torch.sigmoid(z)), "with training=True add gaussian noise to z before the "
               "sigmoid: sigmoid(z + sigma * eps); you returned the plain sigmoid")
    with case("the noise goes in before the sigmoid"):
        got = fn(z.clone(), sigma, True, _gen(0))
        if bool(((got < 0) | (got > 1)).any()):
            expect(not bool((got - z).std() < (got - torch.sigmoid(z)).std()), "the noisy pre-activation must still "
                   "go through the sigmoid: return torch.sigmoid(z + sigma * eps), not z + sigma * eps")
            expect(False, "add the noise to z, BEFORE the sigmoid: sigmoid(z + sigma * eps). Added after it, "
                   "sigmoid(z) + sigma * eps, the codes leave (0, 1), and no unit needs to saturate")
        expect(not bool(((got == 0) | (got == 1)).any()), "squash with torch.sigmoid, not a clamp to [0, 1]: a clamp "
               "gives exact 0s and 1s, with no gradient there")
    with case("a fresh draw for every entry"):
        noise = _implied_noise(fn(z.clone(), sigma, True, _gen(0)), z)
        along_row, along_column = noise.std(dim=1).max(), noise.std(dim=0).max()
        tiny = 0.05 * sigma
        expect(not bool(along_row < tiny and along_column < tiny), "every entry got the same noise, one single draw: "
               "draw eps with z's shape, torch.randn(z.shape, generator=generator)")
        expect(not bool(along_row < tiny), "all the units of an example got the same noise (one draw per row, shape "
               "(n, 1)): draw eps with z's full shape (n, b), so each unit gets its own")
        expect(not bool(along_column < tiny), "every example got the same noise (one draw per unit, shape (b,) or "
               "(1, b)): draw eps with z's full shape (n, b), so each example gets its own")
    with case("the noise comes from the generator"):
        a, b, c = (fn(z.clone(), sigma, True, _gen(seed)) for seed in (5, 5, 6))
        expect(torch.equal(a, b), "the same seed must give the same noise: draw with the generator argument, "
               "torch.randn(z.shape, generator=generator)")
        expect(not torch.equal(a, c), "different seeds gave the same noise: draw from the generator you are given, "
               "not from one of your own")
        shared = _gen(7)
        expect(not torch.equal(fn(z.clone(), sigma, True, shared), fn(z.clone(), sigma, True, shared)),
               "two calls with one generator gave the same noise: do not reseed it; every training step needs "
               "fresh noise")
    with case("gaussian noise of mean 0 and standard deviation sigma"):
        for level in (1.5, 0.5):
            noise = _implied_noise(fn(z.clone(), level, True, _gen(8)), z)
            mean, std = float(noise.mean()), float(noise.std())
            expect(abs(mean) < 0.15 * level, f"sigma = {level}: the noise averages {mean:.2f}, not 0: draw standard "
                   "normal eps with torch.randn (torch.rand is uniform on [0, 1))")
            expect(abs(std - level ** 2) > 0.1 * level ** 2, f"sigma = {level}: the noise's standard deviation is "
                   f"{std:.2f} = sigma ** 2: sigma is the standard deviation, so multiply eps by sigma, not by the "
                   "variance sigma ** 2")
            expect(abs(std - level ** 0.5) > 0.1 * level ** 0.5, f"sigma = {level}: the noise's standard deviation "
                   f"is {std:.2f} = sqrt(sigma): sigma is the standard deviation itself, so multiply eps by sigma")
            expect(abs(std - level) < 0.1 * level, f"sigma = {level}: the noise's standard deviation is {std:.2f}: "
                   "scale standard normal eps by sigma, sigmoid(z + sigma * eps)")
    with case("gradients flow back to z"):
        z_grad = z.clone().requires_grad_(True)
        h = fn(z_grad, sigma, True, _gen(9))
        expect(isinstance(h, torch.Tensor) and h.requires_grad, "the result is cut off from z's graph: stay in torch "
               "(no .detach(), no numpy), so the encoder learns through the code layer")
        h.sum().backward()
        h = h.detach()
        expect_close(z_grad.grad, h * (1 - h), rtol=1e-3, atol=1e-6, hint="the derivative of sigmoid(z + sigma * eps) "
                     "with respect to z is h (1 - h): add eps to z and let autograd do the rest")


@exercise("06.linear_noise", function="linear_noise", points=1)
def check_linear_noise(fn, case):
    def ref(epoch, epochs, final, end):
        return LinearNoise(final, 0.0, end)(epoch, epochs)

    with case("no noise at the first epoch"):
        got = fn(0, 100, 8.0, 0.8)
        expect_not_close(got, ref(1, 100, 8.0, 0.8), "epochs count from 0: t = epoch / (epochs - 1), so epoch 0 "
                         "has t = 0 and sigma = 0")
        expect_close(got, 0.0, hint="at epoch 0 the ramp has not started: sigma = 0")
    with case("the final level from `end` of training on"):
        late, last = fn(90, 100, 8.0, 0.8), fn(99, 100, 8.0, 0.8)
        expect_not_close(last, 8.0 * 0.8, "divide t by end (t / end), do not multiply")
        expect_not_close(late, 8.0 * 90 / 99, "divide t by end: the ramp reaches `final` at t = end, not at t = 1")
        expect_close(last, 8.0, hint="after the ramp sigma stays at `final`: clip t / end to at most 1, "
                     "min(t / end, 1)")
        expect_close(late, 8.0, hint="epoch 90 of 100 is past end = 0.8: sigma = final")
    with case("linear in between"):
        for epoch in (10, 33, 50, 79):
            got, t = fn(epoch, 100, 8.0, 0.8), epoch / 99
            expect_not_close(got, 8.0 * min(epoch / 100 / 0.8, 1), "divide by epochs - 1, not epochs: the last "
                             "epoch, epochs - 1, must reach t = 1", rtol=1e-6)
            expect_not_close(got, 8.0 * t, "divide t by end: the ramp reaches `final` at t = end, not at t = 1",
                             rtol=1e-6)
            expect_not_close(got, 8.0 * min(t * 0.8, 1), "divide t by end (t / end), do not multiply", rtol=1e-6)
            expect_close(got, ref(epoch, 100, 8.0, 0.8),
                         hint=f"epoch {epoch}: sigma = final * min(t / end, 1) with t = epoch / (epochs - 1)")
    with case("other settings"):
        got = fn(4, 11, 2.0, 1.0)
        expect_not_close(got, 8.0 * 0.4, "use the `final` argument, not a fixed level")
        expect_close(got, ref(4, 11, 2.0, 1.0),
                     hint="with end = 1 the ramp lasts the whole training: t = epoch / (epochs - 1)")
    with case("a single epoch: no division by zero",
              error_hint="with epochs = 1 there is no epochs - 1 to divide by: t = epoch / max(epochs - 1, 1)"):
        expect_close(fn(0, 1, 2.0, 0.5), ref(0, 1, 2.0, 0.5), hint="with epochs = 1 the only epoch is 0: t = 0 "
                     "(t = epoch / max(epochs - 1, 1))")


@exercise("06.binarize_and_pack", function="binarize_and_pack", points=1)
def check_binarize_and_pack(fn, case):
    rng = np.random.default_rng(0)
    codes = rng.random((5, 16)).astype(np.float32)
    with case("uint8 bytes, 8 bits to a byte"):
        out = fn(codes)
        expect(isinstance(out, np.ndarray) and out.shape != (10,), "pack each row on its own: "
               "np.packbits(bits, axis=1); without axis, packbits flattens the codes first")
        expect(isinstance(out, np.ndarray) and out.dtype == np.uint8 and out.shape == (5, 2),
               f"16 bits pack into 2 bytes: expected a uint8 array of shape (5, 2), got "
               f"{type(out).__name__} {getattr(out, 'dtype', '')} {getattr(out, 'shape', '')}")
    with case("round at 1/2, first bit most significant"):
        got, bits = fn(codes), binarize(codes)
        expect_not_close(got, np.packbits(bits, axis=1, bitorder="little"), "the first bit is the MOST significant "
                         "one: np.packbits' default bitorder='big'", atol=0)
        expect_not_close(got, pack_bits((codes > 0).astype(np.uint8)), "round at 1/2: bit = 1 where code > 0.5, "
                         "not > 0", atol=0)
        expect_close(got, pack_bits(bits), atol=0, hint="bit = 1 where code > 0.5; then np.packbits(bits, axis=1)")
    with case("a known code"):
        code = np.array([[0.9, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.8]], dtype=np.float32)
        expect_close(fn(code), np.array([[129]]), atol=0, hint="bits 10000001 are the byte 128 + 1 = 129")
    with case("a code of exactly 0.5 is a 0 bit"):
        code = np.array([[0.5, 0.9, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]], dtype=np.float32)
        got = fn(code)
        expect_not_close(got, np.array([[255]]), "a code of exactly 0.5 must give bit 0: use code > 0.5 (strictly "
                         "greater), not >= 0.5", atol=0)
        expect_close(got, np.array([[64]]), atol=0, hint="bits 01000000 are the byte 64")
    with case("widths that are not a multiple of 8",
              error_hint="a width that is not a multiple of 8 leaves a partial byte: let np.packbits(bits, axis=1) "
                         "pad it"):
        expect_close(fn(codes[:, :12]), pack_bits(binarize(codes[:, :12])), atol=0,
                     hint="12 bits take 2 bytes, the last one padded with zeros on the right")


def _rows(masks) -> set:
    return {tuple(int(v) for v in row) for row in np.asarray(masks)}


@exercise("06.flip_masks", function="flip_masks", points=2, reference="bits.flip_masks")
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
            expect(set(np.unique(out)) <= {0, 1} and out.sum(axis=1).max() <= radius,
                   f"masks are 0/1 and flip at most {radius} bits")
            expect(len(_rows(out)) == len(out), "some masks appear twice: each SET of flipped bits once "
                   "(itertools.combinations, not permutations)")
            expect(len(out) != n_probes(n_bits, radius - 1), f"the masks with exactly {radius} flips are missing: "
                   "loop over i in range(radius + 1)")
            expect(len(out) != expected - 1, "the mask with no flip (all zeros) is missing: the query's own "
                   "address comes first")
            expect(len(out) == expected, f"expected {expected} masks (sum of C({n_bits}, i) for i <= {radius}), "
                   f"got {len(out)}; remember the mask with no flip, and every size up to the radius")


def _within(table: dict, query: int, positions: int, radius: int) -> list[int]:
    """Items whose address differs from `query` in at most `radius` of the low `positions` bits (ids sorted)."""
    found = []
    for i in range(radius + 1):
        for flipped in itertools.combinations(range(positions), i):
            found += table.get(query ^ sum(1 << p for p in flipped), [])
    return sorted(found)


def _table(keys) -> dict[int, list[int]]:
    table: dict[int, list[int]] = {}
    for i, key in enumerate(keys):
        table.setdefault(int(key), []).append(i)
    return table


@exercise("06.hash_lookup", function="hash_lookup", points=2)
def check_hash_lookup(fn, case):
    rng = np.random.default_rng(3)
    centres = rng.integers(0, 2, (4, 8), dtype=np.uint8)
    db = centres[rng.integers(0, 4, 60)] ^ (rng.random((60, 8)) < 0.15).astype(np.uint8)
    table8 = _table(np.packbits(db, axis=1)[:, 0])
    # 12 bits; the query's top three bits are 0, and items sit one and two flips away in those bits
    q12 = 0b0001_1000_0110
    near = [q12, q12 ^ 1 << 11, q12 ^ 1 << 8, q12 ^ (1 << 10 | 1), q12 ^ 0b111, q12 ^ 0b1111, q12 ^ 1 << 3]
    table12 = _table(near + [int(k) for k in rng.integers(0, 1 << 12, 40)])

    def expect_items(table, query, n_bits, radius):
        got = sorted(int(i) for i in fn(table, query, n_bits, radius))
        want = _within(table, query, n_bits, radius)
        if got == want:
            return
        expect(len(set(got)) == len(got), f"item ids appear twice ({got}): probe each address once, one mask "
               "per SET of flipped bits")
        if n_bits != 8:
            expect(got != _within(table, query, 8, radius), f"{n_bits}-bit addresses: flip each of the n_bits = "
                   f"{n_bits} positions, not a fixed 8")
        expect(got != _within(table, query, query.bit_length(), radius), f"query {query:0{n_bits}b}: "
               "query.bit_length() ignores the leading 0 bits; flip every one of the n_bits positions")
        if radius > 2:
            expect(got != _within(table, query, n_bits, 2), f"radius {radius}: you stop at 2 flips; flip every "
                   "number of bits from 0 to radius (itertools.combinations(range(n_bits), i) for i in "
                   "range(radius + 1))")
        expect(False, f"query {query:0{n_bits}b}, radius {radius}: expected items {want}, got {got}; probe "
               "key ^ mask for every mask of at most `radius` flipped bits, and skip empty addresses")

    skip_empty = "an address may hold no items: look it up with table.get(key, []), not table[key]"
    for radius in (0, 1, 2):
        with case(f"8 bits, radius {radius}: the same items as a brute-force scan", error_hint=skip_empty):
            for q in (int(next(iter(table8))), 0b10101010, 0b00001111):
                expect_items(table8, q, 8, radius)
    with case("12 bits whose leading bits are 0, radius 1 and 2", error_hint=skip_empty):
        for radius in (1, 2):
            expect_items(table12, q12, 12, radius)
    with case("radius 3", error_hint=skip_empty):
        expect_items(table12, q12, 12, 3)
        expect_items(table8, 0b10101010, 8, 3)
    with case("an address nobody has gives no items", error_hint=skip_empty):
        empty = next(k for k in range(256) if k not in table8)
        got = list(fn(table8, empty, 8, 0))
        expect(got == [], f"address {empty:08b} is empty: expected [], got {got}")


def _precision(queries, db, query_labels, db_labels, k, *, wrap=False, start=0) -> float:
    """precision@k with two mistakes as options: uint8 wrap-around (np.abs(q - db) makes 0 - 1 = 255), and
    skipping the nearest item (start=1)."""
    distances = (np.abs(queries[:, None, :] - db[None, :, :]) if wrap else queries[:, None, :] != db[None]).sum(2)
    nearest = np.argsort(distances, axis=1, kind="stable")[:, start:start + k]
    return float((db_labels[nearest] == query_labels[:, None]).mean())


@exercise("06.precision_at_k", function="precision_at_k", points=2, reference="retrieval.precision_at_k")
def check_precision_at_k(fn, case):
    rng = np.random.default_rng(1)
    db = rng.integers(0, 2, (40, 8), dtype=np.uint8)
    db_labels = rng.integers(0, 3, 40)
    queries = db[:6] ^ (rng.random((6, 8)) < 0.1).astype(np.uint8)
    query_labels = db_labels[:6]
    with case("a hand-made example"):
        db_small = np.array([[0, 0], [1, 1], [0, 1]], dtype=np.uint8)
        got = fn(np.array([[0, 0]], dtype=np.uint8), db_small, np.array([0]), np.array([0, 1, 0]), 1)
        expect(np.ndim(got) == 0, f"expected one number (the mean over queries), got shape {np.shape(got)}")
        expect_not_close(got, 0.0, "the Hamming distance counts the bits that DIFFER (!=): the nearest item is "
                         "the one with the fewest differing bits")
        expect_close(got, 1.0, hint="the nearest item to [00] is 00 (label 0, the query's): precision 1")
    with case("ties broken by id (a stable sort)"):
        # 16-bit codes at distance 1 or 3 from the query; of the many items at distance 1, only the first ten by id
        # share the query's label, so any other choice among the ties lowers the precision
        for seed in range(5):
            r = np.random.default_rng(seed)
            n_bits, n = 16, 120
            close = r.random(n) < 0.5
            db_t = np.zeros((n, n_bits), dtype=np.uint8)
            for i in range(n):
                db_t[i, r.choice(n_bits, 1 if close[i] else 3, replace=False)] = 1
            labels = np.ones(n, dtype=int)
            labels[np.flatnonzero(close)[:10]] = 0
            tie_args = (np.zeros((1, n_bits), dtype=np.uint8), db_t, np.array([0]), labels, 10)
            got = fn(*tie_args)
            expect_not_close(got, _precision(*tie_args, start=1), "keep the first k, [:, :k]: the queries are not "
                             "in the database, so the nearest item is not the query itself")
            expect_close(got, 1.0, hint="many items are equally near: break ties by id, with "
                         "np.argsort(distances, axis=1, kind='stable'); the default sort (and np.argpartition) may "
                         "reorder equal distances")
    for k in (1, 5, 20):
        with case(f"k = {k}"):
            got = fn(queries, db, query_labels, db_labels, k)
            want = precision_at_k(queries, db, query_labels, db_labels, k)
            expect(np.ndim(got) == 0, f"expected one number (the mean over queries), got shape {np.shape(got)}")
            args = (queries, db, query_labels, db_labels, k)
            wrapped, skipped = _precision(*args, wrap=True), _precision(*args, start=1)
            if not np.isclose(wrapped, want):
                expect_not_close(got, wrapped, "uint8 arithmetic wraps around: 0 - 1 is 255, so np.abs(q - db) is "
                                 "not the number of differing bits; count them with (q != db).sum(...), or cast "
                                 "to int first")
            if not np.isclose(skipped, want):
                expect_not_close(got, skipped, "keep the first k, [:, :k]: the queries are not in the database, so "
                                 "the nearest item is not the query itself")
            expect_close(got, want, hint="rank the database by Hamming distance (ties by id: np.argsort(..., "
                         "kind='stable')), keep the first k, average the share of same-label items over queries")
    with case("returns a float"):
        out = fn(queries, db, query_labels, db_labels, 5)
        expect(np.ndim(out) == 0, f"expected one number (the mean over queries), got shape {np.shape(out)}")
