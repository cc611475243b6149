"""A real JupyterLab server and a headless Chromium, for tests of what the learner sees.

The server runs on 127.0.0.1 with a random port and token; its config, data, runtime, settings, workspace, home and
cache folders live in a temporary folder, and it serves copies of the notebooks, so the sources stay untouched.
Server, kernels and browser are stopped when the session ends, also after a failure.

Needs Debian's `chromium` (apt-get install -y chromium) and the PyPI `playwright` package (pip install playwright;
never `playwright install`, which downloads a browser). Without them the tests skip, unless
AECOURSE_REQUIRE_BROWSER=1 (set in CI), where they fail.
"""
from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "build" / "browser-screenshots"
HOW_TO_ENABLE = ("to run them: apt-get install -y chromium; pip install playwright (do not run `playwright install`, "
                 "which downloads another browser)")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic", "--disable-dev-shm-usage"]
collect_ignore_glob = ["fixtures/*"]  # notebooks the browser tests open, not nbval tests
# JupyterLab settings: no news or update checks (quiet, offline); every cell rendered, not only those in view, so
# the DOM holds the whole notebook and screenshots of scrolled-to outputs are fully painted.
LAB_SETTINGS = {"@jupyterlab/apputils-extension/notification.jupyterlab-settings":
                {"fetchNews": "false", "checkForUpdates": False},
                "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"}}


def chromium_path() -> str | None:
    """The Chromium executable: $AECOURSE_CHROMIUM, else `chromium` or `chromium-browser` on PATH."""
    for candidate in (os.environ.get("AECOURSE_CHROMIUM"), "chromium", "chromium-browser"):
        if candidate and shutil.which(candidate):
            return shutil.which(candidate)
    return None


def _require_browser() -> str:
    missing = []
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("the playwright package")
    path = chromium_path()
    if path is None:
        missing.append("chromium")
    if missing:
        message = f"browser tests need {' and '.join(missing)}; {HOW_TO_ENABLE}"
        if os.environ.get("AECOURSE_REQUIRE_BROWSER") == "1":
            pytest.fail(f"AECOURSE_REQUIRE_BROWSER=1 but {message}", pytrace=False)
        pytest.skip(message)
    return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LabServer:
    """`jupyter lab` in an isolated temporary folder; `.served` is the folder it serves."""

    def __init__(self, base: Path):
        self.base = base
        self.served = base / "served"
        self.token = secrets.token_hex(16)
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = base / "jupyter.log"
        self.process: subprocess.Popen | None = None
        self.stopped = False

    def env(self) -> dict:
        env = dict(os.environ)
        env.pop("MPLBACKEND", None)  # the kernel must use the inline backend, as in a learner's JupyterLab
        folders = {"JUPYTER_CONFIG_DIR": "config", "JUPYTER_RUNTIME_DIR": "runtime", "JUPYTER_DATA_DIR": "data",
                   "JUPYTERLAB_SETTINGS_DIR": "settings", "JUPYTERLAB_WORKSPACES_DIR": "workspaces",
                   "HOME": "home", "XDG_CACHE_HOME": "cache", "XDG_CONFIG_HOME": "xdg-config"}
        for name, folder in folders.items():
            (self.base / folder).mkdir(parents=True, exist_ok=True)
            env[name] = str(self.base / folder)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        env["TQDM_DISABLE"] = "1"
        return env

    def start(self, timeout: float = 90) -> None:
        self.served.mkdir(parents=True, exist_ok=True)
        env = self.env()
        for name, values in LAB_SETTINGS.items():
            path = Path(env["JUPYTERLAB_SETTINGS_DIR"]) / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values))
        command = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1",
                   f"--ServerApp.port={self.port}", "--ServerApp.port_retries=0",
                   f"--IdentityProvider.token={self.token}", "--LabApp.expose_app_in_browser=True",
                   f"--ServerApp.root_dir={self.served}"]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            command.append("--allow-root")
        with open(self.log_path, "w") as log:  # the server keeps its own copy of the file descriptor
            self.process = subprocess.Popen(command, env=env, cwd=self.served, stdout=log, stderr=subprocess.STDOUT,
                                            start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"jupyter lab exited with code {self.process.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.url}/api/status?token={self.token}", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"jupyter lab did not answer within {timeout:.0f} s:\n{self.log_tail()}")

    def api(self, path: str, method: str = "GET"):
        request = urllib.request.Request(f"{self.url}/api/{path}?token={self.token}", method=method)
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read()
        return json.loads(body) if body else None

    def close_sessions(self) -> None:
        """Shut down every notebook's kernel (a test's kernel should not hold memory during the next test)."""
        for session in self.api("sessions"):
            self.api(f"sessions/{session['id']}", method="DELETE")

    def log_tail(self, n: int = 40) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])

    def stop(self) -> None:
        """Shut the server down (it stops its kernels), then make sure no process it started survives."""
        if self.process is None or self.stopped:
            return
        self.stopped = True
        if self.process.poll() is None:
            try:
                self.api("shutdown", method="POST")
                self.process.wait(timeout=20)
            except (OSError, subprocess.TimeoutExpired):
                os.killpg(self.process.pid, signal.SIGTERM)
                try:
                    self.process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    os.killpg(self.process.pid, signal.SIGKILL)
                    self.process.wait()
        for pid in self._kernel_pids():  # kernels run in their own sessions; their command line names our runtime dir
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def _kernel_pids(self) -> list[int]:
        marker = str(self.base / "runtime").encode()
        pids = []
        for proc in Path("/proc").glob("[0-9]*"):
            try:
                if marker in (proc / "cmdline").read_bytes():
                    pids.append(int(proc.name))
            except OSError:
                continue
        return pids


@pytest.fixture(scope="session")
def chromium_executable() -> str:
    return _require_browser()


# The server and the browser live as long as the test module that uses them: stopped when it ends, not at the end
# of the run, where their shutdown (a few seconds) would add to the run's time.
@pytest.fixture(scope="module")
def lab_server(chromium_executable, tmp_path_factory):
    server = LabServer(tmp_path_factory.mktemp("jupyterlab"))
    previous = signal.getsignal(signal.SIGTERM)

    def stop_then_die(signum, frame):  # pytest runs no finalizer on SIGTERM (e.g. from `timeout`): stop the server
        server.stop()
        signal.signal(signal.SIGTERM, previous)
        os.kill(os.getpid(), signum)

    signal.signal(signal.SIGTERM, stop_then_die)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        signal.signal(signal.SIGTERM, previous)


@pytest.fixture(scope="module")
def browser(chromium_executable):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_executable, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    """build/browser-screenshots/, emptied of an earlier run's pictures."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for old in SCREENSHOTS.glob("*.png"):
        old.unlink()
    return SCREENSHOTS


def pytest_terminal_summary(terminalreporter):
    if SCREENSHOTS.is_dir() and any(SCREENSHOTS.glob("*.png")):
        terminalreporter.write_line(f"browser tests: screenshots before and after each interaction in {SCREENSHOTS}")


@pytest.fixture
def lab(lab_server, browser, screenshot_dir, request):
    """Open notebooks in JupyterLab: `nb = lab.open(path)` copies the notebook into the served folder and opens it."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    session = LabSession(lab_server, page, screenshot_dir, request.node.name)
    try:
        yield session
    finally:
        if getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed:
            session.screenshot("failure")
            print(f"jupyter log tail:\n{lab_server.log_tail()}")
        context.close()
        lab_server.close_sessions()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


# JavaScript run in the page, against JupyterLab's application object (exposed by --LabApp.expose_app_in_browser).
JS_KERNEL_IDLE = """() => {
  const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  const kernel = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
  return !!(w && w.context.isReady && kernel && kernel.status === 'idle');
}"""
JS_RUN_ALL = "() => window.jupyterapp.commands.execute('notebook:run-all-cells')"
JS_ERRORS = """() => {
  const cells = window.jupyterapp.shell.currentWidget.content.model.cells;
  const errors = [];
  for (let i = 0; i < cells.length; i++) {
    const cell = cells.get(i);
    if (cell.type !== 'code') continue;
    for (const out of cell.outputs.toJSON()) {
      if (out.output_type === 'error') errors.push(`cell ${i}: ${out.ename}: ${out.evalue}`);
    }
  }
  return errors;
}"""
# What a widget cell shows, without the controls' own labels and readouts: its text, and the images' sources.
JS_OUTPUT_STATE = """(area) => {
  const copy = area.cloneNode(true);
  copy.querySelectorAll('.widget-readout, label.widget-label, select, button, input, .noUi-target')
      .forEach(e => e.remove());
  return {text: copy.textContent.replace(/\\s+/g, ' ').trim(),
          sliders: Object.fromEntries(Array.from(area.querySelectorAll('.widget-readout')).map(r =>
              [r.parentElement.querySelector('label.widget-label')?.textContent.trim(), r.textContent.trim()])),
          images: Array.from(area.querySelectorAll('img')).map(img => img.src),
          loading: Array.from(area.querySelectorAll('img')).some(img => !img.complete)};
}"""


class LabSession:
    """One browser tab on the Lab server, with helpers that find widgets by their description labels."""

    def __init__(self, server: LabServer, page, screenshot_dir: Path, test_name: str):
        self.server, self.page = server, page
        self.prefix = screenshot_dir / re.sub(r"[^\w.-]+", "_", test_name)

    def open(self, notebook: Path, timeout: float = 180_000) -> None:
        shutil.copy(notebook, self.server.served / notebook.name)
        self.page.goto(f"{self.server.url}/lab/tree/{notebook.name}?reset&token={self.server.token}")
        self.page.wait_for_function(JS_KERNEL_IDLE, timeout=timeout, polling=250)

    def run_all(self, timeout: float = 900_000) -> None:
        """Run every cell and wait until the kernel is idle again; fail naming the cells that raised."""
        self.page.evaluate(JS_RUN_ALL)
        self.page.wait_for_function(JS_KERNEL_IDLE, timeout=timeout, polling=250)
        errors = self.page.evaluate(JS_ERRORS)
        assert not errors, f"cells raised in the browser: {errors}"

    def control(self, label: str):
        """The one widget whose description label is `label`, else the one whose label contains it
        (case-insensitive): the label's parent element."""
        labels = self.page.locator("label.widget-label", has_text=re.compile(re.escape(label), re.IGNORECASE))
        labels.first.wait_for(state="visible", timeout=30_000)
        exact = self.page.locator("label.widget-label",
                                  has_text=re.compile(rf"^\s*{re.escape(label)}\s*$", re.IGNORECASE))
        if exact.count() == 1:
            return exact.locator("xpath=..")
        if labels.count() != 1:
            every = self.page.locator("label.widget-label").all_inner_texts()
            raise AssertionError(f"expected one widget labelled {label!r}, found {labels.count()}; labels: {every}")
        return labels.locator("xpath=..")

    def enabled_slider(self, label: str, timeout: float = 300_000):
        """The slider labelled `label`, once it is enabled (a widget may disable it while it works)."""
        slider = self.control(label)
        target = slider.locator(".noUi-target").first
        target.wait_for(state="visible", timeout=30_000)
        self.page.wait_for_function("el => !el.hasAttribute('disabled')", arg=target.element_handle(),
                                    timeout=timeout, polling=250)
        return slider

    def slider_value(self, label: str) -> str:
        return self.control(label).locator(".widget-readout").inner_text().strip()

    def move_slider(self, label: str, steps: int) -> str:
        """Press ArrowRight (steps > 0) or ArrowLeft on the slider's handle; return the new readout."""
        handle = self.enabled_slider(label).locator(".noUi-handle").first
        handle.focus()
        for _ in range(abs(steps)):
            handle.press("ArrowRight" if steps > 0 else "ArrowLeft")
        return self.slider_value(label)

    def set_slider(self, label: str, value) -> str:
        """Type `value` into the slider's readout, as a learner can; return the new readout."""
        readout = self.enabled_slider(label).locator(".widget-readout")
        readout.click()
        self.page.keyboard.press("ControlOrMeta+a")
        self.page.keyboard.type(str(value))
        self.page.keyboard.press("Enter")
        return self.slider_value(label)

    def select(self, label: str, option: str) -> None:
        """Choose `option` in a Dropdown, ToggleButtons or RadioButtons widget."""
        widget = self.control(label)
        if widget.locator("select").count():
            widget.locator("select").select_option(label=option)
        elif widget.locator("button").count():
            widget.locator("button", has_text=option).click()
        else:
            widget.locator("label", has_text=option).click()

    def button(self, description: str):
        found = self.page.locator("button.jupyter-button", has_text=description)
        found.first.wait_for(state="visible", timeout=30_000)
        return found.first

    def output_of(self, label: str):
        """The output area of the cell that holds the widget labelled `label`."""
        cell = self.page.locator(".jp-CodeCell").filter(has=self.control(label))
        return cell.locator(".jp-Cell-outputArea")

    def state(self, area) -> dict:
        return area.evaluate(JS_OUTPUT_STATE)

    def wait_for_change(self, area, before: dict, *, what=("text", "images"), until=None,
                        timeout: float = 300) -> dict:
        """Poll the output area until each of `what` differs from `before` and `until(state)` holds (the output
        has settled on what the test expects); return that state."""
        def changed(state):
            return all(state[key] != before[key] for key in what) and (until is None or until(state))

        return self.wait_until(area, changed, timeout=timeout, message=f"the output's {list(what)} did not change"
                               + (" to what the test expects" if until else ""))

    def wait_until(self, area, predicate, *, timeout: float = 300, message: str = "") -> dict:
        """Poll the output area until predicate(state) holds on a settled state (images loaded, the same on two
        polls in a row); return that state."""
        deadline, previous = time.monotonic() + timeout, None
        while True:
            current = self.state(area)
            if current == previous and not current["loading"] and predicate(current):
                return current
            if time.monotonic() > deadline:
                raise AssertionError(f"{message} (not within {timeout} s); text now: {current['text'][:300]!r}")
            previous = current
            self.page.wait_for_timeout(250)

    def screenshot(self, tag: str, element=None) -> Path:
        path = Path(f"{self.prefix}-{tag}.png")
        if element is not None:  # decoded images, so the picture is not caught half painted
            element.scroll_into_view_if_needed()
            element.evaluate("a => Promise.all(Array.from(a.querySelectorAll('img')).map(i => i.decode()"
                             ".catch(() => null)))")
            self.page.wait_for_timeout(200)
        (element or self.page).screenshot(path=path)
        return path
