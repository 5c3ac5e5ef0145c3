"""The estimator parameters' constraints table: :class:`Constraint` kinds, :func:`check_param`
and :func:`validate_params` (the scikit-learn pattern, in small); re-exported by
:mod:`somwidget.validation`."""

from __future__ import annotations

import math
import numbers
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ._scalar_checks import check_choice, check_int

__all__ = [
    "Constraint",
    "Constraints",
    "GridShape",
    "InstanceOf",
    "Integer",
    "Interval",
    "InvalidParameterError",
    "Options",
    "RANDOM_STATE",
    "check_param",
    "validate_params",
]


class InvalidParameterError(ValueError, TypeError):
    """A parameter with a value its constraints refuse.

    A subclass of both ``ValueError`` and ``TypeError`` (as scikit-learn's), so code that catches
    either keeps working whether the value had the wrong type or was out of range.
    """


class Constraint(ABC):
    """One rule a parameter value may satisfy (an entry of a constraints list).

    :meth:`check` returns the canonical value (``"Hexa"`` -> ``"hexa"``, ``3.0`` -> ``3``) or
    raises :class:`InvalidParameterError` naming the parameter; :meth:`describe` is the phrase
    used when several constraints are combined ("None, -1 (all cores) or an integer >= 1").
    """

    description: str = ""

    def describe(self) -> str:
        return self.description

    @abstractmethod
    def check(self, name: str, value: object) -> Any:
        """The canonical form of ``value``, or :class:`InvalidParameterError`."""


class Options(Constraint):
    """One of a fixed set of values; strings match case-insensitively and through ``aliases``.

    Parameters
    ----------
    allowed : sequence
        Canonical values (strings, or integers such as ``(4, 8)``).
    aliases : mapping, optional
        Extra accepted spellings mapped to canonical values (strings only).
    description : str, optional
        Phrase for combined messages (default ``"one of ..."``).
    """

    def __init__(
        self,
        allowed: Sequence[object],
        aliases: Mapping[str, str] | None = None,
        description: str | None = None,
    ) -> None:
        self.allowed = tuple(allowed)
        self.aliases = dict(aliases or {})
        self._strings = all(isinstance(a, str) for a in self.allowed)
        # check_choice as one lookup: the first matching canonical name, else the first alias
        self._lookup: dict[str, object] = {}
        for alias, target in reversed(list(self.aliases.items())):
            self._lookup[alias.lower()] = target
        for a in reversed(self.allowed):
            if isinstance(a, str):
                self._lookup[a.lower()] = a
        shown = [*self.allowed, *(a for a in self.aliases if a not in self.allowed)]
        self.description = description or f"one of {', '.join(repr(a) for a in shown)}"

    def check(self, name: str, value: object) -> Any:
        if self._strings:
            if isinstance(value, str):
                hit = self._lookup.get(value.strip().lower())
                if hit is not None:
                    return hit
            raise InvalidParameterError(f"{name} must be {self.description}; got {value!r}")
        if isinstance(value, numbers.Integral) and not isinstance(value, bool):
            for a in self.allowed:
                if isinstance(a, numbers.Integral) and int(value) == a:
                    return a
        raise InvalidParameterError(f"{name} must be {self.description}; got {value!r}")


class Integer(Constraint):
    """An integer in ``[minimum, maximum]`` (either bound optional).

    ``strict=False`` also accepts integral floats (``3.0``), as :func:`check_int` does;
    ``strict=True`` accepts only ``numbers.Integral`` (never ``bool``).
    """

    def __init__(
        self,
        minimum: int | None = None,
        maximum: int | None = None,
        *,
        strict: bool = False,
        description: str | None = None,
    ) -> None:
        self.minimum, self.maximum, self.strict = minimum, maximum, strict
        if description is None:
            if minimum == 0 and maximum is None:
                description = "a non-negative int"
            elif maximum is None:
                description = "an int" if minimum is None else f"an int >= {minimum}"
            elif minimum is None:
                description = f"an int <= {maximum}"
            else:
                description = f"an int in [{minimum}, {maximum}]"
        self.description = description

    def check(self, name: str, value: object) -> int:
        if type(value) is int and (self.minimum is None or value >= self.minimum) and (
            self.maximum is None or value <= self.maximum
        ):  # the common case, without the numbers ABCs
            return value
        if self.strict and (isinstance(value, bool) or not isinstance(value, numbers.Integral)):
            raise InvalidParameterError(f"{name} must be an integer; got {value!r}")
        try:
            return check_int(name, value, minimum=self.minimum, maximum=self.maximum)
        except (TypeError, ValueError) as exc:
            raise InvalidParameterError(str(exc)) from None


class Interval(Constraint):
    """A finite real number in an interval.

    Parameters
    ----------
    low, high : float or None
        Bounds (None: unbounded on that side).
    closed : {"both", "left", "right", "neither"}
        Which bounds belong to the interval.
    """

    def __init__(self, low: float | None, high: float | None, closed: str = "both") -> None:
        self.low, self.high = low, high
        self.closed = check_choice("closed", closed, ("both", "left", "right", "neither"))
        left = "[" if self.closed in ("both", "left") and low is not None else "("
        right = "]" if self.closed in ("both", "right") and high is not None else ")"
        lo = "-inf" if low is None else f"{low:g}"
        hi = "inf" if high is None else f"{high:g}"
        self.description = f"a number in {left}{lo}, {hi}{right}"

    def check(self, name: str, value: object) -> float:
        ok = type(value) is float or (not isinstance(value, bool) and isinstance(value, numbers.Real))
        v = float(value) if ok else math.nan  # type: ignore[arg-type]
        if ok and math.isfinite(v):
            lo_ok = self.low is None or (
                v >= self.low if self.closed in ("both", "left") else v > self.low
            )
            hi_ok = self.high is None or (
                v <= self.high if self.closed in ("both", "right") else v < self.high
            )
            if lo_ok and hi_ok:
                return v
        raise InvalidParameterError(f"{name} must be {self.description}; got {value!r}")


class InstanceOf(Constraint):
    """An instance of a type (returned unchanged)."""

    def __init__(self, kind: type, description: str | None = None) -> None:
        self.kind = kind
        self.description = description or f"an instance of {kind.__module__}.{kind.__qualname__}"

    def check(self, name: str, value: object) -> object:
        if isinstance(value, self.kind):
            return value
        raise InvalidParameterError(f"{name} must be {self.description}; got {value!r}")


class GridShape(Constraint):
    """A grid size: ``"auto"``, an int ``n`` (``n x n``) or ``(rows, cols)`` of ints >= 1,
    with at least ``min_cells`` cells. Returns ``"auto"`` or ``(rows, cols)``."""

    def __init__(self, min_cells: int = 1) -> None:
        self.min_cells = int(min_cells)
        self.description = "'auto', an int or (rows, cols)"

    def check(self, name: str, value: object) -> str | tuple[int, int]:
        if type(value) is tuple and len(value) == 2 and type(value[0]) is int and type(value[1]) is int:
            return self._sized(name, value, value[0], value[1])
        if isinstance(value, str):
            if value.strip().lower() == "auto":
                return "auto"
        elif isinstance(value, numbers.Integral) and not isinstance(value, bool):
            rows = cols = int(value)
            return self._sized(name, value, rows, cols)
        elif isinstance(value, Sequence) and len(value) == 2 and all(
            isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in value
        ):
            rows, cols = (int(v) for v in value)
            return self._sized(name, value, rows, cols)
        raise InvalidParameterError(f"{name} must be {self.description}; got {value!r}")

    def _sized(self, name: str, value: object, rows: int, cols: int) -> tuple[int, int]:
        if rows < 1 or cols < 1 or rows * cols < self.min_cells:
            raise InvalidParameterError(
                f"{name} must give at least {self.min_cells} neurons with rows, cols >= 1; "
                f"got {value!r}"
            )
        return rows, cols


#: ``random_state`` as every estimator and analysis takes it: None (fresh entropy), a seed (an
#: int >= 0) or a ``numpy.random.Generator`` (drawn from, as is).
RANDOM_STATE: tuple[Constraint | None, ...] = (
    None,
    Integer(0, strict=True),
    InstanceOf(np.random.Generator, "a numpy.random.Generator"),
)

#: A constraints table: parameter name -> the constraints any one of which its value must
#: satisfy (``None`` in the list: the value ``None`` is allowed).
Constraints = Mapping[str, Sequence["Constraint | None"]]


def check_param(name: str, value: object, constraints: Sequence[Constraint | None]) -> Any:
    """Check one parameter against its constraints list and return the canonical value.

    The first constraint that accepts ``value`` gives the result. When none does, a single
    constraint's own message is raised; with several, one message lists them all (``"n_jobs must
    be None, -1 (all cores) or an integer >= 1 (that many threads, at most 2**31 - 1); got 0"``).

    Raises
    ------
    InvalidParameterError
        A ``ValueError`` and ``TypeError`` naming the parameter and what it may be.
    """
    if value is None and None in constraints:
        return None
    errors: list[InvalidParameterError] = []
    for rule in constraints:
        if rule is not None:
            try:
                return rule.check(name, value)
            except InvalidParameterError as exc:
                errors.append(exc)
    if len(errors) == 1:
        raise errors[0]
    phrases = ["None"] * (None in constraints) + [r.describe() for r in constraints if r is not None]
    allowed = phrases[0] if len(phrases) == 1 else f"{', '.join(phrases[:-1])} or {phrases[-1]}"
    raise InvalidParameterError(f"{name} must be {allowed}; got {value!r}")


def validate_params(constraints: Constraints, params: Mapping[str, object]) -> dict[str, Any]:
    """Check every parameter of a constraints table (the scikit-learn pattern, in small).

    Parameters
    ----------
    constraints : mapping
        Parameter name -> list of :class:`Constraint` (or None), e.g.
        ``SOM._parameter_constraints``.
    params : mapping
        The values, e.g. ``estimator.get_params()``; every name of ``constraints`` must be there.

    Returns
    -------
    dict
        Canonical values, by parameter name, in the table's order.
    """
    return {name: check_param(name, params[name], rules) for name, rules in constraints.items()}
