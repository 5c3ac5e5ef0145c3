"""Row blocks shared among worker threads, with BLAS single-threaded in each.

A search over a block of rows is a float32 GEMM and a few numpy passes over its scores (argmin,
the error check), all of which release the GIL. Run in one thread, only the GEMM uses the cores
(BLAS threads) and everything else waits on one; a multi-threaded BLAS also slows down badly when
the machine is busy (its threads wait for each other). :func:`run_blocks` gives the blocks to
``T`` worker threads instead (worker ``k`` takes the blocks ``k, k + T, ...``, so a run is
deterministic), each with BLAS at one thread: ``T`` is the number of threads the BLAS pool had
when the call began (what ``SOM(n_jobs=...)`` set, or the cores), so the work never uses more
threads than BLAS would have. One threaded run at a time: a concurrent caller (a second model
training in another thread, or a callback of the first) is told to run serially meanwhile.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait

from . import _blas_threads

__all__ = ["plan", "run_blocks", "worker_rows"]

#: Rows per block of a worker: a float32 score block of about 1 MiB stays in its core's cache.
_WORKER_BLOCK_BYTES = 1 << 20
_MIN_WORKER_ROWS = 256
#: Least work (multiply-adds) per worker thread: about a millisecond of single-threaded GEMM.
#: Smaller searches run serially, their GEMMs on the BLAS pool's own threads: on an idle 2-core
#: machine a 10-epoch fit of 1797 x 64 on 20 x 20 (47 M per search) took 9.8 ms serially and
#: 13.4 ms on two workers (the workers' start per epoch costs more than OpenBLAS's own threads); only
#: on a busy machine, where OpenBLAS's threads spin on cores other work needs, was it the
#: other way round (22 ms against 15).
MIN_WORKER_COST = 1 << 25

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()
_busy = threading.Lock()


def worker_rows(chunk: int, n_neurons: int) -> int:
    """Rows per worker block: about 1 MiB of float32 scores, at most ``chunk``."""
    return max(1, min(chunk, max(_MIN_WORKER_ROWS, _WORKER_BLOCK_BYTES // (4 * max(n_neurons, 1)))))


def _workers(n: int) -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None or _pool._max_workers < n:
            if _pool is not None:
                _pool.shutdown(wait=False)
            _pool = ThreadPoolExecutor(max_workers=n, thread_name_prefix="somwidget-blocks")
        return _pool


def plan(n: int, max_rows: int, row_cost: int = 1) -> tuple[int, int]:
    """``(rows, threads)`` for a run over ``n`` rows in blocks of at most ``max_rows``, each row
    costing ``row_cost`` multiply-adds (``M (D + 1)`` for a search): as many workers as the BLAS
    pool has threads, each with at least :data:`MIN_WORKER_COST` of work (else 1: run
    serially, where starting threads costs more than it saves), and blocks of equal size in a
    multiple of the workers, so that every worker gets the same number of rows."""
    t = min(_blas_threads.current_threads(), n // _MIN_WORKER_ROWS,
            (n * max(row_cost, 1)) // MIN_WORKER_COST)
    if t <= 1:
        return max(1, min(n, max_rows)), 1
    blocks = t * -(-n // (t * max_rows))
    return -(-n // blocks), t


def run_blocks(n: int, rows: int, work: Callable[[int, int, int], None], threads: int) -> bool:
    """Call ``work(k, start, stop)`` for every block of ``rows`` rows of ``0 .. n`` on
    ``threads`` worker threads (``k``: the worker, ``0 <= k < threads``; see :func:`plan`).

    Returns False, having run nothing, when the run should be serial: a single worker, or
    another threaded run in progress. An exception in a worker is raised here.
    """
    t = threads
    if t <= 1 or not _busy.acquire(blocking=False):
        return False
    try:
        starts = range(0, n, rows)

        def run(k: int) -> None:
            for s in starts[k::t]:
                work(k, s, min(s + rows, n))

        with _blas_threads.single_threaded():
            # worker 0 is the calling thread (one thread fewer to wake per run)
            futures = [_workers(t - 1).submit(run, k) for k in range(1, t)]
            try:
                run(0)
            finally:
                wait(futures)  # no worker still writes into the caller's arrays on return
            for f in futures:
                f.result()
    finally:
        _busy.release()
    return True
