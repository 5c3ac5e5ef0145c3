"""Tests of somwidget.normalization: statistics, round trips, stored parameters, serialisation."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy import stats

from somwidget import SOM
from somwidget.normalization import (
    BOXCOX_LAMBDA_BOUNDS,
    NORMALIZATION_ALIASES,
    NORMALIZATIONS,
    Normalizer,
    make_normalizer,
)
from somwidget.validation import NotFittedError

INVERTIBLE = [n for n in NORMALIZATIONS if n != "l2"]


@pytest.fixture
def data() -> np.ndarray:
    rng = np.random.default_rng(0)
    X = np.column_stack(
        [
            rng.normal(10.0, 3.0, 80),
            rng.lognormal(0.0, 1.0, 80),  # positive, skewed
            rng.uniform(-5.0, 2.0, 80),  # has negatives: boxcox needs a shift
        ]
    )
    return X


def _data_strategy():
    """Small data sets with moderate, well-separated values (at least 2 distinct per column)."""
    return st.integers(3, 25).flatmap(
        lambda n: st.integers(1, 4).flatmap(
            lambda d: arrays(
                np.float64,
                (n, d),
                elements=st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False).map(
                    lambda v: round(v, 3)
                ),
            )
        )
    )


# --------------------------------------------------------------------------- fitted statistics


def test_standard_statistics(data):
    norm = make_normalizer("standard").fit(data)
    mean = data.sum(axis=0) / len(data)
    std = np.sqrt(((data - mean) ** 2).sum(axis=0) / len(data))
    np.testing.assert_allclose(norm.params_["mean"], mean)
    np.testing.assert_allclose(norm.params_["scale"], std)
    Y = norm.transform(data)
    np.testing.assert_allclose(Y.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(Y.std(axis=0), 1.0)


def test_minmax_is_per_feature_not_global(data):
    Y = make_normalizer("minmax").fit_transform(data)
    np.testing.assert_allclose(Y.min(axis=0), 0.0, atol=1e-15)
    np.testing.assert_allclose(Y.max(axis=0), 1.0)
    expected = (data - data.min(axis=0)) / (data.max(axis=0) - data.min(axis=0))
    np.testing.assert_allclose(Y, expected)


def test_constant_features_do_not_divide_by_zero():
    X = np.array([[1.0, 7.0], [2.0, 7.0], [4.0, 7.0]])
    for name in ("standard", "minmax", "logistic", "boxcox"):
        norm = make_normalizer(name).fit(X)
        Y = norm.transform(X)
        assert np.isfinite(Y).all(), name
        assert np.ptp(Y[:, 1]) == 0, name
        np.testing.assert_allclose(norm.inverse_transform(Y), X, err_msg=name)
    assert make_normalizer("standard").fit(X).params_["scale"][1] == 1.0
    np.testing.assert_array_equal(make_normalizer("minmax").fit_transform(X)[:, 1], 0.0)


def test_l2_rows_unit_length_zero_rows_stay_zero():
    X = np.array([[3.0, 4.0], [0.0, 0.0], [-1.0, 0.0]])
    norm = make_normalizer("l2").fit(X)
    Y = norm.transform(X)
    np.testing.assert_allclose(Y, [[0.6, 0.8], [0.0, 0.0], [-1.0, 0.0]])
    assert norm.invertible is False
    with pytest.raises(ValueError, match="not invertible"):
        norm.inverse_transform(Y)


def test_l2_at_any_magnitude_as_at_one():
    rng = np.random.default_rng(3)
    X = np.abs(rng.normal(size=(40, 5))) + 0.1
    X[3, 2] = np.nan  # a missing value: the row's known values
    norm = make_normalizer("l2").fit(X)
    by_hand = X / np.sqrt(np.nansum(X * X, axis=1, keepdims=True))
    np.testing.assert_array_equal(norm.transform(X), by_hand)  # bit-equal in float64's range
    for scale in (1e-200, 1e200, 1e-310, 1e300):  # squares would underflow / overflow
        # (X * 1e-310 is subnormal: its own rounding is ~1e-13 relative)
        np.testing.assert_allclose(norm.transform(X * scale), by_hand,
                                   rtol=1e-11 if scale < 1e-300 else 1e-15)
    X[3, 2] = 1.0
    som = SOM((4, 4), normalization="l2", random_state=0).fit(X, epochs=3)
    np.testing.assert_array_equal(som.predict(X * 1e-200), som.predict(X))
    tiny = SOM((4, 4), normalization="l2", random_state=0).fit(X * 1e-170, epochs=3)
    assert tiny.quantization_error() == pytest.approx(som.quantization_error(), rel=1e-9)


def test_log_formula_and_out_of_range_error(data):
    norm = make_normalizer("log").fit(data)
    np.testing.assert_allclose(norm.params_["min"], data.min(axis=0))
    np.testing.assert_allclose(
        norm.transform(data), np.log(1.0 + data - data.min(axis=0)), rtol=1e-12, atol=1e-15
    )
    bad = data[:2].copy()
    bad[0, 2] = data[:, 2].min() - 1.0  # exactly at the bound: log(0)
    with pytest.raises(ValueError, match=r"log1p\(x - min\).*columns \[2\]"):
        norm.transform(bad)
    # slightly below the fitted minimum (but above min - 1) is fine
    ok = data[:1] - 0.5 * (data[:1] - data.min(axis=0)) - 0.5
    assert np.isfinite(norm.transform(ok)).all()


def test_logistic_is_sigmoid_of_zscore(data):
    Y = make_normalizer("logistic").fit_transform(data)
    z = (data - data.mean(axis=0)) / data.std(axis=0)
    np.testing.assert_allclose(Y, 1.0 / (1.0 + np.exp(-z)))
    norm = make_normalizer("logistic").fit(data)
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        norm.inverse_transform(np.array([[0.5, 1.0, 0.2]]))


def test_boxcox_matches_scipy(data):
    norm = make_normalizer("boxcox").fit(data)
    lo, hi = data.min(axis=0), data.max(axis=0)
    shift = np.where(lo > 0, 0.0, np.minimum(1.0, hi - lo) - lo)
    np.testing.assert_allclose(norm.params_["shift"], shift)
    assert shift[1] == 0.0 and shift[2] > 0
    for j in range(data.shape[1]):
        b, lm = stats.boxcox(data[:, j] + shift[j])
        assert norm.params_["lmbda"][j] == pytest.approx(lm, rel=1e-6, abs=1e-9)
        z = (b - b.mean()) / b.std()
        # lambda agrees to the flatness of the likelihood (~1e-7): the transforms to ~1e-8
        np.testing.assert_allclose(norm.transform(data)[:, j], z, rtol=1e-6, atol=1e-7)
    with pytest.raises(ValueError, match="Box-Cox"):
        norm.transform(np.array([[0.0, 1.0, data[:, 2].min() - 5.0]]))


def test_boxcox_lambda_is_the_constrained_mle():
    rng = np.random.default_rng(1)
    x = 20.0 - rng.lognormal(0.0, 0.8, 200)  # left-skewed: unconstrained MLE lambda is ~12
    assert stats.boxcox(x)[1] > BOXCOX_LAMBDA_BOUNDS[1]
    norm = make_normalizer("boxcox").fit(x[:, None])
    lm = norm.params_["lmbda"][0]
    assert lm == pytest.approx(BOXCOX_LAMBDA_BOUNDS[1], abs=1e-6)
    # the log-likelihood is larger at the bound than anywhere inside the bounds
    grid = np.linspace(*BOXCOX_LAMBDA_BOUNDS, 41)
    assert stats.boxcox_llf(lm, x) >= max(stats.boxcox_llf(g, x) for g in grid) - 1e-9
    np.testing.assert_allclose(norm.inverse_transform(norm.transform(x[:, None]))[:, 0], x)


# --------------------------------------------------------------------------- stored parameters


@pytest.mark.parametrize("name", NORMALIZATIONS)
def test_transform_of_new_data_uses_stored_parameters(name, data):
    norm = make_normalizer(name).fit(data)
    before = {k: v.copy() for k, v in norm.params_.items()}
    new = data[:10] * 0.5 + np.abs(data[:10]) * 0.1 + 0.3  # different distribution, in range
    new = np.maximum(new, data.min(axis=0))
    Y_new = norm.transform(new)
    for k, v in before.items():
        np.testing.assert_array_equal(norm.params_[k], v)
    # a freshly fitted normaliser on the new data gives a different answer (so nothing refits)
    if name not in ("none", "l2"):
        assert not np.allclose(Y_new, make_normalizer(name).fit_transform(new))
    # rows are transformed independently of the batch they come in
    np.testing.assert_allclose(Y_new[:3], norm.transform(new[:3]))


@pytest.mark.parametrize("name", NORMALIZATIONS)
def test_to_dict_from_dict_round_trip(name, data):
    norm = make_normalizer(name).fit(data)
    d = json.loads(json.dumps(norm.to_dict()))  # plain JSON types only
    clone = Normalizer.from_dict(d)
    assert type(clone) is type(norm)
    assert clone.n_features_in_ == 3
    np.testing.assert_array_equal(clone.transform(data), norm.transform(data))
    if norm.invertible:
        Y = norm.transform(data)
        np.testing.assert_array_equal(clone.inverse_transform(Y), norm.inverse_transform(Y))


def test_unfitted_round_trip_and_not_fitted_error():
    d = make_normalizer("standard").to_dict()
    assert d == {"name": "standard", "n_features": None, "params": {}}
    clone = Normalizer.from_dict(d)
    with pytest.raises(NotFittedError, match="not fitted"):
        clone.transform(np.zeros((2, 2)))


@pytest.mark.parametrize(
    "bad, match",
    [
        ({"name": "zscore", "n_features": 1, "params": {}}, r"normalization must be one of 'none'.*'boxcox'"),
        ({"name": "standard", "n_features": 1}, "missing"),
        ({"name": "none", "n_features": 1, "params": {}, "x": 1}, "unexpected"),
        ({"name": "standard", "n_features": 2, "params": {"mean": [0.0, 1.0]}}, "exactly the keys"),
        ({"name": "standard", "n_features": 2, "params": {"mean": [0, 1], "scale": [1.0]}}, "list of 2"),
        ({"name": "standard", "n_features": 1, "params": {"mean": [0], "scale": [0.0]}}, "> 0"),
        ({"name": "standard", "n_features": 1, "params": {"mean": ["a"], "scale": [1]}}, "numbers"),
        ({"name": "minmax", "n_features": 1, "params": {"min": [None], "scale": [1]}}, "numbers"),
        ({"name": "log", "n_features": 1, "params": {"min": [float("nan")]}}, "finite"),
        ({"name": "none", "n_features": 0, "params": {}}, "positive integer"),
    ],
)
def test_from_dict_rejects_bad_content(bad, match):
    with pytest.raises(ValueError, match=match):
        Normalizer.from_dict(bad)


def test_from_dict_rejects_non_mapping():
    with pytest.raises(TypeError, match="mapping"):
        Normalizer.from_dict(["standard"])  # type: ignore[arg-type]


# --------------------------------------------------------------------------- names


def test_aliases_and_case():
    for alias, target in NORMALIZATION_ALIASES.items():
        assert make_normalizer(alias).name == target
        assert make_normalizer(alias.upper()).name == target
    assert make_normalizer("fwn").name == "standard"
    assert make_normalizer("01scale").name == "minmax"
    assert make_normalizer("euclidean").name == "l2"


def test_unknown_name_lists_allowed_values():
    with pytest.raises(ValueError) as exc:
        make_normalizer("zscore")
    msg = str(exc.value)
    assert "normalization" in msg and "'zscore'" in msg
    for n in NORMALIZATIONS:
        assert repr(n) in msg


def test_wrong_feature_count_and_bad_input(data):
    norm = make_normalizer("standard").fit(data)
    with pytest.raises(ValueError, match="fitted with 3"):
        norm.transform(data[:, :2])
    with pytest.raises(ValueError, match="2-D"):
        make_normalizer("minmax").fit(np.arange(5.0))
    with pytest.raises(ValueError, match="no known"):
        make_normalizer("standard").fit(np.array([[1.0, np.nan], [2.0, np.nan]]))


def test_nan_passes_through_and_statistics_ignore_it():
    X = np.array([[1.0, 2.0], [np.nan, 4.0], [3.0, np.nan], [5.0, 8.0]])
    for name in NORMALIZATIONS:
        norm = make_normalizer(name).fit(X)
        Y = norm.transform(X)
        np.testing.assert_array_equal(np.isnan(Y), np.isnan(X), err_msg=name)
        if norm.invertible:
            np.testing.assert_allclose(norm.inverse_transform(Y), X, err_msg=name)
    std = make_normalizer("standard").fit(X)
    np.testing.assert_allclose(std.params_["mean"], [3.0, 14.0 / 3.0])


# --------------------------------------------------------------------------- property tests


@pytest.mark.parametrize("name", INVERTIBLE)
@settings(max_examples=25, deadline=None)
@given(X=_data_strategy())
def test_round_trip_property(name, X):
    norm = make_normalizer(name).fit(X)
    Y = norm.transform(X)
    assert np.isfinite(Y).all()
    back = norm.inverse_transform(Y)
    scale = max(1.0, float(np.abs(X).max()))
    np.testing.assert_allclose(back, X, rtol=1e-7, atol=1e-7 * scale)


@settings(max_examples=25, deadline=None)
@given(X=_data_strategy())
def test_l2_property_unit_rows(X):
    Y = make_normalizer("l2").fit_transform(X)
    norms = np.linalg.norm(X, axis=1)
    np.testing.assert_allclose(np.linalg.norm(Y[norms > 0], axis=1), 1.0)
    np.testing.assert_array_equal(Y[norms == 0], 0.0)
    np.testing.assert_allclose(Y * norms[:, None], X, atol=1e-9 * max(1.0, np.abs(X).max()))


@pytest.mark.parametrize("X", [
    np.array([[6e6], [5e6], [5e6]]),  # lambda = -2 would map these onto 0.5 plus rounding noise
    np.array([[6.20632761e-14], [0.0]]),  # shifted to 1 they would be a few ulps apart
], ids=["large-values", "tiny-range-at-zero"])
def test_boxcox_never_standardises_rounding_noise_and_saved_models_load(X):
    # found by hypothesis (tests/test_properties.py): such fits saved models that could not load
    from somwidget import SOM

    som = SOM((1, 2), normalization="boxcox", initialization="random", random_state=0).fit(X)
    Z = som.normalizer_.transform(X) if hasattr(som, "normalizer_") else som._normalizer.transform(X)
    # the standardised feature keeps the data's order and spread: distinct rows about 2 apart
    assert abs(float(Z[0, 0] - Z[-1, 0])) > 1.0
    if len(X) == 3:
        assert Z[1, 0] == Z[2, 0]
    back = SOM.from_dict(som.to_dict())
    np.testing.assert_array_equal(back.predict(X), som.predict(X))


def test_boxcox_shift_moves_the_minimum_to_one_or_to_the_range():
    from somwidget._boxcox import boxcox_shift

    lo = np.array([2.0, -5.0, 0.0, 0.0, -3.0])
    hi = np.array([9.0, 2.0, 1e-13, 0.0, -3.0])
    np.testing.assert_array_equal(boxcox_shift(lo, hi), [0.0, 6.0, 1e-13, 1.0, 4.0])
