"""SOM(missing="ignore") on Dask: NaN-aware moments, masked partition sums, max_missing, and
predict / transform / metrics of data with missing values.

Checked against in-memory training on the same data and against direct numpy computations.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from somwidget import SOM

da = pytest.importorskip("dask.array")
dd = pytest.importorskip("dask.dataframe")
import dask  # noqa: E402

from somwidget.scale import moments as smom  # noqa: E402

TOL = dict(rtol=1e-9, atol=1e-9)


def _data(n=1000, d=4, frac=0.12, seed=0, offset=0.0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)) * np.arange(1, d + 1) + np.arange(d) * 3.0 + offset
    X[rng.random(X.shape) < frac] = np.nan
    many = np.isnan(X).sum(axis=1) > d // 2
    X[many] = np.nan_to_num(X[many], nan=offset + 1.0)  # every row within max_missing=0.5
    return X


def _uneven(X):
    sizes = (0, 317, 283, 1, X.shape[0] - 601)
    return da.from_array(X, chunks=(sizes, (X.shape[1],)))


@pytest.fixture(autouse=True)
def _threaded():
    with dask.config.set(scheduler="threads"):
        yield


@pytest.mark.parametrize("params, fit", [
    (dict(lattice="hexa"), dict(epochs=4)),
    (dict(lattice="rect", normalization="standard"), dict(epochs=3, subsample_ratio=0.6)),
    (dict(initialization="random", normalization="minmax"), dict(epochs=3)),
    (dict(initialization="sample", normalization="logistic"), dict(epochs=3, learning_rate=0.5)),
    (dict(neighborhood="mexican_hat", normalization="log"), dict(epochs=3)),
    (dict(distance_metric="cityblock", neighborhood="bubble", normalization="l2"), dict(epochs=3)),
])
def test_dask_fit_with_missing_values_gives_the_in_memory_codebook(params, fit):
    X = _data()
    kw = dict(random_state=4, missing="ignore", **params)
    mem = SOM((6, 4), **kw).fit(X, **fit)
    out = SOM((6, 4), **kw).fit(_uneven(X), **fit)
    for k, v in mem.normalizer_.params_.items():
        np.testing.assert_allclose(out.normalizer_.params_[k], v, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(out.codebook_, mem.codebook_, **TOL)
    assert out._Xt is None


def test_fit_auto_and_weights_with_missing_values_match_in_memory_training():
    X = _data(800, seed=2)
    w = np.random.default_rng(5).uniform(0, 2, size=800)
    mem = SOM(random_state=0, missing="ignore").fit_auto(X, sample_weight=w)
    out = SOM(random_state=0, missing="ignore").fit_auto(da.from_array(X, chunks=(250, 4)),
                                                         sample_weight=da.from_array(w, chunks=300))
    assert out.mapsize_ == mem.mapsize_
    np.testing.assert_allclose(out.codebook_, mem.codebook_, **TOL)


def _pairwise_covariance(X):
    """The pairwise-complete covariance, entry by entry (independent of the code under test)."""
    d = X.shape[1]
    mean = np.array([np.nanmean(X[:, k]) for k in range(d)])
    cov = np.empty((d, d))
    for i in range(d):
        for j in range(d):
            both = ~np.isnan(X[:, i]) & ~np.isnan(X[:, j])
            prod = (X[both, i] - mean[i]) * (X[both, j] - mean[j])
            cov[i, j] = prod.sum() / max(both.sum() - 1, 1)
    return mean, cov


def test_nan_aware_moments_match_numpy_over_uneven_partitions():
    X = _data(1000, 5, seed=7, offset=1e6)  # large offset: the shifts must stay exact
    m, counts = smom.moments(_uneven(X), policy=_policy())
    mean, cov = _pairwise_covariance(X)
    assert m.n == 1000 and m.has_missing and counts.tolist() == [0, 317, 283, 1, 399]
    np.testing.assert_array_equal(m.known, (~np.isnan(X)).sum(axis=0))
    np.testing.assert_allclose(m.mean, mean, rtol=1e-14)
    np.testing.assert_allclose(m.covariance, cov, rtol=1e-8)
    np.testing.assert_array_equal(m.lo, np.nanmin(X, axis=0))
    np.testing.assert_array_equal(m.hi, np.nanmax(X, axis=0))
    np.testing.assert_allclose(m.std, np.nanstd(X, axis=0), rtol=1e-10)


def _policy(max_missing=0.5):
    from somwidget.scale._graph import MissingPolicy

    return MissingPolicy(max_missing)


def test_predict_transform_and_metrics_of_dask_data_with_missing_values():
    X = _data(900, seed=3)
    som = SOM((5, 5), random_state=1, missing="ignore").fit(X, epochs=3)
    Xd = da.from_array(X, chunks=(200, 4))
    p, t = som.predict(Xd), som.transform(Xd)
    assert isinstance(p, da.Array) and isinstance(t, da.Array)
    np.testing.assert_array_equal(p.compute(), som.predict(X))
    np.testing.assert_allclose(t.compute(), som.transform(X), rtol=1e-12)
    assert som.quantization_error(Xd) == pytest.approx(som.quantization_error(X), rel=1e-12)
    assert som.topographic_error(Xd) == pytest.approx(som.topographic_error(X), abs=1e-12)
    np.testing.assert_array_equal(som.hit_counts(Xd), som.hit_counts(X))
    # trained on Dask: the metrics of its own training data
    out = SOM((5, 5), random_state=1, missing="ignore").fit(Xd, epochs=3)
    assert out.quantization_error() == pytest.approx(som.quantization_error(X), rel=1e-9)
    assert out.vacancy_rate() == pytest.approx(som.vacancy_rate(X), abs=1e-12)
    df = dd.from_pandas(pd.DataFrame(X), npartitions=3)  # unknown partition sizes
    np.testing.assert_array_equal(out.predict(df).compute(), som.predict(X))


def test_max_missing_and_the_nan_policy_are_enforced_per_partition():
    X = _data(400, seed=4)
    bad = X.copy()
    bad[250] = [np.nan, np.nan, np.nan, 1.0]  # 3 of 4 missing > max_missing = 0.5
    Xd = da.from_array(bad, chunks=(100, 4))
    with pytest.raises(ValueError, match=r"max_missing=0.5 .*rows 50;.*starting at row 200"):
        SOM((3, 3), missing="ignore").fit(Xd, epochs=1)
    som = SOM((3, 3), missing="ignore", max_missing=0.8, random_state=0).fit(Xd, epochs=1)
    assert np.isfinite(som.codebook_).all()
    ref = SOM((3, 3), missing="ignore", max_missing=0.8, random_state=0).fit(bad, epochs=1)
    np.testing.assert_allclose(som.codebook_, ref.codebook_, **TOL)
    with pytest.raises(ValueError, match=r"missing value\(s\) \(NaN\).*missing=.ignore"):
        SOM((3, 3)).fit(da.from_array(X, chunks=(100, 4)), epochs=1)  # missing="raise"
    strict = SOM((3, 3), missing="ignore", random_state=0).fit(da.from_array(X, chunks=(100, 4)))
    with pytest.raises(ValueError, match="max_missing"):
        strict.predict(Xd).compute()


def test_features_without_known_values_and_unmaskable_metrics_are_refused():
    X = _data(300, seed=5)
    empty = X.copy()
    empty[:, 2] = np.nan
    for norm in ("none", "standard"):
        with pytest.raises(ValueError, match=r"no known \(non-NaN\) value: columns \[2\]"):
            SOM((3, 3), missing="ignore", normalization=norm, max_missing=0.9).fit(
                da.from_array(empty, chunks=(100, 4)), epochs=1)
    with pytest.raises(ValueError, match="cannot be computed with missing values"):
        SOM((3, 3), missing="ignore", distance_metric="cosine").fit(
            da.from_array(X, chunks=(100, 4)), epochs=1)


# ------------------------------------------------ input the in-memory path accepts (and refuses)
def test_bool_and_dummy_columns_train_as_in_memory():
    # they were refused on Dask ("must be real-valued", "non-numeric columns") though accepted
    # in memory as 0 / 1, which the pandas message even recommends
    rng = np.random.default_rng(21)
    B = rng.normal(size=(600, 3)) > 0
    df = pd.get_dummies(pd.DataFrame({"a": rng.normal(size=600), "k": ["u", "v", "w"] * 200}))
    for mem, lazy in ((B, da.from_array(B, chunks=250)), (df, dd.from_pandas(df, npartitions=3))):
        a = SOM((4, 3), random_state=0).fit(mem, epochs=3)
        b = SOM((4, 3), random_state=0).fit(lazy, epochs=3)
        np.testing.assert_allclose(b.codebook_, a.codebook_, **TOL)
        np.testing.assert_array_equal(b.predict(lazy).compute(), a.predict(mem))


@pytest.mark.parametrize("dtype", ["Float64", "Int64"])
def test_nullable_columns_with_pd_na_train_as_in_memory(dtype):
    # pd.NA reached check_array as an object inside a partition task ("must be numeric")
    rng = np.random.default_rng(22)
    df = pd.DataFrame(rng.normal(size=(800, 2)), columns=["a", "b"])
    df["n"] = pd.array([1, None, 3, 4] * 200, dtype=dtype)
    a = SOM((4, 3), random_state=0, missing="ignore").fit(df, epochs=3)
    b = SOM((4, 3), random_state=0, missing="ignore").fit(dd.from_pandas(df, npartitions=2),
                                                           epochs=3)
    np.testing.assert_allclose(b.codebook_, a.codebook_, **TOL)
    with pytest.raises(ValueError, match=r"missing value\(s\) \(NaN\).*one partition"):
        SOM((4, 3), random_state=0).fit(dd.from_pandas(df, npartitions=2), epochs=1)


def test_a_nan_count_says_it_is_one_partitions():
    X = np.random.default_rng(23).normal(size=(2000, 4))
    X[::7, 0] = np.nan  # 286 in all, 71 or 72 in each partition of 500
    with pytest.raises(ValueError, match=r"counted in one partition of the Dask data"):
        SOM((5, 5)).fit(da.from_array(X, chunks=500), epochs=1)


def test_metrics_of_no_rows_are_refused_as_in_memory():
    som = SOM((5, 5), random_state=0).fit(_data(500, frac=0.0), epochs=2)
    empty = da.zeros((0, 4), chunks=(10, 4))
    for metric in (som.quantization_error, som.topographic_error, som.vacancy_rate):
        with pytest.raises(ValueError, match=r"at least 1 sample"):
            metric(empty)
        with pytest.raises(ValueError, match=r"at least 1 sample"):
            metric(np.zeros((0, 4)))


def test_zero_features_name_x():
    with pytest.raises(ValueError, match=r"^X must have at least 1 feature"):
        SOM((3, 3)).fit(da.zeros((10, 0), chunks=5), epochs=1)
