"""Memory bounded by the data: no float64 copy of float32 data, no N x M or N x D temporaries.

Bounds are on Python-traced allocations (tracemalloc, which numpy reports to), not timings:
per-row costs (BMU indices, cached distances) plus a fixed allowance for the cache-sized
blocks. The old data path (a float64 copy of the data, a prepared float32 copy, the centred
copy of the PCA) is several times the data and fails every one of them.
"""

from __future__ import annotations

import pickle
import subprocess
import sys
import tracemalloc
from collections.abc import Callable

import numpy as np
import pytest

from somwidget import SOM
from somwidget.initialization import covariance, principal_components
from somwidget.normalization import make_normalizer
from somwidget.validation import check_array

N, D = 300_000, 16
MB = 1 << 20


@pytest.fixture(scope="module")
def X32() -> np.ndarray:
    # numba's loops loaded before any measurement: importing numba allocates ~35 MB of Python
    # objects once per process, which a fit run first (this module alone) would count
    from somwidget import _sums_jit

    _sums_jit.kernel(True)
    return np.random.default_rng(0).standard_normal((N, D), dtype=np.float32)


def _peak(fn: Callable[[], object]) -> int:
    tracemalloc.start()
    tracemalloc.reset_peak()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_fit_float32_large_data_allocates_less_than_half_the_data(X32, monkeypatch):
    # as for data above 64 MB: queries shifted and scaled block by block
    import somwidget._som_training as loops

    monkeypatch.setattr(loops, "_PREPARE_BYTES", 0)
    # PCA initialisation, 2 epochs: per row two BMU index arrays (8 bytes each), plus blocks
    peak = _peak(lambda: SOM((10, 10), random_state=0).fit(X32, epochs=2))
    assert peak <= 16 * N + 24 * MB
    assert peak < X32.nbytes + 24 * MB  # a float64 copy alone would be 2x the data


def test_fit_float32_small_data_prepares_queries_once(X32):
    # data up to 64 MB: one float32 copy of the queries (D + 1 columns) and their norms
    peak = _peak(lambda: SOM((10, 10), random_state=0).fit(X32, epochs=2))
    prepared = N * (D + 1) * 4 + N * 8
    assert peak <= 16 * N + prepared + 24 * MB


def test_predict_and_metrics_bounded(X32):
    som = SOM((10, 10), random_state=0).fit(X32, epochs=1)
    # predict: the BMU and its distance per row (kept in the BMU cache), plus blocks
    assert _peak(lambda: som.predict(X32)) <= 24 * N + 16 * MB
    som2 = SOM((10, 10), random_state=0).fit(X32, epochs=1)

    def metrics() -> None:
        som2.quantization_error()
        som2.topographic_error()
        som2.vacancy_rate()
        som2.hit_counts()

    # two BMUs and distances per row (32 bytes) plus the topographic error's per-row masks
    assert _peak(metrics) <= 96 * N + 16 * MB


def test_online_training_makes_no_centred_copy_of_the_data(X32):
    # fit_online centres the presented samples block by block: per row only the presentation
    # order and the per-sample radius, rate and applied rate (8 bytes each), plus the blocks
    som = SOM((10, 10), random_state=0).fit(X32[:2000], epochs=1)
    som.fit_online(X32[:2000], epochs=1)  # warm up (the compiled kernel, its first call)
    peak = _peak(lambda: som.fit_online(X32, epochs=1))
    assert peak <= 32 * N + 24 * MB
    assert peak < X32.nbytes + 24 * MB  # a float64 centred copy alone would be 2x the data


def test_online_blocks_give_the_same_codebook_as_one_block(X32, monkeypatch):
    import somwidget._som_training as loops

    X = X32[:3000]
    one = SOM((6, 6), random_state=0).fit_online(X, epochs=2).codebook_
    monkeypatch.setattr(loops, "_ONLINE_BLOCK", 257)  # many partial blocks per pass
    many = SOM((6, 6), random_state=0).fit_online(X, epochs=2).codebook_
    np.testing.assert_array_equal(many, one)


def test_pca_initialisation_is_blockwise(X32):
    peak = _peak(lambda: principal_components(X32))
    assert peak <= 8 * MB  # two float64 blocks of 16384 rows, never N x D
    mean, cov = covariance(X32)
    X64 = X32.astype(np.float64)
    np.testing.assert_allclose(mean, X64.mean(axis=0), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(cov, np.cov(X64, rowvar=False), rtol=1e-9, atol=1e-12)


def test_covariance_with_missing_values_is_pairwise_complete():
    rng = np.random.default_rng(1)
    A = rng.standard_normal((5000, 4))
    A[rng.random(A.shape) < 0.1] = np.nan
    mean, cov = covariance(A, chunk_rows=700)
    known = ~np.isnan(A)
    ref_mean = np.nanmean(A, axis=0)
    np.testing.assert_allclose(mean, ref_mean, rtol=1e-12)
    c = np.where(known, A - ref_mean, 0.0)
    pairs = known.T.astype(float) @ known.astype(float)
    np.testing.assert_allclose(cov, (c.T @ c) / (pairs - 1.0), rtol=1e-10)


def test_float32_input_is_not_copied(X32):
    arr, _ = check_array("X", X32, keep_float32=True)
    assert arr is X32
    norm = make_normalizer("none").fit(X32)
    assert norm.transform(X32) is X32
    assert _peak(lambda: check_array("X", X32, keep_float32=True)) < MB
    # without keep_float32 the documented float64 result
    assert check_array("X", X32[:10])[0].dtype == np.float64


def test_check_array_still_rejects_non_finite_values():
    A = np.ones((100, 3), dtype=np.float32)
    A[57, 1] = np.inf
    with pytest.raises(ValueError, match="1 infinite value"):
        check_array("X", A, keep_float32=True)
    with pytest.raises(ValueError, match="infinite"):
        check_array("X", A, allow_nan=True)
    B = np.full((4, 2), 1e308)  # finite values whose column sum overflows
    assert check_array("X", B)[0] is B


def test_model_keeps_no_copy_of_the_training_data(X32):
    som = SOM((6, 6), random_state=0).fit(X32[:50_000], epochs=1)
    held = som._training_data()
    assert held is not None and np.shares_memory(held, X32)
    # pickles and model files carry the codebook, not the data
    assert len(pickle.dumps(som)) < 100_000


def test_import_somwidget_loads_no_heavy_modules():
    code = ("import sys, somwidget; heavy = [m for m in ('pandas', 'scipy.sparse', "
            "'scipy.spatial', 'scipy.special', 'ipywidgets', 'anywidget') if m in sys.modules]; "
            "print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"PYTHONPATH": str(__import__("pathlib").Path(__file__).parents[1])})
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("normalization", ["standard", "minmax", "logistic", "log", "boxcox"])
def test_normalised_float32_data_stay_float32(X32, normalization):
    # the normalisers returned float64 for float32 data: a second, float64 copy of the data
    X = X32[:40_000] + (np.float32(5.0) if normalization in ("log", "boxcox") else 0)
    norm = make_normalizer(normalization).fit(X)
    Xt = norm._transform(X)
    assert Xt.dtype == np.float32
    # the values: the float64 transform of the same data, rounded once to float32
    ref = make_normalizer(normalization).fit(X.astype(np.float64))
    np.testing.assert_allclose(Xt, ref._transform(X.astype(np.float64)), rtol=2e-6, atol=2e-6)


@pytest.mark.parametrize("normalization", ["standard", "minmax"])
def test_fit_predict_and_metrics_with_a_normalisation_make_no_float64_copy(X32, normalization):
    # 1M x 32 float32 with 'standard' peaked at data + 551 MB in a fit (float64 copies in the
    # normaliser's fit and transform), + 586 MB in predict
    # a fit: the float32 training-space data, its prepared queries (D + 1 float32 columns and
    # the norms) and two BMU arrays per row, plus blocks; a float64 copy alone is N * D * 8
    prepared = N * (D + 1) * 4 + N * 8
    peak = _peak(lambda: SOM((10, 10), random_state=0, normalization=normalization)
                 .fit(X32, epochs=2))
    assert peak <= X32.nbytes + prepared + 16 * N + 24 * MB
    som = SOM((10, 10), random_state=0, normalization=normalization).fit(X32[:5000], epochs=1)
    assert _peak(lambda: som.predict(X32)) <= X32.nbytes + 24 * N + 16 * MB
    assert _peak(lambda: som.quantization_error(X32)) <= X32.nbytes + 48 * N + 16 * MB


def test_a_log_normalised_fit_makes_no_float64_copy(X32):
    prepared = N * (D + 1) * 4 + N * 8
    peak = _peak(lambda: SOM((10, 10), random_state=0, normalization="log").fit(X32, epochs=2))
    assert peak <= X32.nbytes + prepared + 16 * N + 24 * MB


def test_distortion_makes_no_float64_copy(X32):
    som = SOM((10, 10), random_state=0).fit(X32[:5000], epochs=1)
    # the BMUs (24 bytes a row) and the blocks (it was 180 MB: a float64 copy and 32 MB blocks)
    assert _peak(lambda: som.distortion(X32)) <= 24 * N + 48 * MB
