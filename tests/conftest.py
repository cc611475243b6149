import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture
def root() -> Path:
    """The course's top folder."""
    return ROOT


@pytest.fixture(autouse=True)
def _cpu_unless_asked(monkeypatch):
    """Unit tests run where the library would run; tests of the override set AECOURSE_DEVICE themselves."""
    monkeypatch.delenv("AECOURSE_DEVICE", raising=False)
