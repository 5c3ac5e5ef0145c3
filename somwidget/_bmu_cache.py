"""One best-two BMU search per codebook and data set, shared by every metric and view.

The quantization and topographic errors, the vacancy rate, the hit counts, the quality map, the
label tables and ``predict`` all read the BMU (and the second BMU) of the same samples. A SOM
keeps the latest results in a :class:`BMUCache`, keyed on

* the codebook: the SOM's version counter (bumped by every change of ``codebook_``) and the
  identity of the ``codebook_`` array (so a direct assignment invalidates too);
* the data: the identity of the array or DataFrame (a weak reference: the cache never keeps the
  data alive) and a :func:`fingerprint` of its shape, dtype and a sample of its rows, so an edit
  in place of those rows, or a new object that happens to reuse a freed id, is a miss.

Asking for all the metrics after a fit (or after one ``predict``) costs one BMU search.
"""

from __future__ import annotations

import weakref
from typing import Any

import numpy as np

__all__ = ["BMUCache", "fingerprint"]

_SAMPLE_ROWS = 256
_ENTRIES = 2


def fingerprint(obj: object) -> tuple | None:
    """Shape, dtype and a hash of about 256 evenly spaced rows of an array or DataFrame
    (None for other inputs, which are then not cached)."""
    if isinstance(obj, np.ndarray):
        arr = obj
    elif hasattr(obj, "columns") and hasattr(obj, "iloc"):
        n = len(obj)  # type: ignore[arg-type]
        step = max(1, n // _SAMPLE_ROWS)
        sample = np.ascontiguousarray(obj.iloc[::step].to_numpy())  # type: ignore[attr-defined]
        tail = np.ascontiguousarray(obj.iloc[-1:].to_numpy()) if n else sample  # type: ignore[attr-defined]
        return ("frame", obj.shape, tuple(str(c) for c in obj.columns),  # type: ignore[attr-defined]
                hash(sample.tobytes()), hash(tail.tobytes()))
    else:
        return None
    if arr.ndim == 0 or arr.dtype == object:
        return None
    step = max(1, arr.shape[0] // _SAMPLE_ROWS)
    sample = np.ascontiguousarray(arr[::step])
    tail = np.ascontiguousarray(arr[-1:])
    return ("array", arr.shape, arr.dtype.str, hash(sample.tobytes()), hash(tail.tobytes()))


class BMUCache:
    """The latest BMU results, at most two data sets (see the module notes)."""

    def __init__(self) -> None:
        self._entries: list[dict[str, Any]] = []

    def clear(self) -> None:
        self._entries.clear()

    def get(self, version: tuple, obj: object, k: int) -> tuple[np.ndarray, np.ndarray] | None:
        """``(indices, distances)`` with at least ``k`` columns, or None."""
        fp = fingerprint(obj)
        if fp is None:
            return None
        for entry in self._entries:
            if (entry["version"] == version and entry["ref"]() is obj and entry["fp"] == fp
                    and entry["idx"].shape[1] >= k):
                return entry["idx"], entry["dist"]
        return None

    def put(self, version: tuple, obj: object, idx: np.ndarray, dist: np.ndarray) -> None:
        fp = fingerprint(obj)
        if fp is None:
            return
        try:
            ref = weakref.ref(obj)
        except TypeError:
            return
        # drop stale entries (other codebook versions, dead data) and the one for this object
        self._entries = [e for e in self._entries
                         if e["version"] == version and e["ref"]() is not None
                         and e["ref"]() is not obj]
        self._entries.insert(0, {"version": version, "ref": ref, "fp": fp, "idx": idx,
                                 "dist": dist})
        del self._entries[_ENTRIES:]
