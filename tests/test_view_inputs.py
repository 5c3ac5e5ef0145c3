"""The views with the input a user gets wrong or that changes under them: missing labels,
reordered columns, a map refitted smaller or on other data, BMUs of another map, a string for
one feature, a view used after close(). Each case failed with a numpy error, an IndexError or a
silently wrong picture before."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.spatial.distance import cdist

pytest.importorskip("anywidget")
pytest.importorskip("bqplot")

from somwidget import SOM  # noqa: E402
from somwidget.widgets import (  # noqa: E402
    ClusterMap,
    ComponentPlanes,
    Explorer,
    HitMap,
    InputSpaceView,
    NeuronInspector,
    Selection,
    TrainingCurves,
    UMatrix,
)

RNG = np.random.default_rng(0)
X = RNG.normal(size=(300, 4))
LABELS = pd.Series(RNG.choice(["a", "b", "c"], 300))


@pytest.fixture(scope="module")
def som() -> SOM:
    return SOM((6, 8), random_state=0).fit(X, epochs=3)


def _bmus(som: SOM, data: np.ndarray) -> np.ndarray:
    return cdist(data, som.codebook_).argmin(axis=1)  # normalization="none": data units


def test_missing_labels_are_no_class_in_the_explorer_and_the_selection(som):
    labels = LABELS.copy()
    labels[[0, 7]] = np.nan
    labels[9] = None
    ex = Explorer(som, X, labels)
    try:
        assert ex._picker.options == ("(select a class)", "a", "b", "c")
        b = _bmus(som, X)
        for cls in ("a", "c"):
            ex.select_samples(cls)
            assert ex.selection.neurons == sorted(set(b[(labels == cls).to_numpy()]))
        ex._picker.value = "b"
        assert ex.selection.neurons == sorted(set(b[(labels == "b").to_numpy()]))
        with pytest.raises(ValueError, match=r"unknown label\(s\) \['z'\]; known labels are \['a', 'b', 'c'\]"):
            ex.select_samples("z")
    finally:
        ex.close()


def test_the_input_space_draws_unlabelled_samples_grey_and_keeps_the_classes(som):
    labels = pd.Series(RNG.integers(0, 3, 300).astype(float))
    labels[:10] = np.nan
    view = InputSpaceView(som, X, labels)
    try:
        groups = {m.labels[0]: len(rows) for m, rows in view._data_marks}
        counts = labels.value_counts()
        assert groups == {"0.0": counts[0.0], "1.0": counts[1.0], "2.0": counts[2.0],
                          "no label": 10}
        assert sum(groups.values()) == 300  # every sample drawn
        svg = view.to_svg()
        assert ">no label<" in svg and ">1.0<" in svg
    finally:
        view.close()


@pytest.mark.parametrize("cls", [Explorer, NeuronInspector, InputSpaceView, HitMap])
def test_a_frame_with_reordered_columns_is_refused_by_every_view(cls):
    df = pd.DataFrame(X * [1, 10, 100, 1000], columns=list("abcd"))
    som = SOM((5, 5), random_state=0, normalization="standard").fit(df, epochs=2)
    with pytest.raises(ValueError, match=r"X has columns \['d', 'c', 'b', 'a'\], but the model was fitted with"):
        cls(som, df[list("dcba")])
    cls(som, df).close()


def test_a_map_refitted_smaller_drops_the_neurons_it_no_longer_has():
    som = SOM((6, 8), random_state=0).fit(X, epochs=2)
    hits = HitMap(som, X)
    space = InputSpaceView(som, X, selection=hits.selection)
    try:
        hits.selection.select([3, 45])
        som.set_params(mapsize=(3, 4))
        som.fit(X, epochs=2, callbacks=[hits, space])
        assert hits.selection.n_neurons == 12 and hits.selection.neurons == [3]
        hits.selection.add(1)
        assert hits.selection.neurons == [1, 3]
        svg = space.to_svg()
        assert svg.count('data-selected="1"') == 2
        assert np.array_equal(hits.values, np.bincount(_bmus(som, X), minlength=12))
    finally:
        hits.close()
        space.close()


def test_a_selection_shared_with_a_larger_map_never_breaks_a_picture():
    big = SOM((6, 8), random_state=0).fit(X, epochs=2)
    small = SOM((3, 4), random_state=0).fit(X, epochs=2)
    sel = Selection()
    hits = HitMap(big, X, selection=sel)
    sel.select([30])
    space = InputSpaceView(small, X, selection=sel)
    try:
        assert 'data-selected="1"' not in space.to_svg()  # neuron 30 is not on this map
    finally:
        hits.close()
        space.close()


def test_the_input_space_of_a_map_refitted_on_other_features_says_so():
    som = SOM((5, 6), random_state=0, warm_start=False).fit(X, epochs=2)
    view = InputSpaceView(som, X)
    som.fit(RNG.normal(size=(300, 7)), epochs=2)
    for call in (view.refresh, view.to_svg):
        with pytest.raises(ValueError, match="X has 4 features, but the SOM now has 7"):
            call()
    view.close()


@pytest.mark.parametrize("cls", [HitMap, NeuronInspector])
def test_bmus_handed_in_must_be_this_maps_neurons(som, cls):
    other = SOM((10, 10), random_state=0).fit(X, epochs=2)
    with pytest.raises(ValueError, match=r"bmus must be neuron indices in \[0, 47\]; got values in \[0, 99\]"):
        cls(som, X, bmus=other.predict(X))
    with pytest.raises(ValueError, match=r"bmus must be neuron indices in \[0, 47\]"):
        cls(som, X, bmus=np.r_[-1, np.zeros(299, int)])
    with pytest.raises(TypeError, match="integer neuron indices"):
        cls(som, X, bmus=np.full(300, 1.7))
    b = _bmus(som, X)
    view = cls(som, X, bmus=b.astype(float))  # whole numbers as floats are indices
    if cls is HitMap:
        np.testing.assert_array_equal(view.values, np.bincount(b, minlength=48))
    view.close()


def test_one_feature_by_name_or_index_is_one_plane():
    df = pd.DataFrame(X, columns=["age", "a", "g", "e"])
    som = SOM((5, 6), random_state=0).fit(df, epochs=2)
    assert ComponentPlanes(som, features="age").plane_names == ["age"]  # not 'a', 'g', 'e'
    assert ComponentPlanes(som, features=2).plane_names == ["g"]
    assert ComponentPlanes(som, features=["e", "age"]).plane_names == ["e", "age"]


def test_a_closed_view_says_so_and_never_stops_a_fit(som):
    views = [HitMap(som, X), UMatrix(som), ComponentPlanes(som), ClusterMap(som, X),
             InputSpaceView(som, X), NeuronInspector(som, X), Explorer(som, X),
             TrainingCurves()]
    for view in views:
        view.close()
        view.close()  # twice: nothing more
    before = som.n_epochs_trained_
    som.fit(X, epochs=2, callbacks=views)  # the closed views ignore the calls
    assert som.n_epochs_trained_ == before + 2
    for view in views:
        name = type(view).__name__
        with pytest.raises(ValueError, match=f"this {name} is closed: it has no picture"):
            view.to_svg()
        with pytest.raises(ValueError, match=f"this {name} is closed"):
            view.refresh()


def test_training_curves_refuse_values_no_training_gives():
    curves = TrainingCurves()
    try:
        curves.add_epoch(1, quantization_error=0.5, topographic_error=0.1, vacancy_rate=0.0,
                         radius=3.0, learning_rate=0.5)
        curves.add_epoch(2, quantization_error=np.float32(0.4), topographic_error=None)
        bad = [({"quantization_error": -1.0}, r"quantization_error must be finite and >= 0"),
               ({"topographic_error": -0.5}, r"topographic_error must be finite and in \[0, 1\]"),
               ({"vacancy_rate": 2.0}, r"vacancy_rate must be finite and in \[0, 1\]"),
               ({"radius": -3}, r"radius must be finite and >= 0"),
               ({"quantization_error": float("inf")}, r"quantization_error must be finite")]
        for kwargs, match in bad:
            with pytest.raises(ValueError, match=match):
                curves.add_epoch(3, **kwargs)
        with pytest.raises(TypeError, match="quantization_error must be a number"):
            curves.add_epoch(3, quantization_error="abc")
        for epoch, error in ((-5, ValueError), (2.7, TypeError), (float("nan"), TypeError)):
            with pytest.raises(error, match="epoch must be"):
                curves.add_epoch(epoch)
        with pytest.raises(TypeError, match="phase must be a string"):
            curves.add_epoch(3, phase=7)
        assert curves.data["epoch"] == [1.0, 2.0]  # nothing refused was added
        np.testing.assert_allclose(curves.data["quantization_error"], [0.5, 0.4], rtol=1e-6)
    finally:
        curves.close()


def test_selecting_neurons_refuses_booleans_nesting_and_overflow():
    sel = Selection()
    sel.select([3, 1, 3])
    assert sel.neurons == [1, 3]
    for bad, error, match in (([True, 2], TypeError, "a boolean"),
                              ([[1, 2], [3, 4]], TypeError, "flat sequence"),
                              ([[1], [2, 3]], TypeError, "flat sequence"),
                              (np.array([2**63 + 5], dtype=np.uint64), ValueError,
                               "9223372036854775813")):
        with pytest.raises(error, match=match):
            sel.select(bad)
    assert sel.neurons == [1, 3]  # unchanged


def test_lattice_values_that_are_no_numbers_name_values(som):
    from somwidget.widgets import LatticeView

    with pytest.raises(TypeError, match=r"values must be numbers, one per neuron"):
        LatticeView(som, values=["a"] * 48)


# ---- views of a map that training or a refit changed under them; layout and argument checks


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame(np.random.default_rng(1).normal(size=(300, 3)), columns=["f0", "f1", "f2"])


@pytest.fixture
def small_som() -> SOM:
    return SOM(mapsize=(4, 5), normalization="none", random_state=0)


def _opaque_samples(svg: str) -> int:
    return svg.count('class="sample"') - svg.count('fill-opacity="0.15"')


def test_input_space_fed_by_training_highlights_the_final_codebooks_samples(frame, small_som):
    som = small_som
    som.initialize(frame)
    sel = Selection()
    ip = InputSpaceView(som, frame, selection=sel)
    hm = HitMap(som, frame, selection=sel)
    try:
        som.fit(frame, epochs=3, callbacks=[ip, hm])
        b = _bmus(som, frame.to_numpy())
        k = int(np.bincount(b).argmax())
        sel.select([k])
        np.testing.assert_array_equal(ip.selected_sample_mask(), b == k)
        assert _opaque_samples(ip.to_picture().svg) == int((b == k).sum())
        som.fit(frame, epochs=1)  # the codebook changes without the view hearing of it
        b = _bmus(som, frame.to_numpy())
        np.testing.assert_array_equal(ip.selected_sample_mask(), b == k)
    finally:
        ip.close()
        hm.close()


def test_views_refitted_to_another_size_draw_a_consistent_state(frame, small_som):
    from somwidget.widgets import CodebookGlyphMap, ElevationMap, NeuronIndexMap

    som = small_som.fit(frame, epochs=2)
    sel = Selection()
    hm = HitMap(som, frame, selection=sel)
    glyphs = CodebookGlyphMap(som, selection=sel)
    index = NeuronIndexMap(som, selection=sel)
    elevation = ElevationMap(som, values=np.arange(20.0), selection=sel)
    ip = InputSpaceView(som, frame)
    views = (hm, glyphs, index, elevation, ip)
    try:
        sel.select([19])
        som.set_params(mapsize=(3, 3))
        som.fit(frame, epochs=2)
        hm.refresh()  # trims the selection: the others redraw their last state
        assert glyphs.to_picture().svg.count('class="glyph"') == 20
        assert index.to_picture().svg.count('class="index"') == 20
        glyphs.refresh()
        assert glyphs.to_picture().svg.count('class="glyph"') == 9
        # the input space is drawn on the new map even before its own refresh
        svg = ip.to_picture().svg
        assert svg.count("data-neuron=") == 9
        with pytest.raises(ValueError, match=r"the map has 9 neurons now \(3 x 3\); values has "
                                             r"20: pass new values="):
            elevation.refresh()
        assert elevation.to_picture().svg.count('class="prism"') == 20  # its last state
        elevation.refresh(values=np.arange(9.0) * 2)
        np.testing.assert_array_equal(elevation.values, np.arange(9.0) * 2)
        assert elevation.to_picture().svg.count('class="prism"') == 9
    finally:
        for view in views:
            view.close()


def test_rows_and_columns_check_gap_and_children(som):
    from somwidget.widgets import Column, Row

    for box in (Row, Column):
        for gap, error, match in ((float("nan"), ValueError, "gap must be finite"),
                                  (-500, ValueError, "gap must be >= 0"),
                                  ("x", TypeError, "gap must be a number")):
            with pytest.raises(error, match=match):
                box([], gap=gap)
        with pytest.raises(TypeError, match=r"children must be views or other ipywidgets "
                                            r"widgets; got int 1, int 2"):
            box([1, 2])
    u1, u2 = UMatrix(som), UMatrix(som)
    try:
        row = Row([u1, u2], gap=0)
        assert row.to_picture().width == u1.to_picture().width + u2.to_picture().width
        row.close()
    finally:
        u1.close()
        u2.close()


@pytest.mark.parametrize("box", ["Row", "Column"])
def test_closing_an_empty_row_or_column_leaves_no_widget_open(box):
    import ipywidgets

    from somwidget import widgets as views

    registry = ipywidgets.widgets.widget._instances  # ipywidgets 8's live widgets
    before = set(registry)
    made = getattr(views, box)([])
    assert len(set(registry) - before) == 2  # the box and its layout
    made.close()
    assert set(registry) - before == set()


def test_chart_views_take_pixels_and_name_bad_titles_and_features(frame, small_som):
    from somwidget.widgets import HitHistogram
    from somwidget.widgets._common import ensure_initialized

    som = small_som.fit(frame, epochs=1)
    for cls in (HitHistogram, InputSpaceView):
        with pytest.raises(TypeError, match="title must be a string or None; got int 5"):
            cls(som, frame, title=5)
        with pytest.raises(TypeError, match="width must be a CSS length"):
            cls(som, frame, width=[300])
        with pytest.raises(ValueError, match="height in pixels must be a finite number > 0"):
            cls(som, frame, height=-1)
        view = cls(som, frame, width=300, height=250.5)
        try:
            assert view.figure.layout.width == "300px"
            assert view.figure.layout.height == "250.5px"
        finally:
            view.close()
    with pytest.raises(TypeError, match=r"features must be a pair of feature indices or names"):
        InputSpaceView(som, frame, features=3)
    with pytest.raises(TypeError, match="som: expected a somwidget SOM, got str"):
        ensure_initialized("som", frame)


def test_a_closed_input_space_says_so_for_its_sample_mask(frame, small_som):
    ip = InputSpaceView(small_som.fit(frame, epochs=1), frame)
    ip.close()
    with pytest.raises(ValueError, match="this InputSpaceView is closed"):
        ip.selected_sample_mask()
