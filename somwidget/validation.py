"""Argument checks shared by every module, with messages that name the parameter.

Every public entry point validates its arguments with these helpers so that a user gets
``ValueError: lattice must be one of 'hexa', 'rect', ...; got 'hexagonal'`` instead of a numpy
traceback from deep inside.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Mapping, Sequence

import numpy as np

__all__ = [
    "NotFittedError",
    "check_array",
    "check_choice",
    "check_fraction",
    "check_int",
    "check_positive",
]


class NotFittedError(ValueError, AttributeError):
    """Raised when a result is asked of a SOM that has not been initialised or fitted."""


def _fmt_allowed(allowed: Iterable[str]) -> str:
    return ", ".join(repr(a) for a in allowed)


def check_choice(
    name: str,
    value: object,
    allowed: Sequence[str],
    aliases: Mapping[str, str] | None = None,
) -> str:
    """Return the canonical option for ``value`` or raise a clear ``ValueError``.

    Parameters
    ----------
    name : str
        Parameter name used in the message.
    value : object
        The user's value. Matching is case-insensitive.
    allowed : sequence of str
        Canonical option names.
    aliases : mapping, optional
        Extra accepted spellings mapped to canonical names.

    Returns
    -------
    str
        The canonical option.
    """
    aliases = dict(aliases or {})
    if isinstance(value, str):
        key = value.strip().lower()
        for a in allowed:
            if key == a.lower():
                return a
        for alias, target in aliases.items():
            if key == alias.lower():
                return target
    shown = list(allowed) + [a for a in aliases if a not in allowed]
    raise ValueError(f"{name} must be one of {_fmt_allowed(shown)}; got {value!r}")


def check_int(name: str, value: object, minimum: int | None = None, maximum: int | None = None) -> int:
    """Return ``value`` as ``int`` or raise a clear error naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        if isinstance(value, numbers.Real) and not isinstance(value, bool) and float(value).is_integer():
            value = int(value)
        else:
            raise TypeError(f"{name} must be an integer; got {value!r}")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be at least {minimum}; got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be at most {maximum}; got {value}")
    return value


def check_positive(name: str, value: object, allow_zero: bool = False) -> float:
    """Return ``value`` as a finite ``float`` > 0 (or >= 0 with ``allow_zero``)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number; got {value!r}")
    v = float(value)
    if not np.isfinite(v):
        raise ValueError(f"{name} must be finite; got {value!r}")
    if v < 0 or (v == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be {bound}; got {value!r}")
    return v


def check_fraction(name: str, value: object, allow_zero: bool = False) -> float:
    """Return ``value`` as a float in (0, 1] (or [0, 1] with ``allow_zero``)."""
    v = check_positive(name, value, allow_zero=allow_zero)
    if v > 1:
        raise ValueError(f"{name} must be in {'[0' if allow_zero else '(0'}, 1]; got {value!r}")
    return v


def check_array(
    name: str,
    X: object,
    *,
    n_features: int | None = None,
    min_samples: int = 1,
    allow_nan: bool = False,
) -> tuple[np.ndarray, list[str] | None]:
    """Validate a 2-D numeric data set.

    Accepts a numpy array, a nested sequence or a pandas DataFrame (whose column names become the
    feature names). A 1-D input is refused with a hint, never silently reshaped.

    Parameters
    ----------
    name : str
        Parameter name used in messages (usually ``"X"``).
    X : array-like or pandas.DataFrame
        The data, samples in rows.
    n_features : int, optional
        Required number of columns (the number the model was fitted with).
    min_samples : int
        Minimum number of rows.
    allow_nan : bool
        Whether NaN is accepted (inf never is).

    Returns
    -------
    (ndarray, list of str or None)
        The data as C-contiguous float64 and the column names of a DataFrame (else None).
    """
    feature_names: list[str] | None = None
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover - pandas is a dependency
        pd = None
    if pd is not None and isinstance(X, pd.Series):
        raise ValueError(
            f"{name} must be 2-D (samples x features); got a pandas Series. "
            f"Use {name}.to_frame() for a single feature."
        )
    if pd is not None and isinstance(X, pd.DataFrame):
        bad = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c]) or pd.api.types.is_bool_dtype(X[c])]
        if bad:
            raise ValueError(
                f"{name} has non-numeric columns {bad}; drop them (e.g. labels) or encode them first"
            )
        feature_names = [str(c) for c in X.columns]
        arr = X.to_numpy(dtype=np.float64)
    else:
        if X is None:
            raise ValueError(f"{name} is required; got None")
        raw = np.asarray(X)
        if raw.dtype == object or raw.dtype.kind in "USb":
            raise ValueError(f"{name} must be numeric; got an array of dtype {raw.dtype}")
        if raw.dtype.kind == "c":
            raise ValueError(f"{name} must be real-valued; got complex numbers")
        arr = raw.astype(np.float64, copy=False)
    if arr.ndim != 2:
        hint = " Use X.reshape(-1, 1) for a single feature." if arr.ndim == 1 else ""
        raise ValueError(f"{name} must be 2-D (samples x features); got {arr.ndim}-D shape {arr.shape}.{hint}")
    if arr.shape[0] < min_samples:
        raise ValueError(f"{name} must have at least {min_samples} sample(s); got {arr.shape[0]}")
    if arr.shape[1] == 0:
        raise ValueError(f"{name} must have at least 1 feature; got 0 columns")
    if n_features is not None and arr.shape[1] != n_features:
        raise ValueError(
            f"{name} has {arr.shape[1]} features, but the model was fitted with {n_features}"
        )
    if allow_nan:
        if np.isinf(arr).any():
            raise ValueError(f"{name} contains infinite values")
    elif not np.isfinite(arr).all():
        n_bad = int((~np.isfinite(arr)).sum())
        raise ValueError(f"{name} contains {n_bad} NaN or infinite value(s); clean or impute them first")
    return np.ascontiguousarray(arr), feature_names
