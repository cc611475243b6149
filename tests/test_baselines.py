"""LSH, PCA sign and ITQ: the numbers of REFERENCE.md's digits table, their mechanics, bad input."""
import numpy as np
import pytest
import torch

from aecourse.baselines import ITQ, LSH, PCASign
from aecourse.data import load_digits
from aecourse.retrieval import mean_average_precision, precision_at_k


@pytest.fixture(scope="module")
def digits():
    return load_digits()


def scores(method, d):
    method.fit(d.x_train)
    query, db = method.encode(d.x_test), method.encode(d.x_train)
    return (precision_at_k(query, db, d.y_test, d.y_train, k=100),
            mean_average_precision(query, db, d.y_test, d.y_train))


# REFERENCE.md, 300 digit queries vs 1,497 database images: (P@100, mAP)
REFERENCE = {
    "LSH": {8: (.29, .25), 16: (.43, .38), 32: (.55, .50)},
    "PCASign": {8: (.41, .36), 16: (.40, .34), 32: (.35, .29)},
    "ITQ": {8: (.61, .56), 16: (.66, .60), 32: (.70, .65)},
}


@pytest.fixture(scope="module")
def table(digits):
    """(P@100, mAP) of each method and size, computed once; LSH for seeds 0..4."""
    return {(name, n_bits): scores(make(n_bits), digits) if name != "LSH" else
            np.mean([scores(LSH(n_bits, seed=s), digits) for s in range(5)], axis=0)
            for name, make in [("LSH", None), ("PCASign", PCASign), ("ITQ", lambda b: ITQ(b, n_iter=50, seed=0))]
            for n_bits in (8, 16, 32)}


@pytest.mark.parametrize("n_bits", [8, 16, 32])
def test_pca_sign_and_itq_match_the_reference_table(table, n_bits):
    np.testing.assert_allclose(table["PCASign", n_bits], REFERENCE["PCASign"][n_bits], atol=0.02)
    np.testing.assert_allclose(table["ITQ", n_bits], REFERENCE["ITQ"][n_bits], atol=0.04)


@pytest.mark.parametrize("n_bits", [8, 16, 32])
def test_lsh_matches_the_reference_table_on_average(table, n_bits):
    """One LSH draw varies by +-0.05 from seed to seed; the mean of five is steadier."""
    np.testing.assert_allclose(table["LSH", n_bits], REFERENCE["LSH"][n_bits], atol=0.04)


def test_itq_beats_lsh_and_pca_sign_at_every_size(table):
    for n_bits in (8, 16, 32):
        assert table["ITQ", n_bits][0] > table["LSH", n_bits][0] + 0.1
        assert table["ITQ", n_bits][0] > table["PCASign", n_bits][0] + 0.1
        assert table["ITQ", n_bits][1] > max(table["LSH", n_bits][1], table["PCASign", n_bits][1]) + 0.1


def test_itq_quantisation_loss_never_increases(digits):
    itq = ITQ(16, n_iter=30).fit(digits.x_train)
    loss = np.array(itq.quantization_loss_)
    assert len(loss) == 30 and np.all(np.diff(loss) <= 1e-6 * loss[0]) and loss[-1] < 0.95 * loss[0]
    np.testing.assert_allclose(itq.rotation_ @ itq.rotation_.T, np.eye(16), atol=1e-10)


def test_codes_are_signs_of_centred_projections(digits):
    x = digits.x_train
    lsh = LSH(12, seed=3).fit(x)
    bits = lsh.encode(x)
    assert bits.dtype == np.uint8 and bits.shape == (len(x), 12) and set(np.unique(bits)) <= {0, 1}
    np.testing.assert_array_equal(bits, ((x - x.mean(0)) @ lsh.projection_ > 0))
    np.testing.assert_array_equal(LSH(12, seed=3).fit_encode(torch.tensor(x)), bits)   # torch input, same seed


def test_pca_sign_bits_are_balanced_on_the_first_component(digits):
    """Centring puts about half of the items on each side of every principal hyperplane's first axis."""
    bits = PCASign(4).fit_encode(digits.x_train)
    assert 0.3 < bits[:, 0].mean() < 0.7


def test_bad_input(digits):
    with pytest.raises(RuntimeError, match=r"call \.fit"):
        ITQ(8).encode(digits.x_test)
    with pytest.raises(ValueError, match="64 features"):
        PCASign(8).fit(digits.x_train).encode(digits.x_test[:, :10])
    with pytest.raises(ValueError, match="min.n_samples, n_features. = 64"):
        ITQ(65).fit(digits.x_train)
    with pytest.raises(ValueError, match=">= 1"):
        LSH(0)
    with pytest.raises(TypeError, match="floating-point"):
        LSH(8).fit(np.zeros((10, 4), dtype=np.int64))
    assert LSH(100).fit(digits.x_train).encode(digits.x_test).shape == (300, 100)   # LSH takes any size


def test_itq_precision_within_radius_2_matches_the_reference(digits):
    """REFERENCE.md: ITQ's precision inside Hamming radius 2 at 32 bits is about .63, counting a query that
    finds nothing as 0; the queries it does answer are nearly all right. A hash-table lookup agrees."""
    from aecourse.hash_index import HashIndex
    from aecourse.retrieval import precision_recall_at_radius

    itq = ITQ(32).fit(digits.x_train)
    query, db = itq.encode(digits.x_test), itq.encode(digits.x_train)
    metrics = precision_recall_at_radius(query, db, digits.y_test, digits.y_train, 2)
    assert abs(metrics.precision - 0.63) < 0.05
    assert metrics.answered < 0.8 and metrics.precision_answered > 0.9
    found = HashIndex(32, db).lookup(query, radius=2)
    answered = [ids for ids in found if len(ids)]
    assert len(answered) / len(found) == pytest.approx(metrics.answered)
    precision = [np.mean(digits.y_train[ids] == label) if len(ids) else 0.0 for ids, label in zip(found, digits.y_test)]
    assert np.mean(precision) == pytest.approx(metrics.precision)
