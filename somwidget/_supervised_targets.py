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
from sklearn.utils.multiclass import check_classification_targets

from .labels import encode_labels
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


def _class_codes(y: object, n: int) -> tuple[np.ndarray, list[Any]]:
    """Codes and classes of classification targets (missing labels: code -1)."""
    if y is None:
        raise ValueError("SOMClassifier requires y to be passed, but the target y is None: "
                         "fit(X, y) needs one label per sample")
    if not hasattr(y, "__len__") and hasattr(y, "__array__"):  # array-likes without len()
        y = np.asarray(y)
    if isinstance(y, (np.ndarray, list, tuple)):
        arr = np.asarray(y, dtype=object) if isinstance(y, (list, tuple)) else y
        if arr.ndim == 2 and arr.shape[1] == 1:
            warnings.warn("A column-vector y was passed when a 1d array was expected: y (N, 1) "
                          "is used as the 1-D labels it holds (pass y.ravel())",
                          DataConversionWarning, stacklevel=3)
            y = arr[:, 0]
        elif arr.ndim != 1:
            raise ValueError(f"y must be 1-D (one label per sample); got shape {arr.shape}")
    codes, classes = encode_labels(y, n=n, name="y")
    if (codes < 0).all():
        raise ValueError("y has no label (every entry is missing: None or NaN)")
    known = np.asarray(classes, dtype=object)[codes[codes >= 0]]
    if all(isinstance(c, numbers.Number) for c in classes):
        known = known.astype(np.float64)
        if np.isinf(known).any():
            raise ValueError("Input y contains infinity: class labels must be finite")
    check_classification_targets(known)
    return codes, classes


def _class_array(classes: list[Any]) -> np.ndarray:
    """``classes_`` as numpy gives it for those values (ints, floats, strings; else objects)."""
    try:
        arr = np.asarray(classes)
    except (TypeError, ValueError):
        arr = None
    if arr is None or arr.ndim != 1 or arr.dtype.kind not in "biufUSM":
        arr = np.empty(len(classes), dtype=object)
        arr[:] = classes
    return arr


#: numpy's ComplexWarning (numpy.exceptions from 1.25, the top level before)
_COMPLEX_WARNING = getattr(np, "exceptions", np).ComplexWarning


def _regression_targets(y: object, n: int) -> tuple[np.ndarray, bool]:
    """Targets as float (N, T) and whether they were 1-D; NaN stays (missing), inf is refused."""
    if y is None:
        raise ValueError("SOMRegressor requires y to be passed, but the target y is None: "
                         "fit(X, y) needs one target per sample")
    try:
        with warnings.catch_warnings():  # dropping an imaginary part is an error here
            warnings.simplefilter("error", _COMPLEX_WARNING)
            Y = np.asarray(y.to_numpy() if hasattr(y, "to_numpy") else y).astype(np.float64)
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
