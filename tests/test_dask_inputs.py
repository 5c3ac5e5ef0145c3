"""Dask inputs checked and analysed as in memory (somwidget.scale).

The metric's data domain and the training-space range checked per partition, the BMU caches
keyed on the metric, huge sample weights, refused weights leaving the model untouched,
degenerate PCA eigenvalues, the analyses without X after a Dask fit and the early input
errors. Expected values come from scipy's ``cdist`` on the codebook or from in-memory fits.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.distance import cdist

from somwidget import SOM

da = pytest.importorskip("dask.array")
import dask  # noqa: E402


@pytest.fixture(autouse=True)
def _threaded():
    with dask.config.set(scheduler="threads"):
        yield


@pytest.fixture
def X():
    return np.random.default_rng(0).normal(size=(300, 3))


@pytest.fixture
def Xd(X):
    return da.from_array(X, chunks=100)


def _lazy(A):
    return da.from_array(A, chunks=100)


# ------------------------------------------------------------------ 1: metric domain, range
@pytest.mark.parametrize("metric, bad", [
    ("dice", lambda X: X),
    ("jensenshannon", lambda X: X),
    ("cosine", lambda X: np.where(np.arange(300)[:, None] == 150, 0.0, X)),
])
def test_fit_refuses_data_outside_the_metric_domain(X, metric, bad):
    data = bad(X)
    with pytest.raises(ValueError, match=f"distance_metric='{metric}' cannot compare X") as mem:
        SOM(mapsize=(3, 3), random_state=0, distance_metric=metric).fit(data, epochs=2)
    with pytest.raises(ValueError, match=f"distance_metric='{metric}' cannot compare X") as lazy:
        SOM(mapsize=(3, 3), random_state=0, distance_metric=metric).fit(_lazy(data), epochs=2)
    assert "Dask data" in str(lazy.value)
    assert str(mem.value).split(" (rows")[0].split(":")[0] in str(lazy.value)


def test_cosine_zero_row_is_named_with_its_partition(X):
    Z = X.copy()
    Z[150] = 0.0
    with pytest.raises(ValueError, match=r"rows \[50\].*partition starting at row 100"):
        SOM(mapsize=(3, 3), random_state=0, distance_metric="cosine").fit(_lazy(Z), epochs=1)


def test_dice_model_refuses_invalid_dask_data_in_predict_and_metrics(X):
    U = np.random.default_rng(1).uniform(size=(300, 3))
    som = SOM(mapsize=(3, 3), random_state=0, distance_metric="dice").fit(_lazy(U), epochs=2)
    for call in (lambda: som.predict(_lazy(X)).compute(),
                 lambda: som.transform(_lazy(X)).compute(),
                 lambda: som.quantization_error(_lazy(X))):
        with pytest.raises(ValueError, match="distance_metric='dice' cannot compare X"):
            call()
    # valid data still scores: the BMU distances of cdist
    expected = cdist(U, som.codebook_, "dice").min(axis=1).mean()
    np.testing.assert_allclose(som.quantization_error(_lazy(U)), expected, rtol=1e-12)


def test_fit_refuses_values_beyond_the_training_limit(X):
    big = X * 1e295
    with pytest.raises(ValueError, match=r"X has values up to .*\(limit 1e\+290\)"):
        SOM(mapsize=(3, 3), random_state=0).fit(big, epochs=1)
    with pytest.raises(ValueError, match=r"X has values up to .*\(limit 1e\+290\)"):
        SOM(mapsize=(3, 3), random_state=0).fit(_lazy(big), epochs=1)


# ------------------------------------------------------------------ 2: the metric in the keys
@pytest.mark.parametrize("dask_fit", [False, True])
def test_metrics_follow_set_params_distance_metric(X, Xd, dask_fit):
    som = SOM(mapsize=(4, 4), random_state=0).fit(Xd if dask_fit else X, epochs=2)
    som.quantization_error()
    som.quantization_error(X)
    som.quantization_error(Xd)
    som.set_params(distance_metric="chebyshev")
    D = cdist(X, som.codebook_, "chebyshev")
    expected = D.min(axis=1).mean()
    np.testing.assert_allclose(som.quantization_error(), expected, rtol=1e-12)
    np.testing.assert_allclose(som.quantization_error(X), expected, rtol=1e-12)
    np.testing.assert_allclose(som.quantization_error(Xd), expected, rtol=1e-12)
    np.testing.assert_array_equal(som.predict(X), D.argmin(axis=1))
    np.testing.assert_array_equal(som.predict(Xd).compute(), D.argmin(axis=1))


# ------------------------------------------------------------------ 3: huge weights
@pytest.mark.parametrize("value", [1e306, 1e308])
@pytest.mark.parametrize("lazy_weights", [False, True])
def test_huge_weights_train_the_in_memory_map(X, Xd, value, lazy_weights):
    w = np.full(300, value)
    # equal weights: the unweighted map (independent of the weighted code paths)
    plain = SOM(mapsize=(4, 4), random_state=0).fit(X, epochs=2).codebook_
    mem = SOM(mapsize=(4, 4), random_state=0).fit(X, epochs=2, sample_weight=w).codebook_
    weights = da.from_array(w, chunks=50) if lazy_weights else w
    lazy = SOM(mapsize=(4, 4), random_state=0).fit(Xd, epochs=2, sample_weight=weights).codebook_
    assert np.isfinite(lazy).all()
    np.testing.assert_allclose(lazy, mem, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(lazy, plain, rtol=1e-9, atol=1e-12)


# ------------------------------------------------------------------ 4: degenerate PCA
def test_rounding_level_eigenvalue_gives_the_same_initial_codebook():
    t = np.random.default_rng(1).uniform(0, 40, 1000)
    C = np.c_[t, t * 9 / 5 + 32]
    kw = dict(mapsize=(5, 5), lattice="rect", normalization="standard", random_state=0)
    mem = SOM(**kw).initialize(C).codebook_
    lazy = SOM(**kw).initialize(da.from_array(C, chunks=250)).codebook_
    np.testing.assert_allclose(lazy, mem, rtol=0, atol=1e-13)
    # the second principal direction has no spread: the rows of each column coincide
    grid = mem.reshape(5, 5, 2)
    np.testing.assert_allclose(grid, np.broadcast_to(grid[:1], grid.shape), rtol=0, atol=1e-13)


# ------------------------------------------------------------------ 5: refused weights
def test_refused_dask_weights_leave_a_fitted_model_untouched(X):
    som = SOM(mapsize=(4, 4), random_state=0).fit(X, epochs=2)
    before = som.codebook_.copy()
    expected = cdist(X, before).min(axis=1).mean()
    with pytest.raises(ValueError, match="sample_weight must be non-negative"):
        som.fit(_lazy(X + 3), sample_weight=-da.ones(300, chunks=100))
    np.testing.assert_array_equal(som.codebook_, before)
    np.testing.assert_allclose(som.quantization_error(), expected, rtol=1e-12)
    assert "_dask_undo" not in som.__dict__


def test_refused_dask_weights_leave_a_fresh_model_unfitted(Xd):
    som = SOM(mapsize=(4, 4), random_state=0)
    with pytest.raises(ValueError, match="sample_weight must be non-negative"):
        som.fit(Xd, sample_weight=-da.ones(300, chunks=100))
    assert not som._is_initialized()


def test_initialize_alone_keeps_no_undo_state(Xd):
    som = SOM(mapsize=(4, 4), random_state=0).initialize(Xd)
    assert "_dask_undo" not in som.__dict__


# ------------------------------------------------------------------ 8: analyses after a Dask fit
@pytest.fixture
def fitted(Xd):
    return SOM(mapsize=(4, 4), random_state=0).fit(Xd, epochs=2)


def test_quality_map_and_somnium_error_without_X(X, fitted):
    D = cdist(X, fitted.codebook_)
    b, d = D.argmin(axis=1), D.min(axis=1)
    counts = np.bincount(b, minlength=16)
    sums = np.bincount(b, weights=d, minlength=16)
    expected = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
    np.testing.assert_allclose(fitted.quality_map(), expected, rtol=1e-12, equal_nan=True)
    np.testing.assert_allclose(fitted.quality_map(_lazy(X)), expected, rtol=1e-12,
                               equal_nan=True)
    mae = np.abs(X - fitted.codebook_[b]).mean()
    np.testing.assert_allclose(fitted.calculate_quantization_error(), mae, rtol=1e-12)
    np.testing.assert_allclose(fitted.calculate_quantization_error(_lazy(X)), mae, rtol=1e-12)


def test_distortion_without_X(X, fitted):
    D = cdist(X, fitted.codebook_)
    b = D.argmin(axis=1)
    xy = np.asarray(fitted.lattice_.coordinates, dtype=float)
    g2 = ((xy[b][:, None, :] - xy[None, :, :]) ** 2).sum(-1)
    r = fitted._last_radius
    expected = (np.exp(-g2 / (2 * r * r)) * D).sum()  # the Gaussian kernel
    np.testing.assert_allclose(fitted.distortion(), expected, rtol=1e-10)
    np.testing.assert_allclose(fitted.distortion(_lazy(X), radius=1.5),
                               (np.exp(-g2 / (2 * 1.5 ** 2)) * D).sum(), rtol=1e-10)


def test_label_counts_without_X(X, fitted):
    labels = np.array(list("ab") * 150)
    b = cdist(X, fitted.codebook_).argmin(axis=1)
    counts = fitted.label_counts(labels)
    for lab in "ab":
        np.testing.assert_array_equal(counts[lab].to_numpy(),
                                      np.bincount(b[labels == lab], minlength=16))
    props = fitted.label_proportions(labels)
    np.testing.assert_allclose(props.sum(axis=1).to_numpy()[np.bincount(b, minlength=16) > 0], 1)


def test_classification_table_without_X_names_the_dask_fit(fitted):
    with pytest.raises(ValueError, match="trained on a Dask collection.*pass X"):
        fitted.classification_table()


# ------------------------------------------------------------------ 9: early input errors
def test_unknown_column_count_is_refused_up_front(X):
    lazy = da.from_delayed(dask.delayed(lambda: X)(), shape=(np.nan, np.nan), dtype=float)
    with pytest.raises(ValueError, match="unknown number of columns.*shape="):
        SOM(mapsize=(4, 4)).fit(lazy)


def test_overflowing_standard_normalization_gives_the_in_memory_error(X):
    msg = "X is too wide for the 'standard' normalization: its scale overflow"
    with pytest.raises(ValueError, match=msg):
        SOM(mapsize=(3, 3), normalization="standard").fit(X * 1e200)
    with pytest.raises(ValueError, match=msg):
        SOM(mapsize=(3, 3), normalization="standard").fit(_lazy(X * 1e200))
