"""deploy/: the Zero to JupyterHub values held to the course's measurements, the image recipe, and the instructor's
collect script (deploy/collect-notebooks) on fake home folders. No hub, node or root needed."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
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


@pytest.fixture
def homes(tmp_path) -> Path:
    """TLJH-style homes: two learners with their warm-up, one without, one whose notebook is a symlink out."""
    homes = tmp_path / "home"
    for user, text in (("jupyter-ann", "ann's work"), ("jupyter-bob", "bob's work")):
        folder = homes / user / "aecourse" / "exercises"
        folder.mkdir(parents=True)
        (folder / "00_warmup.ipynb").write_text(notebook(text))
    (homes / "jupyter-cid" / "aecourse").mkdir(parents=True)
    secret = tmp_path / "secret.txt"
    secret.write_text("not a learner's file")
    sneaky = homes / "jupyter-dee" / "aecourse" / "exercises"
    sneaky.mkdir(parents=True)
    (sneaky / "00_warmup.ipynb").symlink_to(secret)
    return homes


@pytest.mark.skipif(shutil.which("realpath") is None, reason="needs coreutils' realpath")
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
    assert (homes / "jupyter-ann" / "aecourse" / "exercises" / "00_warmup.ipynb").exists(), "homes are only read"


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
