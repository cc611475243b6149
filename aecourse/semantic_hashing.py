"""The hashing autoencoder of lesson 06: an MLP whose code layer is `NoisySigmoid`, trained so codes become bits.

    x -> Linear, ReLU -> z -> h = sigmoid(z + sigma * eps) -> Linear -> sigmoid -> r

The recipe, `train_hashing_autoencoder`, is `fit` with two additions, each a plain `fit` argument, and a
linear decoder:

- a noise schedule (`NoiseScheduler` callback): sigma rises from 0 to `final` over training, so the codes
  first learn the data and then saturate to 0/1 (the semantic-hashing idea);
- neighbour swapping (`NeighbourSwap` corruption): the encoder sees one of the item's k nearest training items
  (in input space, the item itself included) and must reconstruct the item, so near neighbours are pushed to
  the same address. It uses distances between inputs only: training stays unsupervised;
- a linear decoder r = sigmoid(W h + c), so that addresses a few bits apart decode to similar items.

An optional bit-balance penalty (`BitBalance`) asks each bit to split the batch in half. Labels are never used
to train; they only score retrieval. What each ingredient buys is measured in benchmarks/.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from .bits import binarize
from .models import Autoencoder, mlp
from .noisy_codes import NoiseScheduler, NoisySigmoid, noise_schedule
from .training import Corruption, History, Penalty, encode, fit, model_device
from .validation import as_numpy, as_tensor, check_codes, check_data, check_number, check_positive_int


class HashingAutoencoder(Autoencoder):
    """An autoencoder whose encoder ends in a `NoisySigmoid` code layer: `encode(x)` gives codes in (0, 1).

    For the fixed per-item noise the model remembers its training items (`remember(x_train)`) and finds
    each encoder input among them, so the layer can look up that item's noise.
    """

    def __init__(self, body: nn.Module, code: NoisySigmoid, decoder: nn.Module):
        super().__init__(nn.Sequential(body, code), decoder)

    @property
    def body(self) -> nn.Module:
        return self.encoder[0]

    @property
    def code(self) -> NoisySigmoid:
        return self.encoder[1]

    @property
    def n_bits(self) -> int:
        return self.code.n_units

    def remember(self, x_train) -> HashingAutoencoder:
        """Store the training items, needed only for fixed per-item noise (`n_items=len(x_train)`)."""
        check_data(x_train, "x_train", n_features=self.n_inputs)
        if self.code.per_item and len(x_train) != self.code.n_items:
            raise ValueError(f"x_train: the code layer has fixed noise for {self.code.n_items} items, got "
                             f"{len(x_train)}: build the model with n_items=len(x_train)")
        self._items = ItemIndex(x_train)
        return self

    def item_ids(self, x: torch.Tensor) -> torch.Tensor:
        """Row numbers of the remembered training items equal to the rows of x."""
        if getattr(self, "_items", None) is None:
            raise ValueError("fixed per-item noise needs the training items: call model.remember(x_train) "
                             "before training (train_hashing_autoencoder does it)")
        return self._items(x)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        x = self._check_input(x)
        ids = self.item_ids(x) if self.training and self.code.per_item and self.code.sigma > 0 else None
        return self.code(self.body(x), ids)


def make_hashing_autoencoder(n_inputs: int, n_bits: int, hidden: Sequence[int] = (256,),
                             decoder_hidden: Sequence[int] | None = (), *, activation: str = "relu",
                             output_activation: str | None = "sigmoid", n_items: int | None = None,
                             seed: int = 0) -> HashingAutoencoder:
    """n_inputs -> hidden... -> n_bits noisy sigmoid codes -> decoder_hidden... -> n_inputs.

    The default decoder is linear-then-sigmoid, r = sigmoid(W h + c): each bit then adds a fixed pattern W_j to
    the decoder's logits (before the sigmoid), so items whose addresses differ in few bits must look alike (a
    deep decoder can give neighbouring addresses unrelated meanings). `decoder_hidden=None` mirrors the encoder.
    `n_items` switches the code layer to fixed per-item noise for that many training items; `seed` sets the
    initial weights.
    >>> model = make_hashing_autoencoder(64, 16)  # 64 -> 256 -> 16 bits -> 64
    """
    n_inputs = check_positive_int(n_inputs, "n_inputs")
    n_bits = check_positive_int(n_bits, "n_bits")
    hidden = list(hidden)
    decoder_hidden = hidden[::-1] if decoder_hidden is None else list(decoder_hidden)
    torch.manual_seed(check_positive_int(seed, "seed", minimum=0))
    body = mlp([n_inputs, *hidden, n_bits], activation, None)
    decoder = mlp([n_bits, *decoder_hidden, n_inputs], activation, output_activation)
    return HashingAutoencoder(body, NoisySigmoid(n_bits, n_items=n_items, seed=seed), decoder)


# ------------------------------------------------------------------------------------ penalty and corruption

def bit_balance(h: torch.Tensor, beta: float) -> torch.Tensor:
    """beta * sum_j (mean_n h_nj - 1/2)^2: zero when every bit is on for half of the batch.

    >>> bit_balance(torch.tensor([[1.0, 0.0], [1.0, 1.0]]), beta=1.0)
    tensor(0.2500)
    """
    return _bit_balance(check_codes(h), check_number(beta, "beta", low=0.0))


def _bit_balance(h: torch.Tensor, beta: float) -> torch.Tensor:
    return beta * ((h.mean(dim=0) - 0.5) ** 2).sum()


@dataclass(frozen=True)
class BitBalance(Penalty):
    """`fit` penalty: `bit_balance(h, beta)`."""
    beta: float = 0.3

    def __post_init__(self):
        check_number(self.beta, "beta", low=0.0)

    def __call__(self, model: nn.Module, x_in: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        return _bit_balance(h, self.beta)


class ItemIndex:
    """Row numbers of training items, found from their values: the batches `fit` draws are exact copies of
    training rows, so each row's bytes are its key. `index(x_batch) -> LongTensor` of row numbers."""

    def __init__(self, x_train):
        rows = as_numpy(x_train, "x_train", dtype=np.float32)
        self._ids = {row.tobytes(): i for i, row in enumerate(rows)}
        self.n_items = len(rows)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        rows = as_numpy(x, "x", dtype=np.float32)
        try:
            ids = [self._ids[row.tobytes()] for row in rows]
        except KeyError:
            raise ValueError("x: a row is not one of the training items this model was built with; per-item noise "
                             "and neighbour swapping apply to training items only") from None
        return torch.tensor(ids, dtype=torch.long, device=x.device if isinstance(x, torch.Tensor) else None)


def neighbour_table(x, k: int, chunk: int = 1024) -> np.ndarray:
    """(n, k) row numbers of each row's k nearest rows of x by Euclidean distance, itself first (ties aside)."""
    items = torch.as_tensor(as_numpy(x, "x", dtype=np.float32))
    k = check_positive_int(k, "k")
    if k > len(items):
        raise ValueError(f"k: expected at most {len(items)} neighbours (the number of items), got {k}")
    return torch.cat([torch.cdist(items[i:i + chunk], items).topk(k, dim=1, largest=False).indices
                      for i in range(0, len(items), chunk)]).numpy()


class NeighbourSwap(Corruption):
    """`fit` corruption: replace each item of the batch by one of its `k` nearest training items (itself
    included), drawn at random; the loss still compares the reconstruction with the original item.

    Not a dataclass like the other corruptions: it holds the training items and their neighbour table.
    >>> fit(model, x_train, corrupt=NeighbourSwap(x_train, k=10))
    """

    def __init__(self, x_train, k: int = 10):
        self.k = check_positive_int(k, "k")
        self.index = ItemIndex(x_train)
        self.items = torch.as_tensor(as_numpy(x_train, "x_train", dtype=np.float32))
        self.neighbours = torch.as_tensor(neighbour_table(self.items, self.k))

    def __repr__(self) -> str:
        return f"NeighbourSwap({len(self.items)} items, k={self.k})"

    def __call__(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        ids = self.index(x).cpu()
        pick = torch.randint(self.k, (len(ids),), generator=generator)
        return self.items[self.neighbours[ids, pick]].to(x.device)


# ------------------------------------------------------------------------------------------------- recipe

@dataclass(frozen=True)
class Recipe:
    """The training recipe's settings (defaults: the ones measured best on the digits, see benchmarks/) (lesson 06b)."""
    hidden: tuple[int, ...] = (256,)
    decoder_hidden: tuple[int, ...] = ()
    epochs: int = 200
    lr: float = 3e-3
    batch_size: int = 64
    neighbours: int = 10
    balance: float = 0.0
    loss: str = "bce"


def train_hashing_autoencoder(x, n_bits: int, schedule: Callable[[int, int], float] | None = None, *,
                              epochs: int | None = None, seed: int = 0, callbacks: Sequence = (),
                              recipe: Recipe = Recipe(), fixed_noise: bool = False,
                              progress: bool = False) -> tuple[HashingAutoencoder, History]:
    """Train a hashing autoencoder on `x` (n_items, n_features) in [0, 1]; return (model, history) (lesson 06a).

    `schedule(epoch, epochs) -> sigma` (default `noise_schedule("linear", 8.0)`), `fixed_noise=True` for the
    original's fixed per-item noise; `callbacks` (e.g. a `CodeRecorder`) see each epoch's codes before the
    noise level moves on, and a callback's `start(model)` method, if any, is called before training.
    `recipe.neighbours=1` and `recipe.balance=0` give the plain noisy-sigmoid AE.

    >>> model, history = train_hashing_autoencoder(digits.x_train, 16)
    >>> bits = encode_bits(model, digits.x_test)
    """
    check_data(x, "x")
    if not isinstance(recipe, Recipe):
        raise TypeError(f"recipe: expected a Recipe(...), got {type(recipe).__name__}")
    epochs = check_positive_int(recipe.epochs if epochs is None else epochs, "epochs")
    schedule = noise_schedule("linear", 8.0) if schedule is None else schedule
    model = make_hashing_autoencoder(x.shape[1], n_bits, recipe.hidden, recipe.decoder_hidden,
                                     n_items=len(x) if fixed_noise else None, seed=seed)
    if fixed_noise:
        model.remember(x)
    scheduler = NoiseScheduler(model, schedule, epochs)
    for callback in callbacks:          # e.g. CodeRecorder.start: the codes before any training
        if callable(getattr(callback, "start", None)):
            callback.start(model)
    corrupt = NeighbourSwap(x, recipe.neighbours) if recipe.neighbours > 1 else None
    penalty = BitBalance(recipe.balance) if recipe.balance > 0 else None
    history = fit(model, x, epochs=epochs, lr=recipe.lr, batch_size=recipe.batch_size, loss=recipe.loss,
                  penalty=penalty, corrupt=corrupt, callbacks=[*callbacks, scheduler], seed=seed,
                  progress=progress)
    return model, history


def encode_bits(model: nn.Module, x) -> np.ndarray:
    """The items' binary addresses: the codes h = f(x) (no noise) rounded at 1/2, uint8 (n_items, n_bits)
    (lesson 06a)."""
    return binarize(encode(model, x))


@torch.no_grad()
def rounding_cost(model: HashingAutoencoder, x) -> tuple[float, float]:
    """(MSE reconstructing from the real-valued codes, MSE reconstructing from the codes rounded to 0/1)
    (lesson 06a)."""
    model.eval()
    data = as_tensor(x, "x", device=model_device(model), n_features=model.n_inputs)
    h = model.encode(data)
    soft = ((model.decode(h) - data) ** 2).mean()
    hard = ((model.decode((h > 0.5).float()) - data) ** 2).mean()
    return float(soft), float(hard)

