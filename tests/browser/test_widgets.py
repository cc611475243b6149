"""The course's widgets in a real JupyterLab and Chromium: run the notebook, move each control, see the output change.

Screenshots before and after each interaction go to build/browser-screenshots/ (named in the run's summary).
Run: `python -m pytest tests/browser -q`; needs chromium and playwright (see conftest.py).
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def lesson(name: str) -> Path:
    """notebooks/NAME; a missing lesson skips, or fails where the browser tests must run (AECOURSE_REQUIRE_BROWSER)."""
    path = ROOT / "notebooks" / name
    if not path.is_file():
        message = f"{path.relative_to(ROOT)} is missing: its widget cannot be tested"
        if os.environ.get("AECOURSE_REQUIRE_BROWSER") == "1":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return path


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


def test_lesson01_latent_size_slider_redraws_reconstructions(lab):
    """Lesson 01: a larger latent size k gives new reconstructions and a lower test MSE."""
    lab.open(lesson("01_undercomplete.ipynb"))
    lab.run_all()
    area = lab.output_of("latent k")
    before = lab.wait_until(area, lambda s: s["images"] and "test MSE" in s["text"], message="first draw")
    lab.screenshot("before", area)

    k = lab.move_slider("latent k", 1)
    after = lab.wait_for_change(area, before, until=lambda s: f"k = {k}:" in s["text"])
    lab.screenshot("after", area)
    assert number_after("autoencoder test MSE", after["text"]) < number_after("autoencoder test MSE", before["text"])


def test_lesson04_corruption_kind_and_level_redraw(lab):
    """Lesson 04: raising the corruption level and changing its kind redraws the corrupted digits and the MSEs."""
    lab.open(lesson("04_denoising.ipynb"))
    lab.run_all()
    area = lab.output_of("corruption")
    before = lab.wait_until(area, lambda s: s["images"] and "MSE" in s["text"], message="first draw")
    lab.screenshot("before", area)

    level = lab.move_slider("level", 4)
    after = lab.wait_for_change(area, before, until=lambda s: f"level {float(level):.2f}" in s["text"])
    lab.screenshot("after-level", area)

    lab.select("corruption", "gaussian")
    after = lab.wait_for_change(area, after, until=lambda s: "gaussian, level" in s["text"])
    lab.screenshot("after", area)


SATURATION = re.escape("activations in (0.1, 0.9):")


def test_lesson06_training_saturates_the_codes(lab):
    """Lesson 06: with fewer bits and another noise schedule, Train redraws the histogram live; scrubbing back
    from the last epoch to the start shows the share of unsaturated activations (in (0.1, 0.9)) has fallen."""
    lab.open(lesson("06a_semantic_hashing_codes.ipynb"))
    lab.run_all()
    area = lab.output_of("code bits")
    before = lab.wait_until(area, lambda s: "press Train" in s["text"], message="the widget's first state")
    lab.screenshot("before", area)

    lab.select("code bits", "8")
    lab.select("noise schedule", "exponential")
    epochs = lab.set_slider("epochs", 30)
    assert epochs == "30"
    lab.button("Train").click()
    seen = []

    def finished(state):  # called on each settled view during training: record the epochs shown live
        match = re.search(rf"epoch (\d+)/{epochs}:", state["text"])
        if match and not seen:
            lab.screenshot("training", area)
        seen.extend([int(match.group(1))] if match else [])
        return bool(match) and match.group(1) == epochs

    trained = lab.wait_until(area, finished, message="training did not finish")
    lab.screenshot("trained", area)
    assert min(seen) < int(epochs), f"no live redraw was seen during training (epochs shown: {seen})"
    assert trained["images"] and trained["images"] != before["images"]

    assert lab.set_slider("scrub", 0) == "0"
    first = lab.wait_for_change(area, trained, until=lambda s: f"epoch {epochs}/{epochs}:" not in s["text"])
    lab.screenshot("first-epoch", area)
    unsaturated_first = number_after(SATURATION, first["text"])
    unsaturated_last = number_after(SATURATION, trained["text"])
    assert unsaturated_last < unsaturated_first / 2, (unsaturated_first, unsaturated_last)
