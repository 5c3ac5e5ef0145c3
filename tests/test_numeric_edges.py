"""Ordinary-looking input that used to escape as something other than a clear error (issue 11)."""

from __future__ import annotations

import time
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.spatial.distance import cdist

from somwidget import SOM
from somwidget.initialization import initialize_codebook
from somwidget.lattice import Lattice
from somwidget.normalization import BOXCOX_LAMBDA_BOUNDS, make_normalizer
from somwidget.validation import SparseMapWarning

rng = np.random.default_rng(7)
POSITIVE = np.abs(rng.normal(size=(60, 3))) + 0.1


# ------------------------------------------------------------------ Box-Cox
def test_boxcox_on_wide_range_data_is_the_constrained_mle_and_finite():
    r = np.random.default_rng(0)
    wide = np.column_stack([10 ** r.uniform(-300, 300, 40), 10 ** r.uniform(-5, 200, 40),
                            r.lognormal(0, 3, 40)])
    norm = make_normalizer("boxcox").fit(wide)
    lm = norm.params_["lmbda"]
    assert np.all((lm >= BOXCOX_LAMBDA_BOUNDS[0]) & (lm <= BOXCOX_LAMBDA_BOUNDS[1]))
    Y = norm.transform(wide)
    assert np.isfinite(Y).all()
    np.testing.assert_allclose(Y.mean(axis=0), 0.0, atol=1e-9)
    for j in range(wide.shape[1]):
        x = wide[:, j]
        grid = np.linspace(*BOXCOX_LAMBDA_BOUNDS, 401)
        with np.errstate(all="ignore"):
            scores = [stats.boxcox_llf(g, x) for g in grid]
            finite = [s for s, g in zip(scores, grid, strict=True)
                      if np.isfinite(s) and np.isfinite(stats.boxcox(x, g)).all()
                      and np.isfinite(np.var(stats.boxcox(x, g)))]
        with np.errstate(all="ignore"):
            mine = stats.boxcox_llf(lm[j], x)
        if np.isfinite(mine):  # scipy's own llf overflows where ours (log-space) does not
            assert mine >= max(finite) - 1e-6 * abs(max(finite))
    SOM((3, 3), normalization="boxcox", random_state=0).fit(wide, epochs=1)


def test_boxcox_is_fitted_vectorised_faster_than_one_scipy_fit_per_feature():
    X = np.random.default_rng(1).lognormal(size=(3000, 12))

    def best(f) -> float:
        times = []
        for _ in range(3):
            t0 = time.perf_counter()
            f()
            times.append(time.perf_counter() - t0)
        return min(times)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        per_feature = best(lambda: [stats.boxcox_normmax(X[:, j], method="mle") for j in range(12)])
    ours = best(lambda: make_normalizer("boxcox").fit(X))
    assert ours < 0.6 * per_feature
    ref = [stats.boxcox(X[:, j])[1] for j in range(12)]
    np.testing.assert_allclose(make_normalizer("boxcox").fit(X).params_["lmbda"], ref, atol=1e-6)


def test_boxcox_with_missing_values_ignores_them():
    X = np.random.default_rng(2).lognormal(size=(200, 2))
    Xn = X.copy()
    Xn[::7, 0] = np.nan
    lm = make_normalizer("boxcox").fit(Xn).params_["lmbda"]
    assert lm[0] == pytest.approx(stats.boxcox(X[~np.isnan(Xn[:, 0]), 0])[1], abs=1e-6)
    assert lm[1] == pytest.approx(stats.boxcox(X[:, 1])[1], abs=1e-6)


# ------------------------------------------------------------------ values near the float maximum
def test_random_initialisation_near_the_float_maximum_does_not_overflow():
    big = np.random.default_rng(0).uniform(-1, 1, size=(50, 2)) * 1.7e308
    lat = Lattice(3, 3, "rect")
    cb = initialize_codebook("random", big, lat, np.random.default_rng(0))
    assert np.isfinite(cb).all()
    assert (cb >= big.min(axis=0)).all() and (cb <= big.max(axis=0)).all()
    # ordinary ranges draw exactly what numpy's uniform draws
    small = np.random.default_rng(1).normal(size=(30, 2))
    np.testing.assert_array_equal(
        initialize_codebook("random", small, lat, np.random.default_rng(3)),
        np.random.default_rng(3).uniform(small.min(axis=0), small.max(axis=0), size=(9, 2)),
    )


@pytest.mark.parametrize("normalization", ["none", "standard", "minmax", "boxcox"])
def test_data_near_the_float_maximum_is_a_clear_value_error(normalization):
    big = np.random.default_rng(0).uniform(-1, 1, size=(50, 2)) * 1.7e308
    with pytest.raises(ValueError, match="overflow"):
        SOM((3, 3), normalization=normalization, initialization="random",
            random_state=0).fit(big, epochs=1)


def test_data_too_large_for_the_bmu_search_is_refused_not_mismatched():
    from scipy.spatial.distance import cdist

    # float32 squares of 1e20 overflow; the search shifts and scales first, so it stays exact
    X = np.random.default_rng(0).normal(size=(200, 3)) * 1e20
    som = SOM((4, 4), random_state=0).fit(X, epochs=1)
    np.testing.assert_array_equal(som.predict(X), cdist(X, som.codebook_).argmin(axis=1))
    SOM((4, 4), normalization="standard", random_state=0).fit(X, epochs=1)  # normalised: fine
    # beyond what float64 batch sums can hold: refused with the remedy, not mismatched
    huge = X * 1e275
    with pytest.raises(ValueError, match="rescale the data or use normalization='standard'"):
        SOM((4, 4), random_state=0).fit(huge, epochs=1)
    with pytest.raises(ValueError, match="X has values up to"):
        som.predict(huge)


# ------------------------------------------------------------------ metrics
@pytest.mark.parametrize(
    ("metric", "row", "match"),
    [
        ("cosine", [0.0, 0.0, 0.0], "all-zero rows"),
        ("correlation", [2.0, 2.0, 2.0], "all equal"),
        ("jensenshannon", [0.5, -0.1, 0.2], "negative values"),
        ("jensenshannon", [0.0, 0.0, 0.0], "zero sum"),
    ],
)
def test_metrics_with_non_finite_distances_are_refused_up_front(metric, row, match):
    X = POSITIVE.copy()
    X[4] = row
    with pytest.raises(ValueError, match=rf"distance_metric='{metric}'.*{match}.*rows \[4\]"):
        SOM((3, 3), distance_metric=metric, initialization="sample", random_state=0).fit(X)
    som = SOM((3, 3), distance_metric=metric, initialization="sample", random_state=0).fit(POSITIVE)
    assert np.isfinite(som.quantization_error()) and np.isfinite(som.umatrix()).all()
    with pytest.raises(ValueError, match=f"distance_metric='{metric}'"):
        som.predict(X)


def test_jensenshannon_between_equal_distributions_is_zero_not_nan():
    X = np.array([[0.97, 0.0, 0.0], [0.0, 1.0, 0.0], [0.5, 0.5, 0.0]] * 10)
    som = SOM((2, 3), distance_metric="jensenshannon", initialization="sample", random_state=0)
    som.fit(X, epochs=2)
    som.codebook_ = som.codebook_.copy()
    # two neighbours one bit apart, holding zeros: scipy's cdist gives NaN, not 0
    a, b = [0.9696969696969697, 0.0, 0.0], [0.9696969696969698, 0.0, 0.0]
    assert np.isnan(cdist([a], [b], metric="jensenshannon")).all()
    som.codebook_[:2] = [a, b]
    assert np.isfinite(som.umatrix()).all()
    assert np.isfinite(som.transform([a])).all() and som.predict([b])[0] in (0, 1)
    assert np.isfinite(som.quantization_error()) and som.predict(X[:1])[0] in (0, 1)
    som.fit_online(X, epochs=1)
    assert np.isfinite(som.codebook_).all() and np.isfinite(som.quantization_error())


def test_correlation_needs_two_features():
    with pytest.raises(ValueError, match="at least 2 features"):
        SOM((3, 3), distance_metric="correlation", random_state=0).fit(POSITIVE[:, :1])


def test_an_initial_codebook_outside_the_metric_domain_names_the_initialization():
    X = np.random.default_rng(0).dirichlet([0.1, 0.1, 0.1], size=80)  # near the corners
    with pytest.raises(ValueError, match=r"initial codebook.*initialization='pca'.*'sample'"):
        SOM((6, 6), distance_metric="jensenshannon", initialization="pca", random_state=0).fit(X)


# ------------------------------------------------------------------ odd array types
@pytest.mark.parametrize("dtype", ["datetime64[s]", "timedelta64[ms]"])
def test_dates_and_durations_are_refused(dtype):
    X = np.arange(12).reshape(6, 2).astype(dtype)
    with pytest.raises(ValueError, match="X holds dates or durations"):
        SOM((2, 2)).fit(X)


def test_a_complex_dataframe_column_is_refused():
    df = pd.DataFrame({"a": [1 + 2j, 3 + 1j, 2 + 0j, 1j], "b": [1.0, 2.0, 3.0, 4.0]})
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no ComplexWarning on the way
        with pytest.raises(ValueError, match=r"complex columns \['a'\]"):
            SOM((2, 2)).fit(df)


def test_a_masked_array_is_refused_naming_the_missing_option():
    X = np.ma.masked_array(np.ones((10, 2)), mask=np.eye(10, 2, dtype=bool))
    with pytest.raises(ValueError, match=r"masked array.*filled\(np\.nan\).*missing='ignore'"):
        SOM((2, 2)).fit(X)


# ------------------------------------------------------------------ map size
def test_a_map_far_larger_than_the_data_warns():
    with pytest.warns(SparseMapWarning, match="6 neurons for 1 sample"):
        SOM(random_state=0).fit(np.array([[1.0, 2.0]]))
    with pytest.warns(SparseMapWarning, match="100 neurons for 20 sample"):
        SOM((10, 10), random_state=0).fit(POSITIVE[:20], epochs=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error", SparseMapWarning)
        SOM((5, 5), random_state=0).fit(POSITIVE, epochs=1)


@pytest.mark.parametrize("normalization", ["standard", "minmax", "logistic", "boxcox"])
def test_a_feature_varying_only_by_rounding_counts_as_constant_and_the_model_reloads(normalization):
    """A column whose spread is at the float64 resolution of its values (5e-6 plus or minus
    1e-21: a few ulps) carries no information: it gets the constant feature's scale 1, so the
    codebook maps to data units and back and the saved model loads (hypothesis found a model
    that saved and then refused to load: 'the normalizer does not match the codebook')."""
    import json

    rng = np.random.default_rng(0)
    X = np.column_stack([5e-6 + rng.integers(0, 3, 60) * 1e-21, rng.normal(size=60)])
    assert np.ptp(X[:, 0]) > 0  # not exactly constant
    som = SOM((3, 3), normalization=normalization, random_state=0).fit(X, epochs=2)
    params = som.normalizer_.params_
    if normalization != "boxcox":
        assert params["scale"][0] == 1.0
    clone = SOM.from_dict(json.loads(json.dumps(som.to_dict())))
    np.testing.assert_array_equal(clone.predict(X), som.predict(X))
    # a small but real spread (1e-9 of the values) keeps its own scale
    Y = np.column_stack([5e-6 * (1 + 1e-9 * rng.normal(size=60)), rng.normal(size=60)])
    som2 = SOM((3, 3), normalization=normalization, random_state=0).fit(Y, epochs=2)
    if normalization != "boxcox":
        assert som2.normalizer_.params_["scale"][0] != 1.0
    SOM.from_dict(json.loads(json.dumps(som2.to_dict())))


@pytest.mark.parametrize("normalization", ["standard", "minmax"])
def test_on_dask_the_rounding_feature_counts_as_constant_too(normalization):
    da = pytest.importorskip("dask.array")
    rng = np.random.default_rng(0)
    X = np.column_stack([5e-6 + rng.integers(0, 3, 60) * 1e-21, rng.normal(size=60)])
    lazy = SOM((3, 3), normalization=normalization, random_state=0).initialize(
        da.from_array(X, chunks=20))
    eager = SOM((3, 3), normalization=normalization, random_state=0).initialize(X)
    assert lazy.normalizer_.params_["scale"][0] == eager.normalizer_.params_["scale"][0] == 1.0
    np.testing.assert_allclose(lazy.normalizer_.params_["scale"], eager.normalizer_.params_["scale"])


@pytest.mark.parametrize("online", [False, True])
def test_training_never_moves_a_prototype_out_of_the_metrics_domain(online):
    """Under the cosine distance the zero vector has no angle to anything: two samples -1 and 1
    (standardised) averaged into both neurons of a 1 x 2 map gave two zero prototypes and a NaN
    quantization error (found by the hypothesis BMU test). A prototype the update would put
    outside the metric's domain keeps its vector from before the update."""
    from scipy.spatial.distance import cdist

    X = np.array([[0.0], [1e-6]])
    som = SOM((1, 2), lattice="hexa", normalization="standard", initialization="random",
              distance_metric="cosine", random_state=1)
    if online:
        som.fit_online(X, epochs=3)
    else:
        som.fit(X, epochs=2)
    assert (np.linalg.norm(som.codebook_, axis=1) > 0).all()
    Xt = som.normalizer_.transform(X)
    exact = cdist(Xt, som.codebook_, metric="cosine")
    assert np.isfinite(exact).all()
    np.testing.assert_allclose(som.quantization_error(X), exact.min(axis=1).mean(), atol=1e-12)
    np.testing.assert_array_equal(exact[np.arange(2), som.predict(X)], exact.min(axis=1))


def test_the_log_normalization_refuses_data_whose_minimum_data_units_cannot_resolve():
    """log1p(x - min) with min = -1e20: float64 spacing there is 16384, so training-space values
    below log1p(16384) ~ 9.7 have no data-unit value; the map trained but its saved model
    refused to load (hypothesis). Now the fit says so, naming the normalization; a minimum of
    millisecond timestamps (1.7e12, spacing 2.4e-4) is still fine and its model reloads."""
    import json

    X = np.array([[0.0], [-1e20], [-1e20]])
    with pytest.raises(ValueError, match=r"too wide for the 'log' normalization.*columns \[0\]"):
        SOM((1, 2), normalization="log", random_state=0).fit(X, epochs=1)
    ms = 1.7e12 + np.random.default_rng(0).integers(0, 10**6, size=(50, 1)).astype(float)
    som = SOM((2, 2), normalization="log", random_state=0).fit(ms, epochs=2)
    clone = SOM.from_dict(json.loads(json.dumps(som.to_dict())))
    np.testing.assert_array_equal(clone.predict(ms), som.predict(ms))
    da = pytest.importorskip("dask.array")
    with pytest.raises(ValueError, match=r"too wide for the 'log' normalization"):
        SOM((1, 2), normalization="log", random_state=0).initialize(da.from_array(X, chunks=2))


@pytest.mark.parametrize("normalization", ["standard", "minmax", "boxcox"])
def test_a_huge_constant_feature_still_maps_its_prototypes_back(normalization):
    """One sample at 5e20 (a constant feature): its scale was 1, below the float64 spacing there
    (65536), so an initial prototype at -0.5 in training space was 5e20 again in data units and
    the saved model refused to load (hypothesis). The constant's scale is now 1e-9 of its
    magnitude beyond 1e9 (5e11 here); below that it stays 1."""
    import json

    X = np.array([[5e20, 3.0]])
    som = SOM((1, 3), normalization=normalization, initialization="random_negative",
              neighborhood="bubble", random_state=0).fit(X, epochs=1)
    if normalization != "boxcox":
        np.testing.assert_allclose(som.normalizer_.params_["scale"], [5e11, 1.0], rtol=1e-12)
    clone = SOM.from_dict(json.loads(json.dumps(som.to_dict())))
    np.testing.assert_array_equal(clone.codebook_, som.codebook_)


@pytest.mark.parametrize("normalization", ["none", "standard"])
def test_predicting_far_values_says_what_overflows_without_training_advice(normalization):
    # predict on 1e300 said "the per-neuron sums of training would overflow" and suggested
    # normalization='standard' to a model that had it
    rng = np.random.default_rng(16)
    som = SOM((6, 5), random_state=0, normalization=normalization).fit(
        rng.normal(size=(500, 4)), epochs=2)
    with pytest.raises(ValueError, match="distances to the map would overflow") as err:
        som.predict(rng.normal(size=(50, 4)) * 1e300)
    assert "training" not in str(err.value) and "use normalization" not in str(err.value)
    with pytest.raises(ValueError, match="sums of training would overflow"):
        SOM((6, 5), random_state=0).fit(rng.normal(size=(50, 4)) * 1e300, epochs=1)


@pytest.mark.parametrize("metric", ["hamming", "jaccard", "rogerstanimoto", "russellrao",
                                    "sokalsneath", "yule"])
def test_boolean_metrics_are_refused_for_training_and_kept_for_given_vectors(metric):
    from somwidget.bmu import find_bmus

    rng = np.random.default_rng(0)
    B = (rng.random((80, 6)) < 0.4).astype(float)
    # what they would do: a trained map's prototypes are fractions, all read as True
    W = SOM((3, 3), random_state=0, distance_metric="euclidean").fit(B, epochs=3).codebook_
    assert len(np.unique(cdist(B, W, metric=metric).argmin(axis=1))) <= 2
    som = SOM((3, 3), distance_metric=metric, random_state=0)
    for call in (lambda: som.fit(B), lambda: som.fit_online(B), lambda: som.initialize(B)):
        with pytest.raises(ValueError, match=rf"distance_metric='{metric}'.*'dice'.*'cityblock'"):
            call()
    assert not som._is_initialized()
    # comparing given vectors stays what scipy computes
    idx, dist = find_bmus(B, B[:5], metric=metric, k=1)
    np.testing.assert_allclose(dist[:, 0], cdist(B, B[:5], metric=metric).min(axis=1))


def test_dice_trains_on_fuzzy_data_and_refuses_values_outside_0_1():
    rng = np.random.default_rng(1)
    B = (rng.random((120, 6)) < 0.4).astype(float)
    som = SOM((3, 3), distance_metric="dice", random_state=0).fit(B, epochs=4)
    assert som.codebook_.min() >= 0 and som.codebook_.max() <= 1
    d = cdist(B, som.codebook_, metric="dice")
    assert (d >= 0).all()
    np.testing.assert_allclose(som.quantization_error(B), d.min(axis=1).mean(), rtol=1e-12)
    assert len(np.unique(som.predict(B))) >= 5  # the map spreads the data
    X = rng.normal(size=(50, 3))  # real values: negative distances before
    with pytest.raises(ValueError, match=r"dice.*outside \[0, 1\].*minmax"):
        SOM((3, 3), distance_metric="dice").fit(X)
    fitted = SOM((3, 3), distance_metric="dice", normalization="minmax", random_state=0).fit(X)
    assert fitted.quantization_error(X) >= 0
