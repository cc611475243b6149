"""Smoke tests of benchmarks/: each script's --quick mode writes its table (with the expected columns) and plot.

Speed targets are measured and reported by the benchmarks themselves, never asserted here.
"""
from __future__ import annotations

import importlib
import sys
from pathlib import Path

import nbformat
import pytest
import torch

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

COLUMNS = {
    "ae_vs_pca": ["k", "PCA MSE", "linear AE MSE", "nonlinear AE MSE", "AE / PCA", "PCA s", "linear AE s",
                  "nonlinear AE s"],
    "fit_overhead": ["variant", "wall s", "min wall s", "CPU s", "CPU us / step", "vs bare (wall)", "vs bare (CPU)"],
    "gpu_vs_cpu": ["workload", "epochs", "batch", "cpu s", "cpu test MSE"],
    "hashing_quality": ["bits", "method", "seeds", "P@100", "mAP", "P r<=2", "answered r<=2", "seconds"],
    "retrieval_speed": ["n codes", "radius", "found / query", "HashIndex us", "linear scan us", "faiss Flat us",
                        "faiss Hash us", "scan / HashIndex", "faiss Hash / HashIndex", "build s"],
    "notebook_times": ["notebook", "seconds", "kernel CPU s", "code cells", "status", "target"],
}


def header(md: str) -> list[str]:
    line = next(line for line in md.splitlines() if line.startswith("| "))
    return [cell.strip() for cell in line.strip("|").split("|")]


@pytest.fixture(autouse=True)
def one_torch_thread():
    """The benchmarks run with --threads 1 here (fast on a shared machine); restore torch's setting after."""
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


def run_quick(name: str, results: Path, *extra: str) -> str:
    if not (BENCHMARKS / f"{name}.py").is_file():
        pytest.skip(f"benchmarks/{name}.py is not written yet")
    code = importlib.import_module(name).main(["--quick", "--threads", "1", "--results-dir", str(results), *extra])
    assert code == 0
    assert (results / f"{name}.png").stat().st_size > 0
    return (results / f"{name}.md").read_text()


REPORTS = {  # a line each table must carry besides its columns
    "ae_vs_pca": "Target: nonlinear AE test MSE <= 0.6x PCA at k = 8: measured",
    "fit_overhead": "Target: fit within 10% of the bare loop",
    "gpu_vs_cpu": "Median of 1 run(s) per cell",
    "hashing_quality": "Target: hashing AE ahead of ITQ in P@100 and mAP at 16 and 32 bits: 16 bits",
    "retrieval_speed": "",
}


def expected_columns(name: str) -> list[str]:
    """The table's columns on this machine: gpu_vs_cpu adds a pair of columns and the speed-up where a GPU is."""
    from aecourse.device import get_device

    accelerator = get_device().type
    if name != "gpu_vs_cpu" or accelerator == "cpu":
        return COLUMNS[name]
    return COLUMNS[name] + [f"{accelerator} s", f"{accelerator} test MSE", "speed-up"]


@pytest.mark.parametrize("name", list(REPORTS))
def test_quick_mode_writes_table_and_plot(name, tmp_path, capsys):
    md = run_quick(name, tmp_path)
    assert header(md) == expected_columns(name)
    assert "Quick mode" in md and "Machine: CPU:" in md and "cores:" in md and "torch:" in md
    assert REPORTS[name] in md
    printed = capsys.readouterr().out
    assert header(md) == header(printed)  # the table is printed too
    if name == "gpu_vs_cpu" and header(md) == COLUMNS[name]:
        assert "no GPU here" in printed and "no GPU on this machine" in md
    elif name == "gpu_vs_cpu":
        assert "no GPU here" not in printed and "GPU: " in md


def test_notebook_times_runs_copies_and_totals(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("open('written.txt', 'w').write('x')\nprint(1 + 1)")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    source = tmp_path / "tiny.ipynb"
    nbformat.write(nb, source)
    before = source.read_text()
    md = run_quick("notebook_times", tmp_path / "results", str(source))
    assert header(md) == COLUMNS["notebook_times"]
    assert "| tiny.ipynb |" in md and "total (1 notebooks)" in md and "kernel start-up" in md
    assert source.read_text() == before and not (tmp_path / "written.txt").exists()  # ran on a copy elsewhere


def test_notebook_times_refuses_a_missing_notebook(tmp_path):
    with pytest.raises(SystemExit, match="no such notebook"):
        importlib.import_module("notebook_times").main(["--results-dir", str(tmp_path), str(tmp_path / "x.ipynb")])


def test_markdown_table_rejects_ragged_rows():
    common = importlib.import_module("common")
    assert common.markdown_table(["a", "b"], [[1, 0.5]]).splitlines()[1] == "|---:|---:|"
    with pytest.raises(ValueError, match="expected 2"):
        common.markdown_table(["a", "b"], [[1]])


def test_run_all_rejects_unknown_names_and_collects_tables(tmp_path, monkeypatch):
    run_all = importlib.import_module("run_all")
    with pytest.raises(SystemExit):
        run_all.main(["no_such_benchmark"])
    scripts = tmp_path / "scripts"
    scripts.mkdir()
    (scripts / "ae_vs_pca.py").write_text(  # a stand-in benchmark: run_all's job is running and collecting
        "import sys, pathlib\n"
        "out = pathlib.Path(sys.argv[sys.argv.index('--results-dir') + 1])\n"
        "(out / 'ae_vs_pca.md').write_text('## fake table, quick=%s' % ('--quick' in sys.argv))\n")
    (scripts / "fit_overhead.py").write_text("raise SystemExit(3)\n")
    monkeypatch.setattr(run_all, "HERE", scripts)
    results = tmp_path / "results"
    results.mkdir()
    assert run_all.main(["ae_vs_pca", "--quick", "--results-dir", str(results)]) == 0
    summary = (results / "all.md").read_text()
    assert "| ae_vs_pca | ok |" in summary and "## fake table, quick=True" in summary
    assert run_all.main(["ae_vs_pca", "fit_overhead", "gpu_vs_cpu", "--results-dir", str(results)]) == 1
    summary = (results / "all.md").read_text()
    assert "| fit_overhead | failed (exit status 3) |" in summary and "| gpu_vs_cpu | missing |" in summary
