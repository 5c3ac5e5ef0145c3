"""A SOM's persistence: ``to_dict`` / ``from_dict`` (the versioned JSON document of
:mod:`somwidget.persistence`), ``save`` / ``load`` (JSON or pickle) and pickling
(``__getstate__`` / ``__setstate__``, with the somwidget 0.1.0 pickle form).

``_PersistenceMixin`` is a base of :class:`~somwidget._som_state._StateMixin`: it reads the
fitted state through ``_fitted_state_locked`` under the model lock (a file written while another
thread trains is a consistent model) and writes it back only through ``_set_fitted``, after
:mod:`somwidget._som_checks` has checked what came from outside field by field.
No module-level import of :mod:`somwidget.som` (no import cycle).
"""

from __future__ import annotations

import copy
import inspect
import numbers
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from . import persistence
from ._som_checks import STRUCTURAL_PARAMS, check_fitted, fitted_from_document

_S = TypeVar("_S", bound="_PersistenceMixin")


class _PersistenceMixin:
    """``to_dict`` / ``from_dict``, ``save`` / ``load`` and pickling of
    :class:`~somwidget.som.SOM`."""

    def to_dict(self) -> dict[str, Any]:
        """The model as a JSON-ready dict (the versioned format of :mod:`somwidget.persistence`).

        Plain JSON types only (``json.dumps`` works on it). An unfitted SOM gives its
        parameters only. ``random_state`` is kept when it is an int (a Generator becomes
        None), and neither the generator's state nor the training data are included. A map
        whose structural parameters (``mapsize``, ``lattice``, ...) were changed after it was
        built also records the ones it was built with (``"init_params"``), so that the loaded
        model's next ``fit`` rebuilds it as the saved model's would; a ``set_output`` container
        is kept (``"output"``).

        Raises
        ------
        ValueError
            If a parameter has a value the SOM refuses (naming it): such a document could not
            be loaded back.
        """
        self._validated()  # a document load() would refuse is never written
        params = _json_params(self.get_params())
        if params.get("device") == "cpu":  # the default: files stay as somwidget 0.1.0 wrote them
            del params["device"]
        d: dict[str, Any] = {**persistence.header(), "params": params}
        output = self.__dict__.get("_sklearn_output_config")
        if output and output.get("transform", "default") != "default":
            d["output"] = {"transform": output["transform"]}
        if self._is_initialized():
            with self._model_lock:  # one consistent copy, even while another thread trains
                self._fitted_fields(d)
        return persistence.to_json_types(d)

    def _fitted_fields(self, d: dict[str, Any]) -> None:
        """Add the fitted fields to document ``d`` (caller holds the model lock)."""
        state = self._fitted_state_locked()
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
            built = state["init_params"]
            if built is not None:
                built = _json_params(dict(built))
                if any(repr(built.get(k)) != repr(d["params"].get(k)) for k in built):
                    d["init_params"] = built

    @classmethod
    def from_dict(cls: type[_S], d: Mapping[str, Any], *, source: object = "model dict",
                  max_neurons: int | None = None) -> _S:
        """Rebuild a SOM from :meth:`to_dict` output (or a parsed model file), checking every field.

        Parameters
        ----------
        d : mapping
            A model document, format version 1.
        source : object
            What to name in error messages (``SOM.load`` passes the file's path).
        max_neurons : int, optional
            The largest map accepted (default :data:`somwidget.persistence.MAX_NEURONS`); the
            declared size is checked before anything is allocated.

        Raises
        ------
        somwidget.persistence.ModelFormatError (a ValueError)
            For a foreign or too new document, missing, mistyped, out-of-range or inconsistent
            fields, a map larger than ``max_neurons``, or a checksum that does not match.
        """
        persistence.check_model(d, source)

        def fail(problem: str) -> persistence.ModelFormatError:
            return persistence.format_error(source, problem)

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
        except (TypeError, ValueError, OverflowError) as exc:
            raise fail(f"invalid parameters: {exc}") from None
        fitted = None
        if "codebook" in d:
            fitted = fitted_from_document(d, source, np.random.default_rng(p["random_state"]),
                                          max_neurons)
            built = d.get("init_params")
            if built is not None:
                fitted["init_params"] = _built_with(built, som, fail)
        output = d.get("output")
        if output is not None:
            output = _checked_output(output, fail)
        persistence.verify_checksum(d, source)  # last: an inconsistent field is named first
        if output is not None:
            som._sklearn_output_config = output
        if fitted is not None:
            som._set_fitted(**fitted)
        return som

    def save(self, path: str | os.PathLike, format: str | None = None) -> None:
        """Write the model to ``path`` in the format its extension names.

        * ``.json``: the versioned JSON document with a checksum (:mod:`somwidget.persistence`),
          written atomically and consistent while another thread trains the model; portable,
          human-readable, safe to load. Recommended.
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

        self._validated()  # as for JSON: a model whose parameters are refused is not written
        data = pickle.dumps(self, protocol=pickle.HIGHEST_PROTOCOL)
        persistence.write_atomically(path, lambda f: f.write(data))

    @classmethod
    def load(cls: type[_S], path: str | os.PathLike, format: str | None = None, *,
             max_neurons: int | None = None) -> _S:
        """Read a model written by :meth:`save`, in the format its extension names.

        A ``.json`` file is checked field by field and never executes code. A ``.pkl`` /
        ``.pickle`` file is unpickled, which can run code: only load pickles you trust. The
        object read must be an instance of this class (``TypeError`` otherwise).

        Parameters
        ----------
        path : str or path-like
        format : {"json", "pickle"}, optional
            Overrides the extension.
        max_neurons : int, optional
            The largest map a JSON file may declare (default
            :data:`somwidget.persistence.MAX_NEURONS`); checked before anything is allocated.

        Raises
        ------
        somwidget.persistence.ModelFormatError (a ValueError)
            For a corrupt, truncated, foreign, too deeply nested, too large, inconsistent or
            altered JSON file or pickled state (see :meth:`from_dict`).
        """
        if _file_format(path, format) == "json":
            return cls.from_dict(persistence.read_model(path), source=Path(path),
                                 max_neurons=max_neurons)
        import pickle

        with open(path, "rb") as f:
            try:
                model = pickle.load(f)
            except (pickle.UnpicklingError, EOFError) as exc:  # truncated, empty, or no pickle
                f.seek(0)
                hint = ("; it starts like JSON: load it with format='json'"
                        if f.read(64).lstrip().startswith(b"{") else "")
                raise persistence.format_error(
                    Path(path), f"not a complete pickle ({exc or 'the file is empty'}){hint}"
                ) from exc
        if not isinstance(model, cls):
            raise TypeError(f"{Path(path)} holds a {_qualified(type(model))}, not a "
                            f"{_qualified(cls)} (load it with that class's load)")
        return model

    def __deepcopy__(self: _S, memo: dict[int, Any]) -> _S:
        # the pickled state, deep-copied, plus the training data: a copy answers the analyses
        # called without X as the original does. The data are shared, not copied (the model
        # only reads them, and copying a large array behind the user's back costs its memory).
        new = type(self).__new__(type(self))
        memo[id(self)] = new
        new.__setstate__(copy.deepcopy(self.__getstate__(), memo))
        for name in _DATA_REFERENCES:
            if name in self.__dict__:
                setattr(new, name, self.__dict__[name])
        return new

    def __getstate__(self) -> dict:
        # the parameters and the fitted state (arrays as they are, the random generator with its
        # state); not the training data, the caches or the thread-pool limiter
        # (copied under the model lock: consistent while another thread trains)
        state: dict[str, Any] = {"params": self.get_params(), "fitted": None}
        output = self.__dict__.get("_sklearn_output_config")
        if output:  # set_output(transform=...): a pickled Pipeline keeps its container
            state["output"] = dict(output)
        if not self._is_initialized():
            return state
        with self._model_lock:
            fitted = self._fitted_state_locked()
            fitted["codebook"] = fitted["codebook"].copy()
        state["fitted"] = fitted
        return state

    def __setstate__(self, state: dict) -> None:
        def fail(problem: str) -> persistence.ModelFormatError:
            return persistence.format_error("the pickled SOM", problem)

        if not isinstance(state, dict):
            raise fail(f"the state is a {type(state).__name__}, not a dict")
        if "params" not in state:  # pickled by somwidget 0.1.0: the instance __dict__
            state = _legacy_state(state, self._param_names())
        params, fitted = state.get("params"), state.get("fitted")
        if not isinstance(params, dict) or not set(params) <= set(self._param_names()):
            raise fail("its parameters are not a dict of SOM parameters")
        # parameters added after the pickle was made take their defaults
        for key, value in {**_param_defaults(type(self)), **params}.items():
            setattr(self, key, value)
        output = state.get("output")
        if output is not None:
            self._sklearn_output_config = _checked_output(output, fail)
        if fitted is not None:
            if not isinstance(fitted, dict):
                raise fail("its fitted state is not a dict")
            self._set_fitted(**check_fitted(fitted, fail))


_EXTENSIONS = {".json": "json", ".pkl": "pickle", ".pickle": "pickle"}
#: The attributes that hold (or refer to) the training data of the latest fit
#: (``_StateMixin._hold_training_data``, a Dask collection's ``_dask_train``): shared by a deep
#: copy, never pickled.
_DATA_REFERENCES = ("_Xt", "_Xt_ref", "_source_ref", "_dask_train")
_OUTPUTS = ("default", "pandas", "polars")


def _qualified(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _json_params(params: dict[str, Any]) -> dict[str, Any]:
    """SOM parameters as a model document stores them: ``random_state`` an int or None (a
    Generator's state is not stored)."""
    if "random_state" in params:
        rs = params["random_state"]
        params["random_state"] = (
            int(rs) if isinstance(rs, numbers.Integral) and not isinstance(rs, bool) else None
        )
    return params


def _built_with(built: Mapping[str, Any], som: Any, fail: Any) -> dict[str, Any]:
    """A document's ``init_params`` (the structural parameters the map was built with), checked:
    known structural parameters only, each one the SOM accepts."""
    unknown = sorted(set(built) - set(STRUCTURAL_PARAMS))
    if unknown:
        raise fail(f"init_params holds {unknown}, which are not structural parameters "
                   f"(allowed: {list(STRUCTURAL_PARAMS)})")
    values = dict(built)
    if isinstance(values.get("mapsize"), list):
        values["mapsize"] = tuple(values["mapsize"])
    try:
        type(som)(**{**som.get_params(), **values})._validated()
    except (TypeError, ValueError, OverflowError) as exc:
        raise fail(f"invalid init_params: {exc}") from None
    return values


def _checked_output(output: Any, fail: Any) -> dict[str, str]:
    """A ``set_output`` setting read from a file or a pickle."""
    if not (isinstance(output, Mapping) and set(output) == {"transform"}
            and output["transform"] in _OUTPUTS):
        raise fail(f"its output setting is not one of set_output's ({{'transform': one of "
                   f"{list(_OUTPUTS)}}})")
    return {"transform": output["transform"]}


def _file_format(path: str | os.PathLike, format: str | None) -> str:
    """``"json"`` or ``"pickle"``: ``format`` when given, else from the extension of ``path``
    (a ``TypeError`` naming ``path`` when it is not a file name)."""
    if not isinstance(path, str | os.PathLike):
        raise TypeError(f"path must be a file name (a str or os.PathLike such as pathlib.Path); "
                        f"got {path!r}")
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
