"""Frames are small: each per-neuron array travels once, as float32 binary buffers, and a
refresh that changes nothing sends only the frame counter."""

from __future__ import annotations

import json

import numpy as np
import pytest
from comm_helpers import RecordingComm

from somwidget import SOM
from somwidget.widgets import HitMap, UMatrix

Comm = RecordingComm


def frame_bytes(msg: tuple[dict, list]) -> int:
    data, buffers = msg
    return len(json.dumps(data).encode()) + sum(memoryview(b).nbytes for b in buffers)


@pytest.mark.parametrize("shape", [(20, 15), (100, 100)])
def test_a_live_frame_carries_each_array_once(shape):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(3000, 16))
    som = SOM(mapsize=shape, random_state=0).initialize(X)
    m = shape[0] * shape[1]
    for view in (UMatrix(som), HitMap(som, X)):
        view.comm = Comm()
        som.fit(X, epochs=1)
        view(type("S", (), {"som": som, "final": True})())  # the live callback path
        (msg,) = view.comm.messages
        data, buffers = msg
        paths = [tuple(p) for p in data["buffer_paths"]]
        assert ("values", "buffer") in paths
        assert memoryview(buffers[paths.index(("values", "buffer"))]).nbytes == 4 * m  # float32
        # the tooltip row that equals `values` is not sent again
        assert [f.get("source") for f in view.tooltip_fields] == ["values"]
        assert ("tooltip_values", "buffer") not in paths or \
            memoryview(buffers[paths.index(("tooltip_values", "buffer"))]).nbytes == 0
        size = frame_bytes(msg)
        assert size <= 4 * m + 2_000, size  # one float32 per neuron plus the JSON header
        if m == 10_000:
            assert size < 45_000  # well under 100 KB at 100 x 100
        view.comm.messages.clear()
        view.refresh()  # nothing changed: only the frame counter travels
        (again,) = view.comm.messages
        assert again[0]["state"] == {"frame": view.frame} and not again[1]
        view.close()


def test_a_big_maps_net_is_drawn_coarse():
    from somwidget.widgets import InputSpaceView
    from somwidget.widgets.input_space import coarse_net

    neurons, pairs, step = coarse_net(100, 100)
    assert step == 3 and neurons.size == 34 * 34  # rows/cols 0, 3, ..., 99
    r, c = np.divmod(pairs, 100)
    # every edge joins two kept neurons one step apart along a row or a column
    assert np.isin(pairs, neurons).all()
    d = np.abs(r[:, 0] - r[:, 1]) + np.abs(c[:, 0] - c[:, 1])
    assert ((d >= 1) & (d <= 3) & ((r[:, 0] == r[:, 1]) | (c[:, 0] == c[:, 1]))).all()
    assert pairs.shape[0] == 2 * 34 * 33
    assert coarse_net(20, 15)[2] == 1  # small maps keep their full net
    X = np.random.default_rng(0).normal(size=(2000, 3))
    som = SOM(mapsize=(100, 100), random_state=0).initialize(X)
    view = InputSpaceView(som, X)
    comms = []
    for w in [view._net, view._nodes]:
        w.comm = Comm()
        comms.append(w.comm)
    som.fit(X, epochs=1)
    view.refresh()
    sent = sum(frame_bytes(m) for c in comms for m in c.messages)
    assert sent < 80_000, sent  # the full net would be ~0.8 MB per frame
    assert "one row and one column in 3" in view.caption.value
    assert np.asarray(view._nodes.x).size == 0  # no node markers on a coarse net
    view.selection.select([0, 5050, 99 * 100 + 99])
    assert view._nodes.selected is None
    assert list(view._node_position[[0, 5050, 9999]]) == [0, -1, 34 * 34 - 1]
    small = InputSpaceView(SOM(mapsize=(6, 5), random_state=0).initialize(X), X)
    small.selection.select([3, 7])
    assert list(small._nodes.selected) == [3, 7] and np.asarray(small._nodes.x).size == 30
    small.close()
    view.close()


def test_a_labelled_big_hit_maps_frame_is_well_under_100_kb():
    """Hits and classes together at 100 x 100: hits as float32, class codes as int8, the marker
    sizes derived in the browser, the majority share as a uint16 count divided by the hits."""
    rng = np.random.default_rng(1)
    X = rng.normal(size=(20_000, 16))
    labels = rng.choice(["a", "b", "c", "d"], size=len(X))
    som = SOM(mapsize=(100, 100), random_state=0).initialize(X)
    view = HitMap(som, X, labels, mode="size", label_overlay="majority")
    view.comm = Comm()
    som.fit(X, epochs=1)
    view(type("S", (), {"som": som, "final": True})())
    (msg,) = view.comm.messages
    size = frame_bytes(msg)
    assert size < 100_000, size
    data, buffers = msg
    paths = [tuple(p) for p in data["buffer_paths"]]
    assert data["state"]["categories"]["dtype"] == "int8"
    assert ("sizes", "buffer") not in paths or memoryview(buffers[paths.index(("sizes", "buffer"))]).nbytes == 0
    assert view.draw_style == "size" and np.asarray(view.sizes).size == 0
    # the tooltip's rows: independently computed majority counts, shown as count / hits
    b = som.predict(X)
    hits = np.bincount(b, minlength=10_000)
    codes = np.searchsorted(np.array(["a", "b", "c", "d"]), labels)
    counts = np.zeros((10_000, 4), np.int64)
    np.add.at(counts, (b, codes), 1)
    fields = view.tooltip_fields  # unchanged since the first frame: not resent
    share = next(f for f in fields if f["name"] == "majority share")
    assert share["divide_by"] == "values"
    assert [f.get("source") for f in fields if f["name"] == "majority label"] == ["categories"]
    enc = data["state"]["tooltip_values"]
    rows = np.frombuffer(buffers[paths.index(("tooltip_values", "buffer"))], dtype=enc["dtype"])
    rows = rows.reshape(enc["shape"])
    own = [f for f in fields if f.get("source") is None]
    np.testing.assert_array_equal(rows[own.index(share)], counts.max(axis=1))
    cats = np.frombuffer(buffers[paths.index(("categories", "buffer"))], dtype="i1")
    np.testing.assert_array_equal(cats, np.where(hits > 0, counts.argmax(axis=1), -1))
    view.close()
