"""The entry of every public SOM call: parameters validated once, thread pools limited, data
statistics shared.

``_limit_threads`` decorates the public methods of :class:`~somwidget.som.SOM` (and of its
mixins): the outermost call in a thread checks ``SOM._parameter_constraints`` once with
:func:`~somwidget.validation.validate_params` and limits the BLAS / OpenMP pools to ``n_jobs``
threads; nested calls (a callback reading a metric during ``fit``) reuse both. Inside the
outermost call each array's per-feature summary is computed once and shared by the checks
(:func:`somwidget._data_stats.sharing`).
``_CallsMixin`` gives the SOM ``_validated()`` (the parameters checked on entry) and
``_thread_limits``. No module-level import of :mod:`somwidget.som` (no import cycle).
"""

from __future__ import annotations

import contextlib
import functools
import os
import threading
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from . import _data_stats
from ._keyword_checks import explained_signature
from .validation import (
    validate_params,
)


def _n_threads(n_jobs: int | None) -> int | None:
    """Resolve a validated ``n_jobs`` to a thread count (None: leave the pools alone)."""
    if n_jobs is None:
        return None
    if n_jobs == -1:
        try:
            return max(1, len(os.sched_getaffinity(0)))
        except AttributeError:  # no sched_getaffinity (macOS, Windows)
            return max(1, os.cpu_count() or 1)
    return int(n_jobs)


# one lock for every SOM: thread-pool limits are process-wide
_LIMITS_LOCK = threading.Lock()
_F = TypeVar("_F", bound=Callable[..., Any])
# per thread, the SOMs inside a public call -> their validated parameters (None: set_params was
# called meanwhile, validate again on the next read)
_CALLS = threading.local()


def _active_calls() -> dict[int, dict[str, Any] | None]:
    try:
        return _CALLS.active
    except AttributeError:
        _CALLS.active = {}
        return _CALLS.active


def _limit_threads(method: _F) -> _F:
    """Entry of a public SOM method: validate the parameters once, limit the thread pools.

    The outermost call in a thread checks ``SOM._parameter_constraints`` once; everything it
    calls (``_validated()``, callbacks reading metrics, nested public methods) reuses that
    result. The BLAS / OpenMP pools are limited to ``n_jobs`` threads for the call. A call the
    method's signature cannot take (``som.fit(X, epoch=5)``) raises a ``TypeError`` naming
    ``SOM.fit()``, the close matches and its parameters (:mod:`somwidget._keyword_checks`).
    """
    method = explained_signature(method.__name__)(method)

    @functools.wraps(method)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        active = _active_calls()
        if id(self) in active:  # nested: already validated, limits already set
            return method(self, *args, **kwargs)
        p = validate_params(type(self)._parameter_constraints, self.get_params())
        active[id(self)] = p
        try:
            with self._thread_limits(p["n_jobs"]), _data_stats.sharing():
                return method(self, *args, **kwargs)
        finally:
            del active[id(self)]

    return wrapper  # type: ignore[return-value]


class _CallsMixin:
    """``_validated`` and ``_thread_limits`` of :class:`~somwidget.som.SOM`."""

    def _validated(self) -> dict[str, Any]:
        """Canonical, validated parameters (raises a clear error naming the parameter).

        Inside a public call these were checked once on entry and are reused; outside one they
        are checked now. See ``_parameter_constraints``.
        """
        active = _active_calls()
        p = active.get(id(self))
        if p is None:
            p = validate_params(type(self)._parameter_constraints, self.get_params())
            if id(self) in active:
                active[id(self)] = p
        return p

    @contextlib.contextmanager
    def _thread_limits(self, n_jobs: int | None) -> Iterator[None]:
        """Limit the BLAS / OpenMP pools to ``n_jobs`` (validated) threads for the outermost call.

        Nested calls (a callback reading a metric during ``fit``) keep the outer limits, so
        they are set and restored once, also when another thread reads the model meanwhile.
        """
        n = _n_threads(n_jobs)
        if n is None:
            yield
            return
        from threadpoolctl import threadpool_limits

        with _LIMITS_LOCK:
            depth = self.__dict__.get("_limits_depth", 0)
            if depth == 0:
                self._limiter = threadpool_limits(limits=n)
            self._limits_depth = depth + 1
        try:
            yield
        finally:
            with _LIMITS_LOCK:
                self._limits_depth -= 1
                if self._limits_depth == 0:
                    limiter, self._limiter = self._limiter, None
                    limiter.restore_original_limits()
