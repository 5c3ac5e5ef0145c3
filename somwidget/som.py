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
  epoch from ``radius_start`` to ``radius_end``. Defaults (:meth:`SOM.default_radii`):
  ``radius_start = max(1, max(rows, cols) / 2) * w`` and ``radius_end = w`` (capped at
  ``radius_start``), ``w`` the kernel's :func:`~somwidget.neighborhood.width_factor` (1 for the
  Gaussian, cut Gaussian and bubble, about 1.594 for Epanechikov, 1.836 for the Mexican hat).
  ``radius_end > radius_start`` is refused (a growing neighbourhood undoes the ordering; it is
  almost always swapped arguments).
* ``fit_online``: classic Kohonen, radius and learning rate decaying per sample over all epochs.
* ``fit_auto``: two batch phases (rough, fine) sized like SOM Toolbox ``som_make``.
* ``reinforce``: extra online epochs with a small, compressed learning rate (GEMA).

A second training call continues from the current codebook (multi-phase training) and reuses
the fitted normaliser; with ``warm_start=False`` every ``fit`` / ``fit_online`` / ``fit_auto``
starts afresh instead (scikit-learn's convention: fitting twice gives the same map). Changing a structural parameter (``mapsize``, ``lattice``,
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
This module holds the constructor, the constraints table, ``get_params`` / ``set_params``
and the training calls ``fit`` and ``fit_online``. ``SOM`` gets the rest from eight mixins (none
of them imports this module): :mod:`somwidget._som_init` (``initialize``: normaliser, map size,
first codebook), :mod:`somwidget._som_phases` (``fit_auto``, ``reinforce``),
:mod:`somwidget._som_clusters` (``cluster``, ``predict_cluster``), :mod:`somwidget._som_calls`
(the entry check of every public call and the thread limits), :mod:`somwidget._som_state` (the
fitted-state writer, data access; its
base in :mod:`somwidget._som_persistence`: ``to_dict`` / ``from_dict``, ``save`` / ``load``,
pickling), :mod:`somwidget._som_training` (the
training loops and ``online_step``), :mod:`somwidget._som_results` (``predict``, the metrics,
the maps and tables) and :mod:`somwidget._som_sklearn` (the scikit-learn protocol, the warm-start
rule, ``fit_predict``, ``fit_transform``, ``score``).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

import numpy as np

from . import bmu as _bmu
from . import scale as _scale
from ._keyword_checks import explained_signature, invalid_parameter_message
from ._som_calls import _active_calls, _CallsMixin, _limit_threads
from ._som_clusters import _ClustersMixin
from ._som_init import _InitMixin
from ._som_phases import _PhasesMixin
from ._som_results import _ResultsMixin
from ._som_sklearn import _check_y, _SklearnMixin
from ._som_state import _StateMixin
from ._som_training import PRESENTATIONS, _TrainingMixin
from .backend import DEVICES
from .callbacks import (
    HISTORY_KEYS,
    OnlineStep,
    TrainingRecord,
    TrainingState,
    check_callbacks,
)
from .initialization import (
    INITIALIZATION_ALIASES,
    INITIALIZATIONS,
)
from .lattice import LATTICE_ALIASES, LATTICES, RECT_ADJACENCIES
from .neighborhood import NEIGHBORHOOD_ALIASES, NEIGHBORHOODS
from .normalization import NORMALIZATION_ALIASES, NORMALIZATIONS
from .schedules import DECAY_ALIASES, DECAYS
from .validation import (
    RANDOM_STATE,
    Constraint,
    GridShape,
    InstanceOf,
    Integer,
    Interval,
    Options,
    check_choice,
    check_flag,
    check_fraction,
    check_int,
    check_sample_weight,
    n_samples_of,
)

__all__ = ["HISTORY_KEYS", "SOM", "OnlineStep", "TrainingRecord", "TrainingState"]

#: Values of ``SOM(missing=...)``: refuse NaN, or train on the known components.
MISSING_POLICIES = ("raise", "ignore")


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


def _or_param(p: dict[str, Any], name: str, value: object) -> object:
    """``value`` when given (not None), else the validated constructor parameter ``name``."""
    return p[name] if value is None else value


@functools.cache
def _init_param_names(cls: type) -> tuple[str, ...]:
    return tuple(p for p in inspect.signature(cls.__init__).parameters if p != "self")


class SOM(_SklearnMixin, _PhasesMixin, _ClustersMixin, _InitMixin, _ResultsMixin, _TrainingMixin,
          _StateMixin, _CallsMixin):
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
        ``scipy.spatial.distance.cdist`` name (see :data:`somwidget.bmu.METRICS`). ``"dice"``
        needs training-space values in [0, 1] (binary or fuzzy data); the metrics scipy
        computes on booleans (``"jaccard"``, ``"hamming"``, ``"yule"``, ...,
        :data:`somwidget.bmu.BOOLEAN_METRICS`) cannot train a map, whose prototypes are
        fractions (use ``"dice"`` or ``"cityblock"`` for binary data).
    rect_adjacency : {4, 8}
        Neighbours of a rectangular unit for the topographic error and the U-matrix.
    callback_every : int
        Call the callbacks every this many epochs.
    chunk_size : int or None
        Samples per BMU block. Default: a Euclidean search takes the whole data as one block
        when its float32 scores (N x M) fit in 8 MiB, else blocks of about 1 MiB of scores
        (:func:`somwidget._bmu_common.search_chunk`); other metrics about 1 MiB per block
        (:func:`somwidget.bmu.default_chunk_size`).
    random_state : int, numpy.random.Generator or None
        Seed; the same seed and data give bit-identical maps.
    n_jobs : int or None
        Threads of the BLAS / OpenMP pools (through ``threadpoolctl``) while training,
        predicting and computing the analyses: ``None`` leaves them as they are, ``-1`` uses
        all cores, ``k >= 1`` at most ``k`` threads. The limits are restored when the call
        returns (callbacks run inside it). The online loop always runs BLAS single-threaded
        (its per-sample products are too small for threads). The same count sets how many
        worker threads share the row blocks of the BMU search and the batch sums (each running
        BLAS on one thread, :mod:`somwidget._block_threads`).
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
        updated in place, 2 one line per epoch passed to the callbacks (every ``callback_every``
        epochs, default every epoch, and the last) with the radius, the learning rate and the
        errors (one best-two BMU search per printed epoch, with or without ``collect_history``).
        See :class:`somwidget.progress.TextProgress`.
    missing : {"raise", "ignore"}
        Missing values (NaN) in the data. ``"raise"`` (default) refuses them with an error
        naming this option. ``"ignore"`` trains on and maps data with NaN as the SOM Toolbox and
        R kohonen do: a sample's distance to a prototype uses its known components only,
        rescaled by ``D / known`` (``d^2 = D / |K| * sum_{k in K} (x_k - w_k)^2``); batch sums
        and online updates skip the missing components (per component, each prototype becomes
        the neighbourhood-weighted mean of the known values); the normaliser is fitted on the
        known values; every metric and ``predict`` / ``transform`` use the same distances.
        :meth:`impute` fills the gaps from each sample's BMU. Supported metrics with NaN:
        ``"euclidean"``, ``"sqeuclidean"``, ``"cityblock"``, ``"chebyshev"``. Infinite values
        are never accepted. See :mod:`somwidget.masked`.
    max_missing : float in [0, 1)
        With ``missing="ignore"``: the largest fraction of a row's values that may be missing;
        rows missing more are refused with an error that counts them (a row needs at least one
        known value). Default 0.5.
    epochs : int >= 1
        Epochs of :meth:`fit` (batch) and :meth:`fit_online` (passes over the data).
    radius_start, radius_end : float > 0 or None
        Neighbourhood radius (grid units) at the first and the last epoch (:meth:`fit`) or
        presentation (:meth:`fit_online`); None: :meth:`default_radii`.
    learning_rate : float in (0, 1]
        :meth:`fit` only: the batch blend ``w <- (1 - lr) w + lr w_batch`` (1 = plain batch SOM).
    learning_rate_start, learning_rate_end : float in (0, 1] or None
        :meth:`fit_online` only: learning rate at the first and the last presentation;
        None: 0.1 and 0.01.
    decay : {"linear", "exponential", "inverse"}
        Shape of the radius (and online learning-rate) schedule of :meth:`fit` / :meth:`fit_online`.
    subsample_ratio : float in (0, 1]
        :meth:`fit` only: fraction of the samples drawn each batch epoch.
    presentation : {"random", "sequential"}
        :meth:`fit_online` and :meth:`reinforce`: sample order.
    warm_start : bool
        ``True`` (default): a training call continues from the current codebook (multi-phase
        training: ``fit`` then ``fit_online``, a rough then a fine ``fit``). ``False``: every
        ``fit``, ``fit_online`` and ``fit_auto`` starts afresh with :meth:`initialize`, so that
        fitting twice gives the same map (scikit-learn's convention, e.g. a Pipeline refitted
        after ``set_params``). :meth:`reinforce` always continues, and so does a
        :class:`~somwidget.trainer.Trainer` stepping the map.
    device : {"cpu", "cuda", "auto"}
        Where batch training (``fit``, ``fit_auto``) and ``predict`` search the BMUs and sum the
        samples: ``"cuda"`` on a CUDA GPU through CuPy or PyTorch (a ``RuntimeError`` says what
        is missing), ``"auto"`` on a GPU when one is usable, else the CPU. Euclidean metric only
        on a GPU. See :mod:`somwidget.backend` and :mod:`somwidget.scale`.

    Notes
    -----
    The training parameters (``epochs`` to ``presentation``) are the defaults of the training
    calls, so that ``clone``, ``Pipeline`` and ``GridSearchCV`` can set them; a keyword given to
    ``fit`` / ``fit_online`` (``som.fit(X, epochs=5)``) overrides the constructor's value for
    that call only. :meth:`fit_auto` sizes its own two phases and ignores them. Every training
    call takes ``(X, y=None, *, ...)``: ``y`` is accepted and ignored (scikit-learn's
    unsupervised convention), the training arguments are keyword-only.

    The scikit-learn methods: :meth:`fit_predict` (the BMU of each training sample),
    :meth:`fit_transform` (distances to every neuron) and :meth:`score` (minus the quantization
    error: higher is better, as ``KMeans.score``).

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
        "random_state": list(RANDOM_STATE),
        "n_jobs": [
            None,
            Options((-1,), description="-1 (all cores)"),
            Integer(1, 2**31 - 1, strict=True,
                    description="an integer >= 1 (that many threads, at most 2**31 - 1)"),
        ],
        "inhibition": [Interval(0.0, 1.0, closed="left")],
        "verbose": [Integer(0, 2)],
        "missing": [Options(MISSING_POLICIES)],
        "max_missing": [Interval(0.0, 1.0, closed="left")],
        "epochs": [Integer(1)],
        "radius_start": [None, Interval(0.0, None, closed="neither")],
        "radius_end": [None, Interval(0.0, None, closed="neither")],
        "learning_rate": [Interval(0.0, 1.0, closed="right")],
        "learning_rate_start": [None, Interval(0.0, 1.0, closed="right")],
        "learning_rate_end": [None, Interval(0.0, 1.0, closed="right")],
        "decay": [Options(DECAYS, DECAY_ALIASES)],
        "subsample_ratio": [Interval(0.0, 1.0, closed="right")],
        "presentation": [Options(PRESENTATIONS)],
        "warm_start": [InstanceOf(bool, "True or False")],
        "device": [Options(DEVICES)],
    }

    @explained_signature()  # SOM(mapsze=5): the error lists the parameters, close ones first
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
        self.missing = missing
        self.max_missing = max_missing
        self.epochs = epochs
        self.radius_start = radius_start
        self.radius_end = radius_end
        self.learning_rate = learning_rate
        self.learning_rate_start = learning_rate_start
        self.learning_rate_end = learning_rate_end
        self.decay = decay
        self.subsample_ratio = subsample_ratio
        self.presentation = presentation
        self.warm_start = warm_start
        self.device = device

    # ------------------------------------------------------------------ parameters
    @classmethod
    def _param_names(cls) -> list[str]:
        return list(_init_param_names(cls))

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """Constructor parameters as a dict (scikit-learn convention)."""
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params: Any) -> SOM:
        """Set constructor parameters; unknown names raise a ``ValueError`` listing the valid ones
        (close matches first), before any parameter is set."""
        valid = self._param_names()
        for key in params:
            if key not in valid:
                raise ValueError(invalid_parameter_message(type(self).__name__, key, valid))
        for key, value in params.items():
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

    # ------------------------------------------------------------------ batch
    @_limit_threads
    def fit(
        self,
        X: object,
        y: object = None,
        *,
        epochs: int | None = None,
        radius_start: float | None = None,
        radius_end: float | None = None,
        decay: str | None = None,
        learning_rate: float | None = None,
        subsample_ratio: float | None = None,
        collect_history: bool = False,
        callbacks: Callable | Sequence[Callable] | None = None,
        radiusin: float | None = None,
        radiusfin: float | None = None,
        sample_weight: object = None,
    ) -> SOM:
        """Batch training.

        Every training argument is keyword-only; one left out (None) takes the constructor's
        value of the same name (``SOM(epochs=20).fit(X)`` trains 20 epochs,
        ``SOM(epochs=20).fit(X, epochs=5)`` 5).

        Parameters
        ----------
        X : array-like or DataFrame (N, D)
            Data in data units.
        y : ignored
            Accepted so that ``Pipeline`` and the other scikit-learn tools can pass it; a number
            here is refused (the training arguments are keywords: ``fit(X, epochs=20)``).
        epochs : int, optional
            Number of batch epochs (>= 1); default the constructor's ``epochs`` (10).
        radius_start, radius_end : float, optional
            Neighbourhood radius (Gaussian sigma, grid units) at the first and the last epoch.
            Defaults: the constructor's, else :meth:`default_radii` (for the Gaussian
            ``max(1, max(rows, cols) / 2)`` and ``min(1, radius_start)``);
            ``radius_end <= radius_start`` is required.
        decay : {"linear", "exponential", "inverse"}, optional
            Shape of the radius schedule (default the constructor's, ``"linear"``).
        learning_rate : float in (0, 1], optional
            Blend ``w <- (1 - lr) w + lr w_batch`` (1 = plain batch SOM; default the
            constructor's).
        subsample_ratio : float in (0, 1], optional
            Fraction of the samples drawn (without replacement, from ``random_state_``) each
            epoch (default the constructor's, 1).
        collect_history : bool
            Measure QE / TE / vacancy (training space) after every epoch and keep the epoch
            records in ``history_``.
        callbacks : callable or list of callables, optional
            ``cb(record)`` with a :class:`~somwidget.callbacks.TrainingRecord` every
            ``callback_every`` epochs and once more at the end (``final=True``); returning
            ``False`` stops after the current epoch. The records carry the metrics with
            ``collect_history=True``, or at those epochs when a callback asks for them
            (``wants_metrics = True``, as :class:`~somwidget.widgets.TrainingCurves`).
        radiusin, radiusfin : float, optional
            The old spellings of ``radius_start`` and ``radius_end`` (somnium, GEMA), still
            accepted; giving both spellings of one parameter raises a ``TypeError``.
        sample_weight : array-like (N,), optional, keyword-only
            Non-negative weight of each sample (not all zero): the batch sums and counts are
            weighted, ``w_i <- sum_j h_ij sum_{b(x)=j} v_x x / sum_j h_ij sum_{b(x)=j} v_x``, so
            integer weights give the map of the data with each row repeated that many times
            from the same initial codebook. What is computed before training (the normaliser,
            ``mapsize="auto"`` and the initial codebook) and the recorded errors use the rows
            unweighted, so a first ``fit`` on repeated rows may start from another map; give
            ``mapsize`` and ``initialization="random"`` (the data's bounding box), or
            :meth:`initialize` on the same rows, for an exact match.

        Returns
        -------
        SOM
            ``self``.
        """
        _check_y("fit", y, "epochs")
        p = self._validated()
        epochs = p["epochs"] if epochs is None else check_int("epochs", epochs, minimum=1)
        decay = p["decay"] if decay is None else check_choice("decay", decay, DECAYS, DECAY_ALIASES)
        learning_rate = (p["learning_rate"] if learning_rate is None
                         else check_fraction("learning_rate", learning_rate))
        subsample_ratio = (p["subsample_ratio"] if subsample_ratio is None
                           else check_fraction("subsample_ratio", subsample_ratio))
        weights = check_sample_weight(sample_weight, n_samples_of(X),
                                      lazy=_scale.is_dask_collection(X))
        (r0, r1), names = _spelled("fit", radius_start=(radius_start, "radiusin", radiusin),
                                   radius_end=(radius_end, "radiusfin", radiusfin))
        r0, r1 = _or_param(p, "radius_start", r0), _or_param(p, "radius_end", r1)
        collect_history = check_flag("collect_history", collect_history)
        callbacks = self._with_progress(check_callbacks(callbacks))
        Xt = self._start(X, p)
        rin, rfin = self._default_radii(r0, r1, names=(names[0], names[1]))
        self._run_batch(Xt, epochs, rin, rfin, decay, learning_rate, subsample_ratio,
                        collect_history, callbacks, "train", sample_weight=weights)
        return self

    # ------------------------------------------------------------------ online
    @_limit_threads
    def fit_online(
        self,
        X: object,
        y: object = None,
        *,
        epochs: int | None = None,
        radius_start: float | None = None,
        radius_end: float | None = None,
        learning_rate_start: float | None = None,
        learning_rate_end: float | None = None,
        decay: str | None = None,
        presentation: str | None = None,
        collect_history: bool = False,
        callbacks: Callable | Sequence[Callable] | None = None,
        callback_every_samples: int | None = None,
        radiusin: float | None = None,
        radiusfin: float | None = None,
        learning_rate_init: float | None = None,
        learning_rate_fin: float | None = None,
        n_steps: int | None = None,
        sample_weight: object = None,
    ) -> SOM:
        """Online (Kohonen) training, one sample at a time.

        Radius and learning rate decay per sample over all ``epochs * N`` presentations (or
        ``n_steps``) with the schedule ``decay``. Every training argument is keyword-only; one left
        out (None) takes the constructor's value of the same name.

        Parameters
        ----------
        X : array-like or DataFrame (N, D)
        y : ignored
            Accepted for the scikit-learn convention (a number here is refused).
        epochs : int, optional
            Passes over the data (>= 1); default the constructor's (10).
        radius_start, radius_end : float, optional
            Radius at the first and the last presentation (``radius_end <= radius_start``);
            defaults the constructor's, else :meth:`default_radii`. With ``decay="linear"``,
            ``radius_end`` may be 0: a radius of 0 updates the BMU alone.
        learning_rate_start, learning_rate_end : float in (0, 1], optional
            Learning rate at the first and the last presentation (``end <= start``); defaults
            the constructor's, else 0.1 and 0.01. With ``decay="linear"``, ``learning_rate_end``
            may be 0 (GEMA's ``eta0 * (1 - t/T)``, where the last presentation changes nothing).
        decay : {"linear", "exponential", "inverse"}, optional
            Default the constructor's (``"linear"``).
        presentation : {"random", "sequential"}, optional
            Random order (a new permutation each epoch, from ``random_state_``) or data order;
            default the constructor's (``"random"``).
        collect_history : bool
            Per-epoch QE / TE / vacancy in ``history_``.
        callbacks : callable or list, optional
        callback_every_samples : int, optional
            Call the callbacks every this many samples (else every ``callback_every`` epochs).
        radiusin, radiusfin, learning_rate_init, learning_rate_fin : optional
            The old spellings of ``radius_start``, ``radius_end``, ``learning_rate_start`` and
            ``learning_rate_end``, still accepted; giving both spellings of one parameter raises
            a ``TypeError``.
        n_steps : int, optional, keyword-only
            Training length in presentations (single-sample updates) instead of epochs (GEMA's
            ``period``). The data is presented in ``ceil(n_steps / N)`` passes of ``N`` samples,
            the last one partial when ``n_steps`` is not a multiple of ``N`` (it presents the first
            ``n_steps - (passes - 1) N`` samples of that pass's order). The schedules run over
            exactly ``n_steps`` presentations. Give ``epochs`` or ``n_steps``, not both (with
            ``n_steps``, leave ``epochs`` at its default).
        sample_weight : array-like (N,), optional, keyword-only
            Non-negative weight of each sample (not all zero). Each presentation of sample ``i``
            uses the learning rate ``min(1, a(t) * v_i / mean(v))``: the schedule keeps its
            meaning on average, a sample of weight 2 moves the map about as much as two
            presentations (for small rates), and a sample of weight 0 does not move it. Every
            sample is still presented once per epoch, in the order ``presentation`` gives.

        Returns
        -------
        SOM
        """
        _check_y("fit_online", y, "epochs")
        p = self._validated()
        if n_steps is not None:
            if epochs is not None:
                raise TypeError(
                    f"fit_online() got both epochs={epochs!r} and n_steps={n_steps!r}; give the "
                    "training length once: epochs (passes over the data) or n_steps (presentations)"
                )
            n_steps = check_int("n_steps", n_steps, minimum=1)
            epochs = 1
        epochs = p["epochs"] if epochs is None else check_int("epochs", epochs, minimum=1)
        decay = p["decay"] if decay is None else check_choice("decay", decay, DECAYS, DECAY_ALIASES)
        weights = check_sample_weight(sample_weight, n_samples_of(X))
        (r0, r1, l0, l1), (n_r0, n_r1, n_l0, n_l1) = _spelled(
            "fit_online", radius_start=(radius_start, "radiusin", radiusin),
            radius_end=(radius_end, "radiusfin", radiusfin),
            learning_rate_start=(learning_rate_start, "learning_rate_init", learning_rate_init),
            learning_rate_end=(learning_rate_end, "learning_rate_fin", learning_rate_fin),
        )
        r0, r1 = _or_param(p, "radius_start", r0), _or_param(p, "radius_end", r1)
        l0, l1 = _or_param(p, "learning_rate_start", l0), _or_param(p, "learning_rate_end", l1)
        lr0 = check_fraction(n_l0, 0.1 if l0 is None else l0)
        lr1 = check_fraction(n_l1, 0.01 if l1 is None else l1, allow_zero=decay == "linear")
        if lr1 > lr0:
            raise ValueError(f"{n_l1} must be <= {n_l0}; got {lr1} > {lr0}")
        presentation = (p["presentation"] if presentation is None
                        else check_choice("presentation", presentation, PRESENTATIONS))
        every_samples = (
            None
            if callback_every_samples is None
            else check_int("callback_every_samples", callback_every_samples, minimum=1)
        )
        collect_history = check_flag("collect_history", collect_history)
        callbacks = self._with_progress(check_callbacks(callbacks))
        _scale.refuse_dask(X, "fit_online")
        Xt = self._start(X, p)
        rin, rfin = self._default_radii(r0, r1, names=(n_r0, n_r1), allow_zero_end=decay == "linear")
        self._run_online(Xt, epochs, rin, rfin, lr0, lr1, decay, presentation,
                         collect_history, callbacks, every_samples, "train", n_steps=n_steps,
                         sample_weight=weights)
        return self
