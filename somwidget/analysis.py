"""Pure analysis functions on arrays: hits, U-matrices, quality, errors.

Every function takes plain arrays (codebook, BMU indices, BMU distances, labels) plus a
:class:`~somwidget.lattice.Lattice` where geometry matters, and returns new arrays or DataFrames.
The :class:`~somwidget.som.SOM` methods delegate to these; views call the SOM methods.

Conventions
-----------
* ``bmus`` and ``distances`` may be 1-D ``(N,)`` or the 2-D ``(N, k)`` output of
  :func:`somwidget.bmu.find_bmus`; for 2-D input the first column (the best match) is used.
* Distances between codebook vectors use the *data* metric (default ``"euclidean"``; any metric
  of :data:`somwidget.bmu.METRICS` through :func:`scipy.spatial.distance.cdist`). Which units are
  neighbours comes from the lattice (grid geometry, wrap-around included).
* Neuron index ``k = row * cols + col``.

The label functions (``encode_labels``, ``label_counts``, ``label_proportions``,
``majority_labels``, ``code_counts``, ``classification_table``) live in :mod:`somwidget.labels`;
they stay importable from here.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy import sparse
from scipy.spatial.distance import cdist

from .bmu import check_metric, distance_matrix_masked, has_missing
from .labels import (
    classification_table,
    code_counts,
    encode_labels,
    label_counts,
    label_proportions,
    majority_labels,
)
from .lattice import Lattice
from .neighborhood import neighborhood_weights
from .validation import check_array, check_choice, check_int
from .validation import check_bmus as _bmus
from .validation import check_distances as _distances
from .validation import check_n_neurons as _n_neurons

__all__ = [
    "classification_table",
    "code_counts",
    "distortion",
    "encode_labels",
    "epoch_metrics",
    "hit_counts",
    "label_counts",
    "label_proportions",
    "majority_labels",
    "mean_absolute_quantization_error",
    "quality_map",
    "quantization_error",
    "topographic_error",
    "topographic_error_map",
    "umatrix",
    "umatrix_interstitial",
    "umatrix_interstitial_coordinates",
    "vacancy_rate",
]

_REDUCERS: dict[str, Callable[..., np.ndarray]] = {
    "mean": np.nanmean,
    "median": np.nanmedian,
    "sum": np.nansum,
    "min": np.nanmin,
    "max": np.nanmax,
}
# Elements of one cdist block (float64): 4 Mi entries = 32 MiB.
_BLOCK_ELEMENTS = 1 << 22


# ============================================================================ argument helpers
def _codebook(codebook: ArrayLike, lattice: Lattice) -> np.ndarray:
    if not isinstance(lattice, Lattice):
        raise TypeError(f"lattice must be a somwidget Lattice; got {type(lattice).__name__}")
    W, _ = check_array("codebook", codebook)
    if W.shape[0] != lattice.n_neurons:
        raise ValueError(
            f"codebook has {W.shape[0]} rows but the lattice has {lattice.n_neurons} neurons"
        )
    return W


def _edge_distances(W: np.ndarray, a: np.ndarray, b: np.ndarray, metric: str) -> np.ndarray:
    """Data-metric distance between codebook rows ``W[a[e]]`` and ``W[b[e]]`` for every edge e.

    Only the E edges are evaluated, never an M x M matrix. Euclidean: row-wise norms of the
    differences, in chunks of edges (``O(E * D)``). Other metrics: ``cdist`` between a block of
    source units and the *distinct* targets of their edges only (lattice edges are local, so a
    block of ``S`` sources has about ``3 S`` targets), keeping the entries of the edges. The
    values are exactly ``cdist``'s, as in the BMU search.
    """
    out = np.empty(a.shape[0])
    if a.size == 0:
        return out
    D = W.shape[1]
    if metric == "euclidean":
        step = max(1, _BLOCK_ELEMENTS // max(D, 1))
        for s in range(0, a.shape[0], step):
            diff = W[a[s : s + step]] - W[b[s : s + step]]
            out[s : s + step] = np.sqrt(np.einsum("ij,ij->i", diff, diff))
        return out
    order = np.argsort(a, kind="stable")
    a_sorted = a[order]
    starts = np.flatnonzero(np.r_[True, a_sorted[1:] != a_sorted[:-1]])
    bounds = np.r_[starts, a_sorted.shape[0]]
    n_src = starts.shape[0]
    # sources per block: bounded so that one cdist block stays near _BLOCK_ELEMENTS entries
    # even when the edges are not local (worst case: every target distinct)
    src_block = max(1, min(1024, _BLOCK_ELEMENTS // max(1, W.shape[0] // 8)))
    for s in range(0, n_src, src_block):
        lo, hi = bounds[s], bounds[min(n_src, s + src_block)]
        sel = order[lo:hi]
        srcs, src_pos = np.unique(a[sel], return_inverse=True)
        tgts, tgt_pos = np.unique(b[sel], return_inverse=True)
        sub = max(1, _BLOCK_ELEMENTS // tgts.shape[0])
        if sub >= srcs.shape[0]:
            out[sel] = cdist(W[srcs], W[tgts], metric=metric)[src_pos, tgt_pos]
            continue
        for t in range(0, srcs.shape[0], sub):
            part = (src_pos >= t) & (src_pos < t + sub)
            block = cdist(W[srcs[t : t + sub]], W[tgts], metric=metric)
            out[sel[part]] = block[src_pos[part] - t, tgt_pos[part]]
    return out


def _grouped_reduce(
    units: np.ndarray, values: np.ndarray, n_neurons: int, reduce: str
) -> np.ndarray:
    """Reduce ``values`` grouped by ``units`` into an (n_neurons,) array (NaN for no value)."""
    order = np.argsort(units, kind="stable")
    u = units[order]
    v = values[order]
    counts = np.bincount(u, minlength=n_neurons)
    width = int(counts.max()) if counts.size else 0
    table = np.full((n_neurons, max(width, 1)), np.nan)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    slot = np.arange(u.size) - starts[u]
    table[u, slot] = v
    out = np.full(n_neurons, np.nan)
    has = counts > 0
    out[has] = _REDUCERS[reduce](table[has], axis=1)
    return out


# ============================================================================ hits, quality
def hit_counts(bmus: ArrayLike, n_neurons: int) -> np.ndarray:
    """Number of samples whose BMU is each neuron.

    Parameters
    ----------
    bmus : array-like of int, shape (N,) or (N, k)
        BMU index of each sample.
    n_neurons : int
        Number of neurons M.

    Returns
    -------
    ndarray of int64, shape (M,)
    """
    m = _n_neurons(n_neurons)
    return np.bincount(_bmus("bmus", bmus, m), minlength=m).astype(np.int64)


def vacancy_rate(bmus: ArrayLike, n_neurons: int) -> float:
    """Fraction of neurons that are the BMU of no sample (somnium's vacancy rate)."""
    return float(np.mean(hit_counts(bmus, n_neurons) == 0))


def quality_map(
    bmus: ArrayLike, distances: ArrayLike, n_neurons: int, *, reduce: str = "mean"
) -> np.ndarray:
    """Per-neuron quantization quality: the BMU distances of the samples each neuron won.

    Parameters
    ----------
    bmus : array-like of int, shape (N,) or (N, k)
    distances : array-like of float, shape (N,) or (N, k)
        Distance of each sample to its BMU (data metric).
    n_neurons : int
    reduce : {"mean", "sum"}
        ``"mean"`` (default): mean BMU distance, NaN for a neuron without hits.
        ``"sum"``: total BMU distance (GEMA's ``distances_map``), 0 for a neuron without hits.

    Returns
    -------
    ndarray of float64, shape (M,)
    """
    m = _n_neurons(n_neurons)
    reduce = check_choice("reduce", reduce, ("mean", "sum"))
    b = _bmus("bmus", bmus, m)
    d = _distances("distances", distances, b.shape[0])
    sums = np.bincount(b, weights=d, minlength=m)
    if reduce == "sum":
        return sums
    hits = np.bincount(b, minlength=m)
    return np.divide(sums, hits, out=np.full(m, np.nan), where=hits > 0)


def quantization_error(distances: ArrayLike) -> float:
    """Mean distance of the samples to their BMU (SOM Toolbox / MiniSom / GEMA definition)."""
    d = _distances("distances", distances)
    if d.size == 0:
        raise ValueError("distances is empty; the quantization error needs at least one sample")
    return float(d.mean())


def mean_absolute_quantization_error(
    Xt: ArrayLike, codebook: ArrayLike, bmus: ArrayLike
) -> float:
    """somnium's quantization error: mean of ``|x - w_bmu|`` over samples *and* features.

    Computed in whatever space ``Xt`` and ``codebook`` share (somnium: the normalised training
    space). Missing values (NaN) in ``Xt`` are skipped. Not comparable with
    :func:`quantization_error`, which averages Euclidean norms.
    """
    X, _ = check_array("Xt", Xt, allow_nan=True)
    W, _ = check_array("codebook", codebook)
    if X.shape[1] != W.shape[1]:
        raise ValueError(f"Xt has {X.shape[1]} features but codebook has {W.shape[1]}")
    b = _bmus("bmus", bmus, W.shape[0])
    if b.shape[0] != X.shape[0]:
        raise ValueError(f"bmus has {b.shape[0]} entries but Xt has {X.shape[0]} samples")
    err = np.abs(X - W[b])
    if np.isnan(err).all():
        raise ValueError("Xt has no observed values")
    return float(np.nanmean(err))


def _adjacency_lookup(
    adjacency: Any,
) -> tuple[int, Callable[[np.ndarray, np.ndarray], np.ndarray]]:
    """``(M, adjacent)`` where ``adjacent(i, j)`` tests index arrays pairwise (vectorised).

    A Lattice is queried through its neighbour pairs (:meth:`Lattice.are_adjacent`, no M x M
    array); a scipy sparse matrix through its CSR rows; a dense boolean matrix is indexed.
    """
    if isinstance(adjacency, Lattice):
        return adjacency.n_neurons, adjacency.are_adjacent
    if sparse.issparse(adjacency):
        if adjacency.ndim != 2 or adjacency.shape[0] != adjacency.shape[1]:
            raise ValueError(
                f"adjacency must be a square (M, M) matrix; got shape {adjacency.shape}"
            )
        csr = sparse.csr_array(adjacency)
        csr.sum_duplicates()
        csr.sort_indices()
        csr.eliminate_zeros()
        m = csr.shape[0]
        keys = np.repeat(np.arange(m, dtype=np.int64), np.diff(csr.indptr)) * m + csr.indices

        def lookup(i: np.ndarray, j: np.ndarray) -> np.ndarray:
            q = i * m + j
            pos = np.minimum(np.searchsorted(keys, q), max(keys.shape[0] - 1, 0))
            return keys[pos] == q if keys.size else np.zeros(q.shape, dtype=bool)

        return m, lookup
    adj = np.asarray(adjacency)
    if adj.ndim != 2 or adj.shape[0] != adj.shape[1] or adj.dtype != bool:
        raise ValueError(
            "adjacency must be a Lattice, a scipy sparse (M, M) matrix or a square boolean "
            f"(M, M) matrix such as Lattice.adjacency(); got dtype {adj.dtype}, shape {adj.shape}"
        )
    return adj.shape[0], lambda i, j: adj[i, j]


def _te_errors(bmu1: ArrayLike, bmu2: ArrayLike, adjacency: Any) -> np.ndarray:
    m, adjacent = _adjacency_lookup(adjacency)
    b1 = _bmus("bmu1", bmu1, m)
    b2 = _bmus("bmu2", bmu2, m)
    if b1.shape != b2.shape:
        raise ValueError(f"bmu1 and bmu2 must have the same length; got {b1.size} and {b2.size}")
    if b1.size == 0:
        raise ValueError("bmu1 is empty; the topographic error needs at least one sample")
    same = b1 == b2
    if same.any():
        raise ValueError(
            f"bmu2 equals bmu1 for {int(same.sum())} sample(s); bmu2 must be the second-best unit"
        )
    return ~adjacent(b1, b2)


def topographic_error(bmu1: ArrayLike, bmu2: ArrayLike, adjacency: Any) -> float:
    """Fraction of samples whose first and second BMU are not adjacent on the lattice.

    Parameters
    ----------
    bmu1, bmu2 : array-like of int, shape (N,)
        Best and second-best matching unit of each sample.
    adjacency : Lattice, scipy sparse matrix or ndarray of bool, shape (M, M)
        The lattice (preferred: its neighbour pairs are used, wrap-around and ``rect_adjacency``
        respected, ``O(N log M)`` and no M x M array), a sparse adjacency such as
        :meth:`Lattice.adjacency_sparse`, or a dense boolean matrix.

    Returns
    -------
    float in [0, 1]
    """
    return float(np.mean(_te_errors(bmu1, bmu2, adjacency)))


def epoch_metrics(bmus: ArrayLike, distances: ArrayLike, lattice: Lattice) -> dict[str, float]:
    """Quantization error, topographic error and vacancy rate from one BMU search.

    The metrics every training record carries (``SOM.fit(..., collect_history=True)`` and the
    :class:`~somwidget.trainer.Trainer`), all from the same ``k = 2`` search.

    Parameters
    ----------
    bmus : array-like of int, shape (N, 2) or (N,)
        Best and second-best unit of each sample (:func:`somwidget.bmu.find_bmus` with
        ``k=2``); with one column the topographic error is 0.
    distances : array-like of float, shape (N, k) or (N,)
        Distances to those units (column 0: the BMU).
    lattice : Lattice

    Returns
    -------
    dict
        ``{"quantization_error", "topographic_error", "vacancy_rate"}`` as floats.
    """
    if not isinstance(lattice, Lattice):
        raise TypeError(f"lattice must be a somwidget Lattice; got {type(lattice).__name__}")
    idx = np.asarray(bmus)
    if idx.ndim not in (1, 2):
        raise ValueError(f"bmus must have shape (N,) or (N, k); got {idx.shape}")
    idx2 = idx.reshape(idx.shape[0], -1)
    bmu1 = idx2[:, 0]
    te = topographic_error(bmu1, idx2[:, 1], lattice) if idx2.shape[1] > 1 else 0.0
    return {
        "quantization_error": quantization_error(distances),
        "topographic_error": float(te),
        "vacancy_rate": vacancy_rate(bmu1, lattice.n_neurons),
    }


def topographic_error_map(bmu1: ArrayLike, bmu2: ArrayLike, adjacency: Any) -> np.ndarray:
    """Per-neuron topographic error: among the samples a neuron won, the fraction whose second
    BMU is not adjacent to it. NaN for neurons without hits. Shape (M,).

    ``adjacency`` as in :func:`topographic_error`."""
    errors = _te_errors(bmu1, bmu2, adjacency)
    m = _adjacency_lookup(adjacency)[0]
    b1 = _bmus("bmu1", bmu1, m)
    hits = np.bincount(b1, minlength=m)
    bad = np.bincount(b1, weights=errors.astype(np.float64), minlength=m)
    return np.divide(bad, hits, out=np.full(m, np.nan), where=hits > 0)


def distortion(
    Xt: ArrayLike,
    codebook: ArrayLike,
    bmus: ArrayLike,
    lattice: Lattice,
    neighborhood: str = "gaussian",
    radius: float = 1.0,
    *,
    metric: str = "euclidean",
    squared: bool = False,
    chunk_size: int | None = None,
) -> float:
    """MiniSom's distortion measure ``sum_i sum_c h(c, bmu_i) * ||x_i - w_c||``.

    By default the distances are **not** squared, as in MiniSom's code (its docstring says
    squared, its code does not square); ``squared=True`` gives the SOM energy function
    ``sum_i sum_c h(c, bmu_i) * ||x_i - w_c||**2``. The result is a sum, not a mean: it grows
    with the number of samples.

    Parameters
    ----------
    Xt : array-like, shape (N, D)
        Data in the codebook's (training) space; NaN marks a missing value (the distances then
        use the known components, see :mod:`somwidget.masked`).
    codebook : array-like, shape (M, D)
    bmus : array-like of int, shape (N,) or (N, k)
    lattice : Lattice
        Grid distances for the neighbourhood ``h``.
    neighborhood : str
        Kernel name (see :mod:`somwidget.neighborhood`).
    radius : float
        Kernel radius, > 0 (usually the final training radius).
    metric : str, keyword-only
        Data metric for ``||x - w||``.
    squared : bool, keyword-only
        Square the data distances.
    chunk_size : int, optional, keyword-only
        Samples per block (memory bound ``chunk_size x M``); chosen automatically by default.
    """
    W = _codebook(codebook, lattice)
    X, _ = check_array("Xt", Xt, n_features=W.shape[1], allow_nan=True)
    m = lattice.n_neurons
    b = _bmus("bmus", bmus, m)
    if b.shape[0] != X.shape[0]:
        raise ValueError(f"bmus has {b.shape[0]} entries but Xt has {X.shape[0]} samples")
    metric = check_metric(metric, "metric")
    if chunk_size is None:
        chunk = max(1, _BLOCK_ELEMENTS // m)
    else:
        chunk = check_int("chunk_size", chunk_size, minimum=1)
    # validate the kernel once (clear errors), then work per block
    neighborhood_weights(neighborhood, np.zeros(1), radius)
    total = 0.0
    for s in range(0, X.shape[0], chunk):
        Xs = X[s : s + chunk]
        # NaN (missing values): the known components, rescaled (somwidget.masked)
        D = distance_matrix_masked(Xs, W, metric) if has_missing(Xs) else cdist(Xs, W, metric=metric)
        if squared:
            D *= D
        sq = lattice.grid_distances_squared_from(b[s : s + chunk])
        H = neighborhood_weights(neighborhood, sq, radius, squared=True)
        total += float(np.einsum("ij,ij->", H, D))
    return total


# ============================================================================ U-matrices
def umatrix(
    codebook: ArrayLike,
    lattice: Lattice,
    metric: str = "euclidean",
    *,
    reduce: str = "mean",
) -> np.ndarray:
    """Node-form U-matrix: per neuron, the mean data-metric distance from its codebook vector to
    the codebook vectors of its lattice neighbours.

    Neighbours are :meth:`Lattice.neighbor_pairs` (6 on hex, 4 or 8 on rect according to
    ``rect_adjacency``), so on toroidal and cylindrical maps the wrap-around neighbours count.
    Only the P (about 3 M) neighbour distances are computed: ``O(M * D)`` time and memory, no
    M x M array, whatever the map size.

    Parameters
    ----------
    codebook : array-like, shape (M, D)
    lattice : Lattice
    metric : str
        Data metric (``"euclidean"`` by default; other names go through ``scipy`` ``cdist``).
    reduce : {"mean", "median", "sum", "min", "max"}, keyword-only
        How the neighbour distances are combined (MiniSom's default scaling is ``"sum"``).

    Returns
    -------
    ndarray of float64, shape (M,)
    """
    W = _codebook(codebook, lattice)
    metric = check_metric(metric, "metric")
    reduce = check_choice("reduce", reduce, tuple(_REDUCERS))
    pairs = lattice.neighbor_pairs()
    a, b = pairs[:, 0], pairs[:, 1]
    d = _edge_distances(W, a, b, metric)
    units = np.concatenate([a, b])
    values = np.concatenate([d, d])
    if reduce == "mean":
        m = lattice.n_neurons
        return np.bincount(units, weights=values, minlength=m) / np.bincount(units, minlength=m)
    return _grouped_reduce(units, values, lattice.n_neurons, reduce)


def _interstitial_edges(lattice: Lattice) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Edges of the flat (unwrapped) lattice and their U-matrix cells.

    Returns ``(a, b, i, j)``: unit ``a[e]`` and unit ``b[e]`` are neighbours on the flat sheet and
    their distance goes to cell ``U[i[e], j[e]]``.
    """
    R, C = lattice.rows, lattice.cols
    idx = np.arange(R * C).reshape(R, C)
    rr, cc = np.divmod(idx, C)
    parts = [
        # horizontal: (r, c)-(r, c+1) -> (2r, 2c+1)
        (idx[:, :-1], idx[:, 1:], 2 * rr[:, :-1], 2 * cc[:, :-1] + 1),
        # vertical / same column: (r, c)-(r+1, c) -> (2r+1, 2c)
        (idx[:-1, :], idx[1:, :], 2 * rr[:-1, :] + 1, 2 * cc[:-1, :]),
    ]
    if lattice.shape == "hexa":
        odd = np.arange(R - 1) % 2 == 1
        even = ~odd
        # shifted (odd) row r: (r, c)-(r+1, c+1) -> (2r+1, 2c+1)
        parts.append(
            (idx[:-1][odd, :-1], idx[1:][odd, 1:], 2 * rr[:-1][odd, :-1] + 1, 2 * cc[:-1][odd, :-1] + 1)
        )
        # unshifted (even) row r: (r, c)-(r+1, c-1) -> (2r+1, 2c-1)
        parts.append(
            (idx[:-1][even, 1:], idx[1:][even, :-1], 2 * rr[:-1][even, 1:] + 1, 2 * cc[:-1][even, 1:] - 1)
        )
    a, b, i, j = (np.concatenate([p[n].ravel() for p in parts]) for n in range(4))
    return a, b, i, j


def umatrix_interstitial(
    codebook: ArrayLike,
    lattice: Lattice,
    metric: str = "euclidean",
    *,
    node: str = "median",
) -> np.ndarray:
    """Interstitial U-matrix of shape (2R-1, 2C-1), following SOM Toolbox ``som_umat``.

    Unit ``(r, c)`` sits in cell ``(2r, 2c)``; the cells between units hold distances:

    * ``(2r, 2c+1)``: distance between ``(r, c)`` and ``(r, c+1)`` (same row);
    * ``(2r+1, 2c)``: distance between ``(r, c)`` and ``(r+1, c)`` (same column index);
    * rect, ``(2r+1, 2c+1)``: the two diagonals of the square,
      ``(d((r,c),(r+1,c+1)) + d((r+1,c),(r,c+1))) / (2*sqrt(2))``;
    * hex, the third neighbour across the row gap. With odd rows shifted right, a unit in an odd
      (shifted) row ``r`` touches ``(r+1, c)`` and ``(r+1, c+1)``: the second goes to
      ``(2r+1, 2c+1)``. A unit in an even row touches ``(r+1, c-1)`` and ``(r+1, c)``: the first
      goes to ``(2r+1, 2c-1)``. So every odd row of U is all edge cells, and an edge cell sits at
      the midpoint of its two units (see :func:`umatrix_interstitial_coordinates`).
    * node cells ``(2r, 2c)``: the ``node`` reduction (default the median, as ``som_umat``) of the
      edge cells around the unit: its 4 (rect) or up to 6 (hex) neighbours on the flat sheet.
      Rect diagonal cells are not used for node cells.

    The array describes the flat sheet: wrap-around edges of toroidal and cylindrical maps have no
    cell in this form (use :func:`umatrix` for a U-matrix that respects wrapping), and
    ``rect_adjacency`` does not change it.

    Parameters
    ----------
    codebook : array-like, shape (M, D)
    lattice : Lattice
    metric : str
        Data metric.
    node : {"median", "mean", "min", "max"}, keyword-only
        Node-cell reduction (``som_umat``'s ``mode``; somnium uses a mean).

    Returns
    -------
    ndarray of float64, shape (2*rows - 1, 2*cols - 1)
    """
    W = _codebook(codebook, lattice)
    metric = check_metric(metric, "metric")
    node = check_choice("node", node, ("median", "mean", "min", "max"))
    R, C = lattice.rows, lattice.cols
    U = np.full((2 * R - 1, 2 * C - 1), np.nan)
    a, b, i, j = _interstitial_edges(lattice)
    d = _edge_distances(W, a, b, metric)
    U[i, j] = d
    if lattice.shape == "rect" and R > 1 and C > 1:
        idx = np.arange(R * C).reshape(R, C)
        d1 = _edge_distances(W, idx[:-1, :-1].ravel(), idx[1:, 1:].ravel(), metric)
        d2 = _edge_distances(W, idx[1:, :-1].ravel(), idx[:-1, 1:].ravel(), metric)
        U[1::2, 1::2] = ((d1 + d2) / (2.0 * math.sqrt(2.0))).reshape(R - 1, C - 1)
    nodes = _grouped_reduce(np.concatenate([a, b]), np.concatenate([d, d]), R * C, node)
    U[0::2, 0::2] = nodes.reshape(R, C)
    return U


def umatrix_interstitial_coordinates(lattice: Lattice) -> np.ndarray:
    """Plane position of every cell of :func:`umatrix_interstitial`, shape (2R-1, 2C-1, 2).

    Node cells sit on their unit (``Lattice.coordinates``), edge cells at the midpoint of their
    two units, rect diagonal cells at the centre of the square. Rect: ``x = j/2``, ``y = i/2``.
    Hex: ``y = i * sqrt(3)/4`` and ``x = j/2 + s(i)`` with the shift ``s = 0, 1/4, 1/2, 1/4`` for
    ``i % 4 = 0, 1, 2, 3`` (even unit rows unshifted, odd unit rows shifted by 1/2, the gap rows
    between them by 1/4). Cells are ``1/2`` apart horizontally, so a cell drawn as a hexagon
    (or square) of half the unit size tiles the map.
    """
    if not isinstance(lattice, Lattice):
        raise TypeError(f"lattice must be a somwidget Lattice; got {type(lattice).__name__}")
    i = np.arange(2 * lattice.rows - 1)[:, None]
    j = np.arange(2 * lattice.cols - 1)[None, :]
    if lattice.shape == "hexa":
        shift = np.array([0.0, 0.25, 0.5, 0.25])[i % 4]
        x = j / 2.0 + shift
        y = i * lattice.row_spacing / 2.0
    else:
        x = j / 2.0 + 0.0 * i
        y = i / 2.0 + 0.0 * j
    return np.stack(np.broadcast_arrays(x, y), axis=-1).astype(np.float64)
