"""Lesson 06 (semantic hashing): the retrieval claims of notebook 06b, and the exercise checkers, which must
pass the solutions and catch plausible wrong answers."""
import itertools

import numpy as np
import pytest

from aecourse.baselines import ITQ, LSH
from aecourse.course.checks import run_checks
from aecourse.data import load_digits
from aecourse.retrieval import mean_average_precision, precision_at_k
from aecourse.semantic_hashing import encode_bits

# ------------------------------------------------------------------------------------------ lesson claims

@pytest.fixture(scope="module")
def digits():
    return load_digits()


def scores(q, d, yq, yd):
    return precision_at_k(q, d, yq, yd, 100), mean_average_precision(q, d, yq, yd)


SEEDS = (0, 1, 2)


@pytest.mark.parametrize("n_bits", [16, 32])
def test_hashing_ae_beats_itq_and_lsh(digits, n_bits, hashing_ae):
    """The mean over seeds, not one seed: one seed's P@100 varies by about .03 between seeds and devices (.699 at
    16 bits, seed 0, on an H200), the mean of three is ahead of ITQ's by about .04 on CPU and GPU. The precise
    figures are measured in benchmarks/hashing_quality.py."""
    ae, itq, lsh = [], [], []
    for seed in SEEDS:
        model, _ = hashing_ae(n_bits, seed)    # trained once per run, shared with test_semantic_hashing (conftest.py)
        ae.append(scores(encode_bits(model, digits.x_test), encode_bits(model, digits.x_train), digits.y_test,
                         digits.y_train))
        for method, found in ((ITQ(n_bits, seed=seed), itq), (LSH(n_bits, seed=seed), lsh)):
            method.fit(digits.x_train)
            found.append(scores(method.encode(digits.x_test), method.encode(digits.x_train), digits.y_test,
                                digits.y_train))
    ae, itq, lsh = (np.mean(found, axis=0) for found in (ae, itq, lsh))   # (P@100, mAP), each a mean over seeds
    assert ae[0] > itq[0] and ae[1] > itq[1], ("mean over seeds", "AE", ae, "ITQ", itq)
    assert ae[0] > lsh[0] + 0.1 and ae[1] > lsh[1] + 0.1, ("mean over seeds", "AE", ae, "LSH", lsh)


def test_hashing_ae_beats_lsh_on_documents(synthetic_documents_ae):
    corpus, model = synthetic_documents_ae     # the digits' recipe collapses on sparse counts: see conftest.py
    ae = scores(encode_bits(model, corpus.x_test), encode_bits(model, corpus.x_train), corpus.y_test, corpus.y_train)
    lsh = LSH(16, seed=0).fit(corpus.x_train)
    base = scores(lsh.encode(corpus.x_test), lsh.encode(corpus.x_train), corpus.y_test, corpus.y_train)
    assert ae[0] > base[0] and ae[1] > base[1]


# 06b's ablation (the book's plain AE behind ITQ by over .02 and ahead of LSH by over .1 on P@100 and mAP; the
# one-layer decoder and neighbour swapping each lifting both; the course's recipe ahead of the plain AE by over .05)
# and its docstring results (ahead of LSH by over .1 at 32 bits, over .2 behind ITQ on P@100 at 16) are asserted,
# with those margins, by the lesson's own check cells c18c and c22 under nbval: the same models, trained once.
# Measured over seeds 0-2 at the lesson's 100 epochs: the plain AE trails ITQ by .07-.13 and leads LSH by .2, the
# one-layer decoder adds .03-.1 and neighbour swapping .03-.05 to P@100 (at 200 epochs:
# benchmarks/results/hashing_ablation.md); on the docstrings the AE's P@100 is .64-.69 against LSH's .40 at 32 bits
# and .23-.28 against ITQ's .67 at 16.


# ------------------------------------------------------------------------------------------ exercise checkers

def linear_noise(epoch, epochs, final, end):
    return final * min(epoch / max(epochs - 1, 1) / end, 1.0)


def linear_noise_unclipped(epoch, epochs, final, end):
    return final * epoch / max(epochs - 1, 1) / end


def linear_noise_by_epochs(epoch, epochs, final, end):
    return final * min(epoch / epochs / end, 1.0)


def binarize_and_pack(codes):
    return np.packbits((codes > 0.5).astype(np.uint8), axis=1)


def pack_without_rounding_at_half(codes):
    return np.packbits((codes > 0).astype(np.uint8), axis=1)


def pack_little_endian(codes):
    return np.packbits((codes > 0.5).astype(np.uint8), axis=1, bitorder="little")


def flip_masks_bits(n_bits, radius):
    rows = [np.isin(np.arange(n_bits), c).astype(np.uint8)
            for i in range(radius + 1) for c in itertools.combinations(range(n_bits), i)]
    return np.array(rows).reshape(-1, n_bits)


def flip_masks_exactly_r(n_bits, radius):
    rows = [np.isin(np.arange(n_bits), c).astype(np.uint8) for c in itertools.combinations(range(n_bits), radius)]
    return np.array(rows).reshape(-1, n_bits)


def flip_masks_permutations(n_bits, radius):
    rows = [np.isin(np.arange(n_bits), c).astype(np.uint8)
            for i in range(radius + 1) for c in itertools.permutations(range(n_bits), i)]
    return np.array(rows).reshape(-1, n_bits)


def hash_lookup(table, query, n_bits, radius):
    found = []
    for i in range(radius + 1):
        for c in itertools.combinations(range(n_bits), i):
            found += table.get(query ^ sum(1 << p for p in c), [])
    return sorted(found)


def hash_lookup_exact_radius(table, query, n_bits, radius):
    found = []
    for c in itertools.combinations(range(n_bits), radius):
        found += table.get(query ^ sum(1 << p for p in c), [])
    return sorted(found)


def hash_lookup_or_instead_of_xor(table, query, n_bits, radius):
    found = []
    for i in range(radius + 1):
        for c in itertools.combinations(range(n_bits), i):
            found += table.get(query | sum(1 << p for p in c), [])
    return sorted(set(found))


def precision_at_k_ok(qb, db, ql, dl, k):
    d = (qb[:, None, :] != db[None, :, :]).sum(2)
    return float((dl[np.argsort(d, axis=1, kind="stable")[:, :k]] == ql[:, None]).mean())


def precision_at_k_farthest(qb, db, ql, dl, k):
    d = (qb[:, None, :] != db[None, :, :]).sum(2)
    return float((dl[np.argsort(-d, axis=1, kind="stable")[:, :k]] == ql[:, None]).mean())


def precision_at_k_similarity_by_matches(qb, db, ql, dl, k):
    d = (qb[:, None, :] & db[None, :, :]).sum(2)           # counts shared ones, not Hamming distance
    return float((dl[np.argsort(-d, axis=1, kind="stable")[:, :k]] == ql[:, None]).mean())


def precision_at_k_per_query(qb, db, ql, dl, k):
    d = (qb[:, None, :] != db[None, :, :]).sum(2)
    return (dl[np.argsort(d, axis=1, kind="stable")[:, :k]] == ql[:, None]).mean(1)


def not_attempted(*args):
    raise NotImplementedError()


RIGHT = {"06.linear_noise": linear_noise, "06.binarize_and_pack": binarize_and_pack,
         "06.flip_masks": flip_masks_bits, "06.hash_lookup": hash_lookup, "06.precision_at_k": precision_at_k_ok}
WRONG = [("06.linear_noise", linear_noise_unclipped), ("06.linear_noise", linear_noise_by_epochs),
         ("06.binarize_and_pack", pack_without_rounding_at_half), ("06.binarize_and_pack", pack_little_endian),
         ("06.flip_masks", flip_masks_exactly_r), ("06.flip_masks", flip_masks_permutations),
         ("06.hash_lookup", hash_lookup_exact_radius), ("06.hash_lookup", hash_lookup_or_instead_of_xor),
         ("06.precision_at_k", precision_at_k_farthest), ("06.precision_at_k", precision_at_k_similarity_by_matches),
         ("06.precision_at_k", precision_at_k_per_query)]


@pytest.mark.parametrize("exercise_id", sorted(RIGHT))
def test_checker_passes_a_right_answer_and_reports_a_stub(exercise_id):
    assert run_checks(exercise_id, RIGHT[exercise_id]).all_passed
    assert not run_checks(exercise_id, not_attempted).attempted


@pytest.mark.parametrize("exercise_id, wrong", WRONG, ids=[w.__name__ for _, w in WRONG])
def test_checker_catches_a_wrong_answer(exercise_id, wrong):
    report = run_checks(exercise_id, wrong)
    assert report.attempted and not report.all_passed
    assert any(c.message for c in report.cases if c.status != "passed")
