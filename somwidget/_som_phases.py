"""Training programmes on top of the batch and online loops: SOM Toolbox's two phases and
GEMA's reinforcement.

``_PhasesMixin`` (a base of :class:`~somwidget.som.SOM`) holds :meth:`fit_auto` (a rough and a
fine batch phase sized from the map and the data, as ``som_make``) and :meth:`reinforce` (more
online epochs at a fixed radius and a compressed learning rate). Both size their schedules and
run ``_run_batch`` / ``_run_online`` of :mod:`somwidget._som_training`. No import of
:mod:`somwidget.som`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TypeVar

import numpy as np

from . import scale as _scale
from ._som_calls import _limit_threads
from ._som_sklearn import _check_y
from ._som_training import PRESENTATIONS
from .callbacks import TrainingRecord, check_callbacks, notify, wants_metrics
from .neighborhood import width_factor
from .validation import (
    check_choice,
    check_flag,
    check_fraction,
    check_int,
    check_positive,
    check_sample_weight,
    n_samples_of,
)

__all__: list[str] = []

#: the SOM a method returns (itself)
_S = TypeVar("_S", bound="_PhasesMixin")


class _PhasesMixin:
    """:meth:`fit_auto` and :meth:`reinforce` of :class:`~somwidget.som.SOM` (module notes)."""

    @_limit_threads
    def fit_auto(
        self: _S,
        X: object,
        y: object = None,
        *,
        collect_history: bool = False,
        callbacks: Callable | Sequence[Callable] | None = None,
        sample_weight: object = None,
    ) -> _S:
        """Two batch phases sized from the map, after SOM Toolbox ``som_make``.

        ``y`` is accepted and ignored (scikit-learn convention); the constructor's training
        parameters (``epochs``, the radii, ...) are not used: the phases are sized here.
        With ``ms = max(rows, cols)``, ``M`` neurons and ``N`` samples:

        * rough: radius from ``max(1, ceil(ms / 8))`` (PCA init; ``ceil(ms / 4)`` for the random
          and sample inits) to ``max(1, r0 / 4)``, ``clip(ceil(10 M / N), 10, 100)`` epochs;
        * fine: radius from the rough final radius to 1, ``clip(ceil(40 M / N), 20, 200)`` epochs.

        These radii are for the Gaussian. For the kernels that vanish at ``d = r`` they are
        multiplied by :func:`somwidget.neighborhood.width_factor` (Epanechikov 1.594, Mexican
        hat 1.836), so that the direct neighbours keep the Gaussian's weight at the end of the
        fine phase. At radius 1 those kernels would leave each neuron alone and the map
        unordered: TE 0.17 to 0.27 on iris and wine, against 0.02 with the scaled radii.

        Both phases use linear decay and the plain batch rule. Callbacks see ``phase`` =
        ``"rough"`` then ``"fine"``; returning False in the rough phase also skips the fine one.
        ``sample_weight`` (keyword-only) weights the batch sums as in :meth:`fit`.
        """
        _check_y("fit_auto", y)
        p = self._validated()
        weights = check_sample_weight(sample_weight, n_samples_of(X),
                                      lazy=_scale.is_dask_collection(X))
        collect_history = check_flag("collect_history", collect_history)
        callbacks = self._with_progress(check_callbacks(callbacks))
        Xt = self._start(X, p)
        ms = max(self.mapsize_)
        m, n = self.n_neurons_, Xt.shape[0]
        init = p["initialization"]
        r0 = max(1.0, float(math.ceil(ms / 8 if init == "pca" else ms / 4)))
        r1 = max(1.0, r0 / 4.0)
        width = width_factor(self.neighborhood)
        r0, r1, r_end = r0 * width, r1 * width, width
        e_rough = int(np.clip(math.ceil(10 * m / n), 10, 100))
        e_fine = int(np.clip(math.ceil(40 * m / n), 20, 200))
        stop = {"flag": False}

        def watch(record: TrainingRecord) -> bool | None:
            if notify(callbacks, record):
                return None
            stop["flag"] = True
            return False

        watch.wants_metrics = wants_metrics(callbacks)  # type: ignore[attr-defined]
        cbs = [watch] if callbacks else []
        self._run_batch(Xt, e_rough, r0, r1, "linear", 1.0, 1.0, collect_history, cbs, "rough",
                        sample_weight=weights)
        if not stop["flag"]:
            self._run_batch(Xt, e_fine, r1, r_end, "linear", 1.0, 1.0, collect_history, cbs,
                            "fine", sample_weight=weights)
        return self

    @_limit_threads
    def reinforce(
        self: _S,
        X: object,
        y: object = None,
        *,
        reinforcement: int = 10,
        extension: float = 1.0,
        compression: float = 0.1,
        learning_rate: float = 0.1,
        presentation: str | None = None,
        collect_history: bool = False,
        callbacks: Callable | Sequence[Callable] | None = None,
        sample_weight: object = None,
    ) -> _S:
        """Continue training a trained map with a compressed learning rate (GEMA ``reinforce``).

        Runs ``reinforcement`` more online epochs on ``X`` with a fixed neighbourhood radius
        ``extension`` and a learning rate that starts at ``compression * learning_rate`` and
        decays linearly to 1/100 of that. Small ``compression`` fine-tunes the prototypes to
        new (or the same) data without undoing the map's ordering.

        Its own arguments (keyword-only) are not the constructor's training parameters, apart
        from ``presentation``, which defaults to the constructor's.

        Parameters
        ----------
        X : array-like or DataFrame (N, D)
        y : ignored
            Accepted for the scikit-learn convention (a number here is refused).
        reinforcement : int
            Number of additional online epochs (>= 1).
        extension : float > 0
            Neighbourhood radius (grid units) during reinforcement, held constant.
        compression : float in (0, 1]
            Factor compressing the learning rate.
        learning_rate : float in (0, 1]
            Base learning rate before compression.
        presentation : {"random", "sequential"}, optional
            Default the constructor's ``presentation``.
        collect_history, callbacks : see :meth:`fit_online` (phase ``"reinforce"``).
        sample_weight : array-like (N,), optional, keyword-only
            Scales each sample's learning rate as in :meth:`fit_online`.
        """
        _check_y("reinforce", y, "reinforcement")
        self._check_initialized()
        p = self._validated()
        weights = check_sample_weight(sample_weight, n_samples_of(X))
        reinforcement = check_int("reinforcement", reinforcement, minimum=1)
        extension = check_positive("extension", extension)
        compression = check_fraction("compression", compression)
        learning_rate = check_fraction("learning_rate", learning_rate)
        presentation = (p["presentation"] if presentation is None
                        else check_choice("presentation", presentation, PRESENTATIONS))
        collect_history = check_flag("collect_history", collect_history)
        callbacks = self._with_progress(check_callbacks(callbacks))
        _scale.refuse_dask(X, "reinforce")
        Xt = self._prepare(X)
        lr0 = compression * learning_rate
        self._run_online(Xt, reinforcement, extension, extension, lr0, lr0 / 100.0, "linear",
                         presentation, collect_history, callbacks, None, "reinforce",
                         sample_weight=weights)
        return self
