"""Frames are small: each per-neuron array travels once, as float32 binary buffers, and a
refresh that changes nothing sends only the frame counter."""

from __future__ import annotations

import json

import numpy as np
import pytest

from somwidget import SOM
from somwidget.widgets import HitMap, UMatrix


class Comm:
    comm_id = "size-comm"

    def __init__(self) -> None:
        self.messages: list[tuple[dict, list]] = []

    def send(self, data=None, buffers=None, **_: object) -> None:
        self.messages.append((data, list(buffers or [])))

    def on_msg(self, *_: object) -> None:
        pass

    def close(self, *_, **__) -> None:
        pass


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
