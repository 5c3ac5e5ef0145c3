"""What kinds of values an input holds beyond plain numbers: integers that float64 rounds
(beyond 2**53), dates and durations (refused: numpy would cast them to raw counts of their
unit), and numbers inside object arrays (with pandas' missing-value markers). Used by
:func:`somwidget._array_checks.check_array` and the supervised targets."""

from __future__ import annotations

import datetime
import numbers
from typing import Any

import numpy as np

__all__ = ["date_type_in", "dates_error", "object_numbers", "warn_inexact_integers",
           "warn_inexact_objects"]

#: Integers up to this magnitude are exact in float64.
_EXACT_INTEGERS = 2**53


def warn_inexact_integers(name: str, raw: np.ndarray) -> None:
    """Warn when 64-bit integers beyond 2**53 lose digits as float64 (distinct IDs or
    nanosecond timestamps would become equal values)."""
    top = int(raw.max()) if raw.dtype.kind == "u" else max(int(raw.max()), -int(raw.min()))
    if top > _EXACT_INTEGERS:
        import warnings

        from ._user_frame import user_stacklevel

        step = 2.0 ** (top.bit_length() - 53)
        warnings.warn(
            f"{name} holds integers up to {top:.4g}, beyond 2**53: as float64 they are rounded "
            f"to multiples of {step:g} there, and nearby values become equal; subtract an offset "
            f"first ({name} - {name}.min(axis=0)) or rescale them",
            UserWarning, stacklevel=user_stacklevel(),
        )


def warn_inexact_objects(name: str, raw: np.ndarray, arr: np.ndarray) -> None:
    """:func:`warn_inexact_integers` for the integers of an object array ``raw`` (Python
    ints of any size), ``arr`` its float64 values: only values at 2**53 or beyond are read."""
    with np.errstate(invalid="ignore"):
        big = np.abs(arr) >= _EXACT_INTEGERS
    if not big.any():
        return
    ints = [v for v in raw[big] if isinstance(v, numbers.Integral) and not isinstance(v, bool)]
    if ints:
        warn_inexact_integers(name, np.array(ints, dtype=object))


#: What an object array may hold that numpy would cast to raw counts of its unit (a
#: ``np.timedelta64`` of 5 hours becomes 5, a date 18262) or that is no number at all
#: (pandas' Timestamp and Timedelta are subclasses of datetime and timedelta).
_DATE_TYPES = (np.datetime64, np.timedelta64, datetime.date, datetime.time, datetime.timedelta)


def dates_error(name: str, what: str) -> ValueError:
    """The refusal of dates or durations given as ``name`` (``what``: their dtype or type)."""
    return ValueError(
        f"{name} holds dates or durations ({what}), not numbers; convert them to numbers "
        f"first, e.g. seconds: {name} / np.timedelta64(1, 's') for durations, "
        f"({name} - {name}.min()) / np.timedelta64(1, 's') for dates"
    )


def date_type_in(raw: np.ndarray) -> type | None:
    """The first date, time or duration type among the values of an object array, else None
    (one C-level pass over the values' types)."""
    for t in set(map(type, raw.ravel())):
        if issubclass(t, _DATE_TYPES):
            return t
    return None


def object_numbers(raw: np.ndarray, pd: Any) -> np.ndarray:
    """An object array of numbers as float64; ``None`` and (pandas loaded) ``pd.NA``, what
    ``DataFrame.to_numpy()`` gives for a nullable column's gaps, become NaN (missing)."""
    try:
        return raw.astype(np.float64)
    except TypeError:
        if pd is None:
            raise
        gaps = pd.isna(raw)
        if not gaps.any():
            raise
        filled = raw.copy()
        filled[gaps] = np.nan
        return filled.astype(np.float64)
