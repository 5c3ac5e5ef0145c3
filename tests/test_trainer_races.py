"""Trainer commands racing each other, the lock and Ctrl-C (issue 11): linearisable, no deadlock,
counters that match the codebook."""

from __future__ import annotations

import itertools
import os
import signal
import threading
import time

import numpy as np
import pytest

from somwidget import SOM
from somwidget.trainer import Trainer

X = np.random.default_rng(3).normal(size=(60, 3))
COMMANDS = ("reset", "play", "pause", "step", "stop", "close")
THREAD_GRACE_S = 10.0
pytestmark = pytest.mark.usefixtures("no_leaked_threads")


def make(epochs: int = 5, **kw) -> Trainer:
    return Trainer(SOM((4, 4), random_state=0), X, epochs=epochs, radius_start=2.0,
                   radius_end=1.0, **kw)


def call(trainer: Trainer, name: str) -> BaseException | None:
    try:
        getattr(trainer, name)()
    except RuntimeError as exc:  # play / step on a stopped trainer: refused, a valid outcome
        return exc
    return None


def settle(trainer: Trainer) -> str:
    assert trainer.join(timeout=20), "the worker did not go quiet"
    assert not trainer.is_alive
    return trainer.status


def _class(status: str) -> str:
    # how far a play got before a pause is timing, not order: paused and finished are one outcome
    return "paused/finished" if status in ("paused", "finished") else status


def run_pair(a: str, b: str, concurrent: bool) -> str:
    trainer = make()
    trainer.play()  # start from a running trainer: the interesting case
    if concurrent:
        barrier = threading.Barrier(2)
        errors: dict[str, BaseException | None] = {}

        def go(name: str, key: str) -> None:
            barrier.wait(5)
            errors[key] = call(trainer, name)

        threads = [threading.Thread(target=go, args=(a, "a")),
                   threading.Thread(target=go, args=(b, "b"))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(20)
            assert not t.is_alive(), f"{a} || {b} deadlocked"
    else:
        call(trainer, a)
        call(trainer, b)
    status = settle(trainer)
    assert trainer.som.n_epochs_trained_ == trainer.epoch  # counters match the codebook
    if status == "idle":
        assert trainer.epoch == 0
    trainer.close()
    return status


@pytest.mark.parametrize(("a", "b"), list(itertools.combinations_with_replacement(COMMANDS, 2)))
def test_every_pair_of_commands_is_linearisable(a, b):
    allowed = {_class(run_pair(a, b, False)), _class(run_pair(b, a, False))}
    for _ in range(2):
        assert _class(run_pair(a, b, True)) in allowed


def test_reset_racing_play_never_leaves_a_worker_training_while_idle():
    bad = 0
    for trial in range(20):
        trainer = make(epochs=10_000)
        som = trainer.som
        initialize = som.initialize

        def slow_initialize(X, initialize=initialize):  # widen the window inside reset()
            time.sleep(0.03)
            return initialize(X)

        som.initialize = slow_initialize
        trainer.play()
        time.sleep(0.01)
        resetter = threading.Thread(target=trainer.reset)
        resetter.start()
        time.sleep(0.005 + 0.001 * trial)  # play lands while reset re-initialises the map
        trainer.play()
        resetter.join(20)
        time.sleep(0.05)
        status, epoch = trainer.status, trainer.epoch
        time.sleep(0.1)
        if status == "idle" and (trainer.is_alive or trainer.epoch != epoch):
            bad += 1
        if trainer.status == "running":
            assert trainer.is_alive
        trainer.close()
    assert bad == 0


@pytest.mark.parametrize("command", ["stop", "reset", "close"])
def test_commands_called_while_holding_the_lock_do_not_deadlock(command):
    trainer = make(epochs=10_000)
    trainer.play()
    time.sleep(0.05)
    done = threading.Event()

    def hold_and_call() -> None:
        with trainer.lock:
            getattr(trainer, command)()
        done.set()

    t = threading.Thread(target=hold_and_call)
    t.start()
    t.join(10)
    assert done.is_set(), f"{command}() while holding trainer.lock hung"
    settle(trainer)
    assert trainer.status == ("idle" if command == "reset" else "stopped")
    epoch = trainer.epoch
    time.sleep(0.1)
    assert trainer.epoch == epoch and not trainer.is_alive
    if command == "reset":
        assert epoch == 0 and trainer.som.n_epochs_trained_ == 0
    trainer.close()


def test_join_while_holding_the_lock_raises_instead_of_hanging():
    trainer = make(epochs=10_000)
    trainer.play()
    with trainer.lock, pytest.raises(RuntimeError, match="holding trainer.lock"):
        trainer.join()
    trainer.close()


def test_a_listener_may_reset_or_stop_the_trainer():
    trainer = make(epochs=50)
    seen = []

    def listener(event):
        seen.append(event.kind)
        if event.kind == "epoch" and event.epoch == 2 and "reset" not in seen:
            trainer.reset()

    trainer.add_listener(listener)
    trainer.play()
    settle(trainer)
    assert trainer.status == "idle" and trainer.epoch == 0 and trainer.error is None
    trainer.close()


def test_ctrl_c_while_joined_stops_the_worker():
    trainer = Trainer(SOM((12, 12), random_state=0), np.random.default_rng(0).normal(size=(2000, 4)),
                      epochs=1_000_000)
    # Ctrl-C as a terminal sends it, whatever handler an earlier test's library left installed
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    trainer.play()
    timer = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            trainer.join()
    finally:
        timer.cancel()
        signal.signal(signal.SIGINT, previous)
    deadline = time.monotonic() + 10
    while trainer.is_alive and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not trainer.is_alive and trainer.status == "stopped"
    epoch = trainer.epoch
    time.sleep(0.1)
    assert trainer.epoch == epoch
    trainer.close()


def test_a_failed_epoch_rolls_back_the_codebook_and_every_counter():
    calls = {"n": 0}

    def fail_third(record):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("boom")

    codebooks = []
    trainer = make(epochs=10, callbacks=[fail_third], metrics=False)
    trainer.add_listener(lambda e: codebooks.append(trainer.som.codebook_.copy())
                         if e.kind == "epoch" else None)
    som = trainer.som
    trainer.play()
    with pytest.raises(RuntimeError, match="boom"):
        trainer.join(20)
    assert trainer.status == "error"
    assert trainer.epoch == 2 and som.n_epochs_trained_ == 2
    np.testing.assert_array_equal(som.codebook_, codebooks[-1])
    trainer.close()


def test_a_failed_epoch_rolls_back_the_history_too():
    som = SOM((4, 4), random_state=0).fit(X, epochs=2, collect_history=True)
    before = (som.codebook_.copy(), som.n_epochs_trained_, len(som.history_))
    checkpoint = som._checkpoint()
    som.fit(X, epochs=3, collect_history=True)
    som._rollback(checkpoint)
    np.testing.assert_array_equal(som.codebook_, before[0])
    assert (som.n_epochs_trained_, len(som.history_)) == before[1:]


def test_a_pause_in_the_middle_of_an_online_epoch_stops_at_that_sample():
    trainer = make(epochs=3, mode="online")
    for _ in range(3):
        trainer.step()
    trainer.join(10)
    assert trainer.step_in_epoch == 3
    finals = []

    def listener(event):
        if event.kind == "step" and event.step == 10:
            trainer.pause()
        if event.kind == "status" and event.final:
            finals.append((event.status, event.epoch, event.step))

    trainer.add_listener(listener)
    trainer.play()
    settle(trainer)
    assert trainer.status == "paused"
    assert trainer.step_in_epoch == 10 and trainer.epoch == 0
    assert finals[-1] == ("paused", 0, 10)
    trainer.close()


def test_the_studio_enables_pause_and_stop_as_soon_as_training_runs():
    pytest.importorskip("ipywidgets")
    from somwidget.widgets.studio import Studio

    release = threading.Event()
    studio = Studio(SOM((4, 4), random_state=0), X, epochs=5)
    studio.trainer.callbacks.append(lambda record: release.wait(10) and None)
    try:
        studio.play()
        assert studio.trainer.status == "running"
        assert not studio.buttons["pause"].disabled
        assert not studio.buttons["stop"].disabled
        assert studio.buttons["play"].disabled
    finally:
        release.set()
        studio.trainer.join(20)
        studio.close()


def test_play_while_holding_the_lock_during_another_threads_reset_raises_instead_of_hanging():
    trainer = make(epochs=10_000)
    with trainer.lock:  # the reset (another thread) waits for this lock
        resetter = threading.Thread(target=trainer.reset)
        resetter.start()
        deadline = time.monotonic() + 5
        while trainer._resetting is None and time.monotonic() < deadline:
            time.sleep(0.005)
        with pytest.raises(RuntimeError, match="holds trainer.lock"):
            trainer.play()
    resetter.join(10)
    assert not resetter.is_alive() and trainer.status == "idle"
    trainer.close()
