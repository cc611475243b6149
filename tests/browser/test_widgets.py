"""The course's widgets in a real JupyterLab and Chromium: run the notebook, move each control, see the output change.

A lesson's widget is tested on the cells it needs (the lesson's set-up, the models it shows, the widget), taken
from the lesson by cell id: nbval runs and checks the whole lesson, so its other cells do not run a second time.

Screenshots before and after each interaction go to build/browser-screenshots/ (named in the run's summary).
Run: `python -m pytest tests/browser -q`; needs chromium and playwright (see conftest.py).
"""
from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def lesson(name: str, cell_ids: tuple[str, ...], folder: Path) -> Path:
    """notebooks/NAME with only the cells `cell_ids` (in the lesson's order), written to folder/NAME. A missing lesson
    skips, or fails where the browser tests must run (AECOURSE_REQUIRE_BROWSER); a missing cell id fails, naming it."""
    path = ROOT / "notebooks" / name
    if not path.is_file():
        message = f"{path.relative_to(ROOT)} is missing: its widget cannot be tested"
        if os.environ.get("AECOURSE_REQUIRE_BROWSER") == "1":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    nb = json.loads(path.read_text())
    missing = set(cell_ids) - {cell.get("id") for cell in nb["cells"]}
    assert not missing, f"{name} has no cells with ids {sorted(missing)}: update this test's cell ids to the lesson's"
    nb["cells"] = [cell for cell in nb["cells"] if cell.get("id") in cell_ids]
    (folder / name).write_text(json.dumps(nb))
    return folder / name


def test_harness_drives_slider_dropdown_and_button(lab):
    """The harness itself, on a small fixture notebook: each control redraws the printed value and the plot."""
    lab.open(FIXTURES / "widget_demo.ipynb")
    lab.run_all()
    area = lab.output_of("frequency")
    before = lab.wait_until(area, lambda s: "frequency = 1" in s["text"] and s["images"], message="first draw")
    lab.screenshot("before", area)

    assert lab.move_slider("frequency", 2) == "3"
    after = lab.wait_for_change(area, before, until=lambda s: "frequency = 3" in s["text"])
    lab.screenshot("after-slider", area)

    assert lab.set_slider("frequency", 6) == "6"
    after = lab.wait_for_change(area, after, until=lambda s: "frequency = 6" in s["text"])

    lab.select("colour", "C3")
    after = lab.wait_for_change(area, after, until=lambda s: "colour = C3" in s["text"])

    lab.button("Redraw").click()
    after = lab.wait_for_change(area, after, what=("text",),
                                 until=lambda s: "redraws = 1" in s["text"] and s["images"])
    lab.screenshot("after", area)


def number_after(pattern: str, text: str) -> float:
    """The first number following `pattern` in `text` (a percentage is returned as a fraction)."""
    match = re.search(pattern + r"\D*?(\d+(?:\.\d+)?)\s*(%?)", text, re.IGNORECASE)
    assert match, f"no number after {pattern!r} in {text[:300]!r}"
    value = float(match.group(1))
    return value / 100 if match.group(2) else value


def test_lesson01_latent_size_any_k_with_pca_beside(lab, tmp_path):
    """Lesson 01: the slider takes any k from 1 to 32; each k shows the AE's and PCA's error (and pictures, with
    the error-vs-k curves) in one output; a size not trained in the lesson is trained on first use; at k = 32
    PCA's error is the lower one (PCA overtakes)."""
    # set-up; train_ae (and the k = 8 model); the sizes 2 to 32 the widget starts from; the widget
    lab.open(lesson("01_undercomplete.ipynb", ("a51df7bb", "1df7aec9", "75bc947d", "60456922"), tmp_path))
    lab.run_all()
    area = lab.output_of("latent k")
    before = lab.wait_until(area, lambda s: s["images"] and "test MSE" in s["text"], message="first draw")
    lab.screenshot("before", area)
    assert "k = 2: autoencoder test MSE" in before["text"] and "PCA with 2 axes" in before["text"]

    k = lab.move_slider("latent k", 1)                 # k = 3: not among the lesson's sizes, trained now
    assert k == "3"
    after = lab.wait_for_change(area, before, until=lambda s: "k = 3:" in s["text"] and "PCA with 3 axes" in s["text"])
    lab.screenshot("k3-trained-on-demand", area)
    assert number_after("autoencoder test MSE", after["text"]) < number_after("autoencoder test MSE", before["text"])

    assert lab.set_slider("latent k", 32) == "32"
    last = lab.wait_for_change(area, after, until=lambda s: "k = 32:" in s["text"])
    lab.screenshot("k32", area)
    assert number_after("PCA with 32 axes", last["text"]) < number_after("autoencoder test MSE", last["text"])

    assert lab.set_slider("latent k", 1) == "1"
    lab.wait_for_change(area, last, until=lambda s: "k = 1:" in s["text"] and "PCA with 1 axes" in s["text"])
    lab.screenshot("after", area)


def test_lesson04_one_dae_per_kind_with_labels(lab, tmp_path):
    """Lesson 04: the widget says what each model was trained on, names the kinds readably, labels the level per
    kind; choosing gaussian noise trains a DAE on it, which then beats the plain AE on noisy digits."""
    # set-up; the plain AE and the masking DAE; the widget
    lab.open(lesson("04_denoising.ipynb", ("a3b8f43e", "f7fe79ce", "ae7cf304"), tmp_path))
    lab.run_all()
    area = lab.output_of("corruption")
    before = lab.wait_until(area, lambda s: s["images"] and "MSE" in s["text"], message="first draw")
    lab.screenshot("before", area)
    assert "masking (missing pixels), nu = 25%" in before["text"]
    assert "trained on masking (missing pixels), nu = 25%" in before["text"]
    assert "plain AE: trained on clean digits" in before["text"]
    assert lab.slider_value("share masked") == "0.25"

    level = lab.move_slider("share masked", 4)
    after = lab.wait_for_change(area, before, until=lambda s: f"nu = {float(level):.0%}:" in s["text"])
    lab.screenshot("after-level", area)

    lab.select("corruption", "gaussian noise")
    after = lab.wait_for_change(area, after, until=lambda s: "gaussian noise, sigma" in s["text"]
                                and "trained on gaussian noise, sigma = 0.30" in s["text"], timeout=600)
    assert lab.set_slider("noise sigma", 0.3) == "0.30"
    noisy = lab.wait_until(area, lambda s: "gaussian noise, sigma = 0.30:" in s["text"] and s["images"],
                           message="sigma 0.3")
    lab.screenshot("after", area)
    assert number_after(r"DAE \(gaussian noise\) MSE", noisy["text"]) < number_after("plain AE MSE", noisy["text"])


SATURATION = re.escape("activations in (0.1, 0.9):")


def test_lesson06_train_stale_mark_and_live_training(lab, tmp_path):
    """Lesson 06a: the widget waits for Train; Train with final sigma 0 shows the no-noise run, named by its
    settings; a changed control marks the view stale; "20%" typed into "full noise at" means 20 %; 64 bits is
    offered; Train redraws live with the scrub slider in step; scrubbing back to the start shows the undecided
    share. The lesson's own 60-epoch runs of the widget (cell bb23386b-train) are nbval's: here the controls train."""
    # set-up; the widget
    lab.open(lesson("06a_semantic_hashing_codes.ipynb", ("c01", "c19"), tmp_path))
    lab.run_all()
    area = lab.output_of("code bits")
    lab.wait_until(area, lambda s: "set the controls and press Train" in s["text"], message="the untrained widget")
    options = lab.control("code bits").locator("option").all_inner_texts()
    assert options == ["4", "8", "16", "32", "64"], options

    assert lab.set_slider("final sigma", 0) == "0.00"
    assert lab.set_slider("epochs", 10) == "10"
    lab.button("Train").click()
    shown = lab.wait_until(area, lambda s: "16 bits, no noise, 10 epochs" in s["text"] and s["images"]
                           and "training..." not in s["text"], message="the no-noise run")
    lab.screenshot("before", area)
    assert "precision@100 from the bits" in shown["text"] and "within Hamming radius 2" in shown["text"]
    assert "stale" not in shown["text"]

    lab.select("code bits", "8")
    stale = lab.wait_until(area, lambda s: "stale: the controls changed" in s["text"], message="stale mark")
    lab.screenshot("stale", area)
    assert "16 bits, no noise" in stale["text"]              # the run shown is still named by its settings

    lab.select("noise schedule", "exponential")
    assert lab.set_slider("final sigma", 8) == "8.00"
    assert lab.set_slider("full noise at", "20%") == "20"
    epochs = lab.set_slider("epochs", 30)
    assert epochs == "30"
    lab.button("Train").click()
    seen = []

    def finished(state):  # on each settled view during training: the epoch shown and the scrub slider agree
        match = re.search(rf"epoch (\d+)/{epochs}:", state["text"])
        if match:
            if not seen:
                lab.screenshot("training", area)
            seen.append((int(match.group(1)), state["sliders"]["scrub epochs"]))   # the same snapshot of the page
        return bool(match) and match.group(1) == epochs and "training..." not in state["text"]

    trained = lab.wait_until(area, finished, message="training did not finish")
    lab.screenshot("trained", area)
    assert min(e for e, _ in seen) < int(epochs), f"no live redraw was seen during training (epochs shown: {seen})"
    # the scrub slider moves with the drawn frame (it used to read 0): in one snapshot of the page, never more than
    # one redraw (5 epochs) from the epoch shown (status and slider are two messages, ms apart: a snapshot can fall
    # between them), and the same once training has finished
    assert all(abs(e - int(readout)) <= 5 for e, readout in seen), seen
    assert seen[-1] == (int(epochs), epochs), seen
    assert "8 bits, exponential ramp to sigma 8, full at 20%, 30 epochs" in trained["text"]
    assert "stale" not in trained["text"]

    assert lab.set_slider("scrub", 0) == "0"
    first = lab.wait_for_change(area, trained, until=lambda s: "before training" in s["text"])
    lab.screenshot("first-epoch", area)
    unsaturated_first = number_after(SATURATION, first["text"])
    unsaturated_last = number_after(SATURATION, trained["text"])
    assert unsaturated_last < unsaturated_first / 2, (unsaturated_first, unsaturated_last)
