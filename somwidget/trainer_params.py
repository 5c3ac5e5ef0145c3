"""The Trainer's training parameters: one thread-safe, validated set, re-read at every unit.

:class:`TrainerParams` holds ``mode``, ``epochs``, the radius and learning-rate schedules,
``decay``, ``neighborhood`` and ``inhibition``; :class:`~somwidget.trainer.Trainer` (which
re-exports these names) reads a consistent snapshot before every epoch or step, so changes made
while training runs take effect at the next one. ``MODES`` and ``DEFAULT_LEARNING_RATES`` are
shared with the Studio.
"""

from __future__ import annotations

import numbers
import threading
from typing import Any

from .neighborhood import NEIGHBORHOOD_ALIASES, NEIGHBORHOODS
from .schedules import DECAY_ALIASES, DECAYS
from .validation import check_choice, check_fraction, check_int, check_positive

__all__ = ["DEFAULT_LEARNING_RATES", "MODES", "TrainerParams"]

MODES = ("batch", "online")

#: learning-rate defaults per mode when ``learning_rate_start`` / ``_end`` are None. In batch
#: mode the learning rate blends the batch solution with the old codebook (1.0 = pure batch).
DEFAULT_LEARNING_RATES = {"batch": (1.0, 1.0), "online": (0.5, 0.01)}

_PARAM_NAMES = (
    "mode",
    "epochs",
    "radius_start",
    "radius_end",
    "learning_rate_start",
    "learning_rate_end",
    "decay",
    "neighborhood",
    "inhibition",
)


class TrainerParams:
    """Thread-safe training parameters, read by the worker at every epoch or step.

    Parameters
    ----------
    mode : {"batch", "online"}
        Batch epochs (``SOM.fit``) or online Kohonen updates (``SOM.fit_online`` / ``online_step``).
    epochs : int
        Length of the schedule in epochs (at least 1).
    radius_start, radius_end : float or None
        Neighbourhood radius at the first and the last epoch (grid units, > 0; a growing schedule
        is allowed). None: the SOM's defaults (:meth:`SOM.default_radii`; for the Gaussian start
        ``max(1, max(rows, cols) / 2)`` and end ``1``), resolved from the current map and kernel.
    learning_rate_start, learning_rate_end : float or None
        Learning rate at the first and the last epoch, in (0, 1]. None: the mode's default
        (batch 1.0 -> 1.0, online 0.5 -> 0.01).
    decay : {"linear", "exponential", "inverse"}
        Shape of both schedules (see :func:`somwidget.schedules.decay_schedule`).
    neighborhood : str
        Neighbourhood kernel, set on the SOM (``som.set_params(neighborhood=...)``) before each unit.
        None: keep the SOM's own.
    inhibition : float in [0, 1) or None
        The Mexican hat's bound on its negative lobe (``SOM(inhibition=...)``), set on the SOM
        before each unit like ``neighborhood``. None: keep the SOM's own.
    """

    def __init__(
        self,
        mode: str = "batch",
        epochs: int = 20,
        radius_start: float | None = None,
        radius_end: float | None = None,
        learning_rate_start: float | None = None,
        learning_rate_end: float | None = None,
        decay: str = "linear",
        neighborhood: str | None = None,
        inhibition: float | None = None,
    ) -> None:
        self._lock = threading.Lock()
        self._values: dict[str, Any] = {}
        self._version = 0
        self.update(
            mode=mode,
            epochs=epochs,
            radius_start=radius_start,
            radius_end=radius_end,
            learning_rate_start=learning_rate_start,
            learning_rate_end=learning_rate_end,
            decay=decay,
            neighborhood=neighborhood,
            inhibition=inhibition,
        )

    @staticmethod
    def _check(name: str, value: Any) -> Any:
        if name == "mode":
            return check_choice("mode", value, MODES)
        if name == "epochs":
            return check_int("epochs", value, minimum=1)
        if name == "decay":
            return check_choice("decay", value, DECAYS, DECAY_ALIASES)
        if name == "neighborhood":
            if value is None:
                return None
            return check_choice("neighborhood", value, NEIGHBORHOODS, NEIGHBORHOOD_ALIASES)
        if value is None:
            return None
        if name == "inhibition":
            if (isinstance(value, bool) or not isinstance(value, numbers.Real)
                    or not 0.0 <= float(value) < 1.0):
                raise ValueError(f"inhibition must be a number in [0, 1) or None; got {value!r}")
            return float(value)
        if name.startswith("learning_rate"):
            return check_fraction(name, value)
        return check_positive(name, value)

    def update(self, **changes: Any) -> None:
        """Validate and apply parameter changes atomically (all or none).

        Raises
        ------
        TypeError
            For an unknown parameter name.
        ValueError
            For an invalid value (the message names the parameter and the allowed values).
        """
        unknown = sorted(set(changes) - set(_PARAM_NAMES))
        if unknown:
            raise TypeError(
                f"unknown training parameter(s) {unknown}; allowed: {', '.join(_PARAM_NAMES)}"
            )
        checked = {k: self._check(k, v) for k, v in changes.items()}
        with self._lock:
            self._values.update(checked)
            self._version += 1

    def snapshot(self) -> dict[str, Any]:
        """A consistent copy of all parameters."""
        with self._lock:
            return dict(self._values)

    @property
    def version(self) -> int:
        """Incremented by every :meth:`update`."""
        with self._lock:
            return self._version

    def __getattr__(self, name: str) -> Any:
        if name in _PARAM_NAMES:
            with self.__dict__["_lock"]:
                return self.__dict__["_values"][name]
        raise AttributeError(name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name.startswith("_"):
            object.__setattr__(self, name, value)
        else:  # a parameter, or the unknown-name error of update() (a misspelling)
            self.update(**{name: value})

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={v!r}" for k, v in self.snapshot().items())
        return f"TrainerParams({inner})"
