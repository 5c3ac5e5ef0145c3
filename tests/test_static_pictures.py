"""Static SVG pictures of the bqplot views (TrainingCurves, InputSpaceView) and of the Studio."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy.spatial.distance import cdist

from somwidget import SOM, InputSpaceView, Studio, TrainingCurves
from somwidget.widgets.pictures.chart import Chart, nice_ticks
from somwidget.widgets.pictures.compose import compose, svg_size

NS = "{http://www.w3.org/2000/svg}"
pytestmark = pytest.mark.usefixtures("no_leaked_threads")


def by_class(root: ET.Element, tag: str, cls: str) -> list[ET.Element]:
    return [e for e in root.iter(NS + tag) if e.get("class") == cls]


def polyline_points(el: ET.Element) -> np.ndarray:
    return np.array([[float(v) for v in p.split(",")] for p in el.get("points").split()])


def mimebundle(view) -> dict:
    bundle = view._repr_mimebundle_()
    return bundle[0] if isinstance(bundle, tuple) else bundle


def affine_residual(data: np.ndarray, pixels: np.ndarray) -> tuple[float, float]:
    """Least-squares fit pixels = a * data + b; returns (max residual, slope a)."""
    A = np.column_stack([data, np.ones_like(data)])
    coef, *_ = np.linalg.lstsq(A, pixels, rcond=None)
    return float(np.abs(A @ coef - pixels).max()), float(coef[0])


# ------------------------------------------------------------------------------------ chart
@settings(max_examples=60, deadline=None)
@given(lo=st.floats(-1e6, 1e6), span=st.floats(1e-6, 1e6))
def test_nice_ticks_cover_the_range_with_round_steps(lo, span):
    assume(span >= 1e-6 * max(1.0, abs(lo)))  # resolvable at float64 precision
    hi = lo + span
    t = nice_ticks(lo, hi)
    step = t[1] - t[0]
    # covered up to a billionth of a step (nice_ticks ignores rounding noise at the ends)
    assert t[0] <= lo + 1e-8 * step and t[-1] >= hi - 1e-8 * step
    np.testing.assert_allclose(np.diff(t), step, rtol=1e-6)
    mantissa = step / 10 ** math.floor(math.log10(step))
    assert min(abs(mantissa - m) for m in (1, 2, 2.5, 5, 10)) < 1e-4
    assert 2 <= len(t) <= 13


@settings(max_examples=40, deadline=None)
@given(hi=st.floats(0.0, 1e6))
def test_integer_ticks_for_counts(hi):
    t = nice_ticks(0.0, hi, integer=True)
    step = t[1] - t[0]
    assert t[0] == 0.0 and t[-1] >= hi and step >= 1 and float(step).is_integer()
    mantissa = step / 10 ** math.floor(math.log10(step))
    assert min(abs(mantissa - m) for m in (1, 2, 5, 10)) < 1e-9  # never 2.5


def test_chart_breaks_lines_at_nan_and_keeps_lone_points():
    svg = Chart().line([1, 2, 3, 4, 5], [1.0, 2.0, np.nan, 3.0, np.nan], "#000", css="l").to_svg()
    root = ET.fromstring(svg)
    assert len(by_class(root, "polyline", "l")) == 1  # epochs 1-2
    assert len(by_class(root, "circle", "l-dot")) == 1  # epoch 4 alone


def test_compose_places_pictures_side_by_side_and_wraps():
    a = '<svg xmlns="http://www.w3.org/2000/svg" width="100" height="50"><rect id="r"/></svg>'
    b = '<svg xmlns="http://www.w3.org/2000/svg" width="80" height="70"><use href="#r"/></svg>'
    assert svg_size(compose([a, b], gap=10)) == (190, 70)
    assert svg_size(compose([a, b], max_width=0, gap=10)) == (100, 130)
    both = compose([a, a]).svg
    assert 'id="v0-r"' in both and 'id="v1-r"' in both  # ids made unique


# ---------------------------------------------------------------------------- curves
def test_training_curves_picture_follows_the_data():
    curves = TrainingCurves(title="run")
    qe = [3.0, 2.0, 1.5, 1.0]
    te = [0.5, 0.25, 0.1, 0.0]
    for e, (q, t) in enumerate(zip(qe, te, strict=True), start=1):
        curves.add_epoch(e, quantization_error=q, topographic_error=t, vacancy_rate=0.2,
                         radius=4.0 - e, learning_rate=0.5)
    svg = curves.to_svg()
    assert mimebundle(curves)["image/svg+xml"] == svg
    root = ET.fromstring(svg)
    (qline,) = by_class(root, "polyline", "qe")
    (tline,) = by_class(root, "polyline", "te")
    (rline,) = by_class(root, "polyline", "radius")
    q, t, r = polyline_points(qline), polyline_points(tline), polyline_points(rline)
    assert len(q) == len(t) == len(r) == 4
    # one vertex per epoch, equally spaced, same x for every curve of the chart
    res, slope = affine_residual(np.arange(1.0, 5.0), q[:, 0])
    assert res < 0.02 and slope > 0
    np.testing.assert_allclose(q[:, 0], t[:, 0])
    # the y pixels are a decreasing linear function of each value (SVG y grows downwards)
    for pts, values in ((q, qe), (t, te), (r, [3.0, 2.0, 1.0, 0.0])):
        res, slope = affine_residual(np.array(values), pts[:, 1])
        assert res < 0.02 and slope < 0
    # TE's axis is 0 % .. 100 %: TE = 0 sits on the bottom of the frame
    frame = by_class(root, "rect", "frame")[0]
    assert t[-1, 1] == pytest.approx(float(frame.get("y")) + float(frame.get("height")), abs=0.02)
    texts = " ".join(e.text or "" for e in root.iter(NS + "text"))
    assert "run" in texts and "100%" in texts
    summary = "".join(e.text or "" for e in root.iter(NS + "tspan"))
    assert "epoch 4" in summary and "QE 1" in summary and "TE 0.0%" in summary


def test_empty_curves_still_draw():
    root = ET.fromstring(TrainingCurves().to_svg())
    assert not list(root.iter(NS + "polyline"))
    assert "no epoch yet" in "".join(e.text or "" for e in root.iter(NS + "tspan"))


# ----------------------------------------------------------------------- input space
@pytest.fixture(scope="module")
def square():
    return np.random.default_rng(2).random((120, 2))


def test_input_space_picture_draws_the_net_where_the_codebook_is(square):
    som = SOM((3, 4), lattice="rect", initialization="random", random_state=0)
    som.fit(square, epochs=5)
    view = InputSpaceView(som, square, labels=np.repeat(["a", "b"], 60))
    root = ET.fromstring(view.to_svg())
    assert mimebundle(view)["image/svg+xml"] == view.to_svg()
    nodes = sorted(by_class(root, "circle", "node"), key=lambda e: int(e.get("data-neuron")))
    assert len(nodes) == 12
    px = np.array([[float(e.get("cx")), float(e.get("cy"))] for e in nodes])
    res_x, ax = affine_residual(som.codebook_[:, 0], px[:, 0])
    res_y, ay = affine_residual(som.codebook_[:, 1], px[:, 1])
    assert res_x < 0.02 and res_y < 0.02 and ax > 0 and ay < 0
    (net,) = by_class(root, "path", "net")
    assert int(net.get("data-count")) == 3 * 3 + 2 * 4  # a 3 x 4 grid has 17 edges
    samples = by_class(root, "circle", "sample")
    assert len(samples) == 120
    # the samples of each class keep their colour, and a legend names the classes
    assert {c.get("fill") for c in samples[:60]} != {c.get("fill") for c in samples[60:]}
    assert {"a", "b"} <= {e.text for e in root.iter(NS + "text")}
    view.close()


def test_input_space_picture_shows_the_selection(square):
    som = SOM((4, 4), lattice="hexa", initialization="random", random_state=1)
    som.fit(square, epochs=5)
    view = InputSpaceView(som, square)
    view.selection.neurons = [2, 9]
    root = ET.fromstring(view.to_svg())
    chosen = {int(e.get("data-neuron")) for e in by_class(root, "circle", "node")
              if e.get("data-selected")}
    assert chosen == {2, 9}
    bmus = cdist(square, som.codebook_).argmin(axis=1)
    opaque = [float(e.get("fill-opacity")) > 0.5 for e in by_class(root, "circle", "sample")]
    assert sum(opaque) == int(np.isin(bmus, [2, 9]).sum())
    view.close()


def test_input_space_picture_shows_one_online_step(square):
    som = SOM((5, 5), lattice="rect", initialization="random", random_state=3).initialize(square)
    step = som.online_step(square[7], radius=1.5, learning_rate=0.5)
    view = InputSpaceView(som, square)
    view.refresh(step=step)
    root = ET.fromstring(view.to_svg())
    (bmu,) = by_class(root, "circle", "bmu")
    node = next(e for e in by_class(root, "circle", "node") if int(e.get("data-neuron")) == step.bmu)
    assert (bmu.get("cx"), bmu.get("cy")) == (node.get("cx"), node.get("cy"))
    assert len(by_class(root, "path", "step-sample")) == 1
    assert len(by_class(root, "path", "ghost")) == 1
    # one orange disc per neuron the update moved noticeably (Gaussian weight > 1e-3)
    d2 = ((som.lattice_.coordinates - som.lattice_.coordinates[step.bmu]) ** 2).sum(axis=1)
    assert len(by_class(root, "circle", "influence")) == int((0.5 * np.exp(-d2 / 4.5) > 1e-3).sum())
    view.refresh()  # back to plain training: the step marks go
    root = ET.fromstring(view.to_svg())
    assert not by_class(root, "circle", "bmu") and not by_class(root, "path", "ghost")
    view.close()


# ---------------------------------------------------------------------------- studio
def test_studio_picture_holds_every_view_and_the_progress(square):
    studio = Studio(SOM((4, 5), random_state=0), square, epochs=2)
    studio.trainer.play()
    assert studio.trainer.join(60)
    svg = studio.to_svg()
    assert mimebundle(studio)["image/svg+xml"]
    root = ET.fromstring(svg)
    texts = " ".join(root.itertext())
    assert "epoch 2 / 2" in texts and "finished" in texts
    assert "Hit map" in texts and "Input space" in texts and "Training curves" in texts
    assert len(by_class(root, "circle", "node")) == 20
    studio.close()


# ---------------------------------------------------------------------------- layout
def test_row_and_column_keep_their_childrens_pictures(square):
    import ipywidgets as widgets

    from somwidget import Column, Row

    curves = TrainingCurves(width="300px")
    svg_html = widgets.HTML('<svg xmlns="http://www.w3.org/2000/svg" width="50" height="40"/>')
    button = widgets.Button(description="not a picture")
    cw, ch = svg_size(curves.to_svg())
    row = Row([curves, button, svg_html], gap=10)
    assert isinstance(row, widgets.HBox) and len(row.children) == 3
    assert svg_size(row.to_svg()) == (round(cw + 10 + 50), round(max(ch, 40)))
    assert mimebundle(row)["image/svg+xml"] == row.to_svg()
    col = Column([row, curves], gap=6)
    assert svg_size(col.to_svg()) == (round(cw + 10 + 50), round(2 * ch + 6))
    # a box without pictures still displays, just without the static fallback
    assert "image/svg+xml" not in mimebundle(Row([button]))
    with pytest.raises(ValueError, match="no.*static picture"):
        Row([button]).to_svg()


def test_curves_given_a_fitted_som_show_its_history(square):
    som = SOM(mapsize=(4, 4), random_state=0).fit(square, epochs=4, collect_history=True)
    curves = TrainingCurves(som)
    assert len(curves.data["epoch"]) == 4
    np.testing.assert_allclose(curves.arrays()["quantization_error"],
                               np.asarray(som.history_["quantization_error"], dtype=float))
    curves.close()
