"""The threaded map step of a batch epoch (somwidget._map_step): BMUs and per-unit sums shared
among worker threads must equal an independent computation, leave the BLAS pool as it was, and
stay right when several callers run at once."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from scipy.spatial.distance import cdist

from somwidget import SOM, _blas_threads, _block_threads, _map_step, _sums_jit, training
from somwidget.euclidean import EuclideanSearch


def _reference(X: np.ndarray, W: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    b = cdist(np.asarray(X, dtype=np.float64), W).argmin(axis=1)
    S = np.zeros(W.shape)
    np.add.at(S, b, np.asarray(X, dtype=np.float64))
    return b, S, np.bincount(b, minlength=W.shape[0]).astype(float)


@pytest.fixture(params=[1, 2, 3], ids=["serial", "2-threads", "3-threads"])
def threads(request, monkeypatch):
    monkeypatch.setattr(_blas_threads, "current_threads", lambda: request.param)
    monkeypatch.setattr(_block_threads, "MIN_WORKER_COST", 1)  # small test data, threads all the same
    return request.param


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("numba", ["1", "0"], ids=["compiled-sums", "sparse-sums"])
def test_bmus_sums_and_counts_equal_an_independent_computation(threads, dtype, numba, monkeypatch):
    if numba == "1" and _sums_jit.kernel() is None:
        pytest.skip("numba is not installed")
    monkeypatch.setenv("SOMWIDGET_NUMBA", numba)
    rng = np.random.default_rng(threads)
    X = rng.normal(size=(3001, 7)).astype(dtype)
    W = rng.normal(size=(37, 7))
    # blocks of 256 rows: 12 blocks, so every worker gets several and the last one is short
    b, S, n = _map_step.bmus_and_sums(X, EuclideanSearch(W), chunk=256)
    b_ref, S_ref, n_ref = _reference(X, W)
    np.testing.assert_array_equal(b, b_ref)
    np.testing.assert_allclose(S, S_ref, rtol=1e-12, atol=1e-9)
    np.testing.assert_array_equal(n, n_ref)
    assert S.dtype == np.float64 and n.dtype == np.float64


def test_the_float64_fallback_runs_in_the_workers_at_large_magnitude(threads):
    # a Unix-timestamp column: the float32 scores cannot order these units, the fallback must
    rng = np.random.default_rng(7)
    X = rng.normal(size=(2000, 4))
    X[:, 0] = 1.7e9 + rng.uniform(0, 1e3, size=2000)
    W = X[rng.choice(2000, 50, replace=False)] + rng.normal(scale=0.5, size=(50, 4))
    b, S, _ = _map_step.bmus_and_sums(X, EuclideanSearch(W, X.mean(axis=0)), chunk=300, rtol=0.0)
    b_ref, S_ref, _ = _reference(X, W)
    np.testing.assert_array_equal(b, b_ref)
    np.testing.assert_allclose(S, S_ref, rtol=1e-12)


def _live_blas_threads() -> int:
    return max(int(lib.num_threads) for lib in _blas_threads._libraries())


def test_the_blas_pool_is_held_from_any_thread_and_restored_when_users_interleave():
    # numpy's OpenBLAS ignores threadpoolctl limits from all but one Python thread: a Studio's
    # background thread must still get its single-threaded BLAS
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=2, user_api="blas"):  # the main thread takes control
        before = _blas_threads.current_threads()
        entered, leave_first = threading.Event(), threading.Event()
        seen: list[tuple[int, int]] = []

        def first():
            with _blas_threads.single_threaded():
                seen.append((_live_blas_threads(), _blas_threads.current_threads()))
                entered.set()
                leave_first.wait(5)

        t = threading.Thread(target=first)
        t.start()
        entered.wait(5)
        # held at one thread; work shared among threads still sees the pool's own count
        assert seen == [(1, before)]
        with _blas_threads.single_threaded():
            assert _live_blas_threads() == 1
            leave_first.set()  # the first user leaves while the second is still inside
            t.join(5)
            assert _live_blas_threads() == 1
        assert _live_blas_threads() == before == _blas_threads.current_threads()


class _FakeBlas:
    """A stand-in for a threadpoolctl library controller (a BLAS loaded later)."""

    def __init__(self, path: str, threads: int) -> None:
        self.filepath, self.num_threads = path, threads

    def set_num_threads(self, n: int) -> None:
        self.num_threads = n


def test_a_blas_library_loaded_during_a_hold_is_held_too(monkeypatch):
    # scipy.linalg brings an OpenBLAS of its own, loaded after numpy's: an eigendecomposition
    # inside a training call's hold would otherwise run with that library's threads
    first, later = _FakeBlas("numpy-openblas", 2), _FakeBlas("scipy-openblas", 2)
    loaded = [first]
    monkeypatch.setattr(_blas_threads, "_libraries", lambda: list(loaded))
    with _blas_threads.single_threaded():
        assert first.num_threads == 1
        loaded.append(later)  # imported inside the hold
        with _blas_threads.single_threaded():
            assert (first.num_threads, later.num_threads) == (1, 1)
        assert later.num_threads == 1  # still inside the outer hold
    assert (first.num_threads, later.num_threads) == (2, 2)


def test_a_hold_inside_a_release_holds_again(monkeypatch):
    # a training's callback runs released (the user's threads); the user's predict there shares
    # its blocks among worker threads inside a hold of its own: those workers' BLAS calls must be
    # single-threaded again (they ran on every thread of the pool each: 5.6 s for a 300k-row
    # predict that takes 0.6 s outside a callback)
    lib = _FakeBlas("numpy-openblas", 2)
    monkeypatch.setattr(_blas_threads, "_libraries", lambda: [lib])
    seen = []
    with _blas_threads.single_threaded():  # the training call
        seen.append(lib.num_threads)
        with _blas_threads.released():  # its callback
            seen.append(lib.num_threads)
            with _blas_threads.single_threaded():  # the callback's predict
                seen.append(lib.num_threads)
            seen.append(lib.num_threads)  # the rest of the callback
            with _blas_threads.released():  # nested releases stay released
                seen.append(lib.num_threads)
            seen.append(lib.num_threads)
        seen.append(lib.num_threads)  # the training goes on
    seen.append(lib.num_threads)
    assert seen == [1, 2, 1, 2, 2, 2, 1, 2]
    # holds nested inside the release (a fit in a callback, and its own inner holds), and a
    # release inside those: one thread until the last of them closes
    seen = []
    with _blas_threads.single_threaded():
        with _blas_threads.released():
            with _blas_threads.single_threaded():
                with _blas_threads.single_threaded():
                    seen.append(lib.num_threads)
                seen.append(lib.num_threads)  # the outer of the two is still open
                with _blas_threads.released():  # that fit's own callback
                    seen.append(lib.num_threads)
                seen.append(lib.num_threads)
            seen.append(lib.num_threads)
        seen.append(lib.num_threads)
    assert seen == [1, 1, 2, 1, 2, 1]


def test_the_library_list_is_found_again_after_an_import(monkeypatch):
    import sys

    calls = []

    class Controller:
        def __init__(self) -> None:
            calls.append(1)

        def select(self, user_api: str):
            return type("Sel", (), {"lib_controllers": []})()

    import threadpoolctl

    monkeypatch.setattr(threadpoolctl, "ThreadpoolController", Controller)
    monkeypatch.setattr(_blas_threads, "_controller", None)
    _blas_threads._libraries()
    _blas_threads._libraries()
    assert len(calls) == 1  # cached while no module was imported
    monkeypatch.setitem(sys.modules, "somwidget_test_fake_module", object())
    _blas_threads._libraries()
    assert len(calls) == 2


def test_a_batch_fit_holds_blas_single_threaded_while_it_trains(monkeypatch):
    # the smoothing's small products between two searches would wake OpenBLAS's threads
    seen: list[int] = []
    real = training.batch_update

    def spy(*args, **kwargs):
        seen.append(_live_blas_threads())
        return real(*args, **kwargs)

    monkeypatch.setattr(training, "batch_update", spy)
    X = np.random.default_rng(0).normal(size=(500, 4))
    SOM((6, 5), random_state=0).fit(X, epochs=3)
    assert seen == [1, 1, 1]
    assert _live_blas_threads() == _blas_threads.current_threads()


def test_concurrent_callers_each_get_their_own_exact_result(monkeypatch):
    monkeypatch.setattr(_blas_threads, "current_threads", lambda: 2)
    monkeypatch.setattr(_block_threads, "MIN_WORKER_COST", 1)
    rng = np.random.default_rng(11)
    cases = [(rng.normal(size=(4000, 5)).astype(np.float32), rng.normal(size=(30, 5)))
             for _ in range(4)]
    results: dict[int, tuple] = {}

    def run(i: int) -> None:
        X, W = cases[i]
        for _ in range(3):
            results[i] = _map_step.bmus_and_sums(X, EuclideanSearch(W), chunk=256)

    workers = [threading.Thread(target=run, args=(i,)) for i in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(30)
    for i, (X, W) in enumerate(cases):
        b_ref, S_ref, n_ref = _reference(X, W)
        np.testing.assert_array_equal(results[i][0], b_ref)
        np.testing.assert_allclose(results[i][1], S_ref, rtol=1e-12, atol=1e-9)
        np.testing.assert_array_equal(results[i][2], n_ref)


def test_a_batch_epoch_is_the_same_map_step_on_one_thread_or_several(monkeypatch):
    rng = np.random.default_rng(5)
    X = rng.normal(size=(5000, 6)).astype(np.float32)
    fits = {}
    monkeypatch.setattr(_block_threads, "MIN_WORKER_COST", 1)
    for t in (1, 2):
        monkeypatch.setattr(_blas_threads, "current_threads", lambda t=t: t)
        fits[t] = SOM((12, 10), random_state=0, chunk_size=256).fit(X, epochs=5).codebook_
    # the same BMUs each epoch; only the order of adding the partial sums differs
    np.testing.assert_allclose(fits[1], fits[2], rtol=1e-12, atol=1e-12)


def test_block_sums_adds_into_given_totals():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(500, 3))
    W = rng.normal(size=(9, 3))
    S, n, b = training.block_sums(X, W)
    from somwidget import backend

    ns = backend.get_namespace(X)
    out = (np.ones((9, 3)), np.full(9, 2.0))
    S2, n2 = backend.block_sums(ns, X, b, 9, out=out)
    assert S2 is out[0] and n2 is out[1]
    np.testing.assert_allclose(S2, S + 1.0, rtol=1e-12)
    np.testing.assert_array_equal(n2, n + 2.0)


@pytest.mark.parametrize("k", [1, 2, 3])
def test_the_exact_top_k_search_is_the_same_on_worker_threads(threads, k):
    # predict, transform and the one-pass metrics: blocks on the workers, each with its own
    # per-block scale (no data extent known), still the exact float64 ranking of cdist
    from somwidget.euclidean import nearest

    rng = np.random.default_rng(k)
    X = rng.normal(size=(2500, 5)).astype(np.float32)
    X[:1200, 0] += 1e6  # blocks of very different magnitude
    W = np.vstack([X[rng.choice(2500, 40, replace=False)].astype(np.float64),
                   rng.normal(size=(10, 5))])
    idx, dist = nearest(X, W, k, chunk=256)
    D = cdist(X.astype(np.float64), W)
    order = np.argsort(D, axis=1, kind="stable")[:, :k]
    np.testing.assert_array_equal(idx, order)
    np.testing.assert_allclose(dist, np.take_along_axis(D, order, axis=1), rtol=1e-12)


def test_the_plan_gives_every_worker_equal_blocks_and_enough_work(monkeypatch):
    monkeypatch.setattr(_blas_threads, "current_threads", lambda: 2)
    # digits-sized: 1797 rows x 400 units x 65 is too little work for two threads
    assert _block_threads.plan(1797, 655, 400 * 65) == (655, 1)
    rows, t = _block_threads.plan(10_000, 655, 400 * 33)
    blocks = -(-10_000 // rows)
    assert t == 2 and rows <= 655 and blocks % 2 == 0 and blocks * rows - 10_000 < blocks
    monkeypatch.setattr(_blas_threads, "current_threads", lambda: 1)
    assert _block_threads.plan(10**6, 655, 400 * 33) == (655, 1)


def test_run_blocks_covers_every_block_once_with_the_caller_as_worker_zero():
    seen: list[tuple[int, int, int, str]] = []
    lock = threading.Lock()

    def work(k: int, s: int, e: int) -> None:
        with lock:
            seen.append((k, s, e, threading.current_thread().name))

    assert _block_threads.run_blocks(1000, 100, work, 2)
    assert sorted((s, e) for _, s, e, _ in seen) == [(s, s + 100) for s in range(0, 1000, 100)]
    assert {s for k, s, _, _ in seen if k == 0} == set(range(0, 1000, 200))
    caller = threading.current_thread().name
    assert all((name == caller) == (k == 0) for k, _, _, name in seen)


def test_run_blocks_raises_a_workers_error_after_all_workers_are_done():
    finished = []

    def work(k: int, s: int, e: int) -> None:
        if k == 1:
            raise RuntimeError(f"block {s}")
        finished.append(s)

    with pytest.raises(RuntimeError, match="block 100"):
        _block_threads.run_blocks(400, 100, work, 2)
    assert sorted(finished) == [0, 200]


def test_a_search_given_a_new_codebook_equals_one_built_for_it():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(300, 5)) * 3.0
    center = X.mean(axis=0)
    extent = float(np.abs(X - center).max())
    W0, W1 = rng.normal(size=(20, 5)), rng.normal(size=(20, 5)) * 40.0  # W1 needs a larger scale
    for W in (W0 * 0.5, W1):
        reused = EuclideanSearch(W0, center, extent).set_codebook(W)
        fresh = EuclideanSearch(W, center, extent)
        assert reused.scale == fresh.scale
        np.testing.assert_array_equal(reused.WaT, fresh.WaT)
        assert reused.wmax == fresh.wmax and reused.w_extent == fresh.w_extent
    # a scale that still covers the new codebook is kept (prepared queries were scaled by it)
    wide = EuclideanSearch(W1, center, extent)
    assert wide.set_codebook(W0).scale == EuclideanSearch(W1, center, extent).scale
    with pytest.raises(ValueError, match="shape"):
        wide.set_codebook(W0[:5])
