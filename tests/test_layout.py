"""The library's three rooms and their one rule, read from the source (ast), so a stray import fails here.

- The math (aecourse/*.py) imports neither aecourse.course nor aecourse.widgets, and no ipywidgets, nbclient,
  nbformat, nbconvert or IPython; matplotlib only in plots.py.
- aecourse.widgets imports the math, never aecourse.course.
- Each public function or class of the math that a lesson imports names, in its docstring, the lesson that
  teaches it, "(lesson 03)", and that lesson does import it (read from the notebooks).
"""
import ast
import importlib
import inspect
import json
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "aecourse"
UI_PACKAGES = ("ipywidgets", "nbclient", "nbformat", "nbconvert", "IPython", "jupyter_client")


def package_of(path: Path) -> str:
    return ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts[:-1])


def imported_modules(path: Path, package: str | None = None) -> set[str]:
    """Absolute names of every module `path` imports (relative imports resolved), anywhere in the file."""
    package = package or package_of(path)
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def room(path: Path) -> str:
    """"math", "widgets" or "course"; `python -m aecourse` (__main__.py) is the course's command line."""
    parts = path.relative_to(PACKAGE).parts
    if parts == ("__main__.py",):
        return "course"
    return parts[0] if len(parts) > 1 else "math"


MODULES = sorted(PACKAGE.rglob("*.py"))


def test_the_three_rooms_exist():
    assert {room(p) for p in MODULES} == {"math", "course", "widgets"}


@pytest.mark.parametrize("path", [p for p in MODULES if room(p) == "math"], ids=lambda p: p.name)
def test_math_imports_neither_the_course_nor_the_widgets(path):
    imports = imported_modules(path)
    upward = sorted(m for m in imports if m.startswith(("aecourse.course", "aecourse.widgets")))
    assert not upward, f"{path.name} imports {upward}: the math must not depend on the course or the widgets"
    ui = sorted(m for m in imports if m.split(".")[0] in UI_PACKAGES)
    assert not ui, f"{path.name} imports {ui}: notebook and widget packages belong in aecourse.course/widgets"
    if path.name != "plots.py":
        plotting = sorted(m for m in imports if m.split(".")[0] == "matplotlib")
        assert not plotting, f"{path.name} imports {plotting}: plotting belongs in aecourse/plots.py"


@pytest.mark.parametrize("path", [p for p in MODULES if room(p) == "widgets"], ids=lambda p: p.name)
def test_widgets_do_not_import_the_course(path):
    upward = sorted(m for m in imported_modules(path) if m.startswith("aecourse.course"))
    assert not upward, f"widgets/{path.name} imports {upward}: widgets may use the math only"


def test_the_rule_catches_a_violation(tmp_path):
    """The reader resolves relative imports, so `from .course import checks` in a math module is seen."""
    fake = tmp_path / "probe.py"
    fake.write_text("from .course.checks import check\nfrom ..validation import as_numpy\nimport matplotlib.pyplot\n")
    imports = imported_modules(fake, package="aecourse")
    assert "aecourse.validation" not in imports   # two dots from the top package leave it
    imports = imported_modules(fake, package="aecourse.widgets")
    assert "aecourse.validation" in imports
    imports = imported_modules(fake, package="aecourse")
    assert "aecourse.course.checks" in imports and "matplotlib.pyplot" in imports


# ------------------------------------------------------------------ each function a lesson uses names that lesson

NOTEBOOKS = sorted((PACKAGE.parent / "notebooks").glob("*.ipynb"))
LESSON_TAG = re.compile(r"\(lesson (\d\d[ab]?)\)")


def lesson_imports() -> dict[tuple[str, str], set[str]]:
    """{(module, name): lessons} for every name a lesson imports from the math (`from aecourse[.x] import name`),
    keyed by the module that defines it."""
    used: dict[tuple[str, str], set[str]] = {}
    for path in NOTEBOOKS:
        lesson = path.name.split("_")[0]
        for cell in json.loads(path.read_text())["cells"]:
            if cell["cell_type"] != "code":
                continue
            source = "\n".join(line for line in "".join(cell["source"]).splitlines() if not line.startswith(("%", "!")))
            for node in ast.walk(ast.parse(source)):
                if not (isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "aecourse"):
                    continue
                if node.module.startswith(("aecourse.course", "aecourse.widgets")):
                    continue
                module = importlib.import_module(node.module)
                for alias in node.names:
                    home = getattr(getattr(module, alias.name), "__module__", node.module)
                    used.setdefault((home, alias.name), set()).add(lesson)
    return used


USED = lesson_imports()


def test_the_lessons_use_the_library():
    assert len(USED) > 50 and {lesson for lessons in USED.values() for lesson in lessons} >= {"01", "04", "06b"}


@pytest.mark.parametrize("module, name", sorted(USED), ids=lambda v: v)
def test_each_function_a_lesson_uses_names_that_lesson(module, name):
    """d2l's rule: a library function says which lesson teaches it, "(lesson 03)", and the lesson does use it."""
    doc = inspect.getdoc(getattr(importlib.import_module(module), name)) or ""
    tags = set(LESSON_TAG.findall(doc))
    assert tags, f"{module}.{name}: its docstring should name the lesson that teaches it, e.g. " \
                 f"'(lesson {min(USED[module, name])})'"
    assert tags <= USED[module, name], f"{module}.{name} names lesson(s) {sorted(tags)}, but only " \
                                       f"{sorted(USED[module, name])} use it"
