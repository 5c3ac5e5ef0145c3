"""The SOM estimator.

``SOM`` follows the scikit-learn conventions: the constructor only stores its parameters
(``get_params`` / ``set_params``), they are checked against the table
``SOM._parameter_constraints`` once on entry of each public method (nested calls, such as a
callback reading a metric during ``fit``, reuse that check), and learned attributes end in ``_``.

Fitted state
------------
One method, ``_set_fitted``, writes every fitted attribute (``codebook_``, ``lattice_``,
``normalizer_``, ``history_``, ...) and resets the private caches; ``initialize``,
``from_dict`` and unpickling all go through it (training then updates the codebook, the
history and the epoch count). ``to_dict`` / ``from_dict`` give the versioned JSON document
that ``save`` / ``load`` write and read through :mod:`somwidget.persistence`; an unfitted SOM
gives its parameters only. Pickles keep the random generator with its state, not the data.

Spaces and metrics
------------------
Data given to any method is in *data units*; it is mapped once through ``normalizer_`` (fitted
by the first ``initialize``/``fit`` only) to the *training space*, where ``codebook_`` lives and
where every metric (quantization / topographic error, vacancy, distortion, U-matrix) is
computed. BMUs always use the data metric ``distance_metric``; grid distances never do.

Training
--------
* ``fit``: batch SOM (SOM Toolbox formula, see :mod:`somwidget.training`), radius decaying per
  epoch from ``radius_start`` to ``radius_end``. Defaults: ``radius_start = max(1, max(rows,
  cols) / 2)`` and ``radius_end = 1`` (capped at ``radius_start``). ``radius_end >
  radius_start`` is refused (a growing neighbourhood undoes the ordering; it is almost always
  swapped arguments).
* ``fit_online``: classic Kohonen, radius and learning rate decaying per sample over all epochs.
* ``fit_auto``: two batch phases (rough, fine) sized like SOM Toolbox ``som_make``.
* ``reinforce``: extra online epochs with a small, compressed learning rate (GEMA).

A second training call continues from the current codebook (multi-phase training) and reuses
the fitted normaliser. Changing a structural parameter (``mapsize``, ``lattice``,
``rect_adjacency``, ``normalization``, ``initialization``, ``random_state``) with
``set_params`` makes the next training call start afresh with ``initialize``.

One spelling for each training parameter across ``fit``, ``fit_online``, the Trainer and the
Studio: ``radius_start``, ``radius_end``, ``learning_rate_start``, ``learning_rate_end``. The old
spellings ``radiusin``, ``radiusfin``, ``learning_rate_init``, ``learning_rate_fin`` (somnium,
GEMA) stay accepted as keyword-only aliases; giving both spellings of one is a ``TypeError``.

Every training call reports through :class:`~somwidget.callbacks.TrainingRecord` (callbacks,
``history_``), the type the Trainer reports with too.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import math
import numbers
import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import numpy as np

from . import bmu as _bmu
from . import persistence
from . import training as _training
from .callbacks import (
    HISTORY_KEYS,
    History,
    OnlineStep,
    TrainingRecord,
    TrainingState,
    check_callbacks,
    notify,
)
from .initialization import (
    INITIALIZATION_ALIASES,
    INITIALIZATIONS,
    auto_mapsize,
    initialize_codebook,
)
from .lattice import FLOAT32_MIN_NEURONS, LATTICE_ALIASES, LATTICES, RECT_ADJACENCIES, Lattice
from .neighborhood import NEIGHBORHOOD_ALIASES, NEIGHBORHOODS, neighborhood_weights, width_factor
from .normalization import NORMALIZATION_ALIASES, NORMALIZATIONS, Normalizer, make_normalizer
from .schedules import DECAY_ALIASES, DECAYS, decay_schedule
from .validation import (
    Constraint,
    GridShape,
    InstanceOf,
    Integer,
    Interval,
    NotFittedError,
    Options,
    check_array,
    check_choice,
    check_fraction,
    check_int,
    check_positive,
    default_feature_names,
    validate_params,
)

__all__ = ["HISTORY_KEYS", "SOM", "OnlineStep", "TrainingRecord", "TrainingState"]

PRESENTATIONS = ("random", "sequential")
_STRUCTURAL = (
    "mapsize",
    "lattice",
    "rect_adjacency",
    "normalization",
    "initialization",
    "random_state",
)


def _readonly(a: np.ndarray) -> np.ndarray:
    v = a.view()
    v.flags.writeable = False
    return v


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
    result. The BLAS / OpenMP pools are limited to ``n_jobs`` threads for the call.
    """

    @functools.wraps(method)
    def wrapper(self: SOM, *args: Any, **kwargs: Any) -> Any:
        active = _active_calls()
        if id(self) in active:  # nested: already validated, limits already set
            return method(self, *args, **kwargs)
        p = validate_params(type(self)._parameter_constraints, self.get_params())
        active[id(self)] = p
        try:
            with self._thread_limits(p["n_jobs"]):
                return method(self, *args, **kwargs)
        finally:
            del active[id(self)]

    return wrapper  # type: ignore[return-value]


def _spelled(method: str, **params: tuple[Any, str, Any]) -> tuple[list[Any], list[str]]:
    """Resolve the old spellings of training parameters onto the one spelling.

    ``params`` maps each parameter to ``(value, old_name, old_value)``, None meaning not given.
    Returns the values and the spelling the caller used for each (for error messages). Giving
    both spellings of one parameter is a ``TypeError`` naming both.
    """
    values, names = [], []
    for name, (value, old_name, old_value) in params.items():
        if value is not None and old_value is not None:
            raise TypeError(
                f"{method}() got both {name}={value!r} and {old_name}={old_value!r}; "
                f"{old_name} is the old spelling of {name}: pass only {name}"
            )
        values.append(value if old_value is None else old_value)
        names.append(name if old_value is None else old_name)
    return values, names


@functools.cache
def _init_param_names(cls: type) -> tuple[str, ...]:
    return tuple(p for p in inspect.signature(cls.__init__).parameters if p != "self")


class SOM:
    """Self-Organizing Map estimator.

    Parameters
    ----------
    mapsize : "auto", int or (rows, cols)
        Map size; an int gives a square map; ``"auto"`` uses SOM Toolbox ``som_topol_struct``
        on the training-space data. At least 2 neurons.
    lattice : str
        ``"hexa"``, ``"rect"``, ``"toroidal_hexa"``, ``"toroidal_rect"``, ``"cylindrical_hexa"``,
        ``"cylindrical_rect"``.
    neighborhood : str
        ``"gaussian"``, ``"bubble"``, ``"cut_gaussian"``, ``"mexican_hat"``, ``"epanechikov"``
        (aliases ``"epanechicov"``, ``"epanechnikov"``, ...).
    normalization : str
        ``"none"``, ``"standard"``, ``"minmax"``, ``"l2"``, ``"log"``, ``"logistic"``,
        ``"boxcox"``; GEMA aliases ``"fwn"``, ``"01scale"``, ``"euclidean"``.
    initialization : str
        ``"random"``, ``"random_negative"``, ``"sample"``, ``"pca"``.
    distance_metric : str
        Data metric for BMUs: ``"euclidean"`` (fast path), ``"chebyshev"`` or another
        ``scipy.spatial.distance.cdist`` name (see :data:`somwidget.bmu.METRICS`).
    rect_adjacency : {4, 8}
        Neighbours of a rectangular unit for the topographic error and the U-matrix.
    callback_every : int
        Call the callbacks every this many epochs.
    chunk_size : int or None
        Samples per BMU block (default: about 4 MiB of float32 per block).
    random_state : int, numpy.random.Generator or None
        Seed; the same seed and data give bit-identical maps.
    n_jobs : int or None
        Threads of the BLAS / OpenMP pools (through ``threadpoolctl``) while training,
        predicting and computing the analyses: ``None`` leaves them as they are, ``-1`` uses
        all cores, ``k >= 1`` at most ``k`` threads. The limits are restored when the call
        returns (callbacks run inside it). The online loop always runs BLAS single-threaded
        (its per-sample products are too small for threads). somwidget computes with vectorised
        numpy, so this only sets how many threads the matrix products may use.
    inhibition : float in [0, 1)
        Mexican hat only: how strongly the kernel's negative lobe may act. On a 2-D lattice that
        lobe outweighs the positive one, so used unbounded it drives prototypes to the edges of
        the data box and training ends worse than it began. Each update scales the negative
        lobe so its (data-weighted, in batch mode) mass is at most ``inhibition`` times the
        positive lobe's: a prototype is then pushed away from the data it inhibits by at most
        ``inhibition / (1 - inhibition)`` of the distance between the excited and inhibited
        means, and clipped to the data's bounding box (see :mod:`somwidget.training`). ``0``
        keeps the positive lobe only. Ignored by the other kernels.
    verbose : {0, 1, 2}
        Training progress printed as text (GEMA's ``verbose``): 0 nothing, 1 one line per phase
        updated in place, 2 one line per epoch with the radius, the learning rate and (with
        ``collect_history=True``) the errors. See :class:`somwidget.progress.TextProgress`.
    """

    #: What each constructor parameter may be (checked once per public call, see
    #: :func:`somwidget.validation.validate_params`); ``None`` in a list allows ``None``.
    _parameter_constraints: ClassVar[dict[str, list[Constraint | None]]] = {
        "mapsize": [GridShape(min_cells=2)],
        "lattice": [Options(LATTICES, LATTICE_ALIASES)],
        "neighborhood": [Options(NEIGHBORHOODS, NEIGHBORHOOD_ALIASES)],
        "normalization": [Options(NORMALIZATIONS, NORMALIZATION_ALIASES)],
        "initialization": [Options(INITIALIZATIONS, INITIALIZATION_ALIASES)],
        "distance_metric": [Options(_bmu.METRICS, _bmu.METRIC_ALIASES)],
        "rect_adjacency": [Options(RECT_ADJACENCIES)],
        "callback_every": [Integer(1)],
        "chunk_size": [None, Integer(1)],
        "random_state": [
            None,
            Integer(0, strict=True),
            InstanceOf(np.random.Generator, "a numpy.random.Generator"),
        ],
        "n_jobs": [
            None,
            Options((-1,), description="-1 (all cores)"),
            Integer(1, strict=True, description="an integer >= 1 (that many threads)"),
        ],
        "inhibition": [Interval(0.0, 1.0, closed="left")],
        "verbose": [Integer(0, 2)],
    }

    def __init__(
        self,
        mapsize: str | int | tuple[int, int] = "auto",
        lattice: str = "hexa",
        neighborhood: str = "gaussian",
        normalization: str = "none",
        initialization: str = "pca",
        distance_metric: str = "euclidean",
        rect_adjacency: int = 4,
        callback_every: int = 1,
        chunk_size: int | None = None,
        random_state: int | np.random.Generator | None = None,
        n_jobs: int | None = None,
        inhibition: float = 0.1,
        verbose: int = 0,
    ) -> None:
        self.mapsize = mapsize
        self.lattice = lattice
        self.neighborhood = neighborhood
        self.normalization = normalization
        self.initialization = initialization
        self.distance_metric = distance_metric
        self.rect_adjacency = rect_adjacency
        self.callback_every = callback_every
        self.chunk_size = chunk_size
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.inhibition = inhibition
        self.verbose = verbose

    # ------------------------------------------------------------------ parameters
    @classmethod
    def _param_names(cls) -> list[str]:
        return list(_init_param_names(cls))

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """Constructor parameters as a dict (scikit-learn convention)."""
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params: Any) -> SOM:
        """Set constructor parameters; unknown names raise a ``ValueError`` listing the valid ones."""
        valid = self._param_names()
        for key, value in params.items():
            if key not in valid:
                raise ValueError(
                    f"Invalid parameter {key!r} for SOM; valid parameters are {', '.join(valid)}"
                )
            setattr(self, key, value)
        active = _active_calls()
        if id(self) in active:  # set inside a public call (a callback): validate again
            active[id(self)] = None
        return self

    def __repr__(self) -> str:
        sig = inspect.signature(type(self).__init__)
        parts = [
            f"{k}={v!r}"
            for k, v in self.get_params().items()
            if not (isinstance(v, type(sig.parameters[k].default)) and v == sig.parameters[k].default)
        ]
        return f"SOM({', '.join(parts)})"

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

    # ------------------------------------------------------------------ state helpers
    def _is_initialized(self) -> bool:
        return getattr(self, "codebook_", None) is not None and hasattr(self, "lattice_")

    def _check_initialized(self) -> None:
        if not self._is_initialized():
            raise NotFittedError(
                "This SOM is not initialised yet; call fit(X), fit_online(X), fit_auto(X) or "
                "initialize(X) first"
            )

    def _structural_changed(self) -> bool:
        """Whether a structural parameter differs from the one the map was initialised with."""
        used = getattr(self, "_init_params", None)
        if used is None:
            return True
        for k in _STRUCTURAL:
            now, then = getattr(self, k), used.get(k)
            if isinstance(now, np.random.Generator) or isinstance(then, np.random.Generator):
                if now is not then:
                    return True
            elif repr(now) != repr(then):
                return True
        return False

    def _to_training_space(self, X: object, name: str = "X") -> np.ndarray:
        self._check_initialized()
        arr, names = check_array(name, X, n_features=self.n_features_in_)
        if (
            names is not None
            and getattr(self, "_names_from_frame", False)
            and list(names) != list(self.feature_names_in_)
        ):
            raise ValueError(
                    f"{name} has columns {names}, but the model was fitted with "
                    f"{list(self.feature_names_in_)}"
                )
        # ``arr`` is checked already (finite, n_features): skip the normaliser's second pass
        return self.normalizer_._transform(arr)

    def _data(self, X: object = None) -> tuple[np.ndarray, bool]:
        """Training-space data for an analysis: ``X`` or the data of the latest fit."""
        self._check_initialized()
        if X is None:
            Xt = getattr(self, "_Xt", None)
            if Xt is None:
                raise ValueError(
                    "X is required: this model holds no training data (it was loaded from a "
                    "file or unpickled); pass the data to analyse"
                )
            return Xt, True
        return self._to_training_space(X), False

    def _touch(self) -> None:
        self._version = getattr(self, "_version", 0) + 1

    def _bmus2(self, X: object = None) -> tuple[np.ndarray, np.ndarray]:
        """BMU and second BMU (indices, distances) of ``X`` (cached for the training data)."""
        Xt, own = self._data(X)
        k = min(2, self.n_neurons_)
        if own:
            key = (getattr(self, "_version", 0), id(self.codebook_))
            cache = getattr(self, "_bmu_cache", None)
            if cache is not None and cache[0] == key:
                return cache[1], cache[2]
        idx, dist = _bmu.find_bmus(
            Xt, self.codebook_, metric=self._metric(), k=k, chunk_size=self.chunk_size
        )
        if own:
            self._bmu_cache = (key, idx, dist)
        return idx, dist

    def _metric(self) -> str:
        return self._validated()["distance_metric"]

    # ------------------------------------------------------------------ initialisation
    @_limit_threads
    def initialize(self, X: object) -> SOM:
        """Fit the normaliser, resolve the map size and initialise the codebook (no training).

        Parameters
        ----------
        X : array-like or pandas.DataFrame (N, D)
            Data in data units; DataFrame column names become ``feature_names_in_``.

        Returns
        -------
        SOM
            ``self``.
        """
        p = self._validated()
        arr, names = check_array("X", X)
        rs = p["random_state"]
        rng = rs if isinstance(rs, np.random.Generator) else np.random.default_rng(rs)
        normalizer = make_normalizer(p["normalization"])
        Xt = np.ascontiguousarray(normalizer.fit_transform(arr), dtype=np.float64)
        if p["mapsize"] == "auto":
            rows, cols = (int(v) for v in auto_mapsize(Xt, p["lattice"]))
        else:
            rows, cols = p["mapsize"]
        lattice = Lattice(rows, cols, p["lattice"], rect_adjacency=p["rect_adjacency"])
        codebook = initialize_codebook(p["initialization"], Xt, lattice, rng)
        self._set_fitted(
            codebook=codebook, lattice=lattice, normalizer=normalizer, feature_names=names,
            random_state=rng, training_data=Xt,
        )
        return self

    # ------------------------------------------------------------------ fitted state
    def _set_fitted(
        self,
        *,
        codebook: np.ndarray,
        lattice: Lattice,
        normalizer: Normalizer,
        random_state: np.random.Generator,
        feature_names: Sequence[str] | None = None,
        names_from_frame: bool | None = None,
        history: Mapping[str, Sequence] | None = None,
        n_epochs_trained: int = 0,
        last_radius: float = 1.0,
        data_bounds: tuple[np.ndarray, np.ndarray] | None = None,
        training_data: np.ndarray | None = None,
        init_params: Mapping[str, Any] | None = None,
    ) -> None:
        """The one writer of fitted state: every attribute ending in ``_`` and the private
        caches that go with them (``initialize``, ``from_dict`` and unpickling use it).

        Parameters
        ----------
        codebook : ndarray (M, D)
            Training space; ``M`` must be ``lattice.n_neurons``.
        lattice : Lattice
        normalizer : Normalizer
            Fitted on ``D`` features.
        random_state : numpy.random.Generator
            Becomes ``random_state_`` (later training draws from it).
        feature_names : sequence of str, optional
            ``D`` names; default ``x0, x1, ...``.
        names_from_frame : bool, optional
            Whether the names came from DataFrame columns (later DataFrames must match them);
            default: whether ``feature_names`` was given.
        history : mapping, optional
            ``history_`` lists by key (default: empty).
        n_epochs_trained : int
        last_radius : float
            Radius of the latest training epoch (the default radius of :meth:`distortion`).
        data_bounds : (lo, hi), optional
            Training-space box of the training data, kept when the data itself is not.
        training_data : ndarray (N, D), optional
            The training-space data that analyses use when called without ``X``.
        init_params : mapping, optional
            The structural parameters the map was built with (default: the current ones).
        """
        codebook = np.ascontiguousarray(codebook, dtype=np.float64)
        if codebook.ndim != 2 or codebook.shape[0] != lattice.n_neurons:
            raise ValueError(
                f"codebook must have shape ({lattice.n_neurons}, D) for a {lattice.rows}x"
                f"{lattice.cols} lattice; got {codebook.shape}"
            )
        n_features = codebook.shape[1]
        if normalizer.n_features_in_ != n_features:
            raise ValueError(
                f"the normalizer was fitted on {normalizer.n_features_in_} features, the codebook "
                f"has {n_features}"
            )
        names = default_feature_names(n_features) if feature_names is None else list(feature_names)
        if len(names) != n_features:
            raise ValueError(f"feature_names must be {n_features} names; got {len(names)}")
        self.random_state_ = random_state
        self.normalizer_ = normalizer
        self.lattice_ = lattice
        self.mapsize_ = (lattice.rows, lattice.cols)
        self.n_neurons_ = lattice.n_neurons
        self.n_features_in_ = n_features
        self.feature_names_in_ = names
        self.codebook_ = codebook
        self.history_ = {k: list(history.get(k, [])) if history else [] for k in HISTORY_KEYS}
        self.n_epochs_trained_ = int(n_epochs_trained)
        self._last_radius = float(last_radius)
        self._names_from_frame = feature_names is not None if names_from_frame is None else bool(
            names_from_frame)
        self._Xt = training_data
        self._bounds = None if data_bounds is None else (
            np.asarray(data_bounds[0], dtype=np.float64),
            np.asarray(data_bounds[1], dtype=np.float64),
            None,
        )
        self._init_params = (
            {k: getattr(self, k) for k in _STRUCTURAL} if init_params is None else dict(init_params)
        )
        self._bmu_cache = None
        self._touch()

    def _fitted_state(self) -> dict[str, Any] | None:
        """The arguments of :meth:`_set_fitted` that rebuild this model (None: not initialised);
        the training data is left out, its bounding box kept."""
        if not self._is_initialized():
            return None
        return {
            "codebook": self.codebook_,
            "lattice": self.lattice_,
            "normalizer": self.normalizer_,
            "random_state": self.random_state_,
            "feature_names": list(self.feature_names_in_),
            "names_from_frame": bool(getattr(self, "_names_from_frame", False)),
            "history": self.history_.to_dict(),
            "n_epochs_trained": self.n_epochs_trained_,
            "last_radius": getattr(self, "_last_radius", 1.0),
            "data_bounds": self._data_bounds(),
            "init_params": getattr(self, "_init_params", None),
        }

    def _data_bounds(self) -> tuple[np.ndarray, np.ndarray] | None:
        """Per-feature (min, max) of the latest training data in training space (the box the
        Mexican hat's prototypes are clipped to), computed on first use; None without data."""
        Xt = getattr(self, "_Xt", None)
        cached = getattr(self, "_bounds", None)
        if Xt is None:  # e.g. unpickled: the box of the data it was trained on, if known
            return None if cached is None else (cached[0], cached[1])
        if cached is None or cached[2] is not Xt:
            cached = (Xt.min(axis=0), Xt.max(axis=0), Xt)
            self._bounds = cached
        return cached[0], cached[1]

    def _prepare(self, X: object) -> np.ndarray:
        """Training-space data for a training call; initialises on first use."""
        if not self._is_initialized() or self._structural_changed():
            self.initialize(X)
            return self._Xt
        self._validated()
        Xt = np.ascontiguousarray(self._to_training_space(X), dtype=np.float64)
        if Xt.shape[0] < 1:
            raise ValueError("X must have at least 1 sample(s); got 0")
        self._Xt = Xt
        self._bounds = None
        self._touch()
        return Xt

    # ------------------------------------------------------------------ helpers for training
    def default_radii(self, neighborhood: str | None = None) -> tuple[float, float]:
        """The radii ``fit`` and ``fit_online`` use when none are given, for this map and kernel.

        ``(max(1, max(rows, cols) / 2) * w, w)`` with ``w`` the kernel's
        :func:`~somwidget.neighborhood.width_factor`: 1 for the Gaussian, the cut Gaussian and the
        bubble; larger for the Epanechikov kernel and the Mexican hat, which vanish at ``d = r``
        and would otherwise end with every neuron on its own.

        Parameters
        ----------
        neighborhood : str, optional
            Another kernel than the SOM's own (what its defaults would be).
        """
        self._check_initialized()
        w = width_factor(self.neighborhood if neighborhood is None else neighborhood)
        return max(1.0, max(self.mapsize_) / 2.0) * w, w

    def _default_radii(self, radius_start: object, radius_end: object,
                       names: tuple[str, str] = ("radius_start", "radius_end")) -> tuple[float, float]:
        """The radii of a training call: the given ones checked, or :meth:`default_radii`.

        ``names`` are the spellings the caller used (for the error messages).
        """
        r_start, r_end = self.default_radii()
        rin = r_start if radius_start is None else check_positive(names[0], radius_start)
        if radius_end is None:
            rfin = min(r_end, rin)
        else:
            rfin = check_positive(names[1], radius_end)
        if rfin > rin:
            raise ValueError(
                f"{names[1]} must be <= {names[0]} (the neighbourhood shrinks); got "
                f"{names[0]}={rin}, {names[1]}={rfin}"
            )
        return rin, rfin

    @property
    def history_(self) -> History:
        """Per-epoch records of every training call with ``collect_history=True``.

        A :class:`~somwidget.callbacks.History`: a list of
        :class:`~somwidget.callbacks.TrainingRecord` (``som.history_[-1].radius``) with column
        access (``som.history_["quantization_error"]``, ``to_frame()``). Its ``"epoch"`` column
        counts the model's epochs across calls (``total_epoch``). Assigning a mapping of column
        lists or a list of records stores it as a History.
        """
        d = self.__dict__
        if "history_" in d:  # written into __dict__ directly (e.g. a model pickled before History)
            d["_history"] = History.coerce(d.pop("history_"))
        h = d.get("_history")
        if h is None:
            raise AttributeError("'SOM' object has no attribute 'history_' (not initialised)")
        return h

    @history_.setter
    def history_(self, value: object) -> None:
        self.__dict__.pop("history_", None)
        self.__dict__["_history"] = History.coerce(value)

    def _epoch_metrics(self) -> dict[str, float]:
        """QE, TE and vacancy of the training data from one BMU search (cached for the views)."""
        from . import analysis

        idx, dist = self._bmus2()
        return analysis.epoch_metrics(idx, dist, self.lattice_)

    def _record(self, **fields: Any) -> TrainingRecord:
        """A record of the current model (``som`` and a read-only view of the codebook added)."""
        return TrainingRecord(som=self, codebook=_readonly(self.codebook_),
                              total_epoch=self.n_epochs_trained_, **fields)

    def _with_progress(self, callbacks: list) -> list:
        """``callbacks`` plus a :class:`~somwidget.progress.TextProgress` when ``verbose``."""
        level = self._validated()["verbose"]
        if not level:
            return callbacks
        from .progress import TextProgress

        return [*callbacks, TextProgress(level)]

    def _notify(self, callbacks: list, record: TrainingRecord, final: bool = False) -> bool:
        """Pass ``record`` (as the final one when ``final``) to the callbacks; False: stop."""
        if not callbacks:
            return True
        if final:
            record = replace(record, final=True, som=self, codebook=_readonly(self.codebook_))
        return notify(callbacks, record)

    # ------------------------------------------------------------------ batch
    @_limit_threads
    def fit(
        self,
        X: object,
        epochs: int = 10,
        radius_start: float | None = None,
        radius_end: float | None = None,
        decay: str = "linear",
        learning_rate: float = 1.0,
        subsample_ratio: float = 1.0,
        collect_history: bool = False,
        callbacks: Callable | Sequence[Callable] | None = None,
        *,
        radiusin: float | None = None,
        radiusfin: float | None = None,
    ) -> SOM:
        """Batch training.

        Parameters
        ----------
        X : array-like or DataFrame (N, D)
            Data in data units.
        epochs : int
            Number of batch epochs (>= 1).
        radius_start, radius_end : float, optional
            Neighbourhood radius (Gaussian sigma, grid units) at the first and the last epoch.
            Defaults :meth:`default_radii` (for the Gaussian ``max(1, max(rows, cols) / 2)`` and
            ``min(1, radius_start)``); ``radius_end <= radius_start`` is required.
        decay : {"linear", "exponential", "inverse"}
            Shape of the radius schedule.
        learning_rate : float in (0, 1]
            Blend ``w <- (1 - lr) w + lr w_batch`` (1 = plain batch SOM).
        subsample_ratio : float in (0, 1]
            Fraction of the samples drawn (without replacement, from ``random_state_``) each epoch.
        collect_history : bool
            Measure QE / TE / vacancy (training space) after every epoch and keep the epoch
            records in ``history_``.
        callbacks : callable or list of callables, optional
            ``cb(record)`` with a :class:`~somwidget.callbacks.TrainingRecord` every
            ``callback_every`` epochs and once more at the end (``final=True``); returning
            ``False`` stops after the current epoch.
        radiusin, radiusfin : float, optional, keyword-only
            The old spellings of ``radius_start`` and ``radius_end`` (somnium, GEMA), still
            accepted; giving both spellings of one parameter raises a ``TypeError``.

        Returns
        -------
        SOM
            ``self``.
        """
        self._validated()
        epochs = check_int("epochs", epochs, minimum=1)
        decay = check_choice("decay", decay, DECAYS, DECAY_ALIASES)
        learning_rate = check_fraction("learning_rate", learning_rate)
        subsample_ratio = check_fraction("subsample_ratio", subsample_ratio)
        (r0, r1), names = _spelled("fit", radius_start=(radius_start, "radiusin", radiusin),
                                   radius_end=(radius_end, "radiusfin", radiusfin))
        callbacks = self._with_progress(check_callbacks(callbacks))
        Xt = self._prepare(X)
        rin, rfin = self._default_radii(r0, r1, names=(names[0], names[1]))
        self._run_batch(Xt, epochs, rin, rfin, decay, learning_rate, subsample_ratio,
                        bool(collect_history), callbacks, "train")
        return self

    def _run_batch(
        self,
        Xt: np.ndarray,
        epochs: int,
        rin: float,
        rfin: float,
        decay: str,
        learning_rate: float,
        subsample_ratio: float,
        collect: bool,
        callbacks: list,
        phase: str,
    ) -> None:
        p = self._validated()
        metric, name = p["distance_metric"], p["neighborhood"]
        every = p["callback_every"]
        radii = decay_schedule(rin, rfin, epochs, decay)
        n = Xt.shape[0]
        n_sub = max(1, int(round(subsample_ratio * n)))
        inhibition = p["inhibition"] if name == "mexican_hat" else None
        Xa = center = None
        if metric == "euclidean":
            Xa, center = _bmu.prepare_queries(Xt)
        rng = self.random_state_
        record: TrainingRecord | None = None
        t_start = time.perf_counter()
        for epoch in range(1, epochs + 1):
            t0 = time.perf_counter()
            r = float(radii[epoch - 1])
            H = _training.KernelOperator(self.lattice_, name, r)
            if n_sub < n:
                rows = np.sort(rng.choice(n, size=n_sub, replace=False))
                Xe, Xae = Xt[rows], (Xa[rows] if Xa is not None else None)
            else:
                Xe, Xae = Xt, Xa
            new, bmus = _training.batch_epoch(
                Xe, self.codebook_, H, metric=metric, Xa=Xae, center=center,
                chunk_size=p["chunk_size"], learning_rate=learning_rate, inhibition=inhibition,
                bounds=self._data_bounds() if inhibition is not None else None,
            )
            self.codebook_ = new
            self._last_radius = r
            self.n_epochs_trained_ += 1
            self._touch()
            metrics = self._epoch_metrics() if collect else None
            now = time.perf_counter()
            record = self._record(
                kind="epoch", mode="batch", phase=phase, epoch=epoch, n_epochs=epochs, radius=r,
                learning_rate=learning_rate, metrics=metrics, neighborhood=name, decay=decay,
                bmus=bmus if n_sub == n else None, duration_s=now - t0, elapsed_s=now - t_start,
            )
            if collect:
                self.history_.append(record)
            if callbacks and epoch < epochs and epoch % every == 0:
                if not self._notify(callbacks, record):
                    break
        if callbacks and record is not None:
            self._notify(callbacks, record, final=True)

    # ------------------------------------------------------------------ online
    @_limit_threads
    def fit_online(
        self,
        X: object,
        epochs: int = 10,
        radius_start: float | None = None,
        radius_end: float | None = None,
        learning_rate_start: float | None = None,
        learning_rate_end: float | None = None,
        decay: str = "linear",
        presentation: str = "random",
        collect_history: bool = False,
        callbacks: Callable | Sequence[Callable] | None = None,
        callback_every_samples: int | None = None,
        *,
        radiusin: float | None = None,
        radiusfin: float | None = None,
        learning_rate_init: float | None = None,
        learning_rate_fin: float | None = None,
    ) -> SOM:
        """Online (Kohonen) training, one sample at a time.

        Radius and learning rate decay per sample over all ``epochs * N`` presentations with the
        schedule ``decay``. Defaults for the radii as in :meth:`fit`.

        Parameters
        ----------
        X : array-like or DataFrame (N, D)
        epochs : int
            Passes over the data (>= 1).
        radius_start, radius_end : float, optional
            Radius at the first and the last presentation (``radius_end <= radius_start``);
            defaults :meth:`default_radii`.
        learning_rate_start, learning_rate_end : float in (0, 1], optional
            Learning rate at the first and the last presentation (``end <= start``); defaults
            0.1 and 0.01.
        decay : {"linear", "exponential", "inverse"}
        presentation : {"random", "sequential"}
            Random order (a new permutation each epoch, from ``random_state_``) or data order.
        collect_history : bool
            Per-epoch QE / TE / vacancy in ``history_``.
        callbacks : callable or list, optional
        callback_every_samples : int, optional
            Call the callbacks every this many samples (else every ``callback_every`` epochs).
        radiusin, radiusfin, learning_rate_init, learning_rate_fin : keyword-only
            The old spellings of ``radius_start``, ``radius_end``, ``learning_rate_start`` and
            ``learning_rate_end``, still accepted; giving both spellings of one parameter raises
            a ``TypeError``.

        Returns
        -------
        SOM
        """
        self._validated()
        epochs = check_int("epochs", epochs, minimum=1)
        decay = check_choice("decay", decay, DECAYS, DECAY_ALIASES)
        (r0, r1, l0, l1), (n_r0, n_r1, n_l0, n_l1) = _spelled(
            "fit_online", radius_start=(radius_start, "radiusin", radiusin),
            radius_end=(radius_end, "radiusfin", radiusfin),
            learning_rate_start=(learning_rate_start, "learning_rate_init", learning_rate_init),
            learning_rate_end=(learning_rate_end, "learning_rate_fin", learning_rate_fin),
        )
        lr0 = check_fraction(n_l0, 0.1 if l0 is None else l0)
        lr1 = check_fraction(n_l1, 0.01 if l1 is None else l1)
        if lr1 > lr0:
            raise ValueError(f"{n_l1} must be <= {n_l0}; got {lr1} > {lr0}")
        presentation = check_choice("presentation", presentation, PRESENTATIONS)
        every_samples = (
            None
            if callback_every_samples is None
            else check_int("callback_every_samples", callback_every_samples, minimum=1)
        )
        callbacks = self._with_progress(check_callbacks(callbacks))
        Xt = self._prepare(X)
        rin, rfin = self._default_radii(r0, r1, names=(n_r0, n_r1))
        self._run_online(Xt, epochs, rin, rfin, lr0, lr1, decay, presentation,
                         bool(collect_history), callbacks, every_samples, "train")
        return self

    def _run_online(
        self,
        Xt: np.ndarray,
        epochs: int,
        rin: float,
        rfin: float,
        lr0: float,
        lr1: float,
        decay: str,
        presentation: str,
        collect: bool,
        callbacks: list,
        every_samples: int | None,
        phase: str,
    ) -> None:
        p = self._validated()
        metric, name = p["distance_metric"], p["neighborhood"]
        n = Xt.shape[0]
        total = epochs * n
        # small maps read rows of the cached M x M distances; large ones (where that matrix
        # is hundreds of MB) compute each sample's row, about 7 % of a 100 x 100 map's update
        lat = self.lattice_
        d2 = (lat.grid_distances_squared() if lat.n_neurons < FLOAT32_MIN_NEURONS
              else _training.LatticeRows(lat))
        ctx = _training.OnlineContext.create(
            self.codebook_, Xt, d2, name, metric,
            bounds=self._data_bounds() if name == "mexican_hat" else None, inhibition=p["inhibition"],
        )
        Xc = Xt - ctx.center
        rng = self.random_state_
        # the per-sample BLAS calls are tiny: threads only add synchronisation (and can stall
        # badly on a busy machine), so the online loop runs BLAS single-threaded
        from threadpoolctl import threadpool_limits

        limiter = threadpool_limits(limits=1, user_api="blas")
        seg = every_samples if (callbacks and every_samples) else n
        stopped = False
        record: TrainingRecord | None = None
        t_start = time.perf_counter()
        common = {"mode": "online", "phase": phase, "n_epochs": epochs, "n_steps": n,
                  "neighborhood": name, "decay": decay}
        try:
            for epoch in range(1, epochs + 1):
                t0 = time.perf_counter()
                order = rng.permutation(n) if presentation == "random" else np.arange(n)
                t = (epoch - 1) * n
                radii = _training.schedule_slice(rin, rfin, total, t, t + n, decay)
                rates = _training.schedule_slice(lr0, lr1, total, t, t + n, decay)
                ctx.refresh()
                for s in range(0, n, seg):
                    e = min(s + seg, n)
                    _training.online_run(ctx, Xc, order[s:e], radii[s:e], rates[s:e])
                    if callbacks and every_samples and e < n:
                        self.codebook_ = ctx.codebook()
                        self._touch()
                        record = self._record(
                            kind="step", epoch=epoch - 1, step=e, radius=float(radii[e - 1]),
                            learning_rate=float(rates[e - 1]),
                            elapsed_s=time.perf_counter() - t_start, **common,
                        )
                        if not self._notify(callbacks, record):
                            stopped = True
                            break
                self.codebook_ = ctx.codebook()
                self._touch()
                if stopped:
                    break
                r, lr = float(radii[n - 1]), float(rates[n - 1])
                self.n_epochs_trained_ += 1
                self._last_radius = r
                metrics = self._epoch_metrics() if collect else None
                now = time.perf_counter()
                record = self._record(
                    kind="epoch", epoch=epoch, step=n, radius=r, learning_rate=lr,
                    metrics=metrics, duration_s=now - t0, elapsed_s=now - t_start, **common,
                )
                if collect:
                    self.history_.append(record)
                if callbacks and epoch < epochs:
                    due = (epoch % p["callback_every"] == 0) if not every_samples else True
                    if due and not self._notify(callbacks, record):
                        break
        finally:
            limiter.restore_original_limits()
            self.codebook_ = ctx.codebook()
            self._touch()
        if callbacks and record is not None:
            self._notify(callbacks, record, final=True)

    def online_step(self, x: object, radius: float, learning_rate: float) -> OnlineStep:
        """Apply one Kohonen update for the sample ``x`` (data units) and describe it.

        Parameters
        ----------
        x : array-like (D,)
            One sample in data units.
        radius : float > 0
            Neighbourhood radius.
        learning_rate : float in (0, 1]

        Returns
        -------
        OnlineStep
            Sample (training space), BMU, per-unit weights ``lr * h`` (for the Mexican hat with
            its negative lobe limited by ``inhibition``), codebook before and after.
        """
        self._check_initialized()
        p = self._validated()
        radius = check_positive("radius", radius)
        learning_rate = check_fraction("learning_rate", learning_rate)
        arr = np.asarray(x, dtype=np.float64) if not hasattr(x, "to_numpy") else x.to_numpy(float)
        if arr.ndim != 1:
            raise ValueError(f"x must be one sample, a 1-D array of {self.n_features_in_} values; got shape {arr.shape}")
        xt = self._to_training_space(arr[None, :], name="x")[0]
        before = self.codebook_.copy()
        b = int(_bmu.find_bmus(xt[None, :], before, metric=p["distance_metric"], k=1)[0][0, 0])
        h = neighborhood_weights(
            p["neighborhood"], self.lattice_.grid_distances_squared_from(b), radius, squared=True
        )
        if p["neighborhood"] == "mexican_hat":
            _training.limit_inhibition(h, p["inhibition"])
        h *= learning_rate
        after = before + h[:, None] * (xt - before)
        bounds = self._data_bounds() if p["neighborhood"] == "mexican_hat" else None
        if bounds is not None:
            np.clip(after, bounds[0], bounds[1], out=after)
        self.codebook_ = after
        self._touch()
        return OnlineStep(
            sample=_readonly(xt), bmu=b, weights=_readonly(h), codebook_before=_readonly(before),
            codebook_after=_readonly(after.copy()), radius=radius, learning_rate=learning_rate,
        )

    # ------------------------------------------------------------------ schedules on top
    @_limit_threads
    def fit_auto(
        self,
        X: object,
        collect_history: bool = False,
        callbacks: Callable | Sequence[Callable] | None = None,
    ) -> SOM:
        """Two batch phases sized from the map, after SOM Toolbox ``som_make``.

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
        """
        p = self._validated()
        callbacks = self._with_progress(check_callbacks(callbacks))
        Xt = self._prepare(X)
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

        cbs = [watch] if callbacks else []
        self._run_batch(Xt, e_rough, r0, r1, "linear", 1.0, 1.0, bool(collect_history), cbs, "rough")
        if not stop["flag"]:
            self._run_batch(Xt, e_fine, r1, r_end, "linear", 1.0, 1.0, bool(collect_history), cbs,
                            "fine")
        return self

    @_limit_threads
    def reinforce(
        self,
        X: object,
        reinforcement: int = 10,
        extension: float = 1.0,
        compression: float = 0.1,
        learning_rate: float = 0.1,
        presentation: str = "random",
        collect_history: bool = False,
        callbacks: Callable | Sequence[Callable] | None = None,
    ) -> SOM:
        """Continue training a trained map with a compressed learning rate (GEMA ``reinforce``).

        Runs ``reinforcement`` more online epochs on ``X`` with a fixed neighbourhood radius
        ``extension`` and a learning rate that starts at ``compression * learning_rate`` and
        decays linearly to 1/100 of that. Small ``compression`` fine-tunes the prototypes to
        new (or the same) data without undoing the map's ordering.

        Parameters
        ----------
        X : array-like or DataFrame (N, D)
        reinforcement : int
            Number of additional online epochs (>= 1).
        extension : float > 0
            Neighbourhood radius (grid units) during reinforcement, held constant.
        compression : float in (0, 1]
            Factor compressing the learning rate.
        learning_rate : float in (0, 1]
            Base learning rate before compression.
        presentation : {"random", "sequential"}
        collect_history, callbacks : see :meth:`fit_online` (phase ``"reinforce"``).
        """
        self._check_initialized()
        self._validated()
        reinforcement = check_int("reinforcement", reinforcement, minimum=1)
        extension = check_positive("extension", extension)
        compression = check_fraction("compression", compression)
        learning_rate = check_fraction("learning_rate", learning_rate)
        presentation = check_choice("presentation", presentation, PRESENTATIONS)
        callbacks = self._with_progress(check_callbacks(callbacks))
        Xt = self._prepare(X)
        lr0 = compression * learning_rate
        self._run_online(Xt, reinforcement, extension, extension, lr0, lr0 / 100.0, "linear",
                         presentation, bool(collect_history), callbacks, None, "reinforce")
        return self

    # ------------------------------------------------------------------ results
    @_limit_threads
    def predict(self, X: object) -> np.ndarray:
        """Index of the best-matching unit of each sample, shape (N,)."""
        Xt, _ = self._data(self._require(X))
        idx, _ = _bmu.find_bmus(Xt, self.codebook_, metric=self._metric(), k=1,
                                chunk_size=self.chunk_size)
        return idx[:, 0]

    @staticmethod
    def _require(X: object) -> object:
        if X is None:
            raise ValueError("X is required; got None")
        return X

    @_limit_threads
    def transform(self, X: object) -> np.ndarray:
        """Distances (data metric, training space) from each sample to each unit, shape (N, M)."""
        Xt, _ = self._data(self._require(X))
        return _bmu.distance_matrix(Xt, self.codebook_, metric=self._metric(),
                                    chunk_size=self.chunk_size)

    @_limit_threads
    def best_matching_units(self, X: object, k: int = 2) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` nearest units of each sample (GEMA ``calculate_bmu``).

        Returns
        -------
        indices : ndarray (N, k) int, distances : ndarray (N, k) float64
            Sorted by distance: column 0 is the BMU, column 1 the second BMU.
        """
        Xt, _ = self._data(self._require(X))
        k = check_int("k", k, minimum=1, maximum=self.n_neurons_)
        return _bmu.find_bmus(Xt, self.codebook_, metric=self._metric(), k=k,
                              chunk_size=self.chunk_size)

    @_limit_threads
    def quantization_error(self, X: object = None) -> float:
        """Mean distance from each sample to its BMU (training space, data metric)."""
        from . import analysis

        return float(analysis.quantization_error(self._bmus2(X)[1][:, 0]))

    @_limit_threads
    def calculate_quantization_error(self, X: object = None) -> float:
        """somnium's quantization error: mean absolute difference per feature (training space)."""
        from . import analysis

        Xt, _ = self._data(X)
        return float(
            analysis.mean_absolute_quantization_error(Xt, self.codebook_, self._bmus2(X)[0][:, 0])
        )

    @_limit_threads
    def topographic_error(self, X: object = None) -> float:
        """Fraction of samples whose second BMU is not adjacent to their BMU."""
        from . import analysis

        idx, _ = self._bmus2(X)
        if idx.shape[1] < 2:
            return 0.0
        return float(analysis.topographic_error(idx[:, 0], idx[:, 1], self.lattice_))

    @_limit_threads
    def vacancy_rate(self, X: object = None) -> float:
        """Fraction of units that are the BMU of no sample."""
        from . import analysis

        return float(analysis.vacancy_rate(self._bmus2(X)[0][:, 0], self.n_neurons_))

    @_limit_threads
    def distortion(
        self, X: object = None, radius: float | None = None, squared: bool = False
    ) -> float:
        """MiniSom's distortion ``sum_i sum_c h(d_grid(c, bmu_i); r) ||x_i - w_c||`` (a sum).

        Training space, data metric; ``squared=True`` gives the SOM energy function. The kernel
        is ``neighborhood`` with ``radius`` (default: the radius of the latest training epoch,
        else 1). See :func:`somwidget.analysis.distortion`.
        """
        from . import analysis

        Xt, _ = self._data(X)
        if radius is None:
            radius = getattr(self, "_last_radius", 1.0)
        radius = check_positive("radius", radius)
        bmus = self._bmus2(X)[0][:, 0]
        return float(
            analysis.distortion(
                Xt, self.codebook_, bmus, self.lattice_, self.neighborhood, radius,
                metric=self._metric(), squared=bool(squared), chunk_size=self.chunk_size,
            )
        )

    @_limit_threads
    def hit_counts(self, X: object = None) -> np.ndarray:
        """Number of samples won by each unit, shape (M,)."""
        from . import analysis

        return np.asarray(analysis.hit_counts(self._bmus2(X)[0][:, 0], self.n_neurons_))

    @_limit_threads
    def umatrix(self, kind: str = "node") -> np.ndarray:
        """U-matrix: ``"node"`` (M,) mean distance to the lattice neighbours, or
        ``"interstitial"`` (2R-1, 2C-1) with median node cells (SOM Toolbox)."""
        from . import analysis

        self._check_initialized()
        kind = check_choice("kind", kind, ("node", "interstitial"))
        if kind == "node":
            return analysis.umatrix(self.codebook_, self.lattice_, metric=self._metric())
        return analysis.umatrix_interstitial(self.codebook_, self.lattice_, metric=self._metric())

    @_limit_threads
    def quality_map(self, X: object = None) -> np.ndarray:
        """Mean BMU distance per unit (NaN where a unit has no hits), shape (M,)."""
        from . import analysis

        idx, dist = self._bmus2(X)
        return analysis.quality_map(idx[:, 0], dist[:, 0], self.n_neurons_)

    @staticmethod
    def _check_labels(labels: object) -> object:
        if labels is None:
            raise ValueError("labels is required; got None")
        return labels

    @_limit_threads
    def label_counts(self, labels: object, X: object = None):
        """Per-unit counts of each label (DataFrame, M rows x classes)."""
        from . import analysis

        bmus = self._bmus2(X)[0][:, 0]
        return analysis.label_counts(bmus, self._check_labels(labels), self.n_neurons_)

    @_limit_threads
    def label_proportions(self, labels: object, X: object = None):
        """Per-unit label proportions (rows sum to 1; 0 for units without labelled hits)."""
        from . import analysis

        bmus = self._bmus2(X)[0][:, 0]
        return analysis.label_proportions(bmus, self._check_labels(labels), self.n_neurons_)

    def codebook_in_data_units(self) -> np.ndarray:
        """The codebook mapped back through ``normalizer_.inverse_transform``, shape (M, D).

        Raises a ``ValueError`` for a non-invertible normalisation (``"l2"``).
        """
        self._check_initialized()
        if not getattr(self.normalizer_, "invertible", True):
            raise ValueError(
                f"normalization={self.normalizer_.name!r} is not invertible, so the codebook has "
                "no data-unit form; use codebook_ (training space)"
            )
        return np.asarray(self.normalizer_.inverse_transform(self.codebook_), dtype=np.float64)

    def component_planes(self) -> np.ndarray:
        """One value per unit and feature in data units (training space for ``"l2"``), (M, D)."""
        self._check_initialized()
        if not getattr(self.normalizer_, "invertible", True):
            return self.codebook_.copy()
        return self.codebook_in_data_units()

    @_limit_threads
    def classification_table(self, X: object = None, labels: object = None, extra: object = None):
        """One row per sample: label (if given), BMU, its row/col, BMU distance, then the
        ``extra`` columns (GEMA ``Classification.classification_map``)."""
        from . import analysis

        idx, dist = self._bmus2(X)
        index = X.index if hasattr(X, "index") and hasattr(X, "columns") else None
        return analysis.classification_table(
            idx[:, 0], dist[:, 0], self.lattice_, labels=labels, extra=extra, index=index
        )

    # ------------------------------------------------------------------ persistence
    def to_dict(self) -> dict[str, Any]:
        """The model as a JSON-ready dict (the versioned format of :mod:`somwidget.persistence`).

        Plain JSON types only (``json.dumps`` works on it). An unfitted SOM gives its
        parameters only. ``random_state`` is kept when it is an int (a Generator becomes
        None), and neither the generator's state nor the training data are included.
        """
        params = self.get_params()
        rs = params["random_state"]
        params["random_state"] = (
            int(rs) if isinstance(rs, numbers.Integral) and not isinstance(rs, bool) else None
        )
        d: dict[str, Any] = {**persistence.header(), "params": params}
        state = self._fitted_state()
        if state is not None:
            d.update(
                mapsize=list(self.mapsize_),
                lattice=state["lattice"].to_dict(),
                normalizer=state["normalizer"].to_dict(),
                n_features=self.n_features_in_,
                feature_names=[str(n) for n in state["feature_names"]],
                feature_names_from_frame=state["names_from_frame"],
                codebook=np.asarray(state["codebook"], dtype=np.float64).tolist(),
                n_epochs_trained=state["n_epochs_trained"],
                last_radius=float(state["last_radius"]),
                history={k: list(v) for k, v in state["history"].items()},
            )
            if state["data_bounds"] is not None:
                d["data_bounds"] = [np.asarray(b, dtype=np.float64).tolist()
                                    for b in state["data_bounds"]]
        return persistence.to_json_types(d)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], *, source: object = "model dict") -> SOM:
        """Rebuild a SOM from :meth:`to_dict` output (or a parsed model file), checking every field.

        Parameters
        ----------
        d : mapping
            A model document, format version 1.
        source : object
            What to name in error messages (``SOM.load`` passes the file's path).

        Raises
        ------
        somwidget.persistence.ModelFormatError (a ValueError)
            For a foreign or too new document, or missing, mistyped or inconsistent fields.
        """
        persistence.check_model(d, source)
        fail = functools.partial(persistence.format_error, source)
        params = dict(d["params"])
        if isinstance(params.get("mapsize"), list):
            params["mapsize"] = tuple(params["mapsize"])
        valid = cls._param_names()
        unknown = [k for k in params if k not in valid]
        if unknown:
            raise fail(f"unknown parameters {unknown}")
        som = cls(**params)
        try:
            p = som._validated()
        except (TypeError, ValueError) as exc:
            raise fail(f"invalid parameters: {exc}") from None
        if "codebook" not in d:
            return som
        try:
            lattice = Lattice.from_dict(d["lattice"])
        except (TypeError, ValueError, KeyError) as exc:
            raise fail(f"invalid lattice: {exc}") from None
        if [lattice.rows, lattice.cols] != list(d["mapsize"]):
            raise fail(f"mapsize {d['mapsize']} does not match the lattice {lattice.rows}x{lattice.cols}")
        try:
            normalizer = Normalizer.from_dict(d["normalizer"])
        except (TypeError, ValueError, KeyError) as exc:
            raise fail(f"invalid normalizer: {exc}") from None
        n_features = d["n_features"]
        names = d["feature_names"]
        if len(names) != n_features or not all(isinstance(n, str) for n in names):
            raise fail(f"feature_names must be {n_features} strings")
        if normalizer.n_features_in_ != n_features:
            raise fail(f"the normalizer has {normalizer.n_features_in_} features, expected {n_features}")
        try:
            codebook = np.array(d["codebook"], dtype=np.float64)
        except (TypeError, ValueError):
            raise fail("the codebook is not a rectangular list of numbers") from None
        if codebook.shape != (lattice.n_neurons, n_features):
            raise fail(
                f"the codebook has shape {codebook.shape}, expected ({lattice.n_neurons}, {n_features})"
            )
        if not np.isfinite(codebook).all():
            raise fail("the codebook contains NaN or infinite values")
        history: dict[str, list] = {k: [] for k in HISTORY_KEYS}
        for k, v in d["history"].items():
            if k not in history or not isinstance(v, list):
                raise fail(f"invalid history entry {k!r}")
            history[k] = list(v)
        if len({len(v) for v in history.values()}) > 1:
            raise fail("the history lists have different lengths")
        last_radius = d.get("last_radius", 1.0)
        if not math.isfinite(last_radius) or last_radius <= 0:
            raise fail(f"invalid last_radius {last_radius!r}")
        bounds = None
        if d.get("data_bounds") is not None:
            try:
                box = np.asarray(d["data_bounds"], dtype=np.float64)
            except (TypeError, ValueError):
                raise fail("data_bounds must be two lists of numbers") from None
            if box.shape != (2, n_features) or not np.isfinite(box).all() or (box[0] > box[1]).any():
                raise fail(f"data_bounds must be [min, max] lists of {n_features} finite numbers "
                           "with min <= max")
            bounds = (box[0], box[1])
        som._set_fitted(
            codebook=codebook, lattice=lattice, normalizer=normalizer,
            random_state=np.random.default_rng(p["random_state"]), feature_names=names,
            names_from_frame=bool(d.get("feature_names_from_frame", False)), history=history,
            n_epochs_trained=d["n_epochs_trained"], last_radius=last_radius, data_bounds=bounds,
        )
        return som

    def save(self, path: str | os.PathLike) -> None:
        """Write the model as versioned JSON, atomically (see :mod:`somwidget.persistence`)."""
        persistence.write_model(self.to_dict(), path)

    @classmethod
    def load(cls, path: str | os.PathLike) -> SOM:
        """Read a model written by :meth:`save`; never executes code from the file."""
        return cls.from_dict(persistence.read_model(path), source=Path(path))

    def __getstate__(self) -> dict:
        # the parameters and the fitted state (arrays as they are, the random generator with its
        # state); not the training data, the caches or the thread-pool limiter
        return {"params": self.get_params(), "fitted": self._fitted_state()}

    def __setstate__(self, state: dict) -> None:
        if "params" not in state:  # pickled by somwidget 0.1.0: the instance __dict__
            state = _legacy_state(state)
        for key, value in state["params"].items():
            setattr(self, key, value)
        if state["fitted"] is not None:
            self._set_fitted(**state["fitted"])


def _legacy_state(old: dict) -> dict:
    """The pickle state of somwidget 0.1.0 (a copy of ``SOM.__dict__``) in today's form."""
    params = {k: old[k] for k in _init_param_names(SOM) if k in old}
    if old.get("codebook_") is None:
        return {"params": params, "fitted": None}
    box = old.get("_bounds")
    return {
        "params": params,
        "fitted": {
            "codebook": old["codebook_"],
            "lattice": old["lattice_"],
            "normalizer": old["normalizer_"],
            "random_state": old["random_state_"],
            "feature_names": old["feature_names_in_"],
            "names_from_frame": old.get("_names_from_frame", False),
            "history": old.get("history_"),
            "n_epochs_trained": old.get("n_epochs_trained_", 0),
            "last_radius": old.get("_last_radius", 1.0),
            "data_bounds": None if box is None else (box[0], box[1]),
            "init_params": old.get("_init_params"),
        },
    }
