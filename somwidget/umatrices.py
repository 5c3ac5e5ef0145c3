"""U-matrices: the data-metric distances between lattice neighbours' codebook vectors.

The node form (:func:`umatrix`, one value per neuron, wrap-around respected) and SOM Toolbox's
interstitial form (:func:`umatrix_interstitial`, a ``(2R-1, 2C-1)`` array with a cell between
every two neighbours, and :func:`umatrix_interstitial_coordinates`, where each cell sits in the
plane). Only the lattice's edges are evaluated (:func:`_edge_distances`), never an M x M matrix.
Pure functions on arrays, re-exported by :mod:`somwidget.analysis`; distances between codebook
vectors use the *data* metric (any of :data:`somwidget.bmu.METRICS`), which units are neighbours
comes from the :class:`~somwidget.lattice.Lattice`.

For the metrics that scale with the data (Euclidean, ``cityblock``, ``chebyshev``,
``minkowski``, ``sqeuclidean``, and the scale-free ``cosine``, ``correlation``, ``braycurtis``)
the codebook is divided by a power of two near its largest magnitude before the distances are
taken and the U-matrix is scaled back at the end (:func:`_scaled_codebook`): exact, so the
distances are right at any finite magnitude (a distance of 2e200 is not the inf of its
overflowing square, one of 1e-310 not the 0 of its underflowing square).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike

from .bmu import check_metric
from .bmu import metric_cdist as cdist  # scipy's, with jensenshannon's rounding NaN fixed
from .euclidean import pow2_scale
from .lattice import Lattice, check_lattice
from .validation import check_array, check_choice

__all__ = [
    "check_codebook",
    "umatrix",
    "umatrix_interstitial",
    "umatrix_interstitial_coordinates",
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
#: The degree ``p`` of the metrics with ``d(c x, c y) = c**p d(x, y)`` for every ``c > 0``.
_HOMOGENEITY: dict[str, int] = {
    "euclidean": 1, "cityblock": 1, "chebyshev": 1, "minkowski": 1, "sqeuclidean": 2,
    "cosine": 0, "correlation": 0, "braycurtis": 0,
}


def check_codebook(codebook: ArrayLike, lattice: Lattice) -> np.ndarray:
    """The codebook as a float64 (M, D) array, checked against ``lattice`` (M neurons)."""
    check_lattice(lattice)
    W, _ = check_array("codebook", codebook)
    if W.shape[0] != lattice.n_neurons:
        raise ValueError(
            f"codebook has {W.shape[0]} rows but the lattice has {lattice.n_neurons} neurons"
        )
    return W


def _scaled_codebook(W: np.ndarray, metric: str) -> tuple[np.ndarray, Callable[[np.ndarray], np.ndarray]]:
    """``W`` divided by the power of two of its largest magnitude (exact: every entry at most 1)
    and the function that scales distances of the divided codebook back, in place.

    For a metric homogeneous of degree ``p`` (:data:`_HOMOGENEITY`) the distance is ``s**p``
    times that of the divided vectors, applied as ``p`` multiplications by ``s`` (a zero stays
    0 when ``s**2`` overflows). Other metrics get ``W`` itself.
    """
    degree = _HOMOGENEITY.get(metric)
    s = pow2_scale(float(np.abs(W).max())) if W.size and degree is not None else 1.0
    if s == 1.0:
        return W, lambda d: d

    def unscale(d: np.ndarray) -> np.ndarray:
        for _ in range(degree or 0):
            d *= s
        return d

    return W / s, unscale


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
    metric = check_metric(metric, "metric")
    W, unscale = _scaled_codebook(check_codebook(codebook, lattice), metric)
    reduce = check_choice("reduce", reduce, tuple(_REDUCERS))
    pairs = lattice.neighbor_pairs()
    a, b = pairs[:, 0], pairs[:, 1]
    d = _edge_distances(W, a, b, metric)
    units = np.concatenate([a, b])
    values = np.concatenate([d, d])
    if reduce == "mean":
        m = lattice.n_neurons
        out = np.bincount(units, weights=values, minlength=m) / np.bincount(units, minlength=m)
    else:
        out = _grouped_reduce(units, values, lattice.n_neurons, reduce)
    return unscale(out)


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
    metric = check_metric(metric, "metric")
    W, unscale = _scaled_codebook(check_codebook(codebook, lattice), metric)
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
    return unscale(U)


def umatrix_interstitial_coordinates(lattice: Lattice) -> np.ndarray:
    """Plane position of every cell of :func:`umatrix_interstitial`, shape (2R-1, 2C-1, 2).

    Node cells sit on their unit (``Lattice.coordinates``), edge cells at the midpoint of their
    two units, rect diagonal cells at the centre of the square. Rect: ``x = j/2``, ``y = i/2``.
    Hex: ``y = i * sqrt(3)/4`` and ``x = j/2 + s(i)`` with the shift ``s = 0, 1/4, 1/2, 1/4`` for
    ``i % 4 = 0, 1, 2, 3`` (even unit rows unshifted, odd unit rows shifted by 1/2, the gap rows
    between them by 1/4). Cells are ``1/2`` apart horizontally, so a cell drawn as a hexagon
    (or square) of half the unit size tiles the map.
    """
    check_lattice(lattice)
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
