"""Selection, Explorer, NeuronInspector and SampleTable: shared selections over other data, bad
BMUs / neurons / column names refused by name, NaN-aware statistics, sorting with missing values,
closed views, boolean labels and distinct class names."""

from __future__ import annotations

import gc
import sys

import numpy as np
import pandas as pd
import pytest
from scipy.spatial.distance import cdist

pytest.importorskip("anywidget")

import somwidget as sw  # noqa: E402
from somwidget.widgets.sample_table import SampleTable, _cell  # noqa: E402
from somwidget.widgets.selection import STATIC_DIR  # noqa: E402

if not (STATIC_DIR / "selection.js").is_file():  # pragma: no cover - ./dev.sh builds first
    pytest.skip("front end not built (npm run build)", allow_module_level=True)

COLS = ["f0", "f1", "f2"]


@pytest.fixture(scope="module")
def X() -> pd.DataFrame:
    return pd.DataFrame(np.random.default_rng(0).normal(size=(300, 3)), columns=COLS)


@pytest.fixture(scope="module")
def som(X):
    return sw.SOM(mapsize=(4, 5), normalization="none", random_state=0).fit(X, epochs=3)


def bmus_of(som, data) -> np.ndarray:
    return cdist(np.asarray(data, dtype=float), som.codebook_).argmin(1)


def busiest(b: np.ndarray) -> int:
    return int(np.bincount(b).argmax())


# ---- 2: views of other data sharing one selection --------------------------------------------
def test_explorers_of_other_data_each_list_their_own_samples(som, X):
    Xte = pd.DataFrame(np.random.default_rng(1).normal(size=(120, 3)), columns=COLS,
                       index=[f"test{i}" for i in range(120)])
    sel = sw.Selection()
    ex1 = sw.Explorer(som, X, selection=sel)
    ex2 = sw.Explorer(som, Xte, selection=sel)
    b1, b2 = bmus_of(som, X), bmus_of(som, Xte)
    k = busiest(b1)
    sel.select([k])
    assert list(ex1.selected_samples().index) == list(np.flatnonzero(b1 == k))
    assert list(ex2.selected_samples().index) == [f"test{i}" for i in np.flatnonzero(b2 == k)]
    assert list(sel.samples.index) == list(np.flatnonzero(b1 == k))  # the first binding kept
    ex2.refresh()
    ex1.refresh()
    assert list(ex2.selected_samples().index) == [f"test{i}" for i in np.flatnonzero(b2 == k)]
    assert list(sel.samples.index) == list(np.flatnonzero(b1 == k))


def test_equal_length_views_never_write_their_bmus_onto_each_other(som, X):
    X2 = X.iloc[::-1].reset_index(drop=True) * 1.5  # same length, other rows
    sel = sw.Selection()
    e1 = sw.Explorer(som, X, selection=sel)
    e2 = sw.Explorer(som, X2, selection=sel)
    h = sw.HitMap(som, X2, selection=sel)
    b1, b2 = bmus_of(som, X), bmus_of(som, X2)
    k = busiest(b2)
    e1.refresh()
    h.refresh()
    sel.select([k])
    got = e2.selected_samples()
    assert list(got.index) == list(np.flatnonzero(b2 == k))
    np.testing.assert_allclose(got[COLS].to_numpy(), X2.to_numpy()[b2 == k])
    assert list(sel.samples.index) == list(np.flatnonzero(b1 == k))
    e1.close()  # its binding is free again: the next view binds its own samples
    h.refresh()
    assert list(sel.samples.index) == list(np.flatnonzero(b2 == k))



def test_a_cluster_map_of_other_data_never_writes_its_bmus_onto_the_selection(som, X):
    X2 = X.iloc[::-1].reset_index(drop=True) * 1.5  # same length, other rows
    sel = sw.Selection()
    e1 = sw.Explorer(som, X, selection=sel)
    cm = sw.ClusterMap(som, X2, selection=sel, n_clusters=3)
    b1 = bmus_of(som, X)
    k = busiest(bmus_of(som, X2))
    cm.refresh()
    sel.select([k])
    assert list(sel.samples.index) == list(np.flatnonzero(b1 == k))
    assert list(e1.selected_samples().index) == list(np.flatnonzero(b1 == k))
    e1.close()
    cm.close()

def test_explorer_bar_counts_its_own_samples(som, X):
    sel = sw.Selection()
    sw.HitMap(som, X.iloc[:50], selection=sel)
    ex = sw.Explorer(som, X, selection=sel)
    b = bmus_of(som, X)
    k = busiest(b)
    sel.select([k])
    assert f"<b>{int((b == k).sum()):,}</b> samples" in ex._bar_text.value


# ---- 3: bmus checked ---------------------------------------------------------------------------
def test_bind_refuses_negative_and_out_of_range_bmus():
    s = sw.Selection()
    with pytest.raises(ValueError, match=r"bmus must be neuron indices integers >= 0; got values in \[-1, 2\]"):
        s.bind([-1, 2, 0])
    s.n_neurons = 20
    with pytest.raises(ValueError, match=r"\[0, 19\]; got values in \[3, 100\]"):
        s.bind([100, 3])
    s.bind([0, 1, 2])
    with pytest.raises(ValueError, match=r"\[0, 19\]; got values in \[-1, 2\]"):
        s.update_bmus([0, -1, 2])
    s.select(2)
    assert s.sample_mask.tolist() == [False, False, True]


# ---- 4: NaN-aware inspector statistics -------------------------------------------------------
def test_inspector_statistics_leave_missing_values_out(X):
    Xn = X.copy()
    Xn.iloc[::7, 1] = np.nan
    som = sw.SOM(mapsize=(4, 5), missing="ignore", random_state=0).fit(Xn, epochs=2)
    ins = sw.NeuronInspector(som, Xn)
    k = int(som.predict(Xn)[0])
    ins.selection.select([k])
    st = ins.summary_statistics()
    rows = Xn.to_numpy()[som.predict(Xn) == k]
    for j, f in enumerate(COLS):
        v = rows[:, j][~np.isnan(rows[:, j])]
        assert st.loc[f, "sample_mean"] == pytest.approx(v.sum() / v.size)
        assert st.loc[f, "sample_sd"] == pytest.approx(np.sqrt(((v - v.mean()) ** 2).mean()))
        a = Xn.to_numpy()[:, j]
        a = a[~np.isnan(a)]
        assert st.loc[f, "data_mean"] == pytest.approx(a.mean())
        assert st.loc[f, "data_sd"] == pytest.approx(a.std())
    ins.selection.select(list(range(10)))  # the summary chart (mean of the samples)
    c = ins._chart_data(*ins._selected(ins.neurons)[:2])
    assert np.isfinite(c["samples"]).all()


# ---- 5: column names that clash ------------------------------------------------------------------
@pytest.mark.parametrize("extra, labels, clash", [
    (pd.DataFrame({"bmu": np.arange(1000, 1300)}), None, "bmu"),
    (pd.DataFrame({"label": ["ID"] * 300}), ["a"] * 300, "label"),
    (pd.DataFrame({"neuron": np.zeros(300)}), None, "neuron"),
    (pd.DataFrame({"f0": np.zeros(300)}), None, "f0"),
])
def test_explorer_refuses_extra_columns_that_clash(som, X, extra, labels, clash):
    with pytest.raises(ValueError, match=rf"extra has column\(s\) \['{clash}'\]"):
        sw.Explorer(som, X, labels=labels, extra=extra)
    if clash != "bmu":  # the inspector's table has no bmu column (it calls it neuron)
        with pytest.raises(ValueError, match=rf"extra has column\(s\) \['{clash}'\]"):
            sw.NeuronInspector(som, X, labels=labels, extra=extra)


def test_other_column_clashes_refused(som, X):
    with pytest.raises(ValueError, match=r"data has column\(s\) \['bmu'\]"):
        sw.Selection().bind([0, 1], data=pd.DataFrame({"bmu": [5, 6]}))
    with pytest.raises(ValueError, match=r"duplicate column names \['0'\]"):
        sw.NeuronInspector(som, X, extra=pd.DataFrame({0: np.zeros(300), "0": np.ones(300)}))
    with pytest.raises(ValueError, match="distinct names"):
        SampleTable([("a", np.zeros(2)), ("a", np.ones(2))], pd.RangeIndex(2))
    ex = sw.Explorer(som, X, labels=["a"] * 300, extra=pd.DataFrame({"id": np.arange(300)}))
    ex.selection.select([0, 1, 2])
    got = ex.selected_samples()
    b = bmus_of(som, X)
    assert got["bmu"].tolist() == b[b <= 2].tolist()
    assert got["id"].tolist() == np.flatnonzero(b <= 2).tolist()


# ---- 6: sorting text with missing values -----------------------------------------------------
def test_sorting_text_with_missing_values_puts_them_last(som, X):
    lab = np.array(["b", "a", None] * 100, dtype=object)
    ins = sw.NeuronInspector(som, X, labels=lab)
    ins.selection.select([0, 1, 2, 3])
    ins.table.sort("label")
    shown = lab[ins.table.positions]
    n_missing = int(sum(v is None for v in shown))
    assert list(shown[:len(shown) - n_missing]) == sorted(v for v in shown if v is not None)
    assert all(v is None for v in shown[len(shown) - n_missing:])
    ins.selection.select([5])
    b = bmus_of(som, X)
    assert sorted(ins.table.positions.tolist()) == np.flatnonzero(b == 5).tolist()
    ex = sw.Explorer(som, X, labels=pd.Series(["x", np.nan, "y"] * 100))
    ex.selection.select([0, 1, 2, 3])
    ex.inspector.table.sort("label", ascending=False)
    col = ex.inspector.table.page_frame()["label"].tolist()
    assert col == sorted(col, reverse=True)  # descending, missing still last (not on page 1)


def test_numbers_in_an_object_column_sort_numerically():
    col = np.array([10, 2, None, 1.5], dtype=object)
    t = SampleTable([("v", col)], pd.RangeIndex(4))
    t.show(np.arange(4))
    t.sort("v")
    assert t.positions.tolist() == [3, 1, 0, 2]


# ---- 8 / 10: neurons checked -------------------------------------------------------------------
def test_inspector_bounds_the_selection_by_its_map(som, X):
    ins = sw.NeuronInspector(som, X)
    with pytest.raises(ValueError, match="neurons must be < 20"):
        ins.selection.select([999])


def test_neurons_trait_and_som_refused_by_name(X):
    sel = sw.Selection()
    with pytest.raises(TypeError, match="neurons must contain integers"):
        sel.neurons = [2.5]
    with pytest.raises(TypeError, match="som must be a somwidget SOM"):
        sw.Explorer("som", X)


# ---- 11: closed views ----------------------------------------------------------------------------
def test_closed_views_say_so(som, X):
    ex = sw.Explorer(som, X, labels=["a"] * 300)
    ins = sw.NeuronInspector(som, X)
    ex.close()
    ins.close()
    for call in (ex.selected_samples, lambda: ex.select_samples("a"),
                 ins.summary_statistics, ins.sample_indices):
        with pytest.raises(ValueError, match="is closed"):
            call()


# ---- 12 / 13: labels -----------------------------------------------------------------------------
def test_a_scalar_bool_is_a_label():
    s = sw.Selection()
    s.bind([0, 1, 2], labels=[True, False, True])
    s.select_samples(True)
    assert s.neurons == [0, 2]
    s.select_samples(np.bool_(False))
    assert s.neurons == [1]
    s.bind([0, 1, 2], labels=np.array([1, True, 1], dtype=object))  # True and 1: two classes
    s.select_samples(True)
    assert s.neurons == [1]


def test_explorer_classes_one_and_string_one_stay_apart(som, X):
    lab = np.array([1, "1"] * 150, dtype=object)
    ex = sw.Explorer(som, X, labels=lab)
    names = list(ex._picker.options[1:])
    assert len(set(names)) == 2
    b = bmus_of(som, X)
    for name in names:
        ex._picker.value = name
        value = ex._label_values[name]
        want = np.unique(b[np.array([type(v) is type(value) and v == value for v in lab])])
        assert ex.selection.neurons == want.tolist()


# ---- 14 / 15b: sample table cells and a refused construction ---------------------------------
def test_cells_tell_infinities_from_missing():
    assert [_cell(v) for v in [np.inf, -np.inf, np.nan, 1e50]] == ["inf", "-inf", "–", "1e+50"]


def test_refused_sample_table_closes_quietly():
    seen = []
    old, sys.unraisablehook = sys.unraisablehook, seen.append
    try:
        with pytest.raises(ValueError, match="page_size"):
            SampleTable([("a", np.arange(3))], pd.RangeIndex(3), page_size=0)
        gc.collect()
    finally:
        sys.unraisablehook = old
    assert seen == []


def test_selection_called_wrongly_closes_quietly():
    # Selection([1, 2], som): Python refuses the call before __init__ runs, and the half-made
    # widget's __del__ -> close() used to raise "no attribute '_lock'" from the garbage collector
    seen = []
    old, sys.unraisablehook = sys.unraisablehook, seen.append
    try:
        with pytest.raises(TypeError):
            sw.Selection([1, 2], "not a parameter")
        gc.collect()
    finally:
        sys.unraisablehook = old
    assert seen == []
