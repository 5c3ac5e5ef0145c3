"""Pure analysis functions on arrays: hits, U-matrices, quality, errors, labels, tables.

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
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Mapping
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import sparse
from scipy.spatial.distance import cdist

from .bmu import check_metric
from .lattice import Lattice
from .neighborhood import neighborhood_weights
from .validation import check_array, check_choice, check_int

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
def _bmus(name: str, bmus: ArrayLike, n_neurons: int) -> np.ndarray:
    """Validate BMU indices: (N,) or (N, k) integers in [0, n_neurons)."""
    b = np.asarray(bmus)
    if b.ndim == 2:
        b = b[:, 0] if b.shape[1] else b.reshape(-1)
    if b.ndim != 1:
        raise ValueError(f"{name} must be 1-D (N,) or 2-D (N, k); got shape {b.shape}")
    if b.size and b.dtype.kind not in "iu":
        if b.dtype.kind == "f" and np.all(np.isfinite(b)) and np.all(b == np.round(b)):
            b = b.astype(np.int64)
        else:
            raise TypeError(f"{name} must hold integer neuron indices; got dtype {b.dtype}")
    b = b.astype(np.int64, copy=False)
    if b.size and (b.min() < 0 or b.max() >= n_neurons):
        raise ValueError(
            f"{name} must be neuron indices in [0, {n_neurons - 1}]; got values in "
            f"[{b.min()}, {b.max()}]"
        )
    return b


def _distances(name: str, distances: ArrayLike, n: int | None = None) -> np.ndarray:
    d = np.asarray(distances, dtype=np.float64)
    if d.ndim == 2:
        d = d[:, 0] if d.shape[1] else d.reshape(-1)
    if d.ndim != 1:
        raise ValueError(f"{name} must be 1-D (N,) or 2-D (N, k); got shape {d.shape}")
    if n is not None and d.shape[0] != n:
        raise ValueError(f"{name} has {d.shape[0]} entries but bmus has {n}")
    return d


def _n_neurons(n_neurons: object) -> int:
    return check_int("n_neurons", n_neurons, minimum=1)


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
        Data in the codebook's (training) space; must be finite.
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
    X, _ = check_array("Xt", Xt, n_features=W.shape[1])
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
        D = cdist(X[s : s + chunk], W, metric=metric)
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


# ============================================================================ labels
class _Bool:
    """A bool label kept apart from the numbers 1 and 0 (which Python counts as equal to it)."""

    __slots__ = ("value",)

    def __init__(self, value: bool) -> None:
        self.value = bool(value)

    def __hash__(self) -> int:
        return hash((_Bool, self.value))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Bool) and other.value == self.value


def _is_missing(v: Any) -> bool:
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    if isinstance(v, (float, np.floating)):
        return bool(np.isnan(v))
    if isinstance(v, (np.datetime64, np.timedelta64)):
        return bool(np.isnat(v))
    return False


def _kind(v: Any) -> str:
    """The family a class sorts in: numbers together (1 == 1.0), bools apart, then by type."""
    if isinstance(v, (bool, np.bool_)):
        return "bool"
    if isinstance(v, (int, float, np.integer, np.floating)):
        return "number"
    return type(v).__name__


def _class_order(classes: list[Any]) -> list[int]:
    """Positions of ``classes`` in their sorted order.

    Classes of one family sort by value (numbers numerically, strings alphabetically); mixed
    families, or values that do not compare, sort by ``(str(value), type name)``.
    """
    kinds = {_kind(c) for c in classes}
    if len(kinds) <= 1:
        try:
            return sorted(range(len(classes)), key=lambda i: classes[i])
        except TypeError:
            pass
    return sorted(range(len(classes)), key=lambda i: (str(classes[i]), type(classes[i]).__name__))


def encode_labels(labels: Any, n: int | None = None) -> tuple[np.ndarray, list[Any]]:
    """Integer codes and ordered classes of a label vector: the one label encoder.

    Every label view and analysis (:func:`label_counts`, :func:`label_proportions`,
    :func:`majority_labels`, the hit and label maps) encodes labels here, so classes, their
    order and their colours agree everywhere.

    Parameters
    ----------
    labels : array-like, pandas Series / Index / Categorical, shape (N,)
        Any hashable labels. ``None``, ``NaN``, ``pd.NA`` and ``NaT`` are *missing*: code -1,
        never a class.
    n : int, optional
        The number of samples the labels must match.

    Returns
    -------
    codes : ndarray of int64, shape (N,)
        Index into ``classes``; -1 for a missing label.
    classes : list
        The classes: a Categorical's categories in their own order (unused ones included, so
        colours stay stable); otherwise sorted: numbers numerically, strings alphabetically,
        ``False`` before ``True``, and mixed kinds (e.g. ints and strings) by
        ``(str(value), type name)``. ``True`` and ``1`` are two classes. numpy scalars come back
        as Python ones.

    Raises
    ------
    ValueError
        For None, a DataFrame, a multi-dimensional array, or a length other than ``n``.
    """
    if labels is None:
        raise ValueError("labels is required; got None")
    if isinstance(labels, pd.DataFrame):
        raise ValueError("labels must be 1-D (one label per sample); got a DataFrame")
    if isinstance(labels, (pd.Series, pd.Index)):
        values: Any = labels.array
    elif isinstance(labels, (pd.Categorical, np.ndarray, pd.api.extensions.ExtensionArray)):
        values = labels
    elif isinstance(labels, (str, bytes)) or not hasattr(labels, "__len__"):
        raise ValueError(f"labels must be a 1-D sequence (one label per sample); got {labels!r}")
    else:
        values = np.empty(len(labels), dtype=object)
        values[:] = list(labels)
    if getattr(values, "ndim", 1) != 1:
        raise ValueError(f"labels must be 1-D (one label per sample); got shape {values.shape}")
    if n is not None and len(values) != n:
        raise ValueError(f"labels has {len(values)} entries but there are {n} samples")
    if isinstance(values.dtype, pd.CategoricalDtype):
        cat = pd.Categorical(values)
        return (np.asarray(cat.codes, dtype=np.int64),
                [c.item() if isinstance(c, np.generic) else c for c in cat.categories])
    if values.dtype == object:
        keys = np.empty(len(values), dtype=object)
        keys[:] = [None if _is_missing(v) else
                   _Bool(v) if isinstance(v, (bool, np.bool_)) else
                   v.item() if isinstance(v, np.generic) else v for v in values]
        values = keys
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    classes = [u.value if isinstance(u, _Bool) else u.item() if isinstance(u, np.generic) else u
               for u in uniques]
    order = _class_order(classes)
    remap = np.empty(len(classes), dtype=np.int64)
    remap[order] = np.arange(len(classes))
    codes = np.asarray(codes, dtype=np.int64)
    codes = np.where(codes >= 0, remap[np.maximum(codes, 0)] if len(classes) else 0, -1)
    return codes.astype(np.int64), [classes[i] for i in order]


def code_counts(bmus: ArrayLike, codes: ArrayLike, n_classes: int, n_neurons: int) -> np.ndarray:
    """(M, C) int64: how many samples of each class code each neuron won (codes < 0 skipped).

    ``codes`` as :func:`encode_labels` returns them.
    """
    m = _n_neurons(n_neurons)
    k = check_int("n_classes", n_classes, minimum=0)
    b = _bmus("bmus", bmus, m)
    c = np.asarray(codes, dtype=np.int64)
    if c.shape != b.shape:
        raise ValueError(f"codes has {c.size} entries but bmus has {b.size}")
    if c.size and c.max(initial=-1) >= k:
        raise ValueError(f"codes must be < n_classes={k}; got {int(c.max())}")
    ok = c >= 0
    if not k:
        return np.zeros((m, 0), dtype=np.int64)
    return np.bincount(b[ok] * k + c[ok], minlength=m * k).reshape(m, k).astype(np.int64)


def _label_index(classes: list[Any]) -> pd.Index:
    """The classes as DataFrame columns (object dtype unless every class is one kind)."""
    kinds = {_kind(c) for c in classes}
    if len(kinds) > 1 or "tuple" in kinds or not classes:
        return pd.Index(classes, dtype=object, name="label", tupleize_cols=False)
    return pd.Index(classes, name="label")


def label_counts(bmus: ArrayLike, labels: Any, n_neurons: int) -> pd.DataFrame:
    """How many samples of each class each neuron won.

    Parameters
    ----------
    bmus : array-like of int, shape (N,) or (N, k)
    labels : array-like of hashable, shape (N,)
        Any hashable labels (strings, ints, tuples, ...), a pandas Series or a Categorical,
        encoded by :func:`encode_labels`. Missing labels (None / NaN) are not counted.
    n_neurons : int

    Returns
    -------
    pandas.DataFrame, shape (M, n_classes)
        Index ``neuron`` (0..M-1), one int64 column per class in :func:`encode_labels` order
        (sorted, or category order for a Categorical, unused categories included).
    """
    m = _n_neurons(n_neurons)
    b = _bmus("bmus", bmus, m)
    codes, classes = encode_labels(labels, b.shape[0])
    if isinstance(getattr(labels, "dtype", None), pd.CategoricalDtype):
        columns = pd.Index(pd.Categorical(labels).categories, name="label")
    else:
        columns = _label_index(classes)
    counts = code_counts(b, codes, len(classes), m)
    return pd.DataFrame(counts, index=pd.RangeIndex(m, name="neuron"), columns=columns)


def label_proportions(bmus: ArrayLike, labels: Any, n_neurons: int) -> pd.DataFrame:
    """Per-neuron class proportions (rows sum to 1; rows of neurons without labelled hits are 0).

    Same layout as :func:`label_counts`, float64 and never NaN.
    """
    counts = label_counts(bmus, labels, n_neurons)
    c = counts.to_numpy(dtype=np.float64)
    tot = c.sum(axis=1, keepdims=True)
    props = np.divide(c, tot, out=np.zeros_like(c), where=tot > 0)
    return pd.DataFrame(props, index=counts.index, columns=counts.columns)


def majority_labels(bmus: ArrayLike, labels: Any, n_neurons: int) -> pd.Series:
    """Most frequent class per neuron (ties go to the first class in :func:`label_counts` order);
    ``None`` for neurons without labelled hits. Index ``neuron``, dtype object."""
    counts = label_counts(bmus, labels, n_neurons)
    c = counts.to_numpy()
    out = np.full(c.shape[0], None, dtype=object)
    if c.shape[1]:
        has = c.sum(axis=1) > 0
        classes = np.asarray(counts.columns, dtype=object)
        out[has] = classes[np.argmax(c[has], axis=1)]
    return pd.Series(out, index=counts.index, name="label", dtype=object)


# ============================================================================ classification table
def _positional_column(name: str, values: Any, n: int) -> Any:
    """``values`` as an array (never a Series, so assignment is by position), dtype preserved."""
    if isinstance(values, (pd.Series, pd.Index)):
        arr = values.array
    elif isinstance(values, (np.ndarray, pd.api.extensions.ExtensionArray)):
        arr = values
    else:
        arr = pd.Series(list(values)).array
    if getattr(arr, "ndim", 1) != 1:
        raise ValueError(f"{name} must be 1-D; got shape {arr.shape}")
    if len(arr) != n:
        raise ValueError(f"{name} has {len(arr)} entries but there are {n} samples")
    return arr.copy()


def classification_table(
    bmus: ArrayLike,
    distances: ArrayLike,
    lattice: Lattice,
    labels: Any = None,
    extra: pd.DataFrame | Mapping[Hashable, ArrayLike] | None = None,
    *,
    index: ArrayLike | pd.Index | None = None,
    bmu2: ArrayLike | None = None,
) -> pd.DataFrame:
    """One row per sample: GEMA's classification map.

    Columns: ``label`` (only when ``labels`` is given), ``bmu``, ``row``, ``col``, ``distance``,
    ``bmu2`` (only when ``bmu2`` is given), then the ``extra`` columns.

    Parameters
    ----------
    bmus : array-like of int, shape (N,) or (N, k)
    distances : array-like of float, shape (N,) or (N, k)
        Distance of each sample to its BMU.
    lattice : Lattice
        Gives ``row`` and ``col`` of the BMU.
    labels : array-like, optional
        One label per sample (any hashable, Series or Categorical; a Categorical stays one).
    extra : DataFrame or mapping of column -> array-like, optional
        Extra columns, aligned **by position** (their index is ignored). A name that clashes
        with a table column raises ``ValueError``.
    index : array-like or pandas.Index, optional, keyword-only
        Row index of the result. By default the index of ``labels`` if it is a Series, else of
        ``extra`` if it is a DataFrame, else ``0..N-1`` (the SOM passes its DataFrame's index).
    bmu2 : array-like of int, shape (N,), optional, keyword-only
        Second-best matching unit of each sample, added as column ``bmu2``.

    Returns
    -------
    pandas.DataFrame
    """
    if not isinstance(lattice, Lattice):
        raise TypeError(f"lattice must be a somwidget Lattice; got {type(lattice).__name__}")
    b = _bmus("bmus", bmus, lattice.n_neurons)
    n = b.shape[0]
    d = _distances("distances", distances, n)
    if index is None:
        if isinstance(labels, pd.Series):
            index = labels.index
        elif isinstance(extra, pd.DataFrame):
            index = extra.index
        else:
            index = pd.RangeIndex(n)
    index = pd.Index(index)
    if len(index) != n:
        raise ValueError(f"index has {len(index)} entries but there are {n} samples")
    row, col = np.divmod(b, lattice.cols)
    table = pd.DataFrame({"bmu": b, "row": row, "col": col, "distance": d}, index=index)
    if bmu2 is not None:
        b2 = _bmus("bmu2", bmu2, lattice.n_neurons)
        if b2.shape[0] != n:
            raise ValueError(f"bmu2 has {b2.shape[0]} entries but bmus has {n}")
        table["bmu2"] = b2
    if labels is not None:
        encode_labels(labels, n)  # validates shape and length
        table.insert(0, "label", _positional_column("labels", labels, n))
    if extra is not None:
        if isinstance(extra, pd.DataFrame):
            if extra.shape[0] != n:
                raise ValueError(f"extra has {extra.shape[0]} rows but there are {n} samples")
            items = [(c, extra[c]) for c in extra.columns]
        elif isinstance(extra, Mapping):
            items = list(extra.items())
        else:
            raise TypeError(
                f"extra must be a DataFrame or a dict of columns; got {type(extra).__name__}"
            )
        for name, values in items:
            if name in table.columns:
                raise ValueError(
                    f"extra column {name!r} clashes with a classification table column"
                )
            table[name] = _positional_column(f"extra column {name!r}", values, n)
    return table
