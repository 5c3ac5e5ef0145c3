"""The SOM estimator: API, determinism, multi-phase training, callbacks, history, analyses."""

import os

import numpy as np
import pandas as pd
import pytest
from scipy.spatial.distance import cdist
from threadpoolctl import threadpool_info, threadpool_limits

import somwidget.bmu as bmu_module
from somwidget import SOM, TrainingState
from somwidget.validation import NotFittedError

RNG = np.random.default_rng(11)
X = np.vstack([RNG.normal(c, 0.4, size=(40, 4)) for c in ([0, 0, 0, 0], [3, 1, 0, 2], [1, 4, 2, 0])])


def test_constructor_stores_parameters_unmodified():
    som = SOM(mapsize=[3, 4], lattice="HEXA", neighborhood="epanechicov", random_state=3)
    assert som.get_params()["mapsize"] == [3, 4]
    assert som.lattice == "HEXA" and som.neighborhood == "epanechicov"
    assert not hasattr(som, "codebook_")
    som.set_params(lattice="rect")
    assert som.lattice == "rect"


def test_results_before_fitting_raise_not_fitted():
    with pytest.raises(NotFittedError, match="not initialised"):
        SOM().predict(X)
    with pytest.raises(NotFittedError):
        SOM().umatrix()
    # every result method, with X given (these two read the map's size first)
    for method in ("topographic_error", "best_matching_units", "quantization_error",
                   "vacancy_rate", "hit_counts", "transform"):
        with pytest.raises(NotFittedError, match="not initialised"):
            getattr(SOM((4, 4)), method)(X)


def test_same_seed_gives_bit_identical_maps():
    a = SOM((5, 4), initialization="random", random_state=42).fit(X, epochs=3)
    a.fit_online(X, epochs=1)
    b = SOM((5, 4), initialization="random", random_state=42).fit(X, epochs=3)
    b.fit_online(X, epochs=1)
    assert np.array_equal(a.codebook_, b.codebook_)
    c = SOM((5, 4), initialization="random", random_state=43).fit(X, epochs=3)
    assert not np.array_equal(a.codebook_, c.codebook_)


def test_second_fit_continues_from_the_codebook():
    som = SOM((5, 4), random_state=0).fit(X, epochs=2, radius_start=2, radius_end=1)
    W = som.codebook_.copy()
    norm = som.normalizer_
    som.fit(X, epochs=1, radius_start=1, radius_end=1)
    fresh = SOM((5, 4), random_state=0).initialize(X)
    assert som.normalizer_ is norm
    assert som.n_epochs_trained_ == 3
    assert not np.array_equal(som.codebook_, fresh.codebook_)
    # one more epoch from W equals one batch epoch applied to W by hand
    from somwidget.neighborhood import neighborhood_weights
    from somwidget.training import batch_epoch

    H = neighborhood_weights("gaussian", som.lattice_.grid_distances(), 1.0)
    expected, _ = batch_epoch(X, W, H)
    np.testing.assert_allclose(som.codebook_, expected, rtol=1e-12)


def test_predict_and_transform_match_cdist():
    som = SOM((4, 4), normalization="standard", random_state=0).fit(X, epochs=3)
    Xt = (X - X.mean(axis=0)) / X.std(axis=0)
    D = cdist(Xt, som.codebook_)
    np.testing.assert_allclose(som.transform(X), D, rtol=1e-9, atol=1e-9)
    np.testing.assert_array_equal(som.predict(X), D.argmin(axis=1))
    idx, dist = som.best_matching_units(X, k=2)
    np.testing.assert_array_equal(idx, np.argsort(D, axis=1)[:, :2])
    np.testing.assert_allclose(som.quantization_error(), D.min(axis=1).mean())


@pytest.mark.parametrize("metric", ["euclidean", "cityblock"])
def test_transform_keeps_float32_data_float32(metric):
    X32 = X.astype(np.float32)
    som = SOM((4, 4), random_state=0, distance_metric=metric).fit(X32, epochs=3)
    D = cdist(X32.astype(np.float64), som.codebook_, metric=metric)
    got = som.transform(X32)
    assert got.dtype == np.float32 and got.shape == D.shape
    np.testing.assert_allclose(got, D, rtol=2e-7, atol=1e-6)  # float64 values, rounded once
    assert som.transform(X32.astype(np.float64)).dtype == np.float64
    Xm = X32.copy()
    Xm[0, 1] = np.nan  # missing values: the masked distances, float32 too
    masked = SOM((4, 4), random_state=0, missing="ignore").fit(Xm, epochs=2)
    assert masked.transform(Xm).dtype == np.float32


def test_metrics_against_formulas():
    som = SOM((4, 5), lattice="rect", random_state=0).fit(X, epochs=4)
    D = cdist(X, som.codebook_)
    order = np.argsort(D, axis=1)
    b1, b2 = order[:, 0], order[:, 1]
    r1, c1 = np.divmod(b1, 5)
    r2, c2 = np.divmod(b2, 5)
    adjacent = np.abs(r1 - r2) + np.abs(c1 - c2) == 1
    assert som.topographic_error() == pytest.approx(np.mean(~adjacent))
    hits = np.bincount(b1, minlength=20)
    np.testing.assert_array_equal(som.hit_counts(), hits)
    assert som.vacancy_rate() == pytest.approx(np.mean(hits == 0))
    mae = np.mean(np.abs(X - som.codebook_[b1]))
    assert som.calculate_quantization_error() == pytest.approx(mae)
    qm = som.quality_map()
    for k in range(20):
        if hits[k]:
            assert qm[k] == pytest.approx(D[b1 == k, k].mean())
        else:
            assert np.isnan(qm[k])
    assert som.umatrix().shape == (20,)
    assert som.umatrix("interstitial").shape == (7, 9)
    assert som.distortion() > 0


def test_callbacks_see_epochs_radii_and_can_stop():
    seen: list[TrainingState] = []
    som = SOM((4, 4), random_state=0)
    som.fit(X, epochs=5, radius_start=3, radius_end=1, callbacks=seen.append, collect_history=True)
    assert [s.epoch for s in seen] == [1, 2, 3, 4, 5]
    assert [s.final for s in seen] == [False] * 4 + [True]
    np.testing.assert_allclose([s.radius for s in seen], [3, 2.5, 2, 1.5, 1])
    assert seen[0].metrics is not None and seen[0].mode == "batch" and seen[0].bmus.shape == (120,)
    assert not seen[-1].codebook.flags.writeable

    calls = []

    def stop_at_2(state):
        calls.append((state.epoch, state.final))
        return False if state.epoch == 2 else None

    som2 = SOM((4, 4), random_state=0).fit(X, epochs=6, callbacks=stop_at_2)
    assert som2.n_epochs_trained_ == 2
    assert calls == [(1, False), (2, False), (2, True)]
    assert som2.predict(X).shape == (120,)


def test_online_callbacks_every_samples_and_stop():
    steps = []

    def cb(state):
        steps.append((state.epoch, state.step, state.final))
        return False if (state.epoch, state.step) == (1, 50) else None

    som = SOM((4, 4), random_state=0)
    som.fit_online(X, epochs=3, callbacks=cb, callback_every_samples=50)
    assert steps[:3] == [(0, 50, False), (0, 100, False), (1, 120, False)]
    assert steps[-1][2] is True and len(steps) == 5
    assert som.n_epochs_trained_ == 1


def test_history_accumulates_across_phases():
    som = SOM((4, 4), random_state=0)
    som.fit(X, epochs=3, collect_history=True)
    som.fit(X, epochs=2)  # not collected
    som.fit_online(X, epochs=2, collect_history=True)
    h = som.history_
    assert all(len(v) == 5 for v in h.values())
    assert h["epoch"] == [1, 2, 3, 6, 7]
    assert h["mode"] == ["batch"] * 3 + ["online"] * 2
    np.testing.assert_allclose(h["radius"][-1], 1.0)


def test_online_training_lowers_quantization_error():
    som = SOM((5, 5), initialization="random", random_state=1).initialize(X)
    q0 = som.quantization_error()
    som.fit_online(X, epochs=5, radius_start=2.5, radius_end=0.5, presentation="sequential")
    assert som.quantization_error() < q0


def test_fit_auto_phases_and_reinforce():
    phases = []
    som = SOM(random_state=0).fit_auto(X, callbacks=lambda s: phases.append(s.phase))
    assert phases[0] == "rough" and phases[-1] == "fine"
    assert som.n_epochs_trained_ >= 30
    q = som.quantization_error()
    som.reinforce(X, reinforcement=2, compression=0.1)
    assert som.n_epochs_trained_ >= 32
    assert som.quantization_error() < q * 1.1


@pytest.mark.parametrize("kernel", ["gaussian", "bubble", "cut_gaussian", "epanechikov",
                                    "mexican_hat"])
def test_fit_auto_orders_the_map_with_every_kernel(kernel):
    from somwidget.datasets import load_wine

    data, _ = load_wine(return_X_y=True)
    som = SOM(normalization="standard", neighborhood=kernel, random_state=0).initialize(data)
    q0, t0 = som.quantization_error(), som.topographic_error()
    som.fit_auto(data, collect_history=True)
    assert som.quantization_error() < q0
    assert som.topographic_error() < t0  # ordered, not k-means-like (was 0.21 / 0.27 at r_fin=1)
    # the fine phase ends where the kernel weighs the direct neighbours like the Gaussian at r=1
    r_end = som.history_["radius"][-1]
    h1 = {"gaussian": np.exp(-1 / (2 * r_end**2)), "bubble": 1.0,
          "cut_gaussian": np.exp(-1 / (2 * r_end**2)), "epanechikov": 1 - 1 / r_end**2,
          "mexican_hat": (1 - 1 / r_end**2) * np.exp(-1 / (2 * r_end**2))}[kernel]
    assert h1 == pytest.approx(1.0 if kernel == "bubble" else np.exp(-0.5), rel=1e-9)


@pytest.mark.parametrize("kernel,w", [("gaussian", 1.0), ("bubble", 1.0),
                                      ("epanechikov", 1 / np.sqrt(1 - np.exp(-0.5)))])
def test_default_radii_follow_the_kernel(kernel, w):
    som = SOM((6, 10), neighborhood=kernel, random_state=0)
    som.fit(X, epochs=3, collect_history=True)
    assert som.history_["radius"][0] == pytest.approx(5.0 * w)
    assert som.history_["radius"][-1] == pytest.approx(w)
    from somwidget.trainer import Trainer

    assert Trainer(som, X).resolved_params()["radius_end"] == pytest.approx(w)


def test_online_step_applies_one_kohonen_update():
    som = SOM((3, 3), random_state=0).initialize(X)
    x = X[7]
    W = som.codebook_.copy()
    out = som.online_step(x, radius=1.0, learning_rate=0.5)
    b = int(np.argmin(np.sum((W - x) ** 2, axis=1)))
    h = 0.5 * np.exp(-som.lattice_.grid_distances()[b] ** 2 / 2)
    assert out.bmu == b
    np.testing.assert_allclose(out.weights, h)
    np.testing.assert_allclose(out.codebook_after, W + h[:, None] * (x - W))
    np.testing.assert_array_equal(out.codebook_before, W)
    np.testing.assert_allclose(som.codebook_, out.codebook_after)


def test_dataframe_columns_become_feature_names_and_labels():
    df = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    som = SOM((4, 4), normalization="minmax", random_state=0).fit(df, epochs=3)
    assert som.feature_names_in_ == ["a", "b", "c", "d"]
    np.testing.assert_allclose(som.codebook_in_data_units(), som.component_planes())
    lo, hi = X.min(axis=0), X.max(axis=0)
    np.testing.assert_allclose(som.codebook_in_data_units(), lo + som.codebook_ * (hi - lo))
    labels = np.repeat(["p", "q", "r"], 40)
    counts = som.label_counts(labels)
    assert counts.to_numpy().sum() == 120
    np.testing.assert_array_equal(counts.sum(axis=1).to_numpy(), som.hit_counts())
    props = som.label_proportions(labels)
    hit = som.hit_counts() > 0
    np.testing.assert_allclose(props.to_numpy()[hit].sum(axis=1), 1.0)
    table = som.classification_table(labels=labels)
    np.testing.assert_array_equal(table["bmu"].to_numpy(), som.predict(df))


def test_l2_has_no_data_units():
    som = SOM((3, 3), normalization="l2", random_state=0).fit(X + 5, epochs=2)
    with pytest.raises(ValueError, match="not invertible"):
        som.codebook_in_data_units()


def test_structural_change_reinitialises():
    som = SOM((3, 3), random_state=0).fit(X, epochs=1)
    som.set_params(mapsize=(4, 2))
    som.fit(X, epochs=1)
    assert som.codebook_.shape == (8, 4) and som.n_epochs_trained_ == 1


def test_subsample_draws_from_the_estimator_generator():
    a = SOM((4, 4), random_state=5).fit(X, epochs=3, subsample_ratio=0.5)
    b = SOM((4, 4), random_state=5).fit(X, epochs=3, subsample_ratio=0.5)
    full = SOM((4, 4), random_state=5).fit(X, epochs=3)
    assert np.array_equal(a.codebook_, b.codebook_)
    assert not np.array_equal(a.codebook_, full.codebook_)


def test_lazy_widget_names_do_not_import_widgets():
    import subprocess
    import sys

    code = "import somwidget, sys; assert 'ipywidgets' not in sys.modules; print('ok')"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "ok"


# ---------------------------------------------------------------- n_jobs (thread-pool limits)
def _pool_threads() -> list[int]:
    """num_threads of every BLAS / OpenMP pool loaded in this process."""
    return [p["num_threads"] for p in threadpool_info() if p["user_api"] in ("blas", "openmp")]


def test_n_jobs_is_a_plain_parameter():
    som = SOM((3, 3), n_jobs=2)
    assert som.n_jobs == 2 and som.get_params()["n_jobs"] == 2
    assert SOM().get_params()["n_jobs"] is None
    som.set_params(n_jobs=-1)
    assert som.n_jobs == -1 and "n_jobs=-1" in repr(som)
    assert SOM(**som.get_params()).get_params() == som.get_params()
    assert "n_jobs" not in repr(SOM())


@pytest.mark.parametrize(
    "train",
    [
        lambda som, cb: som.fit(X, epochs=3, callbacks=cb),
        lambda som, cb: som.fit_online(X, epochs=2, callbacks=cb),
        lambda som, cb: som.fit_auto(X, callbacks=cb),
        lambda som, cb: som.fit(X, epochs=1).reinforce(X, reinforcement=2, callbacks=cb),
    ],
    ids=["fit", "fit_online", "fit_auto", "reinforce"],
)
def test_n_jobs_1_limits_the_pools_during_training_and_restores_them(train):
    with threadpool_limits(limits=2):  # a known starting point that differs from 1
        before = _pool_threads()
        assert before and all(n == 2 for n in before)
        seen: list[list[int]] = []

        def cb(state):
            seen.append(_pool_threads())
            state.som.quantization_error()  # a nested limited call must not restore early
            seen.append(_pool_threads())

        train(SOM((4, 3), random_state=0, n_jobs=1), cb)
        assert len(seen) >= 2
        assert all(n == 1 for threads in seen for n in threads)
        assert _pool_threads() == before


def test_n_jobs_none_leaves_the_pools_alone():
    with threadpool_limits(limits=2):
        seen: list[list[int]] = []
        SOM((4, 3), random_state=0).fit(X, epochs=2, callbacks=lambda s: seen.append(_pool_threads()))
        assert seen and all(n == 2 for threads in seen for n in threads)
        assert all(n == 2 for n in _pool_threads())


def test_n_jobs_minus_one_uses_all_cores():
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    if cores < 2:
        pytest.skip("needs at least 2 cores")
    with threadpool_limits(limits=1):
        seen: list[list[int]] = []

        def cb(state):
            seen.append([p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"])

        SOM((4, 3), random_state=0, n_jobs=-1).fit(X, epochs=1, callbacks=cb)
        assert seen and all(n > 1 for threads in seen for n in threads)
        assert all(n == 1 for n in _pool_threads())


def test_n_jobs_applies_to_predict_transform_and_metrics(monkeypatch):
    som = SOM((4, 3), random_state=0, n_jobs=1).fit(X, epochs=2)
    seen: list[list[int]] = []
    find, dmat = bmu_module.find_bmus, bmu_module.distance_matrix

    def spy_find(*a, **k):
        seen.append(_pool_threads())
        return find(*a, **k)

    def spy_dmat(*a, **k):
        seen.append(_pool_threads())
        return dmat(*a, **k)

    monkeypatch.setattr(bmu_module, "find_bmus", spy_find)
    monkeypatch.setattr(bmu_module, "distance_matrix", spy_dmat)
    with threadpool_limits(limits=2):
        # fresh copies: the BMU cache would answer a second call on the same data
        som.predict(X.copy())
        som.transform(X.copy())
        som.best_matching_units(X.copy(), k=2)
        som.quantization_error(X.copy())
        som.topographic_error(X.copy())
        assert len(seen) == 5
        assert all(n == 1 for threads in seen for n in threads)
        assert all(n == 2 for n in _pool_threads())


def test_n_jobs_1_gives_the_same_maps_as_none():
    def train(n_jobs):
        som = SOM((5, 4), random_state=3, n_jobs=n_jobs).fit(X, epochs=4)
        som.fit_online(X, epochs=1)
        return som

    a, b = train(None), train(1)
    np.testing.assert_allclose(a.codebook_, b.codebook_, rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(a.predict(X), b.predict(X))
    np.testing.assert_allclose(a.transform(X), cdist(X, b.codebook_), rtol=1e-5, atol=1e-5)


# ----------------------------------------------------------------- one spelling per parameter
def test_old_spellings_are_aliases_giving_the_same_map():
    new = SOM((4, 5), random_state=3).fit(X, epochs=4, radius_start=2.5, radius_end=1.0,
                                          collect_history=True)
    old = SOM((4, 5), random_state=3).fit(X, epochs=4, radiusin=2.5, radiusfin=1.0,
                                          collect_history=True)
    np.testing.assert_array_equal(old.codebook_, new.codebook_)
    assert old.history_["radius"] == new.history_["radius"] == [2.5, 2.0, 1.5, 1.0]
    kw_new = {"radius_start": 2.0, "radius_end": 0.5, "learning_rate_start": 0.4,
              "learning_rate_end": 0.05}
    kw_old = {"radiusin": 2.0, "radiusfin": 0.5, "learning_rate_init": 0.4,
              "learning_rate_fin": 0.05}
    a = SOM((4, 5), random_state=3).fit_online(X, epochs=2, collect_history=True, **kw_new)
    b = SOM((4, 5), random_state=3).fit_online(X, epochs=2, collect_history=True, **kw_old)
    np.testing.assert_array_equal(a.codebook_, b.codebook_)
    # the schedule reaches exactly the given end values at the last presentation
    assert a.history_[-1].radius == pytest.approx(0.5) and a.history_[-1].learning_rate == 0.05
    # the training arguments are keyword-only (scikit-learn's fit(X, y=None, *, ...)): the old
    # positional epochs lands in y and is refused with the keyword spelling, never ignored
    with pytest.raises(TypeError, match=r"write fit\(X, epochs=4\)"):
        SOM((4, 5), random_state=3).fit(X, 4)
    with pytest.raises(TypeError):
        SOM((4, 5), random_state=3).fit(X, None, 4)
    # the same radii set in the constructor give the same map
    c = SOM((4, 5), random_state=3, epochs=4, radius_start=2.5, radius_end=1.0).fit(X)
    np.testing.assert_array_equal(c.codebook_, new.codebook_)


@pytest.mark.parametrize("method, new, old", [
    ("fit", "radius_start", "radiusin"), ("fit", "radius_end", "radiusfin"),
    ("fit_online", "radius_start", "radiusin"), ("fit_online", "radius_end", "radiusfin"),
    ("fit_online", "learning_rate_start", "learning_rate_init"),
    ("fit_online", "learning_rate_end", "learning_rate_fin"),
])
def test_both_spellings_at_once_is_a_type_error_naming_both(method, new, old):
    som = SOM((3, 3), random_state=0)
    with pytest.raises(TypeError, match=rf"{method}\(\) got both {new}=.* and {old}="):
        getattr(som, method)(X, epochs=1, **{new: 0.5, old: 0.5})
    assert not hasattr(som, "codebook_")  # refused before anything was initialised


def test_errors_name_the_spelling_that_was_used():
    with pytest.raises(ValueError, match="radius_end must be <= radius_start"):
        SOM((3, 3)).fit(X, radius_start=1, radius_end=2)
    with pytest.raises(ValueError, match="radiusfin must be <= radius_start"):
        SOM((3, 3)).fit(X, radius_start=1, radiusfin=2)
    with pytest.raises(ValueError, match="learning_rate_end must be <= learning_rate_start"):
        SOM((3, 3)).fit_online(X, learning_rate_start=0.1, learning_rate_end=0.5)
    with pytest.raises(ValueError, match="learning_rate_start must be in"):
        SOM((3, 3)).fit_online(X, learning_rate_start=1.5)
