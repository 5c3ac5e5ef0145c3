"""The benchmark's floor (``benchmarks.scale.minimal_loop``) is the package's batch training,
stripped: the same codebook from the same initial one, so its time is a fair floor."""

from __future__ import annotations

import numpy as np

from benchmarks import scale
from somwidget import SOM


def test_the_minimal_loop_trains_the_same_map_as_the_package():
    X = np.random.default_rng(3).normal(size=(300, 5))
    side, epochs = 6, 4
    W0 = SOM((side, side), lattice="rect", random_state=0).initialize(X).codebook_
    got = scale.minimal_loop(X, W0, side, epochs)()
    som = SOM((side, side), lattice="rect", random_state=0).initialize(X)
    som.codebook_ = W0.copy()
    som.fit(X, epochs=epochs, radius_start=side / 4, radius_end=1.0, decay="linear")
    np.testing.assert_allclose(got, som.codebook_, rtol=1e-9, atol=1e-9)
