"""sample_weight: weighted batch sums (= repeated rows), weighted online learning rates, checks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from somwidget import SOM
from somwidget.neighborhood import neighborhood_weights
from somwidget.schedules import decay_schedule

RNG = np.random.default_rng(3)
X = RNG.normal(size=(150, 4)) * [1.0, 3.0, 0.5, 2.0]
W_INT = RNG.integers(1, 5, size=150)


@pytest.mark.parametrize("kw", [
    dict(),
    dict(lattice="rect", neighborhood="bubble"),
    dict(lattice="toroidal_hexa", neighborhood="mexican_hat"),
    dict(neighborhood="epanechikov", distance_metric="cityblock"),
])
def test_integer_weights_give_the_batch_map_of_repeated_rows(kw):
    # "random" init draws from the data's bounding box, the same for both data sets
    make = lambda: SOM((6, 5), initialization="random", random_state=0, **kw)  # noqa: E731
    weighted = make().fit(X, epochs=8, sample_weight=W_INT)
    repeated = make().fit(np.repeat(X, W_INT, axis=0), epochs=8)
    np.testing.assert_allclose(weighted.codebook_, repeated.codebook_, rtol=0, atol=1e-10)
    assert weighted.quantization_error() != repeated.quantization_error()  # unweighted QE


def test_weights_and_missing_values_together_give_the_map_of_repeated_rows():
    Xm = X.copy()
    Xm[RNG.random(X.shape) < 0.1] = np.nan
    Xm[np.isnan(Xm).all(axis=1), 0] = 0.0
    make = lambda: SOM((4, 5), initialization="random", random_state=0,  # noqa: E731
                       missing="ignore", max_missing=0.9)
    weighted = make().fit(Xm, epochs=6, sample_weight=W_INT)
    repeated = make().fit(np.repeat(Xm, W_INT, axis=0), epochs=6)
    np.testing.assert_allclose(weighted.codebook_, repeated.codebook_, rtol=0, atol=1e-10)


def test_a_zero_weight_is_the_row_left_out():
    w = W_INT.copy()
    w[::3] = 0
    keep = w > 0
    a = SOM((4, 4), initialization="random", random_state=0).initialize(X[keep])
    b = SOM((4, 4), initialization="random", random_state=0).initialize(X[keep])
    a.fit(X, epochs=5, sample_weight=w)
    b.fit(np.repeat(X, w, axis=0), epochs=5)
    np.testing.assert_allclose(a.codebook_, b.codebook_, rtol=0, atol=1e-10)


def test_fit_auto_takes_weights_too():
    # 16 units: 10 rough and 20 fine epochs for 150 rows and for the repeated ones alike
    a = SOM((4, 4), initialization="random", random_state=0).fit_auto(X, sample_weight=W_INT)
    b = SOM((4, 4), initialization="random", random_state=0).fit_auto(np.repeat(X, W_INT, axis=0))
    np.testing.assert_allclose(a.codebook_, b.codebook_, rtol=0, atol=1e-10)
    c = SOM((4, 4), initialization="random", random_state=0).fit_auto(X)
    assert not np.allclose(a.codebook_, c.codebook_, atol=1e-3)


def _online_reference(X, w, mapsize, epochs, r0, r1, a0, a1):
    """Kohonen's rule, sequential, with the learning rate scaled by w_i / mean(w), by hand."""
    som = SOM(mapsize, lattice="rect", initialization="random", random_state=0).initialize(X)
    W = som.codebook_.copy()
    grid = som.lattice_.grid_distances()
    n = X.shape[0]
    radii = decay_schedule(r0, r1, epochs * n, "linear")
    rates = decay_schedule(a0, a1, epochs * n, "linear")
    scale = w / w.mean()
    t = 0
    for _ in range(epochs):
        for i in range(n):
            b = int(np.argmin(((W - X[i]) ** 2).sum(axis=1)))
            h = neighborhood_weights("gaussian", grid[b], radii[t])
            W += (min(1.0, rates[t] * scale[i]) * h)[:, None] * (X[i] - W)
            t += 1
    return W


def test_online_weights_scale_each_presentations_learning_rate():
    w = RNG.uniform(0, 3, size=X.shape[0])
    w[5] = 0.0
    w[7] = 40.0  # a rate above 1 is capped at 1
    expected = _online_reference(X, w, (4, 5), 2, 2.0, 0.5, 0.3, 0.02)
    som = SOM((4, 5), lattice="rect", initialization="random", random_state=0)
    som.fit_online(X, epochs=2, radius_start=2.0, radius_end=0.5, learning_rate_start=0.3,
                   learning_rate_end=0.02, presentation="sequential", sample_weight=w)
    np.testing.assert_allclose(som.codebook_, expected, rtol=1e-9, atol=1e-12)


def test_constant_weights_change_nothing():
    a = SOM((4, 4), random_state=0).fit_online(X, epochs=2, sample_weight=np.full(150, 2.5))
    b = SOM((4, 4), random_state=0).fit_online(X, epochs=2)
    np.testing.assert_array_equal(a.codebook_, b.codebook_)
    a = SOM((4, 4), random_state=0).fit(X, epochs=3, sample_weight=np.full(150, 2.5))
    b = SOM((4, 4), random_state=0).fit(X, epochs=3)
    np.testing.assert_allclose(a.codebook_, b.codebook_, rtol=1e-12)


def test_a_sample_of_weight_zero_never_moves_the_map_online():
    Xo = np.vstack([X, [[1e3, 1e3, 1e3, 1e3]]])  # a far outlier, weighted 0
    w = np.r_[np.ones(150), 0.0]
    som = SOM((4, 4), random_state=0).fit_online(Xo, epochs=2, sample_weight=w)
    assert som.codebook_.max() < 50
    reinforced = som.reinforce(Xo, reinforcement=1, sample_weight=w)
    assert reinforced.codebook_.max() < 50


def test_weights_may_be_a_list_or_a_series():
    df = pd.DataFrame(X, columns=list("abcd"), index=np.arange(150) + 1000)
    a = SOM((3, 3), random_state=0).fit(df, epochs=2, sample_weight=pd.Series(W_INT, index=df.index))
    b = SOM((3, 3), random_state=0).fit(X, epochs=2, sample_weight=list(W_INT))
    np.testing.assert_array_equal(a.codebook_, b.codebook_)


@pytest.mark.parametrize("weights, error, message", [
    (np.ones((150, 1)), ValueError, r"sample_weight must be 1-D"),
    (np.ones(149), ValueError, r"sample_weight has 149 weight\(s\) but X has 150 sample\(s\)"),
    (np.r_[np.ones(149), -1.0], ValueError, r"sample_weight must be non-negative; got 1 negative"),
    (np.r_[np.ones(149), np.nan], ValueError, r"sample_weight must be finite"),
    (np.zeros(150), ValueError, r"sample_weight must not be all zero"),
    (np.array(["1"] * 150), TypeError, r"sample_weight must be numbers"),
])
def test_bad_weights_are_refused_before_anything_changes(weights, error, message):
    for call in ("fit", "fit_online", "fit_auto"):
        som = SOM((3, 3), random_state=0)
        with pytest.raises(error, match=message):
            getattr(som, call)(X, sample_weight=weights)
        assert not hasattr(som, "codebook_")  # refused before initialisation


# --------------------------------------------------------------------------- bool columns
def test_a_get_dummies_frame_trains_as_its_zero_one_version():
    df = pd.DataFrame({"size": X[:, 0], "colour": RNG.choice(["red", "green", "blue"], 150),
                       "shape": RNG.choice(["round", "square"], 150)})
    dummies = pd.get_dummies(df)  # bool columns, pandas' default
    assert sum(pd.api.types.is_bool_dtype(t) for t in dummies.dtypes) == 5
    a = SOM((3, 4), random_state=0).fit(dummies, epochs=3)
    b = SOM((3, 4), random_state=0).fit(dummies.astype(float), epochs=3)
    np.testing.assert_array_equal(a.codebook_, b.codebook_)
    assert a.feature_names_in_ == list(dummies.columns)
    np.testing.assert_array_equal(a.predict(dummies), b.predict(dummies.astype(float)))


def test_numpy_bool_arrays_are_zero_one():
    B = RNG.random((60, 5)) < 0.4
    a = SOM((3, 3), random_state=0).fit(B, epochs=2)
    b = SOM((3, 3), random_state=0).fit(B.astype(np.float64), epochs=2)
    np.testing.assert_array_equal(a.codebook_, b.codebook_)


@pytest.mark.parametrize("method", ["fit", "fit_online"])
def test_weights_of_any_magnitude_train_the_map_their_ratios_give(method):
    rng = np.random.default_rng(3)
    X = rng.normal(size=(150, 3))
    w = rng.integers(1, 5, 150).astype(float)
    plain = getattr(SOM((4, 4), random_state=0), method)(X, epochs=2, sample_weight=w).codebook_
    for factor in (2.0**1000, 2.0**-1000):  # a power of two: the same sums, exactly
        got = getattr(SOM((4, 4), random_state=0), method)(X, epochs=2,
                                                           sample_weight=w * factor).codebook_
        np.testing.assert_array_equal(got, plain)
    huge = getattr(SOM((4, 4), random_state=0), method)(X, epochs=2,
                                                        sample_weight=w * 1e307).codebook_
    np.testing.assert_allclose(huge, plain, rtol=1e-9, atol=1e-12)  # NaN before (overflow)
