"""Lesson 06: plausible wrong answers, each caught by the first failing case with a hint naming the mistake."""
import itertools
import json
from pathlib import Path

import numpy as np
import torch
from wrong_answers import wrong_answer_tests

from aecourse.noisy_codes import NoisySigmoid as LibraryLayer


def noisy_sigmoid(z, sigma, training, generator=None, *, after=False, in_eval=False, scale=lambda s: s,
                  shape=lambda z: z.shape, draw=torch.randn, squash=torch.sigmoid):
    if not (training or in_eval):
        return squash(z)
    eps = draw(shape(z), generator=generator)
    return squash(z) + scale(sigma) * eps if after else squash(z + scale(sigma) * eps)


def global_rng(z, sigma, training, generator=None):
    return torch.sigmoid(z + sigma * torch.randn_like(z)) if training else torch.sigmoid(z)


def own_generator(z, sigma, training, generator=None):
    return noisy_sigmoid(z, sigma, training, torch.Generator().manual_seed(0))


def linear_noise(epoch, epochs, final, end, *, last=None, clip=True, use_end="divide", one_based=False):
    last = max(epochs - 1, 1) if last is None else last(epochs)
    t = (epoch + one_based) / last
    u = {"divide": t / end, "ignore": t, "multiply": t * end}[use_end]
    return final * (min(u, 1.0) if clip else u)


def binarize_and_pack(codes, *, ge=False, bitorder="big", axis=1, threshold=0.5):
    bits = ((codes >= threshold) if ge else (codes > threshold)).astype(np.uint8)
    return np.packbits(bits, axis=axis, bitorder=bitorder)


def flip_masks(n_bits, radius, *, sizes=None, combine=itertools.combinations, skip_zero=False):
    masks = []
    for i in (range(radius + 1) if sizes is None else sizes(radius)):
        if i == 0 and skip_zero:
            continue
        for positions in combine(range(n_bits), i):
            mask = np.zeros(n_bits, dtype=np.uint8)
            mask[list(positions)] = 1
            masks.append(mask)
    return np.array(masks, dtype=np.uint8).reshape(-1, n_bits)


def hash_lookup(table, query, n_bits, radius, *, positions=None, max_flips=None,
                combine=itertools.combinations):
    width = n_bits if positions is None else positions(query, n_bits)
    found = []
    for i in range(min(radius, max_flips or radius) + 1):
        for flipped in combine(range(width), i):
            key = query ^ sum(1 << p for p in flipped)
            found.extend(table.get(key, []))
    return sorted(found)


def lookup_strict(table, query, n_bits, radius):
    found = []
    for i in range(radius + 1):
        for flipped in itertools.combinations(range(n_bits), i):
            found.extend(table[query ^ sum(1 << p for p in flipped)])
    return sorted(found)


def precision_at_k(query_bits, db_bits, query_labels, db_labels, k, *, distance="!=", kind="stable", start=0,
                   per_query=False):
    if distance == "!=":
        distances = (query_bits[:, None, :] != db_bits[None, :, :]).sum(axis=2)
    elif distance == "==":
        distances = (query_bits[:, None, :] == db_bits[None, :, :]).sum(axis=2)
    else:
        distances = np.abs(query_bits[:, None, :] - db_bits[None, :, :]).sum(axis=2)   # uint8 wraps around
    if kind == "partition":
        nearest = np.argpartition(distances, k - 1, axis=1)[:, :k]
    else:
        nearest = np.argsort(distances, axis=1, kind=kind)[:, start:start + k]
    share = (db_labels[nearest] == query_labels[:, None]).mean(axis=1)
    return share if per_query else float(share.mean())


REFERENCE = {"06.noisy_sigmoid": noisy_sigmoid, "06.linear_noise": linear_noise,
             "06.binarize_and_pack": binarize_and_pack, "06.flip_masks": flip_masks, "06.hash_lookup": hash_lookup,
             "06.precision_at_k": precision_at_k}

WRONG = [
    ("06.noisy_sigmoid", "noise after the sigmoid", lambda *a: noisy_sigmoid(*a, after=True), "before the sigmoid",
     "BEFORE the sigmoid"),
    ("06.noisy_sigmoid", "noise in eval mode too", lambda *a: noisy_sigmoid(*a, in_eval=True), "eval mode",
     "for training only"),
    ("06.noisy_sigmoid", "noise never added", lambda z, s, t, g: torch.sigmoid(z), "noise is added",
     "plain sigmoid"),
    ("06.noisy_sigmoid", "the training flag inverted", lambda z, s, t, g: noisy_sigmoid(z, s, not t, g), "eval mode",
     "for training only"),
    ("06.noisy_sigmoid", "sigma as the variance", lambda *a: noisy_sigmoid(*a, scale=lambda s: s ** 2),
     "standard deviation sigma", "not by the variance"),
    ("06.noisy_sigmoid", "sqrt(sigma)", lambda *a: noisy_sigmoid(*a, scale=lambda s: s ** 0.5),
     "standard deviation sigma", "sqrt(sigma)"),
    ("06.noisy_sigmoid", "one draw per row", lambda *a: noisy_sigmoid(*a, shape=lambda z: (len(z), 1)),
     "fresh draw", "one draw per row"),
    ("06.noisy_sigmoid", "one draw per unit", lambda *a: noisy_sigmoid(*a, shape=lambda z: (z.shape[1],)),
     "fresh draw", "one draw per unit"),
    ("06.noisy_sigmoid", "a single draw", lambda *a: noisy_sigmoid(*a, shape=lambda z: (1,)), "fresh draw",
     "one single draw"),
    ("06.noisy_sigmoid", "torch's global generator", global_rng, "from the generator", "generator=generator"),
    ("06.noisy_sigmoid", "a generator of its own", own_generator, "from the generator", "not from one of your own"),
    ("06.noisy_sigmoid", "uniform noise", lambda *a: noisy_sigmoid(*a, draw=torch.rand), "standard deviation sigma",
     "torch.rand is uniform"),
    ("06.noisy_sigmoid", "a clamp instead of the sigmoid", lambda *a: noisy_sigmoid(*a, squash=lambda t: t.clamp(0, 1)),
     "eval mode", "not a clamp"),
    ("06.noisy_sigmoid", "no sigmoid in training", lambda *a: noisy_sigmoid(*a, squash=lambda t: t) if a[2]
     else torch.sigmoid(a[0]), "before the sigmoid", "still go through the sigmoid"),
    ("06.noisy_sigmoid", "detached", lambda *a: noisy_sigmoid(*a).detach(), "gradients flow", "cut off"),
    ("06.linear_noise", "divides by epochs", lambda *a: linear_noise(*a, last=lambda e: e), "linear in between",
     "not epochs"),
    ("06.linear_noise", "no clipping", lambda *a: linear_noise(*a, clip=False), "the final level", "clip t / end"),
    ("06.linear_noise", "ignores end", lambda *a: linear_noise(*a, use_end="ignore"), "the final level",
     "not at t = 1"),
    ("06.linear_noise", "multiplies by end", lambda *a: linear_noise(*a, use_end="multiply"), "the final level",
     "do not multiply"),
    ("06.linear_noise", "epochs - 1 with no guard", lambda *a: linear_noise(*a, last=lambda e: e - 1),
     "a single epoch", "max(epochs - 1, 1)"),
    ("06.linear_noise", "epochs counted from 1", lambda *a: linear_noise(*a, one_based=True), "first epoch",
     "count from 0"),
    ("06.linear_noise", "final fixed at 8", lambda e, n, f, end: linear_noise(e, n, 8.0, end), "other settings",
     "`final` argument"),
    ("06.binarize_and_pack", ">= 0.5", lambda c: binarize_and_pack(c, ge=True), "exactly 0.5", "not >= 0.5"),
    ("06.binarize_and_pack", "little-endian bits", lambda c: binarize_and_pack(c, bitorder="little"),
     "first bit most significant", "MOST significant"),
    ("06.binarize_and_pack", "no axis", lambda c: binarize_and_pack(c, axis=None), "uint8 bytes", "axis=1"),
    ("06.binarize_and_pack", "threshold 0", lambda c: binarize_and_pack(c, threshold=0.0), "round at 1/2",
     "not > 0"),
    ("06.binarize_and_pack", "bits, not bytes", lambda c: (c > 0.5).astype(np.uint8), "uint8 bytes",
     "2 bytes"),
    ("06.binarize_and_pack", "bytes by hand, 8 bits only",
     lambda c: ((c > 0.5).reshape(len(c), -1, 8) * (1 << np.arange(7, -1, -1))).sum(axis=2).astype(np.uint8),
     "not a multiple of 8", "partial byte"),
    ("06.flip_masks", "exactly radius flips", lambda b, r: flip_masks(b, r, sizes=lambda r: [r]), "radius 1",
     "no flip"),
    ("06.flip_masks", "no all-zero mask", lambda b, r: flip_masks(b, r, skip_zero=True), "radius 0",
     "one all-zero mask"),
    ("06.flip_masks", "permutations", lambda b, r: flip_masks(b, r, combine=itertools.permutations), "radius 2",
     "not permutations"),
    ("06.flip_masks", "range(radius)", lambda b, r: flip_masks(b, r, sizes=range) if r else flip_masks(b, 0),
     "radius 1", "range(radius + 1)"),
    ("06.flip_masks", "loops for 1 and 2 flips only",
     lambda b, r: flip_masks(b, r, sizes=lambda r: range(min(r, 2) + 1)), "radius 3", "range(radius + 1)"),
    ("06.flip_masks", "integer keys", lambda b, r: np.array([sum(1 << p for p in c) for i in range(r + 1)
                                                             for c in itertools.combinations(range(b), i)]),
     "radius 0", "one all-zero mask"),
    ("06.hash_lookup", "8 bits hard-coded", lambda t, q, b, r: hash_lookup(t, q, b, r, positions=lambda q, b: 8),
     "12 bits", "not a fixed 8"),
    ("06.hash_lookup", "bits from query.bit_length()",
     lambda t, q, b, r: hash_lookup(t, q, b, r, positions=lambda q, b: q.bit_length()), "12 bits",
     "bit_length()"),
    ("06.hash_lookup", "loops for 1 and 2 flips only", lambda t, q, b, r: hash_lookup(t, q, b, r, max_flips=2),
     "radius 3", "you stop at 2 flips"),
    ("06.hash_lookup", "table[key]", lookup_strict, "radius 0", "table.get(key, [])"),
    ("06.hash_lookup", "permutations", lambda t, q, b, r: hash_lookup(t, q, b, r, combine=itertools.permutations),
     "radius 2", "appear twice"),
    ("06.hash_lookup", "exact radius only",
     lambda t, q, b, r: sorted(i for c in itertools.combinations(range(b), r)
                               for i in t.get(q ^ sum(1 << p for p in c), [])), "radius 1", "at most `radius`"),
    ("06.precision_at_k", "uint8 wrap-around", lambda *a: precision_at_k(*a, distance="abs"), "k = 1",
     "wraps around"),
    ("06.precision_at_k", "unstable ties", lambda *a: precision_at_k(*a, kind="quicksort"), "ties", "stable"),
    ("06.precision_at_k", "np.argpartition", lambda *a: precision_at_k(*a, kind="partition"), "ties", "stable"),
    ("06.precision_at_k", "agreements, not differences", lambda *a: precision_at_k(*a, distance="=="),
     "hand-made", "DIFFER"),
    ("06.precision_at_k", "per query", lambda *a: precision_at_k(*a, per_query=True), "hand-made", "one number"),
    ("06.precision_at_k", "skips the nearest", lambda *a: precision_at_k(*a, start=1), "ties", "[:, :k]"),
]


test_the_reference_passes, test_a_wrong_answer_fails_with_a_hint_that_names_it, \
    test_five_wrong_answers_per_exercise = wrong_answer_tests(REFERENCE, WRONG)


def test_the_solutions_layer_is_noisy_in_train_mode_and_agrees_with_the_librarys():
    """solutions/06's `NoisySigmoid` wraps the learner's function as a layer, "as in the library's NoisySigmoid"."""
    path = Path(__file__).resolve().parent.parent / "solutions" / "06_semantic_hashing.ipynb"
    cell = next("".join(c["source"]) for c in json.loads(path.read_text())["cells"]
                if "class NoisySigmoid" in "".join(c["source"]))
    namespace = {}
    exec("import torch\nfrom torch import nn\n" + cell, namespace)
    z = 3.0 * torch.randn(4, 5, generator=torch.Generator().manual_seed(0))
    layer, library = namespace["NoisySigmoid"](4.0), LibraryLayer(5, sigma=4.0)
    torch.manual_seed(1)
    noisy = layer.train()(z)
    torch.manual_seed(1)
    assert torch.allclose(noisy, library.train()(z)) and not torch.allclose(noisy, torch.sigmoid(z))
    assert torch.equal(layer.eval()(z), torch.sigmoid(z))
    seeded = [namespace["NoisySigmoid"](4.0, torch.Generator().manual_seed(2)).train()(z) for _ in range(2)]
    assert torch.equal(*seeded)
