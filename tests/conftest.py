import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("MPLBACKEND", "Agg")
# One math thread per process: the tests start notebook kernels beside pytest, and on a small machine competing
# thread pools make every step many times slower. Kernels inherit this through the environment.
for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(_var, "1")


@pytest.fixture
def root() -> Path:
    """The course's top folder."""
    return ROOT


@pytest.fixture(autouse=True)
def _cpu_unless_asked(monkeypatch):
    """Unit tests run where the library would run; tests of the override set AECOURSE_DEVICE themselves."""
    monkeypatch.delenv("AECOURSE_DEVICE", raising=False)
