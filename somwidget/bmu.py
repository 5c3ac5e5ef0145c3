"""Best-matching-unit search and sample-to-neuron distance matrices.

Euclidean fast path
-------------------
For the Euclidean metric the search is one float32 matrix product per chunk of samples, on data
and codebook shifted by a common centre and scaled by a power of two, with a float64 fallback
for the rows where float32 rounding could change the answer: :func:`find_bmus` returns the exact
float64 top ``k`` at any magnitude (timestamps, 1e20, 1e154), see :mod:`somwidget.euclidean`.
No ``N x M`` matrix and no copy of the data is allocated (float32 data is read as float32);
reported distances are float64 from the original vectors.

Missing values
--------------
Samples with NaN (``SOM(missing="ignore")``) go to :func:`find_bmus_masked` and
:func:`distance_matrix_masked`: distances over the known components, rescaled to the full
dimension (R kohonen)::

    d(x, w)^2 = D / |K(x)| * sum_{k in K(x)} (x_k - w_k)^2                   ("euclidean")

``"sqeuclidean"`` is that squared distance, ``"cityblock"`` is ``D / |K| * sum_K |x_k - w_k|``
and ``"chebyshev"`` is ``max_K |x_k - w_k|`` (a maximum needs no rescaling); other metrics are
refused with missing values. With the mask ``M`` (1 = known) and ``X0`` the data with NaN
replaced by 0, the Euclidean sums of a chunk are two float64 matrix products::

    sum_k M_k (x_k - w_k)^2 = ||x0||^2 - 2 X0 . W^T + M . (W^2)^T

on data and codebook shifted by the codebook mean; the winners' distances are then recomputed
directly. A row with no known value has no BMU and is refused. ``find_bmus`` and
``distance_matrix`` dispatch there when the data hold a NaN (one reduction over the data finds
out, without a temporary array).

Other metrics
-------------
Any metric name accepted by :func:`scipy.spatial.distance.cdist` except the two whose result
depends on statistics of the whole call (``"mahalanobis"`` and ``"seuclidean"``, which would
change from chunk to chunk) is evaluated chunk by chunk with ``cdist``. ``"chebyshev"`` is the
maximum absolute difference, ``max_d |x_d - w_d|``.
"""

from __future__ import annotations

import numpy as np

from . import euclidean as _euclidean
from ._lazy import LazyModule
from .validation import check_choice, check_int

__all__ = [
    "METRICS",
    "METRIC_ALIASES",
    "as_float_array",
    "check_metric",
    "check_metric_domain",
    "default_chunk_size",
    "distance_matrix",
    "MASKED_METRICS",
    "check_masked_metric",
    "distance_matrix_masked",
    "find_bmus",
    "find_bmus_masked",
    "has_missing",
    "masked_argmin",
    "nearest_units",
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

# Bytes of one float32 comparison block (chunk rows x M): 1 MiB stays in L2 between the
# product that writes it and the argmin that reads it (measured 10-20 % faster than 4 MiB).
_BLOCK_BYTES = 1 << 20

_distance = LazyModule("scipy.spatial.distance")


def cdist(XA: np.ndarray, XB: np.ndarray, metric: str = "euclidean") -> np.ndarray:
    """:func:`scipy.spatial.distance.cdist` (scipy.spatial imported on first use)."""
    return _distance.cdist(XA, XB, metric=metric)


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
    return min(max(_BLOCK_BYTES // (4 * max(int(n_neurons), 1)), 256), 65536)


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


def as_float_array(X: object) -> np.ndarray:
    """``X`` as a 2-D float32 or float64 array, without a copy when it already is one (other
    dtypes become float64)."""
    A = np.asarray(X)
    if A.dtype not in (np.float32, np.float64):
        A = A.astype(np.float64)
    return A


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
        Samples (training space), float32 or float64 (read in its own dtype, never copied).
    codebook : ndarray (M, D)
        Prototype vectors.
    metric : str
        ``"euclidean"`` (float32 GEMM search, exact at any magnitude, see
        :mod:`somwidget.euclidean`) or any name in :data:`METRICS`.
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
    X = as_float_array(X)
    codebook = np.asarray(codebook, dtype=np.float64)
    n, m = X.shape[0], codebook.shape[0]
    k = check_int("k", k, minimum=1, maximum=m)
    if has_missing(X):  # NaN: the known components only (SOM(missing="ignore"))
        return find_bmus_masked(X, codebook, metric=metric, k=k, chunk_size=chunk_size)
    chunk = _resolve_chunk(chunk_size, m)
    if metric == "euclidean":
        return _euclidean.nearest(X, codebook, k, chunk)
    idx = np.empty((n, k), dtype=np.intp)
    dist = np.empty((n, k), dtype=np.float64)
    for s in range(0, n, chunk):
        e = min(s + chunk, n)
        d = metric_cdist(X[s:e], codebook, metric)
        sel = _smallest_k(d, k)
        idx[s:e] = sel
        dist[s:e] = np.take_along_axis(d, sel, axis=1)
    return idx, dist


def nearest_units(
    X: np.ndarray,
    codebook: np.ndarray,
    metric: str = "euclidean",
    chunk_size: int | None = None,
    search: _euclidean.EuclideanSearch | None = None,
) -> np.ndarray:
    """BMU index of every sample (N,), the training search: for the Euclidean metric a float32
    argmin with a float64 fallback where float32 could pick a unit more than ``1e-3`` (relative,
    squared distance) worse than the best (:func:`somwidget.euclidean.argmin_units`).

    ``search`` is a prepared codebook (:class:`somwidget.euclidean.EuclideanSearch`, e.g. with
    the data's centre and extent known once per fit); built from ``codebook`` when missing.
    """
    X = as_float_array(X)
    m = codebook.shape[0]
    chunk = _resolve_chunk(chunk_size, m)
    if metric == "euclidean":
        if search is None:
            search = _euclidean.EuclideanSearch(codebook)
        return _euclidean.argmin_units(X, search, chunk)
    return find_bmus(X, codebook, metric=metric, k=1, chunk_size=chunk)[0][:, 0]

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
    X = as_float_array(X)
    codebook = np.asarray(codebook, dtype=np.float64)
    if has_missing(X):  # NaN: the known components only (SOM(missing="ignore"))
        return distance_matrix_masked(X, codebook, metric=metric, chunk_size=chunk_size)
    n, m = X.shape[0], codebook.shape[0]
    chunk = _resolve_chunk(chunk_size, m)
    out = np.empty((n, m), dtype=np.float64)
    if metric == "euclidean":
        center = codebook.mean(axis=0)
        Wc = codebook - center
        w_extent = float(np.abs(Wc).max()) if Wc.size else 0.0
        for s in range(0, n, chunk):
            e = min(s + chunk, n)
            xc = np.subtract(X[s:e], center, dtype=np.float64)
            # a power of two (exact) keeps the squares finite at any magnitude
            sc = _euclidean.pow2_scale(max(float(np.abs(xc).max()) if xc.size else 0.0, w_extent))
            xc *= 1.0 / sc
            ws = Wc * (1.0 / sc)
            blk = out[s:e]
            np.matmul(xc, ws.T, out=blk)
            blk *= -2.0
            blk += np.einsum("ij,ij->i", ws, ws)
            blk += np.einsum("ij,ij->i", xc, xc)[:, None]
            np.maximum(blk, 0.0, out=blk)
            np.sqrt(blk, out=blk)
            blk *= sc
        return out
    for s in range(0, n, chunk):
        e = min(s + chunk, n)
        out[s:e] = metric_cdist(X[s:e], codebook, metric)
    return out


# ---------------------------------------------------------------------- missing values
#: Data metrics that can be computed on the known components of a sample.
MASKED_METRICS: tuple[str, ...] = ("euclidean", "sqeuclidean", "cityblock", "chebyshev")


def has_missing(X: np.ndarray) -> bool:
    """Whether ``X`` holds a NaN: one reduction, no temporary array (an overflowing sum of
    finite values falls back to an exact test)."""
    if X.size == 0:
        return False
    with np.errstate(over="ignore", invalid="ignore"):
        total = np.add.reduce(X, axis=None)
    if np.isfinite(total):
        return False
    return any(np.isnan(X[s : s + (1 << 15)]).any() for s in range(0, X.shape[0], 1 << 15))


def check_masked_metric(metric: object) -> str:
    """The canonical metric name, refused unless it works on known components only."""
    metric = check_metric(metric)
    if metric not in MASKED_METRICS:
        allowed = ", ".join(repr(m) for m in MASKED_METRICS)
        raise ValueError(
            f"distance_metric={metric!r} cannot be computed with missing values; with "
            f"missing='ignore' and NaN in the data use one of {allowed}"
        )
    return metric


def _known_mask(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The known-value mask of one chunk and its count per row; a row without any known value
    has no best-matching unit (a clear error)."""
    known = ~np.isnan(X)
    n_known = known.sum(axis=1)
    if (n_known == 0).any():
        raise ValueError(
            f"X has {int((n_known == 0).sum())} row(s) with no known value (all NaN); such a "
            "row has no best-matching unit"
        )
    return known, n_known


def _chunk_sq(X: np.ndarray, Wc: np.ndarray, W2T: np.ndarray, center: np.ndarray,
              metric: str) -> tuple[np.ndarray, np.ndarray]:
    """Distances (squared for the Euclidean metrics, ``|K|``-rescaled) of one chunk to every
    prototype, and the rescaling factor ``D / |K|`` per row."""
    known, n_known = _known_mask(X)
    d = X.shape[1]
    scale = d / n_known
    if metric in ("euclidean", "sqeuclidean"):
        X0 = np.where(known, X - center, 0.0)
        out = X0 @ Wc.T
        out *= -2.0
        out += known.astype(np.float64) @ W2T
        out += np.einsum("ij,ij->i", X0, X0)[:, None]
        np.maximum(out, 0.0, out=out)
        out *= scale[:, None]
        return out, scale
    out = np.zeros((X.shape[0], Wc.shape[0]))
    Xc = X - center
    for k in range(d):  # one pass per feature, vectorised over samples and prototypes
        rows = known[:, k]
        diff = np.abs(Xc[rows, k][:, None] - Wc[None, :, k])
        if metric == "cityblock":
            out[rows] += diff
        else:
            out[rows] = np.maximum(out[rows], diff)
    if metric == "cityblock":
        out *= scale[:, None]
    return out, scale


def _exact(X: np.ndarray, W: np.ndarray, sel: np.ndarray, scale: np.ndarray,
           metric: str) -> np.ndarray:
    """Distances of each row of ``X`` to its selected prototypes ``W[sel]``, computed directly."""
    diff = X - W[sel]
    np.nan_to_num(diff, copy=False, nan=0.0)
    if metric == "chebyshev":
        return np.abs(diff).max(axis=1)
    if metric == "cityblock":
        return np.abs(diff).sum(axis=1) * scale
    sq = np.einsum("ij,ij->i", diff, diff) * scale
    return sq if metric == "sqeuclidean" else np.sqrt(sq)


def _chunk_rank(X: np.ndarray, A: np.ndarray, center: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Euclidean comparison values of one chunk, in the order of the masked distances: one
    GEMM ``[X0 | M] @ [-2 W ; W^2]^T`` (``||x0||^2`` and the factor ``D / |K|`` are the same
    for every prototype of a row, so they do not change the ranking), and ``D / |K|``."""
    known, n_known = _known_mask(X)
    d = X.shape[1]
    Q = np.empty((X.shape[0], 2 * d))
    np.subtract(X, center, out=Q[:, :d])
    Q[:, :d][~known] = 0.0
    Q[:, d:] = known
    return Q @ A, d / n_known


def _prepared(codebook: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    W = np.asarray(codebook, dtype=np.float64)
    center = W.mean(axis=0)
    Wc = W - center
    return W, Wc, np.ascontiguousarray((Wc * Wc).T), center


def masked_argmin(
    X: np.ndarray, codebook: np.ndarray, metric: str = "euclidean", chunk_size: int | None = None
) -> np.ndarray:
    """The BMU index of each sample with missing values (what a batch epoch needs): the ranking
    of :func:`find_bmus_masked` without computing the distances."""
    metric = check_masked_metric(metric)
    X = np.asarray(X, dtype=np.float64)
    _, Wc, W2T, center = _prepared(codebook)
    n, m = X.shape[0], Wc.shape[0]
    chunk = _resolve_chunk(chunk_size, m)
    out = np.empty(n, dtype=np.intp)
    A = np.vstack([-2.0 * Wc.T, W2T]) if metric in ("euclidean", "sqeuclidean") else None
    for s in range(0, n, chunk):
        e = min(s + chunk, n)
        if A is not None:
            block, _ = _chunk_rank(X[s:e], A, center)
        else:
            block, _ = _chunk_sq(X[s:e], Wc, W2T, center, metric)
        np.argmin(block, axis=1, out=out[s:e])
    return out


def find_bmus_masked(
    X: np.ndarray,
    codebook: np.ndarray,
    metric: str = "euclidean",
    k: int = 1,
    chunk_size: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`somwidget.bmu.find_bmus` for data with missing values (NaN): the distances use
    the known components of each sample, rescaled by ``D / |K|`` (module notes).

    Returns
    -------
    indices : ndarray (N, k) of intp, distances : ndarray (N, k) float64
        Sorted by increasing distance (ties: lower index first).
    """
    metric = check_masked_metric(metric)
    X = np.asarray(X, dtype=np.float64)
    W, Wc, W2T, center = _prepared(codebook)
    n, m = X.shape[0], W.shape[0]
    chunk = _resolve_chunk(chunk_size, m)
    idx = np.empty((n, k), dtype=np.intp)
    dist = np.empty((n, k), dtype=np.float64)
    euclid = metric in ("euclidean", "sqeuclidean")
    A = np.vstack([-2.0 * Wc.T, W2T]) if euclid else None
    for s in range(0, n, chunk):
        e = min(s + chunk, n)
        if A is not None:
            block, scale = _chunk_rank(X[s:e], A, center)
        else:
            block, scale = _chunk_sq(X[s:e], Wc, W2T, center, metric)
        sel = _smallest_k(block, k)
        idx[s:e] = sel
        for j in range(k):
            dist[s:e, j] = _exact(X[s:e], W, sel[:, j], scale, metric)
    if k > 1:
        order = np.argsort(dist, axis=1, kind="stable")
        idx[:] = np.take_along_axis(idx, order, axis=1)
        dist[:] = np.take_along_axis(dist, order, axis=1)
    return idx, dist


def distance_matrix_masked(
    X: np.ndarray,
    codebook: np.ndarray,
    metric: str = "euclidean",
    chunk_size: int | None = None,
) -> np.ndarray:
    """:func:`somwidget.bmu.distance_matrix` for data with missing values, shape (N, M)."""
    metric = check_masked_metric(metric)
    X = np.asarray(X, dtype=np.float64)
    _, Wc, W2T, center = _prepared(codebook)
    n, m = X.shape[0], Wc.shape[0]
    chunk = _resolve_chunk(chunk_size, m)
    out = np.empty((n, m), dtype=np.float64)
    for s in range(0, n, chunk):
        e = min(s + chunk, n)
        block, _ = _chunk_sq(X[s:e], Wc, W2T, center, metric)
        out[s:e] = np.sqrt(block) if metric == "euclidean" else block
    return out


def masked_row_distances(x: np.ndarray, codebook: np.ndarray, metric: str) -> np.ndarray:
    """Distances of one sample with missing values to every prototype, shape (M,)."""
    return distance_matrix_masked(x[None, :], codebook, metric=metric)[0]
