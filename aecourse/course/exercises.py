"""Generate the learners' exercises/ from solutions/, the single source of the exercises.

In a solutions notebook every answer sits inside a function body between nbgrader's markers:

    def reconstruction_mse(x, x_hat):
        ### BEGIN SOLUTION
        return ((x - x_hat) ** 2).mean()
        ### END SOLUTION

and becomes, with the indentation of the BEGIN line,

        # YOUR CODE HERE
        raise NotImplementedError()

Every other cell is copied as `notebooks.clean` stores it: no outputs on the check cells (a check that does not
pass raises, so nbval needs nothing to compare), and nbgrader's cell metadata on answer and check cells, so the
handout is also an nbgrader release. A generated notebook records a fingerprint of its cells, so a rebuild
refuses to overwrite one a learner has worked in.
"""
from __future__ import annotations

import copy
import hashlib
import json
import shutil
import time
from pathlib import Path

import nbformat

from . import notebooks

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
STUB = ("# YOUR CODE HERE", "raise NotImplementedError()")


def strip_solutions(source: str, where: str = "cell") -> str:
    """Replace each BEGIN/END SOLUTION region of `source` by the stub, keeping the BEGIN line's indentation."""
    out, indent = [], None
    for number, line in enumerate(source.splitlines(), 1):
        stripped = line.strip()
        if stripped == BEGIN:
            if indent is not None:
                raise ValueError(f"{where}, line {number}: '{BEGIN}' inside another solution region; "
                                 f"close the first with '{END}'")
            indent = line[:len(line) - len(line.lstrip())]
            out.extend(indent + stub for stub in STUB)
        elif stripped == END:
            if indent is None:
                raise ValueError(f"{where}, line {number}: '{END}' without a matching '{BEGIN}'")
            indent = None
        elif indent is None:
            out.append(line)
    if indent is not None:
        raise ValueError(f"{where}: '{BEGIN}' is never closed; add '{END}' after the answer")
    return "\n".join(out)


def fingerprint(nb: nbformat.NotebookNode) -> str:
    """SHA-256 of the cells' sources and outputs: changes when a learner edits or runs the notebook."""
    cells = [{"source": c.source, "outputs": c.get("outputs", [])} for c in nb.cells]
    return hashlib.sha256(json.dumps(cells, sort_keys=True).encode()).hexdigest()


def make_exercise(solution: nbformat.NotebookNode, source_name: str) -> nbformat.NotebookNode:
    """The learner's version of a solutions notebook."""
    nb = notebooks.clean(copy.deepcopy(solution))
    regions = 0
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and BEGIN in cell.source:
            regions += cell.source.count(BEGIN)
            cell.source = strip_solutions(cell.source, f"{source_name}, cell {index}")
    if regions == 0:
        raise ValueError(f"{source_name}: no '{BEGIN}' region found; mark each answer in the solutions notebook")
    nb.metadata[notebooks.GENERATED_KEY] = {"generated_from": source_name, "fingerprint": fingerprint(nb)}
    return nb


def learner_modified(path: Path) -> bool:
    """True when the exercise notebook at `path` no longer matches the fingerprint it was generated with."""
    nb = notebooks.read(path)
    recorded = nb.metadata.get(notebooks.GENERATED_KEY, {}).get("fingerprint")
    return recorded is None or recorded != fingerprint(nb)


def build(solutions_dir: str | Path = "solutions", exercises_dir: str | Path = "exercises", *,
          force: bool = False) -> list[Path]:
    """Regenerate every exercises/NAME.ipynb from solutions/NAME.ipynb; return the paths written.

    An exercise notebook a learner has changed is never overwritten silently: the build stops with an error,
    or with `force=True` moves it to exercises/.backup/ first.
    """
    solutions_dir, exercises_dir = Path(solutions_dir), Path(exercises_dir)
    sources = sorted(solutions_dir.glob("*.ipynb"))
    if not sources:
        raise FileNotFoundError(f"{solutions_dir}: no solutions notebooks (*.ipynb) found; run this from the "
                                "course's top folder")
    built = {src.name: make_exercise(notebooks.read(src), f"{solutions_dir.name}/{src.name}") for src in sources}
    changed = [exercises_dir / name for name in built
               if (exercises_dir / name).exists() and learner_modified(exercises_dir / name)
               and nbformat.writes(notebooks.read(exercises_dir / name)) != nbformat.writes(built[name])]
    if changed and not force:
        names = ", ".join(str(p) for p in changed)
        raise RuntimeError(f"{names}: changed since it was generated (your work?); not overwriting. Save your "
                           "work under another name, or rebuild with --force, which moves it to exercises/.backup/")
    for path in changed:
        backup = exercises_dir / ".backup" / f"{path.stem}-{time.strftime('%Y%m%d-%H%M%S')}.ipynb"
        backup.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(path, backup)
    written = []
    for name, nb in built.items():
        notebooks.write_atomic(nb, exercises_dir / name)
        written.append(exercises_dir / name)
    return written
