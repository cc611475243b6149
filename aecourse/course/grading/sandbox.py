"""The sandbox a submission runs in: an unprivileged user, bubblewrap, a cgroup, and a library copy with the
answers hidden.

    sh -c ENTER cgroup.procs... --                 (cgroup.py: memory, processes, CPU share for the whole sandbox)
    setpriv --reuid=65534 --regid=65534 --clear-groups     (when the grader is root: no capability survives)
    prlimit --cpu=CPU --fsize=FILE --core=0 (without a cgroup also --as=MEM --nproc=N) --
    bwrap --ro-bind /usr /usr (and /bin, /lib... as the host has them)  --ro-bind /etc /etc
        --ro-bind PYTHON PYTHON (the interpreter's prefix and the virtual environment's)
        --ro-bind LIBRARY /opt/aecourse   (a copy of the aecourse package, see `prepare_library`)
        --ro-bind IO /grading             (this submission's notebook, job and the grader's socket only)
        --tmpfs /tmp --tmpfs /home/student --tmpfs /dev/shm (each of a fixed size)  --dev /dev (read-only)
        --proc /proc --unshare-all --unshare-user --disable-userns --cap-drop ALL --die-with-parent --new-session
        --clearenv ... python -m aecourse.course.grading.executor /grading/job.json

So the notebook runs as nobody with no capability (a root-started bwrap would keep nearly all of them, and remount
the read-only system writable), sees no network, no other hand-in, no solutions/, no output folder, nothing
writable outside its three size-limited folders; it runs in a new PID namespace, so every process it starts ends
with it (a `setsid` child included), and bwrap ends when the grader does. prlimit's limits hold per process; the
cgroup's hold for the sandbox as a whole (without a cgroup, prlimit also caps each process's address space and the
processes of the uid). Every program the grader starts comes from the system's own folders (`SYSTEM_PATH`), never
from a path a notebook could write.
"""
from __future__ import annotations

import ast
import dataclasses
import functools
import os
import shutil
import subprocess
import sys
from pathlib import Path

from ..checks import Exercise
from ..limits import Limits

LIBRARY, IO, HOME = "/opt/aecourse", "/grading", "/home/student"
SYSTEM_PATH = "/usr/bin:/bin:/usr/sbin:/sbin"
SANDBOX_USER = 65534   # nobody: the notebook's uid and gid when the grader is root


def fit_to_machine(limits: Limits, jobs: int) -> tuple[Limits, list[str]]:
    """`limits` with the memory per notebook (a cgroup's: memory in use) lowered so that `jobs` notebooks at their
    limit fit in 75 % of this machine's memory, the rest left to the grader and the system (else the kernel's OOM
    killer, not the limit, picks which notebook dies: maybe an innocent one); and a note saying so."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError):
        return limits, []
    fits = int(0.75 * total) // jobs
    if limits.memory <= fits:
        return limits, []
    return dataclasses.replace(limits, memory=fits), [
        f"{jobs} notebooks at {limits.memory / 2 ** 30:.1f} GB each would not fit in this machine's "
        f"{total / 2 ** 30:.1f} GB: each gets {fits / 2 ** 30:.1f} GB (fewer --jobs give each more)"]


def tool(name: str) -> str | None:
    """The system's own `name` (bwrap, prlimit, setpriv), never one found on the grader's PATH."""
    return shutil.which(name, path=SYSTEM_PATH)


def as_sandbox_user() -> list[str]:
    """The prefix that drops root to `SANDBOX_USER` (nothing when the grader is not root)."""
    if os.geteuid() != 0:
        return []
    if tool("setpriv") is None:
        raise RuntimeError("aecourse grade runs as root, and needs setpriv (util-linux) to run each notebook as an "
                           "unprivileged user: install util-linux, or grade as an ordinary user")
    return [tool("setpriv"), f"--reuid={SANDBOX_USER}", f"--regid={SANDBOX_USER}", "--clear-groups"]


@functools.cache
def bwrap_works() -> bool:
    """True when bubblewrap is installed and can make the namespaces here, as the user the notebooks run as."""
    bwrap = tool("bwrap")
    if bwrap is None:
        return False
    probe = subprocess.run([*as_sandbox_user(), bwrap, "--ro-bind", "/", "/", "--unshare-all", "--unshare-user",
                            "--disable-userns", "--cap-drop", "ALL", "--die-with-parent", "true"],
                           capture_output=True, timeout=60)
    return probe.returncode == 0


@functools.cache
def unreadable_python() -> str:
    """"" when the sandbox's user can run this Python and import the course; else what it cannot read, and what
    to do. (As root the notebooks run as nobody: a course or .venv in a private folder is out of their reach.)"""
    if os.geteuid() != 0:
        return ""
    import importlib.util

    import aecourse
    needed = [sys.executable, Path(aecourse.__file__).parent, Path(importlib.util.find_spec("torch").origin).parent]
    probe = subprocess.run([*as_sandbox_user(), sys.executable, "-I", "-S", "-c",
                            "import os, sys; print(*[p for p in sys.argv[1:] if not os.access(p, os.R_OK | os.X_OK)])",
                            *map(str, needed)], capture_output=True, text=True, timeout=60)
    missing = probe.stdout.strip() or (probe.stderr.strip().splitlines() or [""])[-1]
    if probe.returncode == 0 and not missing:
        return ""
    return (f"aecourse grade runs each notebook as the unprivileged user nobody (uid {SANDBOX_USER}), who cannot "
            f"read {missing or sys.executable}: make the course and its environment readable by others (chmod "
            "o+rX on them and on every folder above them), or install them where they are")


def missing_message() -> str:
    return ("aecourse grade runs every notebook in a bubblewrap sandbox, and bwrap is not usable here: install "
            "it (Debian/Ubuntu: apt-get install bubblewrap; Fedora: dnf install bubblewrap), or pass --no-sandbox "
            "to grade without one (only for notebooks you trust: their code can then read and write your files)")


def prepare_library(dest: Path, exercises: list[Exercise]) -> Path:
    """A copy of the aecourse package in DEST/aecourse whose answers to `exercises` refuse calls from outside the
    library (`guard`): every module outside aecourse/course registers its code, and the modules holding an answer
    hide it, with the module's private functions it calls (`_l1_activity` holds all of `l1_activity`'s math).
    Returns DEST, the folder to put on PYTHONPATH."""
    import aecourse
    source = Path(aecourse.__file__).resolve().parent
    dest.chmod(0o755)       # readable by the sandbox's user
    shutil.copytree(source, dest / "aecourse", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    hidden: dict[str, list[str]] = {}
    for e in exercises:
        if e.reference:
            module, name = e.reference.split(".")
            hidden.setdefault(module, []).append(name)
    package = dest / "aecourse"
    for path in sorted(package.rglob("*.py")):
        if (package / "course") in path.parents:
            continue
        module = path.relative_to(package).with_suffix("").as_posix().replace("/", ".")
        functions = {n.name: n for n in ast.parse(path.read_text(encoding="utf-8")).body
                     if isinstance(n, ast.FunctionDef)}
        lines = ["", "# added by aecourse grade: the library's code may call the exercises' answers, nothing else may",
                 "from aecourse.course.grading.guard import hide as _aecourse_hide, register as _aecourse_register",
                 "_aecourse_register()"]
        answers = [n for n in hidden.get(module, []) if n in functions]
        lines += [f"{n} = _aecourse_hide({n}, 'aecourse.{module}.{n}')" for n in answers + _private_callees(
            functions, answers)]
        with open(path, "a", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")
    return dest


def _private_callees(functions: dict[str, ast.FunctionDef], names: list[str]) -> list[str]:
    """The module's private functions (`_name`) that `names` call, directly or through one another."""
    found: list[str] = []
    todo = list(names)
    while todo:
        for node in ast.walk(functions[todo.pop()]):
            callee = node.func.id if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) else ""
            if callee.startswith("_") and callee in functions and callee not in found:
                found.append(callee)
                todo.append(callee)
    return found


def _system_binds() -> list[str]:
    args = []
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(top):
            args += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            args += ["--ro-bind", top, top]
    pythons = {os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)}
    pythons.add(str(Path(os.path.realpath(sys.executable)).parent.parent))
    for p in sorted(pythons):
        if not p.startswith("/usr/"):
            args += ["--ro-bind", p, p]
    if os.path.realpath(sys.prefix) != sys.prefix:
        args += ["--ro-bind", sys.prefix, sys.prefix]
    return ["--ro-bind", "/usr", "/usr", "--ro-bind", "/etc", "/etc"] + args


def environment(library: str, home: str) -> dict[str, str]:
    """The variables the notebook's processes get (nothing else of the grader's environment)."""
    env = {"PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin", "HOME": home,
           "PYTHONPATH": library, "MPLBACKEND": "Agg", "TQDM_DISABLE": "1", "PYTHONDONTWRITEBYTECODE": "1",
           "JUPYTER_RUNTIME_DIR": "/tmp/jupyter", "IPYTHONDIR": "/tmp/ipython", "MPLCONFIGDIR": "/tmp/matplotlib",
           "JUPYTER_PLATFORM_DIRS": "1", "LANG": "C.UTF-8"}
    for key in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "AECOURSE_DEVICE"):
        if key in os.environ:
            env[key] = os.environ[key]
    return env


def command(io: Path, library: Path, limits: Limits, *, sandboxed: bool, in_cgroup: bool = False) -> list[str]:
    """The command that runs the executor on IO/job.json: inside bwrap, or (sandboxed=False) as a plain process
    with the same limits and library copy. `in_cgroup`: the caller starts it in a cgroup, which caps its memory
    and processes (prlimit's per-uid cap would count every sandbox's processes together)."""
    # the cgroup caps the memory in use and the processes of the sandbox as a whole; without one, prlimit caps
    # each process's address space (torch maps far more than it uses) and the processes of the uid
    per_process = [] if in_cgroup else [f"--as={limits.memory}", f"--nproc={limits.processes}"]
    limit = [tool("prlimit"), *per_process, f"--cpu={limits.cpu}", f"--fsize={limits.file_size}", "--core=0",
             "--"] if tool("prlimit") else []
    run = [sys.executable, "-m", "aecourse.course.grading.executor"]
    if not sandboxed:
        return limit + run + [str(io / "job.json")]
    env = [a for k, v in environment(LIBRARY, HOME).items() for a in ("--setenv", k, v)]
    size = ["--size", str(limits.folder_size)]
    # The private /tmp comes first: bwrap mounts in order, and the Python environment may live under /tmp (a CI
    # clone's .venv), so its read-only bind must go on top of the tmpfs, not under it.
    return as_sandbox_user() + limit + [
        tool("bwrap"), *size, "--tmpfs", "/tmp", *_system_binds(), "--ro-bind", str(library), LIBRARY,
        "--ro-bind", str(io), IO, "--dev", "/dev", "--remount-ro", "/dev", *size, "--tmpfs", "/dev/shm",
        "--proc", "/proc", *size, "--tmpfs", HOME, "--chdir", HOME, "--unshare-all", "--unshare-user",
        "--disable-userns", "--cap-drop", "ALL", "--die-with-parent", "--new-session", "--clearenv", *env,
        *run, f"{IO}/job.json"]
