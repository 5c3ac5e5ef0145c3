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

import numpy as np

from .validation import check_choice, check_int, check_positive

__all__ = ["DECAYS", "decay_schedule"]

DECAYS = ("linear", "exponential", "inverse")
DECAY_ALIASES = {"exp": "exponential", "inv": "inverse", "lin": "linear"}


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
    last = float(n_steps - 1)
    if start == end:
        out = np.full(n_steps, start)
    elif decay == "linear":
        out = start + (end - start) * (t / last)
    elif decay == "exponential":
        out = start * (end / start) ** (t / last)
    else:
        b = end * last / (start - end)
        out = start * b / (b + t)
    out[0] = start
    out[-1] = end
    return out
