"""Lesson 06 (semantic hashing): the retrieval claims of notebook 06b, and the exercise checkers, which must
pass the solutions and catch plausible wrong answers."""
import itertools

import numpy as np
import pytest

from aecourse.baselines import ITQ, LSH
from aecourse.course.checks import run_checks
from aecourse.data import load_digits
from aecourse.retrieval import mean_average_precision, precision_at_k
from aecourse.semantic_hashing import Recipe, encode_bits, train_hashing_autoencoder

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


def test_on_the_docstrings_the_hashing_ae_beats_lsh_at_32_bits_not_itq_at_16():
    from aecourse.corpus import docstring_corpus
    corpus = docstring_corpus()
    recipe = Recipe(neighbours=1, decoder_hidden=(256,))
    result = {}
    for n_bits, epochs in ((16, 50), (32, 100)):      # as in 06b: at 16 bits more epochs do not help
        model, _ = train_hashing_autoencoder(corpus.x_train, n_bits, seed=0, epochs=epochs, recipe=recipe)
        result["ae", n_bits] = scores(encode_bits(model, corpus.x_test), encode_bits(model, corpus.x_train),
                                      corpus.y_test, corpus.y_train)
        for name, method in (("lsh", LSH(n_bits, seed=0)), ("itq", ITQ(n_bits, seed=0))):
            method.fit(corpus.x_train)
            result[name, n_bits] = scores(method.encode(corpus.x_test), method.encode(corpus.x_train),
                                          corpus.y_test, corpus.y_train)
    assert all(a > b for a, b in zip(result["ae", 32], result["lsh", 32]))
    assert not all(a > b for a, b in zip(result["ae", 16], result["itq", 16]))
    # 06b's note: "far behind ITQ at 16 bits" (measured P@100 .23 at 50 epochs, .23 at 100, vs .67) and "beats LSH
    # by far" at 32 bits (.69 vs .40)
    assert result["ae", 16][0] < result["itq", 16][0] - 0.2, result
    assert result["ae", 32][0] > result["lsh", 32][0] + 0.1, result


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


# ------------------------------------------------------------- 06b: the book's method, then the course's changes

@pytest.fixture(scope="module")
def ablation(digits):
    """06b's ablation at 16 bits, 100 epochs: {row: (P@100, mAP)}, the rows built as in the notebook."""
    from aecourse.noisy_codes import noise_schedule

    book_noise = noise_schedule("linear", 4.0, end=0.6)
    rows = {}
    for name, method in (("LSH", LSH(16, seed=0)), ("ITQ", ITQ(16, seed=0))):
        method.fit(digits.x_train)
        rows[name] = scores(method.encode(digits.x_test), method.encode(digits.x_train), digits.y_test,
                            digits.y_train)
    for name, recipe, schedule in (
            ("plain AE", Recipe(hidden=(256, 128), decoder_hidden=(128, 256), neighbours=1), book_noise),
            ("one-layer decoder", Recipe(neighbours=1), book_noise),
            ("neighbour swapping", Recipe(), book_noise),
            ("course recipe", Recipe(), noise_schedule("linear", 8.0))):
        model, _ = train_hashing_autoencoder(digits.x_train, 16, schedule, epochs=100, seed=0, recipe=recipe)
        rows[name] = scores(encode_bits(model, digits.x_test), encode_bits(model, digits.x_train), digits.y_test,
                            digits.y_train)
    return rows


def ahead(rows, a, b, margin):
    return all(x > y + margin for x, y in zip(rows[a], rows[b]))


def test_the_books_plain_ae_is_behind_itq_and_ahead_of_lsh(ablation):
    # seeds 0-2 (benchmarks/results/hashing_ablation.md): the plain AE trails ITQ by .05-.1, leads LSH by .2
    assert ahead(ablation, "ITQ", "plain AE", 0.02), ablation
    assert ahead(ablation, "plain AE", "LSH", 0.1), ablation


def test_each_of_the_courses_changes_that_06b_credits_lifts_p100_and_map(ablation):
    # seeds 0-2 at 100 epochs: one-layer decoder +.02 to +.09, neighbour swapping +.03 to +.06 on P@100
    assert ahead(ablation, "one-layer decoder", "plain AE", 0.0), ablation
    assert ahead(ablation, "neighbour swapping", "one-layer decoder", 0.0), ablation
    assert ahead(ablation, "course recipe", "plain AE", 0.05), ablation
