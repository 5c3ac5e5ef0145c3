"""One per-neuron sums kernel (somwidget.backend.block_sums) for the plain, weighted and masked
batch epochs, in memory and on Dask partitions.

The sums are checked against direct loops over the samples; the epochs against the kernel being
the one every path reaches.
"""

from __future__ import annotations

import numpy as np
import pytest

from somwidget import SOM, backend, masked
from somwidget.lattice import Lattice
from somwidget.training import KernelOperator, batch_update

RNG = np.random.default_rng(11)


def _masked_data(n=400, d=5, frac=0.15, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)) * np.arange(1, d + 1) + 2.0
    X[rng.random(X.shape) < frac] = np.nan
    many = np.isnan(X).sum(axis=1) > d // 2
    X[many] = np.nan_to_num(X[many], nan=0.5)  # every row within max_missing=0.5
    return X


def _direct(X, b, m, v=None):
    """Sums and counts by a loop over the samples (NaN = unknown, not counted)."""
    n, d = X.shape
    v = np.ones(n) if v is None else v
    S = np.zeros((m, d))
    C = np.zeros((m, d))
    for i in range(n):
        for k in range(d):
            if not np.isnan(X[i, k]):
                S[b[i], k] += v[i] * X[i, k]
                C[b[i], k] += v[i]
    return S, C


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("chunk_rows", [7, 1 << 15])
def test_weighted_masked_sums_are_the_direct_sums(dtype, chunk_rows):
    X = _masked_data().astype(dtype)
    b = RNG.integers(0, 9, size=X.shape[0])
    v = RNG.uniform(0, 3, size=X.shape[0])
    ns = backend.get_namespace(X)
    S_ref, C_ref = _direct(X.astype(np.float64), b, 9, v)
    S, C = backend.block_sums(ns, X, b, 9, chunk_rows, weights=v, known=~np.isnan(X))
    assert S.dtype == np.float64 and C.shape == (9, 5)
    np.testing.assert_allclose(S, S_ref, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(C, C_ref, rtol=1e-12, atol=1e-12)
    # masked, unweighted: the counts of known values
    S, C = backend.block_sums(ns, X, b, 9, chunk_rows, known=~np.isnan(X))
    S_ref, C_ref = _direct(X.astype(np.float64), b, 9)
    np.testing.assert_allclose(S, S_ref, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(C, C_ref)
    # weighted, complete data: one count column, the total weight per unit
    Xc = np.nan_to_num(X, nan=1.0)
    S, C = backend.block_sums(ns, Xc, b, 9, chunk_rows, weights=v)
    S_ref, C_ref = _direct(Xc.astype(np.float64), b, 9, v)
    assert C.shape == (9,)
    np.testing.assert_allclose(S, S_ref, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(C, C_ref[:, 0], rtol=1e-12)
    np.testing.assert_allclose(C, [v[b == j].sum() for j in range(9)], rtol=1e-12)


def test_the_masked_module_sums_are_the_backend_kernel(monkeypatch):
    X = _masked_data(200)
    b = RNG.integers(0, 6, size=200)
    v = RNG.uniform(0, 2, size=200)
    calls = []
    real = backend.block_sums

    def spy(ns, X, bmus, n_neurons, chunk_rows=1 << 15, **kw):
        calls.append(sorted(k for k, val in kw.items() if val is not None))
        return real(ns, X, bmus, n_neurons, chunk_rows, **kw)

    monkeypatch.setattr(backend, "block_sums", spy)
    S, C = masked.unit_sums_general(X, b, 6, weights=v, known=~np.isnan(X))
    assert calls == [["known", "weights"]]
    S_ref, C_ref = _direct(X, b, 6, v)
    np.testing.assert_allclose(S, S_ref, rtol=1e-12)
    np.testing.assert_allclose(C, C_ref, rtol=1e-12)


def test_weighted_and_masked_epochs_in_memory_and_on_dask_reach_the_one_kernel(monkeypatch):
    da = pytest.importorskip("dask.array")
    import dask

    X = _masked_data(300, 4)
    w = RNG.uniform(0.5, 2, size=300)
    seen: list[tuple[str, ...]] = []
    real = backend.block_sums

    def spy(ns, X, bmus, n_neurons, chunk_rows=1 << 15, **kw):
        seen.append(tuple(sorted(k for k, val in kw.items() if val is not None)))
        return real(ns, X, bmus, n_neurons, chunk_rows, **kw)

    monkeypatch.setattr(backend, "block_sums", spy)
    SOM((3, 3), random_state=0, missing="ignore").fit(X, epochs=2, sample_weight=w)
    assert seen == [("known", "weights")] * 2
    seen.clear()
    SOM((3, 3), random_state=0).fit(np.nan_to_num(X), epochs=2, sample_weight=w)
    assert seen == [("weights",)] * 2
    seen.clear()
    with dask.config.set(scheduler="threads"):
        SOM((3, 3), random_state=0, missing="ignore").fit(da.from_array(X, chunks=(100, 4)),
                                                           epochs=2, sample_weight=w)
    assert seen == [("known", "weights")] * 6  # three partitions, two epochs


@pytest.mark.parametrize("inhibition", [None, 0.4])
def test_one_count_column_updates_by_the_plain_batch_rule(inhibition):
    lat = Lattice(3, 4, "hexa")
    W0 = RNG.normal(size=(12, 3))
    S = RNG.normal(size=(12, 3))
    n = RNG.uniform(0, 5, size=12)
    n[3] = 0.0
    H = KernelOperator(lat, "mexican_hat" if inhibition else "gaussian", 1.3)
    bounds = (np.full(3, -1.0), np.full(3, 1.0)) if inhibition else None
    got = masked.update_general(W0, H, S, n, inhibition=inhibition, bounds=bounds)
    ref = batch_update(W0, H, S, n, inhibition=inhibition, bounds=bounds)
    np.testing.assert_array_equal(got, ref)
    if inhibition is None:  # and that rule, written out: w_i = sum_j h_ij S_j / sum_j h_ij n_j
        h = np.exp(-lat.grid_distances() ** 2 / (2 * 1.3 ** 2))
        np.testing.assert_allclose(got, (h @ S) / (h @ n)[:, None], rtol=1e-12)
