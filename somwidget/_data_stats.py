"""Per-feature statistics of a data set, computed in one pass and shared within a public call.

A ``fit`` on small data used to read its data about 45 times before the first epoch: the
finiteness check of the input, again in the normaliser, the all-NaN column check, the range
check of the training space, the principal components' means and checks, the training centre
and bounds, the missing-value test. :func:`summarize` gathers what all of them need in one
blockwise pass (float64 column sums, counts of known values, ``fmin`` / ``fmax``), and inside a
public :class:`~somwidget.som.SOM` call (:func:`sharing`, entered by
:func:`somwidget._som_calls._limit_threads`) the summary of an array is computed once and
reused by every check that asks for it (:func:`summary_of`, :func:`cached_summary`).

The memo is keyed by the array object (a weak reference: a freed array's entry goes with it,
and no data is kept alive), lives only for the outermost call, and is dropped by
:func:`forget` before a training loop starts running user callbacks, so data changed by a
callback are checked afresh. Outside a call nothing is memoised and every caller computes what
it needs as before. Every statistic equals what the separate reductions gave (the same
blockwise float64 sums as :func:`column_stats`; the minimum and maximum skip NaN as
``nanmin`` / ``nanmax``). :func:`column_stats` (the training centre and bounds; re-exported by
:mod:`somwidget.training`) reads the shared summary when there is one.
"""

from __future__ import annotations

import contextlib
import threading
import weakref
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

__all__ = [
    "SUMMARY_CHUNK_ROWS",
    "ColumnSummary",
    "active",
    "cached_summary",
    "column_stats",
    "forget",
    "sharing",
    "summarize",
    "summary_of",
]

#: Rows per block of :func:`summarize` (that of :func:`column_stats`).
SUMMARY_CHUNK_ROWS = 1 << 15


@dataclass(frozen=True)
class ColumnSummary:
    """Per-feature statistics of an (N, D) array.

    Attributes
    ----------
    n_rows : int
    chunk_rows : int
        Rows per block of the float64 sums (sums over other blocks round differently).
    total : ndarray (D,) float64
        Sum of each column's known (non-NaN) values, accumulated block by block.
    known : ndarray (D,) float64
        Number of known values per column.
    lo, hi : ndarray (D,) float64
        ``fmin`` / ``fmax`` per column (NaN skipped; NaN for a column without known values;
        infinite values included).
    sums_finite : bool
        Every block's column sums are finite, which proves every entry finite. False does not
        prove the contrary (a float64 overflow of finite values).
    has_nan : bool
        Whether any entry is NaN (exact).
    """

    n_rows: int
    chunk_rows: int
    total: np.ndarray
    known: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    sums_finite: bool
    has_nan: bool

    @property
    def mean(self) -> np.ndarray:
        """Mean of each column's known values (0 for a column without any)."""
        return np.divide(self.total, self.known, out=np.zeros(self.total.shape[0]),
                         where=self.known > 0)

    def mean_in_blocks(self, chunk_rows: int) -> np.ndarray | None:
        """:attr:`mean` when it equals the mean accumulated in blocks of ``chunk_rows`` rows
        (the same blocks, or a single one), else None."""
        if chunk_rows == self.chunk_rows or self.n_rows <= min(chunk_rows, self.chunk_rows):
            return self.mean
        return None

    @property
    def max_abs(self) -> float:
        """``nanmax(|X|)`` (0 for an empty array, NaN when every value is NaN)."""
        if self.n_rows == 0 or self.lo.size == 0:
            return 0.0
        with np.errstate(invalid="ignore"):
            return float(np.fmax.reduce(np.fmax(np.abs(self.lo), np.abs(self.hi))))

    def box(self) -> np.ndarray:
        """``[lo; hi]`` as a (2, D) array: a stand-in for the data wherever only the per-feature
        extremes count (the spread ``nanmax - nanmin`` of each feature is the same)."""
        return np.vstack([self.lo, self.hi])

    @property
    def empty_columns(self) -> np.ndarray:
        """Boolean (D,) mask of the columns without any known value."""
        return self.known == 0


def summarize(X: np.ndarray, chunk_rows: int = SUMMARY_CHUNK_ROWS) -> ColumnSummary:
    """The :class:`ColumnSummary` of a 2-D float array, ``chunk_rows`` rows at a time (no
    float64 copy of float32 data; a boolean mask only for the blocks that hold NaN)."""
    n, d = X.shape
    total = np.zeros(d)
    known = np.zeros(d)
    lo = np.full(d, np.inf)
    hi = np.full(d, -np.inf)
    sums_finite = True
    has_nan = False
    with np.errstate(over="ignore", invalid="ignore"):
        for s in range(0, n, chunk_rows):
            blk = X[s : s + chunk_rows]
            part = blk.sum(axis=0, dtype=np.float64)
            if not np.isfinite(part).all():
                sums_finite = False
                if np.isnan(part).any():  # NaN in this block: count the known values
                    mask = ~np.isnan(blk)
                    counted = mask.sum(axis=0)
                    if int(counted.sum()) < mask.size:
                        has_nan = True
                        part = np.where(mask, blk, 0).sum(axis=0, dtype=np.float64)
                    known += counted
                else:
                    known += blk.shape[0]
            else:
                known += blk.shape[0]
            total += part
            _extremes_into(blk, lo, hi)
    # a column of NaN only has no bounds (fmin / fmax of NaN alone is NaN, not +-inf)
    empty = known == 0
    lo[empty] = np.nan
    hi[empty] = np.nan
    return ColumnSummary(int(n), int(chunk_rows), total, known, lo, hi, sums_finite, has_nan)


# fmin / fmax fold this many values of a row block at a time: an axis-0 reduction of an (N, D)
# array runs an inner loop of only D values per row; folding k rows into one of k * D values
# first gives the same extremes (they do not depend on the order) 2-3x faster for small D
_FOLD_ELEMENTS = 2048


def _extremes_into(blk: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> None:
    """``lo = fmin(lo, column minima of blk)``, ``hi`` likewise with the maxima (NaN skipped)."""
    n, d = blk.shape
    k = _FOLD_ELEMENTS // max(d, 1)
    if k >= 2 and n >= 2 * k and blk.flags.c_contiguous:
        m = n - n % k
        folded = blk[:m].reshape(m // k, k * d)
        np.fmin(lo, np.fmin.reduce(np.fmin.reduce(folded, axis=0).reshape(k, d), axis=0), out=lo)
        np.fmax(hi, np.fmax.reduce(np.fmax.reduce(folded, axis=0).reshape(k, d), axis=0), out=hi)
        blk = blk[m:]
        if blk.shape[0] == 0:
            return
    np.fmin(lo, np.fmin.reduce(blk, axis=0), out=lo)  # fmin / fmax skip NaN
    np.fmax(hi, np.fmax.reduce(blk, axis=0), out=hi)


_LOCAL = threading.local()


def _memo() -> dict[int, tuple[weakref.ref, ColumnSummary]] | None:
    return getattr(_LOCAL, "memo", None)


@contextlib.contextmanager
def sharing() -> Iterator[None]:
    """Inside: :func:`summary_of` computes each array's summary once (this thread). Nested
    uses share the outermost memo; it is dropped when the outermost one exits."""
    if _memo() is not None:
        yield
        return
    _LOCAL.memo = {}
    try:
        yield
    finally:
        _LOCAL.memo = None


def forget() -> None:
    """Drop the memo for the rest of the current call (a training loop calls this before it
    runs user callbacks, which may change the data; a public call made from a callback then
    shares a memo of its own)."""
    memo = _memo()
    if memo is not None:
        memo.clear()
        _LOCAL.memo = None


def active() -> bool:
    """Whether summaries are memoised here (inside a public call, before its training loop)."""
    return _memo() is not None


def cached_summary(X: object) -> ColumnSummary | None:
    """The memoised summary of the array object ``X`` (None when there is none)."""
    memo = _memo()
    if not memo:
        return None
    entry = memo.get(id(X))
    if entry is None or entry[0]() is not X:
        return None
    return entry[1]


def summary_of(X: np.ndarray) -> ColumnSummary:
    """The summary of ``X``: memoised inside :func:`sharing`, computed afresh outside."""
    found = cached_summary(X)
    if found is not None:
        return found
    s = summarize(X)
    memo = _memo()
    if memo is not None:
        key = id(X)

        def drop(_ref: weakref.ref, key: int = key, memo: dict = memo) -> None:
            memo.pop(key, None)

        try:
            memo[key] = (weakref.ref(X, drop), s)
        except TypeError:  # an object without weak references: not memoised
            pass
    return s


def column_stats(X: np.ndarray, chunk_rows: int = 1 << 15) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-feature mean (float64 accumulation), minimum and maximum of ``X``, block by block
    (no float64 copy of float32 data). Missing values (NaN) are skipped: the statistics are
    those of the known values (a column without any is 0, its bounds NaN). Inside a SOM call
    they come from the array's shared summary (:func:`cached_summary`) when its blocks
    are these."""
    n, d = X.shape
    if n == 0:
        z = np.zeros(d)
        return z, z.copy(), z.copy()
    summary = cached_summary(X)
    mean = None if summary is None else summary.mean_in_blocks(chunk_rows)
    if mean is not None:
        lo, hi = summary.lo.copy(), summary.hi.copy()
        lo[np.isinf(lo)] = np.nan
        hi[np.isinf(hi)] = np.nan
        return mean, lo, hi
    total = np.zeros(d)
    known = np.zeros(d)
    lo = np.full(d, np.inf)
    hi = np.full(d, -np.inf)
    for s in range(0, n, chunk_rows):
        blk = X[s : s + chunk_rows]
        part = blk.sum(axis=0, dtype=np.float64)
        if np.isnan(part).any():  # missing values in this block: count the known ones
            mask = ~np.isnan(blk)
            part = np.where(mask, blk, 0).sum(axis=0, dtype=np.float64)
            known += mask.sum(axis=0)
        else:
            known += blk.shape[0]
        total += part
        np.fmin(lo, np.fmin.reduce(blk, axis=0), out=lo)  # fmin / fmax skip NaN
        np.fmax(hi, np.fmax.reduce(blk, axis=0), out=hi)
    lo[np.isinf(lo)] = np.nan
    hi[np.isinf(hi)] = np.nan
    return np.divide(total, known, out=np.zeros(d), where=known > 0), lo, hi
