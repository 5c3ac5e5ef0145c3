"""Checks of single argument values (an option, an int, a positive number, a fraction), with
messages that name the parameter; re-exported by :mod:`somwidget.validation`."""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Mapping, Sequence

import numpy as np

__all__ = [
    "check_choice",
    "check_flag",
    "check_fraction",
    "check_int",
    "check_n_neurons",
    "check_positive",
    "default_feature_names",
]


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
    try:
        v = float(value)
    except OverflowError:  # an int beyond float64 (10**400)
        raise ValueError(f"{name} must be finite; got an integer of {len(str(abs(int(value))))} "
                         "digits, beyond float64's range (about 1.8e308)") from None
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


def check_flag(name: str, value: object) -> bool:
    """Return ``value`` as a bool: ``True`` / ``False`` (numpy's too) or the ints 0 and 1. A
    string is refused: ``collect_history="no"`` would otherwise be true."""
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, numbers.Integral) and value in (0, 1):
        return bool(value)
    raise TypeError(f"{name} must be True or False; got {value!r}")


def check_n_neurons(n_neurons: object) -> int:
    """Validate a number of neurons (an int >= 1)."""
    return check_int("n_neurons", n_neurons, minimum=1)


def default_feature_names(n_features: int) -> list[str]:
    """The feature names used when the data has none: ``["x0", "x1", ...]``."""
    return [f"x{i}" for i in range(int(n_features))]
