"""TrainingCurves and InputSpaceView, checked against independently computed values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.spatial.distance import cdist

from somwidget.som import SOM
from somwidget.trainer import Trainer
from somwidget.widgets.curves import TrainingCurves
from somwidget.widgets.input_space import InputSpaceView, net_segments
from somwidget.widgets.selection import Selection

TIMEOUT = 60.0
pytestmark = pytest.mark.usefixtures("no_leaked_threads")


@pytest.fixture(scope="module")
def X3():
    rng = np.random.default_rng(7)
    return np.vstack([rng.normal(0, 1, (50, 3)), rng.normal([5, 0, 2], 0.7, (50, 3))])


@pytest.fixture(scope="module")
def square():
    return np.random.default_rng(1).random((120, 2))


def hex_coords(rows, cols):
    r, c = np.divmod(np.arange(rows * cols), cols)
    return np.column_stack([c + 0.5 * (r % 2), r * np.sqrt(3) / 2])


def independent_pairs(rows, cols, kind):
    """Neighbour pairs from plane coordinates (minimum image on wrapped axes)."""
    hexa = kind.endswith("hexa")
    if hexa:
        xy = hex_coords(rows, cols)
        period = (cols, rows * np.sqrt(3) / 2)
    else:
        r, c = np.divmod(np.arange(rows * cols), cols)
        xy = np.column_stack([c, r]).astype(float)
        period = (cols, rows)
    d = np.abs(xy[:, None, :] - xy[None, :, :])
    if kind.startswith(("toroidal", "cylindrical")):
        d[..., 0] = np.minimum(d[..., 0], period[0] - d[..., 0])
    if kind.startswith("toroidal"):
        d[..., 1] = np.minimum(d[..., 1], period[1] - d[..., 1])
    dist = np.hypot(d[..., 0], d[..., 1])
    i, j = np.nonzero(np.triu(np.isclose(dist, 1.0), k=1))
    return {(int(a), int(b)) for a, b in zip(i, j, strict=True)}


# ----------------------------------------------------------------------------- curves
def test_curves_as_a_callback_equal_history(X3):
    som = SOM(mapsize=(5, 6), random_state=0)
    curves = TrainingCurves()
    som.fit(X3, epochs=6, collect_history=True, callbacks=[curves])
    som.fit(X3, epochs=3, radius_start=1.5, radius_end=0.5, collect_history=True, callbacks=[curves])
    h = som.history_
    assert curves.data["epoch"] == [float(e) for e in h["epoch"]]  # cumulative 1..9
    for key in ("quantization_error", "topographic_error", "vacancy_rate", "radius"):
        np.testing.assert_allclose(curves.data[key], h[key], rtol=1e-12)
    # batch training has no learning rate: no values, no line, no axis, no legend entry
    assert np.isnan(curves.data["learning_rate"]).all()
    assert not curves._lr_line.visible and not curves._lr_axis.visible
    assert "learning rate" not in curves.schedule_legend.value
    assert "learning-rate" not in curves.to_svg() and "radius" in curves.to_svg()
    # the final state is drawn: the marks hold every epoch
    # (sent as float32)
    np.testing.assert_allclose(np.asarray(curves._qe_line.y), h["quantization_error"], rtol=1e-6)
    np.testing.assert_allclose(np.asarray(curves._radius_line.y), h["radius"], rtol=1e-6)
    np.testing.assert_allclose(np.asarray(curves._rate_lines.y)[1], h["vacancy_rate"], rtol=1e-6)
    # and QE is the mean BMU distance of the final codebook
    assert curves.data["quantization_error"][-1] == pytest.approx(
        cdist(X3, som.codebook_).min(axis=1).mean())


def _svg_line_values(svg: str, css: str, axis: str = "left") -> np.ndarray:
    """The y values of a chart's ``css`` polyline in a static picture, read back through the
    plot area's pixel mapping (the left axis; ``"right"``: the 0-1 fraction axis)."""
    import xml.etree.ElementTree as ET

    ns = {"s": "http://www.w3.org/2000/svg"}
    root = ET.fromstring(svg)
    for plot in root.iter("{http://www.w3.org/2000/svg}g"):
        if plot.get("class") != "plot":
            continue
        lines = plot.findall(f"s:polyline[@class='{css}']", ns)
        if not lines:
            continue
        y0, y1 = (0.0, 1.0) if axis == "right" else (float(plot.get("data-y0")),
                                                        float(plot.get("data-y1")))
        py0, py1 = float(plot.get("data-py0")), float(plot.get("data-py1"))
        pts = [tuple(map(float, p.split(","))) for p in lines[0].get("points").split()]
        return np.array([y0 + (py - py0) * (y1 - y0) / (py1 - py0) for _, py in pts])
    raise AssertionError(f"no {css!r} line in the picture")


def _independent_te(Xt: np.ndarray, codebook: np.ndarray, pairs: set) -> float:
    order = np.argsort(cdist(Xt, codebook), axis=1)
    return float(np.mean([(min(a, b), max(a, b)) not in pairs
                          for a, b in zip(order[:, 0], order[:, 1], strict=True)]))


@pytest.mark.parametrize("train", ["fit", "fit_online"])
def test_curves_as_a_plain_callback_draw_the_quality_curves(X3, train):
    # the README's way, collect_history left at its default (False): the chart is for the
    # QE / TE curves, so a fit that calls it measures them at the epochs it is shown
    som = SOM(mapsize=(5, 6), random_state=0)
    codebooks: dict[int, np.ndarray] = {}

    def keep(record):  # the codebook after each epoch, as the curves see it
        if record.kind == "epoch":
            codebooks[record.total_epoch] = np.array(record.codebook, copy=True)

    curves = TrainingCurves()
    getattr(som, train)(X3, epochs=6, callbacks=[keep, curves])
    assert len(som.history_) == 0  # no history was asked for
    epochs = sorted(codebooks)
    assert epochs == [1, 2, 3, 4, 5, 6]
    qe = np.array([cdist(X3, codebooks[e]).min(axis=1).mean() for e in epochs])
    pairs = independent_pairs(5, 6, "hexa")
    te = np.array([_independent_te(X3, codebooks[e], pairs) for e in epochs])
    assert curves.data["epoch"] == [float(e) for e in epochs]
    np.testing.assert_allclose(curves.data["quantization_error"], qe, rtol=1e-9)
    np.testing.assert_allclose(curves.data["topographic_error"], te, atol=1e-12)
    # the bqplot marks hold them (sent as float32)
    np.testing.assert_allclose(np.asarray(curves._qe_line.x), epochs)
    np.testing.assert_allclose(np.asarray(curves._qe_line.y), qe, rtol=1e-6)
    np.testing.assert_allclose(np.asarray(curves._rate_lines.y)[0], te, atol=1e-6)
    assert "QE " in curves.summary.value and "TE " in curves.summary.value
    # and so does the static picture: one QE and one TE line through every epoch
    svg = curves.to_svg()
    ys = _svg_line_values(svg, "qe")
    scale = qe.max()
    np.testing.assert_allclose(ys, qe, atol=0.02 * scale)
    np.testing.assert_allclose(_svg_line_values(svg, "te", axis="right"), te, atol=0.01)
    curves.close()


def test_only_callbacks_that_draw_metrics_make_a_fit_measure_them(X3, monkeypatch):
    calls = []
    original = SOM._epoch_metrics

    def counting(self):
        calls.append(self.n_epochs_trained_)
        return original(self)

    monkeypatch.setattr(SOM, "_epoch_metrics", counting)
    som = SOM(mapsize=(4, 4), random_state=0)
    som.fit(X3, epochs=4)  # no callback: no measurement
    seen = []
    som.fit(X3, epochs=4, callbacks=[seen.append])  # a plain function does not ask for them
    assert calls == [] and all(r.metrics is None for r in seen)
    # the curves do, at the epochs they are shown only (callback_every)
    som.set_params(callback_every=2)
    curves = TrainingCurves()
    som.fit(X3, epochs=5, callbacks=[curves])
    assert calls == [10, 12, 13]
    assert curves.data["epoch"] == [10.0, 12.0, 13.0]
    assert np.isfinite(curves.data["quantization_error"]).all()
    assert len(som.history_) == 0
    curves.close()


def test_curves_online_rows_only_at_epoch_ends_and_throttle_keeps_final(X3):
    som = SOM(mapsize=(4, 4), random_state=0)
    curves = TrainingCurves(max_rate_hz=1e-6)  # at most one throttled redraw, then finals only
    som.fit_online(X3, epochs=3, collect_history=True, callbacks=[curves],
                   callback_every_samples=10)
    assert curves.data["epoch"] == [1.0, 2.0, 3.0]
    np.testing.assert_allclose(curves.data["learning_rate"], som.history_["learning_rate"])
    np.testing.assert_allclose(np.asarray(curves._lr_line.y), som.history_["learning_rate"],
                               rtol=1e-6)
    assert curves.frame == 2  # one throttled redraw + the final one
    assert curves._lr_line.visible and "learning rate" in curves.schedule_legend.value


def test_curves_epoch_ticks_are_whole_numbers_and_legends_sit_above_the_charts():
    from somwidget.widgets.curves import epoch_ticks

    curves = TrainingCurves()
    for axis in curves._x_axes:  # empty: 0 and 1, never 0 0 0 0 0 1
        assert list(axis.tick_values) == [0.0, 1.0]
    for e in range(1, 8):
        curves.add_epoch(e, quantization_error=1.0 / e, radius=3.0 - 0.2 * e)
    ticks = list(curves._x_axes[0].tick_values)
    assert ticks == [0.0, 2.0, 4.0, 6.0, 8.0]
    assert all(float(t).is_integer() for t in epoch_ticks(3))
    assert all(float(t).is_integer() for t in epoch_ticks(137))
    assert curves._x_scales[0].max == 8.0
    # bqplot draws no legend over the plot; ours is a row above each chart
    assert not any(m.display_legend for m in curves.quality_figure.marks)
    assert "QE" in curves.quality_legend.value and "vacancy" in curves.quality_legend.value
    assert curves.children[0] is curves.quality_legend
    svg = curves.to_svg()
    assert 'class="legend legend-above"' in svg
    import re

    ticks_svg = re.findall(r'class="xtick"[^>]*>([^<]+)<', svg)
    assert ticks_svg and all(t.isdigit() for t in ticks_svg), ticks_svg
    curves.close()


def test_long_runs_send_a_bounded_number_of_points():
    curves = TrainingCurves(max_points=50)
    for e in range(1, 1001):
        curves.add_epoch(e, quantization_error=1.0 / e, radius=5.0 - e / 250, redraw=False)
    curves.redraw()
    assert len(curves.data["epoch"]) == 1000  # Python keeps every epoch
    x = np.asarray(curves._qe_line.x)
    assert len(x) == 50 and x[0] == 1.0 and x[-1] == 1000.0
    np.testing.assert_allclose(np.asarray(curves._qe_line.y), 1.0 / x, rtol=1e-6)
    assert np.all(np.diff(x) > 0)



@pytest.mark.parametrize("qe", [1e300, 3e-300])
def test_curves_draw_errors_beyond_float32_range(qe):
    # unnormalised data at 1e150 gives a QE near 1e300: float32 would draw inf (nothing) or 0
    curves = TrainingCurves()
    for e in (1, 2, 3):
        curves.add_epoch(e, quantization_error=qe * e, topographic_error=0.1, radius=3.0 / e)
    y = np.asarray(curves._qe_line.y, dtype=np.float64)
    np.testing.assert_allclose(y, qe * np.array([1.0, 2.0, 3.0]), rtol=1e-12)
    # the columns within float32's range still travel as float32 (half the bytes)
    assert np.asarray(curves._radius_line.y).dtype == np.float32

def test_curves_from_history_and_validation(X3):
    som = SOM(mapsize=(4, 4), random_state=0).fit_auto(X3, collect_history=True)
    curves = TrainingCurves.from_history(som.history_)
    assert curves.data["epoch"] == [float(e) for e in som.history_["epoch"]]
    np.testing.assert_allclose(curves.data["radius"], som.history_["radius"])
    with pytest.raises(ValueError, match="same length"):
        TrainingCurves().load_history({"epoch": [1, 2], "radius": [1.0]})
    with pytest.raises(TypeError, match="history must be a mapping"):
        TrainingCurves().load_history([1, 2])


def test_curves_fed_by_a_trainer(X3):
    trainer = Trainer(SOM(mapsize=(4, 5), random_state=0), X3, epochs=5, radius_start=2.0,
                      radius_end=1.0)
    curves = TrainingCurves().attach(trainer)
    trainer.play()
    assert trainer.join(TIMEOUT)
    assert curves.data["epoch"] == [1.0, 2.0, 3.0, 4.0, 5.0]
    np.testing.assert_allclose(curves.data["radius"], [2.0, 1.75, 1.5, 1.25, 1.0])
    np.testing.assert_allclose(curves.data["quantization_error"],
                               [r.quantization_error for r in trainer.history])
    assert "epoch 5" in curves.summary.value
    trainer.reset()
    assert curves.data["epoch"] == []


# ------------------------------------------------------------------------ input space
@pytest.mark.parametrize("kind, rows, cols", [
    ("hexa", 5, 6), ("rect", 4, 5), ("toroidal_hexa", 4, 5), ("cylindrical_rect", 3, 4),
])
def test_net_segments_are_the_lattice_adjacency_pairs(square, kind, rows, cols):
    som = SOM(mapsize=(rows, cols), lattice=kind, random_state=0)
    view = InputSpaceView(som, square)
    got = {tuple(map(int, p)) for p in view.segments}
    assert got == independent_pairs(rows, cols, kind)
    assert len(got) == view.segments.shape[0]
    # 2-D data: drawn in the data's own coordinates; each segment joins its two codebook vectors
    net = view.net_xy()
    np.testing.assert_allclose(net[:, 0], som.codebook_[view.segments[:, 0]], rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(net[:, 1], som.codebook_[view.segments[:, 1]], rtol=1e-6, atol=1e-6)
    view.close()


def test_net_segments_helper_symmetrises():
    a = np.zeros((3, 3), bool)
    a[2, 0] = True
    np.testing.assert_array_equal(net_segments(a), [[0, 2]])


def test_pca_projection_is_shared_by_data_and_codebook(X3):
    som = SOM(mapsize=(5, 5), normalization="standard", random_state=0)
    view = InputSpaceView(som, X3)
    assert view.projection_kind == "pca"
    Xt = (X3 - X3.mean(axis=0)) / X3.std(axis=0)
    _, _, vt = np.linalg.svd(Xt - Xt.mean(axis=0), full_matrices=False)
    ref = (Xt - Xt.mean(axis=0)) @ vt[:2].T
    signs = np.sign(np.sum(ref * view.data_xy, axis=0))
    np.testing.assert_allclose(view.data_xy, ref * signs, atol=1e-9)
    # the codebook goes through the same centring and axes
    cb = (som.codebook_ - Xt.mean(axis=0)) @ vt[:2].T * signs
    net = view.net_xy()
    np.testing.assert_allclose(net[:, 0], cb[view.segments[:, 0]], atol=1e-6)
    assert "PC1" in view._x_axis.label
    view.close()


def test_features_by_name_and_bad_features(X3):
    df = pd.DataFrame(X3, columns=["a", "b", "c"])
    som = SOM(mapsize=(4, 4), random_state=0)
    view = InputSpaceView(som, df, features=("c", "a"))
    np.testing.assert_allclose(view.data_xy, X3[:, [2, 0]])
    assert (view._x_axis.label, view._y_axis.label) == ("c", "a")
    with pytest.raises(ValueError, match="features must be one of 'a', 'b', 'c'"):
        InputSpaceView(som, df, features=("a", "zz"))
    with pytest.raises(ValueError, match="features must be at most 2"):
        InputSpaceView(som, df, features=(0, 3))
    with pytest.raises(ValueError, match="labels must be 1-D"):
        InputSpaceView(som, df, labels=[1, 2])
    view.close()


def test_selection_highlights_neurons_and_their_samples(X3):
    som = SOM(mapsize=(4, 4), random_state=0).fit(X3, epochs=3)
    sel = Selection()
    labels = np.repeat(["left", "right"], 50)
    view = InputSpaceView(som, X3, labels=labels, selection=sel)
    sel.select([2, 9])
    bmus = cdist(X3, som.codebook_).argmin(axis=1)
    expected = np.isin(bmus, [2, 9])
    np.testing.assert_array_equal(view.selected_sample_mask(), expected)
    assert list(view._nodes.selected) == [2, 9]
    for mark, rows in view._data_marks:  # one mark per class, selected = its highlighted rows
        got = np.zeros(len(X3), bool)
        got[rows[np.asarray(mark.selected, dtype=int)]] = True
        np.testing.assert_array_equal(got[rows], expected[rows])
    # a click on a node (bqplot's selected) updates the shared selection
    view._nodes.selected = np.array([5])
    assert list(sel.neurons) == [5]
    sel.clear()
    assert view._nodes.selected is None
    view.close()



def test_selected_nodes_are_marked_big_enough_to_find_and_follow_the_net(X3):
    # a yellow fill on a 5 px node was lost among the others (and its black stroke vanished
    # on the dark theme): a disc in a ring of the theme's text colour, under the clickable nodes
    som = SOM(mapsize=(4, 4), random_state=0).fit(X3, epochs=3)
    sel = Selection()
    view = InputSpaceView(som, X3, selection=sel)
    sel.select([2, 9])
    marks = view.figure.marks
    for mark in (view._chosen_ring, view._chosen):
        np.testing.assert_allclose(np.c_[mark.x, mark.y], view.project(som.codebook_)[[2, 9]],
                                   rtol=1e-6, atol=1e-6)
        assert marks.index(mark) < marks.index(view._nodes)  # clicks reach the nodes
        assert mark.default_size > 4 * view._nodes.default_size
    assert view._chosen_ring.default_size > view._chosen.default_size
    assert "var(--jp-ui-font-color" in view._chosen_ring.colors[0]
    som.fit(X3, epochs=2, callbacks=[view])  # the net moves: the marks go with it
    np.testing.assert_allclose(np.c_[view._chosen.x, view._chosen.y],
                               view.project(som.codebook_)[[2, 9]], rtol=1e-6, atol=1e-6)
    sel.clear()
    assert len(view._chosen.x) == len(view._chosen_ring.x) == 0
    view.close()

def test_step_mode_shows_sample_bmu_and_weights(square):
    som = SOM(mapsize=(5, 5), random_state=0)
    view = InputSpaceView(som, square)
    trainer = Trainer(som, square, mode="online", epochs=2, radius_start=1.5, radius_end=1.0)
    trainer.add_listener(view)
    trainer.step()
    assert trainer.join(TIMEOUT)
    s = trainer.last_step
    assert view.step_shown is s
    np.testing.assert_allclose([view._sample.x[0], view._sample.y[0]], square[s.sample_index])
    np.testing.assert_allclose([view._bmu_mark.x[0], view._bmu_mark.y[0]],
                               s.codebook_after[s.bmu])
    keep = s.weights > 1e-3
    np.testing.assert_allclose(np.asarray(view._influence.size), s.weights[keep])
    # the net is drawn after the update, the ghost before it
    np.testing.assert_allclose(view.net_xy()[:, 0], s.codebook_after[view.segments[:, 0]],
                               atol=1e-6)
    ghost_x = np.append(np.asarray(view._ghost.x), np.nan).reshape(-1, 3)[:, 0]
    np.testing.assert_allclose(ghost_x, s.codebook_before[view.segments[:, 0], 0])
    trainer.set_params(mode="batch")
    trainer.step()
    assert trainer.join(TIMEOUT)
    assert view.step_shown is None and len(view._sample.x) == 0
    view.close()


def test_curves_read_fit_records_trainer_records_and_histories_alike(X3):
    som = SOM(mapsize=(4, 5), random_state=0)
    from_fit = TrainingCurves()
    som.fit(X3, epochs=5, radius_start=2.0, radius_end=1.0, collect_history=True,
            callbacks=[from_fit])
    trainer = Trainer(SOM(mapsize=(4, 5), random_state=0), X3, epochs=5, radius_start=2.0,
                      radius_end=1.0)
    live = TrainingCurves().attach(trainer)
    trainer.play()
    assert trainer.join(TIMEOUT)
    views = [from_fit, live, TrainingCurves.from_history(som.history_),
             TrainingCurves.from_history(trainer.history),
             TrainingCurves.from_history(list(trainer.history)),
             TrainingCurves.from_history(trainer.history.to_dict())]
    for curves in views:
        assert curves.data["epoch"] == [1.0, 2.0, 3.0, 4.0, 5.0]
        np.testing.assert_allclose(curves.data["radius"], [2.0, 1.75, 1.5, 1.25, 1.0])
        np.testing.assert_allclose(curves.data["quantization_error"],
                                   som.history_["quantization_error"], rtol=1e-9)
    # and the last QE is that of the final codebook
    assert live.data["quantization_error"][-1] == pytest.approx(
        cdist(X3, trainer.som.codebook_).min(axis=1).mean(), rel=1e-12)
    trainer.close()


def test_step_display_is_readable_from_the_back_of_the_room(X3):
    from somwidget.widgets.input_space import ARROW_MIN_WEIGHT, move_arrows

    som = SOM(mapsize=(5, 5), random_state=0, normalization="none").initialize(X3)
    view = InputSpaceView(som, X3)
    step = som.online_step(X3[0], 2.0, 0.5)
    view.refresh(step=step)
    before, after = view.project(step.codebook_before), view.project(step.codebook_after)
    w = np.asarray(step.weights)
    moved = np.flatnonzero(w >= ARROW_MIN_WEIGHT)
    # one arrow (shaft + two head strokes, NaN-separated) per neuron that moved, old -> new
    # (no trailing NaN: bqplot would place the line's end label at an undefined point)
    x = np.append(np.asarray(view._moves.x, dtype=np.float64), np.nan)
    y = np.append(np.asarray(view._moves.y, dtype=np.float64), np.nan)
    assert x.size == 7 * moved.size and not np.isnan(np.asarray(view._moves.x)[-1])
    assert not np.isnan(np.asarray(view._net.x)[-1])
    shafts = np.column_stack([x, y]).reshape(-1, 7, 2)
    np.testing.assert_allclose(shafts[:, 0], before[moved], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(shafts[:, 1], after[moved], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(shafts[:, 4], after[moved], rtol=1e-5, atol=1e-6)  # the tip
    assert view._bmu_mark.default_size >= 300 and view._bmu_mark.stroke_width >= 3
    assert "neighbourhood weight" in view.step_legend.value and "BMU" in view.step_legend.value
    svg = view.to_svg()
    assert 'class="move"' in svg and "neighbourhood weight" in svg
    view.refresh()  # no step: arrows and legend go away
    assert np.asarray(view._moves.x).size == 0 and view.step_legend.value == ""
    hx, hy = move_arrows(np.zeros((1, 2)), np.array([[1.0, 0.0]]), np.array([True]), 0.1)
    np.testing.assert_allclose(hx[[0, 1, 4]], [0.0, 1.0, 1.0])
    assert hx[3] == pytest.approx(1.0 - 0.1 * np.cos(np.pi / 7))
    view.close()
