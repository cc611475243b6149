"""`make lab` as a newcomer meets it: the exact command line the Makefile runs, in a copy of the course.

JupyterLab must serve the repository root with notebooks/00_start_here.ipynb in front (the page the server sends
the browser to), show no news prompt, open every notebook unmodified (no dot on its tab), and let the learner reach
exercises/00_warmup.ipynb from the file browser and run a check cell.
Run: `python -m pytest tests/browser/test_lab.py -q`; needs chromium and playwright (see conftest.py).
"""
from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import JS_KERNEL_IDLE, LabServer

ROOT = Path(__file__).resolve().parents[2]
START = "notebooks/00_start_here.ipynb"
WARMUP = "exercises/00_warmup.ipynb"
COURSE_FOLDERS = ("notebooks", "exercises", "solutions", "jupyter")
JS_CURRENT = """() => { const w = window.jupyterapp.shell.currentWidget;
  const nb = w && w.context ? w.context.model.toJSON() : null;
  return {path: w && w.context ? w.context.path : null, dirty: w && w.context ? w.context.model.dirty : null,
          metadata: nb && nb.metadata, nbformat_minor: nb && nb.nbformat_minor,
          dirty_tabs: document.querySelectorAll('.lm-TabBar-tab.jp-mod-dirty').length}; }"""
JS_OUTPUT_OF = """(index) => window.jupyterapp.shell.currentWidget.content.model.cells.get(index).outputs.toJSON()
  .map(o => o.text || (o.data && o.data['text/plain']) || (o.ename ? o.ename + ': ' + o.evalue : '')).join('')"""


def make_lab_command() -> list[str]:
    """The line `make lab` runs, for the Python environment running these tests (what `make test` set up)."""
    printed = subprocess.run(["make", "--no-print-directory", "-s", "-n", "lab", "STAMP=", f"VENV={sys.prefix}"],
                             cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip().splitlines()
    assert len(printed) == 1, f"`make -n lab` should run one command, printed: {printed}"
    return shlex.split(printed[0])


class MakeLab(LabServer):
    """The server `make lab` starts, in a copy of the course; only the port, the token and a browser command that
    records the page the server opens are added (the test's Chromium then opens that page)."""

    def start(self, timeout: float = 90) -> None:
        for folder in COURSE_FOLDERS:
            shutil.copytree(ROOT / folder, self.served / folder)
        words = make_lab_command()
        env = self.env()
        while "=" in words[0]:  # VAR=value words before the program are environment settings
            name, value = words.pop(0).split("=", 1)
            env[name] = value
        self.opened = self.base / "opened-url.txt"
        recorder = f"{sys.executable} -c \"import sys; open(sys.argv[1], 'w').write(sys.argv[2])\" {self.opened} %s"
        command = [*words, f"--ServerApp.port={self.port}", "--ServerApp.ip=127.0.0.1", "--ServerApp.port_retries=0",
                   f"--IdentityProvider.token={self.token}", "--LabApp.expose_app_in_browser=True",
                   f"--ServerApp.browser={recorder}"]
        with open(self.log_path, "w") as log:
            self.process = subprocess.Popen(command, env=env, cwd=self.served, stdout=log, stderr=subprocess.STDOUT,
                                            start_new_session=True)
        deadline = time.monotonic() + timeout
        while not (self.opened.is_file() and self.opened.read_text()):
            if self.process.poll() is not None:
                raise RuntimeError(f"`make lab`'s command exited with code {self.process.returncode}:\n"
                                   f"{self.log_tail()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"`make lab`'s command opened no page within {timeout:.0f} s:\n{self.log_tail()}")
            time.sleep(0.3)


@pytest.fixture(scope="module")
def make_lab(chromium_executable, tmp_path_factory):
    base = tmp_path_factory.mktemp("make-lab")
    (base / "served").mkdir()
    server = MakeLab(base)
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def page(make_lab, browser):
    """A browser tab on the page `make lab` opens, once the start notebook's kernel is idle."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    tab = context.new_page()
    tab.goto(make_lab.opened.read_text())
    tab.wait_for_function(JS_KERNEL_IDLE, timeout=180_000, polling=250)
    tab.wait_for_timeout(1500)  # let late metadata updates and notifications arrive
    try:
        yield tab
    finally:
        context.close()


def test_make_lab_serves_the_repository_root_with_the_start_notebook_in_front(make_lab, page):
    assert make_lab.opened.read_text().startswith("file:")  # the page a learner's browser is sent to
    assert page.evaluate(JS_CURRENT)["path"] == START
    listing = {item["name"] for item in make_lab.api("contents")["content"]}
    assert {"notebooks", "exercises", "solutions"} <= listing, listing


def test_no_news_prompt(page):
    config = json.loads(page.locator("#jupyter-config-data").text_content())
    assert "@jupyterlab/apputils-extension:announcements" in config["disabledExtensions"]
    assert "official Jupyter news" not in page.locator("body").inner_text()


def test_every_notebook_opens_unmodified(page):
    """JupyterLab marks a notebook modified when the kernel's metadata (kernelspec, language_info) differs from the
    file's; the start notebook shows it in the browser, and every committed notebook stores the same metadata."""
    opened = page.evaluate(JS_CURRENT)
    assert opened["dirty"] is False and opened["dirty_tabs"] == 0, opened
    committed = sorted(p for folder in ("notebooks", "exercises", "solutions") for p in (ROOT / folder).glob("*.ipynb"))
    assert len(committed) > 20
    for path in committed:
        stored = json.loads(path.read_text())
        for key in ("kernelspec", "language_info"):
            assert stored["metadata"][key] == opened["metadata"][key], \
                f"{path.relative_to(ROOT)}: {key} differs from the kernel's, so it would open as modified"
        assert stored["nbformat_minor"] == opened["nbformat_minor"], path


def test_learner_opens_the_warmup_from_the_file_browser_and_runs_a_check(page):
    def item(name):
        text = page.locator(".jp-DirListing-itemText", has_text=re.compile(rf"^\s*{re.escape(name)}\s*$"))
        return page.locator(".jp-DirListing-content .jp-DirListing-item").filter(has=text).first

    page.locator(".jp-BreadCrumbs-home").first.click()  # the file browser shows the start notebook's folder
    item("exercises").dblclick()
    item("00_warmup.ipynb").dblclick()
    page.wait_for_function(f"() => window.jupyterapp.shell.currentWidget.context.path === {WARMUP!r}",
                           timeout=30_000, polling=250)
    page.wait_for_function(JS_KERNEL_IDLE, timeout=180_000, polling=250)
    page.wait_for_timeout(1000)
    opened = page.evaluate(JS_CURRENT)
    assert opened["dirty"] is False and opened["dirty_tabs"] == 0, opened

    cells = json.loads((ROOT / WARMUP).read_text())["cells"]
    check = next(i for i, c in enumerate(cells)   # the graded check cell (nbgrader's metadata marks it)
                 if c["cell_type"] == "code" and c["metadata"].get("nbgrader", {}).get("grade"))
    page.evaluate(f"() => {{ window.jupyterapp.shell.currentWidget.content.activeCellIndex = {check}; }}")
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-above')")
    page.wait_for_function(JS_KERNEL_IDLE, timeout=120_000, polling=250)
    page.evaluate(f"() => {{ window.jupyterapp.shell.currentWidget.content.activeCellIndex = {check}; }}")
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-cell')")
    deadline = time.monotonic() + 120
    while "not attempted" not in (text := page.evaluate(JS_OUTPUT_OF, check)) and time.monotonic() < deadline:
        page.wait_for_timeout(250)
    assert "not attempted" in text, f"check cell {check} printed: {text[:500]!r}"
