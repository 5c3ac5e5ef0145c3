"""normalization="boxcox" on Dask: the maximum-likelihood exponents from one-pass reductions.

The exponents are checked against the in-memory BoxCoxNormalizer and against scipy's own
maximum-likelihood search; the passes over the data are counted.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from somwidget import SOM
from somwidget.normalization import make_normalizer

da = pytest.importorskip("dask.array")
import dask  # noqa: E402

from somwidget.scale import boxcox as sbox  # noqa: E402
from somwidget.scale.moments import fit_normalizer  # noqa: E402


@pytest.fixture(autouse=True)
def _threaded():
    with dask.config.set(scheduler="threads"):
        yield


def _skewed(n=1500, seed=0):
    rng = np.random.default_rng(seed)
    return np.column_stack([
        rng.lognormal(0.0, 1.0, n),             # lambda near 0
        rng.exponential(2.0, n) + 0.05,         # lambda near 0.25
        rng.uniform(1.0, 2.0, n),               # lambda near 1
        rng.normal(0.0, 1.0, n),                # negative values: shifted to a minimum of 1
        1e6 + rng.gamma(2.0, 3.0, n),           # a large offset: a flat likelihood, at a bound
        -(rng.lognormal(0.0, 0.6, n)),          # left-skewed: at the upper bound 2
        np.full(n, 7.5),                        # constant: lambda = 1
    ])


def _uneven(X):
    n = X.shape[0]
    return da.from_array(X, chunks=((0, 400, 1, 555, n - 956), (X.shape[1],)))


def test_the_dask_exponents_match_the_in_memory_fit():
    X = _skewed()
    mem = make_normalizer("boxcox").fit(X)
    out = fit_normalizer("boxcox", _uneven(X))
    interior = [0, 1, 2, 3, 5, 6]
    np.testing.assert_allclose(out.params_["lmbda"][interior], mem.params_["lmbda"][interior],
                               rtol=0, atol=1e-6)
    np.testing.assert_array_equal(out.params_["shift"], mem.params_["shift"])
    # feature 4 (x near 1e6): the likelihood rises towards lambda = -2, where the transform
    # would map the data onto 0.5 plus rounding noise; both searches stop where the transformed
    # values still have a relative spread of 1e-7 (the likelihood is flat there: any exponent
    # near it gives the same map up to a linear change)
    for fit in (mem, out):
        assert fit.params_["scale"][4] / abs(fit.params_["mean"][4]) >= 0.9e-7
        assert fit.params_["lmbda"][4] > -2.0
    assert out.params_["lmbda"][4] == pytest.approx(mem.params_["lmbda"][4], abs=0.01)
    np.testing.assert_allclose(out.params_["mean"][interior], mem.params_["mean"][interior],
                               rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(out.params_["scale"][interior], mem.params_["scale"][interior],
                               rtol=1e-6)
    assert out.params_["lmbda"][6] == 1.0
    # and against scipy's maximum-likelihood search (Brent's method), on the interior features
    for j in (0, 1, 2, 3):
        shifted = X[:, j] + out.params_["shift"][j]
        ref = stats.boxcox_normmax(shifted, method="mle", brack=(-1.0, 1.0))
        assert out.params_["lmbda"][j] == pytest.approx(ref, abs=2e-5)
        assert -2.0 < out.params_["lmbda"][j] < 2.0


def test_the_exponents_take_four_passes_and_the_transform_one():
    X = _skewed(600, seed=1)
    passes = []
    real = sbox._compute
    sbox._compute = lambda *g: passes.append(1) or real(*g)
    try:
        fit_normalizer("boxcox", da.from_array(X, chunks=(200, 7)))
    finally:
        sbox._compute = real
    assert len(passes) == 5  # + the moments pass (minimum and maximum) before them


def test_boxcox_with_missing_values_on_dask_matches_in_memory():
    X = _skewed(1200, seed=2)[:, :4]
    rng = np.random.default_rng(3)
    X[rng.random(X.shape) < 0.1] = np.nan
    many = np.isnan(X).sum(axis=1) > 2
    X[many] = np.nan_to_num(X[many], nan=1.5)
    mem = SOM((5, 4), normalization="boxcox", missing="ignore", random_state=0).fit(X, epochs=3)
    out = SOM((5, 4), normalization="boxcox", missing="ignore", random_state=0).fit(
        _uneven(X), epochs=3)
    np.testing.assert_allclose(out.normalizer_.params_["lmbda"], mem.normalizer_.params_["lmbda"],
                               atol=1e-6)
    np.testing.assert_allclose(out.codebook_, mem.codebook_, rtol=1e-5, atol=1e-5)


def test_a_boxcox_dask_fit_trains_the_in_memory_map():
    X = _skewed(900, seed=4)[:, [0, 1, 2, 3, 5]]  # not the feature whose scale is noise
    mem = SOM((5, 5), normalization="boxcox", random_state=1).fit(X, epochs=4)
    out = SOM((5, 5), normalization="boxcox", random_state=1).fit(_uneven(X), epochs=4)
    np.testing.assert_allclose(out.codebook_, mem.codebook_, rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(out.predict(_uneven(X)).compute(), mem.predict(X))
    np.testing.assert_allclose(out.normalizer_.inverse_transform(out.codebook_),
                               mem.normalizer_.inverse_transform(mem.codebook_), rtol=1e-5)


def test_boxcox_errors_on_dask_are_the_in_memory_ones():
    X = np.column_stack([np.linspace(1.0, 2.0, 50), np.r_[np.full(49, 1.0), 1.7e308]])
    with pytest.raises(ValueError, match="too wide for the 'boxcox' normalization"):
        make_normalizer("boxcox").fit(np.column_stack([X[:, 0], -X[:, 1]]))
    with pytest.raises(ValueError, match="too wide for the 'boxcox' normalization"):
        fit_normalizer("boxcox", da.from_array(np.column_stack([X[:, 0], -X[:, 1]]), chunks=20))
