"""The Euclidean BMU search: float32 GEMMs whose result is exact at any magnitude.

How one block of samples is searched
------------------------------------
Data and codebook are shifted by a common centre ``c`` (the codebook mean, or the data mean
during training) and divided by a power of two ``s`` (exact in floating point), so that every
value the float32 product sees is at most about 1 in magnitude: no overflow at 1e20 or 1e154,
and the data's offset (a Unix timestamp column, say) is gone before the rounding to float32.
The queries are augmented with a column of ones and the codebook with its squared norms::

    [x', 1] . [-2 w' ; ||w'||^2]^T  =  ||w'||^2 - 2 x'.w'  =  ||x' - w'||^2 - ||x'||^2

(``x' = (x - c) / s``), one GEMM per block of rows, ``argmin`` on a cache-sized block. Memory
is bounded by the blocks: about 1 MiB of float32 scores (rows x M) per search thread, or the
whole ``N x M`` as one block when that fits in 8 MiB (:func:`somwidget._bmu_common.search_chunk`).
Batch training on data of at most 64 MB (all rows, no weights or missing values) also builds
:class:`somwidget._training_search.PreparedQueries` once per call, a scaled float32
``(N, D + 1)`` copy; larger data are shifted and scaled block by block.

When float32 is not enough
--------------------------
The rounding error of each computed score is bounded (forward error of a dot product of length
``D + 1`` with rounded inputs) by ``B = (gamma_{D+1} + 4u) (2 |x'| wmax + wmax^2)``, ``u = 2^-24``,
``wmax`` the largest centred codebook norm. Two units whose scores differ by more than ``2 B``
are ordered correctly, so:

* :func:`nearest` (what :func:`somwidget.bmu.find_bmus` uses) takes the ``k + 1`` best float32
  candidates of each row, ranks the first ``k`` by exact float64 distances, and recomputes the
  rows where the float32 gap between candidate ``k`` and ``k + 1`` is at most ``2 B``: one
  float64 product narrows each to the units within float64's bound of its k-th best, ranked
  by direct differences (tight clusters far from the centre make most rows such rows; all M
  units per row cost 9-25x a search). The result is the exact float64 top ``k`` (ties: lower
  index first), as :func:`scipy.spatial.distance.cdist` would give.
* :func:`somwidget._training_search.argmin_units` (training) is cheaper: one float32 argmin, and float64 only for the rows
  where ``2 B`` exceeds ``rtol`` times the winner's squared distance (for typical, standardised
  data: none). A winner kept there is within ``rtol`` of the best squared distance.

Reported distances are always computed in float64 from the original vectors, scaled by ``s``
so that their squares cannot overflow.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from . import _block_threads, _sums_jit
from ._user_frame import user_stacklevel

__all__ = [
    "SCALE_RATIO_WARNING",
    "EuclideanSearch",
    "exact_top_k",
    "nearest",
    "pow2_scale",
    "pow2_scales",
    "relative_weights",
    "warn_disparate_scales",
]

_U32 = 2.0**-24
# between these scales the squared norms of the unscaled shifted rows and 1 / s**2 stay finite
_SQUARE_SAFE = 2.0**300
_SQUARE_TINY = 2.0**-300
# rows of the float64 fallback per sub-block (rows x M x D float64 differences)
_EXACT_ELEMENTS = 1 << 19


def pow2_scale(extent: float) -> float:
    """The smallest power of two >= ``extent`` (1 for 0, inf or NaN; 2**1023, the largest
    float64 power of two, for an extent beyond it; 2**-1021 at least, so that its inverse is
    finite: subnormal data, below 2.2e-308, are scaled up by 2**1021)."""
    if not (extent > 0.0) or not math.isfinite(extent):
        return 1.0
    return math.ldexp(1.0, max(min(math.frexp(extent)[1], 1023), -1021))


def pow2_scales(extents: np.ndarray) -> np.ndarray:
    """:func:`pow2_scale` of every entry of ``extents`` (the rows of an array, its columns):
    dividing by it is exact and brings each to at most 1 in magnitude."""
    e = np.asarray(extents, dtype=np.float64)
    ok = (e > 0.0) & np.isfinite(e)
    exps = np.clip(np.frexp(np.where(ok, e, 1.0))[1], -1021, 1023)
    return np.where(ok, np.ldexp(1.0, exps), 1.0)


def relative_weights(w: np.ndarray) -> tuple[np.ndarray, float]:
    """Sample weights divided by a power of two near the largest, and that power.

    The division is exact, so every weighted sum and ratio is bit-equal to the unscaled one
    where that is finite, while weights near 1e308 no longer overflow the sums (training, the
    supervised estimators' per-neuron sums and the Dask partitions use only ratios of weights).
    """
    w = np.asarray(w, dtype=np.float64)
    scale = pow2_scale(float(w.max())) if w.size else 1.0
    return w / scale, scale


def _extent(A: np.ndarray, center: np.ndarray) -> float:
    """``max |A - center|`` over all entries, from the per-feature min and max (no temporary)."""
    if A.shape[0] == 0:
        return 0.0
    hi = np.max(A, axis=0).astype(np.float64) - center
    lo = np.min(A, axis=0).astype(np.float64) - center
    return float(max(np.abs(hi).max(), np.abs(lo).max()))


class EuclideanSearch:
    """A codebook prepared for the float32 search (centre, scale, augmented transpose).

    Parameters
    ----------
    codebook : ndarray (M, D)
    center : ndarray (D,), optional
        Default: the codebook mean.
    data_extent : float, optional
        ``max |x - center|`` of the data to be searched, when known (training computes it once
        per fit). Without it each block's extent is measured.
    scale : float, optional
        With ``data_extent``: the power of two to divide by, if it is large enough (prepared
        queries, :class:`~somwidget._training_search.PreparedQueries`, were scaled by it).
    """

    def __init__(self, codebook: np.ndarray, center: np.ndarray | None = None,
                 data_extent: float | None = None, scale: float | None = None) -> None:
        W = np.asarray(codebook, dtype=np.float64)
        self.W = W
        self.center = W.mean(axis=0) if center is None else np.asarray(center, dtype=np.float64)
        self.Wc = W - self.center
        self.w_extent = float(np.abs(self.Wc).max()) if self.Wc.size else 0.0
        self.data_extent = data_extent
        #: the PreparedQueries (somwidget._training_search) of the data this search runs on,
        #: set by the training loop
        self.prepared: Any = None
        #: the principal plane the codebook lies in, when the caller knows it does (a PCA
        #: initial codebook: its first training search runs there, somwidget._principal_plane)
        self.plane: Any = None
        d = W.shape[1]
        self.gamma = (d + 1) * _U32 / (1.0 - (d + 1) * _U32) + 4.0 * _U32
        self.scale = 0.0
        self.Wa = np.empty((W.shape[0], d + 1), dtype=np.float32)
        self.wmax = 0.0
        if data_extent is not None:
            # a given scale (that of prepared queries) is kept while it covers the codebook
            need = pow2_scale(max(data_extent, self.w_extent))
            self._set_scale(scale if scale is not None and scale >= need else need)

    def set_codebook(self, codebook: np.ndarray) -> EuclideanSearch:
        """Search ``codebook`` (same shape) from now on, keeping the centre, the data extent and
        the scale (while it covers the new codebook, as prepared queries need): the training
        loop's one search per fit, updated each epoch instead of built again."""
        W = np.asarray(codebook, dtype=np.float64)
        if W.shape != self.W.shape:
            raise ValueError(f"codebook has shape {W.shape}; this search has {self.W.shape}")
        self.W = W
        self.plane = None  # the caller sets it again when the new codebook lies in one
        # one compiled pass once numba's loops are built: the same values (somwidget._sums_jit)
        kernel = _sums_jit.kernel_for(W.size) if self.Wc.size else None
        compiled = kernel is not None and _sums_jit.c_float64(W, self.center)
        s = self.scale
        if compiled and self.data_extent is not None and _SQUARE_TINY < s < _SQUARE_SAFE:
            # centred, scaled and its norms in one pass at the current scale, kept if it
            # still covers the codebook (as it does epoch after epoch)
            inv = 1.0 / s
            top, wn_top = kernel.prepare_rows(W, self.center, -2.0 * inv, inv * inv, self.Wc,
                                              self.Wa)
            self.w_extent = float(top)
            if s >= pow2_scale(max(self.data_extent, self.w_extent)):
                self.wmax = math.sqrt(wn_top)
                return self
        elif compiled:
            self.w_extent = float(kernel.centre_rows(W, self.center, self.Wc))
        else:
            np.subtract(W, self.center, out=self.Wc)
            self.w_extent = (float(max(self.Wc.max(), -self.Wc.min())) if self.Wc.size else 0.0)
        if self.data_extent is not None:
            need = pow2_scale(max(self.data_extent, self.w_extent))
            s = self.scale if self.scale >= need else need
            self.scale = 0.0  # the codebook changed: recompute at whatever scale
            self._set_scale(s)
        return self

    def for_worker(self) -> EuclideanSearch:
        """This search, or for one that rescales per block (no data extent given) a copy with
        the same centre: each thread searching blocks side by side needs its own then."""
        if self.data_extent is not None:
            return self
        twin = EuclideanSearch(self.W, self.center)
        twin.prepared = self.prepared
        return twin

    def _set_scale(self, s: float) -> None:
        if s == self.scale:
            return
        self.scale = s
        inv = 1.0 / s  # a power of two: the scaled codebook is exact
        Wa = self.Wa
        safe = _SQUARE_TINY < s < _SQUARE_SAFE  # |x - c|^2 and 1 / s^2 stay finite
        kernel = _sums_jit.kernel_for(Wa.size)
        if kernel is not None:
            wn_top = kernel.scale_rows(self.Wc, -2.0 * inv, inv * inv if safe else 0.0, Wa)
            if safe:
                self.wmax = math.sqrt(wn_top)
                return
        else:
            np.multiply(self.Wc, -2.0 * inv, out=Wa[:, :-1], casting="same_kind")
        if safe:
            wn = np.einsum("ij,ij->i", self.Wc, self.Wc)
            wn *= inv * inv
        else:
            Wc = self.Wc * inv
            wn = np.einsum("ij,ij->i", Wc, Wc)
        Wa[:, -1] = wn
        self.wmax = float(np.sqrt(wn.max())) if wn.size else 0.0

    @property
    def WaT(self) -> np.ndarray:
        """The augmented codebook ``[-2 w' ; ||w'||^2]`` (D + 1, M) float32, a transposed view
        (the GEMMs read it as it is)."""
        return self.Wa.T

    def scores(self, Xb: np.ndarray, qbuf: np.ndarray, gbuf: np.ndarray,
               xbuf: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Float32 scores ``||w'||^2 - 2 x'.w'`` of one block, the rows' error bounds ``B`` and
        their squared norms ``|x'|^2`` (float64).

        ``qbuf`` (>= rows, D + 1) and ``gbuf`` (>= rows, M) are float32 scratch, ``xbuf``
        (>= rows, D) optional float64 scratch; the returned scores are a view of ``gbuf``.
        """
        r = Xb.shape[0]
        if self.data_extent is None:
            self._set_scale(pow2_scale(max(_extent(Xb, self.center), self.w_extent)))
        q = qbuf[:r]
        xc = np.subtract(Xb, self.center, out=None if xbuf is None else xbuf[:r],
                         dtype=np.float64)
        inv = 1.0 / self.scale  # a power of two: scaling is exact
        if _SQUARE_TINY < self.scale < _SQUARE_SAFE:  # |x - c|^2 and 1 / s^2 stay finite
            np.multiply(xc, inv, out=q[:, :-1], casting="same_kind")
            xn = np.einsum("ij,ij->i", xc, xc)
            xn *= inv * inv
        else:
            xc *= inv
            q[:, :-1] = xc
            xn = np.einsum("ij,ij->i", xc, xc)
        q[:, -1] = 1.0
        g = gbuf[:r]
        np.matmul(q, self.WaT, out=g)
        bound = np.sqrt(xn)
        bound *= 2.0 * self.gamma * self.wmax
        bound += self.gamma * self.wmax * self.wmax
        return g, bound, xn


def exact_top_k(Xr: np.ndarray, W: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Exact float64 top ``k`` of a few rows against every unit (direct differences, as ``cdist``;
    ties: lower index first). Returns indices (r, k) and distances (r, k)."""
    r, d = Xr.shape
    m = W.shape[0]
    idx = np.empty((r, k), dtype=np.intp)
    dist = np.empty((r, k), dtype=np.float64)
    step = max(1, _EXACT_ELEMENTS // max(1, m * d))
    for a in range(0, r, step):
        b = min(r, a + step)
        x = np.asarray(Xr[a:b], dtype=np.float64)
        s = pow2_scale(max(float(np.abs(x).max()), float(np.abs(W).max())))
        diff = (x[:, None, :] - W[None, :, :]) * (1.0 / s)
        d2 = np.einsum("ijk,ijk->ij", diff, diff)
        if k == 1:
            sel = np.argmin(d2, axis=1)[:, None]
        else:
            sel = np.argsort(d2, axis=1, kind="stable")[:, :k]
        idx[a:b] = sel
        dist[a:b] = s * np.sqrt(np.take_along_axis(d2, sel, axis=1))
    return idx, dist


def _distances_to(Xb: np.ndarray, W: np.ndarray, sel: np.ndarray, bound: float) -> np.ndarray:
    """Exact float64 distances from each row of ``Xb`` to the units ``sel`` (r, c); ``bound``
    (a power of two) is at least every ``|x - w|`` entry, so the scaled squares cannot
    overflow."""
    bound = min(bound, 2.0**1023)  # twice the largest scale (inf) halved: squares stay finite
    diff = np.subtract(Xb[:, None, :], W[sel], dtype=np.float64)
    if bound != 1.0:
        diff *= 1.0 / bound
    out = np.sqrt(np.einsum("ijk,ijk->ij", diff, diff))
    out *= bound
    return out


def _candidates(g: np.ndarray, c: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``c`` smallest scores of each row (indices and values, ascending). Destroys ``g``."""
    r, m = g.shape
    if c >= m:
        sel = np.argsort(g, axis=1, kind="stable")
        return sel, np.take_along_axis(g, sel, axis=1)
    if c <= 4:  # repeated argmin: a few passes over a cache-resident block
        flat = g.reshape(-1)
        base = np.arange(r) * m
        sel = np.empty((r, c), dtype=np.intp)
        vals = np.empty((r, c), dtype=g.dtype)
        for j in range(c):
            a = np.argmin(g, axis=1)
            sel[:, j] = a
            vals[:, j] = flat[base + a]
            if j + 1 < c:
                flat[base + a] = np.inf
        return sel, vals
    part = np.argpartition(g, c - 1, axis=1)[:, :c]
    vals = np.take_along_axis(g, part, axis=1)
    order = np.lexsort((part, vals), axis=1)
    return np.take_along_axis(part, order, axis=1), np.take_along_axis(vals, order, axis=1)


def nearest(
    X: np.ndarray, codebook: np.ndarray, k: int, chunk: int,
    out: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Exact Euclidean top ``k`` units of every row of ``X`` (module notes).

    ``X`` is read block by block in its own dtype (float32 stays float32), the blocks shared
    among the BLAS pool's threads (:func:`somwidget._block_threads.run_blocks`). Returns
    indices (N, k) intp and float64 distances (N, k).
    """
    n = X.shape[0]
    W = np.asarray(codebook, dtype=np.float64)
    m = W.shape[0]
    idx, dist = out if out is not None else (np.empty((n, k), np.intp), np.empty((n, k)))
    if n == 0:
        return idx, dist
    search = EuclideanSearch(W)
    d = W.shape[1]
    rows, threads = _block_threads.plan(n, _block_threads.worker_rows(chunk, m), m * (d + 1))
    scratch = [(search if w == 0 else search.for_worker(),
                np.empty((rows, d + 1), np.float32), np.empty((rows, m), np.float32))
               for w in range(threads if threads > 1 else 0)]

    def work(w: int, s: int, e: int) -> None:
        _nearest_block(X, s, e, *scratch[w], k, idx, dist)

    if not _block_threads.run_blocks(n, rows, work, threads):
        rows = min(chunk, n)
        qbuf = np.empty((rows, d + 1), dtype=np.float32)
        gbuf = np.empty((rows, m), dtype=np.float32)
        for s in range(0, n, chunk):
            _nearest_block(X, s, min(s + chunk, n), search, qbuf, gbuf, k, idx, dist)
    return idx, dist


def _nearest_block(X: np.ndarray, s: int, e: int, search: EuclideanSearch, qbuf: np.ndarray,
                   gbuf: np.ndarray, k: int, idx: np.ndarray, dist: np.ndarray) -> None:
    """:func:`nearest` for the rows ``s:e`` of ``X``, written to ``idx[s:e]`` and ``dist[s:e]``."""
    W = search.W
    c = min(k + 1, W.shape[0])
    Xb = X[s:e]
    g, bound, _ = search.scores(Xb, qbuf, gbuf)
    sel, vals = _candidates(g, c)
    if c > k:
        gap = vals[:, k].astype(np.float64) - vals[:, k - 1]
        unsure = np.flatnonzero(gap <= 2.0 * bound)
        sel = sel[:, :k]
    else:  # every unit is a candidate: the exact ranking below is complete
        unsure = np.empty(0, dtype=np.intp)
    # |x - w| <= |x - c| + |w - c| <= 2 s (the search's scale covers both)
    d = _distances_to(Xb, W, sel, 2.0 * search.scale)
    if k > 1:
        order = np.lexsort((sel, d), axis=1)
        sel = np.take_along_axis(sel, order, axis=1)
        d = np.take_along_axis(d, order, axis=1)
    idx[s:e] = sel[:, :k]
    dist[s:e] = d[:, :k]
    if unsure.size:
        Xu = Xb[unsure]  # ranked exactly among the units that can still be in their top k
        ui, ud = exact_among(Xu, W, _float64_candidates(Xu, search, k), k, 2.0 * search.scale)
        idx[s + unsure] = ui
        dist[s + unsure] = ud


def _float64_scores(Xr: np.ndarray, search: EuclideanSearch,
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The scores ``||w'||^2 - 2 x'.w'`` of a few rows again as one float64 GEMM of the shifted,
    scaled rows (twice the float32 cost, not the tenfold of direct differences), their squared
    norms ``|x'|^2`` and float64's error bound of each row's scores."""
    inv = 1.0 / search.scale
    xc = np.subtract(Xr, search.center, dtype=np.float64)
    xc *= inv
    Wc = search.Wc * inv
    wn = np.einsum("ij,ij->i", Wc, Wc)
    g = xc @ Wc.T
    g *= -2.0
    g += wn
    xn = np.einsum("ij,ij->i", xc, xc)
    wmax = float(np.sqrt(wn.max())) if wn.size else 0.0
    gamma = (Xr.shape[1] + 1) * 2.0**-53 * 1.01 + 4.0 * 2.0**-53
    return g, xn, gamma * (2.0 * wmax * np.sqrt(xn) + wmax * wmax)


def _float64_candidates(Xr: np.ndarray, search: EuclideanSearch, k: int) -> np.ndarray:
    """The units (r, M) bool that can be among the exact top ``k`` of each row of ``Xr``: every
    unit whose float64 score (:func:`_float64_scores`) is within twice its error bound of the
    k-th best (any other is strictly farther than ``k`` units). Usually ``k`` or ``k + 1`` per
    row, where the float32 bound left tens (tight clusters far from the centre: a 9-25x slower
    search before)."""
    g, _, bound = _float64_scores(Xr, search)
    kth = np.partition(g, k - 1, axis=1)[:, k - 1] if k < g.shape[1] else g.max(axis=1)
    return g <= (kth + 2.0 * bound)[:, None]


def exact_among(Xr: np.ndarray, W: np.ndarray, candidates: np.ndarray, k: int,
                bound: float) -> tuple[np.ndarray, np.ndarray]:
    """Exact float64 top ``k`` of each row of ``Xr`` among its ``candidates`` (r, M) bool (at
    least ``k`` per row), by direct differences (as ``cdist``; ties: lower index first).
    ``bound`` (a power of two) is at least every ``|x - w|`` entry, so the scaled squares
    cannot overflow. Returns indices (r, k) and distances (r, k)."""
    r, d = Xr.shape
    bound = min(bound, 2.0**1023)  # twice the largest scale (inf) halved: squares stay finite
    idx = np.empty((r, k), dtype=np.intp)
    dist = np.empty((r, k), dtype=np.float64)
    counts = candidates.sum(axis=1)
    work = np.cumsum(counts * d)  # differences up to each row
    a = 0
    while a < r:  # rows in groups of about _EXACT_ELEMENTS differences (at least one row)
        done = work[a - 1] if a else 0
        b = max(a + 1, int(np.searchsorted(work, done + _EXACT_ELEMENTS, side="right")))
        rows, cols = np.nonzero(candidates[a:b])
        diff = np.subtract(Xr[a:b][rows], W[cols], dtype=np.float64)
        if bound != 1.0:
            diff *= 1.0 / bound
        d2 = np.einsum("ij,ij->i", diff, diff)
        order = np.lexsort((cols, d2, rows))  # by row, then distance, then unit
        starts = np.concatenate([[0], np.cumsum(counts[a:b])[:-1]])
        pick = order[starts[:, None] + np.arange(k)]
        idx[a:b] = cols[pick]
        dist[a:b] = bound * np.sqrt(d2[pick])
        a = b
    return idx, dist


#: Ratio of the largest to the smallest (non-zero) feature spread above which
#: ``normalization="none"`` warns.
SCALE_RATIO_WARNING = 1e3


def warn_disparate_scales(X: np.ndarray) -> None:
    """Warn when the features' spreads (max - min) differ by more than
    :data:`SCALE_RATIO_WARNING`: without normalisation the widest feature then decides every
    BMU alone (the search itself stays exact, see the module notes). The warning names the
    user's line."""
    if X.shape[0] < 2:
        return
    with np.errstate(invalid="ignore"):
        spread = np.nanmax(X, axis=0).astype(np.float64) - np.nanmin(X, axis=0)
    spread = spread[np.isfinite(spread) & (spread > 0)]
    if spread.size < 2:
        return
    ratio = float(spread.max() / spread.min())
    if ratio > SCALE_RATIO_WARNING:
        import warnings

        warnings.warn(
            f"normalization='none' with features whose ranges differ by a factor of {ratio:.3g}: "
            "the widest feature dominates every distance; consider normalization='standard' "
            "or 'minmax'",
            UserWarning,
            stacklevel=user_stacklevel(),
        )
