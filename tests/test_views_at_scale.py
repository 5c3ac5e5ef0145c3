"""Views at scale: what they keep of the user's data, their cost as training callbacks, the
labels of their pictures and legends when names or classes are many.

Expected values are computed independently (numpy on the inputs), never read back from what the
view just produced.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from somwidget import SOM
from somwidget.widgets.explorer import Explorer
from somwidget.widgets.inspector import NeuronInspector

ROWS, COLS, D = 5, 4, 3


@pytest.fixture(scope="module")
def data32() -> np.ndarray:
    rng = np.random.default_rng(0)
    return rng.normal(size=(300, D)).astype(np.float32)


@pytest.fixture(scope="module")
def som(data32) -> SOM:
    return SOM(mapsize=(ROWS, COLS), random_state=0).fit(data32, epochs=2)


# ---------------------------------------------------------------- 1. one copy of a float32 X
def test_explorer_keeps_float32_shared_with_the_inspector(som, data32):
    ex = Explorer(som, data32, views=["hits", "inspector"])
    assert ex._X.dtype == np.float32
    assert np.shares_memory(ex._X, data32)  # C-contiguous float32: the user's array itself
    assert np.shares_memory(ex.inspector._X, ex._X)
    ex.close()


def test_explorer_float64_stays_the_users_array(som, data32):
    X64 = data32.astype(np.float64)
    ex = Explorer(som, X64, views=["hits", "inspector"])
    assert np.shares_memory(ex._X, X64) and np.shares_memory(ex.inspector._X, X64)
    ex.close()


def test_float32_shows_the_values_of_the_float64_path(som, data32):
    X64 = data32.astype(np.float64)
    frame = pd.DataFrame(data32, columns=["a", "b", "c"], index=np.arange(300) + 1000)
    a = NeuronInspector(som, frame)
    b = NeuronInspector(som, pd.DataFrame(X64, columns=["a", "b", "c"], index=frame.index))
    assert a._X.dtype == np.float32
    np.testing.assert_array_equal(a._mean, X64.mean(axis=0))  # exact: sums in float64
    np.testing.assert_array_equal(a._raw_sd, b._raw_sd)
    a.selection.neurons = b.selection.neurons = [0, 3]
    pd.testing.assert_frame_equal(a.summary_statistics(), b.summary_statistics())
    assert a._summary.value == b._summary.value and a._vector.value == b._vector.value
    assert list(a._index) == list(frame.index)
    ex = Explorer(som, frame, views=["hits", "inspector"])
    assert list(ex.inspector._index) == list(frame.index)
    assert ex.inspector.feature_names == ["a", "b", "c"]
    ex.close()
