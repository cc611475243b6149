"""A real JupyterHub with real learners, for the test of the multi-user path (test_class_on_hub.py).

The hub, its proxy (npm `configurable-http-proxy`) and every learner's server listen on 127.0.0.1 only, on random
ports, with random secrets; its database, cookie secret and logs live in a fresh private folder. Each learner is a
real OS user (`useradd`, home folder mode 0700), started by JupyterHub's LocalProcessSpawner, so the kernel of one
learner runs with that learner's uid and cannot open another's files: the isolation a class needs. The "simple"
spawner would run everyone as one user and isolate nothing.

Needs: root (to create users and switch to them), node, and configurable-http-proxy installed into
build/hub-node/ (`npm install --prefix build/hub-node configurable-http-proxy`; .ci/run does it) or on PATH, and
the Python packages `jupyterhub` and `nbgitpuller` (the dev extra). Without them the test skips and says what is
missing, unless AECOURSE_REQUIRE_HUB=1 (set by .ci/run), where it fails.

At teardown the hub stops the learners' servers and its proxy, any process still running as a learner is stopped
by its id, and the users (`userdel`) and every folder are removed, also after a failure.
"""
from __future__ import annotations

import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHP_HOME = ROOT / "build" / "hub-node"
HOW_TO_ENABLE = ("to run it: as root, with node and npm (apt-get install -y nodejs npm), "
                 "`npm install --prefix build/hub-node configurable-http-proxy` and `pip install -e '.[dev]'`")
LEARNERS = ("a", "b", "c")
# The heaviest lesson kernel, measured (peak resident memory on the CPU, 2026-11-28; the project's reference notes):
# what deploy/config.yaml's per-learner memory must hold beside the learner's Jupyter server.
LARGEST_KERNEL_GIB = 1.1
GIB = 2**30


def kubespawner_bytes(value) -> float:
    """A z2jh memory size ("1.5G", "512M", 3 or "3G") in bytes; KubeSpawner's K, M, G, T are powers of 1024."""
    text = str(value).strip()
    units = {"K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}
    if text[-1:] in units:
        return float(text[:-1]) * units[text[-1]]
    return float(text)


@pytest.fixture(scope="session")
def deploy_config() -> dict:
    """deploy/config.yaml, the Zero to JupyterHub values, parsed."""
    import yaml

    return yaml.safe_load((ROOT / "deploy" / "config.yaml").read_text())


@pytest.fixture(scope="session")
def memory_sizing(deploy_config) -> dict:
    """Bytes: the per-learner guarantee and limit of deploy/config.yaml, and the heaviest kernel measured."""
    memory = deploy_config["singleuser"]["memory"]
    return {"guarantee": kubespawner_bytes(memory["guarantee"]), "limit": kubespawner_bytes(memory["limit"]),
            "largest_kernel": LARGEST_KERNEL_GIB * GIB}


def chp_path() -> str | None:
    """configurable-http-proxy: $AECOURSE_CHP, else build/hub-node's copy, else one on PATH."""
    local = CHP_HOME / "node_modules" / ".bin" / "configurable-http-proxy"
    for candidate in (os.environ.get("AECOURSE_CHP"), str(local), "configurable-http-proxy"):
        if candidate and shutil.which(candidate):
            return shutil.which(candidate)
    return None


def _skip_or_fail(reason: str):
    message = f"the hub test needs {reason}; {HOW_TO_ENABLE}"
    if os.environ.get("AECOURSE_REQUIRE_HUB") == "1":
        pytest.fail(message + " (AECOURSE_REQUIRE_HUB=1)")
    pytest.skip(message)


def _require_hub() -> str:
    missing = []
    if shutil.which("node") is None:
        missing.append("node")
    chp = chp_path()
    if chp is None:
        missing.append("configurable-http-proxy")
    for module in ("jupyterhub", "nbgitpuller"):
        try:
            __import__(module)
        except ImportError:
            missing.append(f"the {module} package")
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        missing.append("root, to create one OS user per learner (useradd)")
    elif shutil.which("useradd") is None or shutil.which("userdel") is None:
        missing.append("useradd and userdel")
    if shutil.which("git") is None:
        missing.append("git")
    if missing:
        _skip_or_fail(" and ".join(missing))
    return chp


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Learner:
    name: str
    uid: int
    home: Path
    token: str = ""


@dataclass
class Hub:
    """A running hub: its URL, the admin service's token, the learners and the private folder it runs in."""
    url: str
    token: str
    root: Path  # the test's folder: hub/ (config, database, log; root only), home/ (the learners' private homes)
    process: subprocess.Popen
    learners: list[Learner] = field(default_factory=list)

    def request(self, method: str, path: str, body=None, token: str | None = None, timeout: float = 60):
        """One REST call (`path` below the hub's URL, e.g. /hub/api/users); returns (status, parsed JSON or text)."""
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method,
                                     headers={"Authorization": f"token {token or self.token}",
                                              "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, raw = error.code, error.read()
        try:
            return status, json.loads(raw) if raw else None
        except ValueError:
            return status, raw.decode(errors="replace")

    def log(self) -> str:
        return (self.root / "hub" / "hub.log").read_text(errors="replace")[-6000:]


def _wait_for(url: str, process: subprocess.Popen, log: Path, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"JupyterHub exited with {process.returncode}:\n{log.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(url, timeout=5):
                return  # the hub itself answers through its proxy
        except OSError:  # refused, or the proxy's 404 before the hub's route is added
            time.sleep(0.3)
    raise RuntimeError(f"JupyterHub did not answer at {url} within {timeout} s:\n{log.read_text()[-4000:]}")


# What a learner's server and kernel need to find and read: the course's library, the server, nbgitpuller.
CAN_USE_THE_COURSE = ("import importlib.util, jupyterhub.singleuser, nbgitpuller; "
                      "open(importlib.util.find_spec('aecourse').origin).read()")


def _runs_as(uid: int, python: str, code: str = "import sys") -> subprocess.CompletedProcess | None:
    """Run `code` with `python` as the user `uid`: the finished process, or None when it could not start."""
    try:
        return subprocess.run([python, "-c", code], user=uid, group=uid, extra_groups=[], cwd="/",
                              capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired):
        return None


def learner_python(folder: Path, uid: int) -> str:
    """A Python the learners can run, with this environment's packages (the course, jupyterhub, nbgitpuller).

    This interpreter itself when another user may run it. When it lives where only root can enter (pyenv under
    /root, as on this project's machines), a venv in `folder` built from a system Python of the same version,
    that adds this environment's site-packages (a .pth line) and shares its Jupyter config and data (etc/, share/:
    nbgitpuller's server extension is enabled there). Skips (fails in CI) when there is no such Python.
    """
    started = _runs_as(uid, sys.executable)
    if started is not None and started.returncode == 0:
        return _can_use_the_course(uid, sys.executable)
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    base = shutil.which(version, path="/usr/local/bin:/usr/bin:/bin")
    started = None if base is None else _runs_as(uid, base)
    if started is None or started.returncode != 0:
        _skip_or_fail(f"a {version} that the learners' OS users may run: {sys.executable} is in a folder they "
                      f"cannot enter, and there is no {version} in /usr/local/bin or /usr/bin")
    venv = folder / "learner-python"
    subprocess.run([base, "-m", "venv", "--without-pip", str(venv)], check=True, capture_output=True)
    site = venv / "lib" / version / "site-packages"
    paths = dict.fromkeys([sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]])
    (site / "course-environment.pth").write_text("".join(f"import site; site.addsitedir({p!r})\n" for p in paths))
    for name in ("etc", "share"):
        if (Path(sys.prefix) / name).is_dir():
            (venv / name).symlink_to(Path(sys.prefix) / name)
    subprocess.run(["chmod", "-R", "a+rX", str(venv)], check=True)
    return _can_use_the_course(uid, str(venv / "bin" / "python"))


def _can_use_the_course(uid: int, python: str) -> str:
    """`python`, once it has shown that a learner can use the course with it (not so when the checkout or its
    environment lies in a folder only root may enter, such as /root)."""
    done = _runs_as(uid, python, CAN_USE_THE_COURSE)
    if done is None or done.returncode != 0:
        why = "it did not start" if done is None else done.stderr.strip().splitlines()[-1:]
        _skip_or_fail(f"the course's Python environment readable by other users (a learner runs {python}: {why}; "
                      f"the checkout {ROOT} and {sys.prefix} must lie in folders others may enter)")
    return python


def _config(*, port: int, hub_port: int, api_port: int, chp: str, folder: Path, names: list[str],
            service_token: str, python: str) -> str:
    bin_dir = Path(python).parent
    environment = {"PATH": f"{bin_dir}:/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "MPLBACKEND": "Agg",
                   "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
                   "AECOURSE_DEVICE": "cpu",
                   # The course's source is a clone on this machine owned by root, which git refuses to read for
                   # another user ("dubious ownership") unless its global config says it is safe; a real hub pulls
                   # over https, where this does not arise.
                   "GIT_CONFIG_GLOBAL": str(folder.parent / "gitconfig")}
    if os.environ.get("PYTHONPATH"):  # a developer's tree that shadows the installed course
        environment["PYTHONPATH"] = os.environ["PYTHONPATH"]
    return f"""
c = get_config()  # noqa
c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = {port}
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = {hub_port}
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{api_port}"
c.ConfigurableHTTPProxy.command = [{chp!r}]
c.ConfigurableHTTPProxy.auth_token = {secrets.token_hex(32)!r}
c.ConfigurableHTTPProxy.pid_file = {str(folder / "proxy.pid")!r}
c.JupyterHub.cookie_secret = bytes.fromhex({secrets.token_hex(32)!r})
c.JupyterHub.db_url = {"sqlite:///" + str(folder / "hub.sqlite")!r}
c.JupyterHub.pid_file = {str(folder / "hub.pid")!r}
c.JupyterHub.cleanup_servers = True
c.JupyterHub.authenticator_class = "dummy"  # the learners get API tokens from the admin service below
c.DummyAuthenticator.password = {secrets.token_hex(16)!r}  # unset, any password would log anyone in
c.Authenticator.allowed_users = set({names!r})
c.JupyterHub.spawner_class = "localprocess"
c.Spawner.cmd = [{python!r}, "-m", "jupyterhub.singleuser"]
c.Spawner.ip = "127.0.0.1"
c.Spawner.environment = {environment!r}
c.Spawner.default_url = "/lab"
c.LocalProcessSpawner.interrupt_timeout = 3
c.LocalProcessSpawner.term_timeout = 3
c.LocalProcessSpawner.kill_timeout = 2
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120
c.JupyterHub.services = [{{"name": "course-admin", "api_token": {service_token!r}}}]
c.JupyterHub.load_roles = [{{"name": "course-admin", "services": ["course-admin"],
                            "scopes": ["admin:users", "admin:servers", "access:servers", "tokens"]}}]
"""


def _alive(pid: int) -> bool:
    """Whether `pid` still runs (an exited child waiting to be reaped, a zombie, does not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def _stop(pids: list[int], grace: float = 5) -> None:
    """SIGTERM to each of `pids` at once, SIGKILL to those still running after `grace` seconds."""
    def signal_all(sig) -> None:
        for pid in pids:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass

    signal_all(signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        pids = [pid for pid in pids if _alive(pid)]
        if not pids:
            return
        time.sleep(0.1)
    signal_all(signal.SIGKILL)


def _processes_of(uids: set[int]) -> list[int]:
    """Ids of the processes running as one of `uids` (the learners this fixture created, nobody else)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid in uids:
                    pids.append(int(entry.name))
            except OSError:
                pass
    return pids


@pytest.fixture(scope="module")
def hub():
    """A JupyterHub with three learners (OS users with private homes), none of their servers started yet."""
    chp = _require_hub()
    tag = secrets.token_hex(3)
    names = [f"aec{tag}{suffix}" for suffix in LEARNERS]
    folder = Path(tempfile.mkdtemp(prefix="aecourse-hub-"))
    folder.chmod(0o755)  # learners pass through to their homes and read the course's source clone
    (folder / "hub").mkdir(mode=0o700)
    (folder / "home").mkdir(mode=0o755)
    created: list[Learner] = []
    hub_process = None
    try:
        for name in names:
            home = folder / "home" / name
            subprocess.run(["useradd", "--create-home", "--home-dir", str(home), "--shell", "/bin/bash",
                            "--user-group", "-K", "HOME_MODE=0700", "-K", "UMASK=077", name],
                           check=True, capture_output=True)
            created.append(Learner(name=name, uid=pwd.getpwnam(name).pw_uid, home=home))
            home.chmod(0o700)
        hub_dir = folder / "hub"
        port, hub_port, api_port = free_port(), free_port(), free_port()
        service_token = secrets.token_hex(32)
        (folder / "gitconfig").write_text("[safe]\n\tdirectory = *\n")
        (folder / "gitconfig").chmod(0o644)
        config = hub_dir / "jupyterhub_config.py"
        config.write_text(_config(port=port, hub_port=hub_port, api_port=api_port, chp=chp, folder=hub_dir,
                                  names=names, service_token=service_token,
                                  python=learner_python(folder, created[0].uid)))
        log = hub_dir / "hub.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "JPY_"))}
        with open(log, "wb") as out:
            hub_process = subprocess.Popen([str(Path(sys.executable).parent / "jupyterhub"), "-f", str(config)],
                                           cwd=hub_dir, stdout=out, stderr=subprocess.STDOUT, env=env,
                                           start_new_session=True)
        url = f"http://127.0.0.1:{port}"
        _wait_for(url + "/hub/api/", hub_process, log)
        yield Hub(url=url, token=service_token, root=folder, process=hub_process, learners=created)
    finally:
        uids = {learner.uid for learner in created}
        if hub_process is not None and hub_process.poll() is None:
            _stop([hub_process.pid], grace=20)  # with cleanup_servers, it stops the learners' servers and its proxy
            hub_process.wait()
        proxy_pid = folder / "hub" / "proxy.pid"
        if proxy_pid.exists():  # still there if the hub could not stop its proxy
            pid = proxy_pid.read_text().strip()
            cmdline = Path(f"/proc/{pid}/cmdline")
            if pid.isdigit() and cmdline.exists() and b"configurable-http-proxy" in cmdline.read_bytes():
                _stop([int(pid)])
        log = folder / "hub" / "hub.log"
        if log.exists():  # pytest shows it with a failure
            print("--- the hub's log (tail) ---\n" + log.read_text(errors="replace")[-8000:])
        _stop(_processes_of(uids))  # anything of theirs the hub could not stop
        for learner in created:
            subprocess.run(["userdel", learner.name], capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)
