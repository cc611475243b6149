"""The sandbox a submission runs in: bubblewrap, resource limits, and a library copy with the answers hidden.

    prlimit --as=MEM --cpu=CPU --fsize=FILE --nproc=N --core=0 -- bwrap
        --ro-bind /usr /usr (and /bin, /lib... as the host has them)  --ro-bind /etc /etc
        --ro-bind PYTHON PYTHON (the interpreter's prefix and the virtual environment's)
        --ro-bind LIBRARY /opt/aecourse   (a copy of the aecourse package, see `prepare_library`)
        --ro-bind IO /grading             (this submission's notebook, job and the grader's socket only)
        --tmpfs /tmp --tmpfs /home/student (both of a fixed size)  --dev /dev --proc /proc
        --unshare-all --die-with-parent --new-session --clearenv ...
        python -m aecourse.course.grading.executor /grading/job.json

So the notebook sees no network (a new network namespace), no other hand-in, no solutions/, no output folder,
nothing writable outside its own two size-limited folders; it runs in a new PID namespace, so every process it
starts ends with it (a `setsid` child included), and bwrap ends when the grader does. The limits (prlimit) hold
for every process inside: address space, CPU seconds, the size of any file written, no core dumps, and a number
of processes (root is exempt from that one; the PID namespace and the memory limit still hold).
"""
from __future__ import annotations

import ast
import functools
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from ..checks import Exercise

LIBRARY, IO, HOME = "/opt/aecourse", "/grading", "/home/student"

# The library's implementation of what an exercise asks the learner to write: hidden inside the sandbox.
REFERENCES = {
    "01.principal_angles": ["pca.principal_angles"],
    "02.l1_activity": ["penalties.l1_activity"],
    "02.kl_sparsity": ["penalties.kl_sparsity"],
    "03.contractive_sigmoid": ["penalties.contractive_sigmoid"],
    "03.jacobian_frobenius_sq": ["penalties.jacobian_frobenius_sq"],
    "04.masking_noise": ["corruption.masking_noise"],
    "04.salt_and_pepper": ["corruption.salt_and_pepper_noise"],
    "04.masked_rmse": ["corruption.masked_rmse"],
    "05.knn_accuracy": ["evaluation.knn_accuracy"],
    "06.flip_masks": ["bits.flip_masks"],
    "06.precision_at_k": ["retrieval.precision_at_k"],
}


@dataclass(frozen=True)
class Limits:
    """Per submission: bytes of address space per process, CPU seconds per process, bytes per file written,
    processes, and the size of each of the two writable folders."""
    memory: int = 6 * 2 ** 30
    cpu: int = 1800
    file_size: int = 256 * 2 ** 20
    processes: int = 256
    folder_size: int = 512 * 2 ** 20


DEFAULT_LIMITS = Limits()


@functools.cache
def bwrap_works() -> bool:
    """True when bubblewrap is installed and can make the namespaces here (it needs user namespaces or root)."""
    if shutil.which("bwrap") is None:
        return False
    probe = subprocess.run(["bwrap", "--ro-bind", "/", "/", "--unshare-all", "--die-with-parent", "true"],
                           capture_output=True, timeout=60)
    return probe.returncode == 0


def missing_message() -> str:
    return ("aecourse grade runs every notebook in a bubblewrap sandbox, and bwrap is not usable here: install "
            "it (Debian/Ubuntu: apt-get install bubblewrap; Fedora: dnf install bubblewrap), or pass --no-sandbox "
            "to grade without one (only for notebooks you trust: their code can then read and write your files)")


def prepare_library(dest: Path, exercises: list[Exercise]) -> Path:
    """A copy of the aecourse package in DEST/aecourse whose reference implementations of `exercises` refuse
    calls from outside the library (`server.hide`). Returns DEST, the folder to put on PYTHONPATH."""
    import aecourse
    source = Path(aecourse.__file__).resolve().parent
    shutil.copytree(source, dest / "aecourse", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    by_module: dict[str, list[str]] = {}
    for e in exercises:
        for ref in REFERENCES.get(e.exercise_id, []):
            module, name = ref.split(".")
            by_module.setdefault(module, []).append(name)
    for module, names in by_module.items():
        path = dest / "aecourse" / f"{module}.py"
        defined = {n.name for n in ast.parse(path.read_text(encoding="utf-8")).body if isinstance(n, ast.FunctionDef)}
        lines = ["", "# added by aecourse grade: the exercise's answer refuses calls from outside the library",
                 "from aecourse.course.grading.server import hide as _aecourse_hide"]
        lines += [f"{n} = _aecourse_hide({n}, 'aecourse.{module}.{n}')" for n in names if n in defined]
        with open(path, "a", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")
    return dest


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


def command(io: Path, library: Path, limits: Limits, *, sandboxed: bool, home: Path | None = None) -> list[str]:
    """The command that runs the executor on IO/job.json: inside bwrap, or (sandboxed=False) as a plain process
    with the same limits and library copy, working in `home`."""
    limit = ["prlimit", f"--as={limits.memory}", f"--cpu={limits.cpu}", f"--fsize={limits.file_size}",
             f"--nproc={limits.processes}", "--core=0", "--"] if shutil.which("prlimit") else []
    run = [sys.executable, "-m", "aecourse.course.grading.executor"]
    if not sandboxed:
        return limit + run + [str(io / "job.json")]
    env = [a for k, v in environment(LIBRARY, HOME).items() for a in ("--setenv", k, v)]
    # The private /tmp comes first: bwrap mounts in order, and the Python environment may live under /tmp (a CI
    # clone's .venv), so its read-only bind must go on top of the tmpfs, not under it.
    return limit + ["bwrap", "--size", str(limits.folder_size), "--tmpfs", "/tmp", *_system_binds(),
                    "--ro-bind", str(library), LIBRARY, "--ro-bind", str(io), IO, "--dev", "/dev", "--proc", "/proc",
                    "--size", str(limits.folder_size), "--tmpfs", HOME, "--chdir", HOME,
                    "--unshare-all", "--die-with-parent", "--new-session", "--clearenv", *env,
                    *run, f"{IO}/job.json"]
