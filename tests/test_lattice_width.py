"""Every lattice view takes ``width=``: the CSS width of its live canvas (a synced trait, 0 when
the canvas fills its output), validated with an error naming ``width``; the single-plane views'
static pictures take it too (cells that wide, as the glyph and index maps' do)."""

from __future__ import annotations

import re

import numpy as np
import pytest

from somwidget import SOM
from somwidget.widgets import (
    ClusterMap,
    CodebookGlyphMap,
    ComponentPlanes,
    HitMap,
    LabelMap,
    LatticeView,
    NeuronIndexMap,
    QualityMap,
    UMatrix,
)


@pytest.fixture(scope="module")
def fitted():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(120, 3))
    labels = np.array(["a", "b", "c"])[rng.integers(0, 3, size=120)]
    som = SOM(mapsize=(6, 8), random_state=0).fit(X, epochs=1)
    return som, X, labels


#: how to build each lattice view on the fixture (with extra keyword arguments)
MAKERS = {
    "LatticeView": lambda som, X, y, **kw: LatticeView(som, values=np.arange(48.0), **kw),
    "HitMap": lambda som, X, y, **kw: HitMap(som, X, **kw),
    "UMatrix": lambda som, X, y, **kw: UMatrix(som, **kw),
    "QualityMap": lambda som, X, y, **kw: QualityMap(som, X, **kw),
    "ClusterMap": lambda som, X, y, **kw: ClusterMap(som, X, n_clusters=3, **kw),
    "LabelMap": lambda som, X, y, **kw: LabelMap(som, X, y, **kw),
    "ComponentPlanes": lambda som, X, y, **kw: ComponentPlanes(som, **kw),
    "CodebookGlyphMap": lambda som, X, y, **kw: CodebookGlyphMap(som, **kw),
    "NeuronIndexMap": lambda som, X, y, **kw: NeuronIndexMap(som, **kw),
}


@pytest.mark.parametrize("name", sorted(MAKERS))
def test_width_is_the_live_canvas_width_of_every_lattice_view(fitted, name):
    som, X, y = fitted
    view = MAKERS[name](som, X, y, width=1400)
    try:
        # a synced trait of the shared base, in the state the browser gets
        assert view.get_state()["canvas_width"] == 1400.0
        assert type(view).class_traits()["canvas_width"] is LatticeView.class_traits()["canvas_width"]
    finally:
        view.close()
    default = MAKERS[name](som, X, y)
    try:
        assert default.get_state()["canvas_width"] == 0.0  # 0: the canvas fills its output
    finally:
        default.close()


@pytest.mark.parametrize("name", sorted(MAKERS))
@pytest.mark.parametrize(("bad", "error", "why"), [
    (0, ValueError, "must be > 0"), (-1, ValueError, "must be > 0"), ("a", TypeError, "must be a number"),
    (float("nan"), ValueError, "must be finite"), (float("inf"), ValueError, "must be finite"),
    (True, TypeError, "must be a number"),
])
def test_a_bad_width_is_refused_naming_width(fitted, name, bad, error, why):
    som, X, y = fitted
    with pytest.raises(error, match=rf"^width {why}"):
        MAKERS[name](som, X, y, width=bad)


def _cell_pitch(svg: str) -> float:
    """The distance between neurons 0 and 1 (side by side) in a rectangular map's picture."""
    first = {int(k): float(x) for k, x in
             re.findall(r'<polygon class="cell" data-k="(\d+)" points="([-\d.]+),', svg)}
    return first[1] - first[0]


@pytest.mark.parametrize("name", ["HitMap", "UMatrix", "QualityMap", "ClusterMap", "LabelMap"])
def test_a_single_plane_views_static_picture_is_that_wide_too(name):
    # a 10-column rectangular map at width=250: cells 250 / (10 + 2 * 0.06) px apart, as the
    # picture of the glyph map at that width (the picture's own padding of 0.06 cell a side)
    rng = np.random.default_rng(4)
    X = rng.normal(size=(80, 3))
    y = np.array(["a", "b"])[rng.integers(0, 2, size=80)]
    som = SOM(mapsize=(4, 10), lattice="rect", random_state=0).fit(X, epochs=1)
    view = MAKERS[name](som, X, y, width=250)
    try:
        assert _cell_pitch(view.to_svg()) == pytest.approx(250 / 10.12, abs=0.02)
    finally:
        view.close()


@pytest.mark.parametrize("name", ["HitMap", "UMatrix", "QualityMap", "ClusterMap", "LabelMap",
                                  "CodebookGlyphMap", "NeuronIndexMap"])
def test_canvas_width_set_later_is_the_static_pictures_width_too(name):
    # view.canvas_width = 250 after construction: the live canvas (the synced trait) and the
    # static picture both follow it, as width=250 would have; 0 goes back to the default
    rng = np.random.default_rng(4)
    X = rng.normal(size=(80, 3))
    y = np.array(["a", "b"])[rng.integers(0, 2, size=80)]
    som = SOM(mapsize=(4, 10), lattice="rect", random_state=0).fit(X, epochs=1)
    view, fixed = MAKERS[name](som, X, y), MAKERS[name](som, X, y, width=250)
    try:
        default = view.to_svg()
        view.canvas_width = 250
        assert view.get_state()["canvas_width"] == 250.0
        assert view.to_svg() == fixed.to_svg()
        if "polygon class=\"cell\"" in default:
            assert _cell_pitch(view.to_svg()) == pytest.approx(250 / 10.12, abs=0.02)
        view.canvas_width = 0
        assert view.to_svg() == default
    finally:
        view.close()
        fixed.close()


@pytest.mark.parametrize(("bad", "error", "why"), [
    (-1, ValueError, "must be >= 0"), (float("nan"), ValueError, "must be finite"),
    (float("inf"), ValueError, "must be finite"), ("a", Exception, "expected a float"),
    (True, Exception, "must be a number of CSS px; got True"),
])
def test_a_bad_canvas_width_is_refused_naming_it(fitted, bad, error, why):
    som, X, y = fitted
    view = HitMap(som, X, width=300)
    try:
        with pytest.raises(error, match=f"canvas_width.*{why}"):
            view.canvas_width = bad
        assert view.canvas_width == 300.0  # the value it had stays
    finally:
        view.close()
