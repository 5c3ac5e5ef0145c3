"""The versioned JSON model format: files in, dicts out (and back).

This module only reads and writes files and checks their envelope (format name, version, the
fields and their JSON types). It knows nothing of the estimator: :meth:`somwidget.SOM.to_dict`
builds the document and :meth:`somwidget.SOM.from_dict` rebuilds a model from it, so that
``SOM.save(path)`` is ``write_model(som.to_dict(), path)`` and ``SOM.load(path)`` is
``SOM.from_dict(read_model(path))``. It imports nothing from somwidget.

A saved model is one UTF-8 JSON object, readable by any language and never executed::

    {
      "format": "somwidget.som",          # identifies the file
      "version": 1,                        # format version (readers refuse newer versions)
      "somwidget_version": "0.1.0",
      "params": {...},                     # SOM constructor parameters (random_state: int or null);
                                           # a parameter missing from an older file takes its default
      # the fields below are present for an initialised or fitted model, all of them or none:
      "mapsize": [rows, cols],
      "lattice": {"rows", "cols", "kind", "rect_adjacency",
                  "hex_offset": "odd_rows_right", "row_spacing": 0.8660254037844386},
      "normalizer": {"name", "n_features", "params"},
      "n_features": D,
      "feature_names": [...],
      "feature_names_from_frame": bool,    # optional: names came from DataFrame columns
      "codebook": [[...], ...],            # M x D, training space, float64 written with repr
      "n_epochs_trained": int,
      "last_radius": float,                # optional
      "history": {"epoch": [...], "radius": [...], "quantization_error": [...], ...},
      "data_bounds": [[min...], [max...]]  # optional: training-space box of the latest training
                                           # data (the Mexican hat clips prototypes to it)
    }

Floats are written with Python's shortest round-trip ``repr``, so a loaded model predicts
exactly like the saved one. The random generator state is not stored: it is not needed to
predict; a loaded model that is trained further starts a fresh generator from the saved seed.
The training data is not stored either, so analyses of a loaded model need ``X``.

:func:`write_model` writes to a temporary file in the target directory and renames it, so a
crash never leaves a half-written model behind.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "FITTED_FIELDS",
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "ModelFormatError",
    "OPTIONAL_FIELDS",
    "check_model",
    "format_error",
    "header",
    "read_model",
    "to_json_types",
    "write_model",
]

FORMAT_NAME = "somwidget.som"
FORMAT_VERSION = 1

#: Fields of an initialised model and their JSON types (all present, or none: an unfitted model).
FITTED_FIELDS: dict[str, type | tuple[type, ...]] = {
    "mapsize": list,
    "lattice": Mapping,
    "normalizer": Mapping,
    "n_features": int,
    "feature_names": list,
    "codebook": list,
    "n_epochs_trained": int,
    "history": Mapping,
}
#: Optional fields and their JSON types.
OPTIONAL_FIELDS: dict[str, type | tuple[type, ...]] = {
    "somwidget_version": str,
    "feature_names_from_frame": bool,
    "last_radius": (int, float),
    "data_bounds": list,
}


class ModelFormatError(ValueError):
    """A file that is not a readable somwidget model (corrupt, truncated, foreign, too new)."""


def format_error(source: object, problem: str) -> ModelFormatError:
    """The error for a model read from ``source`` (a path, or ``"model dict"``)."""
    return ModelFormatError(f"{source} is not a readable somwidget model: {problem}")


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("somwidget")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "unknown"


def header() -> dict[str, Any]:
    """The envelope fields every model document starts with."""
    return {"format": FORMAT_NAME, "version": FORMAT_VERSION, "somwidget_version": _version()}


def to_json_types(value: Any) -> Any:
    """``value`` with numpy scalars and arrays (inside dicts, lists, tuples) as JSON types."""
    if isinstance(value, Mapping):
        return {str(k): to_json_types(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json_types(v) for v in value]
    if isinstance(value, np.ndarray):
        return to_json_types(value.tolist())
    if isinstance(value, np.generic):
        return value.item()
    return value


def _check_type(d: Mapping, key: str, kind: type | tuple[type, ...], source: object) -> None:
    v = d[key]
    if not isinstance(v, kind) or (isinstance(v, bool) and kind is not bool):
        raise format_error(source, f"the field {key!r} has the wrong type ({type(v).__name__})")


def check_model(d: Any, source: object = "model dict") -> Mapping[str, Any]:
    """Check a model document's envelope: format name, version, fields and their JSON types.

    The values themselves (shapes, parameter values, consistency) are checked by
    :meth:`somwidget.SOM.from_dict`.

    Parameters
    ----------
    d : object
        The parsed JSON.
    source : object
        What to name in error messages (the file's path).

    Returns
    -------
    Mapping
        ``d``.

    Raises
    ------
    ModelFormatError
        For a foreign document, an unsupported version, or missing or mistyped fields.
    """
    if not isinstance(d, Mapping) or d.get("format") != FORMAT_NAME:
        found = d.get("format") if isinstance(d, Mapping) else type(d).__name__
        raise format_error(source, f"not a somwidget model (expected format {FORMAT_NAME!r}, found {found!r})")
    version = d.get("version")
    if isinstance(version, bool) or not isinstance(version, int):
        raise format_error(source, f"the format version is missing or not an integer ({version!r})")
    if version != FORMAT_VERSION:
        raise format_error(
            source,
            f"format version {version} is not supported (this somwidget {_version()} reads version "
            f"{FORMAT_VERSION}){'; upgrade somwidget' if version > FORMAT_VERSION else ''}",
        )
    if "params" not in d:
        raise format_error(source, "the field 'params' is missing")
    _check_type(d, "params", Mapping, source)
    if any(k in d for k in FITTED_FIELDS):
        for key, kind in FITTED_FIELDS.items():
            if key not in d:
                raise format_error(source, f"the field {key!r} is missing")
            _check_type(d, key, kind, source)
    for key, kind in OPTIONAL_FIELDS.items():
        if d.get(key) is not None:
            _check_type(d, key, kind, source)
    return d


def write_model(d: Mapping[str, Any], path: str | os.PathLike) -> None:
    """Write a model document to ``path`` as JSON, atomically (temporary file + rename).

    Raises
    ------
    ModelFormatError
        If ``d`` is not a well-formed model document.
    ValueError
        If the codebook holds NaN or infinite values (the file could not be read back).
    """
    check_model(d)
    if "codebook" in d and not np.isfinite(np.asarray(d["codebook"], dtype=np.float64)).all():
        raise ValueError("the codebook contains NaN or infinite values; refusing to save it")
    text = json.dumps(to_json_types(d), indent=1, allow_nan=True)
    target = Path(path)
    directory = target.parent if str(target.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def read_model(path: str | os.PathLike) -> Mapping[str, Any]:
    """Read and check a model document written by :func:`write_model`.

    Raises
    ------
    FileNotFoundError
        If there is no such file.
    ModelFormatError (a ValueError)
        If the file is not UTF-8 JSON (corrupt or truncated), not a somwidget model (foreign),
        has an unsupported format version, or has missing or mistyped fields.
    """
    p = Path(path)
    raw = p.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise format_error(p, f"not UTF-8 text (binary or corrupt file: {exc.reason} at byte {exc.start})") from None
    if not text.strip():
        raise format_error(p, "the file is empty")
    try:
        d = json.loads(text)
    except json.JSONDecodeError as exc:
        raise format_error(
            p, f"invalid JSON at line {exc.lineno} column {exc.colno} ({exc.msg}); the file is corrupt or truncated"
        ) from None
    return check_model(d, source=p)
