"""Live updates during training: a wall-clock throttle and the view mixin that uses it.

The kernel's IOPub channel silently drops messages above its rate limit, so views refresh at
most ``max_rate_hz`` times per second, each refresh is ONE comm message (``hold_sync``), and the
final training state is always drawn.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from ..validation import check_positive

__all__ = ["LiveUpdateMixin", "Throttle"]


class Throttle:
    """Allow an action at most ``max_rate_hz`` times per second of wall time.

    Parameters
    ----------
    max_rate_hz : float
        Maximum number of ``ready()`` answers that are True per second.
    clock : callable, optional
        Returns the current time in seconds (default ``time.monotonic``); inject one in tests.
    """

    def __init__(self, max_rate_hz: float = 15.0, clock: Callable[[], float] | None = None) -> None:
        self.max_rate_hz = check_positive("max_rate_hz", max_rate_hz)
        self.min_interval = 1.0 / self.max_rate_hz
        self._clock = clock or time.monotonic
        self._last: float | None = None
        self._lock = threading.Lock()

    def ready(self, now: float | None = None) -> bool:
        """True when at least ``1 / max_rate_hz`` seconds passed since the last True answer.

        Parameters
        ----------
        now : float, optional
            The current time in seconds (default: the throttle's clock).
        """
        t = self._clock() if now is None else float(now)
        with self._lock:
            if self._last is None or t - self._last >= self.min_interval:
                self._last = t
                return True
            return False

    def reset(self) -> None:
        """Forget the last answer: the next ``ready()`` is True."""
        with self._lock:
            self._last = None


class LiveUpdateMixin:
    """Makes a view usable as a training callback: ``som.fit(X, callbacks=[view])``.

    The view must implement ``refresh(som=None, **precomputed)`` sending one message per call.
    ``__call__(state)`` refreshes when the throttle allows or when ``state.final`` and returns
    None, so it never stops training.
    """

    refresh: Callable[..., None]  # provided by the view: refresh(som=None, **precomputed)

    max_rate_hz: float = 15.0

    @property
    def throttle(self) -> Throttle:
        """This view's throttle (created on first use with ``max_rate_hz``)."""
        t = self.__dict__.get("_live_throttle")
        if t is None:
            t = Throttle(self.max_rate_hz)
            self.__dict__["_live_throttle"] = t
        return t

    @throttle.setter
    def throttle(self, value: Throttle) -> None:
        """Replace the throttle (e.g. ``Throttle(15, clock=...)`` to inject a clock)."""
        self.__dict__["_live_throttle"] = value

    def _live_ready(self) -> bool:
        """Whether a live (non-final) refresh may run now (the throttle; views add budgets)."""
        return self.throttle.ready()

    def _precomputed_from_state(self, state: Any) -> dict[str, Any]:
        """Results the training state already carries that this view can reuse."""
        return {}

    def __call__(self, state: Any) -> None:
        """Training callback: refresh (throttled; the final state always) and return None."""
        if getattr(state, "final", False) or self._live_ready():
            self.refresh(getattr(state, "som", None), **self._precomputed_from_state(state))
        return None
