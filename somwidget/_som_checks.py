"""Checks of a SOM's fitted state read from outside: a model document, or an unpickled state.

:meth:`SOM.from_dict <somwidget.som.SOM.from_dict>` and ``SOM.__setstate__`` rebuild a model
from data that may be corrupt or crafted. Before anything is built, the declared sizes are
checked against a cap (:func:`somwidget.persistence.check_size`); then every field is checked
for type, range and consistency with the others, so that a model that loads predicts exactly
as the saved one did, and anything else is a :class:`~somwidget.persistence.ModelFormatError`
naming the field:

* the codebook: ``lattice.n_neurons`` rows of ``n_features`` real numbers (no strings, no
  booleans), all finite;
* the normaliser: fitted on ``n_features`` features, finite parameters, positive scales, and
  able to map the codebook to data units and back (a scale so small or so large that the
  round trip destroys the codebook's spread would send every sample to one neuron);
* counters non-negative integers, the history's columns of one length with values of their
  type (epochs: integers >= 0); ``last_radius`` finite and positive; the data box
  finite with ``min <= max``.

Functions here return the keyword arguments of ``_set_fitted``; they import nothing from
:mod:`somwidget.som`.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from . import persistence
from .callbacks import HISTORY_KEYS, History
from .lattice import Lattice
from .normalization import Normalizer

#: The parameters that shape the map: the next fit rebuilds a map when one of them differs from
#: the value it was built with (``init_params`` of the fitted state).
STRUCTURAL_PARAMS = (
    "mapsize",
    "lattice",
    "rect_adjacency",
    "normalization",
    "initialization",
    "random_state",
)

__all__ = ["check_fitted", "fitted_from_document"]

_Fail = Callable[[str], persistence.ModelFormatError]
_TEXT_COLUMNS = ("mode", "phase")


def _is_real(v: Any) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, bool)


def _is_number(v: Any) -> bool:
    """A real number that converts to float64 (NaN allowed, not an int beyond its range)."""
    if not _is_real(v):
        return False
    try:
        float(v)
    except OverflowError:
        return False
    return True


def _is_count(v: Any) -> bool:
    return isinstance(v, numbers.Integral) and not isinstance(v, bool) and v >= 0


def _check_history(history: Mapping[str, Any], fail: _Fail) -> dict:
    """The history columns as lists, every entry of its column's type."""
    out: dict[str, list] = {k: [] for k in HISTORY_KEYS}
    for k, v in history.items():
        if k not in out or not isinstance(v, (list, tuple)):
            raise fail(f"invalid history entry {k!r}")
        out[k] = list(v)
    if len({len(v) for v in out.values()}) > 1:
        raise fail("the history lists have different lengths "
                   f"({ {k: len(v) for k, v in out.items()} })")
    for k, column in out.items():
        if k == "epoch":
            bad = [e for e in column if not _is_count(e)]
            if bad:
                raise fail(f"history epochs must be integers >= 0; got {bad[:3]}")
        elif k in _TEXT_COLUMNS:
            if not all(v is None or isinstance(v, str) for v in column):
                raise fail(f"history column {k!r} must hold strings")
        elif not all(v is None or _is_number(v) for v in column):
            raise fail(f"history column {k!r} must hold numbers")
    return out


def _check_round_trip(normalizer: Normalizer, codebook: np.ndarray, fail: _Fail) -> None:
    """The normaliser maps the codebook to data units and back without destroying its spread."""
    if not normalizer.invertible or not normalizer.params_:
        return
    try:
        with np.errstate(all="ignore"):
            back = normalizer._inverse(codebook)
            again = normalizer._transform(back)
    except ValueError:
        # a codebook outside the inverse's domain (e.g. a PCA start beyond the logistic's (0, 1))
        # cannot be shown in data units, but predicts all the same
        return
    spread = np.ptp(codebook, axis=0)
    tol = 1e-3 * np.maximum(spread, 1.0)  # training space has about unit scale
    with np.errstate(invalid="ignore"):
        err = np.abs(again - codebook).max(axis=0)
    bad = ~(np.isfinite(back).all(axis=0) & (err <= tol))
    if bad.any():
        cols = np.flatnonzero(bad).tolist()
        raise fail(
            f"the normalizer does not match the codebook: its parameters for features {cols} "
            "cannot map the codebook to data units and back (a scale that is far too small or "
            "too large for its mean)"
        )


def _check_normalizer(normalizer: Any, n_features: int, fail: _Fail) -> None:
    if not isinstance(normalizer, Normalizer):
        raise fail(f"the normalizer is a {type(normalizer).__name__}, not a Normalizer")
    if normalizer.n_features_in_ != n_features:
        raise fail(f"the normalizer has {normalizer.n_features_in_} features, expected {n_features}")
    params = normalizer.params_
    if not isinstance(params, Mapping) or set(params) != set(normalizer.param_names):
        raise fail(f"the {normalizer.name!r} normalizer's parameters must be "
                   f"{list(normalizer.param_names)}")
    for key, value in params.items():
        arr = np.asarray(value)
        if arr.dtype.kind not in "fiu" or arr.shape != (n_features,) or not np.isfinite(arr).all():
            raise fail(f"normalizer param {key!r} must be {n_features} finite numbers")
    try:
        normalizer._validate_params({k: np.asarray(v, dtype=np.float64) for k, v in params.items()})
    except ValueError as exc:
        raise fail(f"invalid normalizer: {exc}") from None


def check_fitted(state: Mapping[str, Any], fail: _Fail) -> dict[str, Any]:
    """Check the keyword arguments of ``_set_fitted`` (as ``_fitted_state`` gives them).

    Returns them with the codebook as float64 and the history as column lists.

    Raises
    ------
    ModelFormatError
        Through ``fail(problem)`` for the first problem found.
    """
    s = dict(state)
    expected = {"codebook", "lattice", "normalizer", "random_state"}
    missing = expected - set(s)
    if missing:
        raise fail(f"the fitted state lacks {sorted(missing)}")
    lattice = s["lattice"]
    if not isinstance(lattice, Lattice):
        raise fail(f"the lattice is a {type(lattice).__name__}, not a Lattice")
    rows, cols = getattr(lattice, "rows", None), getattr(lattice, "cols", None)
    if not (_is_count(rows) and _is_count(cols) and rows * cols == lattice.n_neurons >= 1):
        raise fail("the lattice's rows, cols and neuron count disagree")
    codebook = s["codebook"]
    if not isinstance(codebook, np.ndarray) or codebook.dtype.kind not in "fiu":
        raise fail("the codebook must be an array of real numbers")
    if codebook.ndim != 2 or codebook.shape[0] != lattice.n_neurons or codebook.shape[1] < 1:
        raise fail(f"the codebook has shape {codebook.shape}, expected ({lattice.n_neurons}, D)")
    codebook = np.array(codebook, dtype=np.float64)
    if not np.isfinite(codebook).all():
        raise fail("the codebook contains NaN or infinite values")
    n_features = codebook.shape[1]
    normalizer = s["normalizer"]
    _check_normalizer(normalizer, n_features, fail)
    if not isinstance(s["random_state"], np.random.Generator):
        raise fail("random_state must be a numpy.random.Generator")
    names = s.get("feature_names")
    if names is not None and (
        isinstance(names, str) or not isinstance(names, Sequence) or len(names) != n_features
        or not all(isinstance(n, str) for n in names)
    ):
        raise fail(f"feature_names must be {n_features} strings")
    if not isinstance(s.get("names_from_frame", False), (bool, np.bool_, type(None))):
        raise fail("names_from_frame must be a bool")
    n_epochs = s.get("n_epochs_trained", 0)
    if not _is_count(n_epochs):
        raise fail(f"n_epochs_trained must be an integer >= 0; got {n_epochs!r}")
    s["n_epochs_trained"] = int(n_epochs)
    history = s.get("history")
    if isinstance(history, History):
        history = history.to_dict()
    if history is not None:
        if not isinstance(history, Mapping):
            raise fail("the history must be a mapping of column lists")
        s["history"] = _check_history(history, fail)
    radius = s.get("last_radius", 1.0)
    if not _is_number(radius) or not math.isfinite(radius) or radius <= 0:
        raise fail(f"invalid last_radius {radius!r}")
    bounds = s.get("data_bounds")
    if bounds is not None:
        try:
            box = np.array([np.asarray(b, dtype=np.float64) for b in bounds])
        except (TypeError, ValueError):
            raise fail("data_bounds must be two lists of numbers") from None
        if box.shape != (2, n_features) or not np.isfinite(box).all() or (box[0] > box[1]).any():
            raise fail(f"data_bounds must be [min, max] lists of {n_features} finite numbers "
                       "with min <= max")
        s["data_bounds"] = (box[0], box[1])
    init = s.get("init_params")
    if init is not None and not isinstance(init, Mapping):
        raise fail("init_params must be a mapping")
    training = s.get("training_data")
    if training is not None:
        raise fail("the fitted state may not carry training data")
    _check_round_trip(normalizer, codebook, fail)
    s["codebook"] = codebook
    return s


def _real_matrix(value: list, fail: _Fail, what: str) -> np.ndarray:
    """A list of lists of JSON numbers (not strings, not booleans) as float64."""
    if not all(type(v) in (int, float) for row in value for v in row):
        raise fail(f"{what} must hold numbers only (no strings, booleans or null)")
    try:
        return np.array(value, dtype=np.float64)
    except (OverflowError, TypeError, ValueError):
        raise fail(f"{what} is not a rectangular list of finite numbers") from None


def fitted_from_document(d: Mapping[str, Any], source: object, random_state: np.random.Generator,
                         max_neurons: int | None = None) -> dict[str, Any]:
    """The ``_set_fitted`` arguments of a model document's fitted fields, every field checked.

    The sizes are checked first (:func:`somwidget.persistence.check_size`), so a document that
    declares a huge map is refused before anything is allocated for it.
    """
    def fail(problem: str) -> persistence.ModelFormatError:
        return persistence.format_error(source, problem)

    _, _, n_features = persistence.check_size(d, source, max_neurons)
    try:
        lattice = Lattice.from_dict(d["lattice"])
    except (TypeError, ValueError, KeyError, OverflowError) as exc:
        raise fail(f"invalid lattice: {exc}") from None
    try:
        normalizer = Normalizer.from_dict(d["normalizer"])
    except (TypeError, ValueError, KeyError, OverflowError) as exc:
        raise fail(f"invalid normalizer: {exc}") from None
    names = d["feature_names"]
    if len(names) != n_features or not all(isinstance(n, str) for n in names):
        raise fail(f"feature_names must be {n_features} strings")
    if normalizer.n_features_in_ != n_features:
        raise fail(f"the normalizer has {normalizer.n_features_in_} features, expected {n_features}")
    codebook = _real_matrix(d["codebook"], fail, "the codebook")
    bounds = d.get("data_bounds")
    if bounds is not None:
        if len(bounds) != 2 or not all(isinstance(b, list) and len(b) == n_features for b in bounds):
            raise fail(f"data_bounds must be [min, max] lists of {n_features} finite numbers "
                       "with min <= max")
        box = _real_matrix(bounds, fail, "data_bounds")
        bounds = (box[0], box[1])
    last_radius = d.get("last_radius", 1.0)
    return check_fitted({
        "codebook": codebook, "lattice": lattice, "normalizer": normalizer,
        "random_state": random_state, "feature_names": list(names),
        "names_from_frame": bool(d.get("feature_names_from_frame", False)),
        "history": d["history"], "n_epochs_trained": d["n_epochs_trained"],
        "last_radius": last_radius, "data_bounds": bounds,
    }, fail)
