"""What grading writes: the gradebook, one feedback file per student, the summary; each file atomically.

Every text a notebook or a hand-in's name supplies (problems, flags, messages) is written through
`collect.printable`: control characters, lone surrogates and line breaks are escaped, so no string can rewrite a
terminal, forge a gradebook line or fail the write.

Every file is written to a temporary name in its folder and renamed over the old one, so a reader sees the old
file or the new one, never half of one. The output folder is checked before the first notebook runs, and no
sandbox can see it.
"""
from __future__ import annotations

import csv
import io
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ..checks import Exercise, Report
from ..verdicts import AMBIGUOUS, ERRORED, FLAGGED, INVALID, MISSING, OK, TIMEOUT
from .collect import printable, safe_name

SAID = {OK: "your notebook ran from top to bottom", ERRORED: "a cell of your notebook raised an error",
        TIMEOUT: "a cell of your notebook ran out of time",
        FLAGGED: "your notebook did something the instructor will look at",
        INVALID: "your file could not be read as a notebook", AMBIGUOUS: "it is unclear which notebook to grade",
        MISSING: "no notebook was handed in"}


@dataclass
class Grade:
    student: str
    status: str
    reports: dict[str, Report]
    problems: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    feedback_name: str = ""

    @property
    def total(self) -> float:
        return round(sum(r.score for r in self.reports.values()), 2)


def write_atomic(path: Path, text: str) -> None:
    """Write `text` to `path` through a temporary file in the same folder and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", errors="backslashreplace", newline="") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def check_output_folder(out: Path) -> None:
    """Fail before grading, with what to do, when the results could not be written."""
    for path, kind in ((out, "folder"), (out / "feedback", "folder"), (out / "gradebook.csv", "file"),
                       (out / "summary.txt", "file")):
        if path.exists() and (path.is_dir() != (kind == "folder") or path.is_symlink()):
            raise ValueError(f"{path} exists and is not a {kind}: remove it or choose another --out")
    out.mkdir(parents=True, exist_ok=True)
    if not os.access(out, os.W_OK):
        raise ValueError(f"{out} is not writable: choose another --out")


def feedback(grade: Grade, exercises: list[Exercise], assignment: str) -> str:
    """The Markdown feedback file for one student: each check's verdict and hint."""
    maximum = sum(e.points for e in exercises)
    lines = [f"# {assignment}: feedback for {grade.student}", "",
             f"**{grade.total:g} / {maximum:g} points**. Status: {grade.status} ({SAID[grade.status]}).", ""]
    if grade.problems:
        lines += ["## While running your notebook", ""] + [f"- {printable(p)}" for p in grade.problems] + [""]
    if grade.flags:
        lines += ["## Flagged for the instructor", ""] + [f"- {printable(p)}" for p in grade.flags] + [""]
    for exercise in exercises:
        report = grade.reports[exercise.exercise_id]
        lines += [f"## {exercise.exercise_id} (`{exercise.function}`): {report.score:g} / {exercise.points:g} "
                  f"points, {report.passed}/{report.total} checks passed", ""]
        if not report.attempted:
            lines += ["Not attempted: replace `raise NotImplementedError()` with your code.", ""]
            continue
        for case in report.cases:
            mark = {"passed": "ok", "failed": "FAIL", "error": "ERROR"}[case.status]
            hint = printable(case.message if len(case.message) <= 400 else case.message[:397] + "...")
            lines.append(f"- [{mark}] {printable(case.name)}" + (f": {hint}" if hint else ""))
        lines.append("")
    return "\n".join(lines)


def _cell(text: str) -> str:
    """A gradebook cell a spreadsheet shows as text: one starting with = + - @ would be read as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _rows(grades: list[Grade], exercises: list[Exercise]) -> list[list[str]]:
    return [[_cell(g.student)] + [f"{g.reports[e.exercise_id].score:g}" for e in exercises] + [f"{g.total:g}", g.status]
            for g in grades]


def gradebook(grades: list[Grade], exercises: list[Exercise]) -> str:
    """CSV: student, one column of points per exercise, total, status, flags."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["student"] + [e.exercise_id for e in exercises] + ["total", "status", "flags"])
    for g, row in zip(grades, _rows(grades, exercises)):
        writer.writerow(row + [_cell(printable("; ".join(g.flags)))])
    return buffer.getvalue()


def summary_table(grades: list[Grade], exercises: list[Exercise], *, sandboxed: bool = True) -> str:
    header = ["student"] + [e.exercise_id for e in exercises] + ["total", "status"]
    rows = _rows(grades, exercises)
    rows.append(["(max)"] + [f"{e.points:g}" for e in exercises] + [f"{sum(e.points for e in exercises):g}", ""])
    widths = [max(len(r[i]) for r in [header] + rows) for i in range(len(header))]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    lines = [fmt.format(*header), fmt.format(*("-" * w for w in widths))] + [fmt.format(*r) for r in rows]
    counts = {s: sum(g.status == s for g in grades) for s in SAID}
    mean = sum(g.total for g in grades) / len(grades) if grades else 0.0
    lines.append(f"{len(grades)} submissions, mean {mean:.2f} points; "
                 + ", ".join(f"{n} {s}" for s, n in counts.items() if n))
    renamed = [f"{g.student!r} -> feedback/{g.feedback_name}" for g in grades
               if g.feedback_name != f"{safe_name(g.student)}.md"]
    if renamed:
        lines.append("names that would share a feedback file got distinct ones: " + ", ".join(renamed))
    lines.append("sandbox: bubblewrap, one per notebook" if sandboxed else
                 "sandbox: NONE (--no-sandbox): protects nothing. The notebooks ran with your permissions and could "
                 "have read or changed any of your files, this gradebook included, even after the run; the points "
                 "were decided outside them, but only trust them for notebooks you trust")
    return "\n".join(lines)


def write_all(out: Path, grades: list[Grade], exercises: list[Exercise], assignment: str, *, sandboxed: bool,
              new: Grade | None = None, waiting: int = 0, notes: tuple[str, ...] | list[str] = ()) -> None:
    """The feedback of `new` (of every grade when None), then the gradebook and summary of `grades` so far."""
    for g in grades if new is None else [new]:
        write_atomic(out / "feedback" / g.feedback_name, feedback(g, exercises, assignment))
    write_atomic(out / "gradebook.csv", gradebook(grades, exercises))
    table = summary_table(grades, exercises, sandboxed=sandboxed)
    lines = [table] + [f"note: {n}" for n in notes] + ([f"still grading: {waiting} more notebooks"] if waiting else [])
    write_atomic(out / "summary.txt", "\n".join(lines) + "\n")
