"""Tests of somwidget.initialization: init strategies against independent constructions, auto size."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from somwidget.initialization import (
    INITIALIZATIONS,
    auto_mapsize,
    initialize_codebook,
    principal_components,
)
from somwidget.lattice import Lattice


def _correlated(n: int = 200, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(n, 3)) * [5.0, 2.0, 0.5]
    rot = np.linalg.qr(rng.normal(size=(3, 3)))[0]
    return z @ rot.T + [10.0, -3.0, 7.0]


def _svd_pcs(X: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Independent PCA: SVD of the centred data, signs fixed as documented."""
    mean = X.mean(axis=0)
    _, s, vt = np.linalg.svd(X - mean, full_matrices=False)
    lam = s**2 / (len(X) - 1)
    vecs = []
    for v in vt:
        if v[np.argmax(np.abs(v))] < 0:
            v = -v
        vecs.append(v)
    return mean, lam, np.array(vecs)


# --------------------------------------------------------------------------- random / sample


def test_random_within_bounding_box_and_spans_it():
    X = _correlated()
    W = initialize_codebook("random", X, Lattice(20, 25, "rect"), np.random.default_rng(1))
    assert W.shape == (500, 3)
    lo, hi = X.min(axis=0), X.max(axis=0)
    assert (W >= lo).all() and (W <= hi).all()
    # 500 uniform draws per feature come within 5% of each end of the range
    assert ((W.min(axis=0) - lo) < 0.05 * (hi - lo)).all()
    assert ((hi - W.max(axis=0)) < 0.05 * (hi - lo)).all()


def test_random_negative_in_unit_box():
    X = _correlated() * 100.0
    W = initialize_codebook("random_negative", X, Lattice(10, 10), np.random.default_rng(2))
    assert (W >= -1).all() and (W <= 1).all()
    assert W.min() < -0.9 and W.max() > 0.9


def test_sample_rows_are_rows_of_x_without_replacement():
    X = _correlated(n=60)
    W = initialize_codebook("sample", X, Lattice(6, 8, "rect"), np.random.default_rng(3))
    matches = (W[:, None, :] == X[None, :, :]).all(axis=2)  # (M, N)
    assert (matches.sum(axis=1) == 1).all()  # every neuron is exactly one data row
    assert len(np.unique(matches.argmax(axis=1))) == 48  # no row drawn twice


def test_sample_with_replacement_when_fewer_samples_than_neurons():
    X = _correlated(n=5)
    W = initialize_codebook("sample", X, Lattice(4, 5), np.random.default_rng(4))
    matches = (W[:, None, :] == X[None, :, :]).all(axis=2)
    assert (matches.sum(axis=1) == 1).all()


def test_sample_fills_missing_components_with_feature_mean():
    X = np.array([[1.0, np.nan], [3.0, 4.0], [5.0, 8.0]])
    W = initialize_codebook("sample", X, Lattice(1, 3, "rect"), np.random.default_rng(0))
    assert sorted(W.tolist()) == [[1.0, 6.0], [3.0, 4.0], [5.0, 8.0]]


@pytest.mark.parametrize("method", INITIALIZATIONS)
def test_determinism_and_only_the_passed_generator(method):
    X = _correlated()
    lat = Lattice(5, 7, "hexa")
    np.random.seed(123)  # noqa: NPY002 - checking that the legacy global state is untouched
    global_state = np.random.get_state()[1].copy()  # noqa: NPY002
    a = initialize_codebook(method, X, lat, np.random.default_rng(42))
    b = initialize_codebook(method, X, lat, np.random.default_rng(42))
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(np.random.get_state()[1], global_state)  # noqa: NPY002
    c = initialize_codebook(method, X, lat, np.random.default_rng(43))
    if method == "pca":
        np.testing.assert_array_equal(a, c)  # deterministic, no randomness at all
    else:
        assert not np.array_equal(a, c)


# --------------------------------------------------------------------------- PCA


def test_pca_principal_components_match_svd():
    X = _correlated()
    mean, lam, vecs = principal_components(X)
    m2, lam2, v2 = _svd_pcs(X)
    np.testing.assert_allclose(mean, m2)
    np.testing.assert_allclose(lam, lam2)
    np.testing.assert_allclose(vecs.T, v2, atol=1e-10)


def test_pca_rect_matches_hand_built_codebook():
    X = _correlated()
    rows, cols = 6, 10  # cols longer: PC1 along the columns
    W = initialize_codebook("pca", X, Lattice(rows, cols, "rect"), np.random.default_rng(0))
    mean, lam, v = _svd_pcs(X)
    expected = np.empty((rows * cols, 3))
    for r in range(rows):
        for c in range(cols):
            c1 = -1.0 + 2.0 * c / (cols - 1)
            c2 = -1.0 + 2.0 * r / (rows - 1)
            expected[r * cols + c] = (
                mean + c1 * math.sqrt(lam[0]) * v[0] + c2 * math.sqrt(lam[1]) * v[1]
            )
    np.testing.assert_allclose(W, expected, atol=1e-9)


@pytest.mark.parametrize("rows, cols", [(6, 10), (10, 6), (8, 8)])
@pytest.mark.parametrize("shape", ["rect", "hexa"])
def test_pca_spans_pc_plane_with_pc1_on_longer_side(rows, cols, shape):
    X = _correlated(seed=5)
    lat = Lattice(rows, cols, shape)
    W = initialize_codebook("pca", X, lat, np.random.default_rng(0))
    mean, lam, v = _svd_pcs(X)
    # the codebook lies in the plane mean + span(PC1, PC2)
    resid = (W - mean) - ((W - mean) @ v[:2].T) @ v[:2]
    np.testing.assert_allclose(resid, 0.0, atol=1e-9)
    # its own first principal direction is PC1 (PC1 spread exceeds PC2 spread here); on hex maps
    # the half-unit row offsets correlate x slightly with y, so the match is only approximate
    _, _, wv = _svd_pcs(W)
    assert abs(wv[0] @ v[0]) == pytest.approx(1.0, abs=1e-9 if shape == "rect" else 1e-3)
    # spread along PC1 is +-sqrt(lambda1) at the ends of the longer side
    grid = W.reshape(rows, cols, 3)
    if cols >= rows:
        first, last = grid[:, 0], grid[:, -1]
        if shape == "hexa":  # x spans 0 .. cols - 0.5: ends are row 0 col 0 and row 1 col -1
            first, last = grid[0:1, 0], grid[1:2, -1]
    else:
        first, last = grid[0], grid[-1]
    np.testing.assert_allclose((first - mean) @ v[0], -math.sqrt(lam[0]))
    np.testing.assert_allclose((last - mean) @ v[0], math.sqrt(lam[0]))
    proj = (W - mean) @ v[:2].T
    assert np.abs(proj[:, 0]).max() == pytest.approx(math.sqrt(lam[0]))
    assert np.abs(proj[:, 1]).max() == pytest.approx(math.sqrt(lam[1]))


@pytest.mark.parametrize("kind", ["rect", "hexa", "toroidal_hexa"])
def test_pca_codebook_mean_equals_data_mean_on_symmetric_grid(kind):
    X = _correlated(seed=7)
    W = initialize_codebook("pca", X, Lattice(6, 9, kind), np.random.default_rng(0))
    np.testing.assert_allclose(W.mean(axis=0), X.mean(axis=0), atol=1e-10)


def test_pca_hex_offsets_are_respected():
    X = _correlated(seed=8)
    rows, cols = 4, 6
    W = initialize_codebook("pca", X, Lattice(rows, cols, "hexa"), np.random.default_rng(0))
    mean, lam, v = _svd_pcs(X)
    x = np.array([c + 0.5 * (r % 2) for r in range(rows) for c in range(cols)])
    c1 = 2.0 * x / (cols - 0.5) - 1.0
    np.testing.assert_allclose((W - mean) @ v[0], c1 * math.sqrt(lam[0]), atol=1e-9)


def test_pca_one_feature_and_one_row_maps_use_one_component():
    X = _correlated()
    W = initialize_codebook("pca", X, Lattice(1, 7, "rect"), np.random.default_rng(0))
    mean, lam, v = _svd_pcs(X)
    c1 = np.linspace(-1.0, 1.0, 7)
    np.testing.assert_allclose(W, mean + np.outer(c1 * math.sqrt(lam[0]), v[0]), atol=1e-9)
    x1 = X[:, :1]
    W1 = initialize_codebook("pca", x1, Lattice(3, 5, "rect"), np.random.default_rng(0))
    sd = x1.std(ddof=1)
    expected = x1.mean() + np.tile(np.linspace(-1.0, 1.0, 5), 3) * sd
    np.testing.assert_allclose(W1[:, 0], expected, atol=1e-9)


@pytest.mark.parametrize(
    "X",
    [np.array([[1.0, 2.0, 3.0]]), np.tile([[4.0, -1.0]], (10, 1))],
    ids=["one_sample", "zero_variance"],
)
def test_pca_degenerate_data_gives_mean_not_nan(X):
    W = initialize_codebook("pca", X, Lattice(3, 4, "hexa"), np.random.default_rng(0))
    assert np.isfinite(W).all()
    np.testing.assert_allclose(W, np.broadcast_to(X.mean(axis=0), W.shape))


def test_pca_with_missing_values_is_finite():
    X = _correlated()
    X[::7, 1] = np.nan
    W = initialize_codebook("pca", X, Lattice(5, 6, "rect"), np.random.default_rng(0))
    assert np.isfinite(W).all()
    np.testing.assert_allclose(W.mean(axis=0), np.nanmean(X, axis=0), atol=1e-10)


@settings(max_examples=20, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    rows=st.integers(2, 7),
    cols=st.integers(2, 7),
    d=st.integers(2, 5),
)
def test_pca_property_extent_along_pc1(seed, rows, cols, d):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(30, d)) * rng.uniform(0.1, 5.0, d)
    W = initialize_codebook("pca", X, Lattice(rows, cols, "rect"), np.random.default_rng(0))
    mean, lam, v = _svd_pcs(X)
    proj = (W - mean) @ v[0]
    assert proj.min() == pytest.approx(-math.sqrt(lam[0]), rel=1e-7, abs=1e-12)
    assert proj.max() == pytest.approx(math.sqrt(lam[0]), rel=1e-7, abs=1e-12)


# --------------------------------------------------------------------------- argument checks


def test_argument_errors():
    X = _correlated()
    lat = Lattice(3, 3)
    with pytest.raises(ValueError, match=r"initialization must be one of 'random'.*'pca'"):
        initialize_codebook("linear_pca", X, lat, np.random.default_rng(0))
    with pytest.raises(TypeError, match="numpy.random.Generator"):
        initialize_codebook("random", X, lat, 0)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="Lattice"):
        initialize_codebook("random", X, (3, 3), np.random.default_rng(0))
    with pytest.raises(ValueError, match="2-D"):
        initialize_codebook("random", X[:, 0], lat, np.random.default_rng(0))
    with pytest.raises(ValueError, match="lattice must be one of"):
        auto_mapsize(X, "square")
    assert initialize_codebook("PCA", X, lat, np.random.default_rng(0)).shape == (9, 3)


# --------------------------------------------------------------------------- auto map size


def _two_feature(n: int, a: float, b: float) -> np.ndarray:
    """Centred, uncorrelated columns with variance ratio (a/b)^2 exactly (n divisible by 4)."""
    i = np.arange(n)
    u = np.where(i % 2 == 0, 1.0, -1.0)
    w = np.where((i // 2) % 2 == 0, 1.0, -1.0)
    return np.column_stack([a * u, b * w])


@pytest.mark.parametrize(
    "a, b, kind, expected",
    [
        # N=100: munits = 50.
        # ratio 1.5; hexa: sqrt(50/1.5*sqrt(.75)) = 5.37 -> 5 cols, 50/5 = 10 rows
        (1.5, 1.0, "hexa", (10, 5)),
        # rect: sqrt(50/1.5) = 5.77 -> 6 cols, round(8.33) = 8 rows
        (1.5, 1.0, "rect", (8, 6)),
        (1.5, 1.0, "cylindrical_rect", (8, 6)),
        # ratio 3; hexa: sqrt(50/3*sqrt(.75)) = 3.80 -> 4 cols, round(12.5) = 13 rows (half up)
        (3.0, 1.0, "hexa", (13, 4)),
        # toroidal hexa: 13 rows is odd -> 14
        (3.0, 1.0, "toroidal_hexa", (14, 4)),
        # lambda ratio 100 > munits: guard -> ratio 1; hexa sqrt(50*sqrt(.75)) = 6.58 -> 7, 50/7 -> 7
        (10.0, 1.0, "hexa", (7, 7)),
        # same guard, rect: sqrt(50) = 7.07 -> 7 cols, 7 rows
        (10.0, 1.0, "rect", (7, 7)),
        # ratio 1 (isotropic), rect: 7 x 7
        (1.0, 1.0, "toroidal_rect", (7, 7)),
        # lambda1 = 0: ratio 1
        (0.0, 0.0, "rect", (7, 7)),
    ],
)
def test_auto_mapsize_hand_computed(a, b, kind, expected):
    assert auto_mapsize(_two_feature(100, a, b), kind) == expected


def test_auto_mapsize_small_and_one_feature():
    # N=1: munits = 5, ratio 1; hexa sqrt(5*.866) = 2.08 -> 2, round(2.5) = 3 (half up) rows
    assert auto_mapsize(np.array([[1.0, 2.0]]), "hexa") == (3, 2)
    assert auto_mapsize(np.array([[1.0, 2.0]]), "rect") == (3, 2)
    # one feature: lambda2 counts as 0 -> ratio 1; N=100 -> 7 x 7
    assert auto_mapsize(np.arange(100.0)[:, None], "rect") == (7, 7)
    # N=150 (iris size) isotropic: munits = ceil(61.24) = 62; hexa sqrt(62*.866) = 7.33 -> 7,
    # round(62/7 = 8.86) = 9
    X = np.random.default_rng(0).normal(size=(150, 2))
    X = (X - X.mean(axis=0)) @ np.linalg.inv(np.linalg.cholesky(np.cov(X.T))).T  # whitened
    assert auto_mapsize(X, "hexa") == (9, 7)


def test_auto_mapsize_long_side_gets_pc1():
    X = _two_feature(100, 3.0, 1.0)
    rows, cols = auto_mapsize(X, "rect")
    assert rows > cols
    W = initialize_codebook("pca", X, Lattice(rows, cols, "rect"), np.random.default_rng(0))
    grid = W.reshape(rows, cols, 2)
    # PC1 is feature 0: it varies down the rows (the long side), not across the columns
    assert np.ptp(grid[:, 0, 0]) == pytest.approx(2 * 3.0 * math.sqrt(100 / 99))
    assert np.ptp(grid[0, :, 0]) == pytest.approx(0.0, abs=1e-12)
