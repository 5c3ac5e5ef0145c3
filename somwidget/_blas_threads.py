"""The BLAS pool's threads: how many there are, and holding it at one thread for a while.

The batch epoch's worker threads (:mod:`somwidget._map_step`) and the online loop run BLAS
single-threaded. ``threadpoolctl.threadpool_limits`` cannot do that from any thread: for a
pthreads OpenBLAS (numpy's) it lets only one "controlling" Python thread change the limit, so a
Studio training in a background thread would be ignored after the notebook's thread has once
set a limit; and two callers that set and restore limits in turn can leave the pool at one
thread for good. :func:`single_threaded` keeps one shared hold instead: the first caller in
sets every BLAS library to one thread, the last one out restores what the first found.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["current_threads", "single_threaded"]

_controller: Any = None
_lock = threading.Lock()
_depth = 0
_saved: list[tuple[Any, int]] = []


def _libraries() -> list[Any]:
    global _controller
    if _controller is None:
        from threadpoolctl import ThreadpoolController

        _controller = ThreadpoolController().select(user_api="blas")
    return list(_controller.lib_controllers)


def _set(lib: Any, n: int) -> None:
    # threadpoolctl >= 3.6 wraps OpenBLAS's setter with its controlling-thread rule (module notes)
    getattr(lib, "_real_set_num_threads", lib.set_num_threads)(n)


def current_threads() -> int:
    """Threads of the BLAS pool now (the largest over the BLAS libraries loaded; 1 if none)."""
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
