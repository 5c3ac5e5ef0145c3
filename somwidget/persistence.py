"""The versioned JSON model format.

A saved model is one UTF-8 JSON object, readable by any language and never executed::

    {
      "format": "somwidget.som",          # identifies the file
      "version": 1,                        # format version (readers refuse newer versions)
      "somwidget_version": "0.1.0",
      "params": {...},                     # SOM constructor parameters (random_state: int or null);
                                           # a parameter missing from an older file takes its default
      "mapsize": [rows, cols],
      "lattice": {"rows", "cols", "kind", "rect_adjacency",
                  "hex_offset": "odd_rows_right", "row_spacing": 0.8660254037844386},
      "normalizer": {"name", "n_features", "params"},
      "n_features": D,
      "feature_names": [...],
      "codebook": [[...], ...],            # M x D, training space, float64 written with repr
      "n_epochs_trained": int,
      "last_radius": float,
      "history": {"epoch": [...], "radius": [...], "quantization_error": [...], ...},
      "data_bounds": [[min...], [max...]]  # optional: training-space box of the latest training
                                           # data (the Mexican hat clips prototypes to it)
    }

Floats are written with Python's shortest round-trip ``repr``, so a loaded model predicts
exactly like the saved one. The random generator state is not stored: it is not needed to
predict; a loaded model that is trained further starts a fresh generator from the saved seed.
The training data is not stored either, so analyses of a loaded model need ``X``.

``save_model`` writes to a temporary file in the target directory and renames it, so a crash
never leaves a half-written model behind.
"""

from __future__ import annotations

import json
import math
import numbers
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from .som import SOM

__all__ = ["FORMAT_NAME", "FORMAT_VERSION", "load_model", "model_from_dict", "model_to_dict", "save_model"]

FORMAT_NAME = "somwidget.som"
FORMAT_VERSION = 1


class ModelFormatError(ValueError):
    """A file that is not a readable somwidget model (corrupt, truncated, foreign, too new)."""


def _plain(value: Any) -> Any:
    """Convert numpy scalars / arrays inside ``value`` to JSON types."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return _plain(value.tolist())
    if isinstance(value, np.generic):
        return value.item()
    return value


def model_to_dict(som: SOM) -> dict[str, Any]:
    """The JSON-ready description of an initialised or fitted SOM."""
    som._check_initialized()
    params = som.get_params()
    rs = params.get("random_state")
    params["random_state"] = int(rs) if isinstance(rs, numbers.Integral) else None
    if isinstance(params.get("mapsize"), tuple):
        params["mapsize"] = list(params["mapsize"])
    history = {k: _plain(list(v)) for k, v in som.history_.items()}
    return {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "somwidget_version": _version(),
        "params": _plain(params),
        "mapsize": [int(v) for v in som.mapsize_],
        "lattice": _plain(som.lattice_.to_dict()),
        "normalizer": _plain(som.normalizer_.to_dict()),
        "n_features": int(som.n_features_in_),
        "feature_names": [str(n) for n in som.feature_names_in_],
        "feature_names_from_frame": bool(getattr(som, "_names_from_frame", False)),
        "codebook": np.asarray(som.codebook_, dtype=np.float64).tolist(),
        "n_epochs_trained": int(som.n_epochs_trained_),
        "last_radius": float(getattr(som, "_last_radius", 1.0)),
        "history": history,
        **({"data_bounds": [np.asarray(b, dtype=np.float64).tolist() for b in bounds]}
           if (bounds := som._data_bounds()) is not None else {}),
    }


def _data_bounds(d: Mapping[str, Any], n_features: int, source: str) -> tuple | None:
    """The optional ``data_bounds`` entry as the SOM's cached box ``(lo, hi, None)``."""
    raw = d.get("data_bounds")
    if raw is None:
        return None
    try:
        box = np.asarray(raw, dtype=np.float64)
    except (TypeError, ValueError):
        raise _fail(source, "data_bounds must be two lists of numbers") from None
    if box.shape != (2, n_features) or not np.isfinite(box).all() or (box[0] > box[1]).any():
        raise _fail(source, f"data_bounds must be [min, max] lists of {n_features} finite numbers "
                            "with min <= max")
    return box[0], box[1], None


def _version() -> str:
    from . import __version__

    return __version__


def save_model(som: SOM, path: str | os.PathLike) -> None:
    """Write ``som`` to ``path`` as JSON, atomically (temporary file + rename)."""
    d = model_to_dict(som)
    codebook = np.asarray(som.codebook_)
    if not np.isfinite(codebook).all():
        raise ValueError("the codebook contains NaN or infinite values; refusing to save it")
    text = json.dumps(d, indent=1, allow_nan=True)
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


def _fail(path: object, problem: str) -> ModelFormatError:
    return ModelFormatError(f"{path} is not a readable somwidget model: {problem}")


def load_model(path: str | os.PathLike) -> SOM:
    """Read a model written by :func:`save_model`.

    Raises
    ------
    FileNotFoundError
        If there is no such file.
    ModelFormatError (a ValueError)
        If the file is not UTF-8 JSON (corrupt or truncated), not a somwidget model (foreign),
        has an unsupported format version, or has missing or inconsistent fields.
    """
    p = Path(path)
    raw = p.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _fail(p, f"not UTF-8 text (binary or corrupt file: {exc.reason} at byte {exc.start})") from None
    if not text.strip():
        raise _fail(p, "the file is empty")
    try:
        d = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _fail(
            p, f"invalid JSON at line {exc.lineno} column {exc.colno} ({exc.msg}); the file is corrupt or truncated"
        ) from None
    return model_from_dict(d, source=p)


def _need(d: Mapping, key: str, kind: type | tuple, source: object) -> Any:
    if key not in d:
        raise _fail(source, f"the field {key!r} is missing")
    v = d[key]
    if not isinstance(v, kind) or isinstance(v, bool) and kind is not bool:
        raise _fail(source, f"the field {key!r} has the wrong type ({type(v).__name__})")
    return v


def model_from_dict(d: Any, source: object = "model dict") -> SOM:
    """Rebuild a SOM from :func:`model_to_dict` output, validating every field."""
    from .lattice import Lattice
    from .normalization import Normalizer
    from .som import _STRUCTURAL, HISTORY_KEYS, SOM

    if not isinstance(d, Mapping) or d.get("format") != FORMAT_NAME:
        found = d.get("format") if isinstance(d, Mapping) else type(d).__name__
        raise _fail(source, f"not a somwidget model (expected format {FORMAT_NAME!r}, found {found!r})")
    version = d.get("version")
    if isinstance(version, bool) or not isinstance(version, int):
        raise _fail(source, f"the format version is missing or not an integer ({version!r})")
    if version != FORMAT_VERSION:
        raise _fail(
            source,
            f"format version {version} is not supported (this somwidget {_version()} reads version "
            f"{FORMAT_VERSION}){'; upgrade somwidget' if version > FORMAT_VERSION else ''}",
        )
    params = dict(_need(d, "params", Mapping, source))
    if isinstance(params.get("mapsize"), list):
        params["mapsize"] = tuple(params["mapsize"])
    valid = SOM._param_names()
    unknown = [k for k in params if k not in valid]
    if unknown:
        raise _fail(source, f"unknown parameters {unknown}")
    som = SOM(**params)
    try:
        som._validated()
    except (TypeError, ValueError) as exc:
        raise _fail(source, f"invalid parameters: {exc}") from None
    mapsize = _need(d, "mapsize", list, source)
    try:
        lattice = Lattice.from_dict(_need(d, "lattice", Mapping, source))
    except (TypeError, ValueError, KeyError) as exc:
        raise _fail(source, f"invalid lattice: {exc}") from None
    if [lattice.rows, lattice.cols] != list(mapsize):
        raise _fail(source, f"mapsize {mapsize} does not match the lattice {lattice.rows}x{lattice.cols}")
    try:
        normalizer = Normalizer.from_dict(_need(d, "normalizer", Mapping, source))
    except (TypeError, ValueError, KeyError) as exc:
        raise _fail(source, f"invalid normalizer: {exc}") from None
    n_features = _need(d, "n_features", int, source)
    names = _need(d, "feature_names", list, source)
    if len(names) != n_features or not all(isinstance(n, str) for n in names):
        raise _fail(source, f"feature_names must be {n_features} strings")
    rows = _need(d, "codebook", list, source)
    try:
        codebook = np.array(rows, dtype=np.float64)
    except (TypeError, ValueError):
        raise _fail(source, "the codebook is not a rectangular list of numbers") from None
    if codebook.shape != (lattice.n_neurons, n_features):
        raise _fail(
            source,
            f"the codebook has shape {codebook.shape}, expected ({lattice.n_neurons}, {n_features})",
        )
    if not np.isfinite(codebook).all():
        raise _fail(source, "the codebook contains NaN or infinite values")
    history_in = _need(d, "history", Mapping, source)
    history: dict[str, list] = {k: [] for k in HISTORY_KEYS}
    for k, v in history_in.items():
        if k not in history or not isinstance(v, list):
            raise _fail(source, f"invalid history entry {k!r}")
        history[k] = list(v)
    if len({len(v) for v in history.values()}) > 1:
        raise _fail(source, "the history lists have different lengths")
    n_epochs = _need(d, "n_epochs_trained", int, source)
    last_radius = d.get("last_radius", 1.0)
    if not isinstance(last_radius, (int, float)) or not math.isfinite(last_radius) or last_radius <= 0:
        raise _fail(source, f"invalid last_radius {last_radius!r}")

    rs = som.random_state
    som.random_state_ = np.random.default_rng(rs)
    som.normalizer_ = normalizer
    som.mapsize_ = (lattice.rows, lattice.cols)
    som.lattice_ = lattice
    som.n_neurons_ = lattice.n_neurons
    som.n_features_in_ = n_features
    som.feature_names_in_ = list(names)
    som._names_from_frame = bool(d.get("feature_names_from_frame", False))
    som.codebook_ = np.ascontiguousarray(codebook)
    som.history_ = history
    som.n_epochs_trained_ = n_epochs
    som._last_radius = float(last_radius)
    som._Xt = None
    som._bounds = _data_bounds(d, n_features, source)
    som._bmu_cache = None
    som._init_params = {k: getattr(som, k) for k in _STRUCTURAL}
    som._touch()
    return som
