"""`fit` callbacks that watch the codes of a hashing autoencoder while it trains (lesson 06a).

`CodeRecorder` encodes a fixed set of items after every `every` epochs (in eval mode, without noise) and keeps a
`CodeSnapshot`: a histogram of the activations, the unsaturated fraction (share in (0.1, 0.9)), sample codes and,
optionally, the retrieval precision of the rounded codes. The hashing widget draws its live plots from them.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from torch import nn

from .bits import binarize
from .noisy_codes import find_code_layer, unsaturated_fraction
from .retrieval import precision_at_k
from .training import encode
from .validation import check_data, check_positive_int


@dataclass
class CodeSnapshot:
    """What `CodeRecorder` saw after one epoch (codes in eval mode, i.e. without noise)."""
    epoch: int
    sigma: float
    histogram: np.ndarray          # counts of code activations in `CodeRecorder.bin_edges`
    unsaturated: float             # share of activations in (0.1, 0.9)
    sample_codes: np.ndarray       # (n_samples, n_bits) real-valued codes of the sample items
    loss: float
    precision: float | None = None  # retrieval precision@k of the rounded codes, when asked for


class CodeRecorder:
    """`fit` callback: after every `every` epochs, encode `x` (no noise) and keep a `CodeSnapshot` (lesson 06a).

    `retrieval=(x_query, y_query, x_db, y_db)` adds precision@`k` by Hamming ranking of the rounded codes
    (labels used only to score). `on_snapshot(snapshot)` is called with each new snapshot (live plots).
    """

    def __init__(self, x, *, n_samples: int = 20, bins: int = 20, every: int = 1, retrieval=None, k: int = 100,
                 on_snapshot: Callable[[CodeSnapshot], object] | None = None):
        self.x = check_data(x, "x")
        self.n_samples = min(check_positive_int(n_samples, "n_samples"), len(x))
        self.bin_edges = np.linspace(0.0, 1.0, check_positive_int(bins, "bins") + 1)
        self.every = check_positive_int(every, "every")
        self.k = check_positive_int(k, "k")
        if retrieval is not None:
            if not isinstance(retrieval, (tuple, list)) or len(retrieval) != 4:
                raise ValueError("retrieval: expected a tuple (x_query, y_query, x_db, y_db), got "
                                 f"{type(retrieval).__name__}")
            check_data(retrieval[0], "x_query")
            check_data(retrieval[2], "x_db", n_features=retrieval[0].shape[1])
        self.retrieval = retrieval
        if on_snapshot is not None and not callable(on_snapshot):
            raise TypeError(f"on_snapshot: expected a callable, got {type(on_snapshot).__name__}")
        self.on_snapshot = on_snapshot
        self.snapshots: list[CodeSnapshot] = []

    def start(self, model: nn.Module) -> CodeSnapshot:
        """Record the untrained model's codes as epoch -1 (`train_hashing_autoencoder` calls it)."""
        return self.snapshot(-1, model)

    def snapshot(self, epoch: int, model: nn.Module, loss: float = float("nan")) -> CodeSnapshot:
        codes = encode(model, self.x)
        precision = None
        if self.retrieval is not None:
            x_query, y_query, x_db, y_db = self.retrieval
            precision = precision_at_k(binarize(encode(model, x_query)), binarize(encode(model, x_db)),
                                       y_query, y_db, k=min(self.k, len(x_db)))
        sigma = find_code_layer(model).sigma
        snap = CodeSnapshot(epoch, sigma, np.histogram(codes, self.bin_edges)[0], unsaturated_fraction(codes),
                            codes[:self.n_samples].copy(), loss, precision)
        self.snapshots.append(snap)
        if self.on_snapshot is not None:
            self.on_snapshot(snap)
        return snap

    def __call__(self, epoch: int, model: nn.Module, history) -> None:
        if epoch % self.every == 0:
            self.snapshot(epoch, model, history.loss[-1] if len(history) else float("nan"))

    @property
    def unsaturated(self) -> list[float]:
        return [s.unsaturated for s in self.snapshots]
