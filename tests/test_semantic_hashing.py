"""The hashing autoencoder of lesson 06: model, recipe ingredients, rounding cost and bad input."""
import numpy as np
import pytest
import torch

from aecourse.callbacks import CodeRecorder
from aecourse.data import load_digits
from aecourse.noisy_codes import ConstantNoise, NoisySigmoid
from aecourse.semantic_hashing import (
    BitBalance,
    ItemIndex,
    NeighbourSwap,
    Recipe,
    bit_balance,
    encode_bits,
    make_hashing_autoencoder,
    neighbour_table,
    rounding_cost,
    train_hashing_autoencoder,
)


@pytest.fixture(scope="module")
def digits():
    return load_digits()


def test_model_shape_and_linear_decoder():
    model = make_hashing_autoencoder(64, 12)
    assert model.n_bits == 12 and model.n_inputs == 64 and isinstance(model.code, NoisySigmoid)
    assert [m.out_features for m in model.decoder if isinstance(m, torch.nn.Linear)] == [64]
    mirrored = make_hashing_autoencoder(64, 12, hidden=[32, 16], decoder_hidden=None)
    assert [m.out_features for m in mirrored.decoder if isinstance(m, torch.nn.Linear)] == [16, 32, 64]
    h = model.eval().encode(torch.rand(5, 64))
    assert h.shape == (5, 12) and float(h.detach().min()) > 0 and float(h.detach().max()) < 1
    with pytest.raises(ValueError, match="n_bits"):
        make_hashing_autoencoder(64, 0)


def test_item_index_finds_training_rows(digits):
    index = ItemIndex(digits.x_train)
    ids = torch.tensor([5, 0, 1200])
    assert torch.equal(index(torch.as_tensor(digits.x_train)[ids]), ids)
    with pytest.raises(ValueError, match="not one of the training items"):
        index(torch.full((1, 64), 0.3))


def test_neighbour_swap_draws_among_the_k_nearest(digits):
    x = digits.x_train[:300]
    swap = NeighbourSwap(x, k=5)
    neighbours = neighbour_table(x, 5)
    assert (neighbours[:, 0] == np.arange(300)).mean() > 0.95          # an item is its own nearest (bar duplicates)
    batch = torch.as_tensor(x[:50])
    out = swap(batch, torch.Generator().manual_seed(0))
    d = torch.cdist(out, torch.as_tensor(x)).argmin(1).numpy()
    assert all(np.isclose(x[d[i]], x[neighbours[i]]).all(1).any() for i in range(50))
    assert not torch.equal(out, batch)
    with pytest.raises(ValueError, match="at most 300"):
        NeighbourSwap(x, k=301)


def test_bit_balance():
    assert float(bit_balance(torch.tensor([[1.0, 0.0], [1.0, 1.0]]), 1.0)) == pytest.approx(0.25)
    assert float(bit_balance(torch.tensor([[1.0, 0.0], [0.0, 1.0]]), 1.0)) == 0.0
    assert float(BitBalance(2.0)(None, None, torch.tensor([[1.0], [1.0]]))) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="beta"):
        BitBalance(-1.0)
    with pytest.raises(TypeError, match="torch tensor"):
        bit_balance(np.zeros((2, 2)), 1.0)


def test_fixed_per_item_noise_trains(digits):
    x = digits.x_train[:200]
    model, history = train_hashing_autoencoder(x, 8, ConstantNoise(4.0), epochs=3, fixed_noise=True,
                                               recipe=Recipe(hidden=(32,)))
    assert model.code.per_item and len(history) == 3 and np.isfinite(history.loss).all()
    untrained = make_hashing_autoencoder(64, 8, n_items=10).train()
    untrained.code.sigma = 1.0
    with pytest.raises(ValueError, match="remember"):
        untrained.encode(torch.as_tensor(x[:2]))


def test_bad_input(digits):
    with pytest.raises(ValueError, match="2-D"):
        train_hashing_autoencoder(digits.x_train[0], 8)
    with pytest.raises(TypeError, match="Recipe"):
        train_hashing_autoencoder(digits.x_train, 8, recipe={"epochs": 3})
    with pytest.raises(TypeError, match="schedule"):
        train_hashing_autoencoder(digits.x_train, 8, schedule=8.0, epochs=2)


# ------------------------------------------------------------------------------------------ lesson claims

@pytest.fixture(scope="module")
def trained(digits, hashing_ae):
    """The lesson's 16-bit model (noise ramp to 8; trained once per run, shared with test_lesson06: conftest.py) and
    the same network without noise, 200 epochs as in 06a."""
    out = {"noise": hashing_ae(16, seed=0)}
    recorder = CodeRecorder(digits.x_train[:500])
    model, _ = train_hashing_autoencoder(digits.x_train, 16, ConstantNoise(0.0), callbacks=[recorder])
    out["plain"] = model, recorder
    return out


def test_noise_saturates_the_codes(trained):
    recorder = trained["noise"][1]
    assert recorder.snapshots[0].epoch == -1 and recorder.snapshots[0].unsaturated > 0.5   # one hump at first
    assert recorder.unsaturated[-1] < 0.05                                                # two spikes at the end
    assert trained["plain"][1].unsaturated[-1] > 0.2


def test_rounding_costs_little_with_noise_and_much_without(trained, digits):
    soft, hard = rounding_cost(trained["noise"][0], digits.x_test)
    soft_plain, hard_plain = rounding_cost(trained["plain"][0], digits.x_test)
    assert hard < 1.1 * soft and hard_plain > 1.5 * soft_plain


def test_encode_bits_are_addresses(trained, digits):
    bits = encode_bits(trained["noise"][0], digits.x_test)
    assert bits.dtype == np.uint8 and bits.shape == (300, 16) and set(np.unique(bits)) == {0, 1}
    assert len(np.unique(bits, axis=0)) > 20      # many addresses in use, not one collapsed code
