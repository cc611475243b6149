"""Data sets of the course.

- `load_digits()`: scikit-learn's 8x8 digits, shipped with scikit-learn (no download), the default everywhere.
- `load_mnist()`: optional MNIST / Fashion-MNIST, downloaded once into a cache, checksum-verified.
- `toy_2d()`: small 2-D point sets for pictures (circle, moons, gaussian mixture).
"""
from __future__ import annotations

import gzip
import hashlib
import importlib.util
import os
import struct
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .validation import check_choice, check_number, check_positive_int

DATA_ENV = "AECOURSE_DATA"


@dataclass(frozen=True)
class Dataset:
    """A fixed train/test split: inputs float32 in [0, 1], one row per item; labels int64."""
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    image_shape: tuple[int, int]
    name: str

    def __repr__(self) -> str:
        return (f"Dataset({self.name!r}: {len(self.x_train)} train + {len(self.x_test)} test items, "
                f"{self.x_train.shape[1]} features, images {self.image_shape})")


def load_digits(test_size: int = 300, seed: int = 0) -> Dataset:
    """scikit-learn's 1,797 handwritten 8x8 digits, pixels scaled from 0..16 to [0, 1] (lesson 00).

    The split is fixed by `seed`: `test_size` items (stratified by label) are held out, the same items
    scikit-learn's `train_test_split(x, y, test_size=test_size, random_state=seed, stratify=y)` holds out.
    """
    test_size = check_positive_int(test_size, "test_size")
    seed = check_positive_int(seed, "seed", minimum=0)
    pixels, labels = _digits_file()
    if test_size >= len(labels):
        raise ValueError(f"test_size: expected fewer than {len(labels)} items, got {test_size}")
    x = (pixels / 16.0).astype(np.float32)
    y = labels.astype(np.int64)
    train, test = stratified_split(y, test_size, seed)
    return Dataset(x[train], y[train], x[test], y[test], (8, 8), "digits")


def _digits_file() -> tuple[np.ndarray, np.ndarray]:
    """(pixels 0..16, labels) from the file scikit-learn ships, read without importing scikit-learn: its import
    (scipy.stats) costs about a second in every notebook that loads the digits. Falls back to
    `sklearn.datasets.load_digits` if a scikit-learn version keeps the file elsewhere."""
    spec = importlib.util.find_spec("sklearn")
    path = Path(spec.submodule_search_locations[0], "datasets", "data", "digits.csv.gz") if spec else None
    if path is None or not path.is_file():
        from sklearn.datasets import load_digits as sk_load_digits

        bunch = sk_load_digits()
        return bunch.data, bunch.target
    with gzip.open(path, "rt") as f:
        table = np.loadtxt(f, delimiter=",")
    return table[:, :-1], table[:, -1].astype(int)


def stratified_split(y, test_size: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(train indices, test indices): `test_size` items held out with each label's share kept, the others for
    training: the split scikit-learn's StratifiedShuffleSplit makes with `random_state=seed` (its algorithm, so the
    course's data, and the numbers measured on it, stay the same without importing scikit-learn).

    Label c, with n_c of the n items, gets floor(n_c / n * size) of a part's `size` items, plus one for the labels
    with the largest remainders until the part is full (ties drawn at random); each label's items are shuffled,
    the first ones train, the next ones test, and each part is shuffled again."""
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"y: expected one label per item (a 1-D array), got shape {y.shape}")
    n_test = check_positive_int(test_size, "test_size")
    rng = np.random.RandomState(check_positive_int(seed, "seed", minimum=0))
    _, y_indices, class_counts = np.unique(y, return_inverse=True, return_counts=True)
    n_train = len(y) - n_test
    if class_counts.min() < 2 or min(n_train, n_test) < len(class_counts):
        raise ValueError(f"y, test_size: expected every label at least twice and at least one item per label in "
                         f"each part, got label counts {class_counts.tolist()} and test_size {n_test} of {len(y)} "
                         "items: choose a test_size that leaves both parts one item of every label")
    class_indices = np.split(np.argsort(y_indices, kind="stable"), np.cumsum(class_counts)[:-1])
    n_i = _shares(class_counts, n_train, rng)
    t_i = _shares(class_counts - n_i, n_test, rng)
    train, test = [], []
    for i, indices in enumerate(class_indices):
        shuffled = indices.take(rng.permutation(class_counts[i]), mode="clip")
        train.extend(shuffled[:n_i[i]])
        test.extend(shuffled[n_i[i]:n_i[i] + t_i[i]])
    return rng.permutation(train), rng.permutation(test)


def _shares(class_counts: np.ndarray, n_draws: int, rng: np.random.RandomState) -> np.ndarray:
    """How many of `n_draws` items each label gets: its proportional share floored, plus one for the labels with
    the largest remainders until `n_draws` is reached (ties broken by `rng`)."""
    continuous = class_counts / class_counts.sum() * n_draws
    floored = np.floor(continuous)
    need_to_add = int(n_draws - floored.sum())
    remainder = continuous - floored
    for value in np.sort(np.unique(remainder))[::-1]:
        if need_to_add == 0:
            break
        (inds,) = np.where(remainder == value)
        add_now = min(len(inds), need_to_add)
        floored[rng.choice(inds, size=add_now, replace=False)] += 1
        need_to_add -= add_now
    return floored.astype(int)


# ---------------------------------------------------------------------------------------------- optional MNIST

MNIST_SOURCES = {
    "mnist": {
        "url": "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "files": {
            "train-images-idx3-ubyte.gz": "sha256:440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
            "train-labels-idx1-ubyte.gz": "sha256:3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
            "t10k-images-idx3-ubyte.gz": "sha256:8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
            "t10k-labels-idx1-ubyte.gz": "sha256:f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
        },
    },
    # Zalando publishes MD5 sums only; they are what the files are checked against.
    "fashion": {
        "url": "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
        "files": {
            "train-images-idx3-ubyte.gz": "md5:8d4fb7e6c68d591d4c3dfef9ec88bf0d",
            "train-labels-idx1-ubyte.gz": "md5:25c81989df183df01b3e8a0aad5dffbe",
            "t10k-images-idx3-ubyte.gz": "md5:bef4ecab320f06d8554ea6380940ec79",
            "t10k-labels-idx1-ubyte.gz": "md5:bb300cfdad3c16e7a12a480ee83cd310",
        },
    },
}


class DownloadError(RuntimeError):
    """An optional data set could not be fetched; the embedded digits still work offline."""


def data_dir() -> Path:
    """The download cache: $AECOURSE_DATA, else the user's cache folder (~/.cache/aecourse)."""
    if os.environ.get(DATA_ENV):
        return Path(os.environ[DATA_ENV]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "aecourse"


def file_digest(path: Path, algorithm: str) -> str:
    h = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _verified(path: Path, checksum: str) -> bool:
    algorithm, expected = checksum.split(":")
    return path.is_file() and file_digest(path, algorithm) == expected


def fetch(url: str, path: Path, checksum: str, *, timeout: float = 30.0) -> Path:
    """Download `url` to `path` unless a file with the right checksum ("sha256:<hex>") is there.

    A cached file with a wrong checksum is fetched again. The download goes to a temporary file in the
    same folder and is renamed into place only once verified, so an interrupted download leaves no
    half-written file behind.
    """
    path = Path(path)
    if _verified(path, checksum):
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as response:
            while block := response.read(1 << 20):
                out.write(block)
        if not _verified(Path(tmp), checksum):
            raise DownloadError(f"{url}: the downloaded file does not match its checksum {checksum}; "
                                "the server may have changed it. Try again later, or use load_digits()")
        os.replace(tmp, path)
    except (urllib.error.URLError, OSError) as err:
        raise DownloadError(f"could not download {url} ({err}). You seem to be offline: the course's "
                            "default data, aecourse.load_digits(), is embedded and needs no network; or "
                            f"copy the file by hand to {path}") from err
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return path


def read_idx(path: Path) -> np.ndarray:
    """Read a (gzipped) IDX file of unsigned bytes into an array of its stored shape."""
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise ValueError(f"{path}: expected an IDX file of unsigned bytes (magic 0x0000 08 nn), "
                         "got something else: delete it so it is downloaded again")
    ndim = raw[3]
    shape = struct.unpack(f">{ndim}I", raw[4:4 + 4 * ndim])
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(shape)):
        raise ValueError(f"{path}: header says shape {shape} but holds {data.size} values: the file is truncated")
    return data.reshape(shape)


def load_mnist(kind: str = "mnist", *, cache_dir: str | os.PathLike | None = None,
               base_url: str | None = None) -> Dataset:
    """MNIST (`kind="mnist"`) or Fashion-MNIST (`kind="fashion"`): 60,000 + 10,000 28x28 images in [0, 1] (lesson 05).

    Needs the network the first time only; files are cached in `cache_dir` (default `data_dir()`).
    """
    check_choice(kind, "kind", MNIST_SOURCES)
    source = MNIST_SOURCES[kind]
    folder = Path(cache_dir) if cache_dir is not None else data_dir() / kind
    url = base_url or source["url"]
    arrays = {name: read_idx(fetch(url + name, folder / name, checksum))
              for name, checksum in source["files"].items()}
    as_float = lambda images: (images.reshape(len(images), -1) / 255.0).astype(np.float32)  # noqa: E731
    return Dataset(as_float(arrays["train-images-idx3-ubyte.gz"]),
                   arrays["train-labels-idx1-ubyte.gz"].astype(np.int64),
                   as_float(arrays["t10k-images-idx3-ubyte.gz"]),
                   arrays["t10k-labels-idx1-ubyte.gz"].astype(np.int64), (28, 28), kind)


# ---------------------------------------------------------------------------------------------- 2-D toy sets

def toy_2d(kind: str = "moons", n: int = 500, noise: float = 0.05, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A 2-D point set for pictures: "circle", "moons" or "mixture" (4 gaussians on a square) (lesson 07).

    Returns (points float32 (n, 2), labels int64 (n,)).
    """
    check_choice(kind, "kind", ("circle", "moons", "mixture"))
    n = check_positive_int(n, "n")
    noise = check_number(noise, "noise", low=0.0)
    rng = np.random.default_rng(seed)
    if kind == "circle":
        angle = rng.uniform(0, 2 * np.pi, n)
        x = np.stack([np.cos(angle), np.sin(angle)], axis=1)
        y = np.zeros(n, dtype=np.int64)
    elif kind == "moons":
        from sklearn.datasets import make_moons
        x, y = make_moons(n_samples=n, noise=0.0, random_state=seed)
    else:
        y = rng.integers(0, 4, n)
        x = MIXTURE_CENTRES[y].copy()
    x = x + noise * rng.standard_normal((n, 2))
    return x.astype(np.float32), np.asarray(y, dtype=np.int64)


MIXTURE_CENTRES = np.array([[-1.0, -1.0], [-1.0, 1.0], [1.0, -1.0], [1.0, 1.0]])
