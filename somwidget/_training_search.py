"""The training search: one float32 argmin per row, float64 only where its error bound is
too wide (the contract in :mod:`somwidget.euclidean`'s notes, "When float32 is not enough").

:class:`PreparedQueries` are the scaled float32 queries of a whole (small) data set, built once
per training call; :func:`argmin_units` searches a data set in blocks, :func:`argmin_block` one
block (what each worker thread of :mod:`somwidget._map_step` runs), with the scratch of one
searcher in :class:`BlockBuffers`.
"""

from __future__ import annotations

import numpy as np

from . import _sums_jit
from .euclidean import EuclideanSearch, _float64_scores, exact_top_k

__all__ = ["BlockBuffers", "PreparedQueries", "argmin_block", "argmin_units", "matching_prepared"]


class PreparedQueries:
    """The scaled float32 queries ``[(x - c) / s, 1]`` and their squared norms, built once per
    training call when they are small (the training loop decides; large data are shifted and
    scaled block by block instead). Also keeps the score block between epochs."""

    def __init__(self, X: np.ndarray, center: np.ndarray, scale: float,
                 chunk_rows: int = 1 << 14) -> None:
        n, d = X.shape
        self.center = np.asarray(center, dtype=np.float64)
        self.scale = float(scale)
        self.Xq = np.empty((n, d + 1), dtype=np.float32)
        self.xn = np.empty(n, dtype=np.float64)
        for s in range(0, n, chunk_rows):
            xc = np.subtract(X[s : s + chunk_rows], self.center, dtype=np.float64)
            xc *= 1.0 / self.scale
            self.Xq[s : s + chunk_rows, :-1] = xc
            self.xn[s : s + chunk_rows] = np.einsum("ij,ij->i", xc, xc)
        self.Xq[:, -1] = 1.0
        self.xnorm = np.sqrt(self.xn)  # |x'| of every row, for the error bound of each epoch
        self.gbuf: np.ndarray | None = None

    def block(self, rows: int, m: int) -> np.ndarray:
        if self.gbuf is None or self.gbuf.shape[0] < rows or self.gbuf.shape[1] != m:
            self.gbuf = np.empty((rows, m), dtype=np.float32)
        return self.gbuf


def argmin_units(
    X: np.ndarray, search: EuclideanSearch, chunk: int, rtol: float = 1e-3,
    out: np.ndarray | None = None, prepared: PreparedQueries | None = None,
) -> np.ndarray:
    """Index of the nearest unit of every row of ``X`` for training: one float32 argmin per
    row, float64 only where the float32 error bound exceeds ``rtol`` of the winner's squared
    distance (module notes). ``prepared`` queries (same centre and scale as ``search``) save the
    per-block shift and scaling."""
    n, m = X.shape[0], search.W.shape[0]
    bmus = np.empty(n, dtype=np.intp) if out is None else out
    if n == 0:
        return bmus
    rows = min(chunk, n)
    prepared = matching_prepared(search, n, prepared)
    buffers = BlockBuffers(rows, X.shape[1], m, prepared)
    for s in range(0, n, chunk):
        argmin_block(X, s, min(s + chunk, n), search, prepared, buffers, bmus, rtol)
    return bmus


def matching_prepared(search: EuclideanSearch, n: int,
                      prepared: PreparedQueries | None = None) -> PreparedQueries | None:
    """``prepared`` (default: the search's own) if it holds the ``n`` rows searched with the
    search's centre and scale, else None (the blocks are then shifted and scaled as read)."""
    if prepared is None:
        prepared = search.prepared
    if prepared is not None and (prepared.Xq.shape[0] != n or prepared.scale != search.scale
                                 or (prepared.center is not search.center
                                     and not np.array_equal(prepared.center, search.center))):
        return None
    return prepared


class BlockBuffers:
    """Float32 scratch of one searcher (a thread): the score block, and the shifted queries when
    they are not prepared. The score block of prepared queries is kept between epochs."""

    def __init__(self, rows: int, d: int, m: int, prepared: PreparedQueries | None = None,
                 own: bool = False) -> None:
        self.qbuf = np.empty((rows, d + 1), dtype=np.float32) if prepared is None else None
        self.xbuf = np.empty((rows, d), dtype=np.float64) if prepared is None else None
        self.gbuf = (prepared.block(rows, m) if prepared is not None and not own
                     else np.empty((rows, m), dtype=np.float32))
        self.base = np.arange(rows) * m
        self.unsure = np.empty(rows, dtype=np.intp)


def argmin_block(
    X: np.ndarray, s: int, e: int, search: EuclideanSearch, prepared: PreparedQueries | None,
    buffers: BlockBuffers, bmus: np.ndarray, rtol: float = 1e-3,
) -> None:
    """:func:`argmin_units` for the rows ``s:e`` of ``X``: their BMUs go to ``bmus[s:e]``."""
    Xb = X[s:e]
    if prepared is None:
        g, b0, xn = search.scores(Xb, buffers.qbuf, buffers.gbuf, buffers.xbuf)
        c1, c2 = 1.0, 0.0  # the bound itself
    else:
        g = buffers.gbuf[: e - s]
        np.matmul(prepared.Xq[s:e], search.WaT, out=g)
        xn, b0 = prepared.xn[s:e], prepared.xnorm[s:e]
        c1, c2 = 2.0 * search.gamma * search.wmax, search.gamma * search.wmax * search.wmax
    a = bmus[s:e]
    np.argmin(g, axis=1, out=a)
    kernel = _sums_jit.kernel_for(g.size)
    if kernel is not None:  # the check in one compiled pass, without the GIL
        unsure = buffers.unsure[: kernel.check_winners(g, a, xn, b0, c1, c2, rtol,
                                                         buffers.unsure)]
    else:
        best = g.reshape(-1)[buffers.base[: e - s] + a]
        bound = b0 * c1 + c2
        unsure = np.flatnonzero(2.0 * bound > rtol * np.maximum(best + xn, 0.0))
    if unsure.size:
        a[unsure] = _argmin_float64(Xb[unsure], search, rtol)


def _argmin_float64(Xr: np.ndarray, search: EuclideanSearch, rtol: float) -> np.ndarray:
    """The training fallback: the float64 scores (:func:`_float64_scores`), and direct
    differences only for the rows where even float64's bound exceeds ``rtol`` of the winner's
    squared distance."""
    g, xn, bound = _float64_scores(Xr, search)
    a = np.argmin(g, axis=1)
    best = g[np.arange(g.shape[0]), a] + xn
    still = np.flatnonzero(2.0 * bound > rtol * np.maximum(best, 0.0))
    if still.size:
        a[still] = exact_top_k(Xr[still], search.W, 1)[0][:, 0]
    return a
