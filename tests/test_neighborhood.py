"""Neighbourhood kernels against their formulas."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from somwidget.lattice import Lattice
from somwidget.neighborhood import NEIGHBORHOODS, neighborhood_weights

D = np.array([0.0, 0.5, 1.0, 1.5, 2.0, 2.0000001, 3.0, 10.0])


def reference(name: str, d: float, r: float) -> float:
    """Scalar formulas written out independently (math, not numpy)."""
    import math

    g = math.exp(-d * d / (2 * r * r))
    if name == "gaussian":
        return g
    if name == "bubble":
        return 1.0 if d <= r else 0.0
    if name == "cut_gaussian":
        return g if d <= r else 0.0
    if name == "epanechikov":
        return max(0.0, 1 - d * d / (r * r))
    if name == "mexican_hat":
        return (1 - d * d / (r * r)) * g
    raise AssertionError(name)


@pytest.mark.parametrize("name", NEIGHBORHOODS)
@pytest.mark.parametrize("radius", [0.3, 1.0, 2.0, 4.5])
def test_matches_formula(name, radius):
    got = neighborhood_weights(name, D, radius)
    expected = [reference(name, d, radius) for d in D]
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-300)
    assert got.dtype == np.float64 and got.shape == D.shape


@pytest.mark.parametrize("name", ["bubble", "cut_gaussian", "epanechikov"])
def test_compact_kernels_exactly_zero_outside(name):
    w = neighborhood_weights(name, D, 2.0)
    assert (w[D > 2.0] == 0.0).all()
    assert (w[D < 2.0] > 0.0).all()


def test_values_at_known_points():
    assert neighborhood_weights("gaussian", [1.0], 1.0)[0] == pytest.approx(np.exp(-0.5))
    assert neighborhood_weights("epanechikov", [1.0], 2.0)[0] == pytest.approx(0.75)
    assert neighborhood_weights("mexican_hat", [2.0], 1.0)[0] == pytest.approx(-3 * np.exp(-2))
    assert neighborhood_weights("bubble", [2.0], 2.0)[0] == 1.0  # boundary is inside


@pytest.mark.parametrize("alias", ["epanechicov", "epanechnikov", "Epanechikov"])
def test_aliases(alias):
    np.testing.assert_array_equal(
        neighborhood_weights(alias, D, 1.5), neighborhood_weights("epanechikov", D, 1.5)
    )


@settings(max_examples=30, deadline=None)
@given(name=st.sampled_from(NEIGHBORHOODS), radius=st.floats(0.05, 20))
def test_squared_input_equivalent_and_peak_one(name, radius):
    lat = Lattice(4, 5, "toroidal_hexa")
    a = neighborhood_weights(name, lat.grid_distances(), radius)
    b = neighborhood_weights(name, lat.grid_distances_squared(), radius, squared=True)
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-300)
    np.testing.assert_array_equal(np.diag(a), 1.0)
    assert (a <= 1.0).all()


def test_bubble_on_hex_neighbours_at_radius_one():
    lat = Lattice(5, 5, "hexa")
    w = neighborhood_weights("bubble", lat.grid_distances()[12], 1.0)
    assert np.flatnonzero(w).tolist() == sorted([12, *lat.neighbors(12).tolist()])


@pytest.mark.parametrize("radius", [0, -1.0, float("nan"), float("inf")])
def test_radius_must_be_positive(radius):
    with pytest.raises(ValueError, match="radius"):
        neighborhood_weights("gaussian", D, radius)


def test_bad_name_and_distances():
    with pytest.raises(ValueError, match="neighborhood must be one of"):
        neighborhood_weights("triangle", D, 1.0)
    with pytest.raises(ValueError, match="non-negative"):
        neighborhood_weights("gaussian", [-1.0], 1.0)


@pytest.mark.parametrize("name", ["gaussian", "bubble", "cut_gaussian", "epanechikov",
                                  "mexican_hat"])
def test_a_vanishing_radius_is_the_bmu_alone_in_every_path(name):
    from somwidget import SOM
    from somwidget.training import kernel_row

    d2 = np.array([0.0, 0.75, 1.0, 2.0, 400.0])
    for radius in (1e-200, 1e-160, 1e-120, 1e-3):
        for w in (neighborhood_weights(name, d2, radius, squared=True),
                  kernel_row(name, d2, radius)):
            np.testing.assert_array_equal(np.abs(w), [1.0, 0.0, 0.0, 0.0, 0.0])
    X = np.random.default_rng(0).normal(size=(120, 3))
    # 1e-3: every other unit's weight underflows to 0 already; below, 1 / r^2 would overflow
    for fit in ("fit", "fit_online"):
        ref = getattr(SOM((4, 4), neighborhood=name, random_state=0), fit)(
            X, epochs=1, radius_start=1e-3, radius_end=1e-3).codebook_
        for radius in (1e-200, 1e-160):
            got = getattr(SOM((4, 4), neighborhood=name, random_state=0), fit)(
                X, epochs=1, radius_start=radius, radius_end=radius).codebook_
            np.testing.assert_array_equal(got, ref)
