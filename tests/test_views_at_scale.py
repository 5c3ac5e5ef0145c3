"""Views at scale: what they keep of the user's data, their cost as training callbacks, the
labels of their pictures and legends when names or classes are many.

Expected values are computed independently (numpy on the inputs), never read back from what the
view just produced.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from somwidget import SOM
from somwidget.widgets.explorer import Explorer
from somwidget.widgets.inspector import NeuronInspector

ROWS, COLS, D = 5, 4, 3


@pytest.fixture(scope="module")
def data32() -> np.ndarray:
    rng = np.random.default_rng(0)
    return rng.normal(size=(300, D)).astype(np.float32)


@pytest.fixture(scope="module")
def som(data32) -> SOM:
    return SOM(mapsize=(ROWS, COLS), random_state=0).fit(data32, epochs=2)


# ---------------------------------------------------------------- 1. one copy of a float32 X
def test_explorer_keeps_float32_shared_with_the_inspector(som, data32):
    ex = Explorer(som, data32, views=["hits", "inspector"])
    assert ex._X.dtype == np.float32
    assert np.shares_memory(ex._X, data32)  # C-contiguous float32: the user's array itself
    assert np.shares_memory(ex.inspector._X, ex._X)
    ex.close()


def test_explorer_float64_stays_the_users_array(som, data32):
    X64 = data32.astype(np.float64)
    ex = Explorer(som, X64, views=["hits", "inspector"])
    assert np.shares_memory(ex._X, X64) and np.shares_memory(ex.inspector._X, X64)
    ex.close()


def test_float32_shows_the_values_of_the_float64_path(som, data32):
    X64 = data32.astype(np.float64)
    frame = pd.DataFrame(data32, columns=["a", "b", "c"], index=np.arange(300) + 1000)
    a = NeuronInspector(som, frame)
    b = NeuronInspector(som, pd.DataFrame(X64, columns=["a", "b", "c"], index=frame.index))
    assert a._X.dtype == np.float32
    np.testing.assert_array_equal(a._mean, X64.mean(axis=0))  # exact: sums in float64
    np.testing.assert_array_equal(a._raw_sd, b._raw_sd)
    a.selection.neurons = b.selection.neurons = [0, 3]
    pd.testing.assert_frame_equal(a.summary_statistics(), b.summary_statistics())
    assert a._summary.value == b._summary.value and a._vector.value == b._vector.value
    assert list(a._index) == list(frame.index)
    ex = Explorer(som, frame, views=["hits", "inspector"])
    assert list(ex.inspector._index) == list(frame.index)
    assert ex.inspector.feature_names == ["a", "b", "c"]
    ex.close()


# ---------------------------------------------------------------- 2. the overhead budget
class _Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def _live_starts(view, som, cost_s: float, seconds: float = 4.0) -> list[float]:
    """Drive ``view`` as a training callback for ``seconds`` simulated seconds of 1 ms epochs,
    each refresh costing ``cost_s``; the simulated times the refreshes started."""
    from types import SimpleNamespace

    from somwidget.widgets.live import Throttle

    clock = _Clock()
    view.throttle = Throttle(15, clock=clock)
    view.clock = clock
    draw = view.refresh
    starts: list[float] = []

    def slow_refresh(*args, **kwargs):
        starts.append(clock.t)
        clock.t += cost_s
        draw(*args, **kwargs)

    view.refresh = slow_refresh
    state = SimpleNamespace(som=som, final=False)
    for _ in range(int(seconds * 1000)):
        view(state)
        clock.t += 0.001
    return starts


@pytest.mark.parametrize("make", ["hit_map", "inspector"])
def test_standalone_views_keep_the_overhead_budget(som, data32, make):
    from somwidget.widgets.hit_map import HitMap

    view = HitMap(som, data32) if make == "hit_map" else NeuronInspector(som, data32)
    assert view.max_overhead == 0.05
    starts = _live_starts(view, som, 0.05)
    # 15 Hz alone would allow ~60; at 50 ms a refresh, 5% allows one per 0.05 / 0.05 = 1 s
    gaps = np.diff(starts)[1:]
    assert 3 <= len(gaps) <= 4, starts
    assert np.all((gaps >= 1.0) & (gaps <= 1.01)), gaps
    view.max_overhead = 1.0  # the budget off: the throttle alone
    assert len(_live_starts(view, som, 0.05, seconds=1.0)) >= 10
    with pytest.raises(ValueError, match="max_overhead"):
        view.max_overhead = 1.5
    view.close()


def test_cheap_standalone_refreshes_follow_the_throttle(som, data32):
    from somwidget.widgets.hit_map import HitMap

    view = HitMap(som, data32)
    starts_cheap = _live_starts(view, som, 0.0005, seconds=1.0)
    assert len(starts_cheap) >= 10  # cheap refreshes: the 15 Hz throttle binds, not the budget
    view.close()


def test_a_new_training_run_starts_with_a_frame(som, data32):
    from types import SimpleNamespace

    from somwidget.widgets.hit_map import HitMap
    from somwidget.widgets.live import Throttle

    view = HitMap(som, data32)
    clock = _Clock()
    view.throttle = Throttle(15, clock=clock)
    view.clock = clock
    draw = view.refresh

    def slow_refresh(*args, **kwargs):  # every refresh costs 1 s: 19 s to wait after each
        clock.t += 1.0
        draw(*args, **kwargs)

    view.refresh = slow_refresh
    view._record_refresh(clock.t - 1.0)
    f0 = view.frame
    for epoch in (1, 2, 3):
        clock.t += 0.1
        view(SimpleNamespace(som=som, final=False, epoch=epoch))
    assert view.frame == f0 + 1  # the run's first epoch only (then the budget holds back)
    clock.t += 0.1
    view(SimpleNamespace(som=som, final=False, epoch=1))  # a new fit: its first frame at once
    assert view.frame == f0 + 2
    view.close()


# ---------------------------------------------------------------- 3. views only read the data
@pytest.mark.parametrize("kind", ["array32", "array64", "frame"])
def test_hit_and_label_maps_bind_the_users_data_without_a_copy(som, data32, kind):
    from somwidget.widgets.cluster_map import ClusterMap
    from somwidget.widgets.hit_map import HitMap
    from somwidget.widgets.label_map import LabelMap

    X = {"array32": data32, "array64": data32.astype(np.float64),
         "frame": pd.DataFrame(data32.astype(np.float64), columns=["a", "b", "c"])}[kind]
    column = X["a"].to_numpy() if kind == "frame" else X[:, 0]
    labels = np.arange(len(data32)) % 3
    for view in (HitMap(som, X), LabelMap(som, X, labels), ClusterMap(som, X, n_clusters=2)):
        bound = view.selection._data
        assert np.shares_memory(bound.iloc[:, 0].to_numpy(), column)
        view.selection.neurons = [0, 5]
        expected = np.isin(som.predict(data32.astype(np.float64)), [0, 5])
        np.testing.assert_array_equal(view.selection.samples.iloc[:, 0].to_numpy(),
                                      np.asarray(column)[expected])
        view.close()


def test_input_space_keeps_float32_as_the_users_array(som, data32):
    from somwidget.widgets.input_space import InputSpaceView

    a = InputSpaceView(som, data32, max_points=50)
    b = InputSpaceView(som, data32.astype(np.float64), max_points=50)
    assert a.X.dtype == np.float32 and np.shares_memory(a.X, data32)
    np.testing.assert_array_equal(a.data_xy, b.data_xy)  # the points of the float64 path
    a.close()
    b.close()


# ---------------------------------------------------------------- 4. l2: training space
def test_component_planes_of_an_l2_map_say_training_space(data32):
    from somwidget.widgets.planes import ComponentPlanes

    l2 = SOM(mapsize=(ROWS, COLS), normalization="l2", random_state=0).fit(data32, epochs=1)
    view = ComponentPlanes(l2)
    svg = view.to_svg()
    assert "training space" in view.title and "data units" not in view.title
    assert "training space" in svg and "own units" not in svg and "data units" not in svg
    assert "training space" in view.units_note  # the live subtitle (drawn by the front end)
    assert "own units" in ComponentPlanes(SOM(mapsize=(ROWS, COLS), random_state=0).fit(
        data32, epochs=1)).units_note
    np.testing.assert_array_equal(view._state["planes"], l2.codebook_)  # what is drawn
    view.close()
    plain = SOM(mapsize=(ROWS, COLS), random_state=0).fit(data32, epochs=1)
    view = ComponentPlanes(plain)
    assert "data units" in view.title and "own units" in view.to_svg()
    view.close()


# ---------------------------------------------------------------- 5. long names in legends
def _texts(svg: str) -> list[str]:
    """The visible text of every <text> element (its <title> tooltip left out)."""
    import xml.etree.ElementTree as ET

    ns = "{http://www.w3.org/2000/svg}"
    return ["".join(t.text or "" for t in [el]) for el in ET.fromstring(svg).iter(f"{ns}text")]


@pytest.mark.parametrize("kind", ["bar", "line"])
def test_glyph_map_shortens_long_feature_names(data32, kind):
    from somwidget.widgets.glyph_map import CodebookGlyphMap

    names = ["L" * 500 + str(i) for i in range(D)]
    frame = pd.DataFrame(data32, columns=names)
    long_som = SOM(mapsize=(ROWS, COLS), random_state=0).fit(frame, epochs=1)
    svg = CodebookGlyphMap(long_som, kind=kind).to_svg()
    assert max(len(t) for t in _texts(svg)) < 400  # no 500-character line
    if kind == "bar":
        assert "L" * 23 + "…" in _texts(svg)  # 24 characters, like the planes' titles
        for name in names:
            assert f"<title>{name}</title>" in svg  # the full name as the entry's tooltip


# ---------------------------------------------------------------- 6. more classes than colours
def _many_classes(som, n_classes: int, seed: int = 1):
    """Labels of 600 samples: class 0 on 200 samples, class 1 on 100, the rest spread."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(600, D)).astype(np.float32)
    labels = np.concatenate([np.zeros(200, int), np.ones(100, int),
                             2 + np.arange(300) % (n_classes - 2)])
    return X, np.array([f"c{v:04d}" for v in labels])


def test_label_map_with_more_classes_than_colours_lists_the_most_frequent(som):
    from somwidget.widgets.colormaps import CATEGORICAL
    from somwidget.widgets.label_map import LabelMap
    from somwidget.widgets.palettes import OTHER_COLOR

    X, labels = _many_classes(som, 300)
    view = LabelMap(som, X, labels)
    k = len(CATEGORICAL)
    names = list(view.category_names)
    assert len(names) == k + 1 and names[-1] == f"{300 - k:,} other classes"
    assert names[:2] == ["c0000", "c0001"]  # most frequent first
    colours = list(view.category_colors)
    assert len(set(colours)) == len(colours) == k + 1 and colours[-1] == OTHER_COLOR
    # every neuron: its majority class (by hand) if listed, else the "other" entry
    bmus = som.predict(X.astype(np.float64))
    cats = view._state["categories"]
    for neuron in np.unique(bmus):
        classes, n = np.unique(labels[bmus == neuron], return_counts=True)
        top = classes[np.argmax(n)]
        expected = names.index(top) if top in names else k
        assert cats[neuron] == expected
    svg = view.to_svg()
    assert svg.count('class="legend-swatch"') == k + 2  # + "no samples"
    view.close()


@pytest.mark.parametrize("kind", ["labels", "hits"])
def test_tooltips_name_each_neurons_real_class_beyond_the_palette(som, kind):
    # the legend and the colours group the rare classes; the tooltip said "N other classes"
    from somwidget.widgets.hit_map import HitMap
    from somwidget.widgets.label_map import LabelMap

    X, labels = _many_classes(som, 300)
    view = (LabelMap(som, X, labels) if kind == "labels"
            else HitMap(som, X, labels, label_overlay="majority"))
    field, codes = next((f, v) for f, v in view._state["tooltip"] if f.get("format") == "category")
    names = field["names"]
    bmus = som.predict(X.astype(np.float64))
    for neuron in np.unique(bmus):
        classes, n = np.unique(labels[bmus == neuron], return_counts=True)
        assert names[int(codes[neuron])] == classes[np.argmax(n)]
    view.close()


def test_explorer_picture_with_a_thousand_classes_stays_small(som):
    X, labels = _many_classes(som, 1000)
    ex = Explorer(som, X, labels, views=["hits", "labels"])
    few = Explorer(som, X, np.where(np.isin(labels, ["c0000", "c0001"]), labels, "c0002"),
                   views=["hits", "labels"])
    svg, small = ex.to_svg(), few.to_svg()
    assert len(svg) < 2 * len(small) + 20000, (len(svg), len(small))
    ex.close()
    few.close()


def test_twenty_classes_keep_their_colours(som):
    from somwidget.widgets.label_map import LabelMap

    X, labels = _many_classes(som, 20)
    view = LabelMap(som, X, labels)
    assert list(view.category_names) == sorted(set(labels))  # unchanged: class order
    view.close()


# ---------------------------------------------------------------- 7. raster by the picture's cells
def test_component_planes_raster_by_the_cells_of_the_whole_picture():
    from somwidget.widgets.pictures.lattice import RASTER_NEURONS
    from somwidget.widgets.planes import ComponentPlanes

    rng = np.random.default_rng(2)
    d = 8
    side = 20  # 400 neurons a plane, 3200 in the picture: more than RASTER_NEURONS
    assert side * side <= RASTER_NEURONS < side * side * d
    big = SOM(mapsize=(side, side), random_state=0).initialize(rng.normal(size=(500, d)))
    svg = ComponentPlanes(big).to_svg()
    assert svg.count('class="cells-raster"') == d  # one PNG per plane
    one = ComponentPlanes(big, features=[0]).to_svg()  # one plane of 400: vector as before
    assert "cells-raster" not in one
