"""Inputs of the BMU search, the distance matrices and the small helpers (neighbourhood kernels,
label counts, argument checks): ties, accuracy, overflow, and malformed input refused with
errors that name the parameter."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.distance import cdist

from somwidget.bmu import distance_matrix, find_bmus
from somwidget.labels import code_counts
from somwidget.neighborhood import NEIGHBORHOODS, neighborhood_weights
from somwidget.validation import check_distances, check_positive


@pytest.fixture
def diag() -> np.ndarray:
    """Three prototypes on the diagonal."""
    return np.array([[0.0, 0.0], [4.0, 4.0], [2.0, 2.0]])


@pytest.fixture
def ties() -> np.ndarray:
    """One feature, many prototypes at distance 0 and 1 from the origin."""
    return np.array([[1.0, 1, 1, 1, 0, 0, 1, 0, 0, 0]]).T


def _stable_top(X: np.ndarray, W: np.ndarray, metric: str, k: int) -> np.ndarray:
    return np.argsort(cdist(X, W, metric), axis=1, kind="stable")[:, :k]


# ----------------------------------------------------------------------------- ties (k >= 2)

def test_ties_lowest_index_first_cityblock(ties):
    got = find_bmus(np.zeros((1, 1)), ties, metric="cityblock", k=2)[0]
    np.testing.assert_array_equal(got, [[4, 5]])


def test_ties_lowest_index_first_with_missing_values(ties):
    got = find_bmus(np.array([[0.0, np.nan]]), np.c_[ties, ties], k=2)[0]
    np.testing.assert_array_equal(got, [[4, 5]])


@pytest.mark.parametrize("metric", ["cityblock", "chebyshev", "sqeuclidean", "euclidean"])
@pytest.mark.parametrize("k", [2, 5])
def test_ties_match_stable_argsort_of_cdist(metric, k):
    rng = np.random.default_rng(1)
    X = rng.integers(0, 4, (300, 3)).astype(float)
    W = rng.integers(0, 4, (40, 3)).astype(float)
    np.testing.assert_array_equal(find_bmus(X, W, metric=metric, k=k)[0],
                                  _stable_top(X, W, metric, k))


def test_ties_masked_path_match_stable_argsort():
    rng = np.random.default_rng(2)
    X = rng.integers(0, 4, (200, 3)).astype(float)
    W = rng.integers(0, 4, (30, 3)).astype(float)
    X[:, 2] = np.nan  # the distances over the first two features, rescaled by 3/2
    want = _stable_top(X[:, :2], W[:, :2], "cityblock", 4)
    np.testing.assert_array_equal(find_bmus(X, W, metric="cityblock", k=4)[0], want)


@pytest.mark.parametrize("metric", ["euclidean", "sqeuclidean", "cityblock", "chebyshev"])
@pytest.mark.parametrize("k", [1, 4])
def test_masked_ties_with_fractions_far_from_origin(metric, k):
    # exact ties that the centred matrix products of the masked search round apart
    rng = np.random.default_rng(0)
    X = rng.integers(0, 4, (300, 3)).astype(float) + 1e6
    W = rng.integers(0, 4, (30, 3)) + rng.choice([0.0, 0.1, 0.3], (30, 3)) + 1e6
    X[:, 2] = np.nan
    factor = {"euclidean": np.sqrt(1.5), "sqeuclidean": 1.5, "cityblock": 1.5, "chebyshev": 1.0}
    want_d = cdist(X[:, :2], W[:, :2], metric) * factor[metric]
    want = np.argsort(want_d, axis=1, kind="stable")[:, :k]
    idx, dist = find_bmus(X, W, metric=metric, k=k)
    np.testing.assert_array_equal(idx, want)
    np.testing.assert_allclose(dist, np.take_along_axis(want_d, want, axis=1), rtol=1e-12)


def test_masked_search_beyond_squares_of_float64():
    # differences near 1e200: their squares overflow, the ranking must not
    X = np.array([[1e200, np.nan], [1e200, 5.0]])
    W = np.array([[-1e200, 0.0], [1e200, 1.0], [0.0, 0.0]])
    idx, dist = find_bmus(X, W, k=3)
    np.testing.assert_array_equal(idx, [[1, 2, 0], [1, 2, 0]])
    np.testing.assert_allclose(dist, [[0.0, np.sqrt(2) * 1e200, np.sqrt(2) * 2e200],
                                      [4.0, 1e200, 2e200]], rtol=1e-12)


# --------------------------------------------------------------- accuracy and magnitude

def test_distance_matrix_small_distances_match_cdist():
    W = np.array([[7.3, 9.1, 4.2], [1.0, 2.0, 3.0]])
    X = W[:1] + [[1e-6, 0, 0]]
    want = cdist(X, W)
    np.testing.assert_allclose(distance_matrix(X, W), want, rtol=1e-12, atol=0)
    np.testing.assert_array_equal(np.diag(distance_matrix(W, W)), [0.0, 0.0])


def test_distance_matrix_near_prototypes_far_from_origin():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(400, 6)) * 1e3 + 1e6
    W = X[:25] + rng.normal(size=(25, 6)) * 1e-4
    got = distance_matrix(X, W, chunk_size=64)
    np.testing.assert_allclose(got, cdist(X, W), rtol=1e-12, atol=0)
    np.testing.assert_allclose(distance_matrix(X, W, dtype=np.float32),
                               cdist(X, W).astype(np.float32), rtol=1e-6)


def test_huge_values_give_finite_distance_not_nan(diag):
    X = np.array([[1e308, 0.0]])
    idx, dist = find_bmus(X, diag)
    assert idx[0, 0] == 1
    np.testing.assert_allclose(dist[0, 0], np.hypot(1e308 - 4, 4), rtol=1e-12)
    np.testing.assert_allclose(distance_matrix(X, diag), [[1e308, 1e308, 1e308]], rtol=1e-12)


def test_overflowing_distance_is_inf_not_nan():
    W = np.array([[-1.5e308, 0.0], [-1.4e308, 0.0]])
    X = np.array([[1.5e308, 0.0]])
    idx, dist = find_bmus(X, W)
    assert np.isinf(dist[0, 0]) and idx[0, 0] in (0, 1)
    assert np.isinf(distance_matrix(X, W)).all()


# ------------------------------------------------------------------------- bad input

@pytest.mark.parametrize("func", [find_bmus, distance_matrix])
@pytest.mark.parametrize("metric", ["euclidean", "cityblock"])
def test_nan_in_codebook_refused(func, metric):
    with pytest.raises(ValueError, match="codebook"):
        func(np.array([[1.0, 1]]), np.array([[np.nan, 0], [1, 1], [5, 5]]), metric=metric)


@pytest.mark.parametrize("func", [find_bmus, distance_matrix])
@pytest.mark.parametrize("metric", ["euclidean", "cityblock"])
def test_inf_in_data_refused(func, metric, diag):
    with pytest.raises(ValueError, match="X contains 1 infinite value"):
        func(np.array([[np.inf, 0.0]]), diag, metric=metric)


@pytest.mark.parametrize("func", [find_bmus, distance_matrix])
def test_cosine_outside_domain_refused(func):
    with pytest.raises(ValueError, match="cannot compare X"):
        func(np.zeros((1, 2)), np.eye(2), metric="cosine")
    with pytest.raises(ValueError, match="cannot compare codebook"):
        func(np.eye(2), np.zeros((1, 2)), metric="cosine")


@pytest.mark.parametrize("func", [find_bmus, distance_matrix])
@pytest.mark.parametrize(
    ("X", "W", "match"),
    [
        (np.zeros((1, 3)), np.zeros((3, 2)), "X has 3 features but codebook has 2"),
        (np.zeros(2), np.zeros((3, 2)), "X must be 2-D"),
        (np.zeros((1, 2)), np.zeros(2), "codebook must be 2-D"),
        (np.zeros((1, 0)), np.zeros((2, 0)), "X must have at least 1 feature"),
        (np.zeros((1, 2)), np.zeros((0, 2)), "codebook must have at least 1"),
        (np.zeros((1, 2)) + 1j, np.zeros((3, 2)), "X must be real-valued"),
    ],
)
def test_malformed_input_named(func, X, W, match):
    with pytest.raises(ValueError, match=match):
        func(X, W)


def test_empty_data_still_searched(diag):
    idx, dist = find_bmus(np.zeros((0, 2)), diag, k=2)
    assert idx.shape == (0, 2) and dist.shape == (0, 2)


# ---------------------------------------------------------------- neighbourhood kernels

@pytest.mark.parametrize("name", NEIGHBORHOODS)
def test_kernel_on_a_scalar_distance(name):
    w = neighborhood_weights(name, 1.0, 2.0)
    assert isinstance(w, np.ndarray) and w.shape == ()
    np.testing.assert_allclose(w, neighborhood_weights(name, [1.0], 2.0)[0])


@pytest.mark.parametrize("name", NEIGHBORHOODS)
def test_kernel_at_infinite_distance_is_zero(name):
    np.testing.assert_array_equal(neighborhood_weights(name, [0.0, np.inf], 1.0), [1.0, 0.0])


def test_kernel_refuses_non_numeric_distances():
    with pytest.raises(TypeError, match="distances"):
        neighborhood_weights("gaussian", ["a"], 1.0)


def test_huge_integer_radius_named():
    with pytest.raises(ValueError, match="radius must be finite"):
        neighborhood_weights("gaussian", [1.0], 10**400)
    with pytest.raises(ValueError, match="start must be finite"):
        check_positive("start", 10**400)


# ---------------------------------------------------------------- label codes, distances

@pytest.mark.parametrize(("codes", "err"), [([0, 1.7], ValueError), ([0, np.nan], ValueError),
                                            (["a", "b"], TypeError)])
def test_code_counts_refuses_non_integer_codes(codes, err):
    with pytest.raises(err, match="codes must be integer"):
        code_counts([0, 1], codes, 2, 2)


def test_code_counts_integral_floats_and_no_class():
    np.testing.assert_array_equal(code_counts([0, 1, 1], [0, 1.0, -1], 2, 2), [[1, 0], [0, 1]])


@pytest.mark.parametrize(("bad", "match"), [([1, -5], r"d must be >= 0 .*-5"),
                                            ([1, np.nan], "d holds 1 NaN"),
                                            ([1, np.inf], "d holds 1 infinite")])
def test_check_distances_refuses_negative_and_non_finite(bad, match):
    with pytest.raises(ValueError, match=match):
        check_distances("d", bad, 2)


def test_check_distances_refuses_non_numeric():
    with pytest.raises(TypeError, match="d must be numbers"):
        check_distances("d", ["a", "b"], 2)
