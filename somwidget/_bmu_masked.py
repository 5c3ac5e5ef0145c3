"""The BMU search and distance matrices of data with missing values (NaN); re-exported by
:mod:`somwidget.bmu`, whose ``find_bmus`` and ``distance_matrix`` dispatch here.

Samples with NaN (``SOM(missing="ignore")``) go to :func:`find_bmus_masked` and
:func:`distance_matrix_masked`: distances over the known components, rescaled to the full
dimension (R kohonen)::

    d(x, w)^2 = D / |K(x)| * sum_{k in K(x)} (x_k - w_k)^2                   ("euclidean")

``"sqeuclidean"`` is that squared distance, ``"cityblock"`` is ``D / |K| * sum_K |x_k - w_k|``
and ``"chebyshev"`` is ``max_K |x_k - w_k|`` (a maximum needs no rescaling); other metrics are
refused with missing values. With the mask ``M`` (1 = known) and ``X0`` the data with NaN
replaced by 0, the Euclidean sums of a chunk are two float64 matrix products::

    sum_k M_k (x_k - w_k)^2 = ||x0||^2 - 2 X0 . W^T + M . (W^2)^T

on data and codebook shifted by the codebook mean. ``find_bmus_masked`` then ranks by direct
differences (as ``cdist`` on the known components) every unit whose value is within the
rounding bound of these sums of the k-th best (usually just the k best; ties: lower index
first). A row with no known value has no BMU and is refused. ``find_bmus`` and
``distance_matrix`` dispatch there when the data hold a NaN (one reduction over the data finds
out, without a temporary array).
"""

from __future__ import annotations

import numpy as np

from ._bmu_common import _resolve_chunk, check_metric
from .euclidean import pow2_scales

__all__ = [
    "MASKED_METRICS",
    "check_masked_metric",
    "distance_matrix_masked",
    "find_bmus_masked",
    "has_missing",
    "masked_argmin",
    "masked_row_distances",
]


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
    # by a power of two per row (exact), so that the squares of differences beyond 1e154 stay
    # finite (a squared distance beyond float64 is an honest inf)
    p = pow2_scales(np.abs(diff).max(axis=1)) if diff.size else np.ones(diff.shape[0])
    diff /= p[:, None]
    sq = np.einsum("ij,ij->i", diff, diff) * scale
    if metric == "sqeuclidean":
        with np.errstate(over="ignore"):
            return sq * (p * p)
    return np.sqrt(sq) * p


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


def _chunk_values(X: np.ndarray, A: np.ndarray | None, Wc: np.ndarray, W2T: np.ndarray,
                  center: np.ndarray, metric: str) -> tuple[np.ndarray, np.ndarray]:
    """The ranking values of one chunk and its ``D / |K|``: one GEMM with the Euclidean
    metrics' stacked codebook ``A`` (:func:`_chunk_rank`), else the distances
    (:func:`_chunk_sq`)."""
    if A is not None:
        return _chunk_rank(X, A, center)
    return _chunk_sq(X, Wc, W2T, center, metric)


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
        block, _ = _chunk_values(X[s:e], A, Wc, W2T, center, metric)
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
    with np.errstate(over="ignore"):  # an inf norm: every row compared with every unit
        w_norm = float(np.sqrt((Wc * Wc).sum(axis=1).max()))
    w_ext = float(np.abs(Wc).max())
    for s in range(0, n, chunk):
        e = min(s + chunk, n)
        block, scale = _chunk_values(X[s:e], A, Wc, W2T, center, metric)
        tol = _rank_error(X[s:e], center, scale, metric, w_norm, w_ext)
        _top_k_block(X[s:e], W, block, scale, tol, k, metric, idx[s:e], dist[s:e])
    return idx, dist


def _rank_error(X: np.ndarray, center: np.ndarray, scale: np.ndarray, metric: str,
                w_norm: float, w_ext: float) -> np.ndarray:
    """A bound (per row, with a safety factor of 2) of the rounding error of the ranking values
    of one chunk (:func:`_chunk_values`: a GEMM of centred values for the Euclidean metrics,
    sums or maxima of centred differences for the others); ``w_norm`` and ``w_ext`` are the
    largest norm and entry of the centred codebook."""
    with np.errstate(invalid="ignore", over="ignore"):
        return _rank_error_of(np.abs(X - center), X.shape[1], scale, metric, w_norm, w_ext)


def _rank_error_of(xc: np.ndarray, d: int, scale: np.ndarray, metric: str, w_norm: float,
                   w_ext: float) -> np.ndarray:
    u = 2.0**-53
    if metric in ("euclidean", "sqeuclidean"):
        xn = np.sqrt(np.nansum(xc * xc, axis=1))
        return 2.0 * (2 * d + 4) * u * (2.0 * xn * w_norm + w_norm * w_norm)
    xmax = np.nanmax(xc, axis=1)
    if metric == "cityblock":
        return 2.0 * (d + 4) * u * d * scale * (xmax + w_ext)
    return 2.0 * 4 * u * (xmax + w_ext)


def _top_k_block(X: np.ndarray, W: np.ndarray, block: np.ndarray, scale: np.ndarray,
                 tol: np.ndarray, k: int, metric: str, idx: np.ndarray, dist: np.ndarray) -> None:
    """The exact top ``k`` of one chunk into ``idx`` and ``dist``: only units whose ranking
    value is within twice ``tol`` of the row's k-th smallest can be among them; where those are
    exactly ``k`` (the usual case) they are the k smallest ranking values, ranked by their exact
    distances; the other rows (near ties) are ranked among all their candidates
    (:func:`_exact_among`). Ties: lower index first."""
    m = block.shape[1]
    if k == 1:
        sel = np.argmin(block, axis=1)[:, None]
        kth = np.take_along_axis(block, sel, axis=1)[:, 0]
    elif k < m:
        sel = np.argpartition(block, k - 1, axis=1)[:, :k]
        kth = np.take_along_axis(block, sel[:, k - 1 : k], axis=1)[:, 0]
    else:
        sel = np.broadcast_to(np.arange(m), block.shape).copy()
        kth = block.max(axis=1)
    thr = kth + 2.0 * tol
    # rows whose ranking values can overflow (NaN, inf: values beyond 1e140) compare with all
    huge = ~(tol < _HUGE_ERROR)
    thr[huge] = np.nan
    near = np.flatnonzero(np.count_nonzero(block <= thr[:, None], axis=1) != k)
    d = np.empty(sel.shape)
    for j in range(k):
        d[:, j] = _exact(X, W, sel[:, j], scale, metric)
    if k > 1:
        order = np.lexsort((sel, d), axis=1)  # by distance, ties by lower index
        sel = np.take_along_axis(sel, order, axis=1)
        d = np.take_along_axis(d, order, axis=1)
    idx[:] = sel
    dist[:] = d
    if near.size:
        b, t = block[near], thr[near, None]
        cand = (b <= t) | np.isnan(t)
        idx[near], dist[near] = _exact_among(X[near], W, cand, k, scale[near], metric)


# a bound of the ranking error above which the ranking values may have overflowed
_HUGE_ERROR = 1e260

# differences of one group of candidate rows in _exact_among
_EXACT_ELEMENTS = 1 << 19


def _exact_among(X: np.ndarray, W: np.ndarray, cand: np.ndarray, k: int, scale: np.ndarray,
                 metric: str) -> tuple[np.ndarray, np.ndarray]:
    """The exact top ``k`` of each row of ``X`` among its candidate units (``cand``, (r, M)
    bool, at least ``k`` per row), by direct differences over the known components (as
    ``cdist`` on them, rescaled); ties: lower index first."""
    r, d = X.shape
    idx = np.empty((r, k), dtype=np.intp)
    dist = np.empty((r, k), dtype=np.float64)
    counts = cand.sum(axis=1)
    work = np.cumsum(counts * d)
    a = 0
    while a < r:  # rows in groups of about _EXACT_ELEMENTS differences (at least one row)
        done = work[a - 1] if a else 0
        b = max(a + 1, int(np.searchsorted(work, done + _EXACT_ELEMENTS, side="right")))
        rows, cols = np.nonzero(cand[a:b])
        dv = _exact(X[a:b][rows], W, cols, scale[a:b][rows], metric)
        order = np.lexsort((cols, dv, rows))  # by row, then distance, then unit
        starts = np.concatenate([[0], np.cumsum(counts[a:b])[:-1]])
        pick = order[starts[:, None] + np.arange(k)]
        idx[a:b] = cols[pick]
        dist[a:b] = dv[pick]
        a = b
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
