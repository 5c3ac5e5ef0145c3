"""The Euclidean BMU search is exact at any magnitude (float32 GEMM + float64 fallback)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy.spatial.distance import cdist

from somwidget import SOM
from somwidget._training_search import argmin_units
from somwidget.bmu import distance_matrix, find_bmus, nearest_units
from somwidget.euclidean import EuclideanSearch, pow2_scale


def _timestamps(rng: np.random.Generator, n: int, m: int) -> tuple[np.ndarray, np.ndarray]:
    """A Unix-timestamp column (1.7e9 s, spread over a year) next to two unit-scale features;
    prototypes close to the data, so the small features decide the BMU."""
    t = 1.7e9 + rng.uniform(0, 3.15e7, n)
    X = np.column_stack([t, rng.standard_normal(n), rng.standard_normal(n)])
    W = X[rng.choice(n, m, replace=False)] + rng.normal(0, [5.0, 0.3, 0.3], (m, 3))
    return X, W


def _exact_top2(X: np.ndarray, W: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    D = cdist(X, W)
    order = np.argsort(D, axis=1, kind="stable")[:, :2]
    return order, np.take_along_axis(D, order, axis=1)


def test_timestamp_column_matches_exact_argmin():
    rng = np.random.default_rng(0)
    X, W = _timestamps(rng, 5000, 100)
    ref_idx, ref_d = _exact_top2(X, W)
    # the plain float32 search (no shift, no check) is wrong on this data: the test can fail
    X32, W32 = X.astype(np.float32), W.astype(np.float32)
    naive = np.argmin((W32 * W32).sum(1) - 2.0 * X32 @ W32.T, axis=1)
    assert (naive != ref_idx[:, 0]).sum() > 50
    idx, dist = find_bmus(X, W, k=2)
    np.testing.assert_array_equal(idx, ref_idx)
    np.testing.assert_allclose(dist, ref_d, rtol=1e-12)
    np.testing.assert_array_equal(find_bmus(X, W, k=1)[0][:, 0], ref_idx[:, 0])


def test_1e20_scale_columns_match_exact_argmin():
    rng = np.random.default_rng(1)
    n, m = 3000, 64
    X = np.column_stack([1e20 + rng.uniform(-1, 1, n) * 1e18, rng.standard_normal(n) * 1e16,
                         rng.standard_normal(n)])
    W = X[rng.choice(n, m, replace=False)] * (1 + rng.normal(0, 1e-3, (m, 3)))
    ref_idx, ref_d = _exact_top2(X, W)
    idx, dist = find_bmus(X, W, k=2)
    np.testing.assert_array_equal(idx, ref_idx)
    np.testing.assert_allclose(dist, ref_d, rtol=1e-12)
    # the training search: exact here too (every row needs float64)
    np.testing.assert_array_equal(nearest_units(X, W), ref_idx[:, 0])


def test_huge_magnitudes_give_finite_distances():
    rng = np.random.default_rng(2)
    X = rng.standard_normal((400, 4)) * 1e154
    W = rng.standard_normal((25, 4)) * 1e154
    idx, dist = find_bmus(X, W, k=1)
    assert np.isfinite(dist).all()
    # exact reference without overflow: distances of the values divided by 1e154
    ref = cdist(X / 1e154, W / 1e154)
    np.testing.assert_array_equal(idx[:, 0], ref.argmin(axis=1))
    np.testing.assert_allclose(dist[:, 0] / 1e154, ref.min(axis=1), rtol=1e-12)
    D = distance_matrix(X, W)
    np.testing.assert_allclose(D / 1e154, ref, rtol=1e-9)
    som = SOM((5, 5), initialization="random", random_state=0).initialize(X)
    assert np.isfinite(som.quantization_error())


def test_tiny_magnitudes():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((300, 3)) * 1e-200
    W = rng.standard_normal((16, 3)) * 1e-200
    ref = cdist(X * 1e200, W * 1e200)
    idx, dist = find_bmus(X, W, k=2)
    np.testing.assert_array_equal(idx, np.argsort(ref, axis=1, kind="stable")[:, :2])
    np.testing.assert_allclose(dist * 1e200, np.sort(ref, axis=1)[:, :2], rtol=1e-12)


def test_float32_data_search_is_exact():
    rng = np.random.default_rng(4)
    X = rng.standard_normal((2000, 8)).astype(np.float32)
    W = rng.standard_normal((49, 8))
    ref_idx, ref_d = _exact_top2(X.astype(np.float64), W)
    idx, dist = find_bmus(X, W, k=2)
    np.testing.assert_array_equal(idx, ref_idx)
    np.testing.assert_allclose(dist, ref_d, rtol=1e-12)


def test_ties_go_to_the_lower_index():
    W = np.array([[0.0, 0.0], [2.0, 0.0], [0.0, 0.0], [1.0, 1.0]])
    X = np.array([[1.0, 0.0], [0.0, 0.0], [0.5, 0.5]])
    ref = cdist(X, W)
    idx, _ = find_bmus(X, W, k=3)
    np.testing.assert_array_equal(idx, np.argsort(ref, axis=1, kind="stable")[:, :3])


def test_training_search_rows_within_rtol_of_the_best():
    rng = np.random.default_rng(5)
    X, W = _timestamps(rng, 3000, 64)
    center = X.mean(axis=0)
    extent = float(np.abs(X - center).max())
    got = argmin_units(X, EuclideanSearch(W, center, extent), chunk=512)
    D2 = cdist(X, W, "sqeuclidean")
    best = D2.min(axis=1)
    assert np.all(D2[np.arange(len(X)), got] <= best * (1 + 1e-3) + 1e-300)


def test_pow2_scale():
    assert pow2_scale(0.0) == 1.0 and pow2_scale(float("inf")) == 1.0
    assert pow2_scale(3.0) == 4.0 and pow2_scale(4.0) == 8.0 and pow2_scale(0.3) == 0.5
    assert pow2_scale(1e-320) == 2.0**-1021 and pow2_scale(1e308) == 2.0**1023


def test_timestamp_fit_predict_matches_exact():
    rng = np.random.default_rng(6)
    X, _ = _timestamps(rng, 2000, 10)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        som = SOM((6, 6), lattice="rect", initialization="random", random_state=0).fit(X, epochs=3)
    ref = cdist(X, som.codebook_)
    np.testing.assert_array_equal(som.predict(X), ref.argmin(axis=1))
    assert som.quantization_error() == pytest.approx(ref.min(axis=1).mean(), rel=1e-12)


def test_no_normalization_with_disparate_scales_warns():
    rng = np.random.default_rng(7)
    X, _ = _timestamps(rng, 500, 10)
    with pytest.warns(UserWarning, match="normalization"):
        SOM((4, 4), initialization="random", random_state=0).initialize(X)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        SOM((4, 4), normalization="standard", random_state=0).initialize(X)
        SOM((4, 4), random_state=0).initialize(rng.standard_normal((200, 3)))


@pytest.mark.parametrize("scale", [1e-310, 1e-315])
def test_subnormal_magnitudes_give_exact_bmus_and_finite_distances(scale):
    # below float64's smallest normal number (2.2e-308) the power-of-two scale's inverse
    # overflowed to inf: wrong BMUs (2317 of 3000) and infinite distances
    rng = np.random.default_rng(12)
    X = rng.standard_normal((3000, 4)) * scale
    som = SOM((8, 6), initialization="random", random_state=0).fit(X, epochs=3)
    up = 2.0**1000  # exact rescaling for the reference
    ref = cdist(X * up, som.codebook_ * up) / up
    np.testing.assert_array_equal(som.predict(X), ref.argmin(axis=1))
    idx, dist = find_bmus(X, som.codebook_, k=2)
    np.testing.assert_array_equal(idx, np.argsort(ref, axis=1, kind="stable")[:, :2])
    np.testing.assert_allclose(dist * up, np.sort(ref, axis=1)[:, :2] * up, rtol=1e-9)
    assert som.quantization_error() == pytest.approx(ref.min(axis=1).mean(), rel=1e-9)


@pytest.mark.parametrize("scale", [1e154, 5e153])
def test_the_default_pca_initialisation_works_at_1e154(scale):
    # the covariance's sum of 3000 squares of ~1e154 overflowed: "Eigenvalues did not converge"
    rng = np.random.default_rng(13)
    X = rng.standard_normal((3000, 4)) * [0.5, 0.8, 1.2, 0.3] * scale
    som = SOM((8, 6), random_state=0).fit(X, epochs=3)
    assert np.isfinite(som.codebook_).all()
    ref = cdist(X / scale, som.codebook_ / scale)
    np.testing.assert_array_equal(som.predict(X), ref.argmin(axis=1))
    # the map spans the two leading principal directions of the data (the 3rd and 2nd features)
    from somwidget.initialization import principal_components

    _, vals, vecs = principal_components(X, n_components=2)
    assert np.isfinite(vals).all() and vals[0] > vals[1] > 0
    np.testing.assert_allclose(np.abs(vecs[:, 0]), [0, 0, 1, 0], atol=0.05)
    ref_vals = np.linalg.eigvalsh(np.cov((X / scale).T))[::-1][:2] * scale * scale
    np.testing.assert_allclose(vals, ref_vals, rtol=1e-9)


def test_the_scale_warning_names_the_users_line():
    # it named somwidget/_som_sklearn.py (fit, fit_online) or _som_calls.py (initialize)
    rng = np.random.default_rng(14)
    X = np.column_stack([rng.uniform(0, 1, 300), rng.uniform(0, 1e5, 300)])
    for call in (lambda s: s.fit(X, epochs=1), lambda s: s.fit_online(X, epochs=1),
                 lambda s: s.initialize(X), lambda s: s.fit_auto(X)):
        with pytest.warns(UserWarning, match="differ by a factor") as got:
            call(SOM((3, 3), random_state=0))
        assert {w.filename for w in got} == {__file__}, [w.filename for w in got]


def test_the_sparse_map_warning_names_the_users_line():
    from somwidget.validation import SparseMapWarning

    with pytest.warns(SparseMapWarning) as got:
        SOM((20, 20), random_state=0).fit(np.random.default_rng(15).normal(size=(30, 2)), epochs=1)
    assert {w.filename for w in got} == {__file__}


def test_tight_clusters_far_from_the_centre_are_exact_and_recheck_few_units(monkeypatch):
    # two clusters 100 apart per feature: the float32 bound leaves almost every row unsure,
    # and each was recomputed against all M units (9-25x a search); now a float64 product
    # narrows each row to the few units that can still win
    import somwidget.euclidean as euclidean

    rng = np.random.default_rng(17)
    X = rng.standard_normal((4000, 16)) + 100.0 * (rng.random((4000, 1)) > 0.5)
    W = X[rng.choice(4000, 100, replace=False)] + rng.normal(0, 0.3, (100, 16))
    seen = []
    real = euclidean.exact_among

    def recording(Xr, W_, candidates, k, bound):
        seen.append((Xr.shape[0], int(candidates.sum())))
        return real(Xr, W_, candidates, k, bound)

    monkeypatch.setattr(euclidean, "exact_among", recording)
    idx, dist = find_bmus(X, W, k=2)
    ref_idx, ref_d = _exact_top2(X, W)
    np.testing.assert_array_equal(idx, ref_idx)
    np.testing.assert_allclose(dist, ref_d, rtol=1e-12)
    rows = sum(r for r, _ in seen)
    assert rows > 400  # the float32 bound really left many rows unsure here (735 of 4000)
    assert sum(c for _, c in seen) <= 3 * rows  # and few units each (of 100)
