"""Decay schedules for the neighbourhood radius and the learning rate.

``decay_schedule(start, end, n_steps, decay)`` returns the ``n_steps`` values used at steps
``t = 0 .. T-1`` (``T = n_steps``). Every schedule takes the value ``start`` at ``t = 0`` and
``end`` at ``t = T-1`` exactly (``T = 1`` gives ``[start]``):

* ``linear``: ``start + (end - start) · t / (T-1)`` (SOM Toolbox batch radius);
* ``exponential``: ``start · (end / start) ** (t / (T-1))``; needs ``start, end > 0``;
* ``inverse``: the SOM Toolbox ``inv`` shape ``a / (b + t)`` with ``a`` and ``b`` chosen so that
  it runs from ``start`` to ``end``: ``b = end·(T-1) / (start - end)``, ``a = start·b``. With
  ``end = start / 100`` this is exactly ``som_seqtrain``'s ``b = (T-1)/99``. It falls fast at
  first and flattens out; needs ``start, end > 0`` (``start == end`` gives a constant).
"""

from __future__ import annotations

import math

import numpy as np

from .validation import check_choice, check_int, check_positive

__all__ = ["DECAYS", "decay_schedule", "schedule_values"]

DECAYS = ("linear", "exponential", "inverse")
DECAY_ALIASES = {"exp": "exponential", "inv": "inverse", "lin": "linear"}


#: Beyond this |log(end / start)| the schedules are computed in logarithms: ``end / start``
#: itself (or the inverse shape's offset) would overflow or underflow float64.
_LOG_RATIO_SAFE = 600.0


def _extreme_schedule(start: float, end: float, t: np.ndarray, last: float,
                      decay: str) -> np.ndarray:
    """:func:`decay_schedule` in logarithms, for ends ~1e260 or more apart (same shapes):
    exponential ``log start + t/T (log end - log start)``; inverse ``a / (b + t)`` through both
    ends, ``start end T / (end (T - t) + start t)``."""
    ls, le = math.log(start), math.log(end)
    if decay == "exponential":
        return np.exp(ls + (t / last) * (le - ls))
    with np.errstate(divide="ignore"):
        return np.exp(ls + le + math.log(last)
                      - np.logaddexp(le + np.log(last - t), ls + np.log(t)))


def schedule_values(start: float, end: float, t: np.ndarray, last: float,
                    decay: str) -> np.ndarray:
    """The schedule from ``start`` (step 0) to ``end`` (step ``last`` > 0) at the steps ``t``
    (float64; checked arguments, ``decay`` canonical): the formulas of the module docstring,
    in logarithms where the ends are too far apart for ``end / start``."""
    if start == end:
        return np.full(t.shape, float(start))
    if decay == "linear":
        return start + (end - start) * (t / last)
    if abs(math.log(start) - math.log(end)) > _LOG_RATIO_SAFE:
        return _extreme_schedule(start, end, t, last, decay)
    if decay == "exponential":
        return start * (end / start) ** (t / last)
    b = end * last / (start - end)
    return start * b / (b + t)


def decay_schedule(start: float, end: float, n_steps: int, decay: str = "linear") -> np.ndarray:
    """Values of a decaying (or growing) parameter over ``n_steps`` steps.

    Parameters
    ----------
    start : float
        Value at the first step (>= 0; > 0 for ``exponential`` and ``inverse``).
    end : float
        Value at the last step (>= 0; > 0 for ``exponential`` and ``inverse``).
    n_steps : int
        Number of steps, at least 1.
    decay : {"linear", "exponential", "inverse"}
        Shape of the schedule (see the module docstring).

    Returns
    -------
    ndarray of float64, shape (n_steps,)
        ``out[0] == start`` and ``out[-1] == end`` exactly.
    """
    decay = check_choice("decay", decay, DECAYS, DECAY_ALIASES)
    strict = decay != "linear"
    start = check_positive("start", start, allow_zero=not strict)
    end = check_positive("end", end, allow_zero=not strict)
    n_steps = check_int("n_steps", n_steps, minimum=1)
    if n_steps == 1:
        return np.array([start])
    t = np.arange(n_steps, dtype=np.float64)
    out = schedule_values(start, end, t, float(n_steps - 1), decay)
    out[0] = start
    out[-1] = end
    return out
