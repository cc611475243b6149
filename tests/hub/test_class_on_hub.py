"""A class on one hub: three learners on a real JupyterHub (conftest.py), from the course's delivery to the grades.

One scenario, in the order a class lives it: the learners log in (a token each, through the hub's REST API), their
servers start at the same time, nbgitpuller clones the course into each home from a local clone of this repository
(no network), each learner works on the warm-up exercise and runs its check cell through the server's kernel API,
one learner tries to open another's files and is refused, the instructor changes a lesson and the learners pull
again (their edited exercise is kept, the lesson is updated), and the instructor collects the exercise notebooks
from the homes (deploy/collect-notebooks) and grades them (`python -m aecourse grade`).
"""
from __future__ import annotations

import asyncio
import csv
import json
import re
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import psutil

ROOT = Path(__file__).resolve().parents[2]
COURSE_DIR = "aecourse"  # nbgitpuller's target folder in each home, as in deploy/config.yaml
WARMUP = f"{COURSE_DIR}/exercises/00_warmup.ipynb"
LESSON = f"{COURSE_DIR}/notebooks/00_start_here.ipynb"
RIGHT = "    return ((x - x_hat) ** 2).mean()"
WRONG = "    return ((x - x_hat) ** 2).sum()  # sums where the exercise asks for the mean"
UPDATE = "Note for this class: the lesson was updated after you started."


# --- the source of the course: a local clone the learners pull from --------------------------------------------

def git(*args: str, cwd: Path) -> str:
    return subprocess.run(["git", "-c", "user.name=Instructor", "-c", "user.email=instructor@example.invalid",
                           *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


def course_source(folder: Path) -> tuple[str, str, Path]:
    """Clone this repository into `folder` (readable by the learners); returns (file:// URL, branch, clone). A
    checkout on no branch (a commit checked out, as `git bisect` and many CIs do) gets one in the clone: nbgitpuller
    pulls a branch."""
    clone = folder / "source" / "aecourse"
    clone.parent.mkdir(mode=0o755)
    subprocess.run(["git", "clone", "--quiet", "--no-hardlinks", str(ROOT), str(clone)], check=True,
                   capture_output=True)
    branch = git("rev-parse", "--abbrev-ref", "HEAD", cwd=clone)
    if branch == "HEAD":
        branch = "course"
        git("switch", "--quiet", "--create", branch, cwd=clone)
    subprocess.run(["chmod", "-R", "a+rX", str(clone.parent)], check=True)
    return clone.as_uri(), branch, clone


def update_lesson(clone: Path) -> None:
    """The instructor adds a note to lesson 00 in the source and commits it."""
    path = clone / "notebooks" / "00_start_here.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells.insert(1, nbformat.v4.new_markdown_cell(UPDATE, id="classnote"))
    nbformat.write(nb, path)
    git("commit", "--quiet", "-am", "lesson 00: a note for the class", cwd=clone)
    subprocess.run(["chmod", "-R", "a+rX", str(clone)], check=True)


# --- what a learner does through the hub ------------------------------------------------------------------------

def log_in(hub, learner) -> None:
    """Create the learner on the hub and give them an API token (what logging in gives a browser)."""
    status, _ = hub.request("POST", f"/hub/api/users/{learner.name}")
    assert status in (201, 409), f"creating {learner.name}: HTTP {status}"
    status, reply = hub.request("POST", f"/hub/api/users/{learner.name}/tokens",
                                {"note": "hub test", "expires_in": 3600})
    assert status in (200, 201), f"token for {learner.name}: HTTP {status} {reply}"
    learner.token = reply["token"]


def start_servers(hub, learners, timeout: float = 120) -> None:
    """Ask for every learner's server at once, then wait until the hub reports all of them ready."""
    for learner in learners:
        status, reply = hub.request("POST", f"/hub/api/users/{learner.name}/server", token=learner.token)
        assert status in (201, 202), f"spawning {learner.name}: HTTP {status} {reply}\n{hub.log()}"
    deadline = time.monotonic() + timeout
    waiting = {learner.name for learner in learners}
    while waiting and time.monotonic() < deadline:
        for name in sorted(waiting):
            _, model = hub.request("GET", f"/hub/api/users/{name}")
            if model["servers"].get("", {}).get("ready"):
                waiting.discard(name)
        time.sleep(0.5)
    assert not waiting, f"servers not ready after {timeout} s: {sorted(waiting)}\n{hub.log()}"


def server_api(hub, learner, method: str, path: str, body=None):
    """A call to the learner's own server through the hub's proxy, with the learner's token."""
    return hub.request(method, f"/user/{learner.name}/api/{path}", body, token=learner.token)


def git_pull(hub, learner, repo: str, branch: str) -> list[dict]:
    """nbgitpuller's sync endpoint (what its links call): clone or merge `repo` into ~/aecourse; the events."""
    query = urllib.parse.urlencode({"repo": repo, "branch": branch, "targetpath": COURSE_DIR})
    req = urllib.request.Request(f"{hub.url}/user/{learner.name}/git-pull/api?{query}",
                                 headers={"Authorization": f"token {learner.token}"})
    with urllib.request.urlopen(req, timeout=120) as stream:
        events = [json.loads(line[len(b"data: "):]) for line in stream.read().splitlines()
                  if line.startswith(b"data: ")]
    assert events and events[-1].get("phase") == "finished", f"nbgitpuller for {learner.name}: {events[-3:]}"
    return events


def everyone_pulls(hub, repo: str, branch: str) -> None:
    """Every learner follows the course's nbgitpuller link at about the same time, as a class does."""
    with ThreadPoolExecutor(len(hub.learners)) as pool:
        list(pool.map(lambda learner: git_pull(hub, learner, repo, branch), hub.learners))


def read_notebook(hub, learner, path: str) -> nbformat.NotebookNode:
    status, model = server_api(hub, learner, "GET", f"contents/{path}?content=1")
    assert status == 200, f"{learner.name} cannot open {path}: HTTP {status} {model}"
    return nbformat.from_dict(model["content"])


def answer(hub, learner, body: str) -> nbformat.NotebookNode:
    """The learner writes `body` into the exercise's function and saves the notebook (the contents API)."""
    nb = read_notebook(hub, learner, WARMUP)
    cell = next(c for c in nb.cells if c.cell_type == "code" and "raise NotImplementedError()" in c.source)
    cell.source = re.sub(r" *# YOUR CODE HERE\n *raise NotImplementedError\(\)", body, cell.source)
    assert body in cell.source, f"the exercise's stub changed shape: {cell.source}"
    status, reply = server_api(hub, learner, "PUT", f"contents/{WARMUP}",
                               {"type": "notebook", "format": "json", "content": nb})
    assert status == 200, f"saving {learner.name}'s notebook: HTTP {status} {reply}"
    return nb


async def run_in_kernel(hub, learner, codes: list[str], timeout: float = 180) -> list[dict]:
    """Start a kernel on the learner's server and run each code in it over the kernel websocket (the protocol a
    notebook page speaks); for each, {"status": ok|error, "text": stdout + stderr + the error's name and value}."""
    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    status, kernel = server_api(hub, learner, "POST", "kernels", {"name": "python3"})
    assert status == 201, f"kernel for {learner.name}: HTTP {status} {kernel}"
    ws_url = hub.url.replace("http", "ws", 1) + f"/user/{learner.name}/api/kernels/{kernel['id']}/channels"
    socket = await websocket_connect(HTTPRequest(ws_url, headers={"Authorization": f"token {learner.token}"}))
    session, results = uuid.uuid4().hex, []
    try:
        for code in codes:
            msg_id = uuid.uuid4().hex
            await socket.write_message(json.dumps({
                "header": {"msg_id": msg_id, "msg_type": "execute_request", "username": learner.name,
                           "session": session, "date": "", "version": "5.3"},
                "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
                "content": {"code": code, "silent": False, "store_history": True, "user_expressions": {},
                            "allow_stdin": False, "stop_on_error": True}}))
            text, reply, idle = [], None, False
            while reply is None or not idle:
                raw = await asyncio.wait_for(socket.read_message(), timeout)
                assert raw is not None, f"{learner.name}'s kernel websocket closed"
                msg = json.loads(raw)
                if msg.get("parent_header", {}).get("msg_id") != msg_id:
                    continue
                kind, content = msg["msg_type"], msg["content"]
                if kind == "stream":
                    text.append(content["text"])
                elif kind == "error":
                    text.append(f"{content['ename']}: {content['evalue']}")
                elif kind == "execute_reply":
                    reply = content["status"]
                elif kind == "status" and content["execution_state"] == "idle":
                    idle = True
            results.append({"status": reply, "text": "".join(text)})
    finally:
        socket.close()
    return results


def warmup_cells(nb: nbformat.NotebookNode) -> list[str]:
    """The warm-up's code cells up to and including its check cell (the training demo after it is not needed)."""
    codes = []
    for cell in nb.cells:
        if cell.cell_type == "code":
            codes.append(cell.source)
            if 'check("00.' in cell.source:
                return codes
    raise AssertionError("the warm-up exercise has no check cell")


def passed_all(result: dict) -> bool:
    """The check cell's verdict, read robustly: it ran without error and no case failed or was skipped."""
    counts = re.findall(r"(\d+)\s*/\s*(\d+)", result["text"])
    return (result["status"] == "ok" and "not attempted" not in result["text"].lower()
            and all(done == total for done, total in counts))


def listening_addresses(pid: int) -> set[str]:
    """The IP addresses on which the hub, its proxy, the learners' servers and their kernels listen."""
    family = {pid} | {child.pid for child in psutil.Process(pid).children(recursive=True)}
    return {conn.laddr.ip for conn in psutil.net_connections(kind="inet")
            if conn.status == psutil.CONN_LISTEN and conn.pid in family}


# --- the scenario -----------------------------------------------------------------------------------------------

def resident_memory(learner) -> dict[str, int]:
    """Bytes of resident memory of the learner's Jupyter server and of their kernels (all their processes)."""
    found = {"server": 0, "kernels": 0}
    for process in psutil.process_iter(["uids", "cmdline", "memory_info"]):
        if process.info["uids"] and process.info["uids"].real == learner.uid and process.info["memory_info"]:
            kind = "kernels" if "ipykernel_launcher" in " ".join(process.info["cmdline"] or []) else "server"
            found[kind] += process.info["memory_info"].rss
    return found


def test_a_class_on_one_hub(hub, tmp_path, memory_sizing):
    alice, bob, carol = hub.learners  # a correct answer, a wrong one, an untouched handout
    repo, branch, source = course_source(hub.root)

    for learner in hub.learners:
        log_in(hub, learner)
    start_servers(hub, hub.learners)
    everyone_pulls(hub, repo, branch)
    for learner in hub.learners:
        assert (learner.home / WARMUP).stat().st_uid == learner.uid, "the course must belong to its learner"

    answer(hub, alice, RIGHT)
    answer(hub, bob, WRONG)
    notebooks = {learner.name: read_notebook(hub, learner, WARMUP) for learner in hub.learners}

    private = f"{carol.home}/{WARMUP}"
    probe = f"""
import json, os
def attempt(action):
    try:
        action()
        return "allowed"
    except PermissionError:
        return "denied"
print(json.dumps({{"uid": os.getuid(),
                  "own": attempt(lambda: open(os.path.expanduser("~/{WARMUP}")).read()),
                  "list": attempt(lambda: os.listdir({str(carol.home)!r})),
                  "read": attempt(lambda: open({private!r}).read()),
                  "write": attempt(lambda: open({private!r}, "a").write("# alice was here")),
                  "create": attempt(lambda: open({str(carol.home / "from_alice.txt")!r}, "w").write("x"))}}))
"""

    async def everyone():
        runs = [run_in_kernel(hub, learner, warmup_cells(notebooks[learner.name])) for learner in hub.learners]
        checks = await asyncio.gather(*runs)
        isolation = await run_in_kernel(hub, alice, [probe])
        memory = {learner.name: resident_memory(learner) for learner in hub.learners}
        return checks, isolation, listening_addresses(hub.process.pid), memory

    with ThreadPoolExecutor(1) as thread:   # a loop of its own: an earlier test in this process may have one running
        checks, isolation, addresses, memory = thread.submit(asyncio.run, everyone()).result()
    check_alice, check_bob, check_carol = (runs[-1] for runs in checks)
    for learner, runs in zip(hub.learners, checks):
        for run in runs[:-1]:
            assert run["status"] == "ok", f"{learner.name}'s cell failed before the check: {run['text']}"
    assert passed_all(check_alice), f"a correct answer must pass every case: {check_alice}"
    assert not passed_all(check_bob) and "not attempted" not in check_bob["text"].lower(), check_bob
    assert "not attempted" in check_carol["text"].lower(), f"the handout must read 'not attempted': {check_carol}"

    seen = json.loads(isolation[0]["text"])
    assert seen["uid"] == alice.uid, "alice's kernel must run as alice's OS user"
    assert seen["own"] == "allowed", seen
    assert {seen[k] for k in ("list", "read", "write", "create")} == {"denied"}, f"alice reached carol's files: {seen}"
    assert not (carol.home / "from_alice.txt").exists()
    assert "alice was here" not in (carol.home / WARMUP).read_text()
    assert addresses and addresses <= {"127.0.0.1"}, f"something listens beyond 127.0.0.1: {addresses}"

    # deploy/config.yaml's per-learner memory: the learner's server, measured here, beside the heaviest kernel.
    print({name: {k: round(v / 2**20) for k, v in m.items()} for name, m in memory.items()}, "MiB resident")
    server = max(m["server"] for m in memory.values())
    assert 0 < server and server + memory_sizing["largest_kernel"] <= memory_sizing["guarantee"], memory
    assert all(0 < m["kernels"] <= memory_sizing["largest_kernel"] for m in memory.values()), memory

    # The instructor updates a lesson; every learner pulls again: edited exercises are kept, the lesson is new.
    update_lesson(source)
    everyone_pulls(hub, repo, branch)
    for learner in hub.learners:
        assert UPDATE in (learner.home / LESSON).read_text(), f"{learner.name} did not get the updated lesson"
    assert RIGHT in (alice.home / WARMUP).read_text(), "nbgitpuller must keep alice's edited exercise"
    assert WRONG in (bob.home / WARMUP).read_text(), "nbgitpuller must keep bob's edited exercise"
    assert "raise NotImplementedError()" in (carol.home / WARMUP).read_text()

    # Grading from the hub: collect the notebooks from the homes, grade them with the course's command.
    submitted, grades = tmp_path / "submitted", tmp_path / "grades"
    subprocess.run(["bash", str(ROOT / "deploy" / "collect-notebooks"), "00_warmup", str(submitted),
                    str(hub.root / "home"), COURSE_DIR], check=True, capture_output=True, text=True)
    assert sorted(p.name for p in submitted.iterdir()) == sorted(learner.name for learner in hub.learners)
    graded = subprocess.run([sys.executable, "-m", "aecourse", "grade", str(submitted), "--assignment", "00_warmup",
                             "--out", str(grades), "--jobs", "3"], cwd=ROOT, capture_output=True, text=True)
    assert graded.returncode == 0, graded.stdout + graded.stderr
    with open(grades / "gradebook.csv", newline="") as f:
        rows = {row["student"]: row for row in csv.DictReader(f)}
    total = {name: float(rows[name]["total"]) for name in rows}
    assert set(total) == {learner.name for learner in hub.learners}
    assert total[alice.name] > total[bob.name] > 0, f"partial credit for bob's 'sum': {rows}"
    assert total[carol.name] == 0, rows
    assert rows[alice.name]["status"] == "ok", rows
    for learner in hub.learners:
        assert (grades / "feedback" / f"{learner.name}.md").is_file()
