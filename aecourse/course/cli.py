"""The `aecourse` command (also `python -m aecourse`).

    aecourse exercises build [--force]     regenerate exercises/ from solutions/
    aecourse check NOTEBOOK                run your exercise notebook on a copy and see which exercises pass
    aecourse grade SUBMISSIONS --assignment NAME   (instructors) gradebook CSV and feedback per student
    aecourse notebooks refresh NOTEBOOK..  (maintainers) execute and store only the check cells' outputs
    aecourse notebooks clean NOTEBOOK..    (maintainers) strip outputs and metadata nbval does not compare
    aecourse notebooks lint [NOTEBOOK..]   report notebooks that break the storage conventions
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .startup import skip_iri_format_checks

skip_iri_format_checks()     # before nbformat's first import: 1.2 s less for every command (startup.py)
from . import exercises, limits, notebooks  # noqa: E402


def _course_notebooks() -> list[Path]:
    return sorted(p for folder in ("notebooks", "solutions", "exercises") for p in Path(folder).glob("*.ipynb"))


def cmd_exercises_build(args) -> int:
    for path in exercises.build(args.solutions, args.exercises, force=args.force):
        print(f"wrote {path}")
    return 0


def cmd_check(args) -> int:
    from .check_notebook import check_notebook

    reports = check_notebook(args.notebook, cell_timeout=args.timeout)
    for report in reports.values():
        print(report.text())
    passed = sum(r.all_passed for r in reports.values())
    print(f"\n{passed}/{len(reports)} exercises pass in {args.notebook}")
    return 0 if passed == len(reports) else 1


def cmd_grade(args) -> int:
    from .grading import run_cli

    return run_cli(args)


def cmd_notebooks(args) -> int:
    paths = [Path(p) for p in args.notebooks] or _course_notebooks()
    status = 0
    for path in paths:
        if args.action == "refresh":
            notebooks.refresh(path)
            print(f"refreshed {path}")
        elif args.action == "clean":
            notebooks.write_atomic(notebooks.clean(notebooks.read(path)), path)
            print(f"cleaned {path}")
        else:
            for problem in notebooks.problems(notebooks.read(path)):
                print(f"{path}: {problem}")
                status = 1
    return status


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="aecourse", description="The autoencoder course's tools.")
    sub = parser.add_subparsers(dest="command", required=True)

    ex = sub.add_parser("exercises", help="generate learner notebooks from solutions/")
    ex_sub = ex.add_subparsers(dest="action", required=True)
    build = ex_sub.add_parser("build", help="regenerate exercises/ from solutions/")
    build.add_argument("--solutions", default="solutions")
    build.add_argument("--exercises", default="exercises")
    build.add_argument("--force", action="store_true", help="move changed exercise notebooks to exercises/.backup/")
    build.set_defaults(run=cmd_exercises_build)

    check = sub.add_parser("check", help="run your exercise notebook on a copy and report which exercises pass")
    check.add_argument("notebook")
    check.add_argument("--timeout", type=int, default=limits.CHECK_CELL_SECONDS,
                       help=f"seconds allowed per cell (default {limits.CHECK_CELL_SECONDS})")
    check.set_defaults(run=cmd_check)

    grade = sub.add_parser("grade", help="(instructors) grade a class's notebooks: gradebook CSV and feedback")
    grade.add_argument("submissions", help="folder with STUDENT.ipynb files, or STUDENT/NAME/NAME.ipynb (nbgrader)")
    grade.add_argument("--assignment", required=True, help="the notebook's name without .ipynb, e.g. 00_warmup")
    grade.add_argument("--out", help="where to write gradebook.csv and feedback/ (default grades/ASSIGNMENT)")
    grade.add_argument("--jobs", type=int, default=1, help="notebooks graded at the same time (default 1)")
    grade.add_argument("--cell-timeout", type=float, default=limits.GRADE_CELL_SECONDS,
                       help=f"seconds allowed per cell and per exercise's checks (default {limits.GRADE_CELL_SECONDS})")
    grade.add_argument("--total-timeout", type=float, default=limits.GRADE_TOTAL_SECONDS,
                       help="seconds per notebook's run, wall clock from its sandbox's start "
                            f"(default {limits.GRADE_TOTAL_SECONDS})")
    grade.add_argument("--solutions", default="solutions", help="folder of the solutions notebooks")
    grade.add_argument("--no-sandbox", action="store_true", help="run the notebooks without bubblewrap (only for "
                       "notebooks you trust; the points are still decided outside them)")
    grade.set_defaults(run=cmd_grade)

    nbs = sub.add_parser("notebooks", help="maintainer tools for the course's notebooks")
    nbs.add_argument("action", choices=["refresh", "clean", "lint"])
    nbs.add_argument("notebooks", nargs="*", help="default: every notebook of the course")
    nbs.set_defaults(run=cmd_notebooks)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except (FileNotFoundError, ValueError, RuntimeError, KeyError) as err:
        print(f"aecourse {args.command}: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
