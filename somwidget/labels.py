"""Labels of samples on the map: the one label encoder, per-unit label counts, the
classification table.

:func:`encode_labels` is the one label encoder: every label view and analysis (label counts and
proportions, majority labels, the hit and label maps) encodes labels through it, so classes,
their order (and colours) and what counts as missing agree everywhere. :func:`code_counts`,
:func:`label_counts`, :func:`label_proportions` and :func:`majority_labels` count them per unit;
:func:`classification_table` is GEMA's one-row-per-sample table. Inputs follow the conventions
of :mod:`somwidget.analysis` (which re-exports these names).
"""

from __future__ import annotations

import datetime
from collections.abc import Hashable, Mapping
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from .lattice import Lattice, check_lattice
from .validation import check_bmus as _bmus
from .validation import check_distances as _distances
from .validation import check_int
from .validation import check_n_neurons as _n_neurons

__all__ = [
    "classification_table",
    "code_counts",
    "encode_labels",
    "label_counts",
    "label_proportions",
    "majority_labels",
]


# ============================================================================ labels
class _Bool:
    """A bool label kept apart from the numbers 1 and 0 (which Python counts as equal to it)."""

    __slots__ = ("value",)

    def __init__(self, value: bool) -> None:
        self.value = bool(value)

    def __hash__(self) -> int:
        return hash((_Bool, self.value))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Bool) and other.value == self.value


def _python_scalar(v: Any) -> Any:
    """A numpy scalar as the Python one (``v.item()``), except datetimes and durations whose
    unit Python cannot hold (``datetime64[ns]``: ``item()`` gives an int): they stay numpy's."""
    if not isinstance(v, np.generic):
        return v
    out = v.item()
    if isinstance(v, (np.datetime64, np.timedelta64)) and not isinstance(
            out, (datetime.date, datetime.timedelta)):
        return v
    return out


def _label_key(v: Any) -> Any:
    """What a class is matched by: bools kept apart from 1 and 0, numpy scalars as Python's."""
    if isinstance(v, (bool, np.bool_)):
        return _Bool(v)
    return _python_scalar(v)


def _is_missing(v: Any) -> bool:
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    if isinstance(v, (float, np.floating)):
        return bool(np.isnan(v))
    if isinstance(v, (np.datetime64, np.timedelta64)):
        return bool(np.isnat(v))
    return False


def _kind(v: Any) -> str:
    """The family a class sorts in: numbers together (1 == 1.0), bools apart, then by type."""
    if isinstance(v, (bool, np.bool_)):
        return "bool"
    if isinstance(v, (int, float, np.integer, np.floating)):
        return "number"
    return type(v).__name__


def _class_order(classes: list[Any]) -> list[int]:
    """Positions of ``classes`` in their sorted order.

    Classes of one family sort by value (numbers numerically, strings alphabetically); mixed
    families, or values that do not compare, sort by ``(str(value), type name)``.
    """
    kinds = {_kind(c) for c in classes}
    if len(kinds) <= 1:
        try:
            return sorted(range(len(classes)), key=lambda i: classes[i])
        except TypeError:
            pass
    return sorted(range(len(classes)), key=lambda i: (str(classes[i]), type(classes[i]).__name__))


#: What labels may be (the messages of unhashable ones).
LABEL_TYPES = ("hashable class labels: ints, strings, bools, tuples, datetimes, or a mix of "
               "them (each value its own class)")


def _unhashable_error(name: str, values: Any) -> TypeError:
    """The refusal of unhashable labels, naming the first one (read only on this error)."""
    for i, v in enumerate(values):
        try:
            hash(v)
        except TypeError:
            shown = repr(v) if len(repr(v)) <= 40 else repr(v)[:37] + "..."
            return TypeError(f"{name} must hold {LABEL_TYPES}; got an unhashable "
                             f"{type(v).__name__} at position {i}: {shown} (unhashable type: "
                             f"{type(v).__name__!r})")
    return TypeError(f"{name} must hold {LABEL_TYPES}")


def encode_labels(labels: Any, n: int | None = None,
                  name: str = "labels") -> tuple[np.ndarray, list[Any]]:
    """Integer codes and ordered classes of a label vector: the one label encoder.

    Every label view and analysis (:func:`label_counts`, :func:`label_proportions`,
    :func:`majority_labels`, the hit and label maps) encodes labels here, so classes, their
    order and their colours agree everywhere.

    Parameters
    ----------
    labels : array-like, pandas Series / Index / Categorical, shape (N,)
        Any hashable labels. ``None``, ``NaN``, ``pd.NA`` and ``NaT`` are *missing*: code -1,
        never a class.
    n : int, optional
        The number of samples the labels must match.
    name : str
        What the error messages call the labels (``"y"`` for an estimator's targets).

    Returns
    -------
    codes : ndarray of int64, shape (N,)
        Index into ``classes``; -1 for a missing label.
    classes : list
        The classes: a Categorical's categories in their own order (unused ones included, so
        colours stay stable); otherwise sorted: numbers numerically, strings alphabetically,
        ``False`` before ``True``, and mixed kinds (e.g. ints and strings) by
        ``(str(value), type name)``. ``True`` and ``1`` are two classes. numpy scalars come back
        as Python ones (datetimes and durations in units Python cannot hold, such as
        nanoseconds, stay numpy scalars).

    Raises
    ------
    ValueError
        For None, a DataFrame, a multi-dimensional array, or a length other than ``n``.
    TypeError
        For unhashable labels (lists, sets, dicts), naming the first.
    """
    if labels is None:
        raise ValueError("labels is required; got None")
    if isinstance(labels, pd.DataFrame):
        raise ValueError(f"{name} must be 1-D (one label per sample); got a DataFrame")
    if isinstance(labels, (pd.Series, pd.Index)):
        values: Any = labels.array
    elif isinstance(labels, (pd.Categorical, np.ndarray, pd.api.extensions.ExtensionArray)):
        values = labels
    elif isinstance(labels, (str, bytes)) or not hasattr(labels, "__len__"):
        raise ValueError(f"{name} must be a 1-D sequence (one label per sample); got {labels!r}")
    else:
        values = np.empty(len(labels), dtype=object)
        values[:] = list(labels)
    if getattr(values, "ndim", 1) != 1:
        raise ValueError(f"{name} must be 1-D (one label per sample); got shape {values.shape}")
    if n is not None and len(values) != n:
        raise ValueError(f"{name} has {len(values)} entries but there are {n} samples")
    if isinstance(values.dtype, pd.CategoricalDtype):
        cat = pd.Categorical(values)
        return (np.asarray(cat.codes, dtype=np.int64),
                [c.item() if isinstance(c, np.generic) else c for c in cat.categories])
    if values.dtype == object:
        keys = np.empty(len(values), dtype=object)
        keys[:] = [None if _is_missing(v) else _label_key(v) for v in values]
        values = keys
    try:
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
    except TypeError:  # unhashable labels (lists, dicts, sets)
        raise _unhashable_error(name, values) from None
    classes = [u.value if isinstance(u, _Bool) else _python_scalar(u) for u in uniques]
    order = _class_order(classes)
    remap = np.empty(len(classes), dtype=np.int64)
    remap[order] = np.arange(len(classes))
    codes = np.asarray(codes, dtype=np.int64)
    codes = np.where(codes >= 0, remap[np.maximum(codes, 0)] if len(classes) else 0, -1)
    return codes.astype(np.int64), [classes[i] for i in order]


def match_labels(labels: Any, classes: list[Any], n: int | None = None,
                 name: str = "labels") -> np.ndarray:
    """The index of each label among ``classes`` (classes as :func:`encode_labels` gives them).

    Not in ``__all__`` (so not re-exported by :mod:`somwidget.analysis`): the classifier's
    ``score`` matches labels with it.

    Labels match as :func:`encode_labels` tells classes apart (``1`` and ``1.0`` alike, ``True``
    and ``1`` not).

    Parameters
    ----------
    labels : array-like (N,)
        As :func:`encode_labels` takes them.
    classes : list
        The known classes.
    n, name
        As :func:`encode_labels`.

    Returns
    -------
    ndarray of int64 (N,)
        Index into ``classes``; -1 for a missing label, -2 for a label not among ``classes``.
    """
    codes, found = encode_labels(labels, n=n, name=name)
    where = {_label_key(c): i for i, c in enumerate(classes)}
    lookup = np.array([where.get(_label_key(c), -2) for c in found] + [-1], dtype=np.int64)
    return lookup[codes]


def _class_codes(codes: ArrayLike) -> np.ndarray:
    """``codes`` as int64 (N,): integers (integral floats accepted), a negative code meaning no
    class; a clear error naming ``codes`` otherwise."""
    raw = np.asarray(codes)
    if raw.dtype.kind == "b" or raw.dtype.kind not in "iuf":
        raise TypeError("codes must be integer class codes (as encode_labels returns, negative "
                        f"= no class); got an array of dtype {raw.dtype}")
    if raw.dtype.kind == "f" and raw.size:
        bad = ~np.isfinite(raw) | (raw != np.round(raw))
        if bad.any():
            raise ValueError("codes must be integer class codes (as encode_labels returns, "
                             f"negative = no class); got {int(bad.sum())} non-integer value(s), "
                             f"first {float(raw[bad].reshape(-1)[0])!r}")
    return raw.astype(np.int64)


def code_counts(bmus: ArrayLike, codes: ArrayLike, n_classes: int, n_neurons: int) -> np.ndarray:
    """(M, C) int64: how many samples of each class code each neuron won (codes < 0 skipped).

    ``codes`` as :func:`encode_labels` returns them: integers below ``n_classes`` (integral
    floats accepted), negative for no class; anything else is a TypeError or ValueError naming
    ``codes``.
    """
    m = _n_neurons(n_neurons)
    k = check_int("n_classes", n_classes, minimum=0)
    b = _bmus("bmus", bmus, m)
    c = _class_codes(codes)
    if c.shape != b.shape:
        raise ValueError(f"codes has {c.size} entries but bmus has {b.size}")
    if c.size and c.max(initial=-1) >= k:
        raise ValueError(f"codes must be < n_classes={k}; got {int(c.max())}")
    ok = c >= 0
    if not k:
        return np.zeros((m, 0), dtype=np.int64)
    return np.bincount(b[ok] * k + c[ok], minlength=m * k).reshape(m, k).astype(np.int64)


def _label_index(classes: list[Any]) -> pd.Index:
    """The classes as DataFrame columns (object dtype unless every class is one kind)."""
    kinds = {_kind(c) for c in classes}
    if len(kinds) > 1 or "tuple" in kinds or not classes:
        return pd.Index(classes, dtype=object, name="label", tupleize_cols=False)
    return pd.Index(classes, name="label")


def label_counts(bmus: ArrayLike, labels: Any, n_neurons: int) -> pd.DataFrame:
    """How many samples of each class each neuron won.

    Parameters
    ----------
    bmus : array-like of int, shape (N,) or (N, k)
    labels : array-like of hashable, shape (N,)
        Any hashable labels (strings, ints, tuples, ...), a pandas Series or a Categorical,
        encoded by :func:`encode_labels`. Missing labels (None / NaN) are not counted.
    n_neurons : int

    Returns
    -------
    pandas.DataFrame, shape (M, n_classes)
        Index ``neuron`` (0..M-1), one int64 column per class in :func:`encode_labels` order
        (sorted, or category order for a Categorical, unused categories included).
    """
    m = _n_neurons(n_neurons)
    b = _bmus("bmus", bmus, m)
    codes, classes = encode_labels(labels, b.shape[0])
    if isinstance(getattr(labels, "dtype", None), pd.CategoricalDtype):
        columns = pd.Index(pd.Categorical(labels).categories, name="label")
    else:
        columns = _label_index(classes)
    counts = code_counts(b, codes, len(classes), m)
    return pd.DataFrame(counts, index=pd.RangeIndex(m, name="neuron"), columns=columns)


def label_proportions(bmus: ArrayLike, labels: Any, n_neurons: int) -> pd.DataFrame:
    """Per-neuron class proportions (rows sum to 1; rows of neurons without labelled hits are 0).

    Same layout as :func:`label_counts`, float64 and never NaN.
    """
    counts = label_counts(bmus, labels, n_neurons)
    c = counts.to_numpy(dtype=np.float64)
    tot = c.sum(axis=1, keepdims=True)
    props = np.divide(c, tot, out=np.zeros_like(c), where=tot > 0)
    return pd.DataFrame(props, index=counts.index, columns=counts.columns)


def majority_labels(bmus: ArrayLike, labels: Any, n_neurons: int) -> pd.Series:
    """Most frequent class per neuron (ties go to the first class in :func:`label_counts` order);
    ``None`` for neurons without labelled hits. Index ``neuron``, dtype object."""
    counts = label_counts(bmus, labels, n_neurons)
    c = counts.to_numpy()
    out = np.full(c.shape[0], None, dtype=object)
    if c.shape[1]:
        has = c.sum(axis=1) > 0
        classes = np.asarray(counts.columns, dtype=object)
        out[has] = classes[np.argmax(c[has], axis=1)]
    return pd.Series(out, index=counts.index, name="label", dtype=object)


# ============================================================================ classification table
def _positional_column(name: str, values: Any, n: int) -> Any:
    """``values`` as an array (never a Series, so assignment is by position), dtype preserved."""
    if isinstance(values, (pd.Series, pd.Index)):
        arr = values.array
    elif isinstance(values, (np.ndarray, pd.api.extensions.ExtensionArray)):
        arr = values
    else:
        arr = pd.Series(list(values)).array
    if getattr(arr, "ndim", 1) != 1:
        raise ValueError(f"{name} must be 1-D; got shape {arr.shape}")
    if len(arr) != n:
        raise ValueError(f"{name} has {len(arr)} entries but there are {n} samples")
    return arr.copy()


def classification_table(
    bmus: ArrayLike,
    distances: ArrayLike,
    lattice: Lattice,
    labels: Any = None,
    extra: pd.DataFrame | Mapping[Hashable, ArrayLike] | None = None,
    *,
    index: ArrayLike | pd.Index | None = None,
    bmu2: ArrayLike | None = None,
) -> pd.DataFrame:
    """One row per sample: GEMA's classification map.

    Columns: ``label`` (only when ``labels`` is given), ``bmu``, ``row``, ``col``, ``distance``,
    ``bmu2`` (only when ``bmu2`` is given), then the ``extra`` columns.

    Parameters
    ----------
    bmus : array-like of int, shape (N,) or (N, k)
    distances : array-like of float, shape (N,) or (N, k)
        Distance of each sample to its BMU.
    lattice : Lattice
        Gives ``row`` and ``col`` of the BMU.
    labels : array-like, optional
        One label per sample (any hashable, Series or Categorical; a Categorical stays one).
    extra : DataFrame or mapping of column -> array-like, optional
        Extra columns, aligned **by position** (their index is ignored). A name that clashes
        with a table column raises ``ValueError``.
    index : array-like or pandas.Index, optional, keyword-only
        Row index of the result. By default the index of ``labels`` if it is a Series, else of
        ``extra`` if it is a DataFrame, else ``0..N-1`` (the SOM passes its DataFrame's index).
    bmu2 : array-like of int, shape (N,), optional, keyword-only
        Second-best matching unit of each sample, added as column ``bmu2``.

    Returns
    -------
    pandas.DataFrame
    """
    check_lattice(lattice)
    b = _bmus("bmus", bmus, lattice.n_neurons)
    n = b.shape[0]
    d = _distances("distances", distances, n)
    if index is None:
        if isinstance(labels, pd.Series):
            index = labels.index
        elif isinstance(extra, pd.DataFrame):
            index = extra.index
        else:
            index = pd.RangeIndex(n)
    index = pd.Index(index)
    if len(index) != n:
        raise ValueError(f"index has {len(index)} entries but there are {n} samples")
    row, col = np.divmod(b, lattice.cols)
    table = pd.DataFrame({"bmu": b, "row": row, "col": col, "distance": d}, index=index)
    if bmu2 is not None:
        b2 = _bmus("bmu2", bmu2, lattice.n_neurons)
        if b2.shape[0] != n:
            raise ValueError(f"bmu2 has {b2.shape[0]} entries but bmus has {n}")
        table["bmu2"] = b2
    if labels is not None:
        encode_labels(labels, n)  # validates shape and length
        table.insert(0, "label", _positional_column("labels", labels, n))
    if extra is not None:
        if isinstance(extra, pd.DataFrame):
            if extra.shape[0] != n:
                raise ValueError(f"extra has {extra.shape[0]} rows but there are {n} samples")
            items = [(c, extra[c]) for c in extra.columns]
        elif isinstance(extra, Mapping):
            items = list(extra.items())
        else:
            raise TypeError(
                f"extra must be a DataFrame or a dict of columns; got {type(extra).__name__}"
            )
        for name, values in items:
            if name in table.columns:
                raise ValueError(
                    f"extra column {name!r} clashes with a classification table column"
                )
            table[name] = _positional_column(f"extra column {name!r}", values, n)
    return table
