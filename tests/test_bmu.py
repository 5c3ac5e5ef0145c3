"""BMU search and distance matrices against scipy's cdist."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.spatial.distance import cdist

from somwidget.bmu import METRICS, distance_matrix, find_bmus


def _reference(X, W, metric, k):
    D = cdist(X, W, metric=metric)
    idx = np.argsort(D, axis=1, kind="stable")[:, :k]
    return idx, np.take_along_axis(D, idx, axis=1)


@pytest.mark.parametrize("metric", ["euclidean", "chebyshev", "cityblock", "cosine", "sqeuclidean"])
@pytest.mark.parametrize("chunk_size", [None, 7])
def test_bmus_match_cdist(metric, chunk_size):
    rng = np.random.default_rng(0)
    X = rng.normal(5.0, 2.0, size=(211, 5))
    W = rng.normal(5.0, 2.0, size=(23, 5))
    for k in (1, 2, 3):
        idx, dist = find_bmus(X, W, metric=metric, k=k, chunk_size=chunk_size)
        ridx, rdist = _reference(X, W, metric, k)
        np.testing.assert_array_equal(idx, ridx)
        np.testing.assert_allclose(dist, rdist, rtol=1e-10, atol=1e-12)


def test_chebyshev_with_negative_differences():
    # max |x - w| must use the absolute value (MiniSom's chebyshev returns 0 here)
    X = np.array([[-3.0, 0.0], [0.0, -3.0]])
    W = np.array([[0.0, 0.0], [-2.5, 0.0], [0.0, -1.0]])
    idx, dist = find_bmus(X, W, metric="chebyshev", k=3)
    np.testing.assert_array_equal(idx, [[1, 0, 2], [2, 0, 1]])
    np.testing.assert_allclose(dist, [[0.5, 3.0, 3.0], [2.0, 3.0, 3.0]])


@pytest.mark.parametrize("metric", ["euclidean", "chebyshev", "cityblock"])
def test_ties_pick_the_lowest_index(metric):
    # x = 0 is equidistant from units 1 and 2 (and units 0 and 3 are duplicates)
    W = np.array([[5.0, 5.0], [1.0, 0.0], [0.0, 1.0], [5.0, 5.0]])
    X = np.array([[0.0, 0.0], [5.0, 5.0]])
    idx, dist = find_bmus(X, W, metric=metric, k=2)
    ridx, rdist = _reference(X, W, metric, 2)
    np.testing.assert_array_equal(idx, ridx)
    np.testing.assert_array_equal(idx, [[1, 2], [0, 3]])
    np.testing.assert_allclose(dist, rdist)


@pytest.mark.parametrize("metric", ["euclidean", "chebyshev", "correlation"])
def test_distance_matrix_matches_cdist(metric):
    rng = np.random.default_rng(1)
    X = rng.normal(100.0, 3.0, size=(97, 4))  # far from the origin: tests the centring
    W = rng.normal(100.0, 3.0, size=(13, 4))
    np.testing.assert_allclose(
        distance_matrix(X, W, metric=metric, chunk_size=10), cdist(X, W, metric=metric),
        rtol=1e-9, atol=1e-9,
    )


def test_every_listed_metric_is_accepted_by_cdist():
    rng = np.random.default_rng(2)
    X = rng.random((9, 3))
    W = rng.random((4, 3))
    for metric in METRICS:
        idx, dist = find_bmus(X, W, metric=metric, k=1)
        np.testing.assert_allclose(dist[:, 0], cdist(X, W, metric=metric).min(axis=1))


def test_unknown_metric_is_refused_with_the_allowed_names():
    with pytest.raises(ValueError, match="distance_metric must be one of .*'chebyshev'"):
        find_bmus(np.zeros((2, 2)), np.zeros((3, 2)), metric="mahalanobis")


@settings(max_examples=25, deadline=None)
@given(
    X=arrays(np.float64, st.tuples(st.integers(1, 30), st.just(3)),
             elements=st.floats(-50, 50, allow_nan=False, width=32)),
    W=arrays(np.float64, st.tuples(st.integers(2, 12), st.just(3)),
             elements=st.floats(-50, 50, allow_nan=False, width=32)),
)
def test_euclidean_bmu_distance_is_the_minimum(X, W):
    # the float32 search may pick either of two units closer than float32 rounding, but the
    # reported distance is exact and (up to that rounding) the minimum
    idx, dist = find_bmus(X, W, k=1)
    ref = cdist(X, W)
    np.testing.assert_allclose(dist[:, 0], ref[np.arange(len(X)), idx[:, 0]], rtol=1e-12, atol=1e-12)
    assert np.all(dist[:, 0] <= ref.min(axis=1) + 1e-4 * (1 + np.abs(X).max() + np.abs(W).max()))
