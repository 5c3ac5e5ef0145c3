"""Selection: neuron sets, sample binding and selecting samples, against numpy masks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("anywidget")

from somwidget.widgets import Selection  # noqa: E402
from somwidget.widgets.selection import STATIC_DIR  # noqa: E402

if not (STATIC_DIR / "selection.js").is_file():  # pragma: no cover - ./dev.sh builds first
    pytest.skip("front end not built (npm run build)", allow_module_level=True)


def test_neurons_sorted_unique_and_validated():
    s = Selection([5, 1, 5, 3])
    assert s.neurons == [1, 3, 5]
    s.add([2, 3])
    assert s.neurons == [1, 2, 3, 5]
    s.add(9)
    s.select(np.array([4, 4]))
    assert s.neurons == [4]
    s.clear()
    assert s.neurons == []
    with pytest.raises(ValueError, match="non-negative"):
        s.select([-1])
    with pytest.raises(TypeError, match="integers"):
        s.select([1.5])
    with pytest.raises(TypeError, match="int or a sequence"):
        s.select(True)
    s.n_neurons = 10
    with pytest.raises(ValueError, match="< 10"):
        s.select([10])


def test_observers_see_changes():
    s = Selection()
    seen = []
    s.observe(lambda ch: seen.append(ch["new"]), "neurons")
    s.select([2, 1])
    s.clear()
    assert seen == [[1, 2], []]


@settings(max_examples=30, deadline=None)
@given(
    bmus=st.lists(st.integers(0, 11), min_size=1, max_size=40),
    chosen=st.lists(st.integers(0, 11), max_size=6),
)
def test_sample_mask_matches_numpy(bmus, chosen):
    b = np.array(bmus)
    X = np.arange(len(b) * 2, dtype=float).reshape(-1, 2)
    s = Selection()
    s.bind(b, data=X)
    s.select(chosen)
    want = np.array([v in set(chosen) for v in bmus])
    np.testing.assert_array_equal(s.sample_mask, want)
    np.testing.assert_array_equal(s.samples[["x0", "x1"]].to_numpy(), X[want])
    np.testing.assert_array_equal(s.samples["bmu"].to_numpy(), b[want])


def test_samples_dataframe_and_labels():
    b = np.array([0, 2, 2, 5, 0])
    df = pd.DataFrame({"a": [1.0, 2, 3, 4, 5], "b": list("vwxyz")}, index=list("pqrst"))
    labels = np.array(["cat", "dog", "cat", "eel", "dog"])
    s = Selection()
    s.bind(b, data=df, labels=labels)
    s.select([2])
    out = s.samples
    assert list(out["a"]) == [2.0, 3.0]
    assert list(out["label"]) == ["dog", "cat"]
    # the caller's own rows come back: the DataFrame's index is kept, not reset to 0..N-1
    assert list(out.index) == ["q", "r"]
    pd.testing.assert_frame_equal(out[["a", "b"]], df.loc[["q", "r"]])
    # select_samples by label, by list of labels, by mask
    s.select_samples("cat")
    assert s.neurons == sorted(set(b[labels == "cat"]))
    s.select_samples(["dog", "eel"])
    assert s.neurons == sorted(set(b[np.isin(labels, ["dog", "eel"])]))
    mask = np.array([False, False, False, True, True])
    s.select_samples(mask)
    assert s.neurons == [0, 5]
    with pytest.raises(ValueError, match="unknown label"):
        s.select_samples("bird")
    with pytest.raises(ValueError, match="one entry per sample"):
        s.select_samples(np.array([True, False]))


def test_bind_errors_and_unbound_use():
    s = Selection()
    with pytest.raises(ValueError, match="no samples bound"):
        _ = s.sample_mask
    with pytest.raises(ValueError, match="rows but bmus"):
        s.bind([0, 1], data=np.zeros((3, 2)))
    with pytest.raises(ValueError, match="labels must be 1-D"):
        s.bind([0, 1], labels=["a"])
    s.bind([0, 1])
    with pytest.raises(ValueError, match="needs labels"):
        s.select_samples("a")


def test_selection_survives_rebinding():
    s = Selection([3])
    s.bind([3, 1, 3])
    s.bind([1, 3, 1, 1])  # e.g. after retraining: neuron indices are stable, BMUs move
    assert s.neurons == [3]
    np.testing.assert_array_equal(s.sample_mask, [False, True, False, False])
