"""Models: an MLP builder, the `Autoencoder` (x -> h = f(x) -> r = g(h)) and a linear autoencoder."""
from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from .validation import check_choice, check_data, check_positive_int

ACTIVATIONS = {
    "relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "elu": nn.ELU, "gelu": nn.GELU,
    "softplus": nn.Softplus, "identity": nn.Identity, None: nn.Identity,
}


def mlp(sizes: Sequence[int], activation: str | None = "relu", output_activation: str | None = None) -> nn.Sequential:
    """Linear layers of the given sizes, `activation` between them and `output_activation` after the last.

    >>> mlp([64, 32, 8], "relu", "sigmoid")  # 64 -> 32 -> 8, ReLU then sigmoid
    """
    if isinstance(sizes, (str, bytes)) or not isinstance(sizes, Sequence) or len(sizes) < 2:
        raise ValueError(f"sizes: expected a list of at least two layer sizes like [64, 32, 8], got {sizes!r}")
    for i, size in enumerate(sizes):
        check_positive_int(size, f"sizes[{i}]")
    check_choice(activation, "activation", ACTIVATIONS)
    check_choice(output_activation, "output_activation", ACTIVATIONS)
    layers: list[nn.Module] = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(n_in, n_out))
        last = i == len(sizes) - 2
        layers.append(ACTIVATIONS[output_activation if last else activation]())
    return nn.Sequential(*[layer for layer in layers if not isinstance(layer, nn.Identity)])


class Autoencoder(nn.Module):
    """An encoder f and a decoder g: `encode(x) = f(x) = h`, `decode(h) = g(h) = r`, `forward(x) = g(f(x))`."""

    def __init__(self, encoder: nn.Module, decoder: nn.Module):
        super().__init__()
        if not isinstance(encoder, nn.Module) or not isinstance(decoder, nn.Module):
            raise TypeError("Autoencoder(encoder, decoder): expected two torch.nn.Module objects, got "
                            f"{type(encoder).__name__} and {type(decoder).__name__}; build them with mlp([...])")
        self.encoder = encoder
        self.decoder = decoder

    @property
    def n_inputs(self) -> int | None:
        first = next((m for m in self.encoder.modules() if isinstance(m, nn.Linear)), None)
        return None if first is None else first.in_features

    def _check_input(self, x: torch.Tensor) -> torch.Tensor:
        """Rank, width and dtype always; finiteness only in eval mode, since `fit` checks its data once."""
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"expected a torch tensor, got {type(x).__name__}: "
                            "use torch.as_tensor(x, dtype=torch.float32)")
        if self.training and x.ndim == 2 and x.is_floating_point() and x.shape[1] == self.n_inputs:
            return x
        return check_data(x, "x", n_features=self.n_inputs, allow_empty=True)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(self._check_input(x))

    def decode(self, h: torch.Tensor) -> torch.Tensor:
        return self.decoder(h)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))


def make_autoencoder(n_inputs: int, hidden: Sequence[int], n_code: int, *, activation: str = "relu",
                     code_activation: str | None = None, output_activation: str | None = "sigmoid") -> Autoencoder:
    """A symmetric MLP autoencoder n_inputs -> hidden... -> n_code -> reversed(hidden)... -> n_inputs (lesson 00).

    >>> make_autoencoder(64, [128], 8)  # 64 -> 128 -> 8 -> 128 -> 64, sigmoid output for pixels in [0, 1]
    """
    n_inputs, n_code = check_positive_int(n_inputs, "n_inputs"), check_positive_int(n_code, "n_code (the code size)")
    if isinstance(hidden, (str, bytes)) or not isinstance(hidden, Sequence):
        example = f"[{hidden}]" if isinstance(hidden, int) else "[128]"
        raise TypeError(f"hidden: expected a list of hidden layer sizes (or [] for none), got "
                        f"{type(hidden).__name__} {hidden!r}: write make_autoencoder({n_inputs}, {example}, {n_code})")
    hidden = [check_positive_int(size, f"hidden[{i}]") for i, size in enumerate(hidden)]
    for name, value in (("activation", activation), ("code_activation", code_activation),
                        ("output_activation", output_activation)):
        check_choice(value, name, ACTIVATIONS)
    encoder = mlp([n_inputs, *hidden, n_code], activation, code_activation)
    decoder = mlp([n_code, *hidden[::-1], n_inputs], activation, output_activation)
    return Autoencoder(encoder, decoder)


class LinearAutoencoder(Autoencoder):
    """h = W1 x + b1, r = W2 h + b2: no nonlinearity, so at the MSE optimum W2 spans the top-k PCA subspace.

    The two biases are independent parameters (`bias=False` drops both: then train on centred data, as
    `pca.fit_linear_autoencoder` does, and the model is r = W2 W1 x).
    """

    def __init__(self, n_inputs: int, n_code: int, bias: bool = True):
        n_inputs = check_positive_int(n_inputs, "n_inputs")
        n_code = check_positive_int(n_code, "n_code")
        super().__init__(nn.Linear(n_inputs, n_code, bias=bias), nn.Linear(n_code, n_inputs, bias=bias))

    @property
    def decoder_weight(self) -> torch.Tensor:
        """W2, shape (n_inputs, n_code): its columns span the learned subspace."""
        return self.decoder.weight
