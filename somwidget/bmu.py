"""Best-matching-unit search and sample-to-neuron distance matrices.

Euclidean fast path
-------------------
For the Euclidean metric the search is one float32 matrix product per chunk of samples. Both the
data and the codebook are first shifted by a common centre (the data mean) so that the float32
values stay small, then the data are augmented with a column of ones and the codebook with its
squared norms::

    [x, 1] . [-2 w ; ||w||^2]^T  =  ||w||^2 - 2 x.w  =  ||x - w||^2 - ||x||^2

so the GEMM gives the comparison values directly and ``argmin`` runs on a cache-sized block. No
``N x M`` float64 matrix is ever allocated; the distances of the winners only are then computed
exactly in float64 from the original vectors. (float32 compute for the search, float64 for every
reported distance and every accumulation.)

Other metrics
-------------
Any metric name accepted by :func:`scipy.spatial.distance.cdist` except the two whose result
depends on statistics of the whole call (``"mahalanobis"`` and ``"seuclidean"``, which would
change from chunk to chunk) is evaluated chunk by chunk with ``cdist``. ``"chebyshev"`` is the
maximum absolute difference, ``max_d |x_d - w_d|``.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial.distance import cdist

from .validation import check_choice, check_int

__all__ = [
    "METRICS",
    "METRIC_ALIASES",
    "check_metric",
    "check_metric_domain",
    "default_chunk_size",
    "distance_matrix",
    "find_bmus",
    "metric_cdist",
    "prepare_queries",
]

#: Data metrics accepted for the BMU search (``scipy.spatial.distance.cdist`` names).
METRICS: tuple[str, ...] = (
    "euclidean",
    "sqeuclidean",
    "chebyshev",
    "cityblock",
    "minkowski",
    "cosine",
    "correlation",
    "braycurtis",
    "canberra",
    "jensenshannon",
    "hamming",
    "jaccard",
    "dice",
    "rogerstanimoto",
    "russellrao",
    "sokalsneath",
    "yule",
)
#: Extra spellings.
METRIC_ALIASES: dict[str, str] = {"manhattan": "cityblock", "l2": "euclidean", "l1": "cityblock"}

# Bytes of one float32 comparison block (chunk rows x M); a few MiB keeps it in cache.
_BLOCK_BYTES = 4 << 20


def check_metric(metric: object, name: str = "distance_metric") -> str:
    """Return the canonical metric name or raise a ``ValueError`` listing the allowed names."""
    return check_choice(name, metric, METRICS, METRIC_ALIASES)


def check_metric_domain(metric: str, X: np.ndarray, name: str = "X", hint: str = "") -> None:
    """Refuse data on which ``metric`` gives NaN or infinite distances (missing values ignored).

    ``cosine`` needs no all-zero row, ``correlation`` no row whose values are all equal (so at
    least 2 features), ``jensenshannon`` (a distance between distributions) at least 2 features
    and non-negative rows with a positive sum.

    Raises
    ------
    ValueError
        Naming ``distance_metric``, ``name``, the offending rows and ``hint``.
    """
    if metric not in ("cosine", "correlation", "jensenshannon") or X.size == 0:
        return
    with np.errstate(invalid="ignore"):
        if metric == "cosine":
            bad = ~(np.sqrt(np.nansum(X * X, axis=1)) > 0)  # also a norm that underflows
            why = "all-zero rows, whose angle to anything is undefined"
        elif metric == "correlation":
            centred = X - np.nanmean(X, axis=1, keepdims=True)
            bad = ~(np.sqrt(np.nansum(centred * centred, axis=1)) > 0)
            why = ("rows whose values are all equal (a correlation needs variation across at "
                   "least 2 features)")
        elif X.shape[1] < 2:
            bad = np.ones(X.shape[0], dtype=bool)
            why = ("rows of a single feature (every one is the same distribution; it compares "
                   "distributions over at least 2 features)")
        else:
            bad = (np.nanmin(X, axis=1) < 0) | ~(np.nansum(X, axis=1) > 0)
            why = "rows with negative values or a zero sum (it compares probability distributions)"
    if bad.any():
        rows = np.flatnonzero(bad)
        raise ValueError(
            f"distance_metric={metric!r} cannot compare {name}: it has {rows.size} {why} "
            f"(rows {rows[:5].tolist()}{', ...' if rows.size > 5 else ''}); its distances would "
            f"be NaN or infinite{hint}"
        )


def metric_cdist(A: np.ndarray, B: np.ndarray, metric: str = "euclidean") -> np.ndarray:
    """:func:`scipy.spatial.distance.cdist`, except that for ``jensenshannon`` the NaN scipy
    returns for two equal distributions with zero entries (the square root of a rounding error
    below 0) is the distance 0 it stands for (the BMU search, the U-matrix and the online loop
    all use this)."""
    d = cdist(A, B, metric=metric)
    if metric == "jensenshannon":
        np.nan_to_num(d, copy=False, nan=0.0)
    return d


def default_chunk_size(n_neurons: int) -> int:
    """Rows per chunk so that one float32 ``rows x n_neurons`` block is about 4 MiB."""
    return int(np.clip(_BLOCK_BYTES // (4 * max(int(n_neurons), 1)), 256, 65536))


def _resolve_chunk(chunk_size: int | None, n_neurons: int) -> int:
    if chunk_size is None:
        return default_chunk_size(n_neurons)
    return check_int("chunk_size", chunk_size, minimum=1)


def prepare_queries(X: np.ndarray, center: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Return the float32 augmented queries ``[x - c, 1]`` and the centre ``c`` used.

    Built once per training call and reused by every epoch.
    """
    X = np.asarray(X, dtype=np.float64)
    if center is None:
        center = X.mean(axis=0) if X.shape[0] else np.zeros(X.shape[1])
    Xa = np.empty((X.shape[0], X.shape[1] + 1), dtype=np.float32)
    np.subtract(X, center, out=Xa[:, :-1], casting="same_kind")
    Xa[:, -1] = 1.0
    return Xa, np.asarray(center, dtype=np.float64)


def _augmented_codebook(codebook: np.ndarray, center: np.ndarray) -> np.ndarray:
    Wc = codebook - center
    Wa = np.empty((codebook.shape[0], codebook.shape[1] + 1), dtype=np.float32)
    Wa[:, :-1] = -2.0 * Wc
    Wa[:, -1] = np.einsum("ij,ij->i", Wc, Wc)
    return Wa


def euclidean_argmin(
    Xa: np.ndarray, codebook: np.ndarray, center: np.ndarray, chunk_size: int | None = None
) -> np.ndarray:
    """Index of the nearest neuron for each prepared query (Euclidean, float32 GEMM)."""
    n, m = Xa.shape[0], codebook.shape[0]
    chunk = _resolve_chunk(chunk_size, m)
    WaT = np.ascontiguousarray(_augmented_codebook(codebook, center).T)
    out = np.empty(n, dtype=np.intp)
    block = np.empty((min(chunk, n), m), dtype=np.float32)
    for s in range(0, n, chunk):
        e = min(s + chunk, n)
        g = block[: e - s]
        np.matmul(Xa[s:e], WaT, out=g)
        np.argmin(g, axis=1, out=out[s:e])
    return out


def _smallest_k(values: np.ndarray, k: int) -> np.ndarray:
    """Column indices of the k smallest values per row, sorted ascending (stable on ties)."""
    if k == 1:
        return np.argmin(values, axis=1)[:, None]
    m = values.shape[1]
    if k < m:
        part = np.argpartition(values, k - 1, axis=1)[:, :k]
        # keep ties in index order: sort the candidates by (value, index)
        part.sort(axis=1)
        vals = np.take_along_axis(values, part, axis=1)
        order = np.argsort(vals, axis=1, kind="stable")
        return np.take_along_axis(part, order, axis=1)
    return np.argsort(values, axis=1, kind="stable")


def find_bmus(
    X: np.ndarray,
    codebook: np.ndarray,
    metric: str = "euclidean",
    k: int = 1,
    chunk_size: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Find the ``k`` best-matching units of every sample.

    Parameters
    ----------
    X : ndarray (N, D)
        Samples (training space).
    codebook : ndarray (M, D)
        Prototype vectors.
    metric : str
        ``"euclidean"`` (float32 GEMM fast path) or any name in :data:`METRICS`.
    k : int
        Number of units per sample (1 = BMU, 2 = BMU and second BMU, ...), at most M.
    chunk_size : int, optional
        Samples per block; default :func:`default_chunk_size`.

    Returns
    -------
    indices : ndarray (N, k) of intp
        Units sorted by increasing distance (ties: lower index first).
    distances : ndarray (N, k) float64
        The corresponding distances in the data metric.
    """
    metric = check_metric(metric)
    X = np.asarray(X, dtype=np.float64)
    codebook = np.asarray(codebook, dtype=np.float64)
    n, m = X.shape[0], codebook.shape[0]
    k = check_int("k", k, minimum=1, maximum=m)
    chunk = _resolve_chunk(chunk_size, m)
    idx = np.empty((n, k), dtype=np.intp)
    dist = np.empty((n, k), dtype=np.float64)
    if metric == "euclidean":
        center = X.mean(axis=0) if n else np.zeros(X.shape[1])
        WaT = np.ascontiguousarray(_augmented_codebook(codebook, center).T)
        Xa = np.empty((min(chunk, n), X.shape[1] + 1), dtype=np.float32)
        Xa[:, -1] = 1.0
        block = np.empty((min(chunk, n), m), dtype=np.float32)
        for s in range(0, n, chunk):
            e = min(s + chunk, n)
            xa, g = Xa[: e - s], block[: e - s]
            np.subtract(X[s:e], center, out=xa[:, :-1], casting="same_kind")
            np.matmul(xa, WaT, out=g)
            sel = _smallest_k(g, k)
            idx[s:e] = sel
            for j in range(k):
                diff = X[s:e] - codebook[sel[:, j]]
                dist[s:e, j] = np.sqrt(np.einsum("ij,ij->i", diff, diff))
        if k > 1:
            # exact float64 distances may reorder candidates separated by float32 rounding only
            order = np.argsort(dist, axis=1, kind="stable")
            idx[:] = np.take_along_axis(idx, order, axis=1)
            dist[:] = np.take_along_axis(dist, order, axis=1)
        return idx, dist
    for s in range(0, n, chunk):
        e = min(s + chunk, n)
        d = metric_cdist(X[s:e], codebook, metric)
        sel = _smallest_k(d, k)
        idx[s:e] = sel
        dist[s:e] = np.take_along_axis(d, sel, axis=1)
    return idx, dist


def distance_matrix(
    X: np.ndarray,
    codebook: np.ndarray,
    metric: str = "euclidean",
    chunk_size: int | None = None,
) -> np.ndarray:
    """Distances from every sample to every neuron, shape (N, M), float64.

    Euclidean distances use a float64 product per chunk (on centred data, clipped at 0) so the
    result matches ``cdist`` to about 1e-12 relative; other metrics call ``cdist`` per chunk.
    """
    metric = check_metric(metric)
    X = np.asarray(X, dtype=np.float64)
    codebook = np.asarray(codebook, dtype=np.float64)
    n, m = X.shape[0], codebook.shape[0]
    chunk = _resolve_chunk(chunk_size, m)
    out = np.empty((n, m), dtype=np.float64)
    if metric == "euclidean":
        center = X.mean(axis=0) if n else np.zeros(X.shape[1])
        Wc = codebook - center
        wn = np.einsum("ij,ij->i", Wc, Wc)
        for s in range(0, n, chunk):
            e = min(s + chunk, n)
            xc = X[s:e] - center
            blk = out[s:e]
            np.matmul(xc, Wc.T, out=blk)
            blk *= -2.0
            blk += wn
            blk += np.einsum("ij,ij->i", xc, xc)[:, None]
            np.maximum(blk, 0.0, out=blk)
            np.sqrt(blk, out=blk)
        return out
    for s in range(0, n, chunk):
        e = min(s + chunk, n)
        out[s:e] = metric_cdist(X[s:e], codebook, metric)
    return out
