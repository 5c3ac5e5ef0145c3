"""The fitted state of a SOM: its one writer, the data read into its space, the model lock.

``_StateMixin`` (a base of :class:`~somwidget.som.SOM`) holds ``_set_fitted`` (the one writer
of every fitted attribute and its caches) and ``_fitted_state`` (what rebuilds it), the
helpers that read data into the training space (``_to_training_space``, ``_data``,
``_bmus2``) and the ``history_`` property. Its base ``_PersistenceMixin``
(:mod:`somwidget._som_persistence`) holds ``to_dict`` / ``from_dict``, ``save`` / ``load`` and
pickling (``__getstate__`` / ``__setstate__``, with the somwidget 0.1.0 pickle form).

Consistent snapshots: every SOM has a re-entrant lock (``_model_lock``, created on first use,
never pickled). The training loops hold it while they change the codebook, the history and the
counters for one epoch (or one online segment), and ``to_dict``, ``save`` and pickling copy the
model under it, so a file written while another thread trains is always a consistent model.
What comes from outside (a document, an unpickled state) is checked field by field in
:mod:`somwidget._som_checks` before it is set.
No module-level import of :mod:`somwidget.som` (no import cycle).
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from . import bmu as _bmu
from ._bmu_cache import BMUCache, fingerprint
from ._data_stats import column_stats
from ._principal_plane import PrincipalPlane
from ._principal_plane import wanted as plane_wanted
from ._som_checks import STRUCTURAL_PARAMS
from ._som_persistence import _PersistenceMixin
from .bmu import has_missing
from .callbacks import (
    HISTORY_KEYS,
    History,
)
from .lattice import Lattice
from .normalization import Normalizer
from .validation import (
    NAN_HINT,
    NotFittedError,
    check_array,
    check_missing_rows,
    check_training_range,
    default_feature_names,
)

# training-space copies up to this size are kept for the analyses called without X
_KEEP_BYTES = 64 << 20

#: the parameters that shape the map (a change rebuilds it on the next fit)
_STRUCTURAL = STRUCTURAL_PARAMS


_LOCK_GUARD = threading.Lock()


class _StateMixin(_PersistenceMixin):
    """Fitted state, data access and (de)serialisation of :class:`~somwidget.som.SOM`."""

    @property
    def _model_lock(self) -> threading.RLock:
        """The model's re-entrant lock (created on first use; not pickled, not copied)."""
        lock = self.__dict__.get("_state_lock")
        if lock is None:
            with _LOCK_GUARD:
                lock = self.__dict__.get("_state_lock")
                if lock is None:
                    lock = self.__dict__["_state_lock"] = threading.RLock()
        return lock

    def _checkpoint(self) -> dict[str, Any] | None:
        """What :meth:`_rollback` restores: codebook, epoch count, history length, last radius."""
        if not self._is_initialized():
            return None
        with self._model_lock:
            return {"codebook": self.codebook_, "n_epochs_trained": self.n_epochs_trained_,
                    "n_history": len(self.history_), "last_radius": getattr(self, "_last_radius", 1.0)}

    def _rollback(self, checkpoint: dict[str, Any] | None) -> None:
        """Undo the training since :meth:`_checkpoint`: the codebook and every counter with it."""
        if checkpoint is None or not self._is_initialized():
            return
        with self._model_lock:
            self.codebook_ = checkpoint["codebook"]
            self.n_epochs_trained_ = checkpoint["n_epochs_trained"]
            self._last_radius = checkpoint["last_radius"]
            history = self.history_
            keep = list(history)[: checkpoint["n_history"]]
            history.clear()
            for record in keep:
                history.append(record)
            self._touch()

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

    def _read_array(self, name: str, X: object, n_features: int | None = None, *,
                    missing: bool | None = None, params: dict[str, Any] | None = None,
                    keep_float32: bool = False) -> tuple[np.ndarray, list[str] | None]:
        """``check_array`` under the SOM's missing-value policy: NaN refused (the error names
        ``missing="ignore"``) unless ``missing="ignore"`` (or ``missing=True`` here), then rows
        missing more than ``max_missing`` of their values refused. ``params``: the validated
        parameters when the caller has them; ``keep_float32``: float32 data stays float32."""
        p = self._validated() if params is None else params
        allow = p["missing"] == "ignore" if missing is None else bool(missing)
        arr, names = check_array(name, X, n_features=n_features, allow_nan=allow,
                                 nan_hint=NAN_HINT, owner=type(self).__name__,
                                 keep_float32=keep_float32)
        if allow and has_missing(arr):
            _bmu.check_masked_metric(p["distance_metric"])
            check_missing_rows(name, arr, p["max_missing"])
        return arr, names

    def _to_training_space(self, X: object, name: str = "X", *, missing: bool | None = None,
                           params: dict[str, Any] | None = None,
                           training: bool = False) -> np.ndarray:
        """``X`` checked (:meth:`_read_data`) and mapped through ``normalizer_``; refused when
        its training-space values overflow the search or the metric cannot measure them."""
        Xt = self.normalizer_._transform(self._read_data(X, name, missing=missing, params=params))
        check_training_range(name, Xt, self.normalizer_.name, training=training)
        _bmu.check_metric_domain(_bmu.check_metric(self.distance_metric), Xt, name)
        return Xt

    def _check_column_names(self, names: list[str] | None, name: str = "X") -> None:
        """A DataFrame's column ``names`` must be the ones the model was fitted from a
        DataFrame with, in that order (None, or a model fitted on an array: nothing to check)."""
        if (
            names is not None
            and getattr(self, "_names_from_frame", False)
            and list(names) != list(self.feature_names_in_)
        ):
            raise ValueError(
                f"{name} has columns {names}, but the model was fitted with "
                f"{list(self.feature_names_in_)}"
            )

    def _read_data(self, X: object, name: str = "X", *, missing: bool | None = None,
                   params: dict[str, Any] | None = None) -> np.ndarray:
        """``X`` checked against the fitted model (features, column names), in data units
        (float32 data stays float32: no copy at all for a C-contiguous float array)."""
        self._check_initialized()
        arr, names = self._read_array(name, X, n_features=self.n_features_in_, missing=missing,
                                      params=params, keep_float32=True)
        self._check_column_names(names, name)
        # ``arr`` is checked already (finite or NaN, n_features): the normaliser's _transform
        # skips a second pass
        return arr

    def _hold_training_data(self, Xt: np.ndarray | None, source: object = None) -> None:
        """Remember the data of the latest training call for the analyses called without ``X``.

        The training-space array is held when it *is* the caller's array
        (``normalization="none"`` on a float array: no copy) or when it is small (<= 64 MB: a
        normalised copy, float32 for float32 data, kept so that the metrics without ``X`` work
        after the caller has dropped the data); otherwise only a weak reference to the caller's
        object, from which the training space is computed again when asked (and ``X`` is
        required once it is gone).
        """
        self._bounds = None
        self._Xt = None
        self._Xt_ref = None
        self._source_ref = None
        if Xt is None:
            return
        if source is not None:
            try:  # the caller's object identifies these data in the BMU cache
                self._source_ref = weakref.ref(source)
            except TypeError:  # a list or another object without weak references
                pass
        own = isinstance(source, np.ndarray) and np.may_share_memory(Xt, source)
        if own or Xt.nbytes <= _KEEP_BYTES or self._source_ref is None:
            self._Xt = Xt
        else:
            self._Xt_ref = weakref.ref(Xt)

    def _training_data(self) -> np.ndarray | None:
        """The training-space data of the latest training call, or None when it is gone."""
        Xt = getattr(self, "_Xt", None)
        if Xt is not None:
            return Xt
        ref = getattr(self, "_Xt_ref", None)
        Xt = ref() if ref is not None else None
        if Xt is None:
            src = getattr(self, "_source_ref", None)
            obj = src() if src is not None else None
            if obj is None:
                return None
            Xt = self._to_training_space(obj)
            self._Xt_ref = weakref.ref(Xt)
        return Xt

    def _data_object(self, X: object) -> object:
        """What identifies the data of an analysis in the BMU cache: ``X``, or the training
        data's own object when ``X`` is None."""
        if X is not None:
            return X
        src = getattr(self, "_source_ref", None)
        obj = src() if src is not None else None
        return obj if obj is not None else getattr(self, "_Xt", None)

    def _data(self, X: object = None) -> tuple[np.ndarray, bool]:
        """Training-space data for an analysis: ``X`` or the data of the latest fit."""
        self._check_initialized()
        if X is None:
            Xt = self._training_data()
            if Xt is None:
                raise ValueError(
                    "X is required: this model holds no training data (it was loaded from a "
                    "file or unpickled, or its large training data is no longer referenced); "
                    "pass the data to analyse"
                )
            return Xt, True
        return self._to_training_space(X), False

    def _touch(self) -> None:
        self._version = getattr(self, "_version", 0) + 1

    def _bmu_key(self) -> tuple:
        """What a cached BMU search depends on besides the data: the model's version, its
        codebook and the parameters that change the BMUs (the metric, the missing-value
        policy), so ``set_params(distance_metric=...)`` searches afresh."""
        p = self._validated()
        return (getattr(self, "_version", 0), id(self.codebook_), p["distance_metric"],
                p.get("missing"), p.get("max_missing"))

    def _bmus2(self, X: object = None, k: int = 1, compute: int = 2) -> tuple[np.ndarray, np.ndarray]:
        """BMU and second BMU (indices, distances) of ``X`` or the training data: one best-two
        search per codebook and data set, shared by every metric (see
        :mod:`somwidget._bmu_cache`). A cached search with at least ``k`` columns is reused;
        otherwise ``max(k, compute)`` units per sample are searched (and cached)."""
        self._check_initialized()
        cache = self.__dict__.get("_bmu_cache")
        if not isinstance(cache, BMUCache):
            cache = self._bmu_cache = BMUCache()
        key = self._bmu_key()
        obj = self._data_object(X)
        fp = fingerprint(obj)  # one checksum of the data for the lookup and the result
        hit = cache.get(key, obj, k, fp=fp)
        if hit is not None:
            return hit
        Xt, _ = self._data(X)
        want = min(max(k, compute), self.n_neurons_)
        idx, dist = _bmu.find_bmus(
            Xt, self.codebook_, metric=self._metric(), k=want, chunk_size=self.chunk_size
        )
        if obj is None:
            obj, fp = Xt, None
        cache.put(key, obj, idx, dist, fp=fp)
        return idx, dist

    def _metric(self) -> str:
        return self._validated()["distance_metric"]

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
        training_source: object = None,
        plane: PrincipalPlane | None = None,
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
            The training-space data that analyses use when called without ``X`` (held as
            :meth:`_hold_training_data` says: never as a copy).
        training_source : object, optional
            The caller's data that ``training_data`` was computed from.
        init_params : mapping, optional
            The structural parameters the map was built with (default: the current ones).
        plane : PrincipalPlane, optional
            The plane a PCA initial ``codebook`` lies in: the first training epoch searches in
            it while the codebook is unchanged (:meth:`_initial_plane_of`).
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
        with self._model_lock:
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
            self._hold_training_data(training_data, training_source)
            self._bounds = None if data_bounds is None else (
                np.asarray(data_bounds[0], dtype=np.float64),
                np.asarray(data_bounds[1], dtype=np.float64),
            )
            self._init_params = (
                {k: getattr(self, k) for k in _STRUCTURAL} if init_params is None else dict(init_params)
            )
            self._bmu_cache = BMUCache()
            self._plane = plane
            self._touch()

    def _initial_plane_of(self, codebook: np.ndarray, n_values: int) -> PrincipalPlane | None:
        """The initial codebook's principal plane while ``codebook`` still is that codebook,
        for a search of ``n_values`` data values (None below
        :data:`somwidget._principal_plane.MIN_VALUES`; :mod:`somwidget._principal_plane`); once
        it is not (trained, edited, replaced), the plane is dropped."""
        plane = self.__dict__.get("_plane")
        if plane is None or not plane_wanted(n_values):
            return None
        if plane.describes(codebook):
            return plane
        self._plane = None
        return None

    def _fitted_state(self) -> dict[str, Any] | None:
        """The arguments of :meth:`_set_fitted` that rebuild this model (None: not initialised);
        the training data is left out, its bounding box kept."""
        if not self._is_initialized():
            return None
        with self._model_lock:
            return self._fitted_state_locked()

    def _fitted_state_locked(self) -> dict[str, Any]:
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
        cached = getattr(self, "_bounds", None)
        if cached is not None:
            return cached[0], cached[1]
        Xt = self._training_data()
        if Xt is None:
            return None
        _, lo, hi = column_stats(Xt)
        self._bounds = (lo, hi)
        return lo, hi

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
