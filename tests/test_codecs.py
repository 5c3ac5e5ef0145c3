"""The ndarray codec (somwidget.widgets.codecs): binary round trips and the array trait."""

from __future__ import annotations

import numpy as np
import pytest
import traitlets
from ipywidgets.widgets.widget import _remove_buffers

from somwidget.widgets.codecs import DTYPES, NDArray, array_from_json, array_to_json, array_trait


class Holder(traitlets.HasTraits):
    a = array_trait("float32").tag(sync=True)
    b = array_trait("int32", ndim=2).tag(sync=True)
    c = array_trait("uint8", allow_none=True).tag(sync=True)


@pytest.mark.parametrize("dtype", ["float32", "float64", "int32", "uint8", "int16", "uint32"])
@pytest.mark.parametrize("shape", [(0,), (5,), (3, 4), (2, 0, 3), (2, 3, 4)])
def test_round_trip_keeps_dtype_shape_values(dtype, shape):
    rng = np.random.default_rng(0)
    a = (rng.normal(size=shape) * 50).astype(dtype)
    enc = array_to_json(a)
    assert enc["dtype"] == dtype and enc["shape"] == list(shape)
    buf = enc["buffer"]
    assert isinstance(buf, memoryview) and buf.format == "B"
    assert len(buf) == a.size * np.dtype(dtype).itemsize  # bytes, not elements
    # the buffer is the little-endian C-ordered bytes (checked against numpy's own tobytes)
    assert bytes(buf) == a.astype(np.dtype(dtype).newbyteorder("<")).tobytes(order="C")
    back = array_from_json({**enc, "buffer": bytes(buf)})  # the kernel receives bytes
    assert back.dtype == np.dtype(dtype) and back.shape == shape
    np.testing.assert_array_equal(back, a)


def test_float32_contiguous_is_sent_without_copy_and_nan_passes():
    a = np.array([1.5, np.nan, -np.inf, 3.0], dtype=np.float32)
    enc = array_to_json(a)
    assert np.shares_memory(np.frombuffer(enc["buffer"], dtype=np.float32), a)
    back = array_from_json(enc)
    assert back.dtype == np.float32
    assert np.isnan(back[1]) and back[2] == -np.inf and back[3] == 3.0


def test_non_contiguous_and_big_endian_input():
    base = np.arange(24, dtype=np.float32).reshape(4, 6)
    view = base[::2, 1::2]  # strided, not contiguous
    enc = array_to_json(view)
    assert enc["shape"] == [2, 3]
    np.testing.assert_array_equal(np.frombuffer(enc["buffer"], "<f4"), [1, 3, 5, 13, 15, 17])
    np.testing.assert_array_equal(array_from_json(array_to_json(base.T)), base.T)
    big = np.array([1.0, 2.0], dtype=">f4")
    enc = array_to_json(big)
    assert enc["dtype"] == "float32"
    assert bytes(enc["buffer"]) == np.array([1.0, 2.0], dtype="<f4").tobytes()


def test_ipywidgets_moves_the_buffer_out_of_the_json_state():
    state = {"values": array_to_json(np.arange(3, dtype=np.float32)), "frame": 1}
    json_state, paths, buffers = _remove_buffers(state)
    assert json_state == {"values": {"dtype": "float32", "shape": [3]}, "frame": 1}
    assert paths == [["values", "buffer"]]
    assert np.frombuffer(buffers[0], "<f4").tolist() == [0.0, 1.0, 2.0]


def test_none_and_bad_input():
    assert array_to_json(None) is None
    assert array_from_json(None) is None
    with pytest.raises(ValueError, match="array dtype must be one of"):
        array_to_json(np.array([1 + 2j]))
    with pytest.raises(ValueError, match="array dtype must be one of"):
        array_to_json(np.array(["a"]))
    with pytest.raises(ValueError, match="dtype must be one of"):
        array_from_json({"dtype": "float16", "shape": [1], "buffer": b"\0\0"})
    with pytest.raises(ValueError, match="needs 12 bytes; got 8"):
        array_from_json({"dtype": "float32", "shape": [3], "buffer": b"\0" * 8})
    with pytest.raises(ValueError, match="keys 'dtype', 'shape' and 'buffer'"):
        array_from_json({"dtype": "float32"})
    with pytest.raises(ValueError, match="dtype must be one of"):
        array_trait("complex64")
    assert "float32" in DTYPES and "int32" in DTYPES and "uint8" in DTYPES


def test_array_trait_casts_validates_and_owns_its_serialisation():
    h = Holder()
    assert h.a.dtype == np.float32 and h.a.shape == (0,)
    assert h.b.shape == (0, 0) and h.c.shape == (0,)
    h.a = [1, 2.5, np.nan]  # float64 list -> float32 array
    assert h.a.dtype == np.float32 and h.a.flags.c_contiguous
    h.b = np.arange(6.0).reshape(3, 2)  # whole floats -> int32
    assert h.b.dtype == np.int32 and h.b.tolist() == [[0, 1], [2, 3], [4, 5]]
    f32 = np.arange(4, dtype=np.float32)
    h.a = f32
    assert h.a is f32  # already the wire dtype and layout: kept as is
    with pytest.raises(traitlets.TraitError, match="b must be 2-D"):
        h.b = np.zeros(3)
    with pytest.raises(traitlets.TraitError, match="whole numbers"):
        h.b = np.full((1, 1), 0.5)
    with pytest.raises(traitlets.TraitError, match="numeric array"):
        h.a = ["x", "y"]
    with pytest.raises(traitlets.TraitError):
        h.a = None
    h.c = None
    assert h.c is None
    meta = Holder.class_traits()["a"].metadata
    assert meta["to_json"] is array_to_json and meta["from_json"] is array_from_json
    assert isinstance(Holder.class_traits()["a"], NDArray)


def test_array_trait_notifies_only_on_a_real_change():
    h = Holder()
    seen: list[str] = []
    h.observe(lambda ch: seen.append(ch["name"]), names=["a"])
    h.a = [1.0, np.nan]
    h.a = np.array([1.0, np.nan])  # equal values (NaN equal to NaN), another object
    h.a = [1.0]  # 1 element: numpy's `==` would say "equal" for [1.0] vs [1.0, nan] broadcast
    h.a = [1.0]
    h.a = np.zeros(0)
    h.a = np.zeros(0)
    assert seen == ["a", "a", "a"]
