"""The static HTML course (aecourse.course.render) on a tiny folder of notebooks, and the binder environment file."""
import re
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from aecourse.course import render

KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}


def write_notebook(path: Path, *cells) -> Path:
    nb = new_notebook(cells=list(cells), metadata={"kernelspec": KERNELSPEC})
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A two-lesson course with a solutions notebook, rendered once: (source folder, out folder, results, bytes
    of each source before rendering)."""
    base = tmp_path_factory.mktemp("course")
    write_notebook(base / "notebooks" / "01_plot.ipynb", new_markdown_cell("# Lesson one: a plot"),
                   new_code_cell("import os\nimport matplotlib.pyplot as plt\n"
                                 "print('device', os.environ['AECOURSE_DEVICE'])\n"
                                 "open('written-by-the-notebook.txt', 'w').close()\n"
                                 "plt.plot([0, 1], [1, 0])\nplt.show()"))
    write_notebook(base / "notebooks" / "00_start.ipynb", new_markdown_cell("# Start here"),
                   new_code_cell("print(6 * 7)"))
    write_notebook(base / "solutions" / "01_plot.ipynb", new_markdown_cell("## Exercises on plots"),
                   new_code_cell("print('solved')"))
    sources = {p: p.read_bytes() for p in base.rglob("*.ipynb")}
    out = base / "site"
    results = render.render_course([base / "notebooks", base / "solutions"], out, log=lambda _: None)
    return base, out, results, sources


def test_renders_in_course_order_with_titles_and_run_times(course):
    base, out, results, _ = course
    assert [r.source.relative_to(base).as_posix() for r in results] == [
        "notebooks/00_start.ipynb", "notebooks/01_plot.ipynb", "solutions/01_plot.ipynb"]
    assert [r.title for r in results] == ["Start here", "Lesson one: a plot", "Exercises on plots"]
    index = (out / "index.html").read_text()
    links = re.findall(r'href="([^"]+)"', index)
    assert links == ["notebooks/00_start.html", "notebooks/01_plot.html", "solutions/01_plot.html"]
    assert all((out / link).is_file() for link in links)
    assert len(re.findall(r'class="time">\d+\.\d s<', index)) == 3
    assert "FAILED" not in index


def test_pages_hold_outputs_and_embedded_plots_run_on_the_cpu(course):
    _, out, _, _ = course
    start = (out / "notebooks" / "00_start.html").read_text()
    assert "42" in start
    lesson = (out / "notebooks" / "01_plot.html").read_text()
    assert "device cpu" in lesson
    assert "data:image/png;base64," in lesson


def test_sources_are_untouched(course):
    base, _, _, sources = course
    assert {p: p.read_bytes() for p in base.rglob("*.ipynb")} == sources
    assert not list(base.rglob("written-by-the-notebook.txt"))


def test_failing_notebook_fails_loudly_naming_notebook_and_cell(tmp_path, capsys):
    write_notebook(tmp_path / "lessons" / "03_broken.ipynb", new_markdown_cell("# Broken"),
                   new_code_cell("x = 1"), new_code_cell("raise ValueError('boom at the third cell')"),
                   new_code_cell("print('never runs')"))
    out = tmp_path / "site"
    assert render.main([str(tmp_path / "lessons"), "--out", str(out)]) == 1
    assert "03_broken.ipynb: cell 2 (\"raise ValueError('boom at the third cell')\") raised ValueError: boom" \
        in capsys.readouterr().err
    assert "FAILED" in (out / "index.html").read_text()
    assert "boom at the third cell" in (out / "lessons" / "03_broken.html").read_text()


def test_missing_folder_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such folder of notebooks"):
        render.render_course([tmp_path / "nowhere"], tmp_path / "out")
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match=r"no notebooks \(\*\.ipynb\)"):
        render.render_course([tmp_path / "empty"], tmp_path / "out")


def test_course_order_puts_lessons_before_their_solutions():
    paths = [Path("solutions/01_a.ipynb"), Path("notebooks/02_b.ipynb"), Path("notebooks/01_a.ipynb"),
             Path("solutions/00_warmup.ipynb"), Path("notebooks/00_start_here.ipynb")]
    assert [p.as_posix() for p in render.course_order(paths)] == [
        "notebooks/00_start_here.ipynb", "solutions/00_warmup.ipynb", "notebooks/01_a.ipynb",
        "solutions/01_a.ipynb", "notebooks/02_b.ipynb"]


def test_binder_requirements_cover_the_package_dependencies(root):
    """binder/ must install everything pyproject.toml's runtime dependencies name (CPU torch on mybinder.org)."""
    tomllib = pytest.importorskip("tomllib", reason="reading pyproject.toml needs Python 3.11's tomllib")
    project = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    wanted = {re.split(r"[<>=!~ \[;]", dep, maxsplit=1)[0].lower() for dep in project["dependencies"]}
    lines = (root / "binder" / "requirements.txt").read_text().splitlines()
    have = {re.split(r"[<>=!~ \[;]", line.strip(), maxsplit=1)[0].lower() for line in lines
            if line.strip() and not line.lstrip().startswith(("#", "-"))}
    assert wanted <= have, f"binder/requirements.txt lacks {sorted(wanted - have)}"
    assert any("download.pytorch.org/whl/cpu" in line for line in lines), "binder should install the CPU torch"
