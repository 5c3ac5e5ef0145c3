"""Property-based tests over data x configuration (issue 11).

For any finite data and any configuration: training raises nothing but ValueError / TypeError,
never leaves a NaN codebook, and the BMUs are the exact argmin of the distances (scipy's cdist).
CI runs these derandomised (tests/conftest.py, profile "ci").
"""

from __future__ import annotations

import json
import warnings

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.spatial.distance import cdist

from somwidget import SOM
from somwidget.initialization import INITIALIZATIONS
from somwidget.lattice import LATTICES
from somwidget.neighborhood import NEIGHBORHOODS
from somwidget.normalization import NORMALIZATIONS

METRICS = ("euclidean", "cityblock", "chebyshev", "cosine", "correlation", "jensenshannon")
SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@st.composite
def datasets(draw) -> np.ndarray:
    n = draw(st.integers(1, 30))
    d = draw(st.integers(1, 4))
    scale = draw(st.sampled_from([1e-6, 1.0, 1e3, 1e6, 1e20]))
    values = st.floats(-1.0, 1.0, allow_nan=False, allow_infinity=False, width=64)
    X = draw(arrays(np.float64, (n, d), elements=values)) * scale
    if draw(st.booleans()):  # offset data (positive, far from 0)
        X = X + draw(st.sampled_from([0.0, 5.0, 1e4])) * scale
    return X


@st.composite
def configurations(draw) -> dict:
    return {
        "mapsize": (draw(st.integers(1, 5)), draw(st.integers(2, 5))),
        "lattice": draw(st.sampled_from(LATTICES)),
        "neighborhood": draw(st.sampled_from(NEIGHBORHOODS)),
        "normalization": draw(st.sampled_from(NORMALIZATIONS)),
        "initialization": draw(st.sampled_from(INITIALIZATIONS)),
        "distance_metric": draw(st.sampled_from(METRICS)),
        "random_state": draw(st.integers(0, 3)),
    }


def _train(X: np.ndarray, config: dict, online: bool, epochs: int) -> SOM | None:
    som = SOM(**config)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SparseMapWarning and friends are allowed
            if online:
                som.fit_online(X, epochs=epochs)
            else:
                som.fit(X, epochs=epochs)
    except (ValueError, TypeError):
        return None  # a clear refusal is a valid outcome
    return som


@SETTINGS
@given(X=datasets(), config=configurations(), online=st.booleans(), epochs=st.integers(1, 3))
def test_training_raises_only_clear_errors_and_keeps_the_codebook_finite(X, config, online, epochs):
    som = _train(X, config, online, epochs)
    if som is None:
        return
    assert som.codebook_.shape == (som.n_neurons_, X.shape[1])
    assert np.isfinite(som.codebook_).all()


@SETTINGS
@given(X=datasets(), config=configurations(), online=st.booleans())
def test_bmus_are_the_exact_argmin(X, config, online):
    som = _train(X, config, online, 2)
    if som is None:
        return
    Xt = som.normalizer_.transform(X)
    exact = cdist(Xt, som.codebook_, metric=som.distance_metric)
    if som.distance_metric == "jensenshannon":  # scipy: NaN for equal distributions with zeros
        exact = np.nan_to_num(exact, nan=0.0)
    assert np.isfinite(exact).all()  # refused up front otherwise
    bmus = som.predict(X)
    best = exact.min(axis=1)
    picked = exact[np.arange(len(X)), bmus]
    # the BMU is an exact argmin, up to float rounding of the distances themselves
    span = np.abs(Xt).max() + np.abs(som.codebook_).max() + 1e-300
    np.testing.assert_array_less(picked - best, 1e-5 * span + 1e-12)


@SETTINGS
@given(X=datasets(), config=configurations())
def test_a_saved_model_loads_and_predicts_exactly_as_before(X, config):
    som = _train(X, config, False, 1)
    if som is None:
        return
    clone = SOM.from_dict(json.loads(json.dumps(som.to_dict())))
    np.testing.assert_array_equal(clone.codebook_, som.codebook_)
    np.testing.assert_array_equal(clone.predict(X), som.predict(X))
