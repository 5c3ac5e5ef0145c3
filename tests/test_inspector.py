"""NeuronInspector: selection -> content, checked against values computed independently."""

from __future__ import annotations

import re
import threading
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.spatial.distance import cdist

from somwidget import SOM
from somwidget.widgets.inspector import NeuronInspector
from somwidget.widgets.selection import Selection

ROWS, COLS = 6, 5


def _blobs(n_per: int = 40, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    centres = np.array([[0.0, 0.0, 0.0, 10.0], [5.0, 5.0, 0.0, 20.0], [0.0, 5.0, 5.0, 30.0]])
    X = np.vstack([c + rng.normal(scale=[0.5, 0.5, 0.5, 3.0], size=(n_per, 4)) for c in centres])
    labels = np.repeat(np.array(["a", "b", "c"]), n_per)
    return pd.DataFrame(X, columns=["f0", "f1", "f2", "f3"]), labels


@pytest.fixture(scope="module")
def trained():
    X, labels = _blobs()
    som = SOM(mapsize=(ROWS, COLS), lattice="hexa", random_state=0)
    som.fit(X, epochs=10, radiusin=3, radiusfin=1)
    return som, X, labels


def _independent(som, X):
    """BMUs and BMU distances via scipy (normalization='none': training space = data units)."""
    d = cdist(X.to_numpy(), som.codebook_)
    return d.argmin(axis=1), d.min(axis=1)


def _summary_rows(inspector) -> dict[int, tuple[int, int, int, str]]:
    rows = re.findall(
        r"<tr><td>(\d+)</td><td>(\d+)</td><td>(\d+)</td><td>(\d+)</td><td>([^<]*)</td></tr>",
        inspector._summary.value,
    )
    return {int(k): (int(r), int(c), int(h), q) for k, r, c, h, q in rows}


def test_selected_neuron_summary_matches_independent_values(trained):
    som, X, labels = trained
    sel = Selection()
    extra = pd.DataFrame({"sample_id": [f"s{i}" for i in range(len(X))]})
    ins = NeuronInspector(som, X, labels=labels, extra=extra, selection=sel)
    bmus, dist = _independent(som, X)
    hits = np.bincount(bmus, minlength=ROWS * COLS)
    k = int(np.argmax(hits))
    sel.select([k])

    assert ins.neurons == [k]
    assert f'data-neurons="{k}"' in ins._summary.value
    row, col, h, qe = _summary_rows(ins)[k]
    assert (row, col) == (k // COLS, k % COLS)
    assert h == hits[k]
    assert float(qe) == pytest.approx(dist[bmus == k].mean(), rel=1e-3)

    # sample table: every sample mapped to k, with its label and extra column
    assert f'data-count="{hits[k]}"' in ins._samples.value
    np.testing.assert_array_equal(ins.sample_indices(), np.flatnonzero(bmus == k))
    shown = np.flatnonzero(bmus == k)[: ins.max_rows]
    page = ins.table._html.value
    for i in shown:
        assert f"s{i}</td>" in page
    assert page.count(f"<td>{labels[shown[0]]}</td>") >= 1


def test_chart_is_codebook_zscore_in_data_units():
    X, labels = _blobs(seed=1)
    som = SOM(mapsize=(ROWS, COLS), lattice="rect", normalization="standard", random_state=1)
    som.fit(X, epochs=5, radiusin=2, radiusfin=1)
    sel = Selection()
    ins = NeuronInspector(som, X, labels=labels, selection=sel)
    sel.select([3, 17])
    assert ins._lines.visible
    # lines are ordered by hits (most first, ties by index)
    Z = (X.to_numpy() - X.to_numpy().mean(axis=0)) / X.to_numpy().std(axis=0)
    hits = np.bincount(cdist(Z, som.codebook_).argmin(axis=1), minlength=ROWS * COLS)
    order = sorted([3, 17], key=lambda k: (-hits[k], k))
    assert ins.neurons == [3, 17]
    assert list(ins._lines.labels) == [f"neuron {k}" for k in order]
    # standard normalisation uses the population mean/sd, so the z-score of the codebook vector
    # in data units is exactly the codebook in training space
    np.testing.assert_allclose(np.asarray(ins._lines.y), som.codebook_[order], atol=1e-9)
    assert list(ins._lines.x) == ["f0", "f1", "f2", "f3"]
    # the vector table shows the data-unit values
    w = som.codebook_[3] * X.to_numpy().std(axis=0) + X.to_numpy().mean(axis=0)
    assert f"{w[0]:.4g}" in ins._vector.value


def test_multi_selection_totals_and_empty_selection(trained):
    som, X, labels = trained
    sel = Selection()
    ins = NeuronInspector(som, X, labels=labels, selection=sel, max_rows=5)
    bmus, dist = _independent(som, X)
    chosen = sorted({int(bmus[0]), int(bmus[-1]), 0})
    sel.select(chosen)
    mask = np.isin(bmus, chosen)
    total = re.search(r"<tr><th>all 3</th><td></td><td></td><th>(\d+)</th><th>([^<]*)</th>",
                      ins._summary.value)
    assert total is not None
    assert int(total.group(1)) == mask.sum()
    assert float(total.group(2)) == pytest.approx(dist[mask].mean(), rel=1e-3)
    assert f"rows 1–5 of {mask.sum()}" in ins.table._info.value  # paged, 5 rows a page
    assert len(re.findall(r"<tr>\s*<th>\d+</th>", ins.table._html.value)) == 5

    sel.clear()
    assert ins.neurons == []
    assert 'data-neurons=""' in ins._summary.value
    assert not ins._lines.visible


def test_inspector_follows_training_refreshes():
    X, labels = _blobs(seed=2)
    som = SOM(mapsize=(ROWS, COLS), random_state=2)
    sel = Selection()
    ins = NeuronInspector(som, X, labels=labels, selection=sel)  # initialises the SOM
    assert hasattr(som, "codebook_")
    sel.select([7])
    before = np.atleast_2d(ins._lines.y).copy()
    som.fit(X, epochs=8, radiusin=3, radiusfin=1, callbacks=[ins])
    after = np.atleast_2d(ins._lines.y)
    mean, sd = X.to_numpy().mean(axis=0), X.to_numpy().std(axis=0)
    np.testing.assert_allclose(after[0], (som.codebook_[7] - mean) / sd, atol=1e-9)
    assert not np.allclose(before, after)
    bmus, _ = _independent(som, X)
    assert _summary_rows(ins)[7][2] == np.count_nonzero(bmus == 7)


def test_observer_from_another_thread(trained):
    som, X, labels = trained
    sel = Selection()
    ins = NeuronInspector(som, X, labels=labels, selection=sel)
    t = threading.Thread(target=sel.select, args=([4],))
    t.start()
    t.join()
    assert ins.neurons == [4]
    assert 'data-neurons="4"' in ins._summary.value


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.integers(0, ROWS * COLS - 1), max_size=6))
def test_any_selection_shows_exactly_its_samples(trained, neurons):
    som, X, labels = trained
    sel = Selection()
    ins = NeuronInspector(som, X, labels=labels, selection=sel)
    sel.select(neurons)
    bmus, _ = _independent(som, X)
    np.testing.assert_array_equal(ins.sample_indices(), np.flatnonzero(np.isin(bmus, neurons)))
    assert ins.neurons == sorted(set(neurons))


def test_to_svg_is_valid_xml(trained):
    som, X, labels = trained
    sel = Selection()
    ins = NeuronInspector(som, X, labels=labels, selection=sel)
    sel.select([1, 2])
    root = ET.fromstring(ins.to_svg())
    assert root.tag.endswith("svg")
    assert len([e for e in root.iter() if e.tag.endswith("polyline")]) == 2


def test_argument_errors_name_the_parameter(trained):
    som, X, labels = trained
    with pytest.raises(ValueError, match="labels"):
        NeuronInspector(som, X, labels=labels[:-1])
    with pytest.raises(ValueError, match="extra"):
        NeuronInspector(som, X, extra=pd.DataFrame({"a": [1, 2]}))
    with pytest.raises(ValueError, match="max_rows"):
        NeuronInspector(som, X, max_rows=0)
    with pytest.raises(TypeError, match="selection"):
        NeuronInspector(som, X, selection=[1, 2])
    with pytest.raises(ValueError, match="features"):
        NeuronInspector(som, X.iloc[:, :3])


def test_one_feature_data_draw_the_profile_as_a_point():
    """With one feature the profile is a single point: bqplot squeezed a one-value line to a
    0-d array and refused it ('Dimension mismatch ... got an array of shape ()'), so
    NeuronInspector and the Explorer raised for any 1-feature data set."""
    from somwidget import Explorer

    X = np.random.default_rng(0).normal(size=(100, 1))
    som = SOM((5, 5), normalization="standard", random_state=0).fit(X, epochs=2)
    sel = Selection()
    ins = NeuronInspector(som, X, selection=sel)
    sel.select([7])
    y = np.asarray(ins._lines.y, dtype=float).reshape(-1)
    np.testing.assert_allclose(y, [som.codebook_[7, 0]] * 2, atol=1e-9)  # the z-score, twice
    assert set(np.asarray(ins._lines.x).tolist()) == {"x0"}
    ET.fromstring(ins.to_svg())
    ex = Explorer(som, X)
    ET.fromstring(ex.to_svg())
    ex.close()
    ins.close()
