"""Plain-text training progress (GEMA's ``verbose``), for terminals, scripts and notebooks.

``SOM(verbose=1)`` or ``SOM(verbose=2)`` adds a :class:`TextProgress` to every training call. It
can also be passed as an ordinary callback: ``som.fit(X, callbacks=[TextProgress(2)])``.

* level 1: one line per training phase, rewritten in place (``\\r``, at most ``max_rate_hz``
  times a second), ending with the elapsed time;
* level 2: one line per epoch passed to the callbacks (every ``callback_every`` epochs, default
  every epoch, and the last): radius, learning rate, quantization error, topographic error and
  vacancy rate (measured for the printed epochs, one best-two BMU search each, as for
  :class:`~somwidget.widgets.TrainingCurves`; no history is kept unless the call collects it).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any, TextIO

from .validation import check_int, check_positive

__all__ = ["TextProgress"]


class TextProgress:
    """A training callback that prints progress as text; it never stops training.

    It reads :class:`~somwidget.callbacks.TrainingRecord` objects (SOM callbacks and Trainer
    listeners alike): level 2 prints the epoch-end records (``kind="epoch"``) and the final one.

    Parameters
    ----------
    level : {1, 2}
        1: a line per phase updated in place; 2: a line per epoch.
    stream : file-like, optional
        Where to write (default ``sys.stdout`` at the time of each call).
    max_rate_hz : float
        Level 1 rewrites its line at most this often (the final state is always written).
    clock : callable
        Time source (``time.perf_counter``).

    Attributes
    ----------
    wants_metrics : bool
        True at level 2: a SOM training call then measures the errors at the epochs it passes
        (:func:`somwidget.callbacks.wants_metrics`); level 1 shows none and costs no search.
    """

    def __init__(self, level: int = 1, stream: TextIO | None = None, max_rate_hz: float = 10.0,
                 clock: Callable[[], float] = time.perf_counter) -> None:
        self.level = check_int("level", level, minimum=1, maximum=2)
        if stream is not None and not callable(getattr(stream, "write", None)):
            raise TypeError(f"stream must be a file-like object with write() (or None: "
                            f"sys.stdout); got {stream!r}")
        if not callable(clock):
            raise TypeError(f"clock must be a callable returning seconds; got {clock!r}")
        self.stream = stream
        self.min_interval = 1.0 / check_positive("max_rate_hz", max_rate_hz)
        self.clock = clock
        self._metrics: Any = None  # the phase's last metrics (a final record may carry none)
        self._phase: tuple[str, str] | None = None
        self._start = 0.0
        self._last_write = -float("inf")
        self._width = 0
        self._printed: tuple[int, int] | None = None

    @property
    def wants_metrics(self) -> bool:
        return self.level == 2

    def _out(self) -> TextIO:
        return self.stream if self.stream is not None else sys.stdout

    def _describe(self, state: Any) -> str:
        parts = [f"{state.mode} {state.phase}: epoch {state.epoch}/{state.n_epochs}"]
        if state.mode == "online" and state.n_steps and 0 < state.step < state.n_steps:
            parts[0] += f" (sample {state.step}/{state.n_steps})"
        parts.append(f"radius {state.radius:.3g}")
        parts.append(f"learning rate {state.learning_rate:.3g}")
        m = state.metrics or (self._metrics if state.final else None)
        if m:
            parts.append(f"QE {m['quantization_error']:.4g}")
            parts.append(f"TE {m['topographic_error']:.1%}")
            parts.append(f"vacancy {m['vacancy_rate']:.1%}")
        parts.append(f"{self.clock() - self._start:.1f} s")
        return " · ".join(parts)

    def __call__(self, state: Any) -> None:
        key = (state.mode, state.phase)
        now = self.clock()
        if key != self._phase:  # a new training call or phase
            self._phase, self._start, self._last_write, self._width = key, now, -float("inf"), 0
            self._printed: tuple[int, int] | None = None
            self._metrics = None
        if state.metrics:
            self._metrics = state.metrics
        out = self._out()
        if self.level == 2:
            at_epoch_end = getattr(state, "kind", "epoch") == "epoch"
            seen = (state.epoch, state.step)
            if (at_epoch_end or state.final) and seen != self._printed:  # a stop repeats its epoch
                print(self._describe(state), file=out, flush=True)
                self._printed = seen
            if state.final:
                self._phase = None
            return None
        if not state.final and now - self._last_write < self.min_interval:
            return None
        line = self._describe(state)
        pad = " " * max(0, self._width - len(line))
        out.write("\r" + line + pad + ("\n" if state.final else ""))
        out.flush()
        self._width, self._last_write = len(line), now
        if state.final:
            self._phase = None
        return None

    def __repr__(self) -> str:
        return f"TextProgress(level={self.level})"
