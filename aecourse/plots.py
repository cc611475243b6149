"""Plotting helpers shared by the lessons: a flat module of functions, each returning the matplotlib object it drew.

- `image_grid`: items as small images (digits, reconstructions, or 8x8 filters with `symmetric=True`).
- `scatter_2d`: 2-D codes coloured by label.
- `error_curve`: error vs latent size, one line per method.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np

from .validation import as_numpy, check_labels, check_positive_int


def image_grid(images, image_shape: tuple[int, int] = (8, 8), n_cols: int = 10, *,
               row_titles: Sequence[str] | None = None,
               titles: Sequence[str] | None = None, symmetric: bool = False, cmap: str | None = None,
               scale: float = 0.9, fig=None):
    """Show each row of `images` (n, h*w) as an h x w picture, `n_cols` per row; return the Figure (lesson 01).

    Pixels use a grey scale from 0 to 1; `symmetric=True` centres the colour scale on 0 per image (for
    weights / filters, red-blue). `row_titles` label each grid row, `titles` each image.
    >>> image_grid(np.vstack([x_test[:10], reconstruct(model, x_test[:10])]), row_titles=["input", "output"])
    """
    if not (isinstance(image_shape, tuple) and len(image_shape) == 2):
        raise ValueError(f"image_shape: expected a (height, width) tuple like (8, 8), got {image_shape!r}")
    h, w = (check_positive_int(s, "image_shape") for s in image_shape)
    images = as_numpy(images, "images", n_features=h * w)
    n_cols = check_positive_int(n_cols, "n_cols")
    n = len(images)
    n_rows = math.ceil(n / n_cols)
    n_cols = min(n_cols, n)
    for name, labels, expected in (("titles", titles, n), ("row_titles", row_titles, n_rows)):
        if labels is not None and len(labels) != expected:
            raise ValueError(f"{name}: expected {expected} labels, got {len(labels)}")
    fig = fig or plt.figure(figsize=(scale * n_cols + (0.8 if row_titles else 0), scale * n_rows))
    axes = np.atleast_1d(fig.subplots(n_rows, n_cols, squeeze=False)).ravel()
    for i, ax in enumerate(axes):
        ax.set_xticks([])
        ax.set_yticks([])
        if i >= n:
            ax.axis("off")
            continue
        image = images[i].reshape(h, w)
        if symmetric:
            limit = float(np.abs(image).max()) or 1.0
            ax.imshow(image, cmap=cmap or "RdBu_r", vmin=-limit, vmax=limit)
        else:
            ax.imshow(image, cmap=cmap or "gray_r", vmin=0.0, vmax=1.0)
        if titles is not None:
            ax.set_title(str(titles[i]), fontsize=8)
        if row_titles is not None and i % n_cols == 0:
            ax.set_ylabel(str(row_titles[i // n_cols]), rotation=0, ha="right", va="center", fontsize=9)
    return fig


def scatter_2d(codes, labels=None, *, ax=None, title: str | None = None, s: float = 8.0, cmap: str = "tab10"):
    """Scatter 2-D codes (n, 2), coloured by integer `labels` with a legend; return the Axes (lesson 05)."""
    codes = as_numpy(codes, "codes", n_features=2)
    if labels is not None:
        labels = check_labels(labels, "labels", len(codes))
    ax = ax or plt.figure(figsize=(4.5, 4)).add_subplot()
    if labels is None:
        ax.scatter(codes[:, 0], codes[:, 1], s=s)
    else:
        colours = plt.get_cmap(cmap)
        for i, label in enumerate(np.unique(labels)):
            keep = labels == label
            ax.scatter(codes[keep, 0], codes[keep, 1], s=s, color=colours(i % colours.N), label=str(label))
        ax.legend(fontsize=7, markerscale=1.5, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    ax.set_xlabel("code 1")
    ax.set_ylabel("code 2")
    if title:
        ax.set_title(title)
    return ax


def error_curve(sizes: Sequence[int], errors: Mapping[str, Sequence[float]], *, ax=None,
                ylabel: str = "test MSE", xlabel: str = "latent size k", logy: bool = False):
    """Plot error vs latent size, one line per method: `errors = {"PCA": [...], "AE": [...]}`; return the Axes
    (lesson 01)."""
    sizes = list(sizes)
    if not sizes:
        raise ValueError("sizes: expected a non-empty list of latent sizes, got an empty one")
    for i, size in enumerate(sizes):
        check_positive_int(size, f"sizes[{i}]")
    if not isinstance(errors, Mapping) or not errors:
        raise TypeError(f"errors: expected a dict {{method name: list of errors}}, got {type(errors).__name__}")
    for name, values in errors.items():
        if len(values) != len(sizes):
            raise ValueError(f"errors[{name!r}]: expected {len(sizes)} values (one per size), got {len(values)}")
    ax = ax or plt.figure(figsize=(5, 3.5)).add_subplot()
    for name, values in errors.items():
        ax.plot(sizes, values, marker="o", label=name)
    ax.set_xscale("log", base=2)
    ax.set_xticks(sizes, [str(s) for s in sizes])
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(frameon=False)
    ax.grid(alpha=0.3)
    return ax


def plot_vector_field(points, field, data=None, ax=None, title: str = "", color: str = "C0"):
    """Arrows `field` at `points` (e.g. r(x) - x on a grid), over an optional scatter of the data (lesson 04)."""
    ax = ax or plt.subplots(figsize=(4, 4))[1]
    if data is not None:
        ax.scatter(data[:, 0], data[:, 1], s=3, c="0.7")
    ax.quiver(points[:, 0], points[:, 1], field[:, 0], field[:, 1], color=color, angles="xy")
    ax.set_aspect("equal")
    ax.set_title(title)
    return ax
