"""Trainer: background training with play / pause / step / stop and live parameter changes.

References are computed independently: schedules from their closed-form formulas, codebooks from a
synchronous ``SOM.fit`` snapshotted by a callback after every epoch, BMUs with scipy's cdist and
neighbourhood weights from hand-built hex coordinates. Synchronisation uses events, never sleeps.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.spatial.distance import cdist

from somwidget.som import SOM
from somwidget.trainer import Trainer, TrainerParams

TIMEOUT = 60.0
pytestmark = pytest.mark.usefixtures("no_leaked_threads")
THREAD_GRACE_S = TIMEOUT  # leftover workers get this long to end (conftest)
ROWS, COLS = 6, 7
EPOCHS = 8


@pytest.fixture(scope="module")
def X():
    rng = np.random.default_rng(42)
    return np.vstack([rng.normal(0, 1, (60, 3)), rng.normal(4, 0.5, (60, 3))])


def make_som(**kw):
    return SOM(mapsize=(ROWS, COLS), lattice="hexa", random_state=3, **kw)


def linear(start, end, n, t):
    return start + (end - start) * t / (n - 1)


def exponential(start, end, n, t):
    return start * (end / start) ** (t / (n - 1))


def reference_snapshots(X, radii, lr=1.0):
    """Codebook after each epoch of a synchronous fit that uses exactly ``radii``."""
    snaps = {}
    som = make_som()
    som.initialize(X)
    snaps[0] = som.codebook_.copy()

    for e, r in enumerate(radii, start=1):
        som.fit(X, epochs=1, radius_start=r, radius_end=r, learning_rate=lr)
        snaps[e] = som.codebook_.copy()
    return snaps


def full_fit_snapshots(X, epochs, rin, rfin):
    """Codebook after each epoch of ONE synchronous fit call (captured by a callback)."""
    snaps = {}
    som = make_som()
    som.initialize(X)
    snaps[0] = som.codebook_.copy()

    def grab(state):
        snaps[state.epoch] = np.array(state.codebook)

    som.fit(X, epochs=epochs, radius_start=rin, radius_end=rfin, callbacks=[grab])
    return snaps


def hex_coords(rows, cols):
    r, c = np.divmod(np.arange(rows * cols), cols)
    return np.column_stack([c + 0.5 * (r % 2), r * np.sqrt(3) / 2])


def test_play_to_the_end_matches_a_synchronous_fit(X):
    snaps = full_fit_snapshots(X, EPOCHS, 3.0, 1.0)
    trainer = Trainer(make_som(), X, epochs=EPOCHS, radius_start=3.0, radius_end=1.0)
    trainer.play()
    assert trainer.join(TIMEOUT)
    assert trainer.status == "finished"
    assert trainer.epoch == EPOCHS
    np.testing.assert_allclose(trainer.som.codebook_, snaps[EPOCHS], rtol=1e-12, atol=1e-12)
    used = [r.radius for r in trainer.history]
    np.testing.assert_allclose(used, [linear(3.0, 1.0, EPOCHS, t) for t in range(EPOCHS)])
    # metrics recorded per epoch: recompute the last one from the final codebook
    d = cdist(X, trainer.som.codebook_)
    order = np.argsort(d, axis=1)
    assert trainer.history[-1].quantization_error == pytest.approx(d.min(axis=1).mean())
    assert trainer.history[-1].vacancy_rate == pytest.approx(
        1 - np.unique(order[:, 0]).size / (ROWS * COLS)
    )
    coords = hex_coords(ROWS, COLS)
    grid = np.linalg.norm(coords[order[:, 0]] - coords[order[:, 1]], axis=1)
    assert trainer.history[-1].topographic_error == pytest.approx(np.mean(grid > 1 + 1e-9))


def test_pause_from_a_listener_leaves_the_model_of_that_epoch_then_resume(X):
    snaps = full_fit_snapshots(X, EPOCHS, 3.0, 1.0)
    trainer = Trainer(make_som(), X, epochs=EPOCHS, radius_start=3.0, radius_end=1.0)

    def pause_at_3(event):
        if event.kind == "epoch" and event.epoch == 3:
            trainer.pause()

    trainer.add_listener(pause_at_3)
    trainer.play()
    assert trainer.join(TIMEOUT)
    assert trainer.status == "paused"
    assert trainer.epoch == 3
    np.testing.assert_allclose(trainer.som.codebook_, snaps[3], rtol=1e-12, atol=1e-12)
    # predict works at once and agrees with a brute-force nearest unit
    expected = cdist(X, snaps[3]).argmin(axis=1)
    np.testing.assert_array_equal(trainer.som.predict(X), expected)
    trainer.remove_listener(pause_at_3)
    trainer.play()
    assert trainer.join(TIMEOUT)
    assert trainer.status == "finished"
    np.testing.assert_allclose(trainer.som.codebook_, snaps[EPOCHS], rtol=1e-12, atol=1e-12)


def test_pause_from_the_main_thread_is_never_torn(X):
    snaps = full_fit_snapshots(X, 30, 3.0, 1.0)
    trainer = Trainer(make_som(), X, epochs=30, radius_start=3.0, radius_end=1.0)
    first = threading.Event()
    trainer.add_listener(lambda e: first.set() if e.kind == "epoch" else None)
    trainer.play()
    assert first.wait(TIMEOUT)
    assert trainer.wait_until_paused(TIMEOUT)
    k = trainer.epoch
    assert trainer.status in ("paused", "finished")
    assert 1 <= k <= 30
    np.testing.assert_allclose(trainer.som.codebook_, snaps[k], rtol=1e-12, atol=1e-12)
    assert len(trainer.history) == k


def test_parameter_change_applies_from_the_next_epoch(X):
    reached, go = threading.Event(), threading.Event()
    trainer = Trainer(make_som(), X, epochs=EPOCHS, radius_start=3.0, radius_end=1.0,
                      neighborhood="gaussian")

    def hold_at_3(event):
        if event.kind == "epoch" and event.epoch == 3:
            reached.set()
            assert go.wait(TIMEOUT)

    trainer.add_listener(hold_at_3)
    trainer.play()
    assert reached.wait(TIMEOUT)
    # changed from the main thread while the worker sits between epochs 3 and 4
    trainer.params.update(radius_start=5.0, radius_end=0.5, decay="exponential",
                          neighborhood="bubble")
    go.set()
    assert trainer.join(TIMEOUT)
    used = np.array([r.radius for r in trainer.history])
    expected = [linear(3.0, 1.0, EPOCHS, t) for t in range(3)] + [
        exponential(5.0, 0.5, EPOCHS, t) for t in range(3, EPOCHS)
    ]
    np.testing.assert_allclose(used, expected, rtol=1e-12)
    assert [r.neighborhood for r in trainer.history] == ["gaussian"] * 3 + ["bubble"] * 5
    assert trainer.som.neighborhood == "bubble"
    # and the codebook is what a synchronous run with exactly those radii gives
    ref = reference_snapshots(X, expected[:3])
    som = make_som()
    som.initialize(X)
    som.codebook_ = ref[3].copy()
    som.set_params(neighborhood="bubble")
    for r in expected[3:]:
        som.fit(X, epochs=1, radius_start=r, radius_end=r)
    np.testing.assert_allclose(trainer.som.codebook_, som.codebook_, rtol=1e-12, atol=1e-12)


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    change_at=st.integers(1, 5),
    start=st.floats(0.5, 6.0),
    end=st.floats(0.2, 3.0),
    epochs=st.integers(6, 9),
)
def test_schedule_after_a_change_is_recomputed_from_the_current_epoch(X, change_at, start, end, epochs):
    trainer = Trainer(make_som(), X[:40], epochs=epochs, radius_start=2.0, radius_end=1.0,
                      learning_rate_start=0.9, learning_rate_end=0.5, metrics=False)

    def change(event):
        if event.kind == "epoch" and event.epoch == change_at:
            trainer.set_params(radius_start=start, radius_end=end, learning_rate_start=1.0)

    trainer.add_listener(change)
    trainer.play()
    assert trainer.join(TIMEOUT)
    radii = [r.radius for r in trainer.history]
    rates = [r.learning_rate for r in trainer.history]
    exp_r = [linear(2.0, 1.0, epochs, t) if t < change_at else linear(start, end, epochs, t)
             for t in range(epochs)]
    exp_lr = [linear(0.9, 0.5, epochs, t) if t < change_at else linear(1.0, 0.5, epochs, t)
              for t in range(epochs)]
    np.testing.assert_allclose(radii, exp_r, rtol=1e-12)
    np.testing.assert_allclose(rates, exp_lr, rtol=1e-12)


def test_stop_is_terminal_until_reset(X):
    trainer = Trainer(make_som(), X, epochs=50, radius_start=3.0, radius_end=1.0)
    first = threading.Event()
    trainer.add_listener(lambda e: first.set() if e.kind == "epoch" else None)
    trainer.play()
    assert first.wait(TIMEOUT)
    trainer.stop(TIMEOUT)
    assert trainer.status == "stopped"
    assert not trainer.is_alive
    k = trainer.epoch
    snaps = reference_snapshots(X, [linear(3.0, 1.0, 50, t) for t in range(k)])
    np.testing.assert_allclose(trainer.som.codebook_, snaps[k], rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(trainer.som.predict(X), cdist(X, snaps[k]).argmin(axis=1))
    with pytest.raises(RuntimeError, match="stopped"):
        trainer.play()
    with pytest.raises(RuntimeError, match="reset"):
        trainer.step()
    trainer.reset(mapsize=(4, 5))
    assert trainer.status == "idle"
    assert trainer.epoch == 0 and trainer.history == []
    assert trainer.som.codebook_.shape == (20, 3)
    trainer.step()
    assert trainer.join(TIMEOUT)
    assert trainer.epoch == 1 and trainer.status == "paused"


@pytest.mark.parametrize("false", [False, np.False_])
def test_callback_returning_false_stops(X, false):
    trainer = Trainer(make_som(), X, epochs=EPOCHS,
                      callbacks=[lambda s: false if s.epoch == 1 else None])
    trainer.play()
    assert trainer.join(TIMEOUT)
    assert trainer.status == "stopped"
    assert trainer.epoch == 1


def test_batch_step_is_one_epoch(X):
    snaps = full_fit_snapshots(X, EPOCHS, 3.0, 1.0)
    trainer = Trainer(make_som(), X, epochs=EPOCHS, radius_start=3.0, radius_end=1.0)
    events = []
    trainer.add_listener(lambda e: events.append((e.kind, e.status, e.epoch, e.final)))
    trainer.step()
    trainer.step()
    assert trainer.join(TIMEOUT)
    assert trainer.status == "paused"
    assert trainer.epoch == 2
    np.testing.assert_allclose(trainer.som.codebook_, snaps[2], rtol=1e-12, atol=1e-12)
    assert [e for e in events if e[0] == "epoch"] == [("epoch", "running", 1, False),
                                                      ("epoch", "running", 2, False)]
    assert events[-1] == ("status", "paused", 2, True)


def test_online_step_exposes_one_kohonen_update(X):
    trainer = Trainer(make_som(), X, mode="online", epochs=2, radius_start=2.0, radius_end=1.0,
                      learning_rate_start=0.5, learning_rate_end=0.1)
    before = trainer.som.codebook_.copy()
    trainer.step()
    assert trainer.join(TIMEOUT)
    s = trainer.last_step
    assert trainer.step_in_epoch == 1 and trainer.epoch == 0
    x = X[s.sample_index]
    np.testing.assert_allclose(s.sample, x)  # normalization "none": training space = data
    np.testing.assert_allclose(s.codebook_before, before)
    assert s.bmu == int(cdist(x[None, :], before).argmin())
    coords = hex_coords(ROWS, COLS)
    d2 = ((coords - coords[s.bmu]) ** 2).sum(axis=1)
    h = 0.5 * np.exp(-d2 / (2 * 2.0**2))
    np.testing.assert_allclose(s.weights, h, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(s.codebook_after, before + h[:, None] * (x - before), atol=1e-12)
    np.testing.assert_allclose(trainer.som.codebook_, s.codebook_after)
    assert (s.radius, s.learning_rate) == (2.0, 0.5)


def test_online_steps_complete_an_epoch_and_play_finishes_it(X):
    data = X[:25]
    trainer = Trainer(make_som(), data, mode="online", epochs=2, radius_start=2.0,
                      radius_end=1.0, learning_rate_start=0.5, learning_rate_end=0.1)
    for _ in range(10):
        trainer.step()
    assert trainer.join(TIMEOUT)
    assert trainer.step_in_epoch == 10 and trainer.epoch == 0
    presented = [s.sample_index for s in trainer.steps]
    assert len(set(presented)) == 10  # a permutation: no sample twice within an epoch
    trainer.play()  # finishes epoch 1 sample by sample, then runs epoch 2 with fit_online
    assert trainer.join(TIMEOUT)
    assert trainer.status == "finished" and trainer.epoch == 2
    presented = [s.sample_index for s in trainer.steps][:25]
    assert sorted(presented) == list(range(25))
    assert [(r.radius, r.learning_rate) for r in trainer.history] == [(2.0, 0.5), (1.0, 0.1)]


def test_errors_in_the_thread_are_reported_and_reraised(X):
    def bad_callback(state):
        raise ZeroDivisionError("boom in callback")

    trainer = Trainer(make_som(), X, epochs=EPOCHS, callbacks=[bad_callback])
    before = trainer.som.codebook_.copy()
    seen = []
    trainer.add_listener(lambda e: seen.append(e) if e.kind == "error" else None)
    trainer.play()
    with pytest.raises(ZeroDivisionError, match="boom in callback"):
        trainer.join(TIMEOUT)
    assert trainer.status == "error"
    assert isinstance(trainer.error, ZeroDivisionError)
    assert len(seen) == 1 and seen[0].final and "boom" in seen[0].message
    # the failed epoch was rolled back: the model is consistent and usable
    np.testing.assert_array_equal(trainer.som.codebook_, before)
    np.testing.assert_array_equal(trainer.som.predict(X), cdist(X, before).argmin(axis=1))
    with pytest.raises(RuntimeError, match="boom"):
        trainer.play()
    with pytest.raises(ZeroDivisionError):
        trainer.result(TIMEOUT)
    trainer.reset()
    assert trainer.status == "idle" and trainer.error is None


def test_a_failing_listener_is_an_error_too(X):
    trainer = Trainer(make_som(), X, epochs=EPOCHS)

    def bad(event):
        if event.kind == "epoch" and event.epoch == 2:
            raise KeyError("listener broke")

    trainer.add_listener(bad)
    trainer.play()
    with pytest.raises(KeyError, match="listener broke"):
        trainer.join(TIMEOUT)
    assert trainer.status == "error" and trainer.epoch == 2


def test_bad_arguments_are_refused_with_clear_messages(X):
    bad = X.copy()
    bad[3, 1] = np.nan
    with pytest.raises(ValueError, match='X contains 1 missing value.*missing="ignore"'):
        Trainer(make_som(), bad)
    with pytest.raises(ValueError, match="mode must be one of 'batch', 'online'"):
        TrainerParams(mode="stochastic")
    with pytest.raises(ValueError, match="learning_rate_start must be in"):
        TrainerParams(learning_rate_start=2.0)
    with pytest.raises(ValueError, match="epochs must be at least 1"):
        TrainerParams(epochs=0)
    with pytest.raises(ValueError, match="neighborhood must be one of"):
        TrainerParams(neighborhood="triangle")
    for bad in (1.0, -0.5, "0.2", True):
        with pytest.raises(ValueError, match=r"inhibition must be a number in \[0, 1\) or None"):
            TrainerParams(inhibition=bad)
    with pytest.raises(TypeError, match="unknown training parameter"):
        TrainerParams().update(radius=3)
    p = TrainerParams(epochs=5)
    with pytest.raises(ValueError, match="radius_end must be"):
        p.update(radius_start=2.0, radius_end=-1.0)
    assert p.radius_start is None  # all-or-nothing


def test_worker_is_a_named_daemon_and_eta_is_reported(X):
    trainer = Trainer(make_som(), X, epochs=3)
    names, etas = [], []

    def watch(event):
        names.append((threading.current_thread().name, threading.current_thread().daemon))
        if event.kind == "epoch":
            etas.append(event.eta_s)

    trainer.add_listener(watch)
    trainer.play()
    assert trainer.join(TIMEOUT)
    assert all(n.startswith("somwidget-trainer-") and d for n, d in names)
    assert len(etas) == 3 and etas[-1] == 0.0 and all(e is not None and e >= 0 for e in etas)


def test_play_when_finished_does_nothing_and_more_epochs_continue(X):
    trainer = Trainer(make_som(), X, epochs=2)
    trainer.play()
    assert trainer.join(TIMEOUT)
    trainer.play()
    assert trainer.join(TIMEOUT)
    assert trainer.epoch == 2 and trainer.status == "finished"
    trainer.params.epochs = 4
    trainer.play()
    assert trainer.join(TIMEOUT)
    assert trainer.epoch == 4 and trainer.status == "finished"


def test_play_and_step_when_finished_report_it_and_train_nothing(X):
    trainer = Trainer(make_som(), X, epochs=1)
    trainer.step()
    assert trainer.join(TIMEOUT)
    codebook = trainer.som.codebook_.copy()
    seen = []
    trainer.add_listener(lambda r: seen.append((r.kind, r.status, r.final, r.message)))
    for command in (trainer.play, trainer.step):
        command()
        assert trainer.join(TIMEOUT)
        assert trainer.status == "finished" and trainer.epoch == 1 and not trainer.is_alive
    assert seen == [("status", "finished", True, "already finished")] * 2
    np.testing.assert_array_equal(trainer.som.codebook_, codebook)


def test_inhibition_is_set_on_the_som_before_each_unit(X):
    trainer = Trainer(make_som(), X, epochs=2, neighborhood="mexican_hat", inhibition=0.4)
    assert trainer.resolved_params()["inhibition"] == 0.4
    trainer.step()
    assert trainer.join(TIMEOUT)
    assert trainer.som.inhibition == 0.4
    assert trainer.som.neighborhood == "mexican_hat"
    untouched = Trainer(make_som(), X, epochs=1)
    assert untouched.resolved_params()["inhibition"] == 0.1  # the SOM's own


@pytest.mark.parametrize("decay", ["linear", "exponential", "inverse"])
def test_the_epoch_schedule_is_the_decay_schedule_without_building_it(decay):
    """Each epoch reads its one value; with epochs=1e6 the Trainer no longer builds two arrays
    of a million values per epoch. The values equal somwidget.schedules.decay_schedule's."""
    from somwidget.schedules import decay_schedule
    from somwidget.trainer import Trainer

    X = np.random.default_rng(0).normal(size=(30, 2))
    n = 7
    t = Trainer(SOM((3, 3), random_state=0), X, epochs=n, decay=decay, radius_start=3.0,
                radius_end=0.5, learning_rate_start=0.9, learning_rate_end=0.05, mode="online")
    p = t.params.snapshot()
    got = np.array([t._schedule(p, e) for e in range(n)])
    np.testing.assert_allclose(got[:, 0], decay_schedule(3.0, 0.5, n, decay), rtol=1e-15)
    np.testing.assert_allclose(got[:, 1], decay_schedule(0.9, 0.05, n, decay), rtol=1e-15)
    t.close()
