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

Where things live
-----------------
This module holds the constructor, the constraints table, ``get_params`` / ``set_params``,
``initialize`` and the public training calls. ``SOM`` gets the rest from four mixins (none of
them imports this module): :mod:`somwidget._som_calls` (the entry check of every public call and
the thread limits), :mod:`somwidget._som_state` (the fitted-state writer, data access,
``to_dict`` / ``from_dict``, ``save`` / ``load``, pickling), :mod:`somwidget._som_training` (the
training loops and ``online_step``) and :mod:`somwidget._som_results` (``predict``, the metrics,
the maps and tables).
"""

from __future__ import annotations

import functools
import inspect
import math
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

import numpy as np

from . import bmu as _bmu
from . import scale as _scale
from ._som_calls import _active_calls, _CallsMixin, _limit_threads
from ._som_results import _ResultsMixin
from ._som_state import _StateMixin
from ._som_training import _TrainingMixin
from .backend import DEVICES
from .callbacks import (
    HISTORY_KEYS,
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
from .lattice import LATTICE_ALIASES, LATTICES, RECT_ADJACENCIES, Lattice
from .neighborhood import NEIGHBORHOOD_ALIASES, NEIGHBORHOODS, width_factor
from .normalization import NORMALIZATION_ALIASES, NORMALIZATIONS, make_normalizer
from .schedules import DECAY_ALIASES, DECAYS
from .validation import (
    Constraint,
    GridShape,
    InstanceOf,
    Integer,
    Interval,
    Options,
    check_array,
    check_choice,
    check_fraction,
    check_int,
    check_positive,
)

__all__ = ["HISTORY_KEYS", "SOM", "OnlineStep", "TrainingRecord", "TrainingState"]

PRESENTATIONS = ("random", "sequential")


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


class SOM(_ResultsMixin, _TrainingMixin, _StateMixin, _CallsMixin):
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
    device : {"cpu", "cuda", "auto"}
        Where batch training (``fit``, ``fit_auto``) and ``predict`` search the BMUs and sum the
        samples: ``"cuda"`` on a CUDA GPU through CuPy or PyTorch (a ``RuntimeError`` says what
        is missing), ``"auto"`` on a GPU when one is usable, else the CPU. Euclidean metric only
        on a GPU. See :mod:`somwidget.backend` and :mod:`somwidget.scale`.

    Notes
    -----
    ``X`` may be a Dask array or DataFrame (``pip install "somwidget[dask]"``) in ``fit``,
    ``fit_auto``, ``initialize``, ``predict``, ``transform`` and the metrics: training runs out
    of core, partition by partition (:mod:`somwidget.scale.dask`), ``predict`` and ``transform``
    return lazy Dask arrays.
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
        "device": [Options(DEVICES)],
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
        device: str = "cpu",
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
        self.device = device

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

    # ------------------------------------------------------------------ initialisation
    @_scale.dispatch("initialize")  # a Dask collection: moments per partition
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
        _scale.refuse_dask(X, "fit_online")
        Xt = self._prepare(X)
        rin, rfin = self._default_radii(r0, r1, names=(n_r0, n_r1))
        self._run_online(Xt, epochs, rin, rfin, lr0, lr1, decay, presentation,
                         bool(collect_history), callbacks, every_samples, "train")
        return self

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
        _scale.refuse_dask(X, "reinforce")
        Xt = self._prepare(X)
        lr0 = compression * learning_rate
        self._run_online(Xt, reinforcement, extension, extension, lr0, lr0 / 100.0, "linear",
                         presentation, bool(collect_history), callbacks, None, "reinforce")
        return self
