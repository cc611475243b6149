import hashlib
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("MPLBACKEND", "Agg")
# One math thread per process: the tests start notebook kernels beside pytest, and on a small machine competing
# thread pools make every step many times slower. Kernels inherit this through the environment.
for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

# What `make test-fast` leaves out (marked `slow`): the notebooks (nbval) and the tests that execute notebooks, drive
# a browser, build the website or run the benchmarks, and the claims that train the lessons' models (the lessons',
# the README's and the hashing explorer's: test files, or a file's tests whose names start the same, and tests using
# a fixture named `trained`). The rest tests the library, in under a minute.
SLOW = ("tests/browser/", "tests/test_lesson0", "tests/test_notebooks.py", "tests/test_grading.py",
        "tests/test_grading_root.py",
        "tests/test_nbgrader_compat.py", "tests/test_benchmarks.py", "tests/test_render.py",
        "tests/test_cli.py::test_check_", "tests/test_edges_claims.py", "tests/test_hashing_widget.py")


# `make test` runs the files on two pytest-xdist workers in the order collected (--dist loadfile
# --no-loadscope-reorder): these first, longest first (as measured by `pytest --durations=0`), so that no long file
# starts last and runs alone at the end. Their trainings shared through `train_once` are then done before the
# shorter files that reuse them ask for them.
LONGEST_FIRST = ("tests/test_grading_root.py", "tests/test_lesson06.py", "tests/browser/test_widgets.py",
                 "notebooks/06b_", "tests/test_nbgrader_compat.py", "tests/test_grading.py", "tests/test_notebooks.py",
                 "notebooks/06a_", "tests/test_hashing_widget.py", "tests/browser/test_lab.py", "tests/hub/",
                 "tests/test_lesson04.py", "tests/test_cli.py", "tests/test_edges_claims.py", "tests/test_lesson02.py",
                 "tests/test_lesson03.py")


def _run_order(item) -> int:
    return next((i for i, prefix in enumerate(LONGEST_FIRST) if item.nodeid.startswith(prefix)), len(LONGEST_FIRST))


def pytest_collection_modifyitems(config, items):
    for item in items:
        if ".ipynb" in item.nodeid or item.nodeid.startswith(SLOW) or "trained" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)
    items.sort(key=_run_order)  # stable: within a file, and among the other files, the collected order is kept


@pytest.fixture
def root() -> Path:
    """The course's top folder."""
    return ROOT


@pytest.fixture(autouse=True)
def _cpu_unless_asked(monkeypatch):
    """Unit tests run where the library would run; tests of the override set AECOURSE_DEVICE themselves."""
    monkeypatch.delenv("AECOURSE_DEVICE", raising=False)


@pytest.fixture(scope="session")
def train_once(tmp_path_factory):
    """Train what several tests need once per test run: `train_once(key, train)` returns `train()`'s result (a model,
    or a tuple of models and records: anything torch.save takes), computed the first time `key` is asked for and
    shared after, also between pytest-xdist's worker processes (through a file, under a lock). The key names the
    recipe, e.g. ("hashing AE", 16 bits, seed 0); tests must not modify what they get.

    The training runs on the CPU on every machine (AECOURSE_DEVICE=cpu while it runs): the claims these models
    back have margins measured on the CPU, and float32 training on a GPU takes other paths (the lessons themselves
    run on the GPU when there is one, and nbval checks their printed claims there)."""
    import torch
    from filelock import FileLock

    base = tmp_path_factory.getbasetemp()
    shared = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "trained-once"
    shared.mkdir(parents=True, exist_ok=True)
    cache = {}

    def get(key, train):
        if key not in cache:
            path = shared / f"{hashlib.sha256(repr(key).encode()).hexdigest()[:20]}.pt"
            with FileLock(f"{path}.lock"):
                if path.is_file():
                    cache[key] = torch.load(path, weights_only=False)
                else:
                    with pytest.MonkeyPatch.context() as patch:
                        patch.setenv("AECOURSE_DEVICE", "cpu")
                        cache[key] = train()
                    torch.save(cache[key], path)
        return cache[key]

    return get


@pytest.fixture(scope="session")
def hashing_ae(train_once):
    """Lesson 06's hashing autoencoder on the digits as the lesson trains it (the default recipe: 200 epochs, noise
    ramped linearly to 8), once per run for each (n_bits, seed): `hashing_ae(16, seed=0)` returns (model, recorder),
    the recorder a CodeRecorder of the first 500 training images (recording does not change the training)."""
    from aecourse.callbacks import CodeRecorder
    from aecourse.data import load_digits
    from aecourse.noisy_codes import noise_schedule
    from aecourse.semantic_hashing import train_hashing_autoencoder

    def train(n_bits, seed):
        digits = load_digits()
        recorder = CodeRecorder(digits.x_train[:500])
        model, _ = train_hashing_autoencoder(digits.x_train, n_bits, noise_schedule("linear", 8.0), seed=seed,
                                             callbacks=[recorder])
        return model, recorder

    return lambda n_bits, seed=0: train_once(("hashing AE", "digits", n_bits, seed), lambda: train(n_bits, seed))


@pytest.fixture(scope="session")
def tied_cae_models(train_once):
    """Lessons 03 and 07's pair on the digits, trained once per run: a tied-weight sigmoid AE 64-128-64 without a
    penalty ("plain") and with Contractive(3e-3) ("cae"), 60 epochs, lr 1e-2, seed 0. Returns (digits, models)."""
    from aecourse.data import load_digits
    from aecourse.penalties import Contractive, tied_sigmoid_autoencoder
    from aecourse.training import fit

    def train():
        models = {}
        for name, penalty in [("plain", None), ("cae", Contractive(3e-3))]:
            models[name] = tied_sigmoid_autoencoder(64, 128)
            fit(models[name], load_digits().x_train, epochs=60, lr=1e-2, penalty=penalty, seed=0, progress=False)
            models[name].cpu()
        return models

    return load_digits(), train_once(("tied sigmoid AE and CAE", "digits", 128, 3e-3, 60, 0), train)



@pytest.fixture(scope="session")
def synthetic_documents_ae(train_once):
    """Lesson 06b's plain hashing AE on the generated corpus, trained once per run: 16 bits, 100 epochs, seed 0, the
    noisy-sigmoid recipe with one neighbour and a mirrored 256-unit decoder (the digits' recipe collapses on sparse
    counts). Returns (corpus, model)."""
    from aecourse.corpus import synthetic_corpus
    from aecourse.semantic_hashing import Recipe, train_hashing_autoencoder

    corpus = synthetic_corpus()

    def train():
        model, _ = train_hashing_autoencoder(corpus.x_train, 16, seed=0, epochs=100,
                                             recipe=Recipe(neighbours=1, decoder_hidden=(256,)))
        return model.cpu()

    return corpus, train_once(("hashing AE", "synthetic corpus", 16, "one neighbour, 256 decoder", 100, 0), train)
