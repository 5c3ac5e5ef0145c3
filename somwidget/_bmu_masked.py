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

on data and codebook shifted by the codebook mean; the winners' distances are then recomputed
directly. A row with no known value has no BMU and is refused. ``find_bmus`` and
``distance_matrix`` dispatch there when the data hold a NaN (one reduction over the data finds
out, without a temporary array).
"""

from __future__ import annotations

import numpy as np

from ._bmu_common import _resolve_chunk, _smallest_k, check_metric

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
    for s in range(0, n, chunk):
        e = min(s + chunk, n)
        block, scale = _chunk_values(X[s:e], A, Wc, W2T, center, metric)
        sel = _smallest_k(block, k)
        idx[s:e] = sel
        for j in range(k):
            dist[s:e, j] = _exact(X[s:e], W, sel[:, j], scale, metric)
    if k > 1:
        order = np.lexsort((idx, dist), axis=1)  # by distance, ties by lower index
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
