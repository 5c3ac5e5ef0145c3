"""Analysis functions against hand-computed values and independent brute-force references."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial.distance import cdist

from somwidget import analysis as A
from somwidget import umatrices as U
from somwidget.lattice import Lattice

# Codebook used by the hand-computed cases: one feature, w_k = k**2, so every distance is an
# integer difference of squares that can be checked on paper.
SQ = (np.arange(9.0) ** 2).reshape(9, 1)


def plane_neighbours(lattice: Lattice) -> list[list[int]]:
    """Neighbours found independently: units at plane distance 1 (or sqrt 2) over periodic images."""
    hexa = lattice.shape == "hexa"
    s = math.sqrt(3) / 2 if hexa else 1.0
    pts = np.array([(c + (0.5 if hexa and r % 2 else 0.0), r * s)
                    for r in range(lattice.rows) for c in range(lattice.cols)])
    best = np.full((len(pts), len(pts)), np.inf)
    for a in (-1, 0, 1) if lattice.wrap_cols else (0,):
        for b in (-1, 0, 1) if lattice.wrap_rows else (0,):
            best = np.minimum(best, cdist(pts, pts + [a * lattice.cols, b * lattice.rows * s]))
    ok = np.isclose(best, 1.0)
    if not hexa and lattice.rect_adjacency == 8:
        ok |= np.isclose(best, math.sqrt(2))
    np.fill_diagonal(ok, False)
    return [list(np.flatnonzero(row)) for row in ok]


# =========================================================================== node U-matrix
def test_umatrix_rect_3x3_by_hand():
    # unit 0: |1-0|, |9-0| -> 5 ; unit 1: 1, 3, 15 -> 19/3 ; unit 4: 15, 7, 9, 33 -> 16
    # unit 8: |64-49|, |64-25| -> 27
    u = A.umatrix(SQ, Lattice(3, 3, "rect"))
    assert u[0] == pytest.approx(5)
    assert u[1] == pytest.approx(19 / 3)
    assert u[4] == pytest.approx(16)
    assert u[8] == pytest.approx(27)


def test_umatrix_rect8_includes_diagonals():
    # unit 4 with diagonals: 15, 7, 9, 33 + |0-16|, |4-16|, |36-16|, |64-16| -> 160/8
    u = A.umatrix(SQ, Lattice(3, 3, "rect", rect_adjacency=8))
    assert u[4] == pytest.approx(160 / 8)
    # unit 0: 1, 9, |16-0| -> 26/3
    assert u[0] == pytest.approx(26 / 3)


def test_umatrix_hex_3x3_by_hand():
    # row 1 is shifted right: unit 4 = (1,1) touches 3, 5 (row), 1, 2 (above), 7, 8 (below)
    # distances 7, 9, 15, 12, 33, 48 -> 124/6 ; unit 0 touches 1 and 3 -> (1 + 9)/2
    # unit 2 = (0,2) touches 1, 4, 5 -> (3 + 12 + 21)/3
    u = A.umatrix(SQ, Lattice(3, 3, "hexa"))
    assert u[4] == pytest.approx(124 / 6)
    assert u[0] == pytest.approx(5)
    assert u[2] == pytest.approx(12)
    assert A.umatrix(SQ, Lattice(3, 3, "hexa"), reduce="median")[4] == pytest.approx(13.5)
    assert A.umatrix(SQ, Lattice(3, 3, "hexa"), reduce="sum")[4] == pytest.approx(124)


def test_umatrix_toroidal_wrap_matters():
    # toroidal 3x3 rect: unit 0 touches 1, 2 (wrap), 3, 6 (wrap) -> (1 + 4 + 9 + 36)/4
    u = A.umatrix(SQ, Lattice(3, 3, "toroidal_rect"))
    assert u[0] == pytest.approx(12.5)
    # cylindrical: 1, 2 (wrap), 3 -> 14/3 ; flat it would be 5
    assert A.umatrix(SQ, Lattice(3, 3, "cylindrical_rect"))[0] == pytest.approx(14 / 3)
    # toroidal hex 4x4: unit 0 = (0,0) touches 1, 3, 4, 7, 12, 15
    W = (np.arange(16.0) ** 2).reshape(16, 1)
    expected = np.mean([1, 9, 16, 49, 144, 225])
    assert A.umatrix(W, Lattice(4, 4, "toroidal_hexa"))[0] == pytest.approx(expected)


@settings(max_examples=25, deadline=None)
@given(
    rows=st.integers(2, 5),
    cols=st.integers(2, 5),
    kind=st.sampled_from(["hexa", "rect", "toroidal_hexa", "toroidal_rect", "cylindrical_hexa",
                          "cylindrical_rect"]),
    adj=st.sampled_from([4, 8]),
    metric=st.sampled_from(["euclidean", "cityblock", "cosine", "chebyshev"]),
    seed=st.integers(0, 2**16),
)
def test_umatrix_against_brute_force(rows, cols, kind, adj, metric, seed):
    if kind == "toroidal_hexa" and rows % 2:
        rows += 1
    lat = Lattice(rows, cols, kind, rect_adjacency=adj)
    W = np.random.default_rng(seed).normal(size=(lat.n_neurons, 3))
    full = cdist(W, W, metric=metric)
    expected = [full[k, nb].mean() for k, nb in enumerate(plane_neighbours(lat))]
    np.testing.assert_allclose(A.umatrix(W, lat, metric=metric), expected, rtol=1e-10)


# =========================================================================== interstitial
def test_umatrix_interstitial_rect_by_hand():
    U = A.umatrix_interstitial(SQ, Lattice(3, 3, "rect"))
    r2 = 2 * math.sqrt(2)
    # edge cells: horizontal |w(r,c+1) - w(r,c)|, vertical |w(r+1,c) - w(r,c)|,
    # diagonal (|w4 - w0| + |w1 - w3|) / (2 sqrt 2) etc.
    expected_edges = {
        (0, 1): 1, (0, 3): 3, (2, 1): 7, (2, 3): 9, (4, 1): 13, (4, 3): 15,
        (1, 0): 9, (1, 2): 15, (1, 4): 21, (3, 0): 27, (3, 2): 33, (3, 4): 39,
        (1, 1): (16 + 8) / r2, (1, 3): (24 + 12) / r2, (3, 1): (40 + 20) / r2, (3, 3): (48 + 24) / r2,
    }
    for (i, j), v in expected_edges.items():
        assert U[i, j] == pytest.approx(v), (i, j)
    # node cells: median of the 2-4 adjacent edge cells
    assert U[0, 0] == pytest.approx(np.median([1, 9]))
    assert U[0, 2] == pytest.approx(np.median([1, 3, 15]))
    assert U[2, 2] == pytest.approx(np.median([7, 9, 15, 33]))  # 12
    assert U[4, 4] == pytest.approx(np.median([15, 39]))
    assert U.shape == (5, 5) and not np.isnan(U).any()
    assert A.umatrix_interstitial(SQ, Lattice(3, 3, "rect"), node="mean")[2, 2] == pytest.approx(16)


def test_umatrix_interstitial_hex_by_hand():
    U = A.umatrix_interstitial(SQ, Lattice(3, 3, "hexa"))
    expected = np.array([
        # row 0 units 0, 1, 2 (values 0, 1, 4) and the horizontal gaps
        [np.median([1, 9]), 1, np.median([1, 3, 8, 15]), 3, np.median([3, 12, 21])],
        # gap row between unshifted row 0 and shifted row 1:
        # (0,0)-(1,0), (0,1)-(1,0), (0,1)-(1,1), (0,2)-(1,1), (0,2)-(1,2)
        [9, 8, 15, 12, 21],
        # shifted row 1: units 3, 4, 5 (values 9, 16, 25)
        [np.median([9, 8, 7, 27, 40]), 7, np.median([7, 9, 15, 12, 33, 48]), 9, np.median([9, 21, 39])],
        # gap row between shifted row 1 and row 2: (1,0)-(2,0), (1,0)-(2,1), (1,1)-(2,1),
        # (1,1)-(2,2), (1,2)-(2,2)
        [27, 40, 33, 48, 39],
        # row 2 units 6, 7, 8 (values 36, 49, 64)
        [np.median([27, 13]), 13, np.median([13, 15, 40, 33]), 15, np.median([15, 48, 39])],
    ])
    np.testing.assert_allclose(U, expected)


def test_umatrix_interstitial_one_row_and_one_column():
    W = np.array([[0.0], [1.0], [3.0], [6.0]])
    U = A.umatrix_interstitial(W, Lattice(1, 4, "rect"))
    np.testing.assert_allclose(U, [[1, 1, 1.5, 2, 2.5, 3, 3]])
    U = A.umatrix_interstitial(W, Lattice(4, 1, "hexa"))
    np.testing.assert_allclose(U.ravel(), [1, 1, 1.5, 2, 2.5, 3, 3])


def test_umatrix_interstitial_ignores_wrap_and_metric_is_used():
    W = np.random.default_rng(0).normal(size=(16, 3))
    flat = A.umatrix_interstitial(W, Lattice(4, 4, "hexa"))
    np.testing.assert_array_equal(flat, A.umatrix_interstitial(W, Lattice(4, 4, "toroidal_hexa")))
    man = A.umatrix_interstitial(W, Lattice(4, 4, "hexa"), metric="cityblock")
    assert man[0, 1] == pytest.approx(np.abs(W[0] - W[1]).sum())
    assert man[1, 0] == pytest.approx(np.abs(W[0] - W[4]).sum())


@pytest.mark.parametrize("kind", ["hexa", "rect"])
def test_interstitial_coordinates_place_cells_between_their_units(kind):
    lat = Lattice(5, 4, kind)
    P = A.umatrix_interstitial_coordinates(lat)
    assert P.shape == (9, 7, 2)
    np.testing.assert_allclose(P[0::2, 0::2].reshape(-1, 2), lat.coordinates)
    # every edge cell of the hex map sits at distance 1/2 from exactly two units, which are
    # adjacent: the midpoint of its edge
    if kind == "hexa":
        d = cdist(P.reshape(-1, 2), lat.coordinates).reshape(9, 7, -1)
        for i in range(9):
            for j in range(7):
                if i % 2 == 0 and j % 2 == 0:
                    continue
                pair = np.flatnonzero(np.isclose(d[i, j], 0.5))
                assert len(pair) == 2 and lat.adjacency()[pair[0], pair[1]]


# =========================================================================== errors
def test_topographic_error_zero_on_ordered_line():
    n = 10
    lat = Lattice(1, n, "rect")
    W = np.arange(n, dtype=float).reshape(-1, 1)
    X = np.random.default_rng(1).uniform(0, n - 1, size=(200, 1))
    order = np.argsort(cdist(X, W), axis=1)
    assert A.topographic_error(order[:, 0], order[:, 1], lat) == 0.0


def test_topographic_error_known_nonzero():
    # 1x4 line with units 1 and 2 swapped: codebook 0, 2, 1, 3
    lat = Lattice(1, 4, "rect")
    W = np.array([[0.0], [2.0], [1.0], [3.0]])
    X = np.array([[0.4], [2.6], [1.4]])  # BMU pairs (0,2) no, (3,1) no, (2,1) yes
    order = np.argsort(cdist(X, W), axis=1)
    assert A.topographic_error(order[:, 0], order[:, 1], lat) == pytest.approx(2 / 3)
    np.testing.assert_allclose(
        A.topographic_error_map(order[:, 0], order[:, 1], lat), [1.0, np.nan, 0.0, 1.0]
    )


def test_topographic_error_adjacency_variants():
    b1 = np.array([0, 0, 0, 4])
    b2 = np.array([1, 4, 2, 5])  # side, diagonal, two apart (adjacent only through wrap), side
    assert A.topographic_error(b1, b2, Lattice(3, 3, "rect")) == 0.5
    assert A.topographic_error(b1, b2, Lattice(3, 3, "rect", rect_adjacency=8)) == 0.25
    assert A.topographic_error(b1, b2, Lattice(3, 3, "toroidal_rect")) == 0.25
    assert A.topographic_error(b1, b2, Lattice(3, 3, "toroidal_rect").adjacency()) == 0.25
    # hex: 0=(0,0) and 4=(1,1) are not adjacent (row 1 is shifted right: 0 touches 3 only)
    assert A.topographic_error([0, 0], [4, 3], Lattice(3, 3, "hexa")) == 0.5


def test_topographic_error_rejects_identical_bmus():
    with pytest.raises(ValueError, match="second-best"):
        A.topographic_error([0, 1], [0, 2], Lattice(2, 2, "rect"))


def test_quantization_errors():
    d = np.array([[1.0, 5.0], [2.0, 6.0], [4.0, 9.0]])
    assert A.quantization_error(d) == pytest.approx(7 / 3)
    assert A.quantization_error(d[:, 0]) == pytest.approx(7 / 3)
    X = np.array([[1.0, 2.0], [3.0, np.nan], [0.0, 0.0]])
    W = np.array([[0.0, 0.0], [3.0, 3.0]])
    bmus = np.array([0, 1, 0])
    # |1|+|2| + |0| + 0 + 0 over 5 observed entries
    assert A.mean_absolute_quantization_error(X, W, bmus) == pytest.approx(3 / 5)


def brute_distortion(X, W, bmus, lat, radius, squared):
    sq = lat.grid_distances_squared()
    total = 0.0
    for i, x in enumerate(X):
        for c, w in enumerate(W):
            d = float(np.linalg.norm(x - w))
            total += math.exp(-sq[bmus[i], c] / (2 * radius**2)) * (d * d if squared else d)
    return total


@pytest.mark.parametrize("squared", [False, True])
def test_distortion_brute_force(squared):
    rng = np.random.default_rng(3)
    lat = Lattice(3, 4, "hexa")
    W = rng.normal(size=(12, 2))
    X = rng.normal(size=(30, 2))
    bmus = cdist(X, W).argmin(axis=1)
    got = A.distortion(X, W, bmus, lat, "gaussian", 1.3, squared=squared, chunk_size=7)
    assert got == pytest.approx(brute_distortion(X, W, bmus, lat, 1.3, squared), rel=1e-10)


def test_distortion_matches_minisom():
    from minisom import MiniSom

    rng = np.random.default_rng(4)
    R, C, D = 4, 5, 3
    W = rng.normal(size=(R * C, D))
    X = rng.normal(size=(25, D))
    ms = MiniSom(R, C, D, sigma=1.5, neighborhood_function="gaussian", topology="rectangular")
    ms._weights = W.reshape(R, C, D).copy()
    bmus = cdist(X, W).argmin(axis=1)
    ours = A.distortion(X, W, bmus, Lattice(R, C, "rect"), "gaussian", 1.5)
    assert ours == pytest.approx(ms.distortion_measure(X), rel=1e-9)


# =========================================================================== hits, quality
@settings(max_examples=30, deadline=None)
@given(bmus=st.lists(st.integers(0, 11), min_size=1, max_size=60))
def test_hits_vacancy_quality_against_direct_counting(bmus):
    b = np.array(bmus)
    dist = np.linspace(0.1, 3.0, len(bmus))
    cnt = Counter(bmus)
    hits = A.hit_counts(b, 12)
    assert hits.tolist() == [cnt.get(k, 0) for k in range(12)]
    assert hits.dtype == np.int64
    assert A.vacancy_rate(b, 12) == pytest.approx(sum(1 for k in range(12) if k not in cnt) / 12)
    q = A.quality_map(b, dist, 12)
    s = A.quality_map(b, dist, 12, reduce="sum")
    for k in range(12):
        mine = [dist[i] for i in range(len(bmus)) if bmus[i] == k]
        if mine:
            assert q[k] == pytest.approx(np.mean(mine))
            assert s[k] == pytest.approx(np.sum(mine))
        else:
            assert np.isnan(q[k]) and s[k] == 0


def test_hits_accepts_k_columns_and_validates():
    b = np.array([[0, 1], [2, 0], [2, 1]])
    assert A.hit_counts(b, 3).tolist() == [1, 0, 2]
    with pytest.raises(ValueError, match=r"bmus must be neuron indices in \[0, 2\]"):
        A.hit_counts([0, 3], 3)
    with pytest.raises(TypeError, match="integer"):
        A.hit_counts([0.5], 3)


# =========================================================================== labels
def direct_counts(bmus, labels, m, classes):
    out = np.zeros((m, len(classes)), dtype=int)
    for b, lab in zip(bmus, labels, strict=True):
        if lab is None or (isinstance(lab, float) and math.isnan(lab)):
            continue
        out[b, classes.index(lab)] += 1
    return out


@pytest.mark.parametrize(
    "labels,classes",
    [
        (["setosa", "virginica", "setosa", "versicolor", "virginica", "setosa"],
         ["setosa", "versicolor", "virginica"]),
        ([3, 1, 2, 3, 3, 1], [1, 2, 3]),
        ([(1, "a"), (0, "b"), (1, "a"), (0, "b"), (1, "a"), (0, "b")], [(0, "b"), (1, "a")]),
        (["b", None, "a", "b", np.nan, "a"], ["a", "b"]),
    ],
)
def test_label_counts_and_proportions(labels, classes):
    bmus = np.array([0, 3, 0, 1, 3, 3])
    lc = A.label_counts(bmus, labels, 5)
    assert list(lc.columns) == classes
    assert lc.index.tolist() == [0, 1, 2, 3, 4]
    np.testing.assert_array_equal(lc.to_numpy(), direct_counts(bmus, labels, 5, classes))
    lp = A.label_proportions(bmus, labels, 5)
    assert not lp.isna().to_numpy().any()
    row_sums = lp.sum(axis=1).to_numpy()
    has = lc.sum(axis=1).to_numpy() > 0
    np.testing.assert_allclose(row_sums[has], 1.0)
    assert (row_sums[~has] == 0).all()
    counts = lc.to_numpy()
    np.testing.assert_allclose(lp.to_numpy()[has], counts[has] / counts[has].sum(1, keepdims=True))


def test_label_counts_categorical_keeps_category_order_and_unused():
    cat = pd.Categorical(["lo", "hi", "lo"], categories=["lo", "mid", "hi"], ordered=True)
    lc = A.label_counts([1, 1, 0], cat, 2)
    assert list(lc.columns) == ["lo", "mid", "hi"]
    assert lc.to_numpy().tolist() == [[1, 0, 0], [1, 0, 1]]
    series = pd.Series(cat, index=["x", "y", "z"])
    assert A.label_counts([1, 1, 0], series, 2).to_numpy().tolist() == [[1, 0, 0], [1, 0, 1]]


def test_majority_labels():
    maj = A.majority_labels([0, 0, 0, 2, 2], ["b", "a", "b", "a", "b"], 4)
    assert maj.tolist() == ["b", None, "a", None]  # tie at neuron 2 -> first class in order


def test_label_length_mismatch():
    with pytest.raises(ValueError, match="labels has 2 entries but there are 3 samples"):
        A.label_counts([0, 1, 1], ["a", "b"], 2)


# ----------------------------------------------------------------- the one label encoder
def decode(codes, classes):
    return [None if c < 0 else classes[c] for c in codes]


@pytest.mark.parametrize("labels, classes, missing", [
    (["b", None, "a", "b", np.nan, "a"], ["a", "b"], [1, 4]),
    (np.array([2.0, np.nan, 1.0, 2.0]), [1.0, 2.0], [1]),  # float NaN is no class
    (pd.Series(["x", pd.NA, "y"], dtype="string"), ["x", "y"], [1]),
    ([10, 2, 1, 2], [1, 2, 10], []),  # numbers numerically, not as text
    ([True, False, True], [False, True], []),
    (np.array([True, False]), [False, True], []),
    ([1, "1", "a", 2, None], [1, "1", 2, "a"], [4]),  # mixed: (str, type name)
    ([1, True, 0, False], [0, 1, False, True], []),  # bools are not the numbers 1 and 0
    ([np.int64(3), 1.0, 3], [1.0, 3], []),  # 3 == 3.0 == np.int64(3): one class
])
def test_encode_labels_missing_values_and_class_order(labels, classes, missing):
    codes, got = A.encode_labels(labels)
    assert got == classes
    assert [type(c) for c in got] == [type(c) for c in classes]  # Python scalars
    assert codes.dtype == np.int64 and codes.shape == (len(labels),)
    assert [i for i, c in enumerate(codes) if c < 0] == missing
    for i, (code, lab) in enumerate(zip(codes, labels, strict=True)):
        if i not in missing:
            assert got[code] == lab
            assert isinstance(got[code], bool) == isinstance(lab, (bool, np.bool_))


def test_encode_labels_categorical_keeps_its_order_and_missing():
    cat = pd.Categorical(["hi", None, "lo", "hi"], categories=["lo", "mid", "hi"])
    for labels in (cat, pd.Series(cat), pd.CategoricalIndex(cat)):
        codes, classes = A.encode_labels(labels)
        assert classes == ["lo", "mid", "hi"]
        assert decode(codes, classes) == ["hi", None, "lo", "hi"]
    codes, classes = A.encode_labels(pd.Categorical([3, 1], categories=[3, 2, 1]))
    assert classes == [3, 2, 1] and type(classes[0]) is int and codes.tolist() == [0, 2]


def test_encode_labels_refuses_bad_input():
    for bad, msg in [(None, "labels is required"), (pd.DataFrame({"a": [1]}), "DataFrame"),
                     (np.zeros((2, 2)), "1-D"), ("abc", "1-D sequence")]:
        with pytest.raises(ValueError, match=msg):
            A.encode_labels(bad)
    with pytest.raises(ValueError, match="labels has 2 entries but there are 3 samples"):
        A.encode_labels(["a", "b"], 3)
    codes, classes = A.encode_labels([None, np.nan])
    assert classes == [] and codes.tolist() == [-1, -1]
    assert A.label_counts([0, 1], [None, np.nan], 2).shape == (2, 0)


def test_label_counts_skip_missing_and_views_use_the_same_classes():
    from somwidget import SOM
    from somwidget.widgets.hit_map import HitMap
    from somwidget.widgets.label_map import LabelMap

    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 2))
    labels = np.array(["b", "a", None, 3] * 15, dtype=object)
    som = SOM((3, 3), random_state=0).fit(X, epochs=2)
    bmus = som.predict(X)
    lc = A.label_counts(bmus, labels, 9)
    assert list(lc.columns) == [3, "a", "b"]  # mixed kinds: "3" < "a" < "b"
    for k in range(9):  # counted directly, the missing label nowhere
        won = labels[bmus == k]
        assert lc.loc[k].tolist() == [sum(v == c for v in won) for c in (3, "a", "b")]
    hm = HitMap(som, X, labels, label_overlay="majority")
    assert hm.category_names == ["3", "a", "b"]
    majority = A.majority_labels(bmus, labels, 9)
    lm = LabelMap(som, X, labels)
    cats = np.asarray(lm.categories)
    expect = [-1 if m is None else [3, "a", "b"].index(m) for m in majority]
    np.testing.assert_array_equal(cats, expect)
    hm.close()
    lm.close()


# =========================================================================== classification table
def test_classification_table_columns_and_values():
    lat = Lattice(3, 4, "hexa")
    bmus = np.array([[5, 1], [11, 10], [0, 1]])
    dist = np.array([[0.5, 0.9], [1.5, 2.0], [0.0, 0.1]])
    t = A.classification_table(bmus, dist, lat, labels=["x", "y", "x"])
    assert list(t.columns) == ["label", "bmu", "row", "col", "distance"]
    assert t["bmu"].tolist() == [5, 11, 0]
    assert t["row"].tolist() == [1, 2, 0] and t["col"].tolist() == [1, 3, 0]
    assert t["distance"].tolist() == [0.5, 1.5, 0.0]
    assert t["label"].tolist() == ["x", "y", "x"]
    assert t.index.tolist() == [0, 1, 2]
    no_labels = A.classification_table(bmus, dist, lat)
    assert list(no_labels.columns) == ["bmu", "row", "col", "distance"]
    with_second = A.classification_table(bmus, dist, lat, bmu2=bmus[:, 1], extra={"e": [1, 2, 3]})
    assert list(with_second.columns) == ["bmu", "row", "col", "distance", "bmu2", "e"]
    assert with_second["bmu2"].tolist() == [1, 10, 1]


def test_classification_table_keeps_index_and_aligns_extra_by_position():
    lat = Lattice(2, 2, "rect")
    labels = pd.Series(pd.Categorical(["a", "b", "a"]), index=["s1", "s2", "s3"])
    extra = pd.DataFrame({"price": [10.0, 20.0, 30.0]}, index=[7, 8, 9])  # different index
    t = A.classification_table([3, 0, 1], [1.0, 2.0, 3.0], lat, labels=labels, extra=extra)
    assert t.index.tolist() == ["s1", "s2", "s3"]
    assert t["price"].tolist() == [10.0, 20.0, 30.0]
    assert isinstance(t["label"].dtype, pd.CategoricalDtype)
    t2 = A.classification_table([3, 0, 1], [1.0, 2.0, 3.0], lat, extra={"name": ["p", "q", "r"]},
                                index=pd.Index(["a", "b", "c"], name="id"))
    assert t2.index.name == "id" and t2["name"].tolist() == ["p", "q", "r"]
    t3 = A.classification_table([3, 0, 1], [1.0, 2.0, 3.0], lat, extra=extra)
    assert t3.index.tolist() == [7, 8, 9]


def test_classification_table_validation():
    lat = Lattice(2, 2, "rect")
    with pytest.raises(ValueError, match="clashes"):
        A.classification_table([0, 1], [0.0, 1.0], lat, extra={"bmu": [1, 2]})
    with pytest.raises(ValueError, match="extra column 'z' has 1 entries"):
        A.classification_table([0, 1], [0.0, 1.0], lat, extra={"z": [1]})
    with pytest.raises(ValueError, match="distances has 3 entries"):
        A.classification_table([0, 1], [0.0, 1.0, 2.0], lat)


# =========================================================================== validation
def test_codebook_and_metric_validation():
    lat = Lattice(3, 3, "rect")
    with pytest.raises(ValueError, match="codebook has 8 rows but the lattice has 9 neurons"):
        A.umatrix(SQ[:8], lat)
    with pytest.raises(ValueError, match="metric must be one of"):
        A.umatrix(SQ, lat, metric="bogus")
    with pytest.raises(ValueError, match="node must be one of"):
        A.umatrix_interstitial(SQ, lat, node="mode")
    with pytest.raises(ValueError, match="adjacency must be"):
        A.topographic_error([0], [1], np.zeros((3, 3)))


# =========================================================================== large maps, O(M)
def _forbid_dense(monkeypatch):
    def boom(*args, **kwargs):
        raise AssertionError("dense M x M path used")

    for name in ("adjacency", "grid_distances", "grid_distances_squared", "_squared"):
        monkeypatch.setattr(Lattice, name, boom)


def _hand_neighbours(kind: str, r: int, c: int, R: int = 100, C: int = 100) -> list[int]:
    """Neighbours written out from the conventions, for the 100 x 100 maps below."""
    if kind == "hexa":  # odd rows shifted right
        dc = (-1, 0) if r % 2 == 0 else (0, 1)
        cand = [(r, c - 1), (r, c + 1)] + [(r + dr, c + d) for dr in (-1, 1) for d in dc]
        cand = [(rr, cc) for rr, cc in cand if 0 <= rr < R and 0 <= cc < C]
    else:  # toroidal_rect, 4 neighbours
        cand = [((r + dr) % R, (c + d) % C) for dr, d in ((0, -1), (0, 1), (-1, 0), (1, 0))]
    return sorted(rr * C + cc for rr, cc in cand)


@pytest.mark.parametrize("kind", ["hexa", "toroidal_rect"])
def test_100x100_pairs_umatrix_and_te_without_dense_arrays(kind, monkeypatch):
    _forbid_dense(monkeypatch)
    lat = Lattice(100, 100, kind)
    pairs = lat.neighbor_pairs()
    # hex: 100 rows x 99 row edges + 99 row gaps x 199 edges; torus: 2 edges per unit
    assert len(pairs) == (100 * 99 + 99 * 199 if kind == "hexa" else 2 * 10_000)
    W = np.random.default_rng(7).normal(size=(lat.n_neurons, 3))
    u = A.umatrix(W, lat)
    u_city = A.umatrix(W, lat, metric="cityblock")
    u_med = A.umatrix(W, lat, reduce="median")
    probes = [(0, 0), (0, 99), (1, 0), (1, 99), (50, 50), (51, 50), (99, 0), (99, 99)]
    for r, c in probes:
        k = r * 100 + c
        nb = _hand_neighbours(kind, r, c)
        assert lat.neighbors(k).tolist() == nb
        eu = [math.dist(W[k], W[j]) for j in nb]
        assert u[k] == pytest.approx(np.mean(eu), rel=1e-12)
        assert u_med[k] == pytest.approx(np.median(eu), rel=1e-12)
        assert u_city[k] == pytest.approx(np.mean([np.abs(W[k] - W[j]).sum() for j in nb]), rel=1e-12)
    # interstitial: a few edge cells by hand
    U = A.umatrix_interstitial(W, lat)
    assert U.shape == (199, 199)
    assert U[2 * 50, 2 * 50 + 1] == pytest.approx(math.dist(W[5050], W[5051]))
    assert U[2 * 50 + 1, 2 * 50] == pytest.approx(math.dist(W[5050], W[5150]))
    # topographic error: adjacent, adjacent through the wrap (torus only), and far apart
    b1 = np.array([5050, 0, 0, 0])
    b2 = np.array([5051, 99, 9900, 5050])
    wrap_ok = kind == "toroidal_rect"
    expected = [False, not wrap_ok, not wrap_ok, True]
    assert A.topographic_error(b1, b2, lat) == pytest.approx(np.mean(expected))
    np.testing.assert_array_equal(
        A.topographic_error(b1, b2, lat.adjacency_sparse()), np.mean(expected)
    )


@settings(max_examples=25, deadline=None)
@given(
    rows=st.integers(1, 6),
    cols=st.integers(2, 6),
    kind=st.sampled_from(["hexa", "rect", "toroidal_hexa", "toroidal_rect", "cylindrical_hexa",
                          "cylindrical_rect"]),
    adj=st.sampled_from([4, 8]),
    seed=st.integers(0, 2**16),
)
def test_topographic_error_lattice_sparse_dense_agree_with_plane_neighbours(rows, cols, kind, adj, seed):
    if kind == "toroidal_hexa" and rows % 2:
        rows += 1
    lat = Lattice(rows, cols, kind, rect_adjacency=adj)
    rng = np.random.default_rng(seed)
    m = lat.n_neurons
    b1 = rng.integers(0, m, 40)
    b2 = (b1 + rng.integers(1, m, 40)) % m
    nbs = plane_neighbours(lat)
    errors = np.array([j not in nbs[i] for i, j in zip(b1, b2, strict=True)])
    for adjacency in (lat, lat.adjacency_sparse(), lat.adjacency(), lat.adjacency_sparse().tocoo()):
        assert A.topographic_error(b1, b2, adjacency) == pytest.approx(errors.mean())
        hits = np.bincount(b1, minlength=m)
        bad = np.bincount(b1, weights=errors, minlength=m)
        np.testing.assert_allclose(
            A.topographic_error_map(b1, b2, adjacency),
            np.where(hits > 0, bad / np.maximum(hits, 1), np.nan),
        )


@pytest.mark.parametrize("metric", ["euclidean", "cityblock", "cosine"])
def test_edge_distances_small_blocks_match_cdist(metric, monkeypatch):
    # tiny blocks exercise the chunking of edges, of source units and of target sub-blocks
    monkeypatch.setattr(U, "_BLOCK_ELEMENTS", 7)
    lat = Lattice(6, 7, "toroidal_hexa")
    W = np.random.default_rng(3).normal(size=(lat.n_neurons, 4))
    full = cdist(W, W, metric=metric)
    expected = [full[k, nb].mean() for k, nb in enumerate(plane_neighbours(lat))]
    np.testing.assert_allclose(A.umatrix(W, lat, metric=metric), expected, rtol=1e-12)
    # arbitrary (non-local) edges too
    rng = np.random.default_rng(4)
    a, b = rng.integers(0, lat.n_neurons, (2, 50))
    np.testing.assert_allclose(U._edge_distances(W, a, b, metric), full[a, b], rtol=1e-12)


def test_distortion_without_full_distance_matrix(monkeypatch):
    lat = Lattice(4, 5, "toroidal_rect")
    W = np.random.default_rng(5).normal(size=(20, 2))
    X = np.random.default_rng(6).normal(size=(30, 2))
    b = np.argmin(cdist(X, W), axis=1)
    ref = A.distortion(X, W, b, lat, "gaussian", 1.5)
    _forbid_dense(monkeypatch)
    assert A.distortion(X, W, b, Lattice(4, 5, "toroidal_rect"), "gaussian", 1.5) == pytest.approx(ref)


def test_sparse_adjacency_validation():
    from scipy import sparse

    with pytest.raises(ValueError, match="square"):
        A.topographic_error([0], [1], sparse.csr_array(np.ones((3, 4), dtype=bool)))


def test_label_functions_live_in_labels_and_stay_importable_from_analysis():
    from somwidget import labels

    for name in labels.__all__:
        assert getattr(A, name) is getattr(labels, name), name
        assert name in A.__all__


def test_umatrices_live_in_umatrices_and_stay_importable_from_analysis():
    for name in ("umatrix", "umatrix_interstitial", "umatrix_interstitial_coordinates"):
        assert getattr(A, name) is getattr(U, name), name
        assert name in A.__all__ and name in U.__all__


@pytest.mark.parametrize("call", [
    lambda: A.umatrix(SQ, None),
    lambda: A.umatrix_interstitial(SQ, (3, 3)),
    lambda: A.umatrix_interstitial_coordinates("hexa"),
    lambda: A.distortion(np.zeros((2, 1)), SQ, [0, 1], None),
    lambda: A.epoch_metrics([[0, 1]], [[0.0, 1.0]], 9),
])
def test_a_lattice_argument_that_is_no_lattice_is_named(call):
    with pytest.raises(TypeError, match="lattice must be a somwidget Lattice; got"):
        call()


def test_topographic_error_in_blocks_matches_plane_neighbours(monkeypatch):
    # blocks of 7 samples: the lookup runs block by block (bounded temporaries at millions of
    # samples); the errors across the block edges equal the neighbour lists'
    monkeypatch.setattr(A, "_TE_BLOCK", 7)
    lat = Lattice(5, 6, "hexa")
    rng = np.random.default_rng(4)
    m = lat.n_neurons
    b1 = rng.integers(0, m, 100)
    b2 = (b1 + rng.integers(1, m, 100)) % m
    nbs = plane_neighbours(lat)
    errors = np.array([j not in nbs[i] for i, j in zip(b1, b2, strict=True)])
    assert 0 < errors.sum() < errors.size
    assert A.topographic_error(b1, b2, lat) == pytest.approx(errors.mean())
    hits = np.bincount(b1, minlength=m)
    bad = np.bincount(b1, weights=errors, minlength=m)
    np.testing.assert_allclose(A.topographic_error_map(b1, b2, lat),
                               np.where(hits > 0, bad / np.maximum(hits, 1), np.nan))
    b2[[3, 50, 99]] = b1[[3, 50, 99]]  # the count in the message is over every block
    with pytest.raises(ValueError, match="for 3 sample"):
        A.topographic_error(b1, b2, lat)
