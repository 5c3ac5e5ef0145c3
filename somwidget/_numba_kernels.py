"""How the numba-compiled kernels are loaded: built on first use, once, unless switched off.

Each compiled module (:mod:`somwidget._online_jit`, :mod:`somwidget._sums_jit`) has a ``_build``
that imports numba and returns its compiled functions, or None when numba is not installed;
:func:`compiled_once` turns it into the module's ``kernel()``, which returns None (the numpy
code runs) also while the environment variable ``SOMWIDGET_NUMBA`` is ``0``.

Importing numba and loading compiled code from its cache takes about 0.6 s. A caller whose work
is too small to be worth that asks with ``kernel(False)``: it gets the kernels only once they
are built, and meanwhile they are built on a background thread (``warm``, when given, calls
them once on tiny inputs there, so that loading their cached machine code happens off the
caller's thread too). A first ``fit`` on small data thus runs the numpy code at once and the
later ones the compiled loops.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any

__all__ = ["compiled_once"]


def compiled_once(build: Callable[[], Any], warm: Callable[[Any], None] | None = None,
                  ) -> Callable[..., Any]:
    """``kernel(build_now=True)``: the result of ``build()`` (built on the first call that needs
    it, then ``warm(result)``), or None with ``SOMWIDGET_NUMBA=0``. ``kernel(False)`` returns it
    only when built already; otherwise None, and the build starts on a background thread."""
    built: list[Any] = []
    lock = threading.Lock()
    started = threading.Event()

    def build_once() -> None:
        with lock:
            if built:
                return
            result = build()
            if result is not None and warm is not None:
                warm(result)
            built.append(result)

    def build_in_background() -> None:
        try:
            build_once()
        except Exception:  # noqa: S110 - the numpy code keeps running; a call that needs the
            pass  # kernels now (build_now) tries again and raises there, on the caller's thread

    def kernel(build_now: bool = True) -> Any:
        if os.environ.get("SOMWIDGET_NUMBA", "1") == "0":
            return None
        if built:
            return built[0]
        if build_now:
            build_once()
            return built[0]
        if not started.is_set():
            started.set()
            threading.Thread(target=build_in_background, name="somwidget-numba-build",
                             daemon=True).start()
        return None

    kernel.__doc__ = build.__doc__
    return kernel
