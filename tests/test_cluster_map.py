"""ClusterMap and the category / border support of every lattice view (data sent, SVG picture)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("anywidget")

from somwidget import SOM  # noqa: E402
from somwidget.clustering import border_segments  # noqa: E402
from somwidget.datasets import load_iris  # noqa: E402
from somwidget.lattice import Lattice  # noqa: E402
from somwidget.widgets import ClusterMap, Explorer, HitMap, LatticeView, QualityMap, UMatrix  # noqa: E402
from somwidget.widgets.colormaps import CATEGORICAL  # noqa: E402
from somwidget.widgets.palettes import OKABE_ITO, cluster_colors, greedy_coloring  # noqa: E402
from somwidget.widgets.selection import STATIC_DIR  # noqa: E402

if not (STATIC_DIR / "lattice.js").is_file():  # pragma: no cover - ./dev.sh builds first
    pytest.skip("front end not built (npm run build)", allow_module_level=True)

# Okabe & Ito (2008), "Color Universal Design", without black
PUBLISHED_OKABE_ITO = ["#e69f00", "#56b4e9", "#009e73", "#f0e442", "#0072b2", "#d55e00", "#cc79a7"]


@pytest.fixture(scope="module")
def iris():
    frame = load_iris()
    return frame.drop(columns="label"), frame["label"]


@pytest.fixture(scope="module")
def som(iris):
    return SOM((8, 7), lattice="toroidal_hexa", random_state=2).fit(iris[0], epochs=8)


def neighbour_cluster_pairs(lattice: Lattice, ids: np.ndarray) -> set[tuple[int, int]]:
    """Pairs of different clusters with adjacent neurons, by brute force over the grid distances."""
    d = lattice.grid_distances()
    out = set()
    for i in range(lattice.n_neurons):
        for j in range(lattice.n_neurons):
            if i != j and abs(d[i, j] - 1.0) < 1e-9 and ids[i] != ids[j]:
                out.add((int(ids[i]), int(ids[j])))
    return out


# --------------------------------------------------------------------------- what is sent
def test_cluster_map_sends_the_clusters_their_borders_and_colours(som, iris):
    view = ClusterMap(som, iris[0], n_clusters=5)
    expected = som.cluster(5).labels_
    np.testing.assert_array_equal(view.categories, expected.astype(np.float32))
    np.testing.assert_array_equal(view.cluster_ids, expected)
    np.testing.assert_array_equal(view.borders, border_segments(som.lattice_, expected).astype(np.float32))
    assert view.borders.shape[1] == 4 and len(view.borders) > 0
    assert view.category_colors == PUBLISHED_OKABE_ITO[:5]
    assert view.select_by == "category" and view.legend == "categories"
    assert view.category_none == ""  # every neuron has a cluster: no grey legend entry
    sizes = np.bincount(expected)
    assert view.category_names == [f"cluster {i} ({sizes[i]} neurons)" for i in range(5)]
    assert "5 clusters" in view.title and "Ward" in view.title
    # tooltips: cluster, neurons in the cluster, samples in the cluster, hits
    names = [f["name"] for f in view.tooltip_fields]
    assert names == ["cluster", "neurons in the cluster", "samples in the cluster", "hits"]
    bmus = som.predict(iris[0])
    per_cluster = np.bincount(expected[bmus], minlength=5)
    # a field that is the frame's values travels once (source "values"); the others have rows
    rows = {f["name"]: view.tooltip_values[i] for i, f in
            enumerate(f for f in view.tooltip_fields if f.get("source") not in ("values", "categories"))}
    np.testing.assert_array_equal(rows["samples in the cluster"], per_cluster[expected])
    np.testing.assert_array_equal(rows["hits"], np.bincount(bmus, minlength=56))


def test_chosen_k_is_said_in_the_title(som):
    view = ClusterMap(som)
    assert view.clustering.scores_ is not None
    assert f"{view.clustering.n_clusters_} clusters" in view.title
    assert "Davies" in view.title


def test_more_clusters_than_colours_never_share_a_colour_across_a_border(som):
    view = ClusterMap(som, n_clusters=12, method="ward")
    ids = view.cluster_ids
    colours = view.category_colors
    assert len(colours) == 12 and set(colours) <= set(OKABE_ITO)
    for a, b in neighbour_cluster_pairs(som.lattice_, ids):
        assert colours[a] != colours[b], (a, b)


def test_greedy_coloring_and_fallback():
    rng = np.random.default_rng(0)
    adj = rng.random((30, 30)) < 0.2
    adj = adj | adj.T
    np.fill_diagonal(adj, False)
    col = greedy_coloring(adj)
    i, j = np.nonzero(adj)
    assert np.all(col[i] != col[j])
    complete = ~np.eye(9, dtype=bool)  # 9 mutually touching clusters need 9 colours
    colours = cluster_colors(complete)
    assert len(set(colours)) == 9 and set(colours) <= set(CATEGORICAL)
    assert cluster_colors(np.zeros((3, 3), bool), ["#000000", "#111111", "#222222"]) == [
        "#000000", "#111111", "#222222"]
    with pytest.raises(ValueError, match="palette must be"):
        cluster_colors(complete, ["red"])
    assert OKABE_ITO == tuple(PUBLISHED_OKABE_ITO)


def test_given_clusters_and_kmeans(som):
    fixed = np.arange(56) % 2  # a checkerboard-ish partition, not contiguous
    view = ClusterMap(som, clusters=fixed)
    assert view.clustering is None
    np.testing.assert_array_equal(view.categories, fixed)
    np.testing.assert_array_equal(view.borders, border_segments(som.lattice_, fixed).astype(np.float32))
    km = ClusterMap(som, n_clusters=3, method="kmeans")
    assert km.clustering.method == "kmeans" and "k-means" in km.title
    with pytest.raises(ValueError, match="method"):
        ClusterMap(som, method="dbscan")
    # recluster: another k, another method, given ids; the selection is cleared
    km.select_cluster(0)
    frame = km.frame
    again = km.recluster(6, "ward")
    assert again.n_clusters_ == 6 and km.frame == frame + 1 and km.selection.neurons == []
    np.testing.assert_array_equal(km.categories, som.cluster(6).labels_)
    km.recluster(clusters=fixed)
    np.testing.assert_array_equal(km.cluster_ids, fixed)
    assert km.recluster().scores_ is not None
    with pytest.raises(ValueError, match="one per neuron"):
        ClusterMap(som, clusters=[0, 1, 2])


# --------------------------------------------------------------------------- selection
def test_select_cluster_and_selected_samples(som, iris):
    X = iris[0]
    view = ClusterMap(som, X, n_clusters=4)
    ids = view.cluster_ids
    got = view.select_cluster(2)
    assert got == np.flatnonzero(ids == 2).tolist()
    assert view.selected_clusters == [2]
    view.select_cluster(0, add=True)
    assert view.selected_clusters == [0, 2]
    table = view.selected_samples()
    bmus = som.predict(X)
    mask = np.isin(ids[bmus], [0, 2])
    assert list(table.index) == list(np.flatnonzero(mask))
    np.testing.assert_array_equal(table["cluster"], ids[bmus][mask])
    with pytest.raises(ValueError, match="cluster must be an id in 0..3"):
        view.select_cluster(4)


def test_explorer_with_clusters(som, iris):
    X, y = iris
    clusters = som.cluster(3)
    ex = Explorer(som, X, y, clusters=clusters)
    assert ex.cluster_map is not None
    expected = border_segments(som.lattice_, clusters.labels_).astype(np.float32)
    np.testing.assert_array_equal(ex.hit_map.borders, expected)
    np.testing.assert_array_equal(ex.umatrix.borders, expected)
    ex.cluster_map.select_cluster(1)
    table = ex.selected_samples()
    bmus = som.predict(X)
    mask = clusters.labels_[bmus] == 1
    assert len(table) == mask.sum() and set(table["cluster"]) == {1}
    assert "label" in table.columns
    ex.refresh()
    np.testing.assert_array_equal(ex.cluster_map.cluster_ids, clusters.labels_)
    ex.close()
    assert ex.cluster_map.closed


# --------------------------------------------------------------------------- other views
def test_borders_over_the_umatrix_hit_and_quality_maps(som, iris):
    X = iris[0]
    c = som.cluster(4)
    expected = border_segments(som.lattice_, c.labels_).astype(np.float32)
    for view in (UMatrix(som, clusters=c), HitMap(som, X, clusters=c.labels_),
                 QualityMap(som, X, clusters=c)):
        np.testing.assert_array_equal(view.borders, expected)
        assert view.select_by == "neuron"
        svg = view.to_svg()
        assert f'data-segments="{len(expected)}"' in svg
    assert UMatrix(som).borders.shape == (0, 4)
    assert 'class="border"' not in UMatrix(som).to_svg()
    with pytest.raises(ValueError, match="one per neuron"):
        UMatrix(som, clusters=np.zeros(5, int))


def test_any_category_per_neuron_with_the_palette(som):
    m = som.n_neurons_
    words = np.where(np.arange(m) < 20, "left", np.where(np.arange(m) < 40, "middle", None))
    view = LatticeView(som, categories=words, borders=True)
    assert view.category_names == ["left", "middle"]  # sorted; None is no category
    codes = np.where(np.arange(m) < 20, 0, np.where(np.arange(m) < 40, 1, -1))
    np.testing.assert_array_equal(view.categories, codes)
    assert view.category_colors == PUBLISHED_OKABE_ITO[:2]
    assert view.category_none == "no category"
    np.testing.assert_array_equal(view.borders, border_segments(som.lattice_, codes).astype(np.float32))
    svg = view.to_svg()
    for name in ("left", "middle", "no category"):
        assert f">{name}</text>" in svg
    ids = LatticeView(som, categories=np.arange(m) % 3, category_names=["a", "b", "c"], palette="tableau")
    assert ids.category_names == ["a", "b", "c"] and ids.category_colors == list(CATEGORICAL[:3])
    assert ids.borders.shape == (0, 4)  # borders only when asked
    many = LatticeView(som, categories=np.arange(m) % 9)
    assert many.category_colors == list(CATEGORICAL[:9])  # more than 7: Tableau's 20
    series = LatticeView(som, categories=pd.Series(som.cluster(3).labels_), category_names=["x", "y", "z"])
    assert series.category_names == ["x", "y", "z"]
    with pytest.raises(ValueError, match="integer ids in 0..1"):
        LatticeView(som, categories=np.arange(m) % 3, category_names=["a", "b"])
    with pytest.raises(ValueError, match="one entry per neuron|length"):
        LatticeView(som, categories=["a", "b"])
    with pytest.raises(ValueError, match="palette must be"):
        LatticeView(som, categories=words, palette=["not a colour"])
    with pytest.raises(ValueError, match="category_names needs categories"):
        LatticeView(som, category_names=["a"])


# --------------------------------------------------------------------------- static picture
def test_cluster_map_svg_draws_the_borders_where_the_cells_meet(som):
    view = ClusterMap(som, n_clusters=4)
    pic = view.to_picture()
    svg = pic.svg
    geo = pic.planes[0]
    path = re.search(r'<path class="border" data-segments="(\d+)" d="([^"]+)"', svg)
    assert path is not None
    n = int(path.group(1))
    expected = border_segments(som.lattice_, view.cluster_ids)
    assert n == len(expected)
    nums = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", path.group(2))]
    drawn = np.array(nums).reshape(-1, 4)
    # the path lies in the plane group (translate(ox, oy)): plane coordinates times the scale
    np.testing.assert_allclose(drawn, expected * geo.scale, atol=0.02)
    assert svg.count('class="border-halo"') == 1
    # cells are filled with the cluster colours, the legend lists every cluster (no "no samples")
    fills = re.findall(r'<polygon class="cell" data-k="(\d+)" points="[^"]+" fill="(#[0-9a-f]{6})"', svg)
    colours = view.category_colors
    assert all(colours[view.cluster_ids[int(k)]] == f for k, f in fills) and len(fills) == 56
    assert "no samples" not in svg
    assert "cluster 0 (" in svg


def test_live_refresh_reclusters(iris):
    X = iris[0]
    s = SOM((5, 6), random_state=0).initialize(X)
    view = ClusterMap(s, X, n_clusters=3)
    frame = view.frame
    s.fit(X, epochs=5, callbacks=[view])
    assert view.frame > frame
    np.testing.assert_array_equal(view.cluster_ids, s.cluster(3).labels_)
    np.testing.assert_array_equal(view.borders, border_segments(s.lattice_, s.cluster(3).labels_)
                                  .astype(np.float32))
