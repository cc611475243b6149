"""deploy/: the Zero to JupyterHub values held to the course's measurements, the image recipe, and the instructor's
collect script (deploy/collect-notebooks) on fake home folders. No hub or node needed; the collect script's tests
against learners' links and races need root (to give each fake home its learner's uid) and skip without it."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
COLLECT = ROOT / "deploy" / "collect-notebooks"


def test_memory_per_learner_holds_the_heaviest_kernel(memory_sizing):
    assert memory_sizing["guarantee"] >= memory_sizing["largest_kernel"] + 0.2 * 2**30, \
        "the guarantee must hold the heaviest lesson kernel (1.1 GiB) and a Jupyter server beside it"
    assert memory_sizing["limit"] >= memory_sizing["guarantee"] + memory_sizing["largest_kernel"] / 2, \
        "the limit must leave room for a second notebook (an exercise beside its lesson)"


def lesson_cpu_seconds() -> dict[str, float]:
    """Kernel CPU-seconds per lesson, as measured in benchmarks/results/notebook_times.md."""
    table = (ROOT / "benchmarks" / "results" / "notebook_times.md").read_text()
    rows = [[cell.strip() for cell in line.strip("|").split("|")] for line in table.splitlines()
            if line.startswith("| notebooks/")]
    return {row[0]: float(row[2]) for row in rows}  # notebook | seconds | kernel CPU s | ...


def test_cpu_lets_the_heaviest_lesson_finish_when_everyone_runs_it(deploy_config):
    cpu = deploy_config["singleuser"]["cpu"]
    lessons = lesson_cpu_seconds()
    assert len(lessons) >= 8, f"benchmarks/results/notebook_times.md lists too few lessons: {lessons}"
    heaviest = max(lessons.values())
    assert heaviest / cpu["guarantee"] <= 180, f"with every learner busy the heaviest lesson ({heaviest} CPU-s) " \
                                               f"must end within 3 minutes on the guaranteed {cpu['guarantee']} core"
    assert cpu["limit"] >= 1 >= cpu["guarantee"] > 0
    threads = deploy_config["singleuser"]["extraEnv"]
    assert int(threads["OMP_NUM_THREADS"]) == int(threads["MKL_NUM_THREADS"]) == cpu["limit"]


def test_idle_servers_are_culled(deploy_config):
    cull = deploy_config["cull"]
    assert cull["enabled"] is True
    assert 15 * 60 <= cull["timeout"] <= 4 * 3600 and cull["every"] <= cull["timeout"]


def test_the_course_arrives_by_nbgitpuller_where_the_links_and_the_collect_script_expect_it(deploy_config):
    singleuser = deploy_config["singleuser"]
    command = " ".join(singleuser["lifecycleHooks"]["postStart"]["exec"]["command"])
    pull = re.search(r"gitpuller (\S+) (\S+) (\S+) \|\| true", command)
    assert pull, f"postStart must run `gitpuller URL BRANCH FOLDER || true`, not: {command}"
    folder = pull.group(3)
    assert singleuser["defaultUrl"] == f"/lab/tree/{folder}/notebooks/00_start_here.ipynb"
    assert f"course=${{4:-{folder}}}" in COLLECT.read_text(), "collect-notebooks must default to the same folder"
    assert "nbgitpuller" in (ROOT / "binder" / "requirements.txt").read_text(), "the image needs nbgitpuller"


def test_the_image_keeps_the_course_outside_the_learners_home():
    script = (ROOT / "deploy" / "build-image").read_text()
    assert "jupyter-repo2docker" in script and "--target-repo-dir /srv/aecourse" in script
    assert "--user-id 1000" in script  # z2jh's singleuser.uid default, so the home volume is writable


# --- deploy/collect-notebooks -------------------------------------------------------------------------------------

def notebook(text: str) -> str:
    return json.dumps({"cells": [{"cell_type": "markdown", "metadata": {}, "source": text}], "metadata": {},
                       "nbformat": 4, "nbformat_minor": 5})


def collect(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(COLLECT), *args], capture_output=True, text=True)


IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
SYSTEM_PYTHON = "/usr/bin/python3" if os.access("/usr/bin/python3", os.X_OK) else shutil.which("python3")
# the collect script reads each home through the system's python3, in a new session (setsid), under a time limit
needs_linux_tools = pytest.mark.skipif(
    SYSTEM_PYTHON is None or shutil.which("setsid") is None or shutil.which("timeout") is None,
    reason="the collect script needs python3, setsid and timeout (util-linux and coreutils, as on a Linux hub host)")
needs_root = pytest.mark.skipif(
    not IS_ROOT or shutil.which("setpriv") is None,
    reason="needs root (and util-linux's setpriv) to give each fake home its own learner's uid, as on a hub")
ANN, BOB, MALLORY = 65531, 65532, 65533  # unprivileged uids (and gids) of no one: no /etc/passwd entry needed


@pytest.fixture
def learners_tmp(tmp_path) -> Path:
    """A folder for fake homes. As root: a fresh /tmp folder of mode 0755 (pytest's own may be root's 0700, which
    the learners' uids the script reads as could not pass), removed afterwards."""
    if not IS_ROOT:
        yield tmp_path
        return
    folder = Path(tempfile.mkdtemp(prefix="aecourse-collect-", dir="/tmp"))
    try:
        folder.chmod(0o755)
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def give(home: Path, uid: int) -> Path:
    """As root, hand a fake home and all in it (links themselves, not what they point to) to `uid`, home mode 0700."""
    if IS_ROOT:
        for folder, dirs, files in os.walk(home):
            for entry in (folder, *(os.path.join(folder, name) for name in dirs + files)):
                os.chown(entry, uid, uid, follow_symlinks=False)
        home.chmod(0o700)
    return home


def exercises(homes: Path, user: str) -> Path:
    folder = homes / user / "aecourse" / "exercises"
    folder.mkdir(parents=True)
    return folder


@pytest.fixture
def homes(learners_tmp) -> Path:
    """TLJH-style homes: two learners with their warm-up, one without, one whose notebook is a symlink out."""
    homes = learners_tmp / "home"
    for uid, (user, text) in enumerate((("jupyter-ann", "ann's work"), ("jupyter-bob", "bob's work")), 65521):
        (exercises(homes, user) / "00_warmup.ipynb").write_text(notebook(text))
        give(homes / user, uid)
    (homes / "jupyter-cid" / "aecourse").mkdir(parents=True)
    give(homes / "jupyter-cid", 65523)
    secret = learners_tmp / "secret.txt"
    secret.write_text("not a learner's file")
    (exercises(homes, "jupyter-dee") / "00_warmup.ipynb").symlink_to(secret)
    give(homes / "jupyter-dee", 65524)
    return homes


@needs_linux_tools
def test_collect_copies_each_learners_notebook_and_marks_the_missing(homes, tmp_path):
    out = tmp_path / "submitted"
    done = collect("00_warmup", str(out), str(homes), "aecourse")
    assert done.returncode == 0, done.stderr
    assert "collected 2 notebook(s)" in done.stdout
    assert sorted(p.name for p in out.iterdir()) == ["ann", "bob", "cid", "dee"]  # "jupyter-" dropped
    assert "ann's work" in (out / "ann" / "00_warmup.ipynb").read_text()
    assert "bob's work" in (out / "bob" / "00_warmup.ipynb").read_text()
    assert list((out / "cid").iterdir()) == [], "a learner without the notebook gets an empty folder: 'missing'"
    assert list((out / "dee").iterdir()) == [], "a symlink out of the learner's home must not be followed"
    assert "skipped jupyter-dee: aecourse/exercises/00_warmup.ipynb is a symbolic link" in done.stderr
    assert "jupyter-cid" not in done.stderr, "a missing notebook is reported by the grader, not as a refusal"
    assert (homes / "jupyter-ann" / "aecourse" / "exercises" / "00_warmup.ipynb").exists(), "homes are only read"


@pytest.fixture
def classmates(learners_tmp) -> Path:
    """Root's view of a hub: bob's notebook is private to him (0600, home 0700); mallory's home is empty for now."""
    homes = learners_tmp / "home"
    (exercises(homes, "jupyter-bob") / "00_warmup.ipynb").write_text(notebook("bob-secret"))
    (homes / "jupyter-bob" / "aecourse" / "exercises" / "00_warmup.ipynb").chmod(0o600)
    give(homes / "jupyter-bob", BOB)
    exercises(homes, "jupyter-mallory")
    return homes


def bobs_notebook(homes: Path) -> Path:
    return homes / "jupyter-bob" / "aecourse" / "exercises" / "00_warmup.ipynb"


def collected(out: Path) -> str:
    return "".join(p.read_text(errors="replace") for p in out.rglob("*") if p.is_file())


@needs_root
@needs_linux_tools
def test_collect_refuses_a_notebook_that_is_a_symlink_to_a_classmates(classmates, tmp_path):
    (classmates / "jupyter-mallory" / "aecourse" / "exercises" / "00_warmup.ipynb").symlink_to(
        bobs_notebook(classmates))
    give(classmates / "jupyter-mallory", MALLORY)
    out = tmp_path / "out"
    done = collect("00_warmup", str(out), str(classmates))
    assert done.returncode == 0 and "collected 1 notebook(s)" in done.stdout, done.stderr
    assert list((out / "mallory").iterdir()) == [], "a symlinked notebook is refused: 'missing'"
    assert "bob-secret" in (out / "bob" / "00_warmup.ipynb").read_text()
    assert "skipped jupyter-mallory: aecourse/exercises/00_warmup.ipynb is a symbolic link; " \
           "a learner hands in the notebook file itself" in done.stderr, done.stderr


@needs_root
@needs_linux_tools
@pytest.mark.parametrize("linked", ["aecourse", "exercises"])
def test_collect_refuses_a_symlinked_folder_on_the_way_to_the_notebook(classmates, tmp_path, linked):
    mallory = classmates / "jupyter-mallory"
    shutil.rmtree(mallory / "aecourse")
    if linked == "aecourse":
        (mallory / "aecourse").symlink_to(classmates / "jupyter-bob" / "aecourse")
        says = "aecourse is a symbolic link"
    else:
        (mallory / "aecourse").mkdir()
        (mallory / "aecourse" / "exercises").symlink_to(bobs_notebook(classmates).parent)
        says = "aecourse/exercises is a symbolic link"
    give(mallory, MALLORY)
    out = tmp_path / "out"
    done = collect("00_warmup", str(out), str(classmates))
    assert done.returncode == 0, done.stderr
    assert list((out / "mallory").iterdir()) == [] and "bob-secret" not in collected(out / "mallory")
    assert f"skipped jupyter-mallory: {says}" in done.stderr, done.stderr


@needs_root
@needs_linux_tools
def test_collect_refuses_a_hard_link(classmates, tmp_path):
    # a hard link to a file one cannot read can be made where fs.protected_hardlinks is off; root makes it here
    os.link(bobs_notebook(classmates), classmates / "jupyter-mallory" / "aecourse" / "exercises" / "00_warmup.ipynb")
    give(classmates / "jupyter-mallory", MALLORY)
    bobs_notebook(classmates).chmod(0o644)  # even readable by mallory, a link to another's file is not a hand-in
    out = tmp_path / "out"
    done = collect("00_warmup", str(out), str(classmates))
    assert done.returncode == 0, done.stderr
    assert list((out / "mallory").iterdir()) == []
    assert "skipped jupyter-mallory: aecourse/exercises/00_warmup.ipynb has 2 hard links" in done.stderr, done.stderr
    assert "skipped jupyter-bob: aecourse/exercises/00_warmup.ipynb has 2 hard links" in done.stderr, done.stderr


@needs_root
@needs_linux_tools
def test_collect_refuses_what_is_not_a_notebook_file_and_a_home_owned_by_root(classmates, tmp_path):
    folder = classmates / "jupyter-mallory" / "aecourse" / "exercises"
    os.mkfifo(folder / "00_warmup.ipynb")  # a named pipe would block a plain reader
    give(classmates / "jupyter-mallory", MALLORY)
    with open(exercises(classmates, "jupyter-zed") / "00_warmup.ipynb", "wb") as huge:
        huge.truncate(50 * 2 ** 20 + 1)  # sparse: one byte over the grader's limit
    give(classmates / "jupyter-zed", MALLORY + 1)
    (exercises(classmates, "rooted") / "00_warmup.ipynb").write_text(notebook("root's"))  # left root's
    out = tmp_path / "out"
    done = collect("00_warmup", str(out), str(classmates))
    assert done.returncode == 0 and "collected 1 notebook(s)" in done.stdout, done.stderr
    assert [p.name for p in out.rglob("*") if p.is_file()] == ["00_warmup.ipynb"]  # bob's only
    assert "skipped jupyter-mallory: aecourse/exercises/00_warmup.ipynb is not a regular file" in done.stderr
    assert "skipped jupyter-zed: aecourse/exercises/00_warmup.ipynb is larger than 50 MiB" in done.stderr
    assert "skipped rooted: " in done.stderr and "is owned by root" in done.stderr, done.stderr


SWAPPER = """
import os, sys
target, bobs = sys.argv[1], sys.argv[2]
folder = os.path.dirname(target)
real, link = os.path.join(folder, "real.tmp"), os.path.join(folder, "link.tmp")
while True:
    with open(real, "w") as f:
        f.write('{"mallory": "my own work"}')
    os.replace(real, target)
    try:
        os.symlink(bobs, link)
    except FileExistsError:
        pass
    os.replace(link, target)
"""


@needs_root
@needs_linux_tools
def test_collect_never_copies_a_classmates_notebook_while_a_learner_swaps_file_and_symlink(classmates, tmp_path):
    folder = classmates / "jupyter-mallory" / "aecourse" / "exercises"
    target = folder / "00_warmup.ipynb"
    target.write_text('{"mallory": "my own work"}')
    give(classmates / "jupyter-mallory", MALLORY)
    swapper = subprocess.Popen(["setpriv", f"--reuid={MALLORY}", f"--regid={MALLORY}", "--clear-groups",
                                SYSTEM_PYTHON, "-I", "-c", SWAPPER, str(target), str(bobs_notebook(classmates))],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    leaked, mallorys, refused = [], 0, 0
    try:
        time.sleep(0.2)
        assert swapper.poll() is None, f"the learner's swapping process died: {swapper.stderr.read()}"
        for attempt in range(40):
            out = tmp_path / f"out{attempt}"
            done = collect("00_warmup", str(out), str(classmates))
            assert done.returncode == 0, done.stderr
            handed_in = collected(out / "mallory")
            if "bob-secret" in handed_in:
                leaked.append(attempt)
            mallorys += "mallory" in handed_in
            refused += "skipped jupyter-mallory:" in done.stderr
        assert swapper.poll() is None, f"the learner's swapping process died: {swapper.stderr.read()}"
    finally:
        swapper.terminate()
        swapper.wait(timeout=10)
    print(f"race: {len(leaked)} of 40 collections leaked bob's notebook; mallory's own collected {mallorys}, "
          f"refused {refused}", file=sys.stderr)
    assert leaked == [], f"{len(leaked)} of 40 collections copied bob's private notebook as mallory's"
    assert mallorys + refused == 40, "each collection takes mallory's own file or refuses her symlink"


@needs_root
@needs_linux_tools
def test_collect_copies_honest_learners_byte_for_byte(classmates, tmp_path):
    work = notebook("ann's work: ünïcode, \\u2713, tabs\t and CRLF\r\n").encode() + b"\n" + bytes(range(256)) * 8192
    (exercises(classmates, "jupyter-ann") / "00_warmup.ipynb").write_bytes(work)  # 2 MiB: read in several chunks
    give(classmates / "jupyter-ann", ANN)
    (classmates / "jupyter-mallory" / "aecourse" / "exercises" / "00_warmup.ipynb").write_text(notebook("mallory"))
    give(classmates / "jupyter-mallory", MALLORY)
    out = tmp_path / "out"
    done = collect("00_warmup", str(out), str(classmates))
    assert done.returncode == 0 and "collected 3 notebook(s)" in done.stdout, done.stderr
    assert done.stderr == ""
    assert (out / "ann" / "00_warmup.ipynb").read_bytes() == work
    assert (out / "bob" / "00_warmup.ipynb").read_bytes() == bobs_notebook(classmates).read_bytes()
    assert (out / "mallory" / "00_warmup.ipynb").read_text() == notebook("mallory")
    assert sorted(p.name for p in (out / "ann").iterdir()) == ["00_warmup.ipynb"], "no partial file is left behind"
    assert (out / "ann" / "00_warmup.ipynb").stat().st_uid == 0, "DEST stays root's"


def test_collect_from_no_homes_collects_nothing(tmp_path):
    (tmp_path / "home").mkdir()
    done = collect("00_warmup", str(tmp_path / "out"), str(tmp_path / "home"))
    assert done.returncode == 0 and "collected 0 notebook(s)" in done.stdout, done.stderr
    assert list((tmp_path / "out").iterdir()) == []


@pytest.mark.parametrize("args, says", [
    ((), "usage:"),
    (("00_warmup.ipynb", "out"), "without .ipynb"),
    (("../00_warmup", "out"), "without .ipynb"),
    (("00_warmup", "out", "/no/such/folder"), "is not a folder"),
])
def test_collect_refuses_bad_arguments_and_says_what_it_wants(args, says):
    done = collect(*args)
    assert done.returncode == 2 and says in done.stderr, done.stderr
