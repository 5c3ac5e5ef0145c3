"""Out-of-core and distributed training on Dask (somwidget.scale.dask).

Every result is checked against in-memory training or against numpy on the computed data:
the same initialisation and data must give the same codebook (float tolerance).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from somwidget import SOM
from somwidget.scale import _optional

da = pytest.importorskip("dask.array")
dd = pytest.importorskip("dask.dataframe")
import dask  # noqa: E402

from somwidget.scale import dask as sdask  # noqa: E402

TOL = dict(rtol=1e-9, atol=1e-9)


def _data(n=1200, d=4, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)) * np.arange(1, d + 1) + np.arange(d) * 3.0


def _uneven(X):
    """A Dask array with uneven partitions, one of them empty."""
    sizes = (0, 317, 383, 1, X.shape[0] - 701)
    arr = da.from_array(X, chunks=(sizes, (X.shape[1],)))
    assert arr.numblocks[0] == 5
    return arr


@pytest.fixture(autouse=True)
def _threaded():
    with dask.config.set(scheduler="threads"):
        yield


@pytest.mark.parametrize("params, fit", [
    (dict(lattice="hexa"), dict(epochs=5)),
    (dict(lattice="rect", normalization="standard"), dict(epochs=4, subsample_ratio=0.6)),
    (dict(initialization="random", normalization="minmax"), dict(epochs=3)),
    (dict(initialization="sample", normalization="logistic"), dict(epochs=3, learning_rate=0.5)),
    (dict(neighborhood="mexican_hat", normalization="log"), dict(epochs=3)),
    (dict(distance_metric="cityblock", neighborhood="bubble"), dict(epochs=3)),
])
def test_dask_fit_gives_the_in_memory_codebook(params, fit):
    X = _data()
    mem = SOM((6, 5), random_state=3, **params).fit(X, **fit)
    out = SOM((6, 5), random_state=3, **params).fit(_uneven(X), **fit)
    np.testing.assert_allclose(out.codebook_, mem.codebook_, **TOL)
    assert out.n_epochs_trained_ == mem.n_epochs_trained_
    for k, v in mem.normalizer_.params_.items():
        np.testing.assert_allclose(out.normalizer_.params_[k], v, rtol=1e-12, atol=1e-12)
    assert out._Xt is None  # no copy of the data in the model


def test_dask_fit_auto_and_second_fit_match_in_memory_training():
    X = _data(900)
    Xd = da.from_array(X, chunks=(200, 4))
    mem = SOM(random_state=0).fit_auto(X)
    out = SOM(random_state=0).fit_auto(Xd)
    assert out.mapsize_ == mem.mapsize_
    np.testing.assert_allclose(out.codebook_, mem.codebook_, **TOL)
    mem.fit(X[:500], epochs=2, radius_start=1.5)
    out.fit(Xd[:500], epochs=2, radius_start=1.5)  # continues: the fitted normaliser, no re-init
    np.testing.assert_allclose(out.codebook_, mem.codebook_, **TOL)


def test_moments_match_numpy_over_uneven_partitions():
    X = _data(1000, 5, seed=4) * 1e3 + 1e6  # large offset: the pairwise update must stay exact
    m, counts = sdask.moments(_uneven(X))
    assert m.n == 1000 and counts.tolist() == [0, 317, 383, 1, 299]
    np.testing.assert_allclose(m.mean, X.mean(axis=0), rtol=1e-14)
    np.testing.assert_allclose(m.covariance, np.cov(X, rowvar=False), rtol=1e-9)
    np.testing.assert_array_equal(m.lo, X.min(axis=0))
    np.testing.assert_array_equal(m.hi, X.max(axis=0))


def test_predict_and_transform_are_lazy_and_equal_in_memory_results():
    X = _data()
    som = SOM((5, 5), random_state=1).fit(X, epochs=3)
    Xd = da.from_array(X, chunks=(250, 4))
    p = som.predict(Xd)
    t = som.transform(Xd)
    assert isinstance(p, da.Array) and isinstance(t, da.Array)
    assert p.shape == (1200,) and t.shape == (1200, 25)
    np.testing.assert_array_equal(p.compute(), som.predict(X))
    np.testing.assert_allclose(t.compute(), som.transform(X), rtol=1e-12)
    # float32 data: float32 distances, lazily as in memory
    X32 = X.astype(np.float32)
    t32 = som.transform(da.from_array(X32, chunks=(250, 4)))
    assert t32.dtype == np.float32 and t32.compute().dtype == np.float32
    np.testing.assert_array_equal(t32.compute(), som.transform(X32))


def test_metrics_come_from_one_cached_pass(monkeypatch):
    X = _data()
    Xd = da.from_array(X, chunks=(300, 4))
    som = SOM((5, 4), random_state=2).fit(Xd, epochs=4)
    mem = SOM((5, 4), random_state=2).fit(X, epochs=4)
    calls = []
    real = sdask._block_metrics
    monkeypatch.setattr(sdask, "_block_metrics", lambda *a: calls.append(1) or real(*a))
    assert som.quantization_error() == pytest.approx(mem.quantization_error(), rel=1e-9)
    assert som.topographic_error() == pytest.approx(mem.topographic_error(), abs=1e-12)
    assert som.vacancy_rate() == pytest.approx(mem.vacancy_rate(), abs=1e-12)
    np.testing.assert_array_equal(som.hit_counts(), mem.hit_counts())
    assert len(calls) == 4  # four metrics, one best-two pass: one task per partition
    assert som.quantization_error(Xd[:600]) == pytest.approx(mem.quantization_error(X[:600]), rel=1e-9)
    assert len(calls) == 6
    som.fit(Xd, epochs=1)  # a new codebook invalidates the cache
    som.quantization_error()
    assert len(calls) == 10


def test_collect_history_and_callbacks_on_dask():
    X = _data(600)
    seen = []
    out = SOM((4, 4), random_state=5).fit(da.from_array(X, chunks=(150, 4)), epochs=3,
                                           collect_history=True, callbacks=seen.append)
    mem = SOM((4, 4), random_state=5).fit(X, epochs=3, collect_history=True)
    np.testing.assert_allclose(out.history_["quantization_error"],
                               mem.history_["quantization_error"], rtol=1e-9)
    assert [r.epoch for r in seen] == [1, 2, 3] and seen[-1].final


def test_training_curves_get_their_metrics_on_dask_without_a_history():
    from somwidget.widgets import TrainingCurves

    X = _data(600)
    curves = TrainingCurves()
    SOM((4, 4), random_state=5).fit(da.from_array(X, chunks=(150, 4)), epochs=3,
                                    callbacks=[curves])
    mem = SOM((4, 4), random_state=5).fit(X, epochs=3, collect_history=True)
    np.testing.assert_allclose(curves.data["quantization_error"],
                               mem.history_["quantization_error"], rtol=1e-9)
    curves.close()


def test_dask_dataframe_columns_become_feature_names_and_are_checked():
    X = _data(500, 3)
    df = dd.from_pandas(pd.DataFrame(X, columns=["a", "b", "c"]), npartitions=3)
    som = SOM((4, 3), random_state=0).fit(df, epochs=2)
    mem = SOM((4, 3), random_state=0).fit(pd.DataFrame(X, columns=["a", "b", "c"]), epochs=2)
    assert som.feature_names_in_ == ["a", "b", "c"]
    np.testing.assert_allclose(som.codebook_, mem.codebook_, **TOL)
    np.testing.assert_array_equal(som.predict(df).compute(), mem.predict(X))
    filtered = df[df.a > -1e9]  # unknown partition sizes
    np.testing.assert_allclose(som.transform(filtered).compute(), mem.transform(X), rtol=1e-12)
    assert som.quantization_error(filtered) == pytest.approx(mem.quantization_error(X), rel=1e-9)
    other = dd.from_pandas(pd.DataFrame(X, columns=["a", "b", "z"]), npartitions=2)
    with pytest.raises(ValueError, match="X has columns"):
        som.predict(other)
    with pytest.raises(ValueError, match="non-numeric columns"):
        SOM((3, 3)).fit(dd.from_pandas(pd.DataFrame({"a": [1.0, 2.0], "s": ["x", "y"]}),
                                       npartitions=1))


def test_training_never_materialises_the_data(monkeypatch):
    X = da.random.default_rng(0).normal(size=(4000, 3), chunks=(1000, 3))

    def refuse(*a, **k):
        raise AssertionError("the whole Dask array was brought into memory")

    monkeypatch.setattr(da.Array, "__array__", refuse)
    monkeypatch.setattr(da.Array, "compute", refuse)
    som = SOM((4, 4), random_state=0).fit(X, epochs=2)
    assert np.isfinite(som.codebook_).all() and som.quantization_error() > 0


def test_bad_dask_input_gets_clear_errors():
    X = _data(300)
    Xd = da.from_array(X, chunks=(100, 4))
    with pytest.raises(TypeError, match="fit_online presents samples one at a time"):
        SOM((3, 3)).fit_online(Xd)
    bad = X.copy()
    bad[250, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        SOM((3, 3)).fit(da.from_array(bad, chunks=(100, 4)), epochs=1)
    som = SOM((3, 3), random_state=0).fit(Xd, epochs=1)
    with pytest.raises(ValueError, match="3 features, but the model was fitted with 4"):
        som.predict(da.from_array(X[:, :3], chunks=(100, 3)))
    with pytest.raises(ValueError, match="2-D"):
        SOM((3, 3)).fit(da.from_array(X[:, 0], chunks=100))


def test_missing_dask_names_the_extra(monkeypatch):
    real = _optional.importlib.import_module

    def no_dask(name, *a):
        if name.split(".")[0] in ("dask", "distributed"):
            raise ImportError(f"No module named {name!r}", name=name)
        return real(name, *a)

    monkeypatch.setattr(_optional.importlib, "import_module", no_dask)
    fake = type("Array", (), {"__module__": "dask.array.core"})()  # looks like a Dask array
    with pytest.raises(ImportError, match=re.escape('pip install "somwidget[dask]"')):
        SOM((3, 3)).fit(fake)


def test_distributed_local_cluster_trains_the_same_map():
    distributed = pytest.importorskip("distributed")
    X = _data(800)
    mem = SOM((5, 4), random_state=7).fit(X, epochs=3)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster, distributed.Client(cluster):
        Xd = da.from_array(X, chunks=(200, 4))
        som = SOM((5, 4), random_state=7).fit(Xd, epochs=3)
        qe = som.quantization_error()
        labels = som.predict(Xd).compute()
        # weights, missing values and Box-Cox on the workers too
        XM, w = X.copy(), np.linspace(0.2, 2.0, 800)
        XM[::7, 1] = np.nan
        kw = dict(random_state=7, missing="ignore", normalization="boxcox")
        wm = SOM((5, 4), **kw).fit(da.from_array(XM, chunks=(200, 4)), epochs=2,
                                   sample_weight=da.from_array(w, chunks=300))
    ref = SOM((5, 4), **kw).fit(XM, epochs=2, sample_weight=w)
    np.testing.assert_allclose(wm.normalizer_.params_["lmbda"], ref.normalizer_.params_["lmbda"],
                               atol=1e-6)
    np.testing.assert_allclose(wm.codebook_, ref.codebook_, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(som.codebook_, mem.codebook_, **TOL)
    assert qe == pytest.approx(mem.quantization_error(), rel=1e-9)
    np.testing.assert_array_equal(labels, mem.predict(X))


def test_switching_between_dask_and_in_memory_data_uses_the_latest():
    X = _data(400)
    Xd = da.from_array(X, chunks=(100, 4))
    som = SOM((3, 3), random_state=0).fit(X, epochs=1)
    som.fit(Xd[:200], epochs=1)  # continues on Dask: X=None now means the Dask data
    assert som.hit_counts().sum() == 200
    som.fit(X[:300], epochs=1)  # back in memory
    assert som.hit_counts().sum() == 300


def test_dask_with_warm_start_false():
    X = _data(400)
    Xd = da.from_array(X, chunks=(100, 4))
    cold = SOM((3, 3), random_state=0, warm_start=False).fit(Xd, epochs=2)
    np.testing.assert_allclose(cold.codebook_, SOM((3, 3), random_state=0).fit(X, epochs=2).codebook_,
                               **TOL)


@pytest.mark.parametrize("kind", ["hexa", "rect", "toroidal_hexa", "cylindrical_rect"])
@pytest.mark.parametrize("n, d", [(1, 3), (7, 1), (60, 2), (500, 5)])
def test_reduced_moment_formulas_match_the_in_memory_initialisation(kind, n, d):
    from somwidget._principal_plane import pca_plane
    from somwidget.initialization import auto_mapsize, initialize_codebook, principal_components
    from somwidget.lattice import Lattice
    from somwidget.scale import moments as smom

    X = _data(n, d, seed=n) * np.linspace(1, 0.2, d)
    m, _ = smom.moments(da.from_array(X, chunks=(max(n // 3, 1), d)))
    vals, vecs = smom.eigen(m.covariance)
    _, ref_vals, _ = principal_components(X)
    np.testing.assert_allclose(vals, ref_vals, rtol=1e-9, atol=1e-12)
    assert smom.auto_mapsize_from(n, vals, kind) == auto_mapsize(X, kind)
    for shape in ((4, 6), (1, 5), (6, 3)):
        lat = Lattice(*shape, kind if kind != "toroidal_hexa" else "hexa")
        ref = initialize_codebook("pca", X, lat, np.random.default_rng(0))
        np.testing.assert_allclose(pca_plane(m.mean, vals, vecs, lat).codebook(), ref,
                                   rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("mapsize", [(8, 6), "auto"])
def test_the_pca_initialisation_works_at_1e154_as_in_memory(mapsize):
    # the reduced covariance overflowed: "Eigenvalues did not converge"
    X = np.random.default_rng(31).normal(size=(3000, 4)) * [0.5, 0.8, 1.2, 0.3] * 1e154
    a = SOM(mapsize, random_state=0).initialize(X)
    b = SOM(mapsize, random_state=0).initialize(da.from_array(X, chunks=700))
    assert b.codebook_.shape == a.codebook_.shape and np.isfinite(b.codebook_).all()
    np.testing.assert_allclose(b.codebook_ / 1e154, a.codebook_ / 1e154, rtol=1e-9, atol=1e-9)
