"""The map step of an in-memory Euclidean batch epoch on every core: BMUs and per-unit sums.

One batch epoch is a float32 GEMM per block of rows, the argmin of each row and the per-unit
sums of the rows by BMU (:func:`somwidget.training.block_sums`). Done in one thread, only the
GEMM uses the cores (BLAS threads); the argmin, a third of the work at 20 x 20, runs on one.
Here the blocks are shared among worker threads instead, each running BLAS single-threaded:

* worker ``k`` of ``T`` searches the blocks ``k, k + T, ...`` with
  :func:`somwidget.euclidean.argmin_block` (GEMM, argmin, the float32 error check and its
  float64 fallback; numpy releases the GIL in each), in its own score buffer;
* with numba (``somwidget[fast]``) it adds each block's rows into its own float64 ``M x D``
  sums right after, :func:`somwidget.backend.block_sums` with ``out`` (whose compiled
  scatter-add runs without the GIL and reads float32 rows as they are); the ``T`` partial sums
  are added at the end. Without numba the sums are one ``block_sums`` after the search.

``T`` is the number of threads the BLAS pool had when the call began (what ``SOM(n_jobs=...)``
set, or the cores), so the work uses the cores BLAS would have used, never more. The BLAS pool is
held at one thread only while the workers run (:func:`somwidget._blas_threads.single_threaded`,
shared by every caller in the process and restored by the last one out). One threaded map step runs at a time;
a concurrent caller (a second model training in another thread) searches serially meanwhile.
The result equals the serial search's (the same blocks, the same float32 products).
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from . import _blas_threads, _sums_jit
from . import backend as _backend
from .euclidean import BlockBuffers, EuclideanSearch, argmin_block, matching_prepared

__all__ = ["bmus_and_sums"]

#: Rows per block of a worker: a float32 score block of about 1 MiB stays in its core's cache.
_WORKER_BLOCK_BYTES = 1 << 20
_MIN_WORKER_ROWS = 256

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()
_busy = threading.Lock()  # one threaded map step at a time
_local = threading.local()


def _workers(n: int) -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None or _pool._max_workers < n:
            if _pool is not None:
                _pool.shutdown(wait=False)
            _pool = ThreadPoolExecutor(max_workers=n, thread_name_prefix="somwidget-map")
        return _pool


def _buffers(rows: int, d: int, m: int, prepared: bool) -> BlockBuffers:
    """The calling worker's own scratch (kept between epochs while the shapes hold)."""
    buf = getattr(_local, "buffers", None)
    if (buf is None or buf.gbuf.shape != (rows, m) or (buf.qbuf is None) != prepared
            or (buf.qbuf is not None and buf.qbuf.shape != (rows, d + 1))):
        buf = BlockBuffers(rows, d, m, None, own=True)
        if prepared:
            buf.qbuf = buf.xbuf = None  # prepared queries are read directly
        _local.buffers = buf
    return buf


def bmus_and_sums(
    X: np.ndarray, search: EuclideanSearch, chunk: int, rtol: float = 1e-3,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """BMUs (N,) intp, per-unit sums (M, D) float64 and counts (M,) float64 of ``X``.

    The BMUs are those of :func:`somwidget.euclidean.argmin_units` (``chunk`` rows per block at
    most), the sums those of :func:`somwidget.backend.block_sums`, computed on as many threads
    as the BLAS pool has (module notes).
    """
    n, d = X.shape
    m = search.W.shape[0]
    ns = _backend.get_namespace(X)
    bmus = np.empty(n, dtype=np.intp)
    prepared = matching_prepared(search, n)
    # with the compiled scatter-add each block's sums follow its search (no copy of the block)
    per_block = _sums_jit.kernel() is not None
    rows = max(1, min(chunk, max(_MIN_WORKER_ROWS, _WORKER_BLOCK_BYTES // (4 * max(m, 1)))))
    blocks = [(s, min(s + rows, n)) for s in range(0, n, rows)]
    threads = min(_blas_threads.current_threads(), len(blocks)) if n > 0 else 1
    if threads > 1 and _busy.acquire(blocking=False):
        try:
            partial = [(np.zeros((m, d)), np.zeros(m)) for _ in range(threads)]

            def work(k: int) -> None:
                buf = _buffers(rows, d, m, prepared is not None)
                for s, e in blocks[k::threads]:
                    argmin_block(X, s, e, search, prepared, buf, bmus, rtol)
                    if per_block:
                        _backend.block_sums(ns, X[s:e], bmus[s:e], m, out=partial[k])

            with _blas_threads.single_threaded():
                for f in [_workers(threads).submit(work, k) for k in range(threads)]:
                    f.result()
        finally:
            _busy.release()
        if per_block:
            S, counts = partial[0]
            for P, c in partial[1:]:
                S += P
                counts += c
            return bmus, S, counts
    else:
        buf = BlockBuffers(min(chunk, max(n, 1)), d, m, prepared)
        for s in range(0, n, chunk):
            argmin_block(X, s, min(s + chunk, n), search, prepared, buf, bmus, rtol)
    S, counts = _backend.block_sums(ns, X, bmus, m)
    return bmus, S, counts
