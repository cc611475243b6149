"""The course as a website (`make course`: Jupyter Book 1.x, book/_config.yml and book/_toc.yml) and the binder
environment file.

The site is built once here with execution off (nbval executes every notebook elsewhere in the suite; `make course`
executes them with cached outputs): a page per lesson and per exercise solution, navigation in course order, search,
and the launch buttons. jupyter-book has its own environment (`make book-env` makes .venv-book; it pins an older
markdown-it-py than JupyterLab's); without it the build test skips, unless AECOURSE_REQUIRE_BOOK=1 (set by .ci/run).
"""
import os
import posixpath
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from aecourse.course import notebooks

ROOT = Path(__file__).resolve().parent.parent
PAGES = sorted(p.relative_to(ROOT).with_suffix("") for folder in ("notebooks", "solutions")
               for p in (ROOT / folder).glob("*.ipynb"))


def toc_files() -> list[str]:
    """The `root:` and `file:` entries of book/_toc.yml, in order."""
    return re.findall(r"^\s*(?:root|- file):\s*(\S+)\s*$", (ROOT / "book" / "_toc.yml").read_text(), re.MULTILINE)


def jupyter_book() -> str:
    """The jupyter-book executable: $AECOURSE_JUPYTER_BOOK, else .venv-book's (make book-env), else on PATH."""
    for candidate in (os.environ.get("AECOURSE_JUPYTER_BOOK"), ROOT / ".venv-book" / "bin" / "jupyter-book",
                      shutil.which("jupyter-book")):
        if candidate and Path(candidate).is_file():
            return str(candidate)
    message = "the website test needs jupyter-book<2: run `make book-env` (it makes .venv-book)"
    if os.environ.get("AECOURSE_REQUIRE_BOOK") == "1":
        pytest.fail(f"AECOURSE_REQUIRE_BOOK=1 but {message}", pytrace=False)
    pytest.skip(message)


def test_table_of_contents_names_every_lesson_and_solution_once_in_course_order():
    files = toc_files()
    assert sorted(files) == [p.as_posix() for p in PAGES] and len(set(files)) == len(files), \
        f"book/_toc.yml must name each notebook of notebooks/ and solutions/ once; it names {files}"
    assert files[0] == "notebooks/00_start_here"
    lessons = [f for f in files if f.startswith("notebooks/")]
    assert lessons == sorted(lessons) and files.index(lessons[-1]) < files.index("solutions/00_warmup")


def test_website_executes_each_notebook_once_with_cached_outputs_on_the_cpu():
    config = (ROOT / "book" / "_config.yml").read_text()
    assert re.search(r"^\s*execute_notebooks:\s*cache\b", config, re.MULTILINE)
    make = subprocess.run(["make", "-n", "-s", "course", "BOOK_STAMP="], cwd=ROOT, capture_output=True, text=True,
                          check=True).stdout
    assert "AECOURSE_DEVICE=cpu" in make and "jupyter-book build . --config book/_config.yml" in make


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The website built from this checkout, execution off: its html folder."""
    executable = jupyter_book()
    base = tmp_path_factory.mktemp("book")
    config = (ROOT / "book" / "_config.yml").read_text()
    no_execution = re.sub(r"execute_notebooks:\s*cache", 'execute_notebooks: "off"', config)
    assert no_execution != config
    (base / "_config.yml").write_text(no_execution)
    built = subprocess.run([executable, "build", str(ROOT), "--config", str(base / "_config.yml"), "--toc",
                            str(ROOT / "book" / "_toc.yml"), "--path-output", str(base)],
                           capture_output=True, text=True, timeout=600)
    log = built.stdout + built.stderr
    assert built.returncode == 0, log[-6000:]
    assert "isn't included in any toctree" not in log, "the build read files outside the table of contents (e.g. " \
        f"in .venv): extend exclude_patterns in book/_config.yml\n{log[-3000:]}"
    return base / "_build" / "html"


def test_every_lesson_and_solution_has_a_page_with_its_title(site):
    for page in PAGES:
        html = site / page.with_suffix(".html")
        assert html.is_file(), f"no page for {page}.ipynb"
        first = next(c for c in notebooks.read(ROOT / page.with_suffix(".ipynb")).cells if c.cell_type == "markdown")
        title = re.match(r"#+\s*(.+)", first.source).group(1).split("·")[-1].strip()
        assert title in html.read_text(), f"{html.name} lacks its notebook's title {title!r}"
    assert "notebooks/00_start_here.html" in (site / "index.html").read_text()


def test_navigation_lists_the_pages_in_course_order_and_search_is_built(site):
    start = (site / "notebooks" / "00_start_here.html").read_text()
    nav = start[start.index('class="bd-links'):]
    hrefs = re.findall(r'href="([^"#:]+)\.html"', nav)   # relative to notebooks/
    linked = [posixpath.normpath(posixpath.join("notebooks", href)) for href in hrefs]
    wanted = toc_files()[1:]
    assert [link for link in linked if link in wanted][:len(wanted)] == wanted, linked
    assert (site / "search.html").is_file() and (site / "searchindex.js").stat().st_size > 0


def test_lesson_pages_have_a_binder_launch_button_opening_that_notebook_in_jupyterlab(site):
    html = (site / "notebooks" / "01_undercomplete.html").read_text()
    assert re.search(r"https://mybinder\.org/v2/gh/[^\"]+\?urlpath=lab/tree/notebooks/01_undercomplete\.ipynb", html)


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
