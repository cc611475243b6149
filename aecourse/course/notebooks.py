"""Notebook hygiene and execution: what is stored in git, and how notebooks are run outside JupyterLab.

Stored in git: kernelspec python3, no stray metadata, and outputs plus execution counts only on the cells nbval
compares, the lessons' claim-check cells whose first line is `# NBVAL_CHECK_OUTPUT`.

Exercise notebooks (solutions/ and the exercises/ generated from them) also carry nbgrader's cell metadata,
derived from the cells themselves so it is never edited by hand: a cell with an answer region (`### BEGIN
SOLUTION`, or the stub that replaces it) is an nbgrader answer cell, and a cell that only calls
`check("NN.name", function)` is a graded, locked test cell worth the checker's points. Their check cells store no
outputs: nbval runs them, and a check that does not pass raises, so a saved "all passed" cannot fool it.
"""
from __future__ import annotations

import copy
import os
import re
import tempfile
from pathlib import Path

import nbformat

from .limits import REFRESH_CELL_SECONDS

CHECK_MARKER = "# NBVAL_CHECK_OUTPUT"
# What JupyterLab writes into a notebook's metadata when ipykernel's kernel starts: stored the same, a notebook opens
# unmodified (no dot on its tab). The Python version is left out; `make lab`'s kernel (jupyter/data) leaves it out too.
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
LANGUAGE_INFO = {"name": "python", "mimetype": "text/x-python", "codemirror_mode": {"name": "ipython", "version": 3},
                 "pygments_lexer": "ipython3", "nbconvert_exporter": "python", "file_extension": ".py"}
GENERATED_KEY = "aecourse"  # exercises/ notebooks record their source and fingerprint here
NOTEBOOK_METADATA = {"kernelspec": KERNELSPEC, "language_info": LANGUAGE_INFO}
CHECK_CALL = re.compile(r"""check\(\s*["']([\w.]+)["']""")
PURE_CHECK_LINE = re.compile(r"""^\s*(#.*)?$|^\s*check\(\s*["'][\w.]+["']\s*,\s*\w+\s*\)\s*;?\s*$""")
ANSWER_MARKERS = ("### BEGIN SOLUTION", "raise NotImplementedError()")  # in solutions/; the stub in exercises/
NBGRADER_SCHEMA = 3


def read(path: str | os.PathLike) -> nbformat.NotebookNode:
    """Read a notebook, with an error that names the file when it is not a valid notebook."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such notebook; check the path (notebooks end in .ipynb)")
    try:
        return nbformat.read(path, as_version=4)
    except Exception as err:
        raise ValueError(f"{path}: not a readable notebook ({type(err).__name__}: {err}); "
                         "restore it from git or from JupyterLab's File > Revert") from err


def write_atomic(nb: nbformat.NotebookNode, path: str | os.PathLike) -> None:
    """Write a notebook through a temporary file and a rename, so a crash never leaves half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".ipynb.part")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        nbformat.write(nb, f)
    os.replace(tmp, path)


def is_check_cell(cell) -> bool:
    """A lesson's claim-check cell, whose stored output nbval compares."""
    return cell.cell_type == "code" and cell.source.lstrip().startswith(CHECK_MARKER)


def is_answer_cell(cell) -> bool:
    """A cell where the learner writes an answer: a solution region, or the stub generated from one."""
    return cell.cell_type == "code" and any(marker in cell.source for marker in ANSWER_MARKERS)


def is_exercise_check_cell(cell) -> bool:
    """A cell that only calls `check("NN.name", function)` (comments allowed)."""
    return (cell.cell_type == "code" and CHECK_CALL.search(cell.source) is not None
            and all(PURE_CHECK_LINE.match(line) for line in cell.source.splitlines()))


def nbgrader_metadata(nb: nbformat.NotebookNode) -> list[dict | None]:
    """nbgrader's cell metadata for each cell of an exercise notebook (None for cells nbgrader ignores, and for
    every cell of a notebook without answer cells, such as a lesson)."""
    from .checks import get_exercise

    if not any(is_answer_cell(c) for c in nb.cells):
        return [None] * len(nb.cells)
    found = []
    for index, cell in enumerate(nb.cells):
        if is_answer_cell(cell):
            name = re.search(r"^def (\w+)", cell.source, re.MULTILINE)
            found.append({"grade": False, "grade_id": f"answer_{name.group(1) if name else index}",
                          "locked": False, "schema_version": NBGRADER_SCHEMA, "solution": True})
        elif is_exercise_check_cell(cell):
            exercise = get_exercise(CHECK_CALL.search(cell.source).group(1))
            found.append({"grade": True, "grade_id": "check_" + exercise.exercise_id.replace(".", "_"),
                          "locked": True, "points": exercise.points, "schema_version": NBGRADER_SCHEMA,
                          "solution": False})
        else:
            found.append(None)
    return found


def _cell_metadata(meta: dict | None) -> dict:
    return {"nbgrader": meta} if meta else {}


def clean(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy of `nb` as it is stored in git: outputs and counts only on check cells, no stray metadata."""
    nb = copy.deepcopy(nb)
    generated = nb.metadata.get(GENERATED_KEY)
    nb.metadata = copy.deepcopy(NOTEBOOK_METADATA)
    if generated:
        nb.metadata[GENERATED_KEY] = generated
    nb.nbformat, nb.nbformat_minor = 4, 5
    for index, (cell, meta) in enumerate(zip(nb.cells, nbgrader_metadata(nb))):
        cell.metadata = _cell_metadata(meta)
        cell.setdefault("id", f"cell-{index}")
        if cell.cell_type != "code":
            continue
        if is_check_cell(cell) and cell.outputs and cell.execution_count is not None:
            for output in cell.outputs:
                if output.output_type != "stream":
                    output.metadata = {}
                if output.output_type == "execute_result":
                    output.execution_count = cell.execution_count
        else:
            cell.outputs, cell.execution_count = [], None
    return nb


def problems(nb: nbformat.NotebookNode) -> list[str]:
    """What in `nb` breaks the storage conventions (an empty list when it is clean)."""
    found = []
    if nb.metadata.get("kernelspec", {}).get("name") != "python3":
        found.append("kernelspec is not python3 (JupyterLab would ask to select a kernel)")
    extra = sorted(set(nb.metadata) - set(NOTEBOOK_METADATA) - {GENERATED_KEY})
    if extra:
        found.append(f"stray notebook metadata {extra}")
    elif any(nb.metadata.get(key) != value for key, value in NOTEBOOK_METADATA.items()):
        found.append("kernelspec or language_info differ from what the kernel reports (JupyterLab would open the "
                     "notebook as modified)")
    for i, (cell, meta) in enumerate(zip(nb.cells, nbgrader_metadata(nb))):
        if cell.get("metadata", {}) != _cell_metadata(meta):
            if set(cell.get("metadata", {})) - {"nbgrader"}:
                found.append(f"cell {i}: stray cell metadata {sorted(set(cell.metadata) - {'nbgrader'})}")
            else:
                found.append(f"cell {i}: nbgrader metadata {cell.metadata.get('nbgrader')}, expected {meta} "
                             "(derived from the cell: an answer region, or a check call)")
        if cell.cell_type != "code":
            continue
        if is_check_cell(cell):
            if cell.outputs and cell.execution_count is None:
                found.append(f"cell {i}: check cell has outputs but no execution count (nbval: 'Unrun reference "
                             "cell has outputs')")
        elif cell.outputs or cell.execution_count is not None:
            found.append(f"cell {i}: outputs or execution count stored on a cell nbval does not compare")
    return found


def execute(nb: nbformat.NotebookNode, cwd: str | os.PathLike, *, cell_timeout: int = REFRESH_CELL_SECONDS,
            allow_errors: bool = False, env: dict | None = None) -> nbformat.NotebookNode:
    """Run `nb` top to bottom in a fresh python3 kernel started in `cwd`; return the executed copy.

    The kernel talks over local (IPC) sockets in a private temporary folder, not TCP: nothing listens on a port,
    and ipykernel has no "running over TCP without encryption" warning to print. It is killed, not asked to shut
    down, once the last cell has run: it holds nothing worth a graceful exit, and that saves seconds."""
    from jupyter_client.manager import AsyncKernelManager
    from nbclient import NotebookClient

    nb = copy.deepcopy(nb)
    with tempfile.TemporaryDirectory(prefix="aecourse-kernel-") as sockets:
        km = AsyncKernelManager(kernel_name="python3", transport="ipc", ip=os.path.join(sockets, "kernel"))
        client = NotebookClient(nb, km=km, timeout=cell_timeout, allow_errors=allow_errors,
                                shutdown_kernel="immediate", resources={"metadata": {"path": str(cwd)}})
        client.execute(cleanup_kc=True,   # we made the kernel manager, so nbclient would leave the kernel running
                       env={**os.environ, "MPLBACKEND": "Agg", "TQDM_DISABLE": "1", **(env or {})})
    return nb


def refresh(path: str | os.PathLike, *, cell_timeout: int = REFRESH_CELL_SECONDS) -> nbformat.NotebookNode:
    """Maintainer tool for notebooks/ and solutions/: execute the notebook, keep only the check cells' outputs,
    and write it back. Refuses learner notebooks (exercises/), which `exercises build` generates."""
    path = Path(path)
    if path.resolve().parent.name == "exercises":
        raise ValueError(f"{path}: exercises/ is generated and holds learners' work; refresh the notebook in "
                         "solutions/ and run `python -m aecourse exercises build`")
    executed = execute(read(path), path.resolve().parent, cell_timeout=cell_timeout)
    cleaned = clean(executed)
    write_atomic(cleaned, path)
    return cleaned
