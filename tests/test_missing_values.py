"""SOM(missing="ignore"): distances on the known components, masked training, impute.

Every expected value is computed here independently: distances with scipy's ``cdist`` on the
known columns of each row, batch and online updates with explicit loops.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.spatial.distance import cdist

from somwidget import SOM, bmu, masked
from somwidget.datasets import load_iris, load_wine
from somwidget.lattice import Lattice
from somwidget.neighborhood import neighborhood_weights
from somwidget.training import KernelOperator


def _with_nan(X: np.ndarray, fraction: float, seed: int) -> np.ndarray:
    """``X`` with MCAR missing values, each row keeping at least one known value."""
    rng = np.random.default_rng(seed)
    out = np.array(X, dtype=np.float64)
    blank = np.zeros(out.size, dtype=bool)
    blank[rng.choice(out.size, size=round(fraction * out.size), replace=False)] = True
    blank = blank.reshape(out.shape)
    blank[blank.all(axis=1), 0] = False
    out[blank] = np.nan
    return out


def _reference(X: np.ndarray, W: np.ndarray, metric: str = "euclidean") -> np.ndarray:
    """Row by row: ``cdist`` on the known columns, rescaled as R kohonen does."""
    d = X.shape[1]
    out = np.empty((X.shape[0], W.shape[0]))
    for i, x in enumerate(X):
        k = ~np.isnan(x)
        base = "euclidean" if metric == "sqeuclidean" else metric
        dist = cdist(x[k][None, :], W[:, k], metric=base)[0]
        if metric == "euclidean":
            dist = dist * np.sqrt(d / k.sum())
        elif metric == "sqeuclidean":
            dist = dist**2 * (d / k.sum())
        elif metric == "cityblock":
            dist = dist * (d / k.sum())
        out[i] = dist  # chebyshev: the maximum over the known columns, no rescaling
    return out


RNG = np.random.default_rng(7)
XM = _with_nan(RNG.normal(size=(120, 6)) * [1, 2, 3, 1, 5, 0.5], 0.3, seed=1)
W = RNG.normal(size=(20, 6)) * 2


@pytest.mark.parametrize("metric", ["euclidean", "sqeuclidean", "cityblock", "chebyshev"])
def test_distances_equal_cdist_on_the_known_columns_rescaled(metric):
    ref = _reference(XM, W, metric)
    np.testing.assert_allclose(bmu.distance_matrix(XM, W, metric=metric), ref, rtol=1e-10,
                               atol=1e-10)
    idx, dist = bmu.find_bmus(XM, W, metric=metric, k=3)
    np.testing.assert_allclose(dist, np.sort(ref, axis=1)[:, :3], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(np.take_along_axis(ref, idx, axis=1), dist, rtol=1e-12, atol=1e-12)


def test_masked_distances_keep_their_precision_far_from_the_origin():
    # timestamp-like offsets: the products run on codebook-centred values
    offset = 1.7e9
    X, C = XM[:30] + offset, W + offset
    ref = _reference(X, C)
    np.testing.assert_allclose(bmu.distance_matrix(X, C), ref, rtol=1e-6)
    idx, _ = bmu.find_bmus(X, C)
    assert (idx[:, 0] == ref.argmin(axis=1)).all()


def test_a_row_with_no_known_value_has_no_bmu():
    X = XM[:5].copy()
    X[2] = np.nan
    with pytest.raises(ValueError, match=r"1 row\(s\) with no known value"):
        bmu.find_bmus(X, W)


def _fitted(X, **kw):
    params = dict(mapsize=(4, 5), random_state=0, missing="ignore", max_missing=0.9)
    params.update(kw)
    return SOM(**params).fit(X, epochs=5)


def test_predict_transform_and_metrics_use_the_masked_distances():
    som = _fitted(XM, normalization="standard")
    Xt = (XM - np.nanmean(XM, axis=0)) / np.nanstd(XM, axis=0)  # the normaliser, by hand
    np.testing.assert_allclose(som.normalizer_.params_["mean"], np.nanmean(XM, axis=0))
    ref = _reference(Xt, som.codebook_)
    np.testing.assert_allclose(som.transform(XM), ref, rtol=1e-9, atol=1e-12)
    assert (som.predict(XM) == ref.argmin(axis=1)).all()
    order = np.argsort(ref, axis=1)
    best = np.sort(ref, axis=1)
    assert som.quantization_error() == pytest.approx(best[:, 0].mean(), rel=1e-12)
    adjacent = som.lattice_.adjacency()[order[:, 0], order[:, 1]]
    assert som.topographic_error() == pytest.approx(1 - np.mean(adjacent))
    q = som.quality_map()
    for j in range(som.n_neurons_):
        hits = order[:, 0] == j
        assert (np.isnan(q[j]) and not hits.any()) or q[j] == pytest.approx(best[hits, 0].mean())
    h = neighborhood_weights("gaussian", som.lattice_.grid_distances(), 1.5)
    assert som.distortion(radius=1.5) == pytest.approx(
        float((h[order[:, 0]] * ref).sum()), rel=1e-9)


def test_one_batch_epoch_skips_the_missing_components():
    lat = Lattice(3, 4, "hexa")
    X = XM[:60]
    W0 = RNG.normal(size=(12, 6))
    new, bmus = masked.batch_epoch_general(X, W0, KernelOperator(lat, "gaussian", 1.2),
                                           known=~np.isnan(X))
    b = _reference(X, W0).argmin(axis=1)
    assert (bmus == b).all()
    h = neighborhood_weights("gaussian", lat.grid_distances(), 1.2)
    expected = W0.copy()
    for i in range(12):
        for k in range(6):
            num = den = 0.0
            for n, x in enumerate(X):
                if not np.isnan(x[k]):
                    num += h[i, b[n]] * x[k]
                    den += h[i, b[n]]
            if den > 0:
                expected[i, k] = num / den
    np.testing.assert_allclose(new, expected, rtol=1e-12)


def test_a_component_no_sample_knows_keeps_its_value():
    # bubble kernel: unit 0's neighbourhood only sees samples whose component 2 is missing
    lat = Lattice(1, 6, "rect")
    W0 = np.array([[0.0, 0, 0], [1, 1, 1], [2, 2, 2], [3, 3, 3], [4, 4, 4], [5, 5, 5]])
    X = np.array([[0.1, 0.1, np.nan], [0.0, 0.2, np.nan], [5.0, 5.0, 5.0]])
    new, _ = masked.batch_epoch_general(X, W0, KernelOperator(lat, "bubble", 0.5),
                                        known=~np.isnan(X))
    np.testing.assert_allclose(new[0], [0.05, 0.15, 0.0])  # component 2 unchanged
    np.testing.assert_allclose(new[5], [5.0, 5.0, 5.0])
    np.testing.assert_array_equal(new[1:5], W0[1:5])  # no data: unchanged


def test_an_online_step_moves_only_the_known_components():
    som = _fitted(XM)
    before = som.codebook_.copy()
    x = np.array([0.5, np.nan, -1.0, np.nan, 2.0, 0.0])
    step = som.online_step(x, radius=1.0, learning_rate=0.5)
    b = int(_reference(x[None, :], before).argmin())
    assert step.bmu == b
    h = 0.5 * neighborhood_weights("gaussian", som.lattice_.grid_distances()[b], 1.0)
    known = ~np.isnan(x)
    expected = before.copy()
    expected[:, known] += h[:, None] * (x[known] - before[:, known])
    np.testing.assert_allclose(som.codebook_, expected, rtol=1e-12)
    np.testing.assert_array_equal(som.codebook_[:, ~known], before[:, ~known])


@pytest.mark.parametrize("load", [load_iris, load_wine])
def test_ten_percent_missing_values_give_a_map_close_to_the_complete_one(load):
    X = load(return_X_y=True)[0].to_numpy()
    X = (X - X.mean(axis=0)) / X.std(axis=0)  # one space for both maps
    Xm = _with_nan(X, 0.1, seed=0)
    assert 0.095 < np.isnan(Xm).mean() <= 0.1
    kw = dict(mapsize=(8, 6), normalization="none", random_state=0)
    complete = SOM(**kw).fit(X, epochs=20)
    incomplete = SOM(**kw, missing="ignore", max_missing=0.8).fit(Xm, epochs=20)
    qe, qe_missing = complete.quantization_error(X), incomplete.quantization_error(X)
    assert qe_missing == pytest.approx(qe, rel=0.05), (qe, qe_missing)
    # and online training copes as well
    online = SOM(**kw, missing="ignore", max_missing=0.8).fit_online(Xm, epochs=10)
    ref_online = SOM(**kw).fit_online(X, epochs=10)
    assert online.quantization_error(X) == pytest.approx(ref_online.quantization_error(X),
                                                         rel=0.08)


@pytest.mark.parametrize("kw", [
    dict(neighborhood="mexican_hat"), dict(neighborhood="bubble", lattice="toroidal_rect"),
    dict(distance_metric="cityblock"), dict(initialization="sample"),
    dict(normalization="minmax", initialization="random"),
])
def test_every_kernel_and_init_trains_on_incomplete_data(kw):
    som = _fitted(XM, **kw)
    assert np.isfinite(som.codebook_).all()
    som.fit_online(XM, epochs=2)
    assert np.isfinite(som.codebook_).all()
    assert np.isfinite(som.quantization_error()) and np.isfinite(som.distortion())


def test_impute_fills_each_nan_from_the_bmu_in_data_units():
    X = load_wine(return_X_y=True)[0]
    Xm = pd.DataFrame(_with_nan(X.to_numpy(), 0.15, seed=3), columns=X.columns,
                      index=X.index + 100)
    som = SOM((6, 6), normalization="standard", random_state=0, missing="ignore").fit(
        Xm, epochs=10)
    filled = som.impute(Xm)
    assert isinstance(filled, pd.DataFrame)
    assert list(filled.columns) == list(X.columns) and (filled.index == Xm.index).all()
    nan = Xm.isna().to_numpy()
    out = filled.to_numpy()
    assert not np.isnan(out).any()
    np.testing.assert_array_equal(out[~nan], Xm.to_numpy()[~nan])  # known values untouched
    p = som.normalizer_.params_
    b = _reference((Xm.to_numpy() - p["mean"]) / p["scale"], som.codebook_).argmin(axis=1)
    units = som.codebook_in_data_units()
    rows, cols = np.nonzero(nan)
    np.testing.assert_allclose(out[rows, cols], units[b[rows], cols], rtol=1e-12)
    # better than the column means on this correlated data
    err = np.abs(out - X.to_numpy())[nan].mean()
    err_mean = np.abs(np.nanmean(Xm.to_numpy(), axis=0)[cols] - X.to_numpy()[rows, cols]).mean()
    assert err < 0.8 * err_mean
    # arrays in, arrays out; complete rows unchanged
    arr = som.impute(Xm.to_numpy()[:5])
    assert isinstance(arr, np.ndarray) and arr.shape == (5, X.shape[1])


def test_impute_works_on_a_map_trained_on_complete_data():
    X = load_iris(return_X_y=True)[0].to_numpy()
    som = SOM((5, 5), random_state=0).fit(X, epochs=5)  # missing="raise"
    x = X[:3].copy()
    x[:, 2] = np.nan
    filled = som.impute(x)
    b = _reference(x, som.codebook_).argmin(axis=1)
    np.testing.assert_allclose(filled[:, 2], som.codebook_[b, 2])


def test_impute_refuses_a_normalisation_without_data_units():
    som = SOM((3, 3), normalization="l2", random_state=0, missing="ignore",
              max_missing=0.9).fit(np.abs(XM) + 1, epochs=1)
    with pytest.raises(ValueError, match=r"impute needs the codebook in data units.*'l2'"):
        som.impute(XM)


def test_rows_missing_too_much_are_refused_with_their_count():
    X = RNG.normal(size=(50, 4))
    X[[3, 10, 20], :3] = np.nan  # 3 of 4 missing
    X[30, :2] = np.nan  # 2 of 4: allowed at 0.5
    with pytest.raises(ValueError, match=r"X has 3 row\(s\) missing more than max_missing=0\.5 "
                                         r"of their 4 values.*rows 3, 10, 20"):
        SOM((3, 3), missing="ignore").fit(X)
    SOM((3, 3), missing="ignore", max_missing=0.75).fit(X, epochs=1)
    X[5] = np.nan  # a row with nothing known is refused at any threshold
    with pytest.raises(ValueError, match=r"1 row\(s\) missing more than max_missing=0\.99"):
        SOM((3, 3), missing="ignore", max_missing=0.99).fit(X)
    som = SOM((3, 3), missing="ignore", max_missing=0.75).fit(X[6:], epochs=1)
    with pytest.raises(ValueError, match=r"1 row\(s\) missing more than"):
        som.predict(X[:6])


def test_nan_without_the_option_is_an_error_naming_it():
    X = XM.copy()
    with pytest.raises(ValueError, match=r'X contains \d+ missing value\(s\) \(NaN\) in \d+ '
                                         r'row\(s\); pass missing="ignore"'):
        SOM((3, 3)).fit(X)
    som = SOM((3, 3), random_state=0).fit(np.nan_to_num(X), epochs=1)
    for method in (som.predict, som.transform, som.quantization_error):
        with pytest.raises(ValueError, match='missing="ignore"'):
            method(X)
    som.set_params(missing="ignore", max_missing=0.9)  # switched on a fitted map
    assert som.predict(X).shape == (X.shape[0],)
    with pytest.raises(ValueError, match=r"missing must be one of 'raise', 'ignore'"):
        SOM(missing="skip").fit(X)
    with pytest.raises(ValueError, match=r"max_missing must be a number in \[0, 1\)"):
        SOM(missing="ignore", max_missing=1.0).fit(X)


def test_infinite_values_are_refused_even_with_missing_ignore():
    X = XM.copy()
    X[0, 0] = np.inf
    with pytest.raises(ValueError, match=r"X contains 1 infinite value"):
        SOM((3, 3), missing="ignore").fit(X)


def test_a_metric_that_needs_every_component_is_refused_with_nan():
    with pytest.raises(ValueError, match=r"distance_metric='cosine' cannot be computed with "
                                         r"missing values.*'euclidean', 'sqeuclidean'"):
        SOM((3, 3), missing="ignore", distance_metric="cosine").fit(XM)
    # complete data: any metric still works with missing="ignore"
    SOM((3, 3), missing="ignore", distance_metric="cosine").fit(np.nan_to_num(XM), epochs=1)


def test_missing_ignore_changes_nothing_on_complete_data():
    X = np.nan_to_num(XM)
    a = SOM((4, 4), random_state=0).fit(X, epochs=3).fit_online(X, epochs=1)
    b = SOM((4, 4), random_state=0, missing="ignore").fit(X, epochs=3).fit_online(X, epochs=1)
    np.testing.assert_array_equal(a.codebook_, b.codebook_)


def test_the_missing_parameters_are_saved_with_the_model(tmp_path):
    som = _fitted(XM, max_missing=0.85)
    som.save(tmp_path / "m.json")
    again = SOM.load(tmp_path / "m.json")
    assert again.missing == "ignore" and again.max_missing == 0.85
    np.testing.assert_array_equal(again.predict(XM), som.predict(XM))


def test_nullable_columns_with_na_are_missing_values():
    df = pd.DataFrame({"a": pd.array([1, None, 3, 4, 5, 6], dtype="Int64"),
                       "b": [0.5, 1.5, np.nan, 2.0, 1.0, 0.0],
                       "c": pd.array([True, False, None, True, True, False], dtype="boolean")})
    with pytest.raises(ValueError, match=r"X contains 3 missing value"):
        SOM((2, 2)).fit(df)
    som = SOM((2, 2), random_state=0, missing="ignore", max_missing=0.7).fit(df, epochs=2)
    assert som.feature_names_in_ == ["a", "b", "c"]
    filled = som.impute(df)
    assert not filled.isna().any().any()
    # the same table as df.to_numpy() gives it (an object array holding pd.NA): the same gaps
    values = df.to_numpy()
    assert values.dtype == object and any(v is pd.NA for v in values.ravel())
    with pytest.raises(ValueError, match=r"X contains 3 missing value"):
        SOM((2, 2)).fit(values)
    again = SOM((2, 2), random_state=0, missing="ignore", max_missing=0.7).fit(values, epochs=2)
    np.testing.assert_array_equal(again.codebook_, som.codebook_)


def test_a_ragged_list_names_X():
    with pytest.raises(ValueError, match=r"^X must be a table of numbers, every row of the same"):
        SOM((2, 2)).fit([[1.0, 2.0], [3.0]])


def test_the_views_show_and_train_a_map_of_incomplete_data(no_leaked_threads):
    pytest.importorskip("bqplot")
    from somwidget.trainer import Trainer
    from somwidget.widgets import Explorer, InputSpaceView, Studio

    som = _fitted(XM, normalization="standard")
    view = InputSpaceView(som, XM)
    # a sample with gaps is drawn where its BMU fills them (training space, projected)
    row = int(np.flatnonzero(np.isnan(XM).any(axis=1))[0])
    xt = som.normalizer_.transform(XM[row:row + 1])[0]
    filled = np.where(np.isnan(xt), som.codebook_[som.predict(XM[row:row + 1])[0]], xt)
    np.testing.assert_allclose(view.data_xy[row], view.project(filled[None, :])[0], rtol=1e-9)
    assert np.isfinite(view.data_xy).all()
    view.close()
    for cls in (Explorer, Studio):
        widget = cls(som, XM)
        assert "image/svg+xml" in widget._repr_mimebundle_()
        widget.close()
    trainer = Trainer(som, XM, epochs=2)
    trainer.play()
    assert trainer.join(60)
    assert trainer.status == "finished" and np.isfinite(som.codebook_).all()
    trainer.close()
    with pytest.raises(ValueError, match='missing="ignore"'):
        Explorer(SOM((3, 3), random_state=0).fit(np.nan_to_num(XM), epochs=1), XM)


def test_masked_sums_do_not_depend_on_the_block_size():
    b = _reference(XM, W).argmin(axis=1)
    v = RNG.uniform(0, 2, size=XM.shape[0])
    S1, C1 = masked.unit_sums_general(XM, b, 20, weights=v, known=~np.isnan(XM), chunk_rows=7)
    S2, C2 = masked.unit_sums_general(XM, b, 20, weights=v, known=~np.isnan(XM))
    np.testing.assert_allclose(S1, S2, rtol=1e-12)
    np.testing.assert_allclose(C1, C2, rtol=1e-12)
    for j in (0, 5, 13):  # against a direct sum
        rows = b == j
        X0 = np.nan_to_num(XM[rows])
        np.testing.assert_allclose(S2[j], (v[rows, None] * X0).sum(axis=0), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(C2[j], (v[rows, None] * ~np.isnan(XM[rows])).sum(axis=0),
                                   rtol=1e-12)


@pytest.mark.parametrize("neighborhood", ["gaussian", "bubble", "mexican_hat"])
def test_online_training_on_incomplete_data_against_a_hand_written_loop(neighborhood):
    from somwidget.schedules import decay_schedule
    from somwidget.training import limit_inhibition

    X = XM[:40]
    kw = dict(mapsize=(3, 4), lattice="rect", neighborhood=neighborhood, random_state=0,
              missing="ignore", max_missing=0.9, initialization="random")
    som = SOM(**kw).initialize(X)
    W = som.codebook_.copy()
    grid = som.lattice_.grid_distances()
    lo, hi = np.nanmin(X, axis=0), np.nanmax(X, axis=0)
    radii = decay_schedule(2.0, 0.5, X.shape[0], "linear")
    rates = decay_schedule(0.4, 0.05, X.shape[0], "linear")
    for t, x in enumerate(X):
        b = int(_reference(x[None, :], W).argmin())
        h = neighborhood_weights(neighborhood, grid[b], radii[t])
        if neighborhood == "mexican_hat":
            limit_inhibition(h, 0.1)
        k = ~np.isnan(x)
        W[:, k] += (rates[t] * h)[:, None] * (x[k] - W[:, k])
        if neighborhood == "mexican_hat":
            W = np.clip(W, lo, hi)
    som.fit_online(X, epochs=1, radius_start=2.0, radius_end=0.5, learning_rate_start=0.4,
                   learning_rate_end=0.05, presentation="sequential")
    np.testing.assert_allclose(som.codebook_, W, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("metric", ["euclidean", "cityblock", "chebyshev"])
def test_masked_argmin_is_the_first_column_of_find_bmus_masked(metric):
    assert (bmu.masked_argmin(XM, W, metric=metric, chunk_size=17)
            == _reference(XM, W, metric).argmin(axis=1)).all()
