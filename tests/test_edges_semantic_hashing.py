"""aecourse.semantic_hashing at its edges, on small data and a few epochs: each ingredient of the recipe by value
(the per-item noise, neighbour swapping, bit balance, the noise schedule, the callbacks' start), the recipe's
defaults, the rounding cost's two numbers, and the full messages."""
import numpy as np
import pytest
import torch
from torch import nn

from aecourse.bits import binarize
from aecourse.noisy_codes import ConstantNoise, LinearNoise
from aecourse.semantic_hashing import (
    BitBalance,
    ItemIndex,
    NeighbourSwap,
    Recipe,
    bit_balance,
    make_hashing_autoencoder,
    neighbour_table,
    rounding_cost,
    train_hashing_autoencoder,
)
from aecourse.training import encode


@pytest.fixture(scope="module")
def x():
    return torch.rand(40, 6, generator=torch.Generator().manual_seed(0)).numpy()


def test_recipe_defaults():
    assert Recipe() == Recipe(hidden=(256,), decoder_hidden=(), epochs=200, lr=3e-3, batch_size=64, neighbours=10,
                              balance=0.0, loss="bce")


def test_model_layers_and_seed():
    model = make_hashing_autoencoder(6, 4, hidden=[5], activation="tanh", output_activation=None)
    assert [type(m) for m in model.body] == [nn.Linear, nn.Tanh, nn.Linear]
    assert [type(m) for m in model.decoder] == [nn.Linear] and model.n_bits == 4 and model.n_inputs == 6
    assert [type(m) for m in make_hashing_autoencoder(6, 4, hidden=[5]).decoder] == [nn.Linear, nn.Sigmoid]
    mirrored = make_hashing_autoencoder(6, 4, hidden=[5, 3], decoder_hidden=None)
    assert [(m.in_features, m.out_features) for m in mirrored.decoder if isinstance(m, nn.Linear)] == \
        [(4, 3), (3, 5), (5, 6)]
    a, b, c = (make_hashing_autoencoder(6, 4, hidden=[5], seed=s) for s in (1, 1, 2))
    assert torch.equal(a.body[0].weight, b.body[0].weight) and not torch.equal(a.body[0].weight, c.body[0].weight)
    assert torch.equal(make_hashing_autoencoder(6, 4, n_items=7, seed=3).code.fixed_noise,
                       torch.randn(7, 4, generator=torch.Generator().manual_seed(3)))
    assert make_hashing_autoencoder(6, 4, n_items=7).code.n_items == 7
    assert not make_hashing_autoencoder(6, 4).code.per_item


def test_per_item_noise_reaches_the_codes(x):
    model = make_hashing_autoencoder(6, 3, hidden=[5], n_items=40).remember(x)
    model.code.sigma = 2.0
    ids = torch.tensor([7, 0, 39])
    batch = torch.as_tensor(x)[ids]
    with torch.no_grad():
        expected = torch.sigmoid(model.body(batch) + 2.0 * model.code.fixed_noise[ids])
        assert torch.allclose(model.train().encode(batch), expected)
        assert torch.allclose(model.eval().encode(batch), torch.sigmoid(model.body(batch)))
        model.train()
        model.code.sigma = 0.0
        assert torch.allclose(model.encode(torch.full((1, 6), 5.0)), torch.sigmoid(model.body(torch.full((1, 6), 5.0))))
    assert torch.equal(model.item_ids(batch), ids)


def test_item_index_and_neighbour_table(x):
    index = ItemIndex(x)
    assert index.n_items == 40
    assert index(x[[3, 3, 1]]).tolist() == [3, 3, 1] and index(torch.as_tensor(x[[2]])).dtype == torch.long
    d = ((x[:, None, :] - x[None, :, :]) ** 2).sum(-1)
    expected = np.argsort(d, axis=1, kind="stable")[:, :4]
    for chunk in (1, 7, 1024):
        got = neighbour_table(x, 4, chunk=chunk)
        assert got.shape == (40, 4) and (got[:, 0] == np.arange(40)).all()
        np.testing.assert_array_equal(np.sort(got, 1), np.sort(expected, 1))
    assert neighbour_table(torch.as_tensor(x), 40).shape == (40, 40)


def test_neighbour_swap_by_value(x):
    swap = NeighbourSwap(x, k=3)
    ids = torch.tensor([5, 0, 12, 5])
    batch = torch.as_tensor(x)[ids]
    pick = torch.randint(3, (4,), generator=torch.Generator().manual_seed(2))
    expected = torch.as_tensor(x)[swap.neighbours[ids, pick]]
    assert torch.equal(swap(batch, torch.Generator().manual_seed(2)), expected)
    assert swap.k == 3 and swap.neighbours.shape == (40, 3)
    assert torch.equal(NeighbourSwap(x, k=1)(batch), batch)                  # k = 1: each item is its own neighbour
    assert NeighbourSwap(x).k == 10


def test_bit_balance_by_value():
    h = torch.tensor([[0.9, 0.2, 0.5], [0.7, 0.0, 0.5]])
    expected = 0.4 * ((0.8 - 0.5) ** 2 + (0.1 - 0.5) ** 2 + 0.0)
    assert bit_balance(h, 0.4).item() == pytest.approx(expected)
    assert BitBalance(0.4)(None, None, h).item() == pytest.approx(expected)
    assert BitBalance().beta == 0.3 and BitBalance(0.0)(None, None, h).item() == 0.0


@pytest.fixture
def fit_arguments(monkeypatch) -> dict:
    """The keyword arguments train_hashing_autoencoder passes to `fit` (each key as the latest call gave it); `fit`
    still runs."""
    import aecourse.semantic_hashing as sh
    seen = {}
    real_fit = sh.fit

    def spy(model, data, **kwargs):
        seen.update(kwargs)
        return real_fit(model, data, **kwargs)
    monkeypatch.setattr(sh, "fit", spy)
    return seen


def test_the_recipe_uses_each_ingredient(x, fit_arguments):
    seen = fit_arguments
    started = []

    class Watcher:
        def start(self, model):
            started.append(model.code.sigma)

        def __call__(self, epoch, model, history):
            started.append((epoch, model.code.sigma))

    recipe = Recipe(hidden=(5,), epochs=3, lr=0.01, batch_size=16, neighbours=4, balance=0.2, loss="mse")
    model, history = train_hashing_autoencoder(x, 3, LinearNoise(4.0, end=1.0), recipe=recipe, seed=1,
                                               callbacks=[Watcher()])
    assert isinstance(seen["corrupt"], NeighbourSwap) and seen["corrupt"].k == 4
    assert isinstance(seen["penalty"], BitBalance) and seen["penalty"].beta == 0.2
    assert seen["epochs"] == 3 and seen["lr"] == 0.01 and seen["batch_size"] == 16 and seen["loss"] == "mse"
    assert seen["seed"] == 1 and seen["progress"] is False
    assert started == [0.0, (0, 0.0), (1, 2.0), (2, 4.0)]                 # callbacks see each epoch's own level
    assert model.code.sigma == 4.0 and len(history) == 3 and history.penalty[0] > 0
    plain = Recipe(hidden=(5,), epochs=2, neighbours=1, balance=0.0)
    train_hashing_autoencoder(x, 3, ConstantNoise(1.0), recipe=plain, epochs=1)
    assert seen["corrupt"] is None and seen["penalty"] is None and seen["epochs"] == 1 and seen["loss"] == "bce"
    model, _ = train_hashing_autoencoder(x, 3, recipe=Recipe(hidden=(5,), neighbours=1), epochs=2)
    assert model.code.sigma == 8.0                                        # the default schedule: linear to 8
    model, _ = train_hashing_autoencoder(x, 3, ConstantNoise(1.0), recipe=plain, fixed_noise=True)
    assert model.code.per_item and model.code.n_items == 40 and model._items.n_items == 40


def test_rounding_cost_by_value(x):
    model = make_hashing_autoencoder(6, 3, hidden=[5]).eval()
    data = torch.as_tensor(x)
    with torch.no_grad():
        h = model.encode(data)
        soft = float(((model.decode(h) - data) ** 2).mean())
        hard = float(((model.decode((h > 0.5).float()) - data) ** 2).mean())
    assert rounding_cost(model.train(), x) == pytest.approx((soft, hard))
    assert not model.training
    np.testing.assert_array_equal(binarize(encode(model, x)), (h.numpy() > 0.5).astype(np.uint8))


@pytest.mark.parametrize("call, error, message", [
    (lambda: make_hashing_autoencoder(0, 3), ValueError, "n_inputs: expected an integer >= 1, got 0"),
    (lambda: make_hashing_autoencoder(6, 0), ValueError, "n_bits: expected an integer >= 1, got 0"),
    (lambda: train_hashing_autoencoder(np.zeros(4, np.float32), 3), ValueError, "x: expected a 2-D array..."),
    (lambda: make_hashing_autoencoder(6, 3, seed=-1), ValueError, "seed: expected an integer >= 0, got -1"),
    (lambda: make_hashing_autoencoder(6, 3, n_items=5).remember(np.zeros((4, 6), np.float32)), ValueError,
     "x_train: the code layer has fixed noise for 5 items, got 4: build the model with n_items=len(x_train)"),
    (lambda: make_hashing_autoencoder(6, 3).remember(np.zeros((4, 5), np.float32)), ValueError,
     "x_train: expected 6 features per sample, got 5..."),
    (lambda: make_hashing_autoencoder(6, 3).item_ids(torch.zeros(1, 6)), ValueError,
     "fixed per-item noise needs the training items: call model.remember(x_train) before training "
     "(train_hashing_autoencoder does it)"),
    (lambda: ItemIndex(np.zeros((2, 6), np.float32))(torch.ones(1, 6)), ValueError,
     "x: a row is not one of the training items this model was built with; per-item noise and neighbour swapping "
     "apply to training items only"),
    (lambda: neighbour_table(np.zeros((3, 2), np.float32), 4), ValueError,
     "k: expected at most 3 neighbours (the number of items), got 4"),
    (lambda: bit_balance(np.zeros((2, 2)), 1.0), TypeError,
     "h: expected a torch tensor of codes (n_samples, n_units), got a numpy array of shape (2, 2) and dtype "
     "float64: pass model.encode(x), not a numpy array, so gradients can flow"),
    (lambda: BitBalance(-0.1), ValueError, "beta: expected a number in [0, inf], got -0.1"),
    (lambda: train_hashing_autoencoder(np.zeros((4, 6), np.float32), 3, recipe=(3,)), TypeError,
     "recipe: expected a Recipe(...), got tuple"),
    (lambda: train_hashing_autoencoder(np.zeros((4, 6), np.float32), 3, epochs=0), ValueError,
     "epochs: expected an integer >= 1, got 0"),
])
def test_bad_input_gets_the_full_message(call, error, message):
    with pytest.raises(error) as info:
        call()
    text = str(info.value)
    assert text.startswith(message[:-3]) if message.endswith("...") else text == message, text


def test_encode_bits_and_small_reprs(x):
    from aecourse.semantic_hashing import encode_bits
    model = make_hashing_autoencoder(6, 5, hidden=[4])
    model.code.sigma = 3.0
    bits = encode_bits(model.train(), x)
    with torch.no_grad():
        expected = (torch.sigmoid(model.body(torch.as_tensor(x))) > 0.5).numpy().astype(np.uint8)
    assert bits.dtype == np.uint8 and np.array_equal(bits, expected)                       # no noise, rounded at 1/2
    assert repr(NeighbourSwap(x, k=3)) == "NeighbourSwap(40 items, k=3)"


@pytest.mark.parametrize("call, error, message", [
    (lambda: bit_balance(torch.zeros(2, 2), -1.0), ValueError, "beta: expected a number in [0, inf], got -1"),
    (lambda: ItemIndex("rows"), TypeError, "x_train: expected a numpy array or torch tensor, got str 'rows'"),
    (lambda: ItemIndex(np.zeros((2, 3), np.float32))("row"), TypeError,
     "x: expected a numpy array or torch tensor, got str 'row'"),
    (lambda: NeighbourSwap(np.zeros((4, 3), np.float32), k=0), ValueError, "k: expected an integer >= 1, got 0"),
    (lambda: neighbour_table("rows", 2), TypeError, "x: expected a numpy array or torch tensor, got str 'rows'"),
    (lambda: neighbour_table(np.zeros((4, 3), np.float32), 0), ValueError, "k: expected an integer >= 1, got 0"),
])
def test_more_messages_in_full(call, error, message):
    with pytest.raises(error) as info:
        call()
    assert str(info.value) == message


def linear_sizes(layers):
    return [(m.in_features, m.out_features) for m in layers if isinstance(m, nn.Linear)]


def test_model_defaults_and_decoder_activation():
    default, zero = make_hashing_autoencoder(6, 4), make_hashing_autoencoder(6, 4, seed=0)
    assert torch.equal(default.body[0].weight, zero.body[0].weight)                   # the default seed is 0
    deep = make_hashing_autoencoder(6, 4, hidden=[5], decoder_hidden=[3], activation="tanh")
    assert [type(m) for m in deep.decoder] == [nn.Linear, nn.Tanh, nn.Linear, nn.Sigmoid]


def test_the_recipe_builds_the_model_it_names(x, fit_arguments):
    seen = fit_arguments
    initial = []

    class Start:
        def start(self, model):
            initial.append(model.body[0].weight.detach().clone())

        def __call__(self, epoch, model, history):
            return None

    recipe = Recipe(hidden=(5,), decoder_hidden=(3,), neighbours=2)
    model, _ = train_hashing_autoencoder(x, 4, ConstantNoise(1.0), recipe=recipe, epochs=1, seed=2,
                                         callbacks=[Start(), lambda epoch, model, history: None])
    assert torch.equal(initial[0], make_hashing_autoencoder(6, 4, hidden=[5], seed=2).body[0].weight)
    assert linear_sizes(model.body) == [(6, 5), (5, 4)] and linear_sizes(model.decoder) == [(4, 3), (3, 6)]
    assert not model.code.per_item                                        # fixed noise is off by default
    assert isinstance(seen["corrupt"], NeighbourSwap) and seen["corrupt"].k == 2      # k = 2 already swaps
    plain = Recipe(hidden=(5,), neighbours=1)
    a, _ = train_hashing_autoencoder(x, 3, ConstantNoise(1.0), recipe=plain, epochs=1)
    b, _ = train_hashing_autoencoder(x, 3, ConstantNoise(1.0), recipe=plain, epochs=1, seed=0)
    assert torch.equal(a.body[0].weight, b.body[0].weight)                # the default seed is 0


def test_float64_items_are_indexed_and_swapped_as_float32(x):
    x64 = x.astype(np.float64)
    assert ItemIndex(x64)(torch.as_tensor(x[[4, 1]])).tolist() == [4, 1]
    assert ItemIndex(x)(x64[[4, 1]]).tolist() == [4, 1]
    swapped = NeighbourSwap(x64, k=2)(torch.as_tensor(x[:3]), torch.Generator().manual_seed(0))
    assert swapped.dtype == torch.float32
