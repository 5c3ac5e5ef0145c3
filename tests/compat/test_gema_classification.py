"""GEMA's Classification attributes: shapes and meanings against values computed here."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.spatial.distance import cdist

from somwidget.compat.gema import Classification, Map
from somwidget.datasets import load_wine

WINE, CULTIVAR = load_wine(return_X_y=True)
DATA = WINE.to_numpy()


@pytest.fixture(scope="module")
def trained():
    m = Map(data=DATA, size=7, period=3000, initial_lr=0.3, normalization="fwn", weights="PCA",
            random_state=0)
    return m, Classification(m, DATA)


def _independent(m, data):
    """BMU, second BMU and BMU distance from a plain cdist in the map's training space."""
    xt = (data - DATA.mean(axis=0)) / DATA.std(axis=0)  # fwn: zero mean, unit variance
    w = np.asarray(m.weights).reshape(-1, data.shape[1])
    d = cdist(xt, w)
    order = np.argsort(d, axis=1)
    return order[:, 0], order[:, 1], d[np.arange(len(data)), order[:, 0]]


def test_activations_are_hit_counts_on_a_2d_grid(trained):
    m, c = trained
    b, _, _ = _independent(m, DATA)
    assert c.activations_map.shape == (7, 7)
    np.testing.assert_array_equal(c.activations_map, np.bincount(b, minlength=49).reshape(7, 7))
    assert c.num_activations == len(np.unique(b))
    assert c.activations_map.sum() == len(DATA)


def test_distances_are_per_neuron_sums_of_bmu_distances(trained):
    m, c = trained
    b, _, d = _independent(m, DATA)
    expected = np.zeros(49)
    for k, dist in zip(b, d, strict=True):
        expected[k] += dist
    assert c.distances_map.shape == (7, 7)
    np.testing.assert_allclose(c.distances_map, expected.reshape(7, 7), rtol=1e-5)
    assert c.quantization_error == pytest.approx(d.mean(), rel=1e-5)
    assert c.mean_distance_map == pytest.approx(d.sum() / len(np.unique(b)), rel=1e-5)
    won = c.activations_map > 0
    np.testing.assert_allclose(c.quantization_error_map[won],
                               (expected.reshape(7, 7) / np.maximum(c.activations_map, 1))[won],
                               rtol=1e-5)
    assert (c.quantization_error_map[~won] == 0).all() and (c.topological_error_map[~won] == 0).all()


def test_topological_error_counts_non_adjacent_second_bmus(trained):
    m, c = trained
    b1, b2, _ = _independent(m, DATA)
    r1, c1 = np.divmod(b1, 7)
    r2, c2 = np.divmod(b2, 7)
    bad = np.hypot(r1 - r2, c1 - c2) > 1  # GEMA: index distance above 1 is an error
    assert c.topological_error == pytest.approx(bad.mean())
    np.testing.assert_array_equal(c.topological_map,
                                  np.bincount(b1, weights=bad, minlength=49).reshape(7, 7))


def test_classification_map_is_one_row_per_sample(trained):
    m, c = trained
    b, _, d = _independent(m, DATA)
    t = c.classification_map
    assert list(t.columns) == ["labels", "data", "x", "y", "dist"]
    np.testing.assert_array_equal(t["labels"], np.arange(len(DATA)))
    np.testing.assert_array_equal(t["x"], b // 7)
    np.testing.assert_array_equal(t["y"], b % 7)
    np.testing.assert_allclose(t["dist"], d, rtol=1e-5)
    np.testing.assert_array_equal(np.vstack(t["data"].to_list()), DATA)


def test_umatriz_is_the_interstitial_u_matrix(trained):
    m, c = trained
    w = np.asarray(m.weights)
    assert c.umatriz.shape == (13, 13)
    assert c.umatriz[0, 1] == pytest.approx(np.linalg.norm(w[0, 0] - w[0, 1]))
    assert c.umatriz[1, 0] == pytest.approx(np.linalg.norm(w[0, 0] - w[1, 0]))
    assert c.umatriz[4, 5] == pytest.approx(np.linalg.norm(w[2, 2] - w[2, 3]))


def test_tagged_data_and_other_columns():
    m = Map(data=DATA[:, :3], size=4, period=400, random_state=1)
    labels = CULTIVAR.str[-1].astype(float).to_numpy()
    tagged = np.column_stack([labels, DATA[:, :3]])
    other = pd.DataFrame({"name": [f"w{i}" for i in range(len(DATA))]})
    c = Classification(m, tagged, other=other, tagged=True, verbose=0)
    np.testing.assert_array_equal(c.classification_labels, labels)
    np.testing.assert_array_equal(c.classification_data, DATA[:, :3])
    assert list(c.classification_map.columns) == ["labels", "data", "x", "y", "dist", "name"]
    assert c.classification_map["name"].iloc[5] == "w5"


def test_hexagonal_topology_counts_six_neighbours():
    m = Map(data=DATA, size=6, period=2000, normalization="fwn", topology="hexagonal",
            random_state=2)
    c = Classification(m, DATA)
    assert m.som.lattice_.shape == "hexa"
    idx, _ = m.som.best_matching_units(DATA, k=2)
    xy = m.som.lattice_.coordinates
    far = np.linalg.norm(xy[idx[:, 0]] - xy[idx[:, 1]], axis=1) > 1 + 1e-9
    assert c.topological_error == pytest.approx(far.mean())


def test_verbose_2_prints_the_tags_and_the_data(capsys):
    m = Map(data=DATA[:20, :2], size=3, period=50, random_state=0)
    Classification(m, DATA[:20, :2], verbose=2)
    out = capsys.readouterr().out
    assert "Tags:" in out and "Classification data:" in out
    with pytest.raises(ValueError, match="verbose must be 0, 1 or 2"):
        Classification(m, DATA[:20, :2], verbose=3)
    with pytest.raises(ValueError, match="classification_data has 3 features, but the model is expecting 2 features as input \\(the model was fitted with 2\\)"):
        Classification(m, DATA[:20, :3])
    with pytest.raises(Exception, match="not trained"):
        Classification(Map(size=3), DATA[:20, :2])
