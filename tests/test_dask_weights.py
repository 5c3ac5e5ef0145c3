"""Sample weights in Dask training (somwidget.scale.weights, somwidget.scale.dask).

Checked against in-memory training with the same weights and, independently, against the map
of the data with each row repeated as often as its integer weight.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from somwidget import SOM

da = pytest.importorskip("dask.array")
dd = pytest.importorskip("dask.dataframe")
import dask  # noqa: E402

TOL = dict(rtol=1e-9, atol=1e-9)


def _data(n=900, d=3, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)) * np.arange(1, d + 1) + np.arange(d) * 2.0


def _uneven(X):
    sizes = (0, 211, 300, 1, X.shape[0] - 512)
    return da.from_array(X, chunks=(sizes, (X.shape[1],)))


@pytest.fixture(autouse=True)
def _threaded():
    with dask.config.set(scheduler="threads"):
        yield


def _weights(n, seed=1):
    return np.random.default_rng(seed).uniform(0.0, 3.0, size=n)


def _as(kind, w, X):
    if kind == "numpy":
        return w
    if kind == "dask":  # other chunks than X's: rechunked to them
        return da.from_array(w, chunks=250)
    if kind == "series":
        return dd.from_pandas(pd.Series(w), npartitions=3)
    return dd.from_pandas(pd.DataFrame({"w": w}), npartitions=2)


@pytest.mark.parametrize("kind", ["numpy", "dask", "series", "frame"])
@pytest.mark.parametrize("params, fit", [
    (dict(lattice="hexa"), dict(epochs=4)),
    (dict(lattice="rect", normalization="standard"), dict(epochs=3, subsample_ratio=0.7)),
    (dict(neighborhood="mexican_hat"), dict(epochs=3, learning_rate=0.6)),
    (dict(distance_metric="cityblock", initialization="random"), dict(epochs=3)),
])
def test_weighted_dask_fit_gives_the_in_memory_codebook(kind, params, fit):
    X = _data()
    w = _weights(X.shape[0])
    mem = SOM((5, 4), random_state=2, **params).fit(X, sample_weight=w, **fit)
    out = SOM((5, 4), random_state=2, **params).fit(_uneven(X), sample_weight=_as(kind, w, X), **fit)
    np.testing.assert_allclose(out.codebook_, mem.codebook_, **TOL)
    assert out._Xt is None


def test_integer_weights_on_dask_give_the_map_of_repeated_rows():
    # independent of the weighted code: the in-memory map of the rows repeated w_i times
    # (random initialisation from the data box, which repetition does not change)
    X = _data(400)
    w = np.random.default_rng(3).integers(1, 4, size=400)
    kw = dict(initialization="random", random_state=5)
    out = SOM((4, 4), **kw).fit(da.from_array(X, chunks=(150, 3)), epochs=4,
                                sample_weight=da.from_array(w, chunks=100))
    rep = SOM((4, 4), **kw).fit(np.repeat(X, w, axis=0), epochs=4)
    np.testing.assert_allclose(out.codebook_, rep.codebook_, rtol=1e-9, atol=1e-9)


def test_a_dataframe_column_weights_its_own_rows_and_fit_auto_takes_weights():
    X = _data(600)
    w = _weights(600, seed=4)
    df = dd.from_pandas(pd.DataFrame({"a": X[:, 0], "b": X[:, 1], "c": X[:, 2], "w": w}),
                        npartitions=4)
    out = SOM(random_state=0).fit_auto(df[["a", "b", "c"]], sample_weight=df["w"])
    mem = SOM(random_state=0).fit_auto(pd.DataFrame(X, columns=["a", "b", "c"]), sample_weight=w)
    assert out.mapsize_ == mem.mapsize_
    np.testing.assert_allclose(out.codebook_, mem.codebook_, **TOL)


def test_dask_weights_with_in_memory_data_are_computed_and_checked():
    X = _data(300)
    w = _weights(300)
    mem = SOM((3, 3), random_state=0).fit(X, epochs=2, sample_weight=w)
    out = SOM((3, 3), random_state=0).fit(X, epochs=2, sample_weight=da.from_array(w, chunks=100))
    np.testing.assert_allclose(out.codebook_, mem.codebook_, rtol=1e-12)
    with pytest.raises(ValueError, match="must be non-negative"):
        SOM((3, 3)).fit(X, sample_weight=da.from_array(-w, chunks=100))


def test_the_weights_are_never_materialised_with_the_data(monkeypatch):
    X = da.random.default_rng(0).normal(size=(3000, 3), chunks=(1000, 3))
    w = da.random.default_rng(1).uniform(0.1, 1.0, size=3000, chunks=700)

    def refuse(*a, **k):
        raise AssertionError("a whole Dask array was brought into memory")

    monkeypatch.setattr(da.Array, "__array__", refuse)
    monkeypatch.setattr(da.Array, "compute", refuse)
    som = SOM((3, 3), random_state=0).fit(X, epochs=2, sample_weight=w)
    assert np.isfinite(som.codebook_).all()


@pytest.mark.parametrize("bad, error, message", [
    (lambda w: np.r_[w, 1.0], ValueError, r"sample_weight has 301 weight\(s\) but X has 300 sample"),
    (lambda w: np.where(np.arange(300) == 7, -2.0, w), ValueError,
     r"must be non-negative; got 1 negative weight\(s\) \(smallest -2\)"),
    (lambda w: np.where(np.arange(300) % 50 == 0, np.nan, w), ValueError,
     r"must be finite; got 6 NaN or infinite weight\(s\)"),
    (lambda w: np.zeros(300), ValueError, "must not be all zero"),
    (lambda w: w[:, None], ValueError, "must be 1-D"),
])
@pytest.mark.parametrize("lazy", [False, True])
def test_bad_weights_get_the_in_memory_errors(bad, error, message, lazy):
    X = _data(300)
    w = bad(_weights(300))
    with pytest.raises(error, match=message):  # in memory
        SOM((3, 3)).fit(X, sample_weight=w)
    arg = da.from_array(w, chunks=120) if lazy else w
    with pytest.raises(error, match=message):
        SOM((3, 3)).fit(da.from_array(X, chunks=(100, 3)), epochs=1, sample_weight=arg)


def test_weights_of_a_frame_with_unknown_length_are_checked_against_the_rows():
    X = _data(300)
    df = dd.from_pandas(pd.DataFrame(X), npartitions=3)
    with pytest.raises(ValueError, match=r"sample_weight has 299 weight\(s\) but X has 300"):
        SOM((3, 3)).fit(df, epochs=1, sample_weight=np.ones(299))
    two = dd.from_pandas(pd.DataFrame({"a": np.ones(300), "b": np.ones(300)}), npartitions=2)
    with pytest.raises(ValueError, match="Dask DataFrame with 2 columns"):
        SOM((3, 3)).fit(df, epochs=1, sample_weight=two)
    with pytest.raises(TypeError, match="must be numbers"):
        SOM((3, 3)).fit(df, epochs=1, sample_weight=da.from_array(np.array(["a"] * 300), chunks=100))
