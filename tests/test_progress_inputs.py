"""Hostile input to the progress and history side: schedules at extreme magnitudes, the text
progress's arguments and final line, the curves' history loader and size, the Trainer's ETA."""

from __future__ import annotations

import io
import math

import numpy as np
import pytest

from somwidget.progress import TextProgress
from somwidget.schedules import decay_schedule
from somwidget.som import SOM
from somwidget.trainer import Trainer
from somwidget.widgets.curves import TrainingCurves

TIMEOUT = 60.0


@pytest.mark.parametrize("start,end", [(1e-300, 1e300), (1e308, 1e-308), (1e-300, 1e308)])
@pytest.mark.parametrize("decay", ["exponential", "inverse"])
def test_schedules_at_extreme_magnitudes_follow_their_closed_form_in_logs(start, end, decay):
    n = 5
    got = decay_schedule(start, end, n, decay)
    t = np.arange(n) / (n - 1)
    ls, le = math.log(start), math.log(end)
    if decay == "exponential":  # log out = log start + t (log end - log start)
        want = ls + t * (le - ls)
    else:  # a / (b + s) through both ends: start end T / (end (T - s) + start s), T = n - 1
        T, steps = n - 1, np.arange(n, dtype=float)
        with np.errstate(divide="ignore"):
            want = ls + le + math.log(T) - np.logaddexp(le + np.log(T - steps),
                                                        ls + np.log(steps))
    assert np.all(np.isfinite(got)) and np.all(got > 0)
    np.testing.assert_allclose(np.log(got), want, rtol=1e-9, atol=1e-9)
    assert got[0] == start and got[-1] == end


def test_text_progress_checks_its_stream_and_clock():
    with pytest.raises(TypeError, match="stream"):
        TextProgress(stream="out.txt")
    with pytest.raises(TypeError, match="clock"):
        TextProgress(clock=5)


def test_text_progress_final_line_keeps_the_last_metrics():
    X = np.random.default_rng(0).normal(size=(100, 3))
    buf = io.StringIO()
    t = Trainer(SOM(mapsize=(4, 4), random_state=0), X, epochs=3, mode="online",
                listeners=[TextProgress(1, stream=buf, max_rate_hz=1000)])
    t.play()
    assert t.join(TIMEOUT)
    last_line = buf.getvalue().rstrip("\n").split("\r")[-1]
    qe = t.history[-1].quantization_error
    assert f"QE {qe:.4g}" in last_line


def test_curves_check_their_size_and_the_history_they_load():
    with pytest.raises(TypeError, match="height"):
        TrainingCurves(height=None)
    with pytest.raises(ValueError, match="quantization_error"):
        TrainingCurves().load_history({"epoch": [1, 2], "quantization_error": ["a", "b"]})
    with pytest.raises(ValueError, match="epoch.*whole"):
        TrainingCurves().load_history({"epoch": [1.5, 2.5], "quantization_error": [0.5, 0.4]})
    with pytest.raises(ValueError, match="'qe'"):
        TrainingCurves().load_history({"qe": [0.5, 0.4]})


def test_eta_counts_the_pace():
    X = np.random.default_rng(0).normal(size=(50, 3))
    t = Trainer(SOM(mapsize=(4, 4), random_state=0), X, epochs=30)
    t.pace_s = 1.0  # one epoch a second at most
    t.step()
    assert t.join(TIMEOUT)
    assert t.eta() == pytest.approx(29.0, rel=0.05)
