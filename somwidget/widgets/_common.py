"""Input handling shared by the widgets (Explorer, NeuronInspector, InputSpaceView, the lattice views).

Private: every helper raises the same user-facing error, naming the parameter, in every widget
that uses it.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..som import SOM
from ..validation import check_choice, check_int, default_feature_names
from .selection import Selection


def check_title(title: Any) -> str | None:
    """``title`` itself when it is None or a string, else a TypeError naming ``title``."""
    if title is not None and not isinstance(title, str):
        raise TypeError(f"title must be a string or None; got {type(title).__name__} {title!r}")
    return title


def css_length(name: str, value: Any) -> str:
    """A chart's CSS size: a CSS length string as it is (``"420px"``, ``"100%"``), or a number
    of pixels (``400`` -> ``"400px"``); else a TypeError / ValueError naming ``name``."""
    if isinstance(value, str):
        if not value.strip():
            raise ValueError(f"{name} must be a CSS length such as '420px' or '100%'; got {value!r}")
        return value
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        v = float(value)
        if not math.isfinite(v) or v <= 0:
            raise ValueError(f"{name} in pixels must be a finite number > 0; got {value!r}")
        return f"{int(v)}px" if v.is_integer() else f"{v!r}px"
    raise TypeError(f"{name} must be a CSS length such as '420px' or '100%', or a number of "
                    f"pixels; got {type(value).__name__} {value!r}")


def match_feature(name: str, names: Sequence[str], what: str = "features") -> int:
    """Index of the feature ``name`` among ``names``: an exact match wins; else the one name equal
    to it up to case and surrounding spaces; else a ValueError naming ``what`` (no such feature,
    or several that differ only in case / spacing, listed).

    Parameters
    ----------
    name : str
        The feature name the user gave.
    names : sequence of str
        The features' names, in column order.
    what : str
        The parameter named in the error.
    """
    names = [str(n) for n in names]
    if name in names:
        return names.index(name)
    key = name.strip().lower()
    near = [i for i, n in enumerate(names) if n.strip().lower() == key]
    if len(near) == 1:
        return near[0]
    if near:
        raise ValueError(f"{what}: {name!r} is not a feature name, and it matches several up to "
                         f"case and spacing: {[names[i] for i in near]}; give one of them exactly")
    check_choice(what, name, names)  # no match: the usual "must be one of ..." error
    raise AssertionError("unreachable: check_choice matched no name")  # pragma: no cover


def feature_items(features: Any, what: str = "features") -> list[str | int] | None:
    """``features`` as a list of names / column indices, type-checked (not yet resolved).

    None stays None (all features); one name or index is a list of one. Anything else must be
    an iterable of ``str`` and ``int`` items (not ``bool``), else a TypeError naming ``what``.
    """
    if features is None:
        return None
    if isinstance(features, (str, int, np.integer)) and not isinstance(features, (bool, np.bool_)):
        return [features]
    if isinstance(features, (bytes, dict)) or not hasattr(features, "__iter__"):
        raise TypeError(f"{what} must be a feature name, a column index, or a sequence of them; "
                        f"got {type(features).__name__} {features!r}")
    items = list(features)
    for f in items:
        if isinstance(f, (bool, np.bool_)) or not isinstance(f, (str, int, np.integer)):
            raise TypeError(f"{what} must contain feature names or column indices (str or int); "
                            f"got {type(f).__name__} {f!r}")
    return items


def resolve_features(features: Any, names: Sequence[str], what: str = "features") -> list[int]:
    """Column indices of ``features`` among ``names`` (the rule every view shares).

    ``None`` is every feature. A name is matched by :func:`match_feature` (exact first, else the
    one name equal up to case and spacing); an index must be in ``[0, len(names))``. The result
    must name at least one feature and no feature twice (a ValueError naming ``what``); a
    non-str, non-int item is a TypeError.
    """
    items = feature_items(features, what)
    d = len(names)
    if items is None:
        return list(range(d))
    if not items:
        raise ValueError(f"{what} must name at least one feature; got an empty sequence")
    cols: list[int] = []
    for f in items:
        if isinstance(f, str):
            key = f.strip().lower()
            if f not in names and not any(str(n).strip().lower() == key for n in names):
                try:
                    check_choice(what, f, [str(n) for n in names])
                except ValueError as e:  # "features must be one of ...; got ..."
                    raise ValueError(f"{what}: unknown feature {f!r}; {e}") from None
            cols.append(match_feature(f, names, what))
        else:  # a column index in [0, d): "features must be at least 0 / at most d - 1"
            cols.append(check_int(what, int(f), minimum=0, maximum=d - 1))
    if len(set(cols)) != len(cols):
        raise ValueError(f"{what} must not repeat a feature; got {items!r} "
                         f"(features {[str(names[j]) for j in cols]})")
    return cols


def check_selection(selection: Any) -> Selection | None:
    """``selection`` itself when it is None or a :class:`Selection`, else a TypeError."""
    if selection is not None and not isinstance(selection, Selection):
        raise TypeError(f"selection must be a somwidget Selection; got {type(selection).__name__}")
    return selection


def ensure_initialized(som: Any, X: Any, data: np.ndarray | None = None) -> None:
    """Initialise ``som`` from the user's ``X`` when it has no codebook yet.

    ``X`` is passed as given, so a DataFrame's column names become the SOM's feature names. With
    ``data`` (``X`` checked by ``check_array``) its feature count must match the SOM's.

    Raises
    ------
    TypeError
        When ``som`` is not a somwidget SOM.
    """
    if not isinstance(som, SOM):
        raise TypeError(f"som: expected a somwidget SOM, got {type(som).__name__}")
    if getattr(som, "codebook_", None) is None:
        som.initialize(X)
    if data is not None and data.shape[1] != som.n_features_in_:
        raise ValueError(f"X has {data.shape[1]} features, but the SOM has {som.n_features_in_}")
    check_frame_columns(som, X)


def check_frame_columns(som: Any, X: Any) -> None:
    """A DataFrame ``X`` must have the columns the SOM was fitted with, in that order (the
    SOM's own rule, :meth:`somwidget.som.SOM.predict`): the views read ``X`` as an array
    after this, so reordered or renamed columns would silently map the wrong features."""
    if isinstance(X, pd.DataFrame):
        som._check_column_names([str(c) for c in X.columns])


def feature_names(names: Sequence[str] | None, som: Any, d: int) -> list[str]:
    """The data's column names, else the SOM's ``feature_names_in_``, else ``x0, x1, ...``."""
    return list(names or getattr(som, "feature_names_in_", None) or default_feature_names(d))


def sample_index(X: Any, n: int) -> pd.Index:
    """The row index of ``X`` when it is a DataFrame, else ``RangeIndex(n)``."""
    return X.index if isinstance(X, pd.DataFrame) else pd.RangeIndex(n)


def as_labels(labels: Any, n: int) -> np.ndarray | None:
    """``labels`` as a 1-D array of ``n`` entries (None stays None)."""
    if labels is None:
        return None
    arr = np.asarray(labels.to_numpy() if isinstance(labels, pd.Series | pd.Index) else labels)
    if arr.ndim != 1 or arr.shape[0] != n:
        raise ValueError(
            f"labels must be 1-D with one entry per sample of X ({n}); got shape {arr.shape}"
        )
    return arr


def as_frame(extra: Any, n: int, name: str) -> pd.DataFrame | None:
    """``extra`` as a DataFrame of ``n`` rows with a fresh RangeIndex (None stays None)."""
    if extra is None:
        return None
    frame = extra.to_frame() if isinstance(extra, pd.Series) else pd.DataFrame(extra)
    if len(frame) != n:
        raise ValueError(f"{name} must have one row per sample of X ({n}); got {len(frame)} rows")
    return frame.reset_index(drop=True)


def lattice_geometry(lattice: Any) -> dict[str, Any]:
    """What a lattice picture needs of a :class:`somwidget.lattice.Lattice`: rows, cols, cell
    shape (``"rect"`` or ``"hexa"``) and which directions wrap."""
    return {
        "rows": int(lattice.rows),
        "cols": int(lattice.cols),
        "shape": "rect" if str(lattice.shape) == "rect" else "hexa",
        "wrap_rows": bool(lattice.wrap_rows),
        "wrap_cols": bool(lattice.wrap_cols),
    }


def set_axis_ticks(scale: Any, axis: Any, ticks: np.ndarray, tick_format: str | None = None) -> None:
    """A bqplot axis on explicit ``ticks``, its scale ending on the last one (and the axis's
    ``tick_format`` when given); each trait set only when it changes (no redundant messages)."""
    ticks = np.asarray(ticks, dtype=np.float64)
    if float(scale.max if scale.max is not None else -1) != float(ticks[-1]):
        scale.max = float(ticks[-1])
    if not np.array_equal(np.asarray(axis.tick_values, dtype=np.float64), ticks):
        axis.tick_values = ticks
    if tick_format is not None and axis.tick_format != tick_format:
        axis.tick_format = tick_format
