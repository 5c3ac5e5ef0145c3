"""The fitted state of a SOM: its one writer, the data read into its space, (de)serialisation.

``_StateMixin`` (a base of :class:`~somwidget.som.SOM`) holds ``_set_fitted`` (the one writer
of every fitted attribute and its caches) and ``_fitted_state`` (what rebuilds it), the
helpers that read data into the training space (``_to_training_space``, ``_data``,
``_bmus2``), the ``history_`` property, ``to_dict`` / ``from_dict``, ``save`` / ``load`` and
pickling (``__getstate__`` / ``__setstate__``, with the somwidget 0.1.0 pickle form).
No module-level import of :mod:`somwidget.som` (no import cycle).
"""

from __future__ import annotations

import functools
import inspect
import math
import numbers
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from . import bmu as _bmu
from . import persistence
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
    default_feature_names,
)

_S = TypeVar("_S", bound="_StateMixin")

_STRUCTURAL = (
    "mapsize",
    "lattice",
    "rect_adjacency",
    "normalization",
    "initialization",
    "random_state",
)


class _StateMixin:
    """Fitted state, data access and (de)serialisation of :class:`~somwidget.som.SOM`."""

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
                    missing: bool | None = None,
                    params: dict[str, Any] | None = None) -> tuple[np.ndarray, list[str] | None]:
        """``check_array`` under the SOM's missing-value policy: NaN refused (the error names
        ``missing="ignore"``) unless ``missing="ignore"`` (or ``missing=True`` here), then rows
        missing more than ``max_missing`` of their values refused. ``params``: the validated
        parameters when the caller has them."""
        p = self._validated() if params is None else params
        allow = p["missing"] == "ignore" if missing is None else bool(missing)
        arr, names = check_array(name, X, n_features=n_features, allow_nan=allow,
                                 nan_hint=NAN_HINT, owner=type(self).__name__)
        if allow and has_missing(arr):
            _bmu.check_masked_metric(p["distance_metric"])
            check_missing_rows(name, arr, p["max_missing"])
        return arr, names

    def _to_training_space(self, X: object, name: str = "X", *, missing: bool | None = None,
                           params: dict[str, Any] | None = None) -> np.ndarray:
        return self.normalizer_._transform(
            self._read_data(X, name, missing=missing, params=params))

    def _read_data(self, X: object, name: str = "X", *, missing: bool | None = None,
                   params: dict[str, Any] | None = None) -> np.ndarray:
        """``X`` checked against the fitted model (features, column names), in data units."""
        self._check_initialized()
        arr, names = self._read_array(name, X, n_features=self.n_features_in_, missing=missing,
                                      params=params)
        if (
            names is not None
            and getattr(self, "_names_from_frame", False)
            and list(names) != list(self.feature_names_in_)
        ):
            raise ValueError(
                    f"{name} has columns {names}, but the model was fitted with "
                    f"{list(self.feature_names_in_)}"
                )
        # ``arr`` is checked already (finite or NaN, n_features): the normaliser's _transform
        # skips a second pass
        return arr

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
            if has_missing(Xt):
                cached = (np.nanmin(Xt, axis=0), np.nanmax(Xt, axis=0), Xt)
            else:
                cached = (Xt.min(axis=0), Xt.max(axis=0), Xt)
            self._bounds = cached
        return cached[0], cached[1]

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

    # ------------------------------------------------------------------ persistence
    def to_dict(self) -> dict[str, Any]:
        """The model as a JSON-ready dict (the versioned format of :mod:`somwidget.persistence`).

        Plain JSON types only (``json.dumps`` works on it). An unfitted SOM gives its
        parameters only. ``random_state`` is kept when it is an int (a Generator becomes
        None), and neither the generator's state nor the training data are included.
        """
        params = self.get_params()
        if params.get("device") == "cpu":  # the default: files stay as somwidget 0.1.0 wrote them
            del params["device"]
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
    def from_dict(cls: type[_S], d: Mapping[str, Any], *, source: object = "model dict") -> _S:
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

    def save(self, path: str | os.PathLike, format: str | None = None) -> None:
        """Write the model to ``path`` in the format its extension names.

        * ``.json``: the versioned JSON document (:mod:`somwidget.persistence`), written
          atomically; portable, human-readable, safe to load. Recommended.
        * ``.pkl`` / ``.pickle``: a pickle of the SOM (somnium's ``save``), which also keeps
          the random generator's state. Loading a pickle can run code: only load your own.

        Any other extension is refused (``ValueError``) unless ``format`` says what to write.

        Parameters
        ----------
        path : str or path-like
        format : {"json", "pickle"}, optional
            Overrides the extension.
        """
        kind = _file_format(path, format)
        if kind == "json":
            persistence.write_model(self.to_dict(), path)
            return
        import pickle

        target = Path(path)
        tmp = target.with_name(f".{target.name}.tmp")
        try:
            with open(tmp, "wb") as f:
                pickle.dump(self, f, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)

    @classmethod
    def load(cls: type[_S], path: str | os.PathLike, format: str | None = None) -> _S:
        """Read a model written by :meth:`save`, in the format its extension names.

        A ``.json`` file is checked field by field and never executes code. A ``.pkl`` /
        ``.pickle`` file is unpickled, which can run code: only load pickles you trust. The
        object read must be an instance of this class (``TypeError`` otherwise).

        Parameters
        ----------
        path : str or path-like
        format : {"json", "pickle"}, optional
            Overrides the extension.
        """
        if _file_format(path, format) == "json":
            return cls.from_dict(persistence.read_model(path), source=Path(path))
        import pickle

        with open(path, "rb") as f:
            model = pickle.load(f)
        if not isinstance(model, cls):
            raise TypeError(f"{Path(path)} holds a {type(model).__name__}, not a {cls.__name__}")
        return model

    def __getstate__(self) -> dict:
        # the parameters and the fitted state (arrays as they are, the random generator with its
        # state); not the training data, the caches or the thread-pool limiter
        return {"params": self.get_params(), "fitted": self._fitted_state()}

    def __setstate__(self, state: dict) -> None:
        if "params" not in state:  # pickled by somwidget 0.1.0: the instance __dict__
            state = _legacy_state(state, self._param_names())
        # parameters added after the pickle was made take their defaults
        for key, value in {**_param_defaults(type(self)), **state["params"]}.items():
            setattr(self, key, value)
        if state["fitted"] is not None:
            self._set_fitted(**state["fitted"])


_EXTENSIONS = {".json": "json", ".pkl": "pickle", ".pickle": "pickle"}


def _file_format(path: str | os.PathLike, format: str | None) -> str:
    """``"json"`` or ``"pickle"``: ``format`` when given, else from the extension of ``path``."""
    if format is not None:
        if format not in ("json", "pickle"):
            raise ValueError(f"format must be 'json', 'pickle' or None (from the extension); "
                             f"got {format!r}")
        return format
    suffix = Path(path).suffix.lower()
    if suffix not in _EXTENSIONS:
        raise ValueError(
            f"cannot tell the file format from {os.fspath(path)!r}: the path must end in .json "
            "(versioned JSON, recommended) or .pkl / .pickle (pickle), or pass "
            "format='json' / format='pickle'"
        )
    return _EXTENSIONS[suffix]


def _param_defaults(cls: type) -> dict[str, Any]:
    """The constructor defaults of ``cls`` by parameter name."""
    sig = inspect.signature(cls.__init__)
    return {k: v.default for k, v in sig.parameters.items()
            if k != "self" and v.default is not inspect.Parameter.empty}


def _legacy_state(old: dict, param_names: Sequence[str]) -> dict:
    """The pickle state of somwidget 0.1.0 (a copy of ``SOM.__dict__``) in today's form."""
    params = {k: old[k] for k in param_names if k in old}
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
