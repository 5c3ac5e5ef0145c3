"""somnium's ``SOM`` (``somnium.core.SOM``) on somwidget's estimator.

A subclass of :class:`somwidget.SOM` with somnium's constructor (its parameter order and
defaults: a 15 x 10 hexagonal map, standard normalisation, random initialisation) and training
calls (``fit(data, epochs, radiusin, radiusfin, ...)``, ``fit_online``, ``fit_auto(data,
rough_epochs=400, fine_epochs=400)``). Everything else is somwidget's: every view, analysis and
the Trainer accept it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

import numpy as np

from ...initialization import auto_mapsize
from ...persistence import format_error
from ...som import SOM as _CoreSOM
from ...validation import Constraint, Interval, check_int

__all__ = ["SOM"]


class SOM(_CoreSOM):
    """somnium's Self-Organising Map, trained by somwidget.

    Parameters
    ----------
    neighborhood : str
        ``"gaussian"``, ``"bubble"``, ``"cut_gaussian"``, ``"mexican_hat"``, ``"epanechicov"``
        (somwidget's kernels: compact ones are exactly 0 outside the radius, without somnium's
        epsilon floor).
    normalization : str
        ``"standard"``, ``"minmax"``, ``"log"``, ``"logistic"``, ``"boxcox"`` (or any of
        somwidget's).
    mapsize : "auto" or (rows, cols)
        ``"auto"``: somwidget's SOM Toolbox estimate (``5 sqrt(N)`` neurons, the aspect ratio
        from the two main principal axes), scaled by ``mapsize_scale / 5``.
    lattice : str
        ``"hexa"``, ``"rect"``, ``"toroidal_hexa"``, ``"toroidal_rect"``, ``"cylindrical_hexa"``,
        ``"cylindrical_rect"``.
    distance_metric : str
        Data metric of the BMU search (never used for grid distances).
    n_jobs : int
        Threads of the BLAS pools during the calls (``-1``: all cores).
    initialization : {"random", "pca"}
    mapsize_scale : float > 0
        Neurons per ``sqrt(N)`` of the ``"auto"`` map size (somnium's default 5).
    rect_adjacency, callback_every, chunk_size, random_state, inhibition, verbose, device : keyword-only
        somwidget's further parameters (see :class:`somwidget.SOM`).
    """

    _parameter_constraints: ClassVar[dict[str, list[Constraint | None]]] = {
        **_CoreSOM._parameter_constraints,
        "mapsize_scale": [Interval(0.0, math.inf, closed="neither")],
    }

    def __init__(
        self,
        neighborhood: str = "gaussian",
        normalization: str = "standard",
        mapsize: str | int | tuple[int, int] = (15, 10),
        lattice: str = "hexa",
        distance_metric: str = "euclidean",
        n_jobs: int | None = 1,
        initialization: str = "random",
        mapsize_scale: float = 5,
        *,
        rect_adjacency: int = 4,
        callback_every: int = 1,
        chunk_size: int | None = None,
        random_state: int | np.random.Generator | None = None,
        inhibition: float = 0.1,
        verbose: int = 0,
        missing: str = "raise",
        max_missing: float = 0.5,
        epochs: int = 10,
        radius_start: float | None = None,
        radius_end: float | None = None,
        learning_rate: float = 1.0,
        learning_rate_start: float | None = None,
        learning_rate_end: float | None = None,
        decay: str = "linear",
        subsample_ratio: float = 1.0,
        presentation: str = "random",
        warm_start: bool = True,
        device: str = "cpu",
    ) -> None:
        super().__init__(
            mapsize=mapsize, lattice=lattice, neighborhood=neighborhood,
            normalization=normalization, initialization=initialization,
            distance_metric=distance_metric, rect_adjacency=rect_adjacency,
            callback_every=callback_every, chunk_size=chunk_size, random_state=random_state,
            n_jobs=n_jobs, inhibition=inhibition, verbose=verbose, missing=missing,
            max_missing=max_missing, epochs=epochs,
            radius_start=radius_start, radius_end=radius_end, learning_rate=learning_rate,
            learning_rate_start=learning_rate_start, learning_rate_end=learning_rate_end,
            decay=decay, subsample_ratio=subsample_ratio, presentation=presentation,
            warm_start=warm_start, device=device,
        )
        self.mapsize_scale = mapsize_scale

    # ------------------------------------------------------------------ map size
    def _initialize_from(self, X: object) -> np.ndarray:
        """Initialise as :meth:`somwidget.SOM.initialize` (which, like the first training
        call, goes through here); ``mapsize="auto"`` uses ``mapsize_scale``."""
        p = self._validated()
        if p["mapsize"] != "auto" or float(p["mapsize_scale"]) == 5.0:
            return super()._initialize_from(X)
        from ...normalization import make_normalizer
        from ...validation import check_array

        arr, _ = check_array("X", X)
        rows, cols = auto_mapsize(make_normalizer(p["normalization"]).fit_transform(arr), p["lattice"])
        f = math.sqrt(float(p["mapsize_scale"]) / 5.0)
        size = (max(1, round(rows * f)), max(1, round(cols * f)))
        if size[0] * size[1] < 2:
            size = (2, 1) if size[0] >= size[1] else (1, 2)
        if p["lattice"] == "toroidal_hexa" and size[0] % 2:
            size = (size[0] + 1, size[1])
        self.set_params(mapsize=size)  # set_params: a check cached by an outer call is redone
        try:
            return super()._initialize_from(X)
        finally:
            self.set_params(mapsize="auto")
            if getattr(self, "_init_params", None) is not None:
                self._init_params["mapsize"] = "auto"

    # ------------------------------------------------------------------ files
    def to_dict(self) -> dict[str, Any]:
        """As :meth:`somwidget.SOM.to_dict`; ``mapsize_scale`` is left out at its default 5, so
        the file also loads with ``somwidget.SOM.load``."""
        d = super().to_dict()
        if float(d["params"].get("mapsize_scale", 5)) == 5.0:
            d["params"].pop("mapsize_scale", None)
        return d

    def __getstate__(self) -> dict:
        """As :meth:`somwidget.SOM.__getstate__`, plus the data of the latest fit (somnium's
        pickles kept it: the metrics and plots without data work on the loaded model)."""
        state = super().__getstate__()
        data = getattr(self, "_seed_data", None)
        if data is not None and state.get("fitted") is not None:
            state["seed_data"] = data
        return state

    def __setstate__(self, state: dict) -> None:
        """As :meth:`somwidget.SOM.__setstate__`; the pickled training data, if any, is held
        again (checked against the model) for the metrics and plots called without data."""
        data = None
        if isinstance(state, dict) and "seed_data" in state:
            state = dict(state)
            data = state.pop("seed_data")
        super().__setstate__(state)
        if data is None:
            return
        if not self._is_initialized():
            raise format_error("the pickled SOM", "it holds training data but no fitted model")
        try:
            Xt = self._to_training_space(data)
        except (TypeError, ValueError) as exc:
            raise format_error("the pickled SOM", f"its training data does not fit the model "
                                                  f"({exc})") from None
        self._hold_training_data(Xt, data)
        self._remember(data)

    # ------------------------------------------------------------------ training
    def _remember(self, data: Any) -> None:
        self._seed_data = data  # the data of the latest fit, for somnium's plot functions

    def fit(self, data: Any, epochs: int = 10, radiusin: float | None = None,
            radiusfin: float | None = None, decay: str = "linear", learning_rate: float = 1.0,
            subsample_ratio: float = 1.0, collect_history: bool = False, **kwargs: Any) -> SOM:
        """Batch training (somnium's ``fit``): ``radiusin`` to ``radiusfin`` over ``epochs``.

        Further keywords (``callbacks``, ``radius_start``, ...) go to
        :meth:`somwidget.SOM.fit`. ``collect_history=True`` appends one record per epoch to
        ``history_`` (``history_["quantization_error"]`` is somwidget's mean Euclidean
        distance; somnium's per-feature MAE is :meth:`calculate_quantization_error`).
        """
        super().fit(data, epochs=epochs, decay=decay, learning_rate=learning_rate,
                    subsample_ratio=subsample_ratio, collect_history=collect_history,
                    radiusin=radiusin, radiusfin=radiusfin, **kwargs)
        self._remember(data)
        return self

    def fit_online(self, data: Any, epochs: int = 10, radiusin: float | None = None,
                   radiusfin: float | None = None, learning_rate_init: float | None = 0.1,
                   learning_rate_fin: float | None = 0.01, decay: str = "linear",
                   collect_history: bool = False, **kwargs: Any) -> SOM:
        """Online training (somnium's ``fit_online``): a new random order every epoch, radius
        and learning rate decaying per sample (somnium: per epoch). Further keywords
        (``n_steps``, ``presentation``, ``callbacks``, ...) go to :meth:`somwidget.SOM.fit_online`.
        """
        new = {k: kwargs.pop(k) for k in ("learning_rate_start", "learning_rate_end") if k in kwargs}
        if "learning_rate_start" in new:
            learning_rate_init = None
        if "learning_rate_end" in new:
            learning_rate_fin = None
        super().fit_online(data, epochs=epochs, decay=decay, collect_history=collect_history,
                           radiusin=radiusin, radiusfin=radiusfin,
                           learning_rate_init=learning_rate_init,
                           learning_rate_fin=learning_rate_fin, **new, **kwargs)
        self._remember(data)
        return self

    def fit_auto(self, data: Any, rough_epochs: int = 400, fine_epochs: int = 400,
                 collect_history: bool = False,
                 callbacks: Callable | Sequence[Callable] | None = None) -> SOM:
        """somnium's two-phase schedule: ``rough_epochs`` batch epochs with the radius falling
        linearly from ``max(max(rows, cols) / 3, 4)`` to 3, then ``fine_epochs`` falling
        exponentially from 3 to 1. (somwidget's own :meth:`somwidget.SOM.fit_auto` sizes the
        phases after the SOM Toolbox instead.)"""
        rough = check_int("rough_epochs", rough_epochs, minimum=1)
        fine = check_int("fine_epochs", fine_epochs, minimum=1)
        if not self._is_initialized() or self._structural_changed():
            self.initialize(data)
        start = max(max(self.mapsize_) / 3.0, 4.0)
        self.fit(data, rough, start, 3.0, decay="linear", collect_history=collect_history,
                 callbacks=callbacks)
        self.fit(data, fine, 3.0, 1.0, decay="exponential", collect_history=collect_history,
                 callbacks=callbacks)
        return self
