"""Clustering a trained map: groups of neurons, the number of groups, and their borders.

A SOM is usually read as a picture of clusters, but a map of M neurons is not yet a partition.
This module turns the codebook into one cluster id per neuron (the SOM Toolbox's
``kmeans_clusters`` and the hierarchical clustering of the codebook that SOMPY and MiniSom users
ask for), chooses the number of clusters, and computes the border segments between neurons of
different clusters for the views.

Methods
-------
``"ward"`` (default), ``"average"``, ``"complete"``, ``"single"``
    Agglomerative clustering of the codebook vectors with the lattice as connectivity
    (:meth:`somwidget.lattice.Lattice.adjacency_sparse`, wrap-around included): only
    neighbouring groups of neurons are merged, so every cluster is one connected region of the
    map. Ward merges the pair of neighbouring groups whose union increases the within-cluster
    sum of squares least. One merge tree serves every ``k``.
``"kmeans"``
    k-means on the codebook vectors (``n_init`` restarts, seeded by ``random_state``). Clusters
    need not be contiguous on the lattice: a cluster may sit in two places on the map.

Choosing k
----------
``n_clusters=None`` tries every ``k`` from 2 to ``max_clusters`` (default
``min(round(sqrt(M)), 20)``, as the SOM Toolbox's ``kmeans_clusters`` whose default maximum is
``sqrt(M)``) and keeps the ``k`` with the lowest Davies–Bouldin index (Davies & Bouldin 1979;
:func:`davies_bouldin`: the mean over clusters of the largest ratio
``(s_i + s_j) / d(c_i, c_j)``, with ``s_i`` the mean distance of the cluster's codebook vectors
to its centroid ``c_i``). Lower is better: compact clusters far apart. The index of every ``k``
tried is kept in :attr:`MapClustering.scores_`.

All distances are Euclidean in the training space (the codebook after the SOM's normalisation),
where the map was trained. The codebook is divided by a power of two near its largest magnitude
before it is clustered (exact, and every method's partition and the Davies–Bouldin index are
invariant to a uniform scaling), so a codebook near 1e-300 or 1e300 clusters as it does near 1.

A partition into more clusters than the codebook has distinct vectors is arbitrary (a map
trained on constant data has one): ``n_clusters`` above that number is an error, and so is
choosing ``k`` on a codebook of fewer than 3 distinct vectors; the search stops at that number.

Cluster ids are ``0 .. k-1``, numbered in the order of each cluster's first neuron (cluster 0
holds neuron 0), so a partition has one spelling whatever the method.

This is a compute module: numpy, scipy and (imported when a clustering runs) scikit-learn.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse

from ._cluster_checks import (
    check_cluster_ids,
    check_clustering,
    check_n_clusters,
    default_max_clusters,
    scaled_codebook,
    search_range,
)
from .euclidean import pow2_scale
from .lattice import HEX_CELL_RADIUS, Lattice, check_lattice
from .validation import RANDOM_STATE, check_array, check_choice, check_int, check_param

__all__ = [
    "CLUSTER_METHODS",
    "LINKAGES",
    "MapClustering",
    "border_segments",
    "check_cluster_ids",
    "check_clustering",
    "cluster_adjacency",
    "cluster_codebook",
    "davies_bouldin",
    "default_max_clusters",
    "relabel_in_order",
]

#: The agglomerative linkages (all constrained to the lattice).
LINKAGES: tuple[str, ...] = ("ward", "average", "complete", "single")
#: Every clustering method of :func:`cluster_codebook`.
CLUSTER_METHODS: tuple[str, ...] = (*LINKAGES, "kmeans")
_ALIASES = {"k-means": "kmeans", "k_means": "kmeans", "hierarchical": "ward", "agglomerative": "ward"}


def relabel_in_order(labels: Any) -> np.ndarray:
    """Renumber cluster ids ``0 .. k-1`` in the order of their first occurrence.

    Parameters
    ----------
    labels : array-like
        Any hashable ids (numbers, strings, a mix), flattened; None and NaN are refused.

    Returns
    -------
    ndarray of int64, same number of entries as ``labels``
    """
    lab = np.asarray(labels)
    if lab.ndim != 1:
        lab = lab.ravel()
    codes, _ = pd.factorize(lab, sort=False, use_na_sentinel=True)  # first-occurrence order
    missing = int(np.count_nonzero(codes < 0))
    if missing:
        raise ValueError(f"labels holds {missing} missing value(s) (None or NaN); every entry "
                         "needs a cluster id")
    return codes.astype(np.int64)


def davies_bouldin(X: Any, labels: Any) -> float:
    """Davies–Bouldin index of a partition of the rows of ``X`` (Euclidean; lower is better).

    ``DB = mean_i max_{j != i} (s_i + s_j) / ||c_i - c_j||`` with ``c_i`` the centroid of cluster
    ``i`` and ``s_i`` the mean distance of its rows to ``c_i`` (scikit-learn's
    ``davies_bouldin_score``; the SOM Toolbox's ``db_index`` with its defaults). Two clusters
    with the same centroid give ``inf``.

    The index is invariant to a uniform scaling of ``X``; it is computed on ``X`` divided by a
    power of two near its largest magnitude (exact), so it is finite at any finite magnitude.

    Parameters
    ----------
    X : array-like (N, D)
        Finite numbers (NaN and infinite values are refused).
    labels : array-like (N,)
        Any ids (:func:`relabel_in_order`): at least 2 and at most N - 1 distinct ones.

    Returns
    -------
    float
    """
    x, _ = check_array("X", X)
    raw = np.asarray(labels)
    if raw.ndim != 1:
        raise ValueError(f"labels must be 1-D (one id per row of X); got shape {raw.shape}")
    lab = relabel_in_order(raw)
    if lab.shape[0] != x.shape[0]:
        raise ValueError(f"labels must have one entry per row of X ({x.shape[0]}); got {lab.shape[0]}")
    k = int(lab.max()) + 1 if lab.size else 0
    if not 2 <= k <= x.shape[0] - 1:
        raise ValueError(f"the Davies-Bouldin index needs 2 to N-1 = {x.shape[0] - 1} clusters; got {k}")
    return _davies_bouldin(x / pow2_scale(float(np.abs(x).max())), lab, k)


def _davies_bouldin(x: np.ndarray, lab: np.ndarray, k: int) -> float:
    """:func:`davies_bouldin` of checked input: ``x`` (N, D) at most 1 in magnitude, ``lab`` ids
    ``0 .. k-1``."""
    counts = np.bincount(lab, minlength=k).astype(np.float64)
    centroids = np.zeros((k, x.shape[1]))
    np.add.at(centroids, lab, x)
    centroids /= counts[:, None]
    spread = np.bincount(lab, weights=np.linalg.norm(x - centroids[lab], axis=1), minlength=k) / counts
    sep = np.sqrt(np.maximum(((centroids[:, None, :] - centroids[None, :, :]) ** 2).sum(-1), 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = (spread[:, None] + spread[None, :]) / sep
    np.fill_diagonal(ratio, -np.inf)
    ratio = np.where(np.isnan(ratio), 0.0, ratio)  # two identical, zero-spread clusters
    return float(np.mean(ratio.max(axis=1)))


def _cut_tree(children: np.ndarray, n_leaves: int, ks: list[int]) -> dict[int, np.ndarray]:
    """Partitions into each ``k`` of ``ks`` clusters from a merge tree (scipy/sklearn layout:
    merge ``t`` joins nodes ``children[t]`` into node ``n_leaves + t``)."""
    parent = np.arange(n_leaves)

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    node_leaf = np.arange(n_leaves + len(children))  # a representative leaf of every node
    wanted = sorted(set(ks), reverse=True)
    out: dict[int, np.ndarray] = {}
    merges = 0
    for k in wanted:
        while n_leaves - merges > k:
            a, b = (int(v) for v in children[merges])
            ra, rb = find(int(node_leaf[a])), find(int(node_leaf[b]))
            parent[rb] = ra
            node_leaf[n_leaves + merges] = ra
            merges += 1
        roots = np.array([find(i) for i in range(n_leaves)])
        out[k] = relabel_in_order(roots)
    return out


@dataclass(frozen=True, eq=False)
class MapClustering:
    """One cluster id per neuron, with the number of clusters chosen and how.

    Returned by :meth:`somwidget.SOM.cluster` and :func:`cluster_codebook`. ``np.asarray(c)``
    and ``c[k]`` give the ids, so the object can be passed wherever a per-neuron array is
    expected (a view's ``categories=`` or ``clusters=``).

    Attributes
    ----------
    labels_ : ndarray of int64, shape (M,)
        Cluster id of every neuron, ``0 .. n_clusters_ - 1`` in the order of their first neuron.
    n_clusters_ : int
        Number of clusters.
    method : str
        ``"ward"``, ``"average"``, ``"complete"``, ``"single"`` or ``"kmeans"``.
    scores_ : pandas.Series or None
        Davies–Bouldin index of every ``k`` tried (index ``k``, lower is better) when the number
        of clusters was chosen (``n_clusters=None``); None when it was given.
    centroids_ : ndarray (n_clusters_, D)
        Mean codebook vector of each cluster, training space.
    lattice : Lattice
        The map the ids belong to.
    """

    labels_: np.ndarray
    n_clusters_: int
    method: str
    scores_: pd.Series | None
    centroids_: np.ndarray
    lattice: Lattice
    _partitions: dict[int, np.ndarray] = field(default_factory=dict, repr=False)

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return self.labels_ if dtype is None else self.labels_.astype(dtype)

    def __len__(self) -> int:
        return int(self.labels_.shape[0])

    def __getitem__(self, key: Any) -> Any:
        return self.labels_[key]

    def __repr__(self) -> str:
        chosen = "" if self.scores_ is None else f", chosen by Davies-Bouldin from k={list(self.scores_.index)}"
        return (f"MapClustering({self.n_clusters_} clusters of {len(self)} neurons, "
                f"method={self.method!r}{chosen})")

    @property
    def sizes_(self) -> np.ndarray:
        """Number of neurons in each cluster, shape (n_clusters_,)."""
        return np.bincount(self.labels_, minlength=self.n_clusters_)

    def neurons(self, cluster: int) -> np.ndarray:
        """The neurons of cluster ``cluster`` (sorted)."""
        c = check_int("cluster", cluster, minimum=0)
        if c >= self.n_clusters_:
            raise ValueError(f"cluster must be in 0..{self.n_clusters_ - 1}; got {c}")
        return np.flatnonzero(self.labels_ == c)

    def of_units(self, bmus: Any) -> np.ndarray:
        """Cluster id of each unit index in ``bmus`` (e.g. each sample's BMU), int64."""
        b = np.asarray(bmus)
        if b.ndim == 2:
            b = b[:, 0]
        if b.size and (b.dtype.kind not in "iu" or b.min() < 0 or b.max() >= len(self)):
            raise ValueError(f"bmus must be neuron indices in 0..{len(self) - 1}")
        return self.labels_[b.astype(np.int64)]

    def partition(self, k: int) -> np.ndarray:
        """The ids for ``k`` clusters among those computed (every k tried when k was chosen)."""
        k = check_int("k", k, minimum=1)
        if k not in self._partitions:
            raise ValueError(f"k must be one of the partitions computed: {sorted(self._partitions)}; got {k}")
        return self._partitions[k].copy()

    def borders(self) -> np.ndarray:
        """The border segments between clusters (:func:`border_segments`), shape (S, 4)."""
        return border_segments(self.lattice, self.labels_)

    def adjacency(self) -> np.ndarray:
        """Which clusters touch on the lattice (:func:`cluster_adjacency`), (k, k) bool."""
        return cluster_adjacency(self.lattice, self.labels_)


def _partitions(codebook: np.ndarray, lattice: Lattice, method: str, ks: list[int],
                random_state: Any, n_init: int) -> dict[int, np.ndarray]:
    m = codebook.shape[0]
    if method == "kmeans":
        from sklearn.cluster import KMeans

        seed = random_state if not isinstance(random_state, np.random.Generator) else int(
            random_state.integers(2**31 - 1))
        from sklearn.exceptions import ConvergenceWarning

        out = {}
        for k in ks:
            with warnings.catch_warnings():
                # fewer clusters found than asked: cluster_codebook says so by name
                warnings.simplefilter("ignore", ConvergenceWarning)
                fit = KMeans(n_clusters=k, n_init=n_init, random_state=seed).fit(codebook)
            out[k] = relabel_in_order(fit.labels_)
        return out
    from sklearn.cluster import AgglomerativeClustering

    connectivity = sparse.csr_matrix(lattice.adjacency_sparse().astype(np.float64))
    # the full merge tree once (distance_threshold=0 with n_clusters=None), cut at every k: the
    # first M - k merges do not depend on k, so each cut is the partition
    # AgglomerativeClustering(n_clusters=k) gives
    model = AgglomerativeClustering(n_clusters=None, linkage=method, connectivity=connectivity,
                                    compute_full_tree=True, distance_threshold=0.0)
    model.fit(codebook)
    return _cut_tree(np.asarray(model.children_), m, ks)


def cluster_codebook(
    codebook: Any,
    lattice: Lattice,
    n_clusters: int | None = None,
    method: str = "ward",
    *,
    max_clusters: int | None = None,
    random_state: Any = 0,
    n_init: int = 10,
) -> MapClustering:
    """Cluster the neurons of a map from their codebook vectors.

    Parameters
    ----------
    codebook : array-like (M, D)
        The codebook (training space: ``som.codebook_``); finite numbers, at least one feature.
    lattice : Lattice
        The map's lattice (connectivity of the agglomerative methods, wrap-around included).
    n_clusters : int or None
        Number of clusters (2 .. M - 1; 1 gives one cluster), at most the number of distinct
        codebook vectors, or None to choose it by the Davies–Bouldin index among
        ``2 .. min(max_clusters, number of distinct codebook vectors)`` (at least 3 needed).
    method : {"ward", "average", "complete", "single", "kmeans"}
        See the module docstring. The agglomerative ones give contiguous clusters.
    max_clusters : int, optional
        Largest k tried when ``n_clusters`` is None (default :func:`default_max_clusters`).
    random_state : int, Generator or None
        Seed of k-means (ignored by the agglomerative methods, which are deterministic).
    n_init : int
        k-means restarts per k (the best of them by inertia is kept). Choosing k with k-means
        runs ``(max_clusters - 1) * n_init`` k-means fits (a 100 x 100 map: about 10 s); Ward
        builds one merge tree for every k (about 1 s).

    Returns
    -------
    MapClustering
    """
    check_lattice(lattice)
    m = lattice.n_neurons
    cb, scale, cbs, distinct = scaled_codebook(codebook, m)
    method = check_choice("method", method, CLUSTER_METHODS, _ALIASES)
    n_init = check_int("n_init", n_init, minimum=1)
    random_state = check_param("random_state", random_state, RANDOM_STATE)
    if n_clusters is not None:
        k = check_n_clusters(n_clusters, max_clusters, m, distinct)
        if k == 1:
            labels = np.zeros(m, dtype=np.int64)
            parts = {1: labels}
        else:
            parts = _partitions(cbs, lattice, method, [k], random_state, n_init)
            labels = parts[k]
            if int(labels.max()) + 1 != k:
                raise ValueError(f"{method} found {int(labels.max()) + 1} clusters, not "
                                 f"n_clusters={k}; try another random_state or method")
        scores = None
    else:
        ks = search_range(max_clusters, m, distinct)
        parts = _partitions(cbs, lattice, method, ks, random_state, n_init)
        db = {}
        for k in ks:
            found = int(parts[k].max()) + 1
            db[k] = _davies_bouldin(cbs, parts[k], k) if found == k else np.inf
        scores = pd.Series(db, name="davies_bouldin", dtype=np.float64)
        scores.index.name = "n_clusters"
        if not np.isfinite(scores.to_numpy()).any():
            raise ValueError(f"no k in 2..{ks[-1]} gives a finite Davies-Bouldin index (clusters "
                             "with equal centroids); give n_clusters")
        best = int(scores.idxmin())  # first (smallest) k among ties
        labels = parts[best]
    k_found = int(labels.max()) + 1
    centroids = np.zeros((k_found, cb.shape[1]))
    np.add.at(centroids, labels, cbs)
    centroids /= np.bincount(labels, minlength=k_found)[:, None]
    centroids *= scale
    labels.flags.writeable = False
    return MapClustering(labels_=labels, n_clusters_=k_found, method=method, scores_=scores,
                         centroids_=centroids, lattice=lattice, _partitions=parts)


def _check_labels(lattice: Lattice, labels: Any) -> np.ndarray:
    lab = np.asarray(labels)
    m = lattice.n_neurons
    if lab.shape != (m,):
        raise ValueError(f"labels must have one entry per neuron ({m}); got shape {lab.shape}")
    return lab


def _edge_images(lattice: Lattice, pairs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each pair (i, j) and each image of j at distance 1 from i (the cells share an edge):
    (pair index, displacement d from i to that image (., 2), wrapped: whether the image is not
    j itself)."""
    xy = lattice.coordinates
    delta = xy[pairs[:, 1]] - xy[pairs[:, 0]]
    px, py = lattice.period
    shifts_x = (-1, 0, 1) if lattice.wrap_cols else (0,)
    shifts_y = (-1, 0, 1) if lattice.wrap_rows else (0,)
    idx, disp, wrapped = [], [], []
    for sx in shifts_x:
        for sy in shifts_y:
            d = delta + np.array([sx * (px or 0.0), sy * (py or 0.0)])
            ok = np.abs(np.hypot(d[:, 0], d[:, 1]) - 1.0) < 1e-6  # shared edge (not a corner)
            idx.append(np.flatnonzero(ok))
            disp.append(d[ok])
            wrapped.append(np.full(int(ok.sum()), sx != 0 or sy != 0))
    return np.concatenate(idx), np.concatenate(disp), np.concatenate(wrapped)


def border_segments(lattice: Lattice, labels: Any) -> np.ndarray:
    """The cell edges between neighbouring neurons of different labels, as line segments.

    Each segment is the edge two cells share: centred half-way between the two neurons and
    perpendicular to the line joining them, as long as a cell side (hexagon ``1/sqrt(3)``, square
    1), in plane coordinates (docs/internals.md: ``x = col (+ 0.5 on odd hex rows)``, ``y`` down).
    Across a wrapped edge of a toroidal or cylindrical map the two cells sit at opposite sides of
    the picture, so that pair gives two segments, one on each side. Diagonal neighbours of a
    rectangular map with ``rect_adjacency=8`` share only a corner and give none.

    Parameters
    ----------
    lattice : Lattice
    labels : array-like (M,)
        Any per-neuron category (cluster ids, majority classes); NaN counts as a category of its own.

    Returns
    -------
    ndarray of float64, shape (S, 4)
        ``[x0, y0, x1, y1]`` per segment, sorted.
    """
    lab = _check_labels(lattice, labels)
    codes = pd.factorize(pd.Series(lab), use_na_sentinel=False)[0]
    pairs = lattice.neighbor_pairs()
    pairs = pairs[codes[pairs[:, 0]] != codes[pairs[:, 1]]]
    if pairs.shape[0] == 0:
        return np.zeros((0, 4))
    half = 0.5 * (HEX_CELL_RADIUS if lattice.shape == "hexa" else 1.0)
    idx, d, wrapped = _edge_images(lattice, pairs)
    xy = lattice.coordinates
    normal = np.column_stack([-d[:, 1], d[:, 0]]) * half
    mid_i = xy[pairs[idx, 0]] + 0.5 * d
    segs = [np.hstack([mid_i - normal, mid_i + normal])]
    if wrapped.any():  # the same edge seen from j, at the other side of the picture
        mid_j = xy[pairs[idx[wrapped], 1]] - 0.5 * d[wrapped]
        segs.append(np.hstack([mid_j - normal[wrapped], mid_j + normal[wrapped]]))
    out = np.vstack(segs)
    # one orientation per segment (left end first), then a stable order
    flip = (out[:, 2] < out[:, 0]) | ((out[:, 2] == out[:, 0]) & (out[:, 3] < out[:, 1]))
    out[flip] = out[flip][:, [2, 3, 0, 1]]
    out = np.round(out, 12) + 0.0
    return out[np.lexsort(out.T[::-1])]


def cluster_adjacency(lattice: Lattice, labels: Any) -> np.ndarray:
    """(k, k) bool: whether clusters ``a`` and ``b`` have neighbouring neurons on the lattice.

    Parameters
    ----------
    lattice : Lattice
    labels : array-like (M,) of int
        Cluster ids ``0 .. k-1`` (:func:`check_cluster_ids`; the largest id gives ``k``).

    Returns
    -------
    ndarray of bool, shape (k, k)
        Symmetric; the diagonal is False.
    """
    check_lattice(lattice)
    lab = check_cluster_ids("labels", labels, lattice.n_neurons)
    k = int(lab.max()) + 1 if lab.size else 0
    pairs = lattice.neighbor_pairs()
    a, b = lab[pairs[:, 0]], lab[pairs[:, 1]]
    adj = np.zeros((k, k), dtype=bool)
    adj[a, b] = True
    adj[b, a] = True
    np.fill_diagonal(adj, False)
    return adj
