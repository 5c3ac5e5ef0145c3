"""Best-matching-unit search and sample-to-neuron distance matrices.

Euclidean fast path
-------------------
For the Euclidean metric the search is one float32 matrix product per chunk of samples, on data
and codebook shifted by a common centre and scaled by a power of two, with a float64 fallback
for the rows where float32 rounding could change the answer: :func:`find_bmus` returns the exact
float64 top ``k`` at any magnitude (timestamps, 1e20, 1e154), see :mod:`somwidget.euclidean`.
Memory is bounded by the blocks: one float32 block of scores per search thread, about 1 MiB
(rows x M), or the whole ``N x M`` at once when that fits in 8 MiB; the data are shifted and
scaled block by block, never copied whole (float32 data is read as float32). Reported distances
are float64 from the original vectors.

Missing values
--------------
Samples with NaN (``SOM(missing="ignore")``) go to :func:`find_bmus_masked` and
:func:`distance_matrix_masked` (:mod:`somwidget._bmu_masked`, with the formulas): distances over
the known components, rescaled to the full dimension. ``find_bmus`` and ``distance_matrix``
dispatch there when the data hold a NaN (one reduction over the data finds out, without a
temporary array).

Other metrics
-------------
Any metric name accepted by :func:`scipy.spatial.distance.cdist` except the two whose result
depends on statistics of the whole call (``"mahalanobis"`` and ``"seuclidean"``, which would
change from chunk to chunk) is evaluated chunk by chunk with ``cdist``. ``"chebyshev"`` is the
maximum absolute difference, ``max_d |x_d - w_d|``.

The metric names, checks and ``cdist``, the chunk size and the k-smallest selection are in
:mod:`somwidget._bmu_common`; every name is re-exported here.
"""

from __future__ import annotations

import numpy as np

from . import euclidean as _euclidean

# each ``name as name``: importable from here as before the split, though not in __all__
from ._bmu_common import _BLOCK_BYTES as _BLOCK_BYTES
from ._bmu_common import (
    BOOLEAN_METRICS,
    METRIC_ALIASES,
    METRICS,
    _resolve_chunk,
    _smallest_k,
    check_metric,
    check_metric_domain,
    check_trainable_metric,
    default_chunk_size,
    metric_cdist,
    search_chunk,
)
from ._bmu_common import _distance as _distance
from ._bmu_common import cdist as cdist
from ._bmu_masked import (
    MASKED_METRICS,
    check_masked_metric,
    distance_matrix_masked,
    find_bmus_masked,
    has_missing,
    masked_argmin,
)
from ._bmu_masked import _chunk_rank as _chunk_rank
from ._bmu_masked import _chunk_sq as _chunk_sq
from ._bmu_masked import _exact as _exact
from ._bmu_masked import _known_mask as _known_mask
from ._bmu_masked import _prepared as _prepared
from ._bmu_masked import masked_row_distances as masked_row_distances
from ._training_search import argmin_units
from .validation import check_array, check_int

__all__ = [
    "BOOLEAN_METRICS",
    "METRICS",
    "METRIC_ALIASES",
    "as_float_array",
    "check_metric",
    "check_metric_domain",
    "check_trainable_metric",
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


def as_float_array(X: object) -> np.ndarray:
    """``X`` as a 2-D float32 or float64 array, without a copy when it already is one (other
    dtypes become float64)."""
    A = np.asarray(X)
    if A.dtype not in (np.float32, np.float64):
        A = A.astype(np.float64)
    return A


def _checked_inputs(X: object, codebook: object, metric: str) -> tuple[np.ndarray, np.ndarray]:
    """``X`` (float32 kept, NaN allowed: the missing-value path) and ``codebook`` (float64,
    finite) checked as :func:`somwidget.validation.check_array` checks data (2-D, real, at least
    one feature; inf refused in both), with as many features each, and inside ``metric``'s
    domain (:func:`check_metric_domain`). One O(N x D) pass over ``X``."""
    X, _ = check_array("X", X, min_samples=0, allow_nan=True, keep_float32=True)
    W, _ = check_array("codebook", codebook)
    if X.shape[1] != W.shape[1]:
        raise ValueError(f"X has {X.shape[1]} features but codebook has {W.shape[1]}: the "
                         "samples and the prototypes must have as many features")
    check_metric_domain(metric, W, "codebook")
    check_metric_domain(metric, X, "X")
    return X, W


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
        Samples (training space), float32 or float64 (read in its own dtype; copied only when
        not C-contiguous). NaN is a missing value; infinite values are refused.
    codebook : ndarray (M, D)
        Prototype vectors, finite, M >= 1.
    metric : str
        ``"euclidean"`` (float32 GEMM search, exact at any magnitude, see
        :mod:`somwidget.euclidean`) or any name in :data:`METRICS`.
    k : int
        Number of units per sample (1 = BMU, 2 = BMU and second BMU, ...), at most M.
    chunk_size : int, optional
        Samples per block. Default: for the Euclidean metric the whole data as one block when
        its float32 scores (N x M) fit in 8 MiB, else about 1 MiB of scores per block
        (:func:`search_chunk`); for other metrics :func:`default_chunk_size`.

    Returns
    -------
    indices : ndarray (N, k) of intp
        Units sorted by increasing distance (ties: lower index first).
    distances : ndarray (N, k) float64
        The corresponding distances in the data metric.

    Raises
    ------
    ValueError or TypeError
        For malformed ``X`` or ``codebook`` (not 2-D real numbers, infinite values, NaN in the
        codebook, different numbers of features, vectors outside ``metric``'s domain, such as
        an all-zero row under ``"cosine"``). NaN in ``X`` is a missing value (module notes).
    """
    metric = check_metric(metric)
    X, codebook = _checked_inputs(X, codebook, metric)
    n, m = X.shape[0], codebook.shape[0]
    k = check_int("k", k, minimum=1, maximum=m)
    if has_missing(X):  # NaN: the known components only (SOM(missing="ignore"))
        return find_bmus_masked(X, codebook, metric=metric, k=k, chunk_size=chunk_size)
    if metric == "euclidean":
        return _euclidean.nearest(X, codebook, k, search_chunk(chunk_size, n, m))
    chunk = _resolve_chunk(chunk_size, m)
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
    squared distance) worse than the best (:func:`somwidget._training_search.argmin_units`).

    ``search`` is a prepared codebook (:class:`somwidget.euclidean.EuclideanSearch`, e.g. with
    the data's centre and extent known once per fit); built from ``codebook`` when missing.
    """
    X = as_float_array(X)
    m = codebook.shape[0]
    chunk = _resolve_chunk(chunk_size, m)
    if metric == "euclidean":
        if search is None:
            search = _euclidean.EuclideanSearch(codebook)
        return argmin_units(X, search, chunk)
    return find_bmus(X, codebook, metric=metric, k=1, chunk_size=chunk)[0][:, 0]

def distance_matrix(
    X: np.ndarray,
    codebook: np.ndarray,
    metric: str = "euclidean",
    chunk_size: int | None = None,
    dtype: type = np.float64,
) -> np.ndarray:
    """Distances from every sample to every neuron, shape (N, M), of ``dtype`` (float64, or
    float32: computed in float64 chunk by chunk and rounded once, the N x M result at half
    the memory).

    Euclidean distances use a float64 product per chunk (on centred data), with the entries
    where its cancellation could cost more than 1e-12 relative (distances small next to the
    vectors' norms: a sample on its prototype) recomputed by direct differences, so the result
    matches ``cdist`` to about 1e-12 relative; other metrics call ``cdist`` per chunk.

    Raises
    ------
    ValueError or TypeError
        For malformed ``X`` or ``codebook`` (not 2-D real numbers, infinite values, NaN in the
        codebook, different numbers of features, vectors outside ``metric``'s domain).
    """
    metric = check_metric(metric)
    X, codebook = _checked_inputs(X, codebook, metric)
    if has_missing(X):  # NaN: the known components only (SOM(missing="ignore"))
        return distance_matrix_masked(X, codebook, metric=metric,
                                      chunk_size=chunk_size).astype(dtype, copy=False)
    n, m = X.shape[0], codebook.shape[0]
    chunk = _resolve_chunk(chunk_size, m)
    out = np.empty((n, m), dtype=dtype)
    scratch = None if out.dtype == np.float64 else np.empty((min(chunk, n), m))
    if metric == "euclidean":
        center = codebook.mean(axis=0)
        Wc = codebook - center
        w_extent = float(np.abs(Wc).max()) if Wc.size else 0.0
        for s in range(0, n, chunk):
            e = min(s + chunk, n)
            blk = out[s:e] if scratch is None else scratch[: e - s]
            _euclidean_block(X[s:e], codebook, center, Wc, w_extent, blk)
            if scratch is not None:
                out[s:e] = blk
        return out
    for s in range(0, n, chunk):
        e = min(s + chunk, n)
        out[s:e] = metric_cdist(X[s:e], codebook, metric)
    return out


# float64's rounding of |x'|^2 - 2 x'.w' + |w'|^2 (a dot product of length D + 2) per unit of
# (|x'| + wmax)^2; entries whose squared distance is below that bound over _REL_SQ are recomputed
_REL_SQ = 2e-12


def _euclidean_block(Xb: np.ndarray, W: np.ndarray, center: np.ndarray, Wc: np.ndarray,
                     w_extent: float, blk: np.ndarray) -> None:
    """Euclidean distances of the rows ``Xb`` to every prototype into ``blk`` (float64): the
    expanded form on data and codebook shifted by ``center`` and scaled by a power of two, then
    direct differences of the original vectors wherever its error bound exceeds about 1e-12 of
    the distance (the whole block at most, a few entries per row usually)."""
    with np.errstate(over="ignore"):
        xc = np.subtract(Xb, center, dtype=np.float64)
    extent = max(float(np.abs(xc).max()) if xc.size else 0.0, w_extent)
    # a power of two (exact) keeps the squares finite at any magnitude
    sc = _euclidean.pow2_scale(extent)
    if np.isfinite(extent):
        xc *= 1.0 / sc
        ws = Wc * (1.0 / sc)
        wn = np.einsum("ij,ij->i", ws, ws)
        xn = np.einsum("ij,ij->i", xc, xc)
        np.matmul(xc, ws.T, out=blk)
        blk *= -2.0
        blk += wn
        blk += xn[:, None]
        gamma = (Xb.shape[1] + 2) * 2.0**-53 * 1.01
        wmax = float(np.sqrt(wn.max())) if wn.size else 0.0
        thr = np.sqrt(xn)
        thr += wmax
        thr *= thr
        thr *= gamma / _REL_SQ
        # the rows with a flagged entry first: one row reduction, not an N x M nonzero
        hit = np.flatnonzero(blk.min(axis=1, initial=np.inf) < thr)
        sub, cols = np.nonzero(blk[hit] < thr[hit, None])
        rows = hit[sub]
    else:  # vectors more than float64's maximum from the centre: direct differences only
        sc = 2.0**1023
        rows, cols = np.nonzero(np.ones(blk.shape, dtype=bool))
    # |x - w| <= |x - c| + |w - c| <= 2 sc, capped at float64's largest power of two (the
    # scaled squares stay finite; a difference beyond float64 is an honest inf)
    bound = min(2.0 * sc, 2.0**1023)
    step = max(1, (1 << 19) // max(1, Xb.shape[1]))
    for a in range(0, rows.size, step):
        r, c = rows[a : a + step], cols[a : a + step]
        with np.errstate(over="ignore"):  # beyond float64: an honest inf
            diff = np.subtract(Xb[r], W[c], dtype=np.float64)
        diff *= 1.0 / bound
        blk[r, c] = np.einsum("ij,ij->i", diff, diff)
    np.maximum(blk, 0.0, out=blk)
    np.sqrt(blk, out=blk)
    # the recomputed entries are in units of bound, the others of sc
    blk *= sc
    if rows.size and bound != sc:
        blk[rows, cols] *= bound / sc

