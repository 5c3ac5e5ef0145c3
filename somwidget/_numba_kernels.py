"""How the numba-compiled kernels are loaded: built on first use, once, unless switched off.

Each compiled module (:mod:`somwidget._online_jit`, :mod:`somwidget._sums_jit`) has a ``_build``
that imports numba and returns its compiled function, or None when numba is not installed;
:func:`compiled_once` turns it into the module's ``kernel()``, which returns None (the numpy
code runs) also while the environment variable ``SOMWIDGET_NUMBA`` is ``0``.
"""

from __future__ import annotations

import os
from collections.abc import Callable

__all__ = ["compiled_once"]


def compiled_once(build: Callable[[], Callable | None]) -> Callable[[], Callable | None]:
    """``kernel(build=True)``: the result of ``build()`` (built on the first call that needs
    it), or None with ``SOMWIDGET_NUMBA=0``; ``kernel(build=False)`` returns it only when it
    was built already (None otherwise: no numba import, no loading of the compiled code)."""
    built: list[Callable | None] = []

    def kernel(build_now: bool = True) -> Callable | None:
        if os.environ.get("SOMWIDGET_NUMBA", "1") == "0":
            return None
        if not built:
            if not build_now:
                return None
            built.append(build())
        return built[0]

    kernel.__doc__ = build.__doc__
    return kernel
