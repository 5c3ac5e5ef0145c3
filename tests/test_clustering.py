"""Map clustering: contiguous clusters on every lattice, the Davies–Bouldin choice, borders."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.sparse.csgraph import connected_components
from sklearn.cluster import AgglomerativeClustering, KMeans
from sklearn.metrics import davies_bouldin_score

from somwidget import SOM
from somwidget.clustering import (
    MapClustering,
    border_segments,
    cluster_adjacency,
    cluster_codebook,
    davies_bouldin,
    default_max_clusters,
)
from somwidget.datasets import load_iris
from somwidget.lattice import LATTICES, Lattice, plane_coordinates

R = 1 / math.sqrt(3)  # hex cell circumradius = side


def same_partition(a, b) -> bool:
    """Whether two labelings split the items the same way (ids may differ)."""
    a, b = np.asarray(a), np.asarray(b)
    pairs = pd.DataFrame({"a": a, "b": b}).drop_duplicates()
    return pairs["a"].is_unique and pairs["b"].is_unique


def components_of(lattice: Lattice, members: np.ndarray) -> int:
    """Connected components of the lattice graph (wrap-around included) restricted to members."""
    adj = lattice.adjacency_sparse().tocsr()[members][:, members]
    return connected_components(adj, directed=False)[0]


@pytest.fixture(scope="module")
def iris_som() -> SOM:
    X = load_iris().drop(columns="label")
    return SOM((8, 9), random_state=1).fit(X, epochs=8)


# --------------------------------------------------------------------------- contiguity
@pytest.mark.parametrize("kind", LATTICES)
@pytest.mark.parametrize("method", ["ward", "average", "complete", "single"])
def test_agglomerative_clusters_are_contiguous_on_every_lattice(kind, method):
    lat = Lattice(6, 7, kind)
    rng = np.random.default_rng(3)
    codebook = rng.normal(size=(lat.n_neurons, 3))  # no spatial order: contiguity is the constraint's
    for k in (2, 3, 5, 9):
        c = cluster_codebook(codebook, lat, k, method)
        assert c.n_clusters_ == k
        assert sorted(set(c.labels_.tolist())) == list(range(k))
        for cl in range(k):
            assert components_of(lat, np.flatnonzero(c.labels_ == cl)) == 1, (kind, method, k, cl)


def test_rect8_clusters_are_contiguous_in_the_8_neighbourhood():
    lat = Lattice(6, 6, "rect", rect_adjacency=8)
    codebook = np.random.default_rng(0).normal(size=(36, 2))
    c = cluster_codebook(codebook, lat, 6)
    for cl in range(6):
        assert components_of(lat, np.flatnonzero(c.labels_ == cl)) == 1


def test_ward_uses_the_wrap_around_edges():
    # a cylinder whose columns 10, 11, 0, 1 carry the same vector: that group is one region only
    # through the wrapped edge between columns 11 and 0
    rows, cols = 3, 12
    lat = Lattice(rows, cols, "cylindrical_rect")
    col = np.tile(np.arange(cols), rows)
    group = np.select([(col >= 2) & (col <= 5), (col >= 6) & (col <= 9)], [1, 2], 0)
    codebook = 10.0 * group[:, None] + 0.01 * np.random.default_rng(0).normal(size=(lat.n_neurons, 2))
    c = cluster_codebook(codebook, lat, 3)
    assert same_partition(c.labels_, group)
    members = np.flatnonzero(group == 0)
    assert components_of(lat, members) == 1
    assert components_of(Lattice(rows, cols, "rect"), members) == 2  # without the wrap: two
    # the flat map cannot keep that group together in 3 clusters
    flat = cluster_codebook(codebook, Lattice(rows, cols, "rect"), 3)
    assert not same_partition(flat.labels_, group)


def test_partitions_match_scikit_learn_agglomerative_with_the_lattice(iris_som):
    lat = iris_som.lattice_
    conn = lat.adjacency_sparse().astype(float)
    for method in ("ward", "average"):
        chosen = iris_som.cluster(method=method)
        for k in chosen.scores_.index:
            ref = AgglomerativeClustering(n_clusters=int(k), linkage=method,
                                          connectivity=conn).fit(iris_som.codebook_).labels_
            assert same_partition(chosen.partition(int(k)), ref), (method, k)
            assert same_partition(iris_som.cluster(int(k), method).labels_, ref)


# --------------------------------------------------------------------------- choosing k
def davies_bouldin_by_hand(X: np.ndarray, labels: np.ndarray) -> float:
    ids = np.unique(labels)
    cents = np.array([X[labels == i].mean(axis=0) for i in ids])
    s = np.array([np.mean(np.linalg.norm(X[labels == i] - cents[n], axis=1)) for n, i in enumerate(ids)])
    worst = []
    for a in range(len(ids)):
        worst.append(max((s[a] + s[b]) / np.linalg.norm(cents[a] - cents[b])
                         for b in range(len(ids)) if b != a))
    return float(np.mean(worst))


@pytest.mark.parametrize("method", ["ward", "kmeans"])
def test_davies_bouldin_choice_against_brute_force(iris_som, method):
    cb, lat = iris_som.codebook_, iris_som.lattice_
    result = iris_som.cluster(method=method, random_state=5)
    kmax = min(round(math.sqrt(lat.n_neurons)), 20)
    assert list(result.scores_.index) == list(range(2, kmax + 1))
    by_hand = {}
    for k in range(2, kmax + 1):
        if method == "ward":
            part = AgglomerativeClustering(n_clusters=k, linkage="ward",
                                           connectivity=lat.adjacency_sparse().astype(float)).fit(cb).labels_
        else:
            part = KMeans(n_clusters=k, n_init=10, random_state=5).fit(cb).labels_
        assert same_partition(result.partition(k), part)
        by_hand[k] = davies_bouldin_by_hand(cb, part)
        assert by_hand[k] == pytest.approx(davies_bouldin_score(cb, part), rel=1e-10)
        assert result.scores_[k] == pytest.approx(by_hand[k], rel=1e-10)
        assert davies_bouldin(cb, part) == pytest.approx(by_hand[k], rel=1e-10)
    best = min(by_hand, key=by_hand.get)
    assert result.n_clusters_ == best
    assert same_partition(result.labels_, result.partition(best))


def test_max_clusters_bounds_the_search(iris_som):
    r = iris_som.cluster(max_clusters=4)
    assert list(r.scores_.index) == [2, 3, 4]
    assert r.n_clusters_ == int(r.scores_.idxmin())
    assert default_max_clusters(72) == 8
    assert default_max_clusters(10_000) == 20
    assert default_max_clusters(3) == 2


def test_separated_blobs_are_found():
    # three well-separated groups of prototypes laid out as three bands of the map
    lat = Lattice(6, 9, "hexa")
    col = np.arange(lat.n_neurons) % 9
    rng = np.random.default_rng(0)
    centres = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    codebook = centres[col // 3] + 0.3 * rng.normal(size=(lat.n_neurons, 2))
    r = cluster_codebook(codebook, lat)
    assert r.n_clusters_ == 3
    assert same_partition(r.labels_, col // 3)


# --------------------------------------------------------------------------- the result
def test_ids_are_numbered_by_first_neuron_and_the_object_acts_as_an_array(iris_som):
    r = iris_som.cluster(4)
    assert isinstance(r, MapClustering)
    first = [int(np.flatnonzero(r.labels_ == c)[0]) for c in range(4)]
    assert first == sorted(first) and first[0] == 0
    assert np.array_equal(np.asarray(r), r.labels_)
    assert len(r) == iris_som.n_neurons_ and r[0] == 0
    assert r.sizes_.sum() == iris_som.n_neurons_
    assert np.array_equal(r.neurons(1), np.flatnonzero(r.labels_ == 1))
    assert r.scores_ is None
    cents = np.array([iris_som.codebook_[r.labels_ == c].mean(axis=0) for c in range(4)])
    np.testing.assert_allclose(r.centroids_, cents)
    assert not r.labels_.flags.writeable
    assert "4 clusters" in repr(r)


def test_predict_cluster_and_the_classification_table(iris_som):
    X = load_iris().drop(columns="label")
    r = iris_som.cluster(3)
    bmus = iris_som.predict(X)
    expected = r.labels_[bmus]
    assert np.array_equal(iris_som.predict_cluster(X, r), expected)
    assert np.array_equal(iris_som.predict_cluster(X, r.labels_), expected)
    assert np.array_equal(iris_som.predict_cluster(X, n_clusters=3), expected)
    assert np.array_equal(r.of_units(bmus), expected)
    table = iris_som.classification_table(X, labels=load_iris()["label"], clusters=r)
    assert list(table.columns[:3]) == ["label", "bmu", "cluster"]
    assert np.array_equal(table["cluster"].to_numpy(), expected)
    assert np.array_equal(table["bmu"].to_numpy(), bmus)
    with pytest.raises(ValueError, match="one per neuron"):
        iris_som.classification_table(X, clusters=[0, 1])
    with pytest.raises(TypeError, match="not both"):
        iris_som.predict_cluster(X, r, n_clusters=3)


def test_bad_arguments_name_the_parameter(iris_som):
    with pytest.raises(ValueError, match="method.*ward.*kmeans"):
        iris_som.cluster(method="dbscan")
    with pytest.raises(ValueError, match="n_clusters must be <= the number of neurons"):
        iris_som.cluster(1000)
    with pytest.raises(ValueError, match="n_clusters or max_clusters"):
        iris_som.cluster(3, max_clusters=5)
    with pytest.raises(ValueError, match="max_clusters must be <= n_neurons - 1"):
        iris_som.cluster(max_clusters=500)
    with pytest.raises(ValueError, match="partitions computed"):
        iris_som.cluster(3).partition(4)
    one = iris_som.cluster(1)
    assert one.n_clusters_ == 1 and not one.labels_.any()
    with pytest.raises(Exception, match="fit|initiali"):
        SOM((3, 3)).cluster()
    assert iris_som.cluster(method="k-means", n_clusters=2).method == "kmeans"


# --------------------------------------------------------------------------- borders
def seg_set(segs: np.ndarray) -> set:
    out = set()
    for x0, y0, x1, y1 in np.round(np.asarray(segs, dtype=float), 9) + 0.0:
        out.add(tuple(sorted([(x0, y0), (x1, y1)])))
    return out


def test_border_segments_rect_3x3_by_hand():
    lat = Lattice(3, 3, "rect")
    labels = np.array([0, 0, 1,
                       0, 0, 1,
                       2, 2, 2])
    expected = {
        ((1.5, -0.5), (1.5, 0.5)), ((1.5, 0.5), (1.5, 1.5)),           # cols 1 | 2, rows 0-1
        ((-0.5, 1.5), (0.5, 1.5)), ((0.5, 1.5), (1.5, 1.5)), ((1.5, 1.5), (2.5, 1.5)),  # row 1 | 2
    }
    segs = border_segments(lat, labels)
    assert segs.shape == (5, 4)
    assert seg_set(segs) == expected


def test_border_segments_hex_3x3_by_hand():
    lat = Lattice(3, 3, "hexa")
    labels = np.array([0, 0, 0, 1, 1, 1, 1, 1, 1])  # row 0 against the rest
    h = R / 2
    expected = {  # the lower edges of the row-0 hexagons that touch row 1 (shifted right)
        ((0.0, R), (0.5, h)),
        ((0.5, h), (1.0, R)), ((1.0, R), (1.5, h)),
        ((1.5, h), (2.0, R)), ((2.0, R), (2.5, h)),
    }
    assert seg_set(border_segments(lat, labels)) == seg_set(np.array([[*a, *b] for a, b in expected]))


def test_border_segments_cylinder_3x3_by_hand():
    lat = Lattice(3, 3, "cylindrical_rect")
    labels = np.array([0, 0, 1] * 3)
    expected = set()
    for r in range(3):
        expected.add(((1.5, r - 0.5), (1.5, r + 0.5)))   # between cols 1 and 2
        expected.add(((2.5, r - 0.5), (2.5, r + 0.5)))   # col 2's right edge, wrapping to col 0
        expected.add(((-0.5, r - 0.5), (-0.5, r + 0.5)))  # col 0's left edge, wrapping to col 2
    assert seg_set(border_segments(lat, labels)) == expected


@pytest.mark.parametrize("kind", ["hexa", "rect"])
def test_border_segments_are_the_shared_edges_of_the_cell_polygons(kind):
    # independent construction: the two vertices both cells' polygons have in common
    from somwidget.widgets.pictures.lattice import cell_vertices

    lat = Lattice(5, 6, kind, rect_adjacency=8 if kind == "rect" else 4)
    labels = np.random.default_rng(2).integers(0, 3, lat.n_neurons)
    xy = plane_coordinates(5, 6, lat.shape)
    verts = cell_vertices(lat.shape)
    expected = set()
    for i in range(lat.n_neurons):
        for j in range(i + 1, lat.n_neurons):
            if labels[i] == labels[j]:
                continue
            vi = {tuple(np.round(xy[i] + v, 9) + 0.0) for v in verts}
            vj = {tuple(np.round(xy[j] + v, 9) + 0.0) for v in verts}
            common = vi & vj
            if len(common) == 2:  # a shared edge (diagonal squares share one corner only)
                expected.add(tuple(sorted(common)))
    assert seg_set(border_segments(lat, labels)) == expected


def test_no_borders_for_one_category_and_toroidal_counts():
    lat = Lattice(4, 4, "toroidal_rect")
    assert border_segments(lat, np.zeros(16)).shape == (0, 4)
    # two halves of a torus: 2 seams of 4 edges inside the picture... and 4 + 4 wrapped edges
    # shown twice each (once on each side of the picture)
    labels = np.repeat([0, 1], 8)  # rows 0-1 against rows 2-3
    segs = border_segments(lat, labels)
    assert len(segs) == 4 + 2 * 4
    assert border_segments(lat, np.array(["a"] * 8 + [None] * 8, dtype=object)).shape == (12, 4)


def test_cluster_adjacency():
    lat = Lattice(3, 3, "rect")
    adj = cluster_adjacency(lat, np.array([0, 0, 1, 0, 0, 1, 2, 2, 2]))
    assert adj.tolist() == [[False, True, True], [True, False, True], [True, True, False]]
    lat = Lattice(1, 4, "rect")
    assert not cluster_adjacency(lat, np.array([0, 1, 1, 2]))[0, 2]


@pytest.mark.parametrize("kind", ["toroidal_hexa", "toroidal_rect", "cylindrical_hexa", "cylindrical_rect"])
def test_wrapped_border_segments_against_tiled_cell_polygons(kind):
    # independent construction on wrapped maps: cell i shares an edge with a periodic copy of
    # cell j (shifted by whole periods); that edge is drawn at cell i's side of the picture
    from somwidget.widgets.pictures.lattice import cell_vertices

    lat = Lattice(6, 5, kind)
    labels = np.random.default_rng(4).integers(0, 3, lat.n_neurons)
    xy = plane_coordinates(6, 5, lat.shape)
    verts = cell_vertices(lat.shape)
    px, py = lat.period
    shifts = [(a * (px or 0), b * (py or 0)) for a in ((-1, 0, 1) if px else (0,))
              for b in ((-1, 0, 1) if py else (0,))]
    expected = set()
    for i in range(lat.n_neurons):
        vi = {tuple(np.round(xy[i] + v, 9) + 0.0) for v in verts}
        for j in range(lat.n_neurons):
            if labels[i] == labels[j]:
                continue
            for sx, sy in shifts:
                vj = {tuple(np.round(xy[j] + (sx, sy) + v, 9) + 0.0) for v in verts}
                common = vi & vj
                if len(common) == 2:
                    expected.add(tuple(sorted(common)))
    got = border_segments(lat, labels)
    assert seg_set(got) == expected
    assert len(got) == len(expected)  # no segment twice


@pytest.mark.parametrize("method", ["kmeans", "ward"])
@pytest.mark.parametrize("bad", [-1, 1.5, "0", True])
def test_cluster_random_state_is_checked_by_name(iris_som, method, bad):
    # the same rule as SOM(random_state=...): None, an int >= 0 or a Generator; not sklearn's
    # own message from inside KMeans (and not silently ignored by the agglomerative methods)
    with pytest.raises(ValueError, match="random_state must be None, a non-negative int or a numpy.random.Generator"):
        iris_som.cluster(n_clusters=3, method=method, random_state=bad)


def test_cluster_random_state_generator_is_reproducible(iris_som):
    a = iris_som.cluster(n_clusters=4, method="kmeans", random_state=np.random.default_rng(3))
    b = iris_som.cluster(n_clusters=4, method="kmeans", random_state=np.random.default_rng(3))
    assert np.array_equal(a.labels_, b.labels_)
