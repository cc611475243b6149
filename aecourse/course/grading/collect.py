"""Finding a class's hand-ins and reading every one into memory before any notebook runs.

SUBMISSIONS/<student>.ipynb, or one folder per student as nbgrader lays them out (<student>/<assignment>/
<assignment>.ipynb, or <student>/<assignment>.ipynb, or a folder holding exactly one notebook). Hidden entries and
`__MACOSX` are ignored, links are refused, a student with both `dup.ipynb` and `dup/` or with a folder of several
notebooks is "ambiguous" (never graded on a guess), and two students whose names make the same file name get
distinct feedback files.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

MAX_BYTES = 50 * 2 ** 20
IGNORED = ("__MACOSX", ".ipynb_checkpoints")


@dataclass
class Submission:
    """One student's hand-in, read: `data` is None when there is nothing to grade, and `problem` says why."""
    student: str
    data: bytes | None = None
    filename: str = ""
    problem: str = ""
    status: str = ""          # "" (gradable), "missing", "ambiguous" or "invalid"
    feedback_name: str = ""   # unique among the class


def _visible(path: Path) -> bool:
    return not path.name.startswith(".") and path.name not in IGNORED


def _notebooks(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*.ipynb") if _visible(p) and not p.is_symlink()) if folder.is_dir() else []


def _read(student: str, path: Path) -> Submission:
    if path.is_symlink() or not path.is_file():
        return Submission(student, filename=path.name, status="invalid", problem=f"{path.name} is a link or not a "
                          "regular file; hand in the notebook file itself")
    size = path.stat().st_size
    if size > MAX_BYTES:
        return Submission(student, filename=path.name, status="invalid", problem=f"{path.name} is {size} bytes, "
                          f"over the {MAX_BYTES} allowed; clear the outputs (Edit > Clear All Outputs) and save")
    return Submission(student, data=path.read_bytes(), filename=path.name)


def _in_folder(student: str, folder: Path, assignment: str) -> Submission:
    for candidate in (folder / assignment / f"{assignment}.ipynb", folder / f"{assignment}.ipynb"):
        if candidate.exists():
            return _read(student, candidate)
    for place in (folder / assignment, folder):
        found = _notebooks(place)
        if len(found) == 1:
            return _read(student, found[0])
        if len(found) > 1:
            names = ", ".join(p.name for p in found)
            return Submission(student, status="ambiguous", problem=f"{place} holds several notebooks ({names}) and "
                              f"none is named {assignment}.ipynb: rename the one to grade")
    return Submission(student, status="missing", problem=f"no notebook for this assignment was found in {folder}")


def safe_name(student: str) -> str:
    return re.sub(r"[^\w.-]+", "_", student).strip("._") or "student"


def find_submissions(folder: str | Path, assignment: str) -> list[Submission]:
    """Every student's hand-in, read into memory, sorted by name."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: no such folder; give the folder holding the students' notebooks")
    entries: dict[str, list[Path]] = {}
    for entry in sorted(folder.iterdir()):
        if _visible(entry) and (entry.is_dir() or entry.suffix == ".ipynb"):
            entries.setdefault(entry.stem if entry.suffix == ".ipynb" and not entry.is_dir() else entry.name,
                               []).append(entry)
    found = []
    for student, paths in sorted(entries.items()):
        if len(paths) > 1:
            found.append(Submission(student, status="ambiguous", problem="both " + " and ".join(
                p.name + ("/" if p.is_dir() else "") for p in paths) + " were handed in: keep one"))
        elif paths[0].is_dir() and not paths[0].is_symlink():
            found.append(_in_folder(student, paths[0], assignment))
        else:
            found.append(_read(student, paths[0]))
    used: set[str] = set()
    for s in found:
        base = name = safe_name(s.student)
        n = 1
        while name.lower() in used:
            n += 1
            name = f"{base}-{n}"
        used.add(name.lower())
        s.feedback_name = f"{name}.md"
    return found
