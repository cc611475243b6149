"""The course as a static website: execute every notebook on the CPU, on a copy, and export it to HTML.

    python -m aecourse.course.render                        # notebooks/ and solutions/ -> build/course/
    python -m aecourse.course.render FOLDER.. --out DIR     # other folders

Notebooks run in lesson order (00 first; a lesson before its exercise solutions), each in a fresh kernel with
AECOURSE_DEVICE=cpu and the inline plot backend, in a temporary copy of its folder, so the sources stay untouched.
Each page is nbconvert's HTMLExporter output, plots embedded as images; `index.html` links them in order with each
notebook's run time. A failing cell is reported by notebook and cell index, its page still written (with the error
shown), and the command exits with status 1.
"""
from __future__ import annotations

import argparse
import html
import os
import re
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat

from .notebooks import read

DEFAULT_FOLDERS = ("notebooks", "solutions")
FOLDER_TITLES = {"notebooks": "lesson", "solutions": "exercise solutions", "exercises": "exercises"}
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"


@dataclass
class Rendered:
    """One notebook's result: where its page is, how long it ran, and the failing cell if any."""
    source: Path
    page: Path
    title: str
    seconds: float
    error: str | None = None


class RenderError(RuntimeError):
    """Raised by `render_course` when notebooks failed; `.results` holds every notebook's result."""

    def __init__(self, results: list[Rendered]):
        self.results = results
        failed = [r for r in results if r.error]
        super().__init__(f"{len(failed)} of {len(results)} notebooks failed:\n" + "\n".join(r.error for r in failed))


def course_order(paths) -> list[Path]:
    """Sort notebooks by their number prefix (`NN_`), then by folder in DEFAULT_FOLDERS order, then by name."""
    def key(path: Path):
        match = re.match(r"(\d+)", path.name)
        parent = path.parent.name
        folder = DEFAULT_FOLDERS.index(parent) if parent in DEFAULT_FOLDERS else len(DEFAULT_FOLDERS)
        return (int(match.group(1)) if match else sys.maxsize, folder, path.name)
    return sorted(paths, key=key)


def title_of(nb: nbformat.NotebookNode, fallback: str) -> str:
    """The first markdown heading of the notebook, else `fallback`."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            match = re.search(r"^#+\s+(.+)$", cell.source, re.MULTILINE)
            if match:
                return match.group(1).strip()
    return fallback


def execute(path: Path, workdir: Path, *, cell_timeout: int = 600) -> tuple[nbformat.NotebookNode, str | None]:
    """Run the notebook at `path` in a fresh python3 kernel started in `workdir` on the CPU.

    Returns (executed notebook, None), or (notebook executed up to the failing cell, "PATH: cell I (first line)
    raised ENAME: EVALUE") when a cell fails."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellControlSignal, CellExecutionError, DeadKernelError

    nb = read(path)
    running = {}

    def on_cell_start(cell, cell_index):
        running["index"] = cell_index

    package_root = str(Path(__file__).resolve().parent.parent)
    env = {**os.environ, "AECOURSE_DEVICE": "cpu", "MPLBACKEND": INLINE_BACKEND, "TQDM_DISABLE": "1",
           "PYTHONPATH": os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")]))}
    client = NotebookClient(nb, timeout=cell_timeout, kernel_name="python3", on_cell_start=on_cell_start,
                            resources={"metadata": {"path": str(workdir)}})
    try:
        client.execute(env=env)
    except (CellExecutionError, CellControlSignal, DeadKernelError, TimeoutError, RuntimeError) as err:
        # a raising cell, a timeout, a dead kernel: name the notebook and the cell
        index = running.get("index")
        lines = nb.cells[index].source.strip().splitlines() if index is not None else []
        where = f"cell {index} ({lines[0][:60]!r})" if lines else f"cell {index}"
        if isinstance(err, CellExecutionError):
            err = f"{err.ename}: {err.evalue}"
        else:
            err = f"{type(err).__name__}: {err}"
        return nb, f"{path}: {where} raised {err}"
    return nb, None


def to_html(nb: nbformat.NotebookNode) -> str:
    """The notebook as one HTML page (JupyterLab look, images embedded as data URIs)."""
    from nbconvert import HTMLExporter

    body, _ = HTMLExporter(template_name="lab").from_notebook_node(nb)
    return body


def render_course(folders=DEFAULT_FOLDERS, out: str | os.PathLike = "build/course", *, cell_timeout: int = 600,
                  log=print) -> list[Rendered]:
    """Execute every notebook in `folders` (in course order) on copies, write one HTML page each and an index.

    Returns the results; raises RenderError after writing everything when any notebook failed."""
    folders = [Path(f) for f in folders]
    for folder in folders:
        if not folder.is_dir():
            raise FileNotFoundError(f"{folder}: no such folder of notebooks; run from the course's top folder or "
                                    "pass the folders to render, e.g. `python -m aecourse.course.render notebooks`")
    paths = course_order(p for folder in folders for p in folder.glob("*.ipynb"))
    if not paths:
        raise FileNotFoundError(f"no notebooks (*.ipynb) in {', '.join(map(str, folders))}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    results = []
    with tempfile.TemporaryDirectory(prefix="aecourse-render-") as tmp:
        for folder in folders:  # copies of the folders: notebooks may write files beside themselves
            shutil.copytree(folder, Path(tmp) / folder.name, ignore=shutil.ignore_patterns(".ipynb_checkpoints"),
                            dirs_exist_ok=True)
        for path in paths:
            workdir = Path(tmp) / path.parent.name
            log(f"running {path} ...")
            start = time.perf_counter()
            nb, error = execute(workdir / path.name, workdir, cell_timeout=cell_timeout)
            seconds = time.perf_counter() - start
            if error:
                error = error.replace(str(workdir / path.name), str(path))
            page = out / path.parent.name / f"{path.stem}.html"
            page.parent.mkdir(parents=True, exist_ok=True)
            page.write_text(to_html(nb), encoding="utf-8")
            results.append(Rendered(path, page, title_of(nb, path.stem), seconds, error))
            log(f"{path}: {seconds:.1f} s" + (f"  FAILED: {error}" if error else ""))
    index = out / "index.html"
    index.write_text(index_html(results, out), encoding="utf-8")
    log(f"wrote {index}")
    if any(r.error for r in results):
        raise RenderError(results)
    return results


def index_html(results: list[Rendered], out: Path) -> str:
    """The index page: one row per notebook in course order, with its kind, link and run time."""
    rows = []
    for r in results:
        kind = FOLDER_TITLES.get(r.source.parent.name, r.source.parent.name)
        status = f'<td class="failed">FAILED: {html.escape(r.error)}</td>' if r.error else "<td>ok</td>"
        link = r.page.relative_to(out).as_posix()
        rows.append(f'<tr><td>{html.escape(kind)}</td><td><a href="{html.escape(link)}">{html.escape(r.title)}</a>'
                    f'</td><td><code>{html.escape(r.source.as_posix())}</code></td>'
                    f'<td class="time">{r.seconds:.1f} s</td>{status}</tr>')
    total = sum(r.seconds for r in results)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>aecourse: autoencoders</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; }}
table {{ border-collapse: collapse; width: 100%; }} td, th {{ border-bottom: 1px solid #ddd; padding: .4rem; }}
th {{ text-align: left; }} .time {{ text-align: right; }} .failed {{ color: #b00; }}
</style></head><body>
<h1>aecourse: a course on autoencoders</h1>
<p>Every notebook below was executed top to bottom on the CPU when this page was built
({time.strftime('%Y-%m-%d %H:%M')}, {total:.0f} s in all).</p>
<table><thead><tr><th>part</th><th>notebook</th><th>source</th><th>run time</th><th>status</th></tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody></table></body></html>
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m aecourse.course.render", description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="*", default=list(DEFAULT_FOLDERS), help="folders of notebooks "
                        "(default: notebooks solutions)")
    parser.add_argument("--out", default="build/course", help="output folder (default: build/course)")
    parser.add_argument("--timeout", type=int, default=600, help="seconds allowed per cell (default 600)")
    args = parser.parse_args(argv)
    try:
        render_course(args.folders, args.out, cell_timeout=args.timeout)
    except RenderError as err:
        print(f"aecourse.course.render: {err}", file=sys.stderr)
        return 1
    except FileNotFoundError as err:
        print(f"aecourse.course.render: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
