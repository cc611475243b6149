"""Under load: the library's CPU thread default (aecourse.device.configure_threads) and the benchmark that chose it."""
import importlib
import json
import sys
from pathlib import Path

import pytest
import torch

from aecourse.device import configure_threads, seed_everything

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


@pytest.fixture
def restore_threads():
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


def test_one_thread_by_default_and_the_environment_overrides(monkeypatch, restore_threads):
    monkeypatch.delenv("AECOURSE_THREADS", raising=False)
    torch.set_num_threads(2)
    assert configure_threads(force=True) == 1
    monkeypatch.setenv("AECOURSE_THREADS", "2")
    assert configure_threads(force=True) == 2
    monkeypatch.setenv("AECOURSE_THREADS", "torch")
    torch.set_num_threads(2)
    assert configure_threads(force=True) == 2
    monkeypatch.setenv("AECOURSE_THREADS", "many")
    with pytest.raises(ValueError, match="AECOURSE_THREADS: expected a positive number of CPU threads or 'torch'"):
        configure_threads(force=True)


def test_only_the_first_call_acts(monkeypatch, restore_threads):
    monkeypatch.delenv("AECOURSE_THREADS", raising=False)
    configure_threads(force=True)
    torch.set_num_threads(2)              # the learner's own choice afterwards stands
    seed_everything(0)
    assert torch.get_num_threads() == 2


def test_threads_benchmark_writes_its_table_from_saved_times(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    threads = importlib.import_module("threads")
    saved = json.loads((BENCHMARKS / "results" / "threads.json").read_text())
    threads.main(["--from-json", str(BENCHMARKS / "results" / "threads.json"), "--results-dir", str(tmp_path)])
    text = (tmp_path / "threads.md").read_text()
    assert f"Machine: {saved['machine']}." in text and (tmp_path / "threads.png").is_file()
    assert "| lesson 01 AE (k = 8, 30 epochs) | 2 | 5.679 | 77.78 | 13.7 |" in text
    assert "Fastest beside the competing process: {'hashing widget (16 bits, 60 epochs)': '1'" in text
    sys.modules.pop("threads", None)
