"""A cgroup per sandbox: memory, processes and a fair share of the CPU, bound for everything inside together.

prlimit's limits hold per process (a fork bomb multiplies them), RLIMIT_NPROC counts a uid across the machine
(every sandbox runs as the same unprivileged user), and a tmpfs's pages belong to no process. A cgroup holds the
sandbox as a whole: its memory (tmpfs and /dev/shm included) is capped and the kernel's OOM killer picks inside it,
its processes are capped, and it competes for the CPU as one entity however many processes it starts, so a class-
mate graded beside it keeps an equal share. After the run, `usage` says what the sandbox itself hit, which is how
the grader tells a student whether a crash was their notebook's doing.

Both layouts, through their files, as root: cgroup v1 (a hierarchy per controller, /sys/fs/cgroup/memory, ...) and
v2 (one hierarchy, /sys/fs/cgroup with cgroup.controllers). `create` returns None where neither can be made (not
root, controllers missing); `unavailable` says why, for the grader's warning.
"""
from __future__ import annotations

import contextlib
import functools
import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

PARENT = "aecourse-grade"     # every sandbox's cgroup is a child of this one
V1_CONTROLLERS = ("memory", "pids", "cpu")
# Runs as the first process of the command, so that everything the sandbox starts is born inside the cgroup:
# `sh -c ENTER sh PROCS... -- COMMAND...` writes its pid to each cgroup.procs file, makes itself the first choice of
# the machine's OOM killer (were the machine short of memory, a sandbox dies, never the grader), then becomes COMMAND.
ENTER = ('while [ "$1" != -- ]; do echo $$ > "$1" || exit 125; shift; done; shift; '
         'echo 1000 > /proc/self/oom_score_adj; exec "$@"')


@dataclass(frozen=True)
class Usage:
    """What a sandbox's cgroup recorded: the OOM killer ran in it, a fork failed at its process limit."""
    out_of_memory: bool
    process_limit: bool


def _mounts() -> list[tuple[str, str, set[str]]]:
    """(mount point, type, options) of every cgroup file system."""
    found = []
    with contextlib.suppress(OSError), open("/proc/self/mounts", encoding="utf-8") as f:
        for line in f:
            fields = line.split()
            if len(fields) >= 4 and fields[2] in ("cgroup", "cgroup2"):
                found.append((fields[1], fields[2], set(fields[3].split(","))))
    return found


@functools.cache
def _layout() -> tuple[str, dict[str, Path]] | str:
    """("v1", {controller: its hierarchy's PARENT folder}) or ("v2", {"": PARENT folder}), made if need be;
    or a string saying why no cgroup can be made here."""
    if os.geteuid() != 0:
        return "the grader is not running as root"
    mounts = _mounts()
    v1 = {c: Path(point) for point, kind, options in mounts if kind == "cgroup" for c in V1_CONTROLLERS
          if c in options}
    try:
        if set(V1_CONTROLLERS) <= v1.keys():
            folders = {c: point / PARENT for c, point in v1.items()}
            for folder in folders.values():
                folder.mkdir(exist_ok=True)
            _sweep("v1", folders)
            return _probe("v1", folders)
        root = next((Path(point) for point, kind, _ in mounts if kind == "cgroup2"
                     and (Path(point) / "cgroup.controllers").is_file()), None)
        if root is None:
            return "no cgroup file system with the memory, pids and cpu controllers is mounted"
        available = set((root / "cgroup.controllers").read_text().split())
        if not {"memory", "pids", "cpu"} <= available:
            return f"cgroup v2 at {root} lacks controllers (has {sorted(available)}, needs memory, pids, cpu)"
        parent = root / PARENT
        parent.mkdir(exist_ok=True)
        with contextlib.suppress(OSError):      # a child can only have the controllers its parent hands down
            (root / "cgroup.subtree_control").write_text("+memory +pids +cpu")
        (parent / "cgroup.subtree_control").write_text("+memory +pids +cpu")
        _sweep("v2", {"": parent})
        return _probe("v2", {"": parent})
    except OSError as err:
        return f"could not make a cgroup ({err})"


def _probe(version: str, parents: dict[str, Path]) -> tuple[str, dict[str, Path]] | str:
    """The layout, once a process has been seen to enter a cgroup of it (a container or a delegated tree may
    refuse), else why not."""
    probe = Cgroup(version, {c: parent / f"{os.getpid()}-probe" for c, parent in parents.items()})
    try:
        for folder in probe.folders.values():
            folder.mkdir(exist_ok=True)
        entered = subprocess.run(probe.enter(["true"]), capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.SubprocessError) as err:
        return f"could not start a process in a cgroup ({err})"
    finally:
        probe.remove()
    return (version, parents) if entered else "could not start a process in a cgroup (its cgroup.procs refused)"


def _sweep(version: str, parents: dict[str, Path]) -> None:
    """Remove the cgroups a grader that was killed left behind (named PID-..., that PID no longer running)."""
    names = {p.name for parent in parents.values() for p in parent.iterdir() if p.is_dir()}
    for name in names:
        if not os.path.exists(f"/proc/{name.split('-')[0]}"):
            Cgroup(version, {c: parent / name for c, parent in parents.items()}).remove()


def unavailable() -> str:
    """Why sandboxes get no cgroup here ("" when they do)."""
    layout = _layout()
    return layout if isinstance(layout, str) else ""


class Cgroup:
    """One sandbox's cgroup: its folders (one per v1 hierarchy, or one v2 folder)."""

    def __init__(self, version: str, folders: dict[str, Path]):
        self.version, self.folders = version, folders

    def procs(self) -> list[str]:
        """The cgroup.procs files a process writes its pid to, to enter the cgroup."""
        return [str(folder / "cgroup.procs") for folder in self.folders.values()]

    def enter(self, command: list[str]) -> list[str]:
        """`command`, started inside this cgroup (by the system's sh, never a program a sandbox could write)."""
        return ["/bin/sh", "-c", ENTER, "sh", *self.procs(), "--", *command]

    def _read(self, controller: str, name: str) -> str:
        """The file `name` of this cgroup's folder for `controller` (v2 has one folder for all); "" if unreadable."""
        folder = self.folders.get(controller if self.version == "v1" else "")
        try:
            return (folder / name).read_text() if folder is not None else ""
        except OSError:
            return ""

    def usage(self) -> Usage:
        def count(text: str, key: str) -> int:
            return next((int(v) for k, v in (line.split()[:2] for line in text.splitlines() if len(line.split()) > 1)
                         if k == key), 0)
        memory = self._read("memory", "memory.oom_control" if self.version == "v1" else "memory.events")
        return Usage(out_of_memory=count(memory, "oom_kill") > 0,
                     process_limit=count(self._read("pids", "pids.events"), "max") > 0)

    def _pids(self) -> list[int]:
        text = self._read("pids", "cgroup.procs")
        return [int(p) for p in text.split()]

    def kill(self) -> None:
        """SIGKILL every process inside, until none is left (forks cannot outrun it: the process limit binds)."""
        if self.version == "v2":
            with contextlib.suppress(OSError):
                (self.folders[""] / "cgroup.kill").write_text("1")
        for _ in range(200):
            pids = self._pids()
            if not pids:
                return
            for pid in pids:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.01)

    def remove(self) -> None:
        """Kill what is left and remove the folders (the kernel keeps them until the last process is reaped)."""
        self.kill()
        for folder in self.folders.values():
            for _ in range(100 if folder.exists() else 0):
                try:
                    folder.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.02)


def create(name: str, *, memory: int, processes: int) -> Cgroup | None:
    """A new cgroup NAME for one sandbox, with at most `memory` bytes (swap included where the kernel accounts it)
    and `processes` processes; None where `unavailable()`."""
    layout = _layout()
    if isinstance(layout, str):
        return None
    version, parents = layout
    folders = {controller: parent / name for controller, parent in parents.items()}
    try:
        for folder in folders.values():
            folder.mkdir()
        cgroup = Cgroup(version, folders)
        if version == "v1":
            (folders["memory"] / "memory.limit_in_bytes").write_text(str(memory))
            swap = folders["memory"] / "memory.memsw.limit_in_bytes"
            if swap.exists():
                swap.write_text(str(memory))
            (folders["pids"] / "pids.max").write_text(str(processes))
        else:
            (folders[""] / "memory.max").write_text(str(memory))
            with contextlib.suppress(OSError):     # absent where swap is not accounted
                (folders[""] / "memory.swap.max").write_text("0")
            (folders[""] / "pids.max").write_text(str(processes))
        return cgroup
    except OSError:
        for folder in folders.values():
            with contextlib.suppress(OSError):
                folder.rmdir()
        return None
