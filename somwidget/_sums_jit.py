"""The batch epoch's loops compiled with numba, when numba is installed (``somwidget[fast]``).

All run without the GIL (the batch epoch's worker threads run them side by side,
:mod:`somwidget._map_step`) and read float32 rows as they are (no float64 copy of a block):

* ``scatter_rows(S, X, b)``: ``S[b[i]] += X[i]`` in float64
  (:meth:`somwidget.backend.NumpyNamespace.index_add`);
* ``scatter_rows_counts(S, C, X, b)``: the same and ``C[b[i]] += 1`` (the plain sums of
  :func:`somwidget.backend.block_sums`, one call per block);
* ``check_winners(g, a, xn, b0, c1, c2, rtol, unsure)``: after the float32 argmin ``a`` of the
  scores ``g``, the rows whose error bound ``2 (b0 c1 + c2)`` exceeds ``rtol`` of the winner's
  squared distance ``g[i, a[i]] + xn[i]`` (:func:`somwidget._training_search.argmin_block`): their
  indices go to ``unsure``, their number is returned;
* ``ratio_update(old, num, out)``: the batch ratio ``num[i, :D] / num[i, D]``, ``old`` kept
  where the denominator is not positive (:func:`somwidget.training._ratio_update` at a
  learning rate of 1, the default) in one pass;
* ``centre_rows(W, c, Wc)``: ``Wc = W - c`` and the largest ``|Wc|`` (NaN if any is NaN) in one
  pass, and ``scale_rows(Wc, factor, inv2, Wa)``: the augmented codebook of a search,
  ``Wa[:, :D] = Wc * factor`` rounded to float32 and ``Wa[:, D] = |Wc_i|^2 inv2`` (the row's
  squared norm summed in feature order, then scaled), returning the largest such norm (NaN if
  any is); ``prepare_rows(W, c, factor, inv2, Wc, Wa)``: both in one pass, returning the extent
  and the largest norm (both NaN if any value is): :meth:`somwidget.euclidean.EuclideanSearch.set_codebook`,
  each epoch, while the scale holds.

Each computes element by element what the numpy code does (the same operations in the same
order; the squared norms only in another order of the sum, which moves their float32 value by
one unit in about 1e-9 of cases), so a fit gives the same codebook with or without them
(tests/test_update_jit.py).

Without numba (or with ``SOMWIDGET_NUMBA=0``) :func:`kernel` returns None and numpy runs
instead (a sparse one-hot product for the sums).
"""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from ._numba_kernels import compiled_once

__all__ = ["BUILD_ELEMENTS", "c_float64", "kernel", "kernel_for"]


def _build() -> Any:
    try:
        import numba
    except ImportError:
        return None
    import numpy as np

    @numba.njit(cache=True, nogil=True)
    def scatter_rows(S: Any, X: Any, b: Any) -> None:  # pragma: no cover - compiled
        n, d = X.shape
        for i in range(n):
            j = b[i]
            for k in range(d):
                S[j, k] += X[i, k]

    @numba.njit(cache=True, nogil=True)
    def scatter_rows_counts(S: Any, C: Any, X: Any, b: Any) -> None:  # pragma: no cover
        n, d = X.shape
        for i in range(n):
            j = b[i]
            C[j] += 1.0
            for k in range(d):
                S[j, k] += X[i, k]

    @numba.njit(cache=True, nogil=True)
    def check_winners(g: Any, a: Any, xn: Any, b0: Any, c1: float, c2: float, rtol: float,
                      unsure: Any) -> int:  # pragma: no cover - compiled
        k = 0
        for i in range(g.shape[0]):
            d2 = g[i, a[i]] + xn[i]
            if 2.0 * (b0[i] * c1 + c2) > rtol * max(d2, 0.0):
                unsure[k] = i
                k += 1
        return k

    @numba.njit(cache=True, nogil=True)
    def ratio_update(old: Any, num: Any, out: Any) -> None:  # pragma: no cover - compiled
        m, d = old.shape
        for i in range(m):
            den = num[i, d]
            if den > 0.0:
                for k in range(d):
                    out[i, k] = num[i, k] / den
            else:
                for k in range(d):
                    out[i, k] = old[i, k]

    @numba.njit(cache=True, nogil=True)
    def centre_rows(W: Any, c: Any, Wc: Any) -> float:  # pragma: no cover - compiled
        m, d = W.shape
        top = 0.0
        nan = False
        for i in range(m):
            for k in range(d):
                v = W[i, k] - c[k]
                Wc[i, k] = v
                a = abs(v)
                if a > top:
                    top = a
                elif a != a:
                    nan = True
        return np.nan if nan else top

    @numba.njit(cache=True, nogil=True)
    def scale_rows(Wc: Any, factor: float, inv2: float, Wa: Any) -> float:  # pragma: no cover
        m, d = Wc.shape
        top = 0.0
        nan = False
        for i in range(m):
            acc = 0.0
            for k in range(d):
                v = Wc[i, k]
                Wa[i, k] = v * factor
                acc += v * v
            wn = acc * inv2
            Wa[i, d] = wn
            nan = nan or wn != wn
            top = wn if wn > top else top
        return np.nan if nan else top

    @numba.njit(cache=True, nogil=True)
    def prepare_rows(W: Any, c: Any, factor: float, inv2: float, Wc: Any,
                     Wa: Any) -> tuple[float, float]:  # pragma: no cover - compiled
        m, d = W.shape
        top = 0.0
        wn_top = 0.0
        nan = False
        for i in range(m):
            acc = 0.0
            for k in range(d):
                v = W[i, k] - c[k]
                Wc[i, k] = v
                Wa[i, k] = v * factor
                acc += v * v
                a = abs(v)
                top = a if a > top else top
            wn = acc * inv2
            Wa[i, d] = wn
            nan = nan or wn != wn
            wn_top = wn if wn > wn_top else wn_top
        return (np.nan, np.nan) if nan else (top, wn_top)

    return SimpleNamespace(scatter_rows=scatter_rows, scatter_rows_counts=scatter_rows_counts,
                           check_winners=check_winners, ratio_update=ratio_update,
                           centre_rows=centre_rows, scale_rows=scale_rows,
                           prepare_rows=prepare_rows)


def _warm(k: Any) -> None:
    """Each loop once on tiny inputs of the types the map step passes (float32 and float64
    data), so that their cached machine code is loaded by the thread that builds them."""
    import numpy as np

    b = np.zeros(2, dtype=np.intp)
    for dtype in (np.float32, np.float64):
        X = np.zeros((2, 2), dtype=dtype)
        k.scatter_rows(np.zeros((1, 2)), X, b)
        k.scatter_rows_counts(np.zeros((1, 2)), np.zeros(1), X, b)
    g = np.zeros((2, 2), dtype=np.float32)
    k.check_winners(g, b, np.zeros(2), np.zeros(2), 1.0, 0.0, 1e-3, np.empty(2, dtype=np.intp))
    W = np.zeros((2, 2))
    k.ratio_update(W, np.ones((2, 3)), np.empty((2, 2)))
    k.centre_rows(W, np.zeros(2), np.empty((2, 2)))
    Wa = np.empty((2, 3), dtype=np.float32)
    k.scale_rows(W, 1.0, 1.0, Wa)
    k.prepare_rows(W, np.zeros(2), 1.0, 1.0, np.empty((2, 2)), Wa)


#: the compiled loops (``.scatter_rows``, ``.scatter_rows_counts``, ``.check_winners``), or None
#: (no numba, or ``SOMWIDGET_NUMBA=0``); ``kernel(False)``: only if built already (else the
#: build starts on a background thread, :mod:`somwidget._numba_kernels`).
kernel: Callable[..., Any] = compiled_once(_build, _warm)

#: Calls on fewer elements than this do not wait for the compiled loops: importing numba and
#: loading the loops takes about 0.6 s, which a first ``fit`` on small data would otherwise
#: spend on loops that save it about 0.1 ms an epoch (1797 x 64: the sums 25 us compiled, 76 us
#: as numpy's sparse product); they use the loops once built (in the background meanwhile).
BUILD_ELEMENTS = 1 << 21


def kernel_for(elements: int) -> Any:
    """:func:`kernel` for a call on ``elements`` values: built now for large calls; small ones
    get it once built (None meanwhile: the numpy code runs)."""
    return kernel(elements >= BUILD_ELEMENTS)


def c_float64(*arrays: Any) -> bool:
    """Whether every array is C-contiguous float64: the layout the update's loops were built
    and warmed for (another layout would compile a new version on the caller's thread)."""
    return all(a.dtype.char == "d" and a.flags.c_contiguous for a in arrays)
