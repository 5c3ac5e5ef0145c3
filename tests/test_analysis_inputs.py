"""Inputs of the clustering, U-matrix and analysis helpers: degenerate codebooks, clusterings
from another map, extreme magnitudes, and arguments that must be refused by name.

Every expected value is computed here independently: scikit-learn on a copy of the codebook at
magnitude 1, neighbour distances from the lattice's plane coordinates and ``abs`` of 1-D
differences, Davies–Bouldin by hand."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from somwidget import SOM, analysis
from somwidget.clustering import (
    CLUSTER_METHODS,
    cluster_adjacency,
    cluster_codebook,
    davies_bouldin,
    relabel_in_order,
)
from somwidget.datasets import load_iris
from somwidget.lattice import Lattice
from somwidget.umatrices import umatrix, umatrix_interstitial

RNG_X = np.random.default_rng(3).normal(size=(60, 3))


def _first_occurrence(labels: np.ndarray) -> np.ndarray:
    """Ids renumbered by first occurrence, written out as a loop (independent of the module)."""
    seen: dict[object, int] = {}
    return np.array([seen.setdefault(v, len(seen)) for v in labels.tolist()])


def _sklearn_labels(cb: np.ndarray, lat: Lattice, k: int, method: str) -> np.ndarray:
    from sklearn.cluster import AgglomerativeClustering, KMeans

    if method == "kmeans":
        lab = KMeans(n_clusters=k, n_init=10, random_state=0).fit(cb).labels_
    else:
        lab = AgglomerativeClustering(n_clusters=k, linkage=method,
                                      connectivity=lat.adjacency_sparse()).fit(cb).labels_
    return _first_occurrence(lab)


def _plane_neighbours(lat: Lattice) -> list[list[int]]:
    """Neighbours of a flat lattice from its plane coordinates: the cells 1 apart."""
    xy = lat.coordinates
    d = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    return [list(np.flatnonzero(np.abs(row - 1.0) < 1e-9)) for row in d]


# ------------------------------------------------------------------ 1. degenerate codebooks
@pytest.mark.parametrize("method", CLUSTER_METHODS)
def test_more_clusters_than_distinct_prototypes_is_an_error(method):
    som = SOM(mapsize=(4, 4), random_state=0).fit(np.ones((30, 2)), epochs=3)
    assert np.unique(som.codebook_, axis=0).shape[0] == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no ConvergenceWarning as the only signal
        with pytest.raises(ValueError, match=r"n_clusters=5 .*1 distinct codebook vector"):
            som.cluster(5, method)
        with pytest.raises(ValueError, match=r"choosing n_clusters needs at least 3 distinct"):
            som.cluster(None, method)
    assert som.cluster(1, method).n_clusters_ == 1


@pytest.mark.parametrize("method", CLUSTER_METHODS)
def test_two_distinct_prototypes(method):
    lat = Lattice(4, 4, "hexa")
    cb = np.repeat([[0.0, 0.0], [3.0, 1.0]], 8, axis=0)
    with pytest.raises(ValueError, match=r"n_clusters=5 .*2 distinct codebook vectors"):
        cluster_codebook(cb, lat, 5, method)
    with pytest.raises(ValueError, match=r"choosing n_clusters needs at least 3 distinct.*has 2"):
        cluster_codebook(cb, lat, None, method)
    two = cluster_codebook(cb, lat, 2, method)
    assert two.n_clusters_ == 2
    assert np.array_equal(two.labels_, np.repeat([0, 1], 8))


def test_choosing_k_caps_the_search_at_the_distinct_prototypes():
    lat = Lattice(4, 4, "hexa")
    cb = np.repeat([[0.0], [5.0], [20.0], [21.0]], 4, axis=0)
    r = cluster_codebook(cb, lat, None, "kmeans", max_clusters=8)
    assert list(r.scores_.index) == [2, 3, 4]
    assert np.isfinite(r.scores_).all()
    # k = 4 puts each distinct vector alone: zero spread, a Davies–Bouldin index of 0
    assert r.scores_[4] == 0.0 and r.n_clusters_ == 4
    assert "chosen by Davies-Bouldin" in repr(r)


# ------------------------------------------------------------ 2. clusterings of another map
def test_predict_cluster_refuses_a_clustering_of_another_lattice():
    a = SOM(mapsize=(4, 4), random_state=0).fit(RNG_X, epochs=2)
    r = a.cluster(3)
    b = SOM(mapsize=(2, 8), random_state=0).fit(RNG_X, epochs=2)
    with pytest.raises(ValueError, match=r"clusters .*Lattice\(rows=4, cols=4.*Lattice\(rows=2, cols=8"):
        b.predict_cluster(RNG_X[:5], r)
    c = SOM(mapsize=(4, 4), lattice="rect", random_state=0).fit(RNG_X, epochs=2)
    with pytest.raises(ValueError, match=r"clusters .*kind='hexa'.*kind='rect'"):
        c.predict_cluster(RNG_X[:5], r)
    # the same lattice is accepted: ids of each sample's BMU, as looked up by hand
    assert np.array_equal(a.predict_cluster(RNG_X[:5], r), np.asarray(r.labels_)[a.predict(RNG_X[:5])])


@pytest.mark.parametrize("ids, match", [
    (-np.ones(16, int), r"clusters must hold integer cluster ids 0..k-1.*-1"),
    (np.r_[np.zeros(8), np.full(8, 0.5)], r"clusters must hold integer cluster ids.*0.5"),
    (np.array(["a", "b"] * 8), r"clusters must hold integer cluster ids.*<U1"),
    (np.ones(16, bool), r"clusters must hold integer cluster ids.*bool"),
])
def test_predict_cluster_checks_the_range_of_label_arrays(ids, match):
    som = SOM(mapsize=(4, 4), random_state=0).fit(RNG_X, epochs=2)
    with pytest.raises((ValueError, TypeError), match=match):
        som.predict_cluster(RNG_X[:5], ids)


def test_check_clustering_is_callable_by_the_views():
    from somwidget.clustering import check_clustering

    lat = Lattice(4, 4, "hexa")
    ids = np.repeat([0, 1], 8)
    assert np.array_equal(check_clustering(ids.astype(float), lat), ids)
    r = cluster_codebook(np.arange(16.0)[:, None], lat, 2)
    with pytest.raises(ValueError, match="clusters was computed on"):
        check_clustering(r, Lattice(2, 8, "hexa"))


# ------------------------------------------------------------------- 3. extreme magnitudes
@pytest.mark.parametrize("method", CLUSTER_METHODS)
@pytest.mark.parametrize("scale", [1e-300, 1e-200, 1e154, 1e200, 1e300])
def test_clustering_is_scale_invariant(method, scale):
    cb = np.random.default_rng(1).normal(size=(25, 3))
    lat = Lattice(5, 5, "hexa")
    expected = _sklearn_labels(cb, lat, 4, method)
    r = cluster_codebook(cb * scale, lat, 4, method)
    assert np.array_equal(r.labels_, expected)
    # centroids in the codebook's units, from the expected partition
    want = np.array([(cb * scale)[expected == c].mean(axis=0) for c in range(4)])
    np.testing.assert_allclose(r.centroids_, want, rtol=1e-12)


@pytest.mark.parametrize("scale", [1e-250, 1e250])
def test_chosen_k_and_scores_are_scale_invariant(scale):
    cb = np.random.default_rng(1).normal(size=(25, 3))
    lat = Lattice(5, 5, "hexa")
    ref = cluster_codebook(cb, lat)
    r = cluster_codebook(cb * scale, lat)
    assert np.isfinite(r.scores_).all()
    np.testing.assert_allclose(r.scores_.to_numpy(), ref.scores_.to_numpy(), rtol=1e-12)
    assert r.n_clusters_ == ref.n_clusters_
    assert np.array_equal(r.labels_, ref.labels_)


def test_davies_bouldin_by_hand_at_any_magnitude():
    x = np.array([[0.0, 0.0], [2.0, 0.0], [10.0, 0.0], [10.0, 4.0]])
    lab = [0, 0, 1, 1]
    # s = (1, 2), centroids (1, 0) and (10, 2): distance sqrt(85); DB = (1 + 2) / sqrt(85)
    want = 3.0 / np.sqrt(85.0)
    for scale in (1.0, 1e-300, 1e300):
        assert davies_bouldin(x * scale, lab) == pytest.approx(want, rel=1e-14)


def test_umatrix_huge_values():
    lat = Lattice(3, 3, "hexa")
    v = np.array([1e200, -1e200] * 4 + [0.0])
    nb = _plane_neighbours(lat)
    want = np.array([np.mean([abs(v[i] - v[j]) for j in nb[i]]) for i in range(9)])
    assert np.isfinite(want).all()
    np.testing.assert_allclose(umatrix(v[:, None], lat), want, rtol=1e-14)
    for reduce, f in (("max", max), ("min", min), ("sum", sum)):
        want_r = np.array([f([abs(v[i] - v[j]) for j in nb[i]]) for i in range(9)])
        np.testing.assert_allclose(umatrix(v[:, None], lat, reduce=reduce), want_r, rtol=1e-14)
    # Euclidean in 2-D: each neighbour distance is hypot of the two coordinate differences
    w = np.column_stack([v, v[::-1]]) * 5e107  # entries of 5e307: distances up to 1.4e308
    q = w / 4
    # the mean of distances near 1.4e308 as a sum of their shares (their sum overflows)
    want2 = np.array([sum(np.hypot(q[i, 0] - q[j, 0], q[i, 1] - q[j, 1]) * (4 / len(nb[i]))
                          for j in nb[i]) for i in range(9)])
    assert np.isfinite(want2).all()
    np.testing.assert_allclose(umatrix(w, lat), want2, rtol=1e-14)
    U = umatrix_interstitial(v[:, None], lat)
    assert U[0, 1] == 2e200 and U[0, 3] == 2e200  # (0,0)-(0,1) and (0,1)-(0,2)


def test_umatrix_subnormal_values():
    lat = Lattice(3, 3, "hexa")
    v = np.arange(9.0) * 1e-310
    nb = _plane_neighbours(lat)
    want = np.array([np.mean([abs(i - j) for j in nb[i]]) for i in range(9)]) * 1e-310
    assert (want > 0).all()
    np.testing.assert_allclose(umatrix(v[:, None], lat), want, rtol=1e-9)
    np.testing.assert_allclose(umatrix(v[:, None], lat, metric="cityblock"), want, rtol=1e-9)
    rect = Lattice(3, 3, "rect")
    U = umatrix_interstitial(v[:, None], rect)
    # diagonal cell of the first square: (|v0 - v4| + |v3 - v1|) / (2 sqrt 2) = 6 / (2 sqrt 2)
    assert U[1, 1] == pytest.approx(6e-310 / (2 * np.sqrt(2)), rel=1e-9)


# ------------------------------------------------------- 4. refused arguments, by name
def test_cluster_adjacency_refuses_bad_ids():
    lat = Lattice(4, 4, "hexa")
    with pytest.raises(ValueError, match=r"labels must hold integer cluster ids 0..k-1.*-1"):
        cluster_adjacency(lat, -np.ones(16, int))
    with pytest.raises(ValueError, match=r"labels must hold integer cluster ids.*0.5"):
        cluster_adjacency(lat, np.r_[np.zeros(8), np.full(8, 0.5)])
    with pytest.raises(TypeError, match=r"labels must hold integer cluster ids.*<U1"):
        cluster_adjacency(lat, np.array(["a", "b"] * 8))
    with pytest.raises(ValueError, match=r"labels must hold integer cluster ids.*nan"):
        cluster_adjacency(lat, np.r_[np.zeros(15), np.nan])
    # two halves of rows 0-1 and 2-3 touch; integral floats are accepted
    adj = cluster_adjacency(lat, np.repeat([0.0, 1.0], 8))
    assert adj.tolist() == [[False, True], [True, False]]


def test_cluster_codebook_refuses_bad_codebooks():
    lat = Lattice(4, 4, "hexa")
    with pytest.raises(ValueError, match=r"codebook must have at least 1 feature"):
        cluster_codebook(np.zeros((16, 0)), lat, 3)
    with pytest.raises(ValueError, match=r"codebook must be numeric"):
        cluster_codebook("abc", lat, 3)
    with pytest.raises(ValueError, match=r"codebook .*NaN"):
        cluster_codebook(np.full((16, 2), np.nan), lat, 3)
    with pytest.raises(ValueError, match=r"codebook must have shape \(n_neurons=16, D\)"):
        cluster_codebook(np.zeros((15, 2)), lat, 3)


def test_davies_bouldin_refuses_bad_input():
    with pytest.raises(ValueError, match=r"X .*NaN"):
        davies_bouldin(np.r_[np.full((2, 2), np.nan), np.ones((2, 2))], [0, 0, 1, 1])
    with pytest.raises(ValueError, match=r"X must be 2-D|X .*1-D"):
        davies_bouldin(np.arange(4.0), [0, 0, 1, 1])
    with pytest.raises(ValueError, match=r"labels must have one entry per row of X \(4\); got 3"):
        davies_bouldin(np.arange(8.0).reshape(4, 2), [0, 0, 1])


def test_relabel_in_order():
    assert relabel_in_order(["b", "a", "b", "c"]).tolist() == [0, 1, 0, 2]
    assert relabel_in_order([5, 5, 2, 9, 2]).tolist() == [0, 0, 1, 2, 1]
    with pytest.raises(ValueError, match=r"labels holds 1 missing value"):
        relabel_in_order(["b", "a", "b", None])
    with pytest.raises(ValueError, match=r"labels holds 1 missing value"):
        relabel_in_order([1.0, np.nan])


@pytest.mark.parametrize("bad, err, match", [
    ([1, 2, np.nan], ValueError, r"distances .*NaN"),
    ([1, 2, np.inf], ValueError, r"distances .*infinite"),
    ([1, -2, 3], ValueError, r"distances must be >= 0.*-2"),
    ("x", TypeError, r"distances must be numeric"),
])
def test_distances_are_checked(bad, err, match):
    with pytest.raises(err, match=match):
        analysis.quantization_error(bad)
    with pytest.raises(err, match=match):
        analysis.quality_map([0, 1, 1], bad, 2)


def test_quantization_error_and_quality_map_by_hand():
    assert analysis.quantization_error([1.0, 2.0, 6.0]) == 3.0
    q = analysis.quality_map([0, 1, 1], [1.0, 2.0, 6.0], 3)
    assert q[0] == 1.0 and q[1] == 4.0 and np.isnan(q[2])


# ------------------------------------------------------------------------ 5. demo, bools
def test_demo_arguments_are_usage_errors(capsys):
    from somwidget import demo

    for argv in (["--mapsize", "0", "5"], ["--mapsize", "1", "1"], ["--seed", "-1"]):
        with pytest.raises(SystemExit) as exc:
            demo.main(argv)
        assert exc.value.code == 2
        err = capsys.readouterr().err
        assert "usage:" in err and ("--mapsize" in err or "--seed" in err)


def test_demo_seed_changes_the_map():
    from somwidget import demo

    a = demo.main(["--mapsize", "4", "3", "--seed", "1"])
    b = demo.main(["--mapsize", "4", "3", "--seed", "2"])
    c = demo.main(["--mapsize", "4", "3", "--seed", "1"])
    assert a == c
    assert a["quantization_error"] != b["quantization_error"]


def test_boolean_parameters_refuse_other_values():
    with pytest.raises(TypeError, match=r"return_X_y must be True or False; got 'no'"):
        load_iris(return_X_y="no")
    lat = Lattice(2, 2, "rect")
    W = np.arange(8.0).reshape(4, 2)
    X = W[[0, 3]] + 0.5
    with pytest.raises(TypeError, match=r"squared must be True or False; got 'no'"):
        analysis.distortion(X, W, [0, 3], lat, squared="no")
    # by hand: bubble kernel of radius 0.5 keeps the BMU only; |x - w_bmu| = sqrt(0.5) each
    d = analysis.distortion(X, W, [0, 3], lat, neighborhood="bubble", radius=0.5)
    assert d == pytest.approx(2 * np.sqrt(0.5))
    d2 = analysis.distortion(X, W, [0, 3], lat, neighborhood="bubble", radius=0.5, squared=True)
    assert d2 == pytest.approx(1.0)


def test_views_and_tables_refuse_a_clustering_of_another_map():
    from somwidget.widgets import ClusterMap, UMatrix

    X = np.random.default_rng(0).normal(size=(80, 3))
    a = SOM(mapsize=(4, 4), random_state=0).fit(X, epochs=2)
    b = SOM(mapsize=(2, 8), random_state=0).fit(X, epochs=2)
    r = a.cluster(3)
    for build in (lambda: UMatrix(b, clusters=r), lambda: ClusterMap(b, clusters=r),
                  lambda: b.classification_table(X, clusters=r)):
        with pytest.raises(ValueError, match="clusters was computed on"):
            build()
    assert UMatrix(a, clusters=r).to_svg().startswith("<svg")
    with pytest.raises(TypeError, match="squared"):
        a.distortion(X, squared="no")
