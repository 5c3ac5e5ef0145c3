"""The per-unit sums' scatter-add compiled with numba, when numba is installed (``somwidget[fast]``).

``S[b[i]] += X[i]`` for every row, in float64 whatever the rows' dtype (float32 data are read
as they are: no float64 copy of a block), without the GIL (the batch epoch's worker threads run
it side by side, :mod:`somwidget._map_step`). :meth:`somwidget.backend.NumpyNamespace.index_add`
uses it; without numba (or with ``SOMWIDGET_NUMBA=0``) :func:`kernel` returns None and the
sparse one-hot product runs instead.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ._numba_kernels import compiled_once

__all__ = ["kernel"]

def _build() -> Callable | None:
    try:
        import numba
    except ImportError:
        return None

    @numba.njit(cache=True, nogil=True)
    def scatter_rows(S: Any, X: Any, b: Any) -> None:  # pragma: no cover - compiled
        n, d = X.shape
        for i in range(n):
            j = b[i]
            for k in range(d):
                S[j, k] += X[i, k]

    return scatter_rows


#: the compiled ``scatter_rows(S, X, b)``, or None (no numba, or ``SOMWIDGET_NUMBA=0``).
kernel = compiled_once(_build)
