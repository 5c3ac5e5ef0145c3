"""One best-two BMU search per codebook and data set, shared by every metric and view.

The quantization and topographic errors, the vacancy rate, the hit counts, the quality map, the
label tables and ``predict`` all read the BMU (and the second BMU) of the same samples. A SOM
keeps the latest results in a :class:`BMUCache`, keyed on

* the codebook: the SOM's version counter (bumped by every change of ``codebook_``) and the
  identity of the ``codebook_`` array (so a direct assignment invalidates too);
* the data: the identity of the array or DataFrame (a weak reference: the cache never keeps the
  data alive) and a :func:`fingerprint` of its shape, dtype and a checksum of all its values,
  so an edit in place of any value, or a new object that happens to reuse a freed id, is a
  miss. (A sample of rows was checked until the checksum: ``X[1] = ...`` on 1,000 rows left
  ``predict`` and the metrics with the old row's BMU.)

Asking for all the metrics after a fit (or after one ``predict``) costs one BMU search.
"""

from __future__ import annotations

import weakref
import zlib
from typing import Any

import numpy as np

__all__ = ["BMUCache", "fingerprint"]

_ENTRIES = 2
#: Bytes of a non-contiguous array copied at a time for its checksum.
_CHUNK_BYTES = 1 << 22


def _crc(arr: np.ndarray, crc: int = 0) -> int:
    """CRC-32 of ``arr``'s bytes in memory order when it is contiguous (C or Fortran), else in
    C order, row blocks of about 4 MiB at a time (no copy of the whole array)."""
    if arr.flags.c_contiguous or arr.flags.f_contiguous:
        flat = arr.T if not arr.flags.c_contiguous else arr
        return zlib.crc32(flat.reshape(-1).view(np.uint8), crc)
    row_bytes = max(1, arr[:1].nbytes)
    rows = max(1, _CHUNK_BYTES // row_bytes)
    for s in range(0, arr.shape[0], rows):
        crc = zlib.crc32(np.ascontiguousarray(arr[s : s + rows]).reshape(-1).view(np.uint8), crc)
    return crc


def _column_crc(column: Any, crc: int) -> int:
    """:func:`_crc` of one DataFrame column's values: numpy columns as they are, nullable
    numeric and boolean ones as float64 with NaN for their gaps (what training reads of them),
    others (objects, strings, categories) by pandas' hashes of their values."""
    import pandas as pd

    dtype = column.dtype
    if isinstance(dtype, np.dtype) and dtype.kind != "O":
        return _crc(column.to_numpy(), crc)
    if pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype):
        return _crc(column.to_numpy(dtype=np.float64, na_value=np.nan), crc)
    return _crc(pd.util.hash_array(np.asarray(column.array, dtype=object)), crc)


def _frame_crc(frame: Any) -> int:
    """:func:`_crc` of a DataFrame's values: of its one array when all its columns share a
    numpy dtype (no copy for a frame made from one array), else column by column."""
    dtypes = set(frame.dtypes)
    if len(dtypes) == 1:
        (dtype,) = dtypes
        if isinstance(dtype, np.dtype) and dtype.kind != "O":
            return _crc(frame.to_numpy())
    crc = 0
    for j in range(frame.shape[1]):
        crc = _column_crc(frame.iloc[:, j], crc)
    return crc


def fingerprint(obj: object) -> tuple | None:
    """Shape, dtype and a CRC-32 of every value of an array or DataFrame (None for other
    inputs, and for inputs it cannot read, which are then not cached and meet the data checks'
    own errors): an edit in place of any value is a miss. Checking costs a pass over the
    data's bytes: about 4 ms for 100k x 32 float32, a few % of a BMU search (more for frames
    of mixed or object columns, read column by column)."""
    try:
        if isinstance(obj, np.ndarray):
            if obj.ndim == 0 or obj.dtype == object:
                return None
            order = "C" if obj.flags.c_contiguous else "F" if obj.flags.f_contiguous else "A"
            return ("array", obj.shape, obj.dtype.str, order, _crc(obj))
        if hasattr(obj, "columns") and hasattr(obj, "iloc"):
            return ("frame", obj.shape, tuple(obj.columns),  # type: ignore[attr-defined]
                    tuple(str(t) for t in obj.dtypes), _frame_crc(obj))  # type: ignore[attr-defined]
    except (TypeError, ValueError):
        return None  # e.g. a column of lists: check_array names the problem
    return None


class BMUCache:
    """The latest BMU results, at most two data sets (see the module notes)."""

    def __init__(self) -> None:
        self._entries: list[dict[str, Any]] = []

    def clear(self) -> None:
        self._entries.clear()

    def get(self, version: tuple, obj: object, k: int,
            fp: tuple | None = None) -> tuple[np.ndarray, np.ndarray] | None:
        """``(indices, distances)`` with at least ``k`` columns, or None (``fp``: the
        :func:`fingerprint` of ``obj`` when the caller has it already)."""
        fp = fingerprint(obj) if fp is None else fp
        if fp is None:
            return None
        for entry in self._entries:
            if (entry["version"] == version and entry["ref"]() is obj and entry["fp"] == fp
                    and entry["idx"].shape[1] >= k):
                return entry["idx"], entry["dist"]
        return None

    def put(self, version: tuple, obj: object, idx: np.ndarray, dist: np.ndarray,
            fp: tuple | None = None) -> None:
        """Keep ``(idx, dist)`` of ``obj`` (``fp``: its :func:`fingerprint` as it was searched,
        when the caller has it)."""
        fp = fingerprint(obj) if fp is None else fp
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
