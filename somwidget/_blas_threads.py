"""The BLAS pool's threads: how many there are, and holding it at one thread for a while.

The batch epoch's worker threads (:mod:`somwidget._map_step`) and the online loop run BLAS
single-threaded. ``threadpoolctl.threadpool_limits`` cannot do that from any thread: for a
pthreads OpenBLAS (numpy's) it lets only one "controlling" Python thread change the limit, so a
Studio training in a background thread would be ignored after the notebook's thread has once
set a limit; and two callers that set and restore limits in turn can leave the pool at one
thread for good. :func:`single_threaded` keeps one shared hold instead: the first caller in
sets every BLAS library to one thread, the last one out restores what the first found.

Holding it for a whole training call, not only while worker threads search, matters too: a
multi-threaded BLAS call (a small smoothing product between two searches) wakes OpenBLAS's own
threads, which then spin for a while on the cores the next search's workers need (a 10k-row
epoch took 3.9 ms instead of 2.5).
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["current_threads", "released", "single_threaded"]

_controller: Any = None
_scanned_modules = -1
_lock = threading.Lock()
_depth = 0
_saved: list[tuple[Any, int]] = []
#: open :func:`released` contexts: the pool is back at its own threads while one is open
_released = 0
#: holds opened inside the innermost open release, one count per release (the pool is at one
#: thread again while that release's count is above 0)
_inner: list[int] = []


def _libraries() -> list[Any]:
    """The BLAS libraries loaded, found again whenever modules were imported since the last
    look (scipy.linalg brings an OpenBLAS of its own, loaded after numpy's; finding them takes
    about 1 ms, so not on every call)."""
    global _controller, _scanned_modules
    if _controller is None or len(sys.modules) != _scanned_modules:
        from threadpoolctl import ThreadpoolController

        _scanned_modules = len(sys.modules)
        _controller = ThreadpoolController().select(user_api="blas")
    return list(_controller.lib_controllers)


def _hold_new_libraries() -> None:
    """Inside a hold: set libraries loaded since it began to one thread too (and remember
    their counts for the restore). Called with ``_lock`` held."""
    known = {lib.filepath for lib, _ in _saved}
    for lib in _libraries():
        if lib.filepath not in known:
            _saved.append((lib, int(lib.num_threads or 1)))
            _set(lib, 1)


def _set(lib: Any, n: int) -> None:
    # threadpoolctl >= 3.6 wraps OpenBLAS's setter with its controlling-thread rule (module notes)
    getattr(lib, "_real_set_num_threads", lib.set_num_threads)(n)


def current_threads() -> int:
    """Threads of the BLAS pool (the largest over the BLAS libraries loaded; 1 if none): while
    :func:`single_threaded` holds it at one, the count it had before (what work shared among
    threads may use)."""
    with _lock:
        if _depth > 0:
            return max([n for _, n in _saved] or [1])
    return max([int(lib.num_threads or 1) for lib in _libraries()] or [1])


@contextmanager
def single_threaded() -> Iterator[None]:
    """Hold every BLAS library at one thread while inside (shared by nested and concurrent
    callers; restored by the last one out)."""
    global _depth
    with _lock:
        if _depth == 0:
            _saved[:] = [(lib, int(lib.num_threads or 1)) for lib in _libraries()]
            for lib, _ in _saved:
                _set(lib, 1)
        else:
            _hold_new_libraries()
            if _released:  # inside a release (a training's callback): one thread again
                if _inner[-1] == 0:
                    for lib, _ in _saved:
                        _set(lib, 1)
                _inner[-1] += 1
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                for lib, n in _saved:
                    _set(lib, n)
                _saved.clear()
            elif _released:
                _inner[-1] -= 1
                if _inner[-1] == 0:  # the last hold inside the release: back to its threads
                    for lib, n in _saved:
                        _set(lib, n)


@contextmanager
def released() -> Iterator[None]:
    """Inside a hold, the BLAS pool back at its own threads for a while (a training call's
    callbacks run the user's code with the threads the user set), at one thread again after;
    outside any hold, nothing. A :func:`single_threaded` hold opened inside (worker threads
    of the user's ``predict`` in a callback) sets one thread again until it closes: the
    workers' BLAS calls ran on every thread of the pool each, and a 300k-row predict in a
    training callback took 5.6 s instead of 0.6."""
    global _released
    with _lock:
        held = _depth > 0
        if held:
            _released += 1
            _inner.append(0)
            for lib, n in _saved:
                _set(lib, n)
    try:
        yield
    finally:
        with _lock:
            if held:
                _released -= 1
                _inner.pop()
            if _depth > 0 and (not _released or _inner[-1] > 0):  # one thread again
                for lib, _ in _saved:
                    _set(lib, 1)
