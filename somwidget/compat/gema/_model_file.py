"""Reading GEMA's JSON model files: the document and the checked fields of its ``model`` entry.

Used by :meth:`somwidget.compat.gema.Map.load_classifier`; every problem is a ValueError (or a
TypeError for a value of the wrong kind) naming the file and the field.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["gema_weights", "json_path", "read_json", "real_array"]


def json_path(filename: str | os.PathLike) -> Path:
    """GEMA's ``<filename>.json``; a name that already ends in ``.json`` is kept as it is."""
    name = os.fspath(filename)
    return Path(name if name.lower().endswith(".json") else name + ".json")


def read_json(path: Path) -> Any:
    """The JSON document in ``path``; ValueError naming the file when it is not UTF-8 JSON."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise ValueError(f"{path} is not a GEMA or somwidget model: not UTF-8 text (a binary "
                         f"file?)") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path} is not a GEMA or somwidget model: not JSON ({exc})") from None


def real_array(name: str, value: Any, expected: str) -> np.ndarray:
    """``value`` as a float64 array when it holds real numbers only (no strings, booleans or
    other objects).

    Raises
    ------
    TypeError
        For values that are not numbers, naming ``name`` and what was ``expected``.
    ValueError
        For a ragged nested sequence.
    """
    try:
        raw = np.asarray(value)
    except ValueError:  # a ragged nested list
        raise ValueError(f"{name} must be {expected}; got a ragged nested sequence") from None
    if raw.dtype.kind not in "iuf":
        what = type(value).__name__ if raw.ndim == 0 else f"an array of {raw.dtype}"
        raise TypeError(f"{name} must be {expected}; got {what}")
    return raw.astype(np.float64, copy=False)


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def gema_map_size(value: Any, fail: Callable[[str], Exception]) -> tuple[int, int]:
    """``(rows, cols)`` of a GEMA file's ``map_size``: an integer >= 2 (GEMA's square maps) or
    ``[rows, cols]`` (a non-square map written by ``save_classifier``)."""
    if _is_int(value) and value >= 2:
        return (value, value)
    if isinstance(value, list) and len(value) == 2 and all(_is_int(v) and v >= 1 for v in value) \
            and value[0] * value[1] >= 2:
        return (value[0], value[1])
    raise fail(f"'map_size' must be an integer >= 2 or [rows, cols] (positive integers, at least "
               f"2 neurons); got {value!r}")


def gema_count(entry: dict, key: str, default: int, minimum: int,
               fail: Callable[[str], Exception]) -> int:
    """The integer field ``key`` of a GEMA file's entry (``default`` when it is absent)."""
    value = entry.get(key, default)
    if not _is_int(value) or value < minimum:
        raise fail(f"{key!r} must be an integer >= {minimum}; got {value!r}")
    return value


def gema_weights(entry: Any, fail: Callable[[str], Exception]
                 ) -> tuple[tuple[int, int], np.ndarray, int]:
    """The grid ``(rows, cols)``, the ``(rows, cols, D)`` weights and ``num_data`` of a GEMA
    file's ``model`` entry, checked (``input_data_dimension`` against the weights too)."""
    if not isinstance(entry, dict):
        raise fail("the 'model' entry is not an object")
    missing = [k for k in ("map_size", "weights") if k not in entry]
    if missing:
        raise fail(f"missing fields {missing}")
    rows, cols = gema_map_size(entry["map_size"], fail)
    try:
        w = real_array("'weights'", entry["weights"], "a rectangular list of numbers")
    except (TypeError, ValueError) as exc:
        raise fail(str(exc)) from None
    if w.ndim != 3 or w.shape[:2] != (rows, cols) or w.shape[2] < 1:
        raise fail(f"'weights' must have shape ({rows}, {cols}, D), D >= 1; got {w.shape}")
    if not np.isfinite(w).all():
        raise fail("'weights' contains NaN or infinite values")
    dim = gema_count(entry, "input_data_dimension", int(w.shape[2]), 1, fail)
    if dim != w.shape[2]:
        raise fail(f"'input_data_dimension' is {dim} but the weights have {w.shape[2]} features")
    return (rows, cols), w, gema_count(entry, "num_data", 0, 0, fail)
