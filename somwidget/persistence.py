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
      "data_bounds": [[min...], [max...]], # optional: training-space box of the latest training
                                           # data (the Mexican hat clips prototypes to it)
      "init_params": {...},                # optional: the structural parameters (mapsize, lattice,
                                           # normalization, ...) the map was built with, where
                                           # they differ from "params" (the next fit rebuilds it)
      "output": {"transform": "pandas"}    # optional: set_output's container
    }

The file also stores ``"checksum": "sha256:<hex>"``, the SHA-256 of the canonical JSON of every
other field (:func:`content_checksum`); :meth:`SOM.from_dict` verifies it after checking the fields,
so a file whose content was changed (a flipped bit that still parses, an edited value) is refused
with a :class:`ModelFormatError`. Files written by somwidget 0.1.0 have no checksum and still load.

Reading is bounded: JSON nested deeper than :data:`MAX_DEPTH` is refused before it is parsed, and a
document declaring more than :data:`MAX_NEURONS` neurons (the cap ``SOM.load(path,
max_neurons=...)`` raises) is refused before anything is allocated for it (:func:`check_size`).

Floats are written with Python's shortest round-trip ``repr``, so a loaded model predicts
exactly like the saved one. The random generator state is not stored: it is not needed to
predict; a loaded model that is trained further starts a fresh generator from the saved seed.
The training data is not stored either, so analyses of a loaded model need ``X``.

:func:`write_model` writes to a temporary file with a unique name in the target directory and
renames it (:func:`write_atomically`, which ``SOM.save`` uses for pickles too), so a failed or
interrupted save never leaves a half-written model behind nor loses the file it was replacing;
a symbolic link is written through. A new file gets the permissions of any other file the user
creates (``0o666`` less the umask); a file replaced keeps its own, and a read-only one (no
write permission for its owner) is refused rather than replaced.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
import tempfile
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

__all__ = [
    "FITTED_FIELDS",
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "MAX_DEPTH",
    "MAX_NEURONS",
    "ModelFormatError",
    "OPTIONAL_FIELDS",
    "check_model",
    "check_size",
    "content_checksum",
    "existing_folder",
    "format_error",
    "parse_json",
    "header",
    "read_model",
    "to_json_types",
    "verify_checksum",
    "write_atomically",
    "write_model",
]

FORMAT_NAME = "somwidget.som"
FORMAT_VERSION = 1
#: The most neurons a model document may declare (raise it, or pass ``max_neurons`` to
#: ``SOM.load`` / ``SOM.from_dict``, for larger maps): checked before anything is allocated.
MAX_NEURONS = 1_000_000
#: The deepest nesting of JSON arrays and objects a model file may have (a model needs 4).
MAX_DEPTH = 32
#: The checksum algorithm written into files (``"checksum": "sha256:<64 hex digits>"``).
CHECKSUM_PREFIX = "sha256:"

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
    "checksum": str,
    "feature_names_from_frame": bool,
    "last_radius": (int, float),
    "data_bounds": list,
    "init_params": Mapping,
    "output": Mapping,
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


def content_checksum(d: Mapping[str, Any]) -> str:
    """``"sha256:<hex>"`` of the canonical JSON of ``d`` without its ``"checksum"`` field.

    Canonical: keys sorted, no whitespace, ASCII, floats as Python's round-trip ``repr``; so the
    document parsed back from a file gives the checksum it was written with.
    """
    content = {k: v for k, v in to_json_types(d).items() if k != "checksum"}
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=True,
                      allow_nan=True)
    return CHECKSUM_PREFIX + hashlib.sha256(text.encode("ascii")).hexdigest()


def verify_checksum(d: Mapping[str, Any], source: object = "model dict") -> None:
    """Check ``d["checksum"]`` against the content (nothing to check without the field).

    Raises
    ------
    ModelFormatError
        If the stored checksum is malformed or does not match the content.
    """
    stored = d.get("checksum")
    if stored is None:
        return  # written by somwidget 0.1.0, or a dict built in memory
    if not isinstance(stored, str) or re.fullmatch(r"sha256:[0-9a-f]{64}", stored) is None:
        raise format_error(source, f"the checksum {stored!r} is not 'sha256:' and 64 hex digits")
    try:
        actual = content_checksum(d)
    except (RecursionError, TypeError, ValueError) as exc:
        raise format_error(source, f"its content cannot be checksummed ({type(exc).__name__})") from None
    if actual != stored:
        raise format_error(
            source, "the checksum does not match the content (the file was changed or corrupted "
            "after it was written; if you edited it on purpose, delete its 'checksum' field)"
        )


def _positive_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v >= 1


def check_size(d: Mapping[str, Any], source: object = "model dict",
               max_neurons: int | None = None) -> tuple[int, int, int]:
    """Check the declared map and codebook sizes before anything is built from them.

    ``mapsize``, the lattice's ``rows`` / ``cols`` and the codebook's length must agree, be at
    most ``max_neurons`` neurons (default :data:`MAX_NEURONS`), and every codebook row must hold
    ``n_features`` entries. Call it on a document :func:`check_model` accepted with fitted fields.

    Returns
    -------
    (rows, cols, n_features)

    Raises
    ------
    ModelFormatError
        For sizes that are not positive integers, disagree, or exceed the cap.
    """
    cap = MAX_NEURONS if max_neurons is None else max_neurons
    if not _positive_int(cap):
        raise ValueError(f"max_neurons must be a positive integer; got {max_neurons!r}")
    mapsize, lat = d["mapsize"], d["lattice"]
    if len(mapsize) != 2 or not all(_positive_int(v) for v in mapsize):
        raise format_error(source, f"mapsize must be [rows, cols], two positive integers; got {mapsize!r}")
    rows, cols = lat.get("rows"), lat.get("cols")
    if not (_positive_int(rows) and _positive_int(cols)):
        raise format_error(source, f"the lattice's rows and cols must be positive integers; got "
                           f"{rows!r}, {cols!r}")
    if [rows, cols] != list(mapsize):
        raise format_error(source, f"mapsize {list(mapsize)} does not match the lattice {rows}x{cols}")
    if rows * cols > cap:
        raise format_error(
            source, f"the map has {rows}x{cols} = {rows * cols} neurons, more than max_neurons="
            f"{cap}; pass a larger max_neurons to load it if the file is trusted"
        )
    n_features = d["n_features"]
    if not _positive_int(n_features):
        raise format_error(source, f"n_features must be a positive integer; got {n_features!r}")
    codebook = d["codebook"]
    if len(codebook) != rows * cols or not all(
        isinstance(row, list) and len(row) == n_features for row in codebook
    ):
        shape = (len(codebook), *sorted({len(r) if isinstance(r, list) else -1 for r in codebook})[:3])
        raise format_error(
            source, f"the codebook has shape {shape}, expected ({rows * cols}, {n_features}) for a "
            f"{rows}x{cols} lattice with {n_features} features"
        )
    return rows, cols, n_features


_UMASK_LOCK = threading.Lock()


def _umask() -> int:
    """The process umask (read by setting and restoring it, under a lock)."""
    with _UMASK_LOCK:
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


def existing_folder(target: Path) -> Path:
    """The folder ``target`` is to be written in; FileNotFoundError naming it when it does not
    exist (rather than an error about the temporary file written there first)."""
    directory = target.parent if str(target.parent) else Path(".")
    if not directory.is_dir():
        what = "is not a folder" if directory.exists() else "does not exist"
        raise FileNotFoundError(f"cannot save {str(target)!r}: the folder {str(directory)!r} "
                                f"{what}; create it first (Path(...).mkdir(parents=True))")
    return directory


def write_atomically(path: str | os.PathLike, write: Callable[[BinaryIO], None]) -> Path:
    """Write a file through ``write(f)`` without ever leaving a half-written or lost one.

    ``write`` fills a temporary file with a unique name in the target's folder, which then
    replaces the target in one rename: a failure (an exception in ``write``, a full disk, a
    crash) leaves the old file as it was and no temporary file behind, and no other file is
    touched. A symbolic link is written through (its target is replaced, the link kept). A new
    file gets the permissions of a file the user creates (``0o666`` less the umask); an existing
    one keeps its permissions (a private ``0o600`` model stays private), and one its owner may
    not write (``chmod a-w``, which ``open(path, "w")`` would refuse) is refused with a
    ``PermissionError`` rather than silently replaced by the rename.

    Parameters
    ----------
    path : str or path-like
        The file to write.
    write : callable
        Called with the open binary file.

    Returns
    -------
    Path
        The file written (the link's target for a symbolic link).

    Raises
    ------
    FileNotFoundError
        If the folder does not exist (naming it).
    IsADirectoryError
        If ``path`` is a folder.
    PermissionError
        If ``path`` is an existing file without write permission (for its owner or for us).
    """
    target = Path(path)
    if target.is_symlink():
        target = Path(os.path.realpath(target))
    if target.is_dir():
        raise IsADirectoryError(f"cannot save {str(path)!r}: it is a folder; give a file name")
    directory = existing_folder(target)
    mode = 0o666 & ~_umask()
    if target.exists():
        st = target.stat()
        # the owner's write bit as well as access(): root may write anything, but a file made
        # read-only was made so on purpose
        if not st.st_mode & stat.S_IWUSR or not os.access(target, os.W_OK):
            raise PermissionError(
                f"cannot save {str(path)!r}: the file exists and is read-only (mode "
                f"{st.st_mode & 0o777:#o}); it is left as it is. Make it writable first "
                "(os.chmod / chmod u+w) or save under another name")
        mode = st.st_mode & 0o777
    # a short prefix: the temporary name must fit the file-name limit where the target does
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name[:32]}.", suffix=".tmp", dir=directory)
    try:
        os.chmod(tmp, mode)  # mkstemp makes it 0600
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return target


def write_model(d: Mapping[str, Any], path: str | os.PathLike) -> None:
    """Write a model document to ``path`` as JSON, atomically (:func:`write_atomically`).

    The file holds ``d`` and its :func:`content_checksum`.

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
    doc = {k: v for k, v in to_json_types(d).items() if k != "checksum"}
    doc["checksum"] = content_checksum(doc)
    data = (json.dumps(doc, indent=1, allow_nan=True) + "\n").encode("utf-8")
    write_atomically(path, lambda fh: fh.write(data))


_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)


def _nesting_depth(text: str) -> int:
    """The deepest nesting of ``[`` / ``{`` in JSON ``text`` (brackets inside strings ignored)."""
    bare = _STRING.sub('""', text).encode("utf-8", "replace")
    b = np.frombuffer(bare, dtype=np.uint8)
    step = ((b == ord("[")) | (b == ord("{"))).astype(np.int32) - (
        (b == ord("]")) | (b == ord("}"))).astype(np.int32)
    return int(np.cumsum(step).max(initial=0))


def parse_json(text: str, source: object = "model dict") -> Any:
    """Parse model JSON, refusing nesting deeper than :data:`MAX_DEPTH` before parsing it.

    Raises
    ------
    ModelFormatError
        For invalid JSON (corrupt or truncated), too deep nesting, or numbers Python refuses.
    """
    depth = _nesting_depth(text)
    if depth > MAX_DEPTH:
        raise format_error(source, f"the JSON is nested {depth} levels deep (at most {MAX_DEPTH}); "
                           "not a somwidget model")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise format_error(
            source, f"invalid JSON at line {exc.lineno} column {exc.colno} ({exc.msg}); the file is "
            "corrupt or truncated"
        ) from None
    except (ValueError, RecursionError) as exc:  # e.g. an integer with too many digits
        raise format_error(source, f"unreadable JSON ({exc}); the file is corrupt") from None


def read_model(path: str | os.PathLike) -> Mapping[str, Any]:
    """Read and check a model document written by :func:`write_model`.

    The checksum is verified by :meth:`SOM.from_dict` (after the fields, so that an inconsistent
    field is named), or by :func:`verify_checksum`.

    Raises
    ------
    FileNotFoundError
        If there is no such file.
    ModelFormatError (a ValueError)
        If the file is not UTF-8 JSON (corrupt or truncated), nested too deeply, not a somwidget
        model (foreign), has an unsupported format version, or has missing or mistyped fields.
    """
    p = Path(path)
    raw = p.read_bytes()
    try:
        # utf-8-sig: a byte-order mark (an editor's, e.g. Windows Notepad's) is not corruption
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise format_error(p, f"not UTF-8 text (binary or corrupt file: {exc.reason} at byte {exc.start})") from None
    if not text.strip():
        raise format_error(p, "the file is empty")
    return check_model(parse_json(text, p), source=p)
