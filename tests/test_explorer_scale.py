"""Big maps and big selections: one shared BMU pass, the inspector's summaries, the paged table.

Expected values come from scipy / numpy computed here (cdist BMUs, bincounts, sorted frames),
never from what the views just produced.
"""

from __future__ import annotations

import re
import time

import numpy as np
import pandas as pd
import pytest
from scipy.spatial.distance import cdist

from somwidget import SOM
from somwidget.widgets.explorer import Explorer
from somwidget.widgets.inspector import NeuronInspector, round_ticks
from somwidget.widgets.lattice_view import MIN_RELATIVE_SPAN
from somwidget.widgets.quality_map import QualityMap
from somwidget.widgets.sample_table import SampleTable
from somwidget.widgets.selection import Selection
from somwidget.widgets.umatrix import UMatrix

ROWS, COLS = 8, 7
M = ROWS * COLS


def _data(n_per: int = 60, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    centres = np.array([[0.0, 0.0, 0.0, 0.0], [6.0, 0.0, 2.0, 1.0], [0.0, 6.0, 4.0, -2.0]])
    X = np.vstack([c + rng.normal(size=(n_per, 4)) for c in centres])
    labels = np.repeat(np.array(["a", "b", "c"]), n_per)
    return pd.DataFrame(X, columns=["w", "x", "y", "z"]), labels


@pytest.fixture(scope="module")
def trained():
    X, labels = _data()
    som = SOM(mapsize=(ROWS, COLS), lattice="hexa", random_state=0).fit(X, epochs=8)
    d = cdist(X.to_numpy(), som.codebook_)  # normalization="none": codebook in data units
    return som, X, labels, d.argmin(axis=1), d.min(axis=1)


class _Counter:
    """Counts the BMU passes a SOM makes (every public way to get BMUs or distances)."""

    NAMES = ("best_matching_units", "predict", "transform", "quality_map", "hit_counts",
             "initialize", "_bmus2")

    def __init__(self, som):
        self.calls: dict[str, int] = dict.fromkeys(self.NAMES, 0)
        for name in self.NAMES:
            original = getattr(som, name)

            def wrapped(*a, _name=name, _f=original, **k):
                self.calls[_name] += 1
                return _f(*a, **k)

            setattr(som, name, wrapped)

    def passes(self) -> int:
        """Public calls that can search (``_bmus2`` is counted only when no public method
        above it was: ``best_matching_units`` itself reads through ``_bmus2``)."""
        public = sum(v for k, v in self.calls.items() if k not in ("initialize", "_bmus2"))
        return public or self.calls["_bmus2"]


def test_explorer_builds_on_one_bmu_pass_and_no_initialisation(trained, monkeypatch):
    import somwidget.bmu

    som, X, labels, _, _ = trained
    searches = []
    real = somwidget.bmu.find_bmus
    monkeypatch.setattr(somwidget.bmu, "find_bmus",
                        lambda *a, **k: searches.append(1) or real(*a, **k))
    counter = _Counter(som)
    try:
        ex = Explorer(som, X, labels=labels, views=("hits", "umatrix", "quality", "labels",
                                                     "planes", "inspector"))
        assert counter.calls["best_matching_units"] == 1, counter.calls
        assert counter.passes() == 1, counter.calls
        assert len(searches) <= 1  # the one search itself (none when the cache had it)
        assert counter.calls["initialize"] == 0
        # selecting (even many neurons) reads the cached pass: no BMU search at all
        ex.selection.select(range(0, M, 2))
        assert counter.passes() == 1, counter.calls
        # a live refresh is again exactly one pass for every view
        ex.refresh()
        assert counter.calls["best_matching_units"] == 2 and counter.passes() == 2, counter.calls
    finally:
        for name in _Counter.NAMES:
            som.__dict__.pop(name, None)


def test_shared_pass_gives_the_same_quality_and_hit_maps(trained):
    som, X, labels, bmus, dist = trained
    ex = Explorer(som, X, labels=labels, views=("hits", "quality"))
    hits = np.bincount(bmus, minlength=M)
    q_expected = np.full(M, np.nan)
    q_expected[hits > 0] = np.bincount(bmus, weights=dist, minlength=M)[hits > 0] / hits[hits > 0]
    q_sent = np.frombuffer(bytes(ex.quality_map.values), dtype="<f4")
    np.testing.assert_allclose(q_sent, q_expected.astype(np.float32), rtol=1e-5, equal_nan=True)
    standalone = QualityMap(som, X)
    np.testing.assert_allclose(np.frombuffer(bytes(standalone.values), dtype="<f4"), q_sent,
                               rtol=1e-6, equal_nan=True)


def test_labelled_hit_map_shows_hits_and_classes_together(trained):
    som, X, labels, bmus, _ = trained
    ex = Explorer(som, X, labels=labels)
    hm = ex.hit_map
    hits = np.bincount(bmus, minlength=M)
    assert hm.draw_style == "size"
    assert np.asarray(hm.sizes).size == 0  # derived in the browser: values / vmax
    np.testing.assert_allclose(np.asarray(hm.values) / hm.vmax, hits / hits.max(), rtol=1e-6)
    assert hm.categories.dtype == np.int8
    cats = np.frombuffer(bytes(hm.categories), dtype="i1")
    codes = np.searchsorted(np.array(["a", "b", "c"]), labels)
    counts = np.zeros((M, 3))
    np.add.at(counts, (bmus, codes), 1)
    expected = np.where(hits > 0, counts.argmax(axis=1), -1)
    np.testing.assert_array_equal(cats, expected)
    assert hm.legend == "categories" and hm.category_names == ["a", "b", "c"]
    assert "hits" in hm.category_title
    # the per-class counts are in the tooltip (small map)
    names = [f["name"] for f in hm.tooltip_fields]
    assert {"a", "b", "c"} <= set(names)


def test_inspector_orders_neurons_by_hits_and_says_k_of_n(trained):
    som, X, labels, bmus, _ = trained
    sel = Selection()
    ins = NeuronInspector(som, X, labels=labels, selection=sel, max_neurons=5)
    hits = np.bincount(bmus, minlength=M)
    chosen = list(range(0, 40, 2))  # 20 neurons, some of them may win nothing
    sel.select(chosen)
    rows = re.findall(r"<tr><td>(\d+)</td><td>\d+</td><td>\d+</td><td>(\d+)</td>", ins._summary.value)
    shown = [int(k) for k, _ in rows]
    expected = sorted(chosen, key=lambda k: (-hits[k], k))[:5]
    assert shown == expected
    assert [int(h) for _, h in rows] == [hits[k] for k in expected]
    assert "showing 5 of 20 neurons, most hits first" in ins._summary.value
    empty = int((hits[chosen] == 0).sum())
    if empty:
        assert f"{empty} neurons without samples" in ins._summary.value


def test_inspector_summarises_a_big_selection_as_mean_and_spread(trained):
    som, X, labels, bmus, _ = trained
    sel = Selection()
    ins = NeuronInspector(som, X, labels=labels, selection=sel, max_lines=3)
    chosen = list(range(5, 45))
    sel.select(chosen)
    data = X.to_numpy()
    mean, sd = data.mean(axis=0), data.std(axis=0)
    W = som.codebook_[chosen]  # data units (normalization="none")
    samples = data[np.isin(bmus, chosen)]
    stats = ins.summary_statistics()
    np.testing.assert_allclose(stats["neuron_mean"], W.mean(axis=0))
    np.testing.assert_allclose(stats["neuron_sd"], W.std(axis=0))
    np.testing.assert_allclose(stats["sample_mean"], samples.mean(axis=0))
    np.testing.assert_allclose(stats["sample_sd"], samples.std(axis=0))
    np.testing.assert_allclose(stats["data_mean"], mean)
    # the chart: one mean line, a ±1 sd band across the neurons, the samples' mean (z-scores)
    Z = (W - mean) / sd
    np.testing.assert_allclose(np.atleast_2d(ins._lines.y)[0], Z.mean(axis=0), atol=1e-9)
    band = np.asarray(ins._spread.y)
    np.testing.assert_allclose(band[0], Z.mean(axis=0) - Z.std(axis=0), atol=1e-9)
    np.testing.assert_allclose(band[1], Z.mean(axis=0) + Z.std(axis=0), atol=1e-9)
    assert ins._spread.visible and ins._sample_mean.visible
    np.testing.assert_allclose(ins._sample_mean.y, (samples.mean(axis=0) - mean) / sd, atol=1e-9)
    assert list(ins._lines.labels) == ["mean of 40 neurons"]
    # a small selection draws one line per neuron again
    sel.select([1, 2])
    assert not ins._spread.visible and np.atleast_2d(ins._lines.y).shape[0] == 2


@pytest.mark.parametrize("limit", [0.3, 1.0, 1.7, 2.0, 3.2, 7.9, 23.0, 140.0])
def test_round_ticks_are_round_symmetric_and_cover(limit):
    top, ticks = round_ticks(limit)
    step = ticks[1] - ticks[0]
    assert step in (0.25, 0.5, 1.0, 2.0, 2.5, 5.0, 10.0, 20.0, 25.0, 50.0, 100.0)
    assert top >= limit and top - step < limit
    np.testing.assert_allclose(ticks, -ticks[::-1])
    np.testing.assert_allclose(np.diff(ticks), step)
    assert len(ticks) <= 9


def test_inspector_axis_uses_round_ticks(trained):
    som, X, labels, _, _ = trained
    sel = Selection()
    ins = NeuronInspector(som, X, selection=sel)
    sel.select([3])
    ticks = np.asarray(ins._ax_y.tick_values)
    step = ticks[1] - ticks[0]
    np.testing.assert_allclose(ticks / step, np.round(ticks / step))
    assert ins._sy.max == ticks[-1] and ins._sy.min == ticks[0]
    z = np.atleast_2d(ins._lines.y)
    assert np.abs(z).max() <= ins._sy.max


def test_sample_table_pages_and_sorts_like_pandas():
    rng = np.random.default_rng(3)
    n = 500
    value = rng.normal(size=n)
    value[::17] = np.nan
    name = rng.choice(["x", "y", "zz"], size=n)
    table = SampleTable([("value", value), ("name", name)], pd.RangeIndex(n), page_size=25)
    shown = np.flatnonzero(rng.random(n) < 0.6)
    table.show(shown)
    assert table.n_pages == -(-shown.size // 25)
    frame = pd.DataFrame({"value": value, "name": name})
    for by, ascending in [("value", True), ("value", False), ("name", True), ("name", False)]:
        table.sort(by, ascending)
        expected = frame.iloc[shown].sort_values(by, ascending=ascending, kind="stable",
                                                 na_position="last")
        np.testing.assert_array_equal(table.positions, expected.index.to_numpy())
        table.go(2)
        page = table.page_frame()
        np.testing.assert_array_equal(page.index, expected.index[50:75])
        assert table._html.value.count("<tr><th>") - 1 == 25  # header + one page travels
        assert f"rows 51–75 of {shown.size}" in table._info.value
    table.go(10_000)
    assert table.page == table.n_pages - 1
    table.go(-3)
    assert table.page == 0 and table._prev.disabled
    with pytest.raises(ValueError, match="by"):
        table.sort("nope")


def test_inspector_table_sorted_by_a_feature_through_its_controls(trained):
    som, X, labels, bmus, _ = trained
    sel = Selection()
    ins = NeuronInspector(som, X, labels=labels, selection=sel, max_rows=7)
    k = int(np.bincount(bmus).argmax())
    sel.select([k])
    ins.table._sort.value = "y"  # the dropdown, as a click in the browser sets it
    ins.table._order.value = True  # descending
    mine = X[bmus == k].sort_values("y", ascending=False, kind="stable")
    np.testing.assert_array_equal(ins.table.page_frame().index, mine.index[:7])
    assert list(ins.table.page_frame()["neuron"]) == [k] * min(7, len(mine))
    ins.table._next.click()
    np.testing.assert_array_equal(ins.table.page_frame().index, mine.index[7:14])


def test_nearly_constant_umatrix_gets_a_minimum_span_and_says_so():
    X, _ = _data()
    som = SOM(mapsize=(ROWS, COLS), random_state=0).initialize(X)  # PCA: a near-uniform grid
    u = som.umatrix().ravel()
    assert u.max() - u.min() < MIN_RELATIVE_SPAN * u.max()  # the premise: nearly constant
    view = UMatrix(som)
    assert view.vmax - view.vmin == pytest.approx(MIN_RELATIVE_SPAN * u.max(), rel=1e-6)
    assert view.vmin <= u.min() + 1e-6 and view.vmax >= u.max() - 1e-6
    assert "nearly constant" in view.value_label
    som.fit(X, epochs=10)
    trained_view = UMatrix(som)
    u = som.umatrix().ravel().astype(np.float32)
    assert trained_view.vmin == pytest.approx(u.min()) and trained_view.vmax == pytest.approx(u.max())
    assert "nearly constant" not in trained_view.value_label


def test_class_dropdown_follows_the_selection(trained):
    som, X, labels, bmus, _ = trained
    ex = Explorer(som, X, labels=labels)
    ex._picker.value = "b"
    assert ex.selection.neurons == sorted(set(bmus[labels == "b"].tolist()))
    assert ex._picker.value == "b"
    ex.selection.select([0])  # a click elsewhere
    assert ex._picker.value == "(select a class)"
    ex.select_samples("c")  # a selection that is exactly class c's neurons
    ex._picker.value = "c"
    ex.selection.add(list(ex.selection.neurons))  # the same neurons again: the class stays
    assert ex._picker.value == "c"
    ex.selection.clear()
    assert ex._picker.value == "(select a class)"


def test_ten_thousand_neuron_selection_updates_the_inspector_quickly():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50_000, 16))
    som = SOM(mapsize=(100, 100), random_state=0).initialize(X[:2000])
    ex = Explorer(som, X, views=("hits", "inspector"))
    t0 = time.perf_counter()
    ex.selection.select(range(10_000))
    elapsed = time.perf_counter() - t0
    ins = ex.inspector
    bmus = som.predict(X)
    assert ins._samples.value.count(f'data-count="{int(np.isin(bmus, range(10_000)).sum())}"') == 1
    assert "showing 8 of 10,000 neurons" in ins._summary.value
    assert ins.table._html.value.count("<tr><th>") - 1 == ins.max_rows  # header + one page
    assert elapsed < 3.0, elapsed  # target 1 s; generous on a shared machine
