"""The numba online loop (somwidget._online_jit) makes the same updates as the numpy loop."""

from __future__ import annotations

import numpy as np
import pytest

from somwidget import SOM, _online_jit

pytest.importorskip("numba")
RNG = np.random.default_rng(3)
X = RNG.standard_normal((300, 5)) * [1.0, 2.0, 0.5, 1.0, 3.0] + 10.0


@pytest.mark.parametrize("kernel", sorted(_online_jit.KERNEL_CODES))
@pytest.mark.parametrize("lattice", ["hexa", "toroidal_rect"])
def test_compiled_loop_matches_numpy_loop(monkeypatch, kernel, lattice):
    def train() -> np.ndarray:
        som = SOM((6, 7), lattice=lattice, neighborhood=kernel, initialization="random",
                  random_state=0)
        som.fit_online(X, epochs=2, radius_start=3.0, radius_end=1.0, learning_rate_start=0.5)
        return som.codebook_

    monkeypatch.setenv("SOMWIDGET_NUMBA", "0")
    assert _online_jit.kernel() is None
    ref = train()
    monkeypatch.setenv("SOMWIDGET_NUMBA", "1")
    assert _online_jit.kernel() is not None
    got = train()
    np.testing.assert_allclose(got, ref, rtol=1e-9, atol=1e-9)
    # and training moved the map: the comparison is not between two untouched codebooks
    start = SOM((6, 7), lattice=lattice, neighborhood=kernel, initialization="random",
                random_state=0).initialize(X).codebook_
    assert np.abs(got - start).max() > 0.1


@pytest.mark.parametrize("kernel", ["gaussian", "bubble", "cut_gaussian", "epanechikov"])
def test_compiled_loop_reaches_radius_zero_like_numpy(monkeypatch, kernel):
    """A linear schedule may end at radius 0 (GEMA's period): the BMU alone, no division by 0."""
    def train() -> np.ndarray:
        som = SOM((5, 4), neighborhood=kernel, initialization="random", random_state=1)
        som.fit_online(X, epochs=2, radius_start=2.0, radius_end=0.0, learning_rate_start=0.5,
                       learning_rate_end=0.0, decay="linear")
        return som.codebook_

    monkeypatch.setenv("SOMWIDGET_NUMBA", "0")
    ref = train()
    monkeypatch.setenv("SOMWIDGET_NUMBA", "1")
    if _online_jit.kernel() is None:
        pytest.skip("numba is not installed")
    np.testing.assert_allclose(train(), ref, rtol=1e-9, atol=1e-9)
