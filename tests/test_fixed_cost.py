"""The fixed cost of a fit: shared data summaries, cached kernel factors, the fast update paths.

Each shortcut is checked against an independent computation of the same quantity (numpy's
own reductions, the dense kernel matrix, a per-unit loop), and a whole fit with the shortcuts
against the same fit with them switched off: the results must be identical, not close.
"""

from __future__ import annotations

import contextlib

import numpy as np
import pytest

from somwidget import SOM, _data_stats, training
from somwidget import initialization as init
from somwidget.lattice import LATTICES, Lattice
from somwidget.neighborhood import neighborhood_weights


def _data(n=600, d=5, seed=0, nan=0.0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    X = (rng.standard_normal((n, d)) * np.arange(1, d + 1) + np.arange(d)).astype(dtype)
    if nan:
        X[rng.random(X.shape) < nan] = np.nan
    return X


# ---------------------------------------------------------------------------- summaries
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("nan", [0.0, 0.1])
@pytest.mark.parametrize("chunk", [7, 64, 1 << 15])
def test_summary_equals_numpy_reductions(dtype, nan, chunk):
    X = _data(300, 4, seed=1, nan=nan, dtype=dtype)
    X[:, 2] = np.nan if nan else X[:, 2]  # a column with no known value when NaN are allowed
    s = _data_stats.summarize(X, chunk_rows=chunk)
    known = ~np.isnan(X)
    np.testing.assert_array_equal(s.known, known.sum(axis=0))
    with np.errstate(invalid="ignore"), pytest.warns(RuntimeWarning) if nan else \
            contextlib.nullcontext():
        np.testing.assert_array_equal(s.lo, np.nanmin(X, axis=0))
        np.testing.assert_array_equal(s.hi, np.nanmax(X, axis=0))
    expect_mean = np.where(known, X, 0).astype(np.float64).sum(axis=0) / np.maximum(
        known.sum(axis=0), 1)
    np.testing.assert_allclose(s.mean, expect_mean, rtol=1e-6 if dtype == np.float32 else 1e-13)
    assert s.has_nan == bool(np.isnan(X).any())
    assert s.sums_finite == (not np.isnan(X).any())
    np.testing.assert_array_equal(s.empty_columns, ~known.any(axis=0))
    with np.errstate(invalid="ignore"):
        assert s.max_abs == float(np.nanmax(np.abs(X)))


def test_summary_keeps_infinite_values_and_never_proves_them_finite():
    X = _data(50, 3)
    X[4, 1] = np.inf
    X[9, 2] = -np.inf
    s = _data_stats.summarize(X, chunk_rows=16)
    assert not s.sums_finite and not s.has_nan
    assert s.hi[1] == np.inf and s.lo[2] == -np.inf
    assert s.max_abs == np.inf
    Y = _data(50, 3)
    Y[3, 0], Y[5, 0] = np.inf, -np.inf  # inf - inf: a NaN sum without any NaN entry
    t = _data_stats.summarize(Y)
    assert not t.has_nan and not t.sums_finite
    np.testing.assert_array_equal(t.known, [50, 50, 50])


def test_column_stats_and_covariance_from_a_summary_equal_the_fresh_ones():
    for X in (_data(5000, 6, seed=2), _data(2000, 6, seed=3, nan=0.05, dtype=np.float32)):
        fresh_stats = training.column_stats(X)
        fresh_cov = init.covariance(X)
        with _data_stats.sharing():
            _data_stats.summary_of(X)
            assert _data_stats.cached_summary(X) is not None
            shared_stats = training.column_stats(X)
            shared_cov = init.covariance(X)
        for a, b in zip(fresh_stats, shared_stats, strict=True):
            np.testing.assert_array_equal(a, b)
        for a, b in zip(fresh_cov, shared_cov, strict=True):
            np.testing.assert_array_equal(a, b)


def test_a_summary_in_other_blocks_is_not_used_for_the_sums():
    X = _data(100, 3, seed=4)
    s = _data_stats.summarize(X, chunk_rows=16)
    assert s.mean_in_blocks(32) is None
    assert s.mean_in_blocks(16) is not None
    assert _data_stats.summarize(X, chunk_rows=128).mean_in_blocks(1000) is not None


def test_summaries_are_shared_only_inside_a_public_call(monkeypatch):
    calls = []
    real = _data_stats.summarize

    def counting(X, *args, **kwargs):
        calls.append(X.shape)
        return real(X, *args, **kwargs)

    monkeypatch.setattr(_data_stats, "summarize", counting)
    X = _data(400, 4, seed=5)
    SOM((4, 5), random_state=0).fit(X, epochs=3)
    # normalization="none": the data are their own training space, summarised once
    assert calls == [X.shape]
    calls.clear()
    SOM((4, 5), normalization="standard", random_state=0).fit(X, epochs=3)
    assert calls == [X.shape, X.shape]  # the data, then its standardised copy
    assert not _data_stats.active()
    assert _data_stats.cached_summary(X) is None


def test_the_memo_follows_the_array_object():
    X = _data(40, 3)
    with _data_stats.sharing():
        s = _data_stats.summary_of(X)
        assert _data_stats.summary_of(X) is s
        Y = X.copy()
        assert _data_stats.cached_summary(Y) is None  # equal values, another object
        view = X[:]
        assert _data_stats.cached_summary(view) is None
        del Y
        _data_stats.forget()
        assert not _data_stats.active()
        assert _data_stats.cached_summary(X) is None
        with _data_stats.sharing():  # a call made from a callback shares a memo of its own
            assert _data_stats.active()
        assert not _data_stats.active()


def test_a_freed_array_leaves_the_memo():
    with _data_stats.sharing():
        X = _data(30, 2)
        _data_stats.summary_of(X)
        memo = _data_stats._memo()
        assert len(memo) == 1
        del X
        assert len(memo) == 0


def test_data_changed_by_a_callback_is_checked_afresh():
    X = _data(300, 3, seed=6)
    seen = []

    def spoil(record):
        keep = X[0, 0]
        X[0, 0] = np.nan  # the caller changes its data during the fit, and asks about it
        with pytest.raises(ValueError, match="missing value"):
            record.som.quantization_error(X)
        X[0, 0] = keep
        seen.append(record.epoch)

    # X is summarised while the fit sets up; the check in the callback must not reuse that
    SOM((3, 4), random_state=0, callback_every=1).fit(X, epochs=3, callbacks=spoil)
    assert seen == [1, 2, 3]


@pytest.mark.parametrize("kw", [
    {}, {"lattice": "rect"}, {"normalization": "standard"}, {"normalization": "minmax"},
    {"missing": "ignore"}, {"initialization": "random"}, {"mapsize": "auto"},
    {"neighborhood": "mexican_hat"},
])
def test_a_fit_with_shared_summaries_equals_one_without(monkeypatch, kw):
    X = _data(700, 5, seed=7, nan=0.03 if kw.get("missing") else 0.0)
    params = {"mapsize": (5, 6), "random_state": 0, **kw}
    shared = SOM(**params).fit(X, epochs=4)
    monkeypatch.setattr(_data_stats, "sharing", contextlib.nullcontext)
    alone = SOM(**params).fit(X, epochs=4)
    np.testing.assert_array_equal(shared.codebook_, alone.codebook_)
    assert shared.quantization_error() == alone.quantization_error()


@pytest.mark.filterwarnings("ignore:normalization='none' with features")
def test_the_range_check_names_the_largest_value_inside_a_call():
    X = _data(50, 2)
    X[7, 1] = 3e295
    with pytest.raises(ValueError, match=r"values up to 3e\+295"):
        SOM((2, 3), random_state=0).fit(X, epochs=1)


def test_infinite_input_is_refused_inside_a_call():
    X = _data(50, 2)
    X[3, 0] = -np.inf
    with pytest.raises(ValueError, match="1 infinite value"):
        SOM((2, 3), random_state=0).fit(X, epochs=1)


def test_the_small_eigendecomposition_equals_numpys():
    X = _data(500, 40, seed=8)
    _, cov = init.covariance(X)
    vals, vecs = np.linalg.eigh(cov)
    v1, w1 = init._eigh(cov)
    np.testing.assert_allclose(v1, vals, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(np.abs(w1), np.abs(vecs), rtol=1e-9, atol=1e-10)


# ---------------------------------------------------------------------------- smoothing
def _dense_gaussian(lattice, r):
    return neighborhood_weights("gaussian", lattice.grid_distances(), r)


@pytest.mark.parametrize("kind", LATTICES)
@pytest.mark.parametrize("shape", [(1, 6), (5, 1), (6, 7), (8, 4)])
def test_cached_gaussian_factors_equal_fresh_ones(kind, shape):
    try:
        lat = Lattice(*shape, kind)
    except ValueError:  # e.g. an odd number of rows on a toroidal hex map
        pytest.skip("no such lattice")
    r = 1.3
    training._FACTORS.clear()
    fresh = training._build_gaussian_factors(lat, r)
    cached = training.gaussian_factors(lat, r)
    again = training.gaussian_factors(Lattice(*shape, kind), r)  # another lattice object
    assert again is cached
    colsq, rowsq, parity = lat.axis_squared_distances()
    np.testing.assert_allclose(cached.gx, np.exp(-colsq / (2 * r * r)), rtol=1e-13)
    np.testing.assert_allclose(cached.gy, np.exp(-rowsq / (2 * r * r)), rtol=1e-13)
    np.testing.assert_array_equal(cached.gx, fresh.gx)
    np.testing.assert_array_equal(cached.gy, fresh.gy)
    for p, rows in cached.groups:
        np.testing.assert_array_equal(np.arange(shape[0])[rows], np.flatnonzero(parity == p))
        np.testing.assert_array_equal(cached.gy_rows[p], cached.gy[rows])
    assert not cached.gx.flags.writeable
    A = np.random.default_rng(9).standard_normal((lat.n_neurons, 4))
    out = training.KernelOperator(lat, "gaussian", r).matmul_separable(A)
    np.testing.assert_allclose(out, _dense_gaussian(lat, r) @ A, rtol=1e-12, atol=1e-12)


def test_the_factor_cache_is_bounded(monkeypatch):
    training._FACTORS.clear()
    lat = Lattice(4, 5, "hexa")
    for i in range(training._FACTORS_MAX_ENTRIES + 10):
        training.gaussian_factors(lat, 0.5 + i / 10)
    assert len(training._FACTORS) == training._FACTORS_MAX_ENTRIES
    monkeypatch.setattr(training, "_FACTORS_MAX_BYTES", 3 * 8 * 30 * 30 - 1)
    big = Lattice(30, 30, "rect")  # (30^2 + 2 * 30^2) float64: just too large to keep
    f = training.gaussian_factors(big, 3.0)
    assert all(k[0] != 30 for k in training._FACTORS)
    np.testing.assert_array_equal(f.gy, training._build_gaussian_factors(big, 3.0).gy)


def test_strided_parity_rows_are_found():
    assert training._as_slice(np.array([1, 3, 5, 7])) == slice(1, 8, 2)
    assert training._as_slice(np.array([4])) == slice(4, 5)
    idx = np.array([0, 1, 3])
    assert training._as_slice(idx) is idx


# ---------------------------------------------------------------------------- update
def _loop_ratio(W, num, lr):
    d = W.shape[1]
    out = W.copy()
    for i in range(W.shape[0]):
        if num[i, d] > 0:
            out[i] = (1 - lr) * W[i] + lr * num[i, :d] / num[i, d]
    return out


@pytest.mark.parametrize("lr", [1.0, 0.3])
@pytest.mark.parametrize("empty", [False, True])
def test_ratio_update_equals_the_per_unit_rule(lr, empty):
    rng = np.random.default_rng(10)
    W = rng.standard_normal((12, 3))
    num = rng.standard_normal((12, 4))
    num[:, 3] = rng.uniform(0.5, 2.0, 12)
    if empty:
        num[[2, 5], 3] = 0.0
    new = training._ratio_update(W, num, lr)
    np.testing.assert_allclose(new, _loop_ratio(W, num, lr), rtol=1e-14, atol=1e-15)
    if empty:
        np.testing.assert_array_equal(new[[2, 5]], W[[2, 5]])
    assert new is not W and not np.shares_memory(new, W)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_disparate_scale_warning_from_the_summary_matches_the_data(dtype):
    from somwidget.euclidean import warn_disparate_scales

    rng = np.random.default_rng(11)
    X = np.column_stack([rng.uniform(0, 1, 200), rng.uniform(0, 5e4, 200),
                         rng.uniform(-3, 3, 200)]).astype(dtype)
    with pytest.warns(UserWarning, match="differ by a factor") as direct:
        warn_disparate_scales(X)
    with pytest.warns(UserWarning, match="differ by a factor") as boxed:
        warn_disparate_scales(_data_stats.summarize(X).box())
    assert str(direct[0].message) == str(boxed[0].message)
    with pytest.warns(UserWarning, match="differ by a factor") as fitted:
        SOM((3, 3), random_state=0).fit(X, epochs=1)
    assert str(fitted[0].message) == str(direct[0].message)


@pytest.mark.parametrize("scipy_loaded", [True, False], ids=["syevr", "numpy-eigh"])
@pytest.mark.parametrize("d", [1, 2, 8, 40, 64])
@pytest.mark.parametrize("k", [1, 2])
def test_the_leading_components_alone_equal_numpys_leading_pairs(d, k, scipy_loaded, monkeypatch):
    import sys

    import scipy.linalg  # noqa: F401 - loaded, so that the syevr path can be taken

    if not scipy_loaded:  # a first fit in a fresh process: scipy.linalg not imported yet
        monkeypatch.delitem(sys.modules, "scipy.linalg")
    X = _data(300, d, seed=d)
    cov = np.cov(X, rowvar=False).reshape(d, d)  # independent of somwidget's covariance
    vals, vecs = np.linalg.eigh(cov)
    vals, vecs = vals[::-1][: min(k, d)], vecs[:, ::-1][:, : min(k, d)]
    mean, v, w = init.principal_components(X, n_components=k)
    np.testing.assert_allclose(mean, X.mean(axis=0), rtol=1e-12, atol=1e-12)
    assert v.shape == (min(k, d),) and w.shape == (d, min(k, d))
    np.testing.assert_allclose(v, vals, rtol=1e-10, atol=1e-12)
    # the same unit vectors up to sign, and each with its largest-magnitude entry positive
    np.testing.assert_allclose(np.abs(w), np.abs(vecs), rtol=1e-7, atol=1e-9)
    lead = np.argmax(np.abs(w), axis=0)
    assert (w[lead, np.arange(w.shape[1])] > 0).all()


# ------------------------------------------------------------ small fits do not wait for numba
def test_a_small_fit_does_not_wait_for_the_compiled_loops(monkeypatch):
    # importing numba and loading the compiled loops takes ~0.6 s: a first fit on digits-sized
    # data runs the numpy code meanwhile, and the loops are built on a background thread
    import threading

    from somwidget import _numba_kernels, _sums_jit

    monkeypatch.delenv("SOMWIDGET_NUMBA", raising=False)
    release, building = threading.Event(), threading.Event()
    real = _sums_jit._build

    def slow_build():
        building.set()
        assert release.wait(30)
        return real()

    kernel = _numba_kernels.compiled_once(slow_build)
    monkeypatch.setattr(_sums_jit, "kernel", kernel)
    X = _data(1797, 64, seed=3)
    with_numpy = SOM((8, 8), random_state=0).fit(X, epochs=3).codebook_  # returns: no wait
    assert building.wait(5) and kernel(False) is None  # the build runs in the background
    release.set()
    for _ in range(300):
        if kernel(False) is not None:
            break
        threading.Event().wait(0.1)
    if kernel(False) is None:
        pytest.skip("numba is not installed")
    compiled = SOM((8, 8), random_state=0).fit(X, epochs=3).codebook_  # now with the loops
    np.testing.assert_allclose(compiled, with_numpy, rtol=1e-12, atol=1e-12)


def test_a_large_call_builds_the_loops_at_once_and_small_ones_use_them(monkeypatch):
    from somwidget import _sums_jit

    monkeypatch.delenv("SOMWIDGET_NUMBA", raising=False)
    assert _sums_jit.kernel_for(_sums_jit.BUILD_ELEMENTS) is _sums_jit.kernel()
    assert _sums_jit.kernel_for(10) is _sums_jit.kernel()  # built now: small calls use it too
    monkeypatch.setenv("SOMWIDGET_NUMBA", "0")
    assert _sums_jit.kernel_for(_sums_jit.BUILD_ELEMENTS) is None
    assert _sums_jit.kernel_for(10) is None


@pytest.mark.parametrize("d", [20, 64, 130])
def test_the_initial_map_does_not_depend_on_what_was_imported_before(d, tmp_path):
    # scipy.linalg is loaded by scipy.spatial (the views, cdist), scikit-learn and more: a
    # first fit in a fresh kernel and one after a view was shown must start from the same map
    import subprocess
    import sys

    script = (
        "import sys, numpy as np\n"
        "if sys.argv[1] == 'first': import scipy.linalg\n"
        "from somwidget import SOM\n"
        f"X = np.random.default_rng(3).standard_normal((400, {d})) * np.arange(1, {d} + 1)\n"
        "np.save(sys.argv[2], SOM((6, 5), random_state=0).initialize(X).codebook_)\n"
    )
    out = {}
    for order in ("first", "never"):
        out[order] = tmp_path / f"{order}.npy"
        subprocess.run([sys.executable, "-c", script, order, str(out[order])], check=True)
    np.testing.assert_array_equal(np.load(out["first"]), np.load(out["never"]))
