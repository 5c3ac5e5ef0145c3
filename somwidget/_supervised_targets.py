"""The targets of the map predictors (:mod:`somwidget.supervised`): ``y`` checked and coded
(class codes and ``classes_`` of the classifier, float targets of the regressor), and the
neurons without labelled samples given those of their nearest labelled neurons
(:func:`fill_empty_neurons`, re-exported by :mod:`somwidget.supervised`)."""

from __future__ import annotations

import numbers
import warnings
from typing import Any

import numpy as np
from sklearn.exceptions import DataConversionWarning

from ._array_checks import TRAINING_SPACE_LIMIT
from ._user_frame import user_stacklevel
from ._value_kinds import date_type_in, dates_error
from .euclidean import pow2_scale, pow2_scales
from .labels import LABEL_TYPES, _kind, encode_labels, match_labels
from .lattice import Lattice

__all__ = ["fill_empty_neurons"]

# neurons whose nearest labelled neurons are looked up per block (rows of grid distances)
_FILL_BLOCK = 512
# squared grid distances are exact multiples of 1/4: anything closer than this is a tie
_TIE = 1e-9


def fill_empty_neurons(
    lattice: Lattice, sums: np.ndarray, weights: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Give every neuron without labelled samples those of its nearest labelled neurons.

    Parameters
    ----------
    lattice : Lattice
        The map's lattice (its grid distances, wrap-around included, decide "nearest").
    sums : ndarray (M,) or (M, K)
        Per neuron, the sum of what its labelled samples carry (class one-hots, targets).
    weights : ndarray (M,)
        Per neuron, how many labelled samples it won (0: empty).

    Returns
    -------
    sums, weights : ndarray
        Copies in which each empty neuron holds the totals over *all* labelled neurons at the
        smallest grid distance from it (ties pooled, so the result does not depend on neuron
        order). Labelled neurons are unchanged.

    Raises
    ------
    ValueError
        When no neuron is labelled.
    """
    weights = np.asarray(weights, dtype=np.float64)
    sums = np.asarray(sums, dtype=np.float64)
    empty = weights <= 0
    if empty.all():
        raise ValueError("no neuron won a labelled sample: there is nothing to label the map with")
    out_s, out_w = sums.copy(), weights.copy()
    todo = np.flatnonzero(empty)
    for start in range(0, todo.size, _FILL_BLOCK):
        block = todo[start:start + _FILL_BLOCK]
        d2 = lattice.grid_distances_squared_from(block)
        d2[:, empty] = np.inf
        near = (d2 <= d2.min(axis=1, keepdims=True) + _TIE).astype(np.float64)
        out_s[block] = near @ sums
        out_w[block] = near @ weights
    return out_s, out_w


def _labels_1d(y: object) -> object:
    """``y`` as one label per sample: a column vector raveled (with scikit-learn's warning), a
    list of tuples kept as tuple labels; other 2-D labels refused."""
    if not hasattr(y, "__len__") and hasattr(y, "__array__"):  # array-likes without len()
        y = np.asarray(y)
    if isinstance(y, (list, tuple)):
        if not any(isinstance(v, (list, np.ndarray)) for v in y):  # tuples are labels
            return y
        y = np.asarray(y, dtype=object)
    if isinstance(y, np.ndarray):
        if y.ndim == 2 and y.shape[1] == 1:
            warnings.warn("A column-vector y was passed when a 1d array was expected: y (N, 1) "
                          "is used as the 1-D labels it holds (pass y.ravel())",
                          DataConversionWarning, stacklevel=4)
            return y[:, 0]
        if y.ndim != 1:
            raise ValueError(f"y must be 1-D (one label per sample); got shape {y.shape}")
    return y


def _encode_y(y: object, n: int) -> tuple[np.ndarray, list[Any]]:
    return encode_labels(_labels_1d(y), n=n, name="y")  # unhashable labels: a TypeError


def _class_codes(y: object, n: int) -> tuple[np.ndarray, list[Any]]:
    """Codes and classes of classification targets (missing labels: code -1)."""
    if y is None:
        raise ValueError("SOMClassifier requires y to be passed, but the target y is None: "
                         "fit(X, y) needs one label per sample")
    codes, classes = _encode_y(y, n)
    if (codes < 0).all():
        raise ValueError("y has no label (every entry is missing: None or NaN)")
    if all(isinstance(c, numbers.Number) for c in classes):
        floats = np.array([c for c in classes if isinstance(c, float)], dtype=np.float64)
        if np.isinf(floats).any():
            raise ValueError("Input y contains infinity: class labels must be finite")
        frac = floats[floats != np.floor(floats)]
        if frac.size:
            raise ValueError(
                f"Unknown label type: continuous (y holds non-integer numbers such as "
                f"{float(frac[0])!r}): SOMClassifier needs {LABEL_TYPES}; SOMRegressor "
                "predicts continuous targets")
    return codes, classes


def _score_codes(y: object, classes: list[Any], n: int) -> np.ndarray:
    """The index of each label of ``y`` among the fitted ``classes`` (-2: an unseen class);
    missing labels refused (a score needs every label)."""
    if y is None:
        raise ValueError("score(X, y) needs the true labels y; got None")
    codes = match_labels(_labels_1d(y), classes, n=n, name="y")  # unhashable: a TypeError
    if (codes == -1).any():
        raise ValueError(f"y has {int((codes == -1).sum())} missing label(s) (None / NaN); "
                         "score needs a label for every sample")
    return codes


def _class_array(classes: list[Any]) -> np.ndarray:
    """``classes_`` as numpy gives it for those values (ints, floats, strings, datetimes) where
    that keeps each class as it is; else objects (``True`` next to ``1``, ints past uint64's or
    float64's exact range mixed with others, mixed types, tuples)."""
    arr = None
    if len({_kind(c) for c in classes}) == 1:
        try:
            arr = np.asarray(classes)
        except (TypeError, ValueError, OverflowError):
            arr = None
    if arr is not None and arr.ndim == 1 and arr.dtype.kind in "biufUSmM":
        back = list(arr) if arr.dtype.kind in "mM" else arr.tolist()
        same = all(type(a) is type(c) or _kind(a) == _kind(c) == "number"
                   for a, c in zip(back, classes, strict=True))
        if same and all(a == c for a, c in zip(back, classes, strict=True)):
            return arr
    out = np.empty(len(classes), dtype=object)
    out[:] = classes
    return out


def _checked_weight(raw: object, n: int) -> np.ndarray:
    """``sample_weight`` as float64 (N,), finite and >= 0; numbers only (bools, ints, floats:
    strings such as ``"1"`` and complex weights are refused, as the SOM refuses them, rather
    than parsed or cut to their real part)."""
    try:
        arr = np.asarray(raw)
    except (TypeError, ValueError):
        raise ValueError(f"sample_weight must be numbers; got {raw!r}") from None
    if arr.dtype == object or arr.dtype.kind not in "biuf":
        raise TypeError(f"sample_weight must be numbers (bool, int or float); got an array of "
                        f"dtype {arr.dtype}")
    w = arr.astype(np.float64)
    if w.shape != (n,):
        raise ValueError(f"sample_weight must have one weight per sample, shape ({n},); got "
                         f"shape {w.shape}")
    if not np.isfinite(w).all() or (w < 0).any():
        raise ValueError("sample_weight must be finite and >= 0")
    return w


#: numpy's ComplexWarning (numpy.exceptions from 1.25, the top level before)
_COMPLEX_WARNING = getattr(np, "exceptions", np).ComplexWarning


def _target_values(y: object) -> np.ndarray:
    """``y`` as a numpy array, a pandas object's missing values (``pd.NA`` of nullable
    columns, ``NaT``) as NaN; dates and durations refused (as numbers they would be raw counts
    of their unit, NaT a huge negative one)."""
    if hasattr(y, "to_numpy"):
        dtypes = list(y.dtypes) if getattr(y, "ndim", 1) == 2 else [getattr(y, "dtype", None)]
        dated = [dt for dt in dtypes if getattr(dt, "kind", "") in ("m", "M")]
        if dated:
            raise dates_error("y", f"dtype {dated[0]}")
        try:
            Y = np.asarray(y.to_numpy(na_value=np.nan))
        except (TypeError, ValueError):
            Y = np.asarray(y.to_numpy())
    else:
        try:
            Y = np.asarray(y)
        except (TypeError, ValueError) as exc:  # a ragged list
            raise ValueError(f"y must be numeric targets; {exc}") from None
    if Y.dtype.kind in "mM":
        raise dates_error("y", f"dtype {Y.dtype}")
    if Y.dtype == object:
        dated_type = date_type_in(Y)
        if dated_type is not None:
            raise dates_error("y", f"{dated_type.__name__} objects")
    return Y


def _regression_targets(y: object, n: int) -> tuple[np.ndarray, bool]:
    """Targets as float (N, T) and whether they were 1-D; NaN stays (missing), inf is refused."""
    if y is None:
        raise ValueError("SOMRegressor requires y to be passed, but the target y is None: "
                         "fit(X, y) needs one target per sample")
    values = _target_values(y)
    # numbers written as text are refused as they are in X (a column read as text is usually
    # not all numbers: "1,5", "n/a"), not parsed one by one
    texts = (values.dtype.kind in "US" or (values.dtype == object and any(
        isinstance(v, str | bytes) for v in values.ravel())))
    if texts:
        raise ValueError(f"y must be numeric targets; got text (dtype {values.dtype}): convert it "
                         "to numbers first, e.g. pandas.to_numeric(y), or use SOMClassifier for "
                         "class labels")
    try:
        with warnings.catch_warnings():  # dropping an imaginary part is an error here
            warnings.simplefilter("error", _COMPLEX_WARNING)
            Y = values.astype(np.float64)
    except (_COMPLEX_WARNING, TypeError, ValueError) as exc:
        if isinstance(exc, _COMPLEX_WARNING) or "complex" in str(exc):
            raise ValueError("y must be real numeric targets; got complex values (give the "
                             "real and imaginary parts as two target columns)") from None
        raise ValueError(f"y must be numeric targets; {exc}") from None
    if Y.ndim not in (1, 2) or (Y.ndim == 2 and Y.shape[1] == 0):
        raise ValueError(f"y must be 1-D (N,) or 2-D (N, T); got shape {Y.shape}")
    if Y.shape[0] != n:
        raise ValueError(f"y has {Y.shape[0]} entries but X has {n} samples")
    if np.isinf(Y).any():
        raise ValueError("Input y contains infinity; targets must be finite (NaN marks a missing one)")
    if np.isnan(Y).all():
        raise ValueError("Input y contains NaN only: every target is missing")
    return (Y[:, None] if Y.ndim == 1 else Y), Y.ndim == 1


#: the start of the SOM's warning about features of disparate spreads (normalization="none")
_SCALE_WARNING = "normalization='none' with features whose ranges differ"
#: The metrics whose domain is non-negative data: the regressor's target block is min-max
#: scaled for them (standardised targets are negative), and dice's is capped at 1.
NON_NEGATIVE_METRICS = ("dice", "jensenshannon")


def _block_scale(Xt: np.ndarray, block: np.ndarray, weight: float, metric: str) -> float:
    """The factor ``c`` of the target block: ``c**2`` times its total variance is
    ``weight**2`` times that of ``Xt`` (both measured on data divided by a power of two near
    their largest magnitude, so that features near 1e-170 or 1e160 neither underflow nor
    overflow in the squares). ``dice`` (values in [0, 1]) caps the block at 1, with a warning.

    Raises
    ------
    ValueError
        When ``weight`` scales the block beyond what training can sum.
    """
    with np.errstate(invalid="ignore"):
        sx = pow2_scale(float(np.nanmax(np.abs(Xt)))) if Xt.size else 1.0
    var_x = float(np.nanvar(Xt / sx, axis=0).sum())  # known values (missing="ignore")
    var_y = float(block.var(axis=0).sum())
    top_y = float(np.abs(block).max())
    with np.errstate(over="ignore"):
        scale = weight * sx * np.sqrt(var_x / var_y) if var_x > 0 and var_y > 0 else weight
        top = scale * top_y
    if not top <= TRAINING_SPACE_LIMIT:
        raise ValueError(
            f"label_weight={weight!r} scales the target block (labels or targets, next to X "
            f"during training) to values up to {top:.3g}, beyond what training can sum (limit "
            f"{TRAINING_SPACE_LIMIT:.0e}): choose a smaller label_weight (1 gives the targets "
            "the weight of all the features together)")
    if metric == "dice" and top > 1:
        warnings.warn(
            f"distance_metric='dice' compares values in [0, 1]: label_weight={weight!r} asks for "
            f"a target block of values up to {top:.3g} next to X, so it is capped at 1 (the "
            "targets weigh less than label_weight asks)", UserWarning, stacklevel=user_stacklevel())
        scale = 1.0 / top_y
    return float(scale)


def _target_frame(Y: np.ndarray, non_negative: bool) -> tuple[np.ndarray, np.ndarray]:
    """Each target column's centre and spread: mean and standard deviation, or (for the
    ``non_negative`` block of :data:`NON_NEGATIVE_METRICS`) minimum and range; a spread of 0
    becomes 1. Computed on the column divided by a power of two near its largest magnitude
    (exact), so that targets near 1e200 or 1e-200 neither overflow nor underflow."""
    scale = pow2_scales(np.max(np.abs(Y), axis=0))
    Ys = Y / scale
    if non_negative:
        lo = Ys.min(axis=0)
        center, spread = lo, Ys.max(axis=0) - lo
    else:
        center, spread = Ys.mean(axis=0), Ys.std(axis=0)
    return center * scale, np.where(spread > 0, spread, 1.0 / scale) * scale
