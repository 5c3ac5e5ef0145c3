"""Argument checks shared by every module, with messages that name the parameter.

Every public entry point validates its arguments with these helpers so that a user gets
``ValueError: lattice must be one of 'hexa', 'rect', 'toroidal_hexa', ..., 'cylindrical_hex';
got 'square'`` (the accepted names and aliases, in full) instead of a numpy traceback from deep
inside.

Estimator parameters are checked the scikit-learn way: a class holds a constraints table
(``SOM._parameter_constraints``: parameter name -> list of :class:`Constraint`, ``None`` meaning
"None is allowed") and :func:`validate_params` checks the whole table once on entry of a public
method, returning the canonical values. The constraint kinds are :class:`Options` (a choice,
with aliases), :class:`Integer` and :class:`Interval` (ranges), :class:`InstanceOf` and
:class:`GridShape` (``"auto"``, ``n`` or ``(rows, cols)``). Their errors are
:class:`InvalidParameterError`, both a ``ValueError`` and a ``TypeError``.

The checks live in modules of one concept each, all re-exported here (import them from
``somwidget.validation``): single values in :mod:`somwidget._scalar_checks`, data sets and
per-sample arrays in :mod:`somwidget._array_checks`, the constraints table in
:mod:`somwidget._constraints`. :class:`NotFittedError` is defined here.
"""

from __future__ import annotations

import functools
import sys

# each ``name as name``: importable from here as before the split, though not in __all__
from ._array_checks import (
    NAN_HINT,
    all_nan_columns,
    check_array,
    check_bmus,
    check_distances,
    check_missing_rows,
    check_sample_weight,
    n_samples_of,
)
from ._array_checks import NEURONS_PER_SAMPLE_WARNING as NEURONS_PER_SAMPLE_WARNING
from ._array_checks import TRAINING_SPACE_LIMIT as TRAINING_SPACE_LIMIT
from ._array_checks import SparseMapWarning as SparseMapWarning
from ._array_checks import check_training_range as check_training_range
from ._array_checks import warn_sparse_map as warn_sparse_map
from ._constraints import (
    RANDOM_STATE,
    Constraint,
    GridShape,
    InstanceOf,
    Integer,
    Interval,
    InvalidParameterError,
    Options,
    check_param,
    validate_params,
)
from ._constraints import Constraints as Constraints
from ._scalar_checks import _fmt_allowed as _fmt_allowed
from ._scalar_checks import (
    check_choice,
    check_flag,
    check_fraction,
    check_int,
    check_n_neurons,
    check_positive,
    default_feature_names,
)

__all__ = [
    "Constraint",
    "GridShape",
    "InstanceOf",
    "Integer",
    "Interval",
    "InvalidParameterError",
    "NAN_HINT",
    "RANDOM_STATE",
    "NotFittedError",
    "Options",
    "all_nan_columns",
    "check_array",
    "check_bmus",
    "check_choice",
    "check_distances",
    "check_flag",
    "check_fraction",
    "check_int",
    "check_missing_rows",
    "check_n_neurons",
    "check_param",
    "check_positive",
    "check_sample_weight",
    "default_feature_names",
    "n_samples_of",
    "validate_params",
]


class NotFittedError(ValueError, AttributeError):
    """Raised when a result is asked of a SOM that has not been initialised or fitted.

    When scikit-learn is imported, the error raised is also a
    ``sklearn.exceptions.NotFittedError`` (what scikit-learn's tools catch), without somwidget
    importing scikit-learn itself.
    """

    def __new__(cls, *args: object, **kwargs: object) -> NotFittedError:
        if cls is NotFittedError and "sklearn" in sys.modules:
            cls = _sklearn_not_fitted_error()
        return super().__new__(cls, *args, **kwargs)

    def __reduce__(self) -> tuple[type, tuple[object, ...]]:
        # by the public class: unpickling picks the scikit-learn-aware one again if need be
        return NotFittedError, self.args


@functools.cache
def _sklearn_not_fitted_error() -> type[NotFittedError]:
    from sklearn.exceptions import NotFittedError as SklearnNotFittedError

    return type("NotFittedError", (NotFittedError, SklearnNotFittedError),
                {"__module__": __name__, "__qualname__": "NotFittedError"})
