"""All the metrics of one codebook and data set come from one best-two BMU search."""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest
from scipy.spatial.distance import cdist

import somwidget.bmu as bmu_module
from somwidget import SOM

RNG = np.random.default_rng(0)
X = RNG.standard_normal((600, 4))


@pytest.fixture
def passes(monkeypatch):
    """Counts the BMU searches (calls of somwidget.bmu.find_bmus)."""
    calls: list[int] = []
    find = bmu_module.find_bmus

    def counting(*a, **k):
        calls.append(k.get("k", 1))
        return find(*a, **k)

    monkeypatch.setattr(bmu_module, "find_bmus", counting)
    return calls


def _reference(som: SOM, data: np.ndarray) -> dict:
    D = cdist(data, som.codebook_)
    order = np.argsort(D, axis=1, kind="stable")
    b1, b2 = order[:, 0], order[:, 1]
    hits = np.bincount(b1, minlength=som.n_neurons_)
    return {"qe": D[np.arange(len(data)), b1].mean(), "hits": hits, "b1": b1, "b2": b2,
            "vacancy": np.mean(hits == 0)}


def _all_metrics(som: SOM, data: object = None) -> dict:
    return {"qe": som.quantization_error(data), "te": som.topographic_error(data),
            "vacancy": som.vacancy_rate(data), "hits": som.hit_counts(data),
            "quality": som.quality_map(data)}


def test_all_metrics_after_fit_cost_one_search(passes):
    som = SOM((5, 6), lattice="rect", random_state=0).fit(X, epochs=3)
    del passes[:]
    got = _all_metrics(som)
    assert len(passes) == 1
    ref = _reference(som, X)
    assert got["qe"] == pytest.approx(ref["qe"], rel=1e-12)
    np.testing.assert_array_equal(got["hits"], ref["hits"])
    assert got["vacancy"] == pytest.approx(ref["vacancy"])
    r1, c1 = np.divmod(ref["b1"], 6)
    r2, c2 = np.divmod(ref["b2"], 6)
    assert got["te"] == pytest.approx(np.mean(np.abs(r1 - r2) + np.abs(c1 - c2) != 1))
    # the same data passed explicitly share that search, and so does predict
    _all_metrics(som, X)
    np.testing.assert_array_equal(som.predict(X), ref["b1"])
    assert len(passes) == 1


def test_predict_then_metrics_and_views(passes):
    som = SOM((4, 4), random_state=0).fit(X, epochs=2)
    del passes[:]
    Y = RNG.standard_normal((300, 4))
    b = som.predict(Y)
    np.testing.assert_array_equal(som.hit_counts(Y), np.bincount(b, minlength=16))
    som.quality_map(Y)
    som.vacancy_rate(Y)
    assert len(passes) == 1  # the BMU-only search of predict serves these
    som.topographic_error(Y)  # needs the second BMU: one more search, which then serves all
    som.quantization_error(Y)
    som.best_matching_units(Y, k=2)
    assert len(passes) == 2


def test_history_search_is_reused_after_fit(passes):
    som = SOM((4, 4), random_state=0)
    som.fit(X, epochs=3, collect_history=True)
    n = len(passes)
    assert n == 3  # one per epoch's metrics
    assert som.quantization_error() == pytest.approx(som.history_["quantization_error"][-1])
    som.topographic_error(X)
    assert len(passes) == n


@pytest.mark.parametrize("change", ["refit", "assign", "online_step", "edit_data", "other_data"])
def test_cache_invalidation(passes, change):
    data = X.copy()
    som = SOM((4, 4), random_state=0).fit(data, epochs=2)
    q0 = som.quantization_error(data)
    n0 = len(passes)
    target = data
    if change == "refit":
        som.fit(data, epochs=1, radius_start=1.0)
    elif change == "assign":
        som.codebook_ = som.codebook_ + 0.5
    elif change == "online_step":
        som.online_step(data[0], radius=1.0, learning_rate=0.5)
    elif change == "edit_data":
        data[0] += 10.0  # row 0 is in the fingerprint's sample
    else:
        target = data.copy()
        target[5] -= 3.0
    q1 = som.quantization_error(target)
    assert len(passes) > n0
    assert q1 == pytest.approx(cdist(target, som.codebook_).min(axis=1).mean(), rel=1e-12)
    assert q1 != q0


def test_cache_does_not_keep_data_alive():
    som = SOM((4, 4), random_state=0).fit(X, epochs=1)
    Y = RNG.standard_normal((5000, 4))
    som.hit_counts(Y)
    ref = weakref.ref(Y)
    del Y
    gc.collect()
    assert ref() is None


def test_large_training_data_is_not_copied_into_the_model():
    """With a normaliser the training space is a new array: above 64 MB the model keeps a weak
    reference to the caller's data instead, and asks for X once that is gone."""
    import somwidget._som_state as state

    rng = np.random.default_rng(1)
    data = rng.standard_normal((3000, 3))
    old = state._KEEP_BYTES
    state._KEEP_BYTES = 1000
    try:
        som = SOM((3, 3), normalization="standard", random_state=0).fit(data, epochs=1)
        assert som._Xt is None
        q = som.quantization_error()
        assert q == pytest.approx(som.quantization_error(data))
        del data
        gc.collect()
        som._bmu_cache.clear()
        with pytest.raises(ValueError, match="X is required"):
            som.quantization_error()
    finally:
        state._KEEP_BYTES = old


def test_identity_normalization_holds_the_callers_array():
    data32 = X.astype(np.float32)
    som = SOM((3, 3), random_state=0).fit(data32, epochs=1)
    assert som._training_data() is data32


def test_history_metrics_after_a_bmu_only_search_still_have_the_second_bmu():
    som = SOM((4, 4), random_state=0).fit(X, epochs=1)
    som.predict(X)  # caches a BMU-only search of the training data for this codebook
    metrics = som._epoch_metrics()
    D = cdist(X, som.codebook_)
    order = np.argsort(D, axis=1, kind="stable")
    adjacent = som.lattice_.adjacency_sparse()[order[:, 0], order[:, 1]]
    assert metrics["topographic_error"] == pytest.approx(1.0 - np.asarray(adjacent).mean())



#: 1,200 rows: a sample of every fourth row (and the last) was all the cache checked before
Y = np.vstack([X, X + 0.01])


def _edits():
    """(name, make the data, edit it in place): edits of rows 437 and 439, which no sample saw."""
    import pandas as pd

    def set_row(d):
        d[437] = [50.0, 50.0, 50.0, 50.0]

    def swap_rows(d):
        d[[437, 439]] = d[[439, 437]]

    def frame_row(d):
        d.iloc[437] = [50.0, 50.0, 50.0, 50.0]

    def nullable_value(d):
        d.iloc[437, 0] = 500

    return [
        ("array", lambda: Y.copy(), set_row),
        ("swapped rows", lambda: Y.copy(), swap_rows),
        ("fortran", lambda: np.asfortranarray(Y), set_row),
        ("strided view", lambda: np.repeat(Y, 2, axis=1)[:, ::2], set_row),
        ("frame", lambda: pd.DataFrame(Y, columns=list("abcd")), frame_row),
        ("nullable frame", lambda: pd.DataFrame(np.round(Y * 10), columns=list("abcd")).astype("Int64"),
         nullable_value),
    ]


@pytest.mark.parametrize("name, make, edit", _edits(), ids=[e[0] for e in _edits()])
def test_an_edit_of_any_value_in_place_is_a_miss(name, make, edit):
    # predict and the metrics returned the old rows' BMUs after X[437] = ... (1,000 rows and up)
    data = make()
    som = SOM((4, 4), random_state=0).fit(Y * (10 if name == "nullable frame" else 1), epochs=2)
    som.predict(data)
    som.quantization_error(data)
    edit(data)
    D = cdist(np.asarray(data, dtype=np.float64), som.codebook_)
    np.testing.assert_array_equal(som.predict(data), D.argmin(axis=1))
    assert som.quantization_error(data) == pytest.approx(D.min(axis=1).mean(), rel=1e-12)


def test_data_the_cache_cannot_read_meet_the_data_checks_own_error():
    # a column of lists made the checksum raise pandas' "unhashable type: 'list'" first
    import pandas as pd

    som = SOM((3, 3), random_state=0).fit(X[:, :2], epochs=1)
    frame = pd.DataFrame({"a": X[:, 0], "b": [[1.0]] * len(X)})
    with pytest.raises(ValueError, match="non-numeric"):
        som.predict(frame)
