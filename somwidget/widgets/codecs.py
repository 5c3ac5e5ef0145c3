"""The ndarray codec: numpy arrays to and from the front end as binary buffers.

An array trait travels as ``{"dtype": "float32", "shape": [rows, cols], "buffer": <bytes>}``:
ipywidgets moves every ``memoryview`` out of the JSON state into a binary frame of the comm
message, and the browser receives it as a ``DataView`` (decoded by ``js/src/codecs.ts``, the
TypeScript twin of this module). Arrays are sent C-ordered and little-endian; a float32 array stays
float32 (never a JSON list of numbers), and an array that already has the wire dtype and layout is
sent without a copy.

Declare an array trait with :func:`array_trait`, which owns its serialisation::

    values = array_trait("float32").tag(sync=True)
"""

from __future__ import annotations

from typing import Any

import numpy as np
import traitlets

__all__ = ["DTYPES", "NDArray", "array_from_json", "array_to_json", "array_trait", "narrowest_int"]

#: The dtypes the front end decodes (js/src/codecs.ts), by their wire names.
DTYPES: tuple[str, ...] = ("float32", "float64", "int8", "int16", "int32", "uint8", "uint16", "uint32")


def narrowest_int(arr: Any, signed: bool | None = None) -> np.ndarray | None:
    """``arr`` as the narrowest wire integer dtype that holds it exactly (None: it is not whole).

    Parameters
    ----------
    arr : array-like
        Numbers; NaN or fractions make the answer None.
    signed : bool, optional
        Pick among int8 / int16 / int32 (True) or uint8 / uint16 / int32 (False); default:
        signed exactly when a value is negative (a -1 "none" code).
    """
    a = np.asarray(arr)
    if a.dtype.kind == "f" and not np.all(np.isfinite(a) & (a == np.round(a))):
        return None
    if a.dtype.kind not in "biuf":
        return None
    lo, hi = (float(a.min()), float(a.max())) if a.size else (0.0, 0.0)
    if signed is None:
        signed = lo < 0
    for name in (("int8", "int16", "int32") if signed else ("uint8", "uint16", "int32")):
        info = np.iinfo(name)
        if info.min <= lo and hi <= info.max:
            return np.asarray(a, dtype=name)
    return None


def _wire_dtype(dtype: Any, name: str = "dtype") -> np.dtype:
    """The little-endian numpy dtype of a wire dtype name (or numpy dtype of that kind)."""
    try:
        dt = np.dtype(dtype)
    except TypeError:
        dt = None
    if dt is None or dt.name not in DTYPES:
        raise ValueError(f"{name} must be one of {list(DTYPES)}; got {dtype!r}")
    le = dt.newbyteorder("<")
    return np.dtype(le.name) if le.isnative else le  # the canonical object: lets asarray skip copies


def array_to_json(value: np.ndarray | None, widget: Any = None) -> dict[str, Any] | None:
    """Serialise an array to ``{"dtype", "shape", "buffer"}`` (``buffer`` a byte memoryview).

    Parameters
    ----------
    value : ndarray or None
        The array; its dtype must be one of ``DTYPES``. ``None`` serialises to ``None``.
    widget : Widget, optional
        The widget (the traitlets ``to_json`` signature; unused).

    Returns
    -------
    dict or None
        ``buffer`` shares memory with ``value`` when it is already C-contiguous little-endian.
    """
    if value is None:
        return None
    arr = np.asarray(value)
    dt = _wire_dtype(arr.dtype, "array dtype")
    arr = np.asarray(arr, dtype=dt, order="C")
    return {"dtype": dt.name, "shape": list(arr.shape), "buffer": memoryview(arr.reshape(-1)).cast("B")}


def array_from_json(value: dict[str, Any] | None, widget: Any = None) -> np.ndarray | None:
    """Deserialise ``{"dtype", "shape", "buffer"}`` back to a (read-only) array.

    Parameters
    ----------
    value : dict or None
        The wire form, ``buffer`` being bytes, a memoryview or anything with the buffer protocol.
    widget : Widget, optional
        The widget (the traitlets ``from_json`` signature; unused).
    """
    if value is None:
        return None
    try:
        dtype, shape, buffer = value["dtype"], value["shape"], value["buffer"]
    except (KeyError, TypeError):
        raise ValueError(
            f"an encoded array must be a dict with keys 'dtype', 'shape' and 'buffer'; got {value!r:.80}"
        ) from None
    dt = _wire_dtype(dtype)
    shape = tuple(int(s) for s in shape)
    flat = np.frombuffer(buffer, dtype=dt)
    if flat.size != int(np.prod(shape, dtype=np.int64)):
        raise ValueError(
            f"an encoded array of shape {list(shape)} and dtype {dt.name} needs "
            f"{int(np.prod(shape, dtype=np.int64)) * dt.itemsize} bytes; got {flat.nbytes}"
        )
    return flat.reshape(shape)


class NDArray(traitlets.TraitType):
    """A numpy array of one wire dtype (cast on assignment), optionally of a fixed ``ndim``.

    ``dtype`` may be a tuple of wire dtypes: an assigned array that already has one of them keeps
    it (so a sender can pick the narrowest integer type that holds its values), anything else is
    cast to the first. Assigning anything array-like stores a C-contiguous little-endian array;
    assigning an equal array (same dtype, shape and values, NaN equal to NaN) notifies nobody, so
    a refresh that changes nothing sends nothing.
    """

    info_text = "a numpy array"

    def __init__(self, dtype: str | tuple[str, ...] = "float32", ndim: int | None = None, **kwargs: Any) -> None:
        names = (dtype,) if isinstance(dtype, str) or not isinstance(dtype, tuple) else dtype
        if not names:
            raise ValueError(f"dtype must name at least one of {list(DTYPES)}")
        self.dtypes = tuple(_wire_dtype(d) for d in names)
        self.dtype = self.dtypes[0]
        self.ndim = ndim
        if "default_value" not in kwargs:
            empty = np.zeros((0,) * (ndim or 1), dtype=self.dtype)
            empty.flags.writeable = False  # one default shared by every instance: read-only
            kwargs["default_value"] = empty
        super().__init__(**kwargs)

    def validate(self, obj: Any, value: Any) -> np.ndarray | None:
        if value is None and self.allow_none:
            return None
        try:
            src = np.asarray(value)
        except (TypeError, ValueError):
            self.error(obj, value)
        if src.dtype.kind not in "biuf":
            raise traitlets.TraitError(
                f"{self.name} must be a numeric array (cast to {self.dtype.name}); got dtype {src.dtype}"
            )
        target = next((d for d in self.dtypes if src.dtype.name == d.name), self.dtype)
        if target.kind in "iu" and src.dtype.kind == "f":
            if not np.all(np.isfinite(src) & (src == np.round(src))):
                raise traitlets.TraitError(f"{self.name} must hold whole numbers (dtype {target.name})")
        if self.ndim is not None and src.ndim != self.ndim:
            raise traitlets.TraitError(f"{self.name} must be {self.ndim}-D; got shape {src.shape}")
        return np.asarray(src, dtype=target, order="C")

    def set(self, obj: Any, value: Any) -> None:
        new_value = self._validate(obj, value)
        assert self.name is not None
        old_value = obj._trait_values.get(self.name, self.default_value)
        obj._trait_values[self.name] = new_value
        if not _same_array(old_value, new_value):
            obj._notify_trait(self.name, old_value, new_value)


def _same_array(a: np.ndarray | None, b: np.ndarray | None) -> bool:
    if a is None or b is None:
        return a is b
    return a.dtype == b.dtype and a.shape == b.shape and bool(np.array_equal(a, b, equal_nan=a.dtype.kind == "f"))


def array_trait(dtype: str | tuple[str, ...] = "float32", *, ndim: int | None = None,
                allow_none: bool = False) -> NDArray:
    """An :class:`NDArray` trait that (de)serialises itself with the binary ndarray codec.

    Parameters
    ----------
    dtype : str or tuple of str
        One of ``DTYPES``; assigned values are cast to it. A tuple: arrays of any of these
        dtypes are kept as they are, others are cast to the first.
    ndim : int, optional
        Require this number of dimensions.
    allow_none : bool
        Accept ``None`` (sent as ``null``).

    Returns
    -------
    NDArray
        Tag it ``.tag(sync=True)`` to sync it; the default is an empty array.
    """
    trait = NDArray(dtype, ndim=ndim, allow_none=allow_none)
    return trait.tag(to_json=array_to_json, from_json=array_from_json)
