"""TrainingCurves' y axes: a few round ticks (bqplot's own ten overlapped on the short chart)."""

from __future__ import annotations

import math

import numpy as np

from somwidget import SOM
from somwidget.widgets import TrainingCurves


def _check_round(ticks, scale_max: float, data_max: float, most: int = 5) -> None:
    """0, s, 2s, ... with s = 1, 2, 2.5 or 5 times a power of ten; 3 to ``most`` of them; the
    last one covers the data with less than one step to spare, and the scale ends on it."""
    t = np.asarray(ticks, dtype=float)
    assert 3 <= t.size <= most, t
    step = t[1] - t[0]
    assert t[0] == 0.0
    np.testing.assert_allclose(np.diff(t), step)
    mantissa = step / 10 ** math.floor(math.log10(step))
    assert any(math.isclose(mantissa, m) for m in (1, 2, 2.5, 5)), step
    assert t[-1] >= data_max > t[-1] - step, (t, data_max)
    assert scale_max == t[-1]


def test_schedule_axes_get_a_few_round_ticks_covering_the_data():
    X = np.random.default_rng(0).uniform(size=(300, 2))
    som = SOM(mapsize=(6, 6), random_state=0)
    som.fit_online(X, epochs=8, radius_start=4.8, radius_end=0.5, learning_rate_start=0.45,
                   learning_rate_end=0.01, collect_history=True)
    curves = TrainingCurves.from_history(som.history_, title=None)
    radius_scale, lr_scale = curves._schedule_scales
    history = som.history_
    _check_round(curves._radius_axis.tick_values, radius_scale.max,
                 max(r.radius for r in history))
    _check_round(curves._lr_axis.tick_values, lr_scale.max,
                 max(r.learning_rate for r in history))
    # the quality chart's QE axis: a few more, it is taller
    _check_round(curves._qe_axis.tick_values, curves._qe_scale.max,
                 max(r.quantization_error for r in history), most=7)
    # batch training has no learning rate: that axis leaves the figure, the radius keeps ticks
    batch = SOM(mapsize=(6, 6), random_state=0).fit(X, epochs=4, radius_start=3.0, radius_end=1.0,
                                                     collect_history=True)
    curves = TrainingCurves.from_history(batch.history_, title=None)
    _check_round(curves._radius_axis.tick_values, curves._schedule_scales[0].max,
                 max(r.radius for r in batch.history_))
    assert curves._lr_axis not in curves.schedule_figure.axes
    curves.close()


def test_every_value_axis_labels_its_ticks_distinctly_and_exactly():
    # bqplot's default format showed the QE tick 1.25 as "1.3": a fixed-point format with as
    # many decimals as the ticks need (d3's ".kf" formats as Python's f"{v:.kf}")
    X = np.random.default_rng(0).uniform(size=(300, 2)) * 3.1
    som = SOM(mapsize=(6, 6), random_state=0)
    som.fit_online(X, epochs=8, radius_start=4.8, radius_end=0.5, learning_rate_start=0.45,
                   learning_rate_end=0.01, collect_history=True)
    curves = TrainingCurves.from_history(som.history_, title=None)
    for axis in (curves._qe_axis, curves._radius_axis, curves._lr_axis):
        fmt = axis.tick_format
        assert fmt.startswith(".") and fmt.endswith("f"), fmt
        labels = [f"{v:{fmt}}" for v in axis.tick_values]
        assert len(set(labels)) == len(labels), labels
        np.testing.assert_allclose([float(s) for s in labels], axis.tick_values, atol=1e-12)


def test_the_tick_format_takes_the_fewest_decimals_that_are_exact():
    from somwidget.widgets.pictures.chart import tick_format

    assert tick_format(np.array([0.0, 0.25, 0.5, 0.75, 1.0, 1.25])) == ".2f"
    assert tick_format(np.array([0.0, 0.5, 1.0])) == ".1f"
    assert tick_format(np.array([0.0, 2.0, 4.0])) == ".0f"
    assert tick_format(np.array([0.0, 0.002, 0.004])) == ".3f"
    assert tick_format(np.array([1e4, 2e4])) == ".0f"
