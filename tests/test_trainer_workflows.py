"""Trainer and Studio workflows a notebook user goes through: DataFrames, warm starts from
other threads, callbacks in step mode, control ranges, refused commands and status records.

Expected values are computed independently: column names from the frame itself, fresh maps
from a synchronous ``SOM.fit`` on another SOM, callback epochs by counting samples.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest

from somwidget.som import SOM
from somwidget.trainer import Trainer

TIMEOUT = 60.0
THREAD_GRACE_S = TIMEOUT
pytestmark = pytest.mark.usefixtures("no_leaked_threads")
NAMES = ["height", "weight", "age"]


@pytest.fixture(scope="module")
def X():
    rng = np.random.default_rng(0)
    return rng.normal(size=(60, 3)) * [1.0, 10.0, 100.0]


@pytest.fixture
def df(X):
    pd = pytest.importorskip("pandas")
    return pd.DataFrame(X, columns=NAMES)


def make_som(**kw):
    return SOM(mapsize=(4, 4), random_state=0, **kw)


# ---------------------------------------------------------------- 1. DataFrame column names
def test_trainer_keeps_the_frames_column_names_through_training_and_reset(df):
    som = make_som()
    trainer = Trainer(som, df, epochs=2)
    assert list(som.feature_names_in_) == NAMES
    trainer.play()
    assert trainer.join(TIMEOUT)
    assert list(som.feature_names_in_) == NAMES
    trainer.reset()
    assert list(som.feature_names_in_) == NAMES
    trainer.reset(mapsize=(3, 3))
    assert list(som.feature_names_in_) == NAMES and som.mapsize_ == (3, 3)


def test_trainer_refuses_a_reordered_frame_for_a_map_fitted_on_the_frame(df):
    som = make_som().fit(df, epochs=2)
    codebook = som.codebook_.copy()
    reordered = df[["age", "weight", "height"]]
    with pytest.raises(ValueError) as fit_error:
        som.fit(reordered, epochs=1)
    np.testing.assert_array_equal(som.codebook_, codebook)
    with pytest.raises(ValueError) as trainer_error:
        Trainer(som, reordered, epochs=1)
    assert str(trainer_error.value) == str(fit_error.value)
    np.testing.assert_array_equal(som.codebook_, codebook)
    # the same columns in the same order are accepted
    trainer = Trainer(som, df, epochs=1)
    trainer.play()
    assert trainer.join(TIMEOUT) and trainer.status == "finished"


# ---------------------------------------------------------------- 2. warm_start per thread
def test_fit_from_another_thread_during_training_starts_afresh(X):
    fresh = make_som(warm_start=False).fit(X, epochs=1).codebook_.copy()
    som = make_som(warm_start=False)
    inside, release = threading.Event(), threading.Event()

    def hold(state):
        inside.set()
        release.wait(TIMEOUT)

    trainer = Trainer(som, X, epochs=2, callbacks=[hold])
    trainer.play()
    try:
        assert inside.wait(TIMEOUT)
        # the trainer's thread is inside its epoch (its _continuing block); this thread's fit
        # must start afresh
        out = {"cb": som.fit(X, epochs=1).codebook_.copy()}
        out["n"] = som.n_epochs_trained_
    finally:
        release.set()
        trainer.stop(TIMEOUT)
    np.testing.assert_allclose(out["cb"], fresh)
    assert out["n"] == 1


# ---------------------------------------------------------------- 3. callbacks in step mode
def test_callbacks_run_at_the_end_of_epochs_played_sample_by_sample(X):
    data = X[:20]
    calls = []
    trainer = Trainer(make_som(), data, epochs=3, mode="online",
                      callbacks=[lambda st: calls.append((st.epoch, st.n_epochs)) or False])
    trainer.play_samples = True
    trainer.play()
    assert trainer.join(TIMEOUT)
    assert calls == [(1, 3)]
    assert trainer.status == "stopped" and trainer.epoch == 1
    assert trainer.step_in_epoch == 0


def test_callbacks_run_at_the_end_of_an_epoch_made_of_steps(X):
    data = X[:7]
    calls = []
    trainer = Trainer(make_som(), data, epochs=3, mode="online",
                      callbacks=[lambda st: calls.append(st.epoch)])
    for _ in range(2 * data.shape[0]):
        trainer.step()
        assert trainer.join(TIMEOUT)
    assert calls == [1, 2]
    assert trainer.epoch == 2 and trainer.status == "paused"


def test_a_callback_returning_false_stops_a_stepped_epoch(X):
    data = X[:5]
    trainer = Trainer(make_som(), data, epochs=3, mode="online", callbacks=[lambda st: False])
    for _ in range(data.shape[0]):
        trainer.step()
        assert trainer.join(TIMEOUT)
    assert trainer.status == "stopped" and trainer.epoch == 1
    with pytest.raises(RuntimeError, match="stopped"):
        trainer.step()


# ---------------------------------------------------------------- 6. status records
def _status_listener(trainer):
    seen = []
    trainer.add_listener(lambda r: seen.append(r.status) if r.kind == "status" else None)
    return seen


def test_every_status_change_sends_one_record_with_the_new_status(X):
    trainer = Trainer(make_som(), X, epochs=2)
    seen = _status_listener(trainer)
    trainer.play()
    assert trainer.join(TIMEOUT)
    assert seen == ["running", "finished"]
    trainer.reset()
    seen.clear()
    trainer.step()
    assert trainer.join(TIMEOUT)
    trainer.step()
    assert trainer.join(TIMEOUT)
    assert seen == ["running", "paused", "running", "finished"]


def test_stop_from_a_listener_sends_one_stopped_record(X):
    trainer = Trainer(make_som(), X, epochs=5)
    seen = _status_listener(trainer)
    trainer.add_listener(lambda r: trainer.stop() if r.kind == "epoch" else None)
    trainer.play()
    assert trainer.join(TIMEOUT)
    assert trainer.status == "stopped" and trainer.epoch == 1
    assert seen == ["running", "stopped"]
    trainer.stop()  # no change: no record
    assert seen == ["running", "stopped"]


# ---------------------------------------------------------------- Studio (4, 5)
@pytest.fixture
def studio_cls():
    pytest.importorskip("ipywidgets")
    pytest.importorskip("bqplot")
    from somwidget import Studio

    return Studio


def test_studio_inhibition_control_shows_any_value_the_som_accepts(studio_cls, X):
    studio = studio_cls(make_som(), X, neighborhood="mexican_hat", inhibition=0.97)
    try:
        assert studio.controls["inhibition"].value == 0.97
        assert studio.trainer.params.inhibition == 0.97
        SOM(inhibition=studio.controls["inhibition"].max)._validated()  # its top is allowed
    finally:
        studio.close()


def test_a_refused_studio_play_changes_nothing(studio_cls, X):
    studio = studio_cls(make_som(), X, epochs=2)
    try:
        studio.play()
        assert studio.trainer.join(TIMEOUT)
        studio.stop()
        before = studio.trainer.params.snapshot()
        shown = {k: studio.controls[k].value for k in ("epochs", "radius_start",
                                                       "learning_rate_start")}
        with pytest.raises(RuntimeError, match="stopped"):
            studio.play()
        assert studio.trainer.params.snapshot() == before
        assert {k: studio.controls[k].value for k in shown} == shown
        assert before["epochs"] == 2
    finally:
        studio.close()
