"""Live updates during training: a wall-clock throttle, browser back-pressure and the view mixin.

Two limits keep a live view from flooding the browser:

* :class:`Throttle`: at most ``max_rate_hz`` refreshes per second of wall time (the kernel's
  IOPub channel silently drops messages above its rate limit);
* :class:`FramePacer`: back-pressure. A view whose front end draws frames (the canvas lattice
  views) answers every drawn frame with a custom message ``{"drawn": frame}``; the kernel then
  sends the view's next frame only once the browser has drawn the previous one, so at most ONE
  live frame per view is ever in flight. Whatever happened in between is merged: the next
  refresh is recomputed from the model as it is then, the skipped states are never sent.

A view that no browser ever acknowledged (no front end, a test, ``nbconvert --execute``) is
never held back, and neither is one whose acknowledgements are handled on the very thread that
trains (a synchronous ``som.fit(X, callbacks=[view])`` in a kernel without comm subshells: the
answer could only arrive after training). An acknowledgement that does not come within
``stale_s`` seconds (a closed tab, a hidden page) lets one more frame go, so a lost answer slows a
view to one frame every ``stale_s`` seconds but never freezes it. The final training state is
always sent at once.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any

from ..validation import check_fraction, check_positive

__all__ = ["FramePacer", "LiveUpdateMixin", "Throttle", "in_live_refresh", "live_refresh", "pack_tooltips",
           "paced_views"]

_LIVE = threading.local()


class live_refresh:  # noqa: N801 - a context manager used like a function
    """Mark the refreshes made inside as live ones (training callbacks, the Studio): their
    picture follows through :meth:`ViewBase._after_live_refresh`, not as a refresh by hand."""

    def __enter__(self) -> None:
        _LIVE.depth = getattr(_LIVE, "depth", 0) + 1

    def __exit__(self, *exc: Any) -> None:
        _LIVE.depth -= 1


def in_live_refresh() -> bool:
    """Whether this thread is inside :class:`live_refresh`."""
    return getattr(_LIVE, "depth", 0) > 0


def pack_tooltips(tooltip: list[tuple[dict, Any]], values: Any,
                  n_neurons: int, categories: Any = None) -> tuple[list[dict], Any]:
    """Tooltip fields and their (fields, neurons) rows, without resending ``values``.

    A field whose array is the very ``values`` (or ``categories``) array a frame already carries
    is sent as ``{"source": "values"}`` (``"categories"``) with no row of its own (the front end
    reads that array), so a frame carries each per-neuron array once: a 100 x 100 U-matrix frame
    is 40 KB, not 80 KB. The remaining rows travel as the narrowest integer dtype that holds them
    all (uint8 / uint16 / int32: counts, class codes) and as float32 otherwise.
    """
    import numpy as np

    from .codecs import narrowest_int

    fields: list[dict] = []
    rows = []
    for field, arr in tooltip:
        if arr is values:
            fields.append({**field, "source": "values"})
        elif categories is not None and arr is categories:
            fields.append({**field, "source": "categories"})
        else:
            fields.append(dict(field))
            rows.append(np.asarray(arr).reshape(n_neurons))
    if not rows:
        return fields, np.zeros((0, n_neurons), np.uint8)
    stacked = np.stack(rows)
    narrow = narrowest_int(stacked)
    return fields, narrow if narrow is not None else stacked.astype(np.float32)


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

    def peek(self, now: float | None = None) -> bool:
        """Whether :meth:`ready` would answer True now, without using up the slot."""
        t = self._clock() if now is None else float(now)
        with self._lock:
            return self._last is None or t - self._last >= self.min_interval

    def reset(self) -> None:
        """Forget the last answer: the next ``ready()`` is True."""
        with self._lock:
            self._last = None


class FramePacer:
    """Back-pressure for one view: the next frame goes only when the browser drew the last one.

    Parameters
    ----------
    stale_s : float
        Seconds after which a frame still not acknowledged counts as lost (one more frame may
        go; see the module docstring).
    clock : callable, optional
        Returns the current time in seconds (default ``time.monotonic``).

    Attributes
    ----------
    sent_frame : int or None
        The newest frame number sent (None before the first).
    drawn_frame : int or None
        The newest frame number the browser acknowledged (None: no browser ever answered).
    n_acks, n_held, n_stale : int
        Acknowledgements received, live refreshes held back, frames let go after ``stale_s``.
    """

    def __init__(self, stale_s: float = 2.0, clock: Callable[[], float] | None = None) -> None:
        self.stale_s = check_positive("stale_s", stale_s)
        self._clock = clock or time.monotonic
        self._lock = threading.Lock()
        self.sent_frame: int | None = None
        self.drawn_frame: int | None = None
        self._sent_at = 0.0
        self._ack_thread: int | None = None
        self._listeners: list[Callable[[int, float], None]] = []
        self.n_acks = 0
        self.n_held = 0
        self.n_stale = 0

    @property
    def acknowledged(self) -> bool:
        """Whether a browser ever acknowledged a frame of this view."""
        return self.drawn_frame is not None

    @property
    def in_flight(self) -> bool:
        """Whether a sent frame waits for its acknowledgement."""
        with self._lock:
            return self._in_flight()

    def _in_flight(self) -> bool:
        return (self.drawn_frame is not None and self.sent_frame is not None
                and self.sent_frame > self.drawn_frame)

    def sent(self, frame: int, now: float | None = None) -> None:
        """Record that ``frame`` was sent to the browser."""
        t = self._clock() if now is None else float(now)
        with self._lock:
            self.sent_frame = int(frame)
            self._sent_at = t

    def ack(self, frame: int, now: float | None = None) -> None:
        """The browser drew ``frame`` (called by the view's message handler)."""
        t = self._clock() if now is None else float(now)
        with self._lock:
            frame = int(frame)
            if self.drawn_frame is None or frame > self.drawn_frame:
                self.drawn_frame = frame
            self._ack_thread = threading.get_ident()
            self.n_acks += 1
            listeners = list(self._listeners)
        for fn in listeners:
            fn(frame, t)

    def on_ack(self, fn: Callable[[int, float], None]) -> None:
        """Call ``fn(frame, time)`` on every acknowledgement (benchmarks measure the lag)."""
        self._listeners.append(fn)

    def ready(self, now: float | None = None, count: bool = True) -> bool:
        """Whether a live frame may be sent now (see the module docstring for the rules).

        Parameters
        ----------
        now : float, optional
            The current time in seconds (default: the pacer's clock).
        count : bool
            Count a refusal in ``n_held`` (False when only asking).
        """
        t = self._clock() if now is None else float(now)
        with self._lock:
            if not self._in_flight():
                return True
            if self._ack_thread == threading.get_ident():
                return True  # the answer is handled on this thread: it cannot come while we wait
            if t - self._sent_at >= self.stale_s:
                if count:
                    self.n_stale += 1
                return True
            if count:
                self.n_held += 1
            return False

    def reset(self) -> None:
        """Forget every frame (a new front end, or tests)."""
        with self._lock:
            self.sent_frame = self.drawn_frame = None
            self._ack_thread = None


def _children_of(widget: Any) -> Iterator[Any]:
    values = getattr(widget, "_trait_values", {})
    for name in ("children", "child"):
        v = values.get(name)
        if isinstance(v, (list, tuple)):
            yield from v
        elif v is not None:
            yield v
    yield from widget.__dict__.get("_live_subviews", ())


def paced_views(root: Any) -> list[Any]:
    """The views under ``root`` (itself included) whose front end acknowledges drawn frames."""
    out: list[Any] = []
    seen: set[int] = set()
    stack = [root]
    while stack:
        w = stack.pop()
        if id(w) in seen:
            continue
        seen.add(id(w))
        if isinstance(w, LiveUpdateMixin) and w._acks_frames:
            out.append(w)
        stack.extend(_children_of(w))
    return out


class LiveUpdateMixin:
    """Makes a view usable as a training callback: ``som.fit(X, callbacks=[view])``.

    The view must implement ``refresh(som=None, **precomputed)`` sending one message per call.
    ``__call__(state)`` refreshes when the overhead budget, the throttle and the browser's
    back-pressure allow (every paced view under this one has drawn its last frame,
    :class:`FramePacer`) or when ``state.final``, and returns None, so it never stops training.

    The overhead budget: a live refresh waits until the time since the last refresh ended is at
    least ``cost * (1 - max_overhead) / max_overhead``, where ``cost`` is the smaller of the
    last two refreshes' costs (one slow refresh, a one-off, does not hold back the next ones),
    so that refreshing takes at most ``max_overhead`` (default 5%) of the training's wall time
    (a view's refresh repeats a full BMU pass of its data: on 300k rows, refreshing at 15 Hz
    made training many times slower). ``max_overhead=1`` turns the budget off.
    """

    refresh: Callable[..., None]  # provided by the view: refresh(som=None, **precomputed)

    max_rate_hz: float = 15.0
    #: Default share of the training's wall time live refreshes may take.
    default_max_overhead: float = 0.05

    @property
    def max_overhead(self) -> float:
        """Most share of the training's wall time live refreshes may take, in (0, 1]."""
        return float(self.__dict__.get("_live_max_overhead", self.default_max_overhead))

    @max_overhead.setter
    def max_overhead(self, value: float) -> None:
        self.__dict__["_live_max_overhead"] = check_fraction("max_overhead", value)

    @property
    def clock(self) -> Callable[[], float]:
        """The clock the overhead budget reads: the throttle's unless set (tests inject one)."""
        return self.__dict__.get("_live_clock") or getattr(self.throttle, "_clock", time.monotonic)

    @clock.setter
    def clock(self, value: Callable[[], float]) -> None:
        if not callable(value):
            raise TypeError(f"clock must be a callable returning seconds; got {type(value).__name__}")
        self.__dict__["_live_clock"] = value

    def _refresh_costs(self) -> deque[float]:
        """What the last two refreshes cost (seconds)."""
        return self.__dict__.setdefault("_live_costs", deque(maxlen=2))

    def _record_refresh(self, start: float, end: float | None = None) -> None:
        """Record a refresh that ran from ``start`` to ``end`` (now by default) on :attr:`clock`;
        a view built with a BMU pass of its own records it as its first refresh."""
        clock = self.clock
        end = clock() if end is None else end
        self._refresh_costs().append(max(end - start, 0.0))
        self.__dict__["_live_last_end"] = (clock, end)

    def _timed_refresh(self, refresh: Callable[[], Any]) -> Any:
        """Run ``refresh()`` and record what it cost."""
        t0 = self.clock()
        try:
            return refresh()
        finally:
            self._record_refresh(t0)

    def _within_budget(self) -> bool:
        """True when enough time passed since the last refresh to keep :attr:`max_overhead`."""
        f = self.max_overhead
        cost = min(self._refresh_costs(), default=0.0)
        if f >= 1.0 or cost <= 0.0:
            return True
        clock = self.clock
        last_clock, last_end = self.__dict__.get("_live_last_end", (None, 0.0))
        if last_clock is not clock:  # another clock since (a test's): nothing to compare
            return True
        elapsed = clock() - last_end
        return elapsed < 0.0 or elapsed >= cost * (1.0 - f) / f  # < 0: the clock changed
    #: True for views whose front end answers every drawn frame with ``{"drawn": frame}``.
    _acks_frames: bool = False

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

    @property
    def pacer(self) -> FramePacer:
        """This view's back-pressure (:class:`FramePacer`, created on first use)."""
        p = self.__dict__.get("_live_pacer")
        if p is None:
            p = FramePacer()
            self.__dict__["_live_pacer"] = p
        return p

    @pacer.setter
    def pacer(self, value: FramePacer) -> None:
        self.__dict__["_live_pacer"] = value

    def browser_ready(self, count: bool = True) -> bool:
        """Whether every paced view under this one may receive a live frame now."""
        ok = True
        for v in paced_views(self):
            ok = v.pacer.ready(count=count) and ok
        return ok

    def mark_sent(self) -> None:
        """Record the current frame of every paced view under this one as sent."""
        for v in paced_views(self):
            frame = getattr(v, "frame", None)
            if isinstance(frame, int):
                v.pacer.sent(frame)

    def _starts_a_run(self, state: Any) -> bool:
        """Whether ``state`` is the first of a training run (its ``epoch`` lower than the last
        one seen, or the first seen); every callback's state must pass through here."""
        epoch = getattr(state, "epoch", None)
        if not isinstance(epoch, int):
            return False
        last = self.__dict__.get("_live_epoch")
        self.__dict__["_live_epoch"] = epoch
        return last is None or epoch < last

    def _live_ready(self, new_run: bool = False) -> bool:
        """Whether the overhead budget and the throttle allow a live (non-final) refresh now;
        :meth:`__call__` asks :meth:`browser_ready` first. The first refresh of a training run
        (``new_run``) is not held back by the budget: the budget spaces out a run's frames."""
        return (new_run or self._within_budget()) and self.throttle.ready()

    def _precomputed_from_state(self, state: Any) -> dict[str, Any]:
        """Results the training state already carries that this view can reuse."""
        return {}

    def _after_live_refresh(self, final: bool) -> None:
        """Hook run after a refresh made by :meth:`__call__` (the picture follows, ViewBase)."""

    def __call__(self, state: Any) -> None:
        """Training callback: refresh (paced; the final state always) and return None."""
        final = bool(getattr(state, "final", False))
        new_run = self._starts_a_run(state)
        if final or (self.browser_ready() and self._live_ready(new_run)):
            with live_refresh():
                som = getattr(state, "som", None)
                precomputed = self._precomputed_from_state(state)
                self._timed_refresh(lambda: self.refresh(som, **precomputed))
            self.mark_sent()
            self._after_live_refresh(final)
        return None

    # ---- the browser's acknowledgements ------------------------------------------------------
    def _handle_custom_msg(self, content: Any, buffers: Any) -> None:
        """``{"drawn": frame}`` from the front end acknowledges a drawn frame; anything else
        goes to the widget's own handlers."""
        if isinstance(content, dict) and "drawn" in content:
            try:
                frame = int(content["drawn"])
            except (TypeError, ValueError):
                return
            self.pacer.ack(frame)
            return
        super()._handle_custom_msg(content, buffers)  # type: ignore[misc]
