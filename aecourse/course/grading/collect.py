"""Finding a class's hand-ins and reading every one into memory before any notebook runs.

SUBMISSIONS/<student>.ipynb, or one folder per student as nbgrader lays them out (<student>/<assignment>/
<assignment>.ipynb, or <student>/<assignment>.ipynb, or a folder holding exactly one notebook). Hidden entries and
`__MACOSX` are ignored, links are refused, a student with both `dup.ipynb` and `dup/` or with a folder of several
notebooks is "ambiguous" (never graded on a guess), and two students whose names make the same file name get
distinct feedback files. Every file is opened without following links, from the submissions folder down: a link
anywhere below it (a student's folder pointing at solutions/ or at a classmate's) and a hard link are refused.
"""
from __future__ import annotations

import hashlib
import os
import re
import stat
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from ..limits import HANDIN_BYTES

MAX_NAME = 100             # bytes of a feedback file's name, before ".md" (a file name may have 255)
# Letters that look like Latin ones (Unicode's confusables, the common ones), after NFKC and casefold.
LOOKALIKES = dict(zip("аеорсухіјѕԁһӏԛԝүвкмнтαοριυνκτ", "aeopcyxijsdhlqwybkmhtaopiuvkt"))
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
    flags: list[str] = field(default_factory=list)    # for the instructor: a name that may imitate another


def _visible(path: Path) -> bool:
    return not path.name.startswith(".") and path.name not in IGNORED


def _notebooks(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*.ipynb") if _visible(p)) if _is_folder(folder) else []


def _is_folder(path: Path) -> bool:
    return path.is_dir() and not path.is_symlink()


def _read(student: str, root: Path, path: Path) -> Submission:
    """The hand-in at `path`, opened from `root` one component at a time without following any link (a link
    anywhere on the way, or a file with another name elsewhere, could make the grader read someone else's)."""
    problem, data = "", None
    parts = path.relative_to(root).parts
    folder = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for i, part in enumerate(parts[:-1]):
            try:
                inner = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=folder)
            except OSError:
                problem = f"{'/'.join(parts[:i + 1])} is a link or not a folder"
                break
            os.close(folder)
            folder = inner
        if not problem:
            data, problem = _read_file(parts[-1], folder)
    finally:
        os.close(folder)
    if problem:
        return Submission(student, filename=path.name, status="invalid", problem=f"{problem}; hand in the notebook "
                          "file itself (not a link to one)")
    return Submission(student, data=data, filename=path.name)


def _read_file(name: str, folder: int) -> tuple[bytes | None, str]:
    try:
        fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=folder)
    except OSError as err:
        return None, f"{name} is a link or cannot be read ({err.strerror})"
    with os.fdopen(fd, "rb") as f:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return None, f"{name} is not a regular file"
        if st.st_nlink != 1:
            return None, f"{name} is a hard link ({st.st_nlink} names for one file)"
        data = f.read(HANDIN_BYTES + 1)
    if len(data) > HANDIN_BYTES:
        return None, (f"{name} is over the {HANDIN_BYTES} bytes allowed: clear the outputs (Edit > Clear All Outputs) "
                      "and save")
    return data, ""


def _in_folder(student: str, root: Path, folder: Path, assignment: str) -> Submission:
    for candidate in (folder / assignment / f"{assignment}.ipynb", folder / f"{assignment}.ipynb"):
        if os.path.lexists(candidate) or (folder / assignment).is_symlink():
            return _read(student, root, candidate)
    for place in (folder / assignment, folder):
        found = _notebooks(place)
        if len(found) == 1:
            return _read(student, root, found[0])
        if len(found) > 1:
            names = ", ".join(p.name for p in found)
            return Submission(student, status="ambiguous", problem=f"{place} holds several notebooks ({names}) and "
                              f"none is named {assignment}.ipynb: rename the one to grade")
    return Submission(student, status="missing", problem=f"no notebook for this assignment was found in {folder}")


def safe_name(student: str) -> str:
    """A file name for the student's feedback: word characters, dots and dashes, at most 100 characters (a long
    name keeps its start and a digest of the whole, so two long names stay apart)."""
    name = re.sub(r"[^\w.-]+", "_", student).strip("._") or "student"
    if len(name.encode()) > MAX_NAME:
        digest = hashlib.sha256(name.encode()).hexdigest()[:8]
        name = name.encode()[:MAX_NAME - 9].decode("utf-8", "ignore") + "-" + digest
    return name


def printable(text: str) -> str:
    """`text` (a student's name, a message from a notebook) with control and format characters, line breaks and
    lone surrogates escaped (`\\x1b`, `\\n`, `\\u202e`): it must not move the cursor, clear the screen, reorder the
    text or start a line of its own where it is shown, nor fail to be written as UTF-8."""
    return "".join(ch.encode("unicode_escape").decode("ascii") if unicodedata.category(ch)[0] in "CZ" and ch != " "
                   else ch for ch in text)


def _skeleton(name: str) -> str:
    return "".join(LOOKALIKES.get(ch, ch) for ch in unicodedata.normalize("NFKC", name).casefold())


def lookalike_flags(names: list[str]) -> dict[str, str]:
    """{name: why it may imitate another}: letters from several alphabets, or the same skeleton (look-alike
    letters replaced by the Latin ones they resemble) as another student's name."""
    flags = {}
    skeletons: dict[str, list[str]] = {}
    for name in names:
        skeletons.setdefault(_skeleton(name), []).append(name)
    for name in names:
        scripts = sorted({unicodedata.name(ch, "?").split()[0] for ch in name if ch.isalpha()})
        twins = [n for n in skeletons[_skeleton(name)] if n != name]
        if twins and not name.isascii():
            flags[name] = f"the name looks like {twins[0]!r}, another student's (look-alike letters)"
        elif len(scripts) > 1:
            flags[name] = f"the name mixes letters of several alphabets ({', '.join(scripts)}): it may imitate " \
                          "another name"
    return flags


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
        elif _is_folder(paths[0]):
            found.append(_in_folder(student, folder, paths[0], assignment))
        else:
            found.append(_read(student, folder, paths[0]))
    lookalikes = lookalike_flags([s.student for s in found])
    for s in found:
        s.flags += [lookalikes[s.student]] if s.student in lookalikes else []
        s.student = printable(s.student)
    used: set[str] = set()
    # names that are their own file name first: `_alice` (file name alice) must not take alice's feedback file
    for s in sorted(found, key=lambda s: safe_name(s.student) != s.student):
        base = name = safe_name(s.student)
        n = 1
        while name.lower() in used:
            n += 1
            name = f"{base}-{n}"
        used.add(name.lower())
        s.feedback_name = f"{name}.md"
    return found
