import json
import shutil
import subprocess
import sys

import nbformat
import pytest

from aecourse.course.cli import main


def run(*args, cwd):
    return subprocess.run([sys.executable, "-m", "aecourse", *args], cwd=cwd, capture_output=True, text=True)


def test_check_reports_a_solved_notebook_and_never_writes_it(root, tmp_path):
    notebook = tmp_path / "mine.ipynb"
    shutil.copy(root / "solutions" / "00_warmup.ipynb", notebook)
    before = notebook.read_bytes()
    result = run("check", str(notebook), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "00.reconstruction_mse: 4/4 checks passed" in result.stdout
    assert "1/1 exercises pass" in result.stdout
    assert notebook.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.ipynb"]
    assert "without encryption" not in result.stderr and "WARNING" not in result.stderr, result.stderr


def test_check_reports_a_syntax_error_with_its_line(root, tmp_path):
    nb = json.loads((root / "exercises" / "00_warmup.ipynb").read_text())
    for cell in nb["cells"]:
        if "raise NotImplementedError()" in "".join(cell["source"]):
            cell["source"] = "def reconstruction_mse(x, x_hat):\n    d = x - x_hat\n    return (d ** 2).mean(\n"
    notebook = tmp_path / "typo.ipynb"
    notebook.write_text(json.dumps(nb))
    result = run("check", str(notebook), cwd=tmp_path)
    assert result.returncode == 1
    assert "`reconstruction_mse` was never defined: its cell failed with a syntax error at line 3: " \
           "`return (d ** 2).mean(`" in result.stdout, result.stdout
    assert "no function called" not in result.stdout


def test_check_says_not_attempted_for_the_handed_out_notebook(root, tmp_path):
    result = run("check", str(root / "exercises" / "00_warmup.ipynb"), cwd=tmp_path)
    assert result.returncode == 1
    assert "not attempted yet" in result.stdout and "0/1 exercises pass" in result.stdout


def test_check_finds_a_renamed_function(root, tmp_path):
    notebook = tmp_path / "renamed.ipynb"
    text = (root / "solutions" / "00_warmup.ipynb").read_text()
    notebook.write_text(text.replace("def reconstruction_mse(", "def my_mse(")
                        .replace("check(\\\"00.reconstruction_mse\\\", reconstruction_mse)",
                                 "check(\\\"00.reconstruction_mse\\\", my_mse)"))
    result = run("check", str(notebook), cwd=tmp_path)
    assert result.returncode == 1
    assert "no function called `reconstruction_mse`" in result.stdout


def test_check_names_an_unknown_exercise_id(tmp_path, capsys):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell('check("00.no_such_exercise", print)')])
    nbformat.write(nb, tmp_path / "typo.ipynb")
    assert main(["check", str(tmp_path / "typo.ipynb")]) == 2
    err = capsys.readouterr().err
    assert "unknown exercise '00.no_such_exercise'" in err and "00.reconstruction_mse" in err, err


def test_the_command_line_starts_without_torch():
    """`aecourse check` and the notebook tools read notebooks; only the kernel imports torch and the checks."""
    code = ("import sys, aecourse, aecourse.course, aecourse.course.cli, aecourse.course.check_notebook\n"
            "print(sorted(m for m in ('torch', 'aecourse.course.checks', 'aecourse.models') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize("entry", ["aecourse.course.cli", "aecourse.course.grading.executor",
                                   "aecourse.course.pytest_startup"])
def test_the_command_line_the_executor_and_pytest_read_notebooks_without_building_iri_parsers(root, entry):
    """jsonschema's `iri` format checker (rfc3987_syntax) costs 1.2 s to import and checks nothing a notebook has:
    the processes the course starts leave it out (startup.py), and notebooks are still validated."""
    code = (f"import sys, {entry}, nbformat\n"
            f"nbformat.validate(nbformat.read({str(root / 'notebooks' / '01_undercomplete.ipynb')!r}, 4))\n"
            "bad = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell('1')])\n"
            "bad.cells[0].outputs = 'not a list'\n"
            "try:\n    nbformat.validate(bad)\nexcept nbformat.ValidationError:\n    print('invalid found')\n"
            "print(sys.modules['rfc3987_syntax'])")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:2] == ["invalid found", "None"], result.stdout


def test_this_pytest_process_loaded_the_startup_plugin_before_nbval():
    """pyproject's addopts load aecourse.course.pytest_startup ahead of the installed plugins (nbval reads notebooks
    with nbformat): this process, and each pytest-xdist worker, went without the iri parsers."""
    assert "nbval" in sys.modules and sys.modules["rfc3987_syntax"] is None


@pytest.mark.parametrize("args, message", [
    (["check", "nowhere.ipynb"], "no such notebook"),
    (["notebooks", "lint", "nowhere.ipynb"], "no such notebook"),
])
def test_bad_paths_get_a_message_and_exit_code_2(tmp_path, capsys, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    assert main(args) == 2
    assert message in capsys.readouterr().err


def test_check_on_a_notebook_without_exercises_is_explained(root, tmp_path, capsys):
    (tmp_path / "plain.ipynb").write_text((root / "notebooks" / "00_start_here.ipynb").read_text()
                                          .replace("check(", "print("))
    assert main(["check", str(tmp_path / "plain.ipynb")]) == 2
    assert "no check cells" in capsys.readouterr().err


def test_lint_passes_on_the_course_and_flags_a_dirty_notebook(root, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(root)
    assert main(["notebooks", "lint"]) == 0
    dirty = tmp_path / "dirty.ipynb"
    dirty.write_text((root / "solutions" / "00_warmup.ipynb").read_text().replace('"python3"', '"julia"', 1))
    assert main(["notebooks", "lint", str(dirty)]) == 1
    assert "kernelspec is not python3" in capsys.readouterr().out
    assert main(["notebooks", "clean", str(dirty)]) == 0
    assert main(["notebooks", "lint", str(dirty)]) == 0


def test_exercises_build_writes_into_the_given_folder(root, tmp_path, capsys):
    assert main(["exercises", "build", "--solutions", str(root / "solutions"), "--exercises", str(tmp_path)]) == 0
    assert (tmp_path / "00_warmup.ipynb").exists()
    assert "wrote" in capsys.readouterr().out


def test_refresh_refuses_learner_notebooks(root, tmp_path, capsys):
    (tmp_path / "exercises").mkdir()
    target = tmp_path / "exercises" / "x.ipynb"
    shutil.copy(root / "exercises" / "00_warmup.ipynb", target)
    assert main(["notebooks", "refresh", str(target)]) == 2
    assert "exercises/ is generated" in capsys.readouterr().err
