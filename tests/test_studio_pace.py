"""The Studio's pace: speed control, slow motion, Play after the end, frames at the browser's pace."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from somwidget.som import SOM
from somwidget.widgets.studio import SPEEDS, Studio

TIMEOUT = 60.0
pytestmark = pytest.mark.usefixtures("no_leaked_threads")


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(5)
    X = np.vstack([rng.normal(0, 1, (40, 4)), rng.normal(3, 0.6, (40, 4))])
    y = np.repeat(["a", "b"], 40)
    return X, y


class Comm:
    comm_id = "pace-comm"

    def __init__(self) -> None:
        self.frames: list[int] = []

    def send(self, data=None, buffers=None, **_: object) -> None:
        state = (data or {}).get("state", {})
        if data.get("method") == "update" and "frame" in state:
            self.frames.append(state["frame"])

    def on_msg(self, *_: object) -> None:
        pass

    def close(self, *_, **__) -> None:
        pass


def test_speed_control_paces_epochs_and_pause_ends_the_wait(data):
    X, y = data
    studio = Studio(SOM(mapsize=(4, 4), random_state=0), X, labels=y, epochs=50,
                    speed="5 epochs/s")
    assert "somwidget-speed" in studio.controls["speed"]._dom_classes
    assert studio.trainer.pace_s == pytest.approx(0.2)
    t0 = time.monotonic()
    studio.play()
    while studio.trainer.epoch < 3 and time.monotonic() - t0 < TIMEOUT:
        time.sleep(0.01)
    elapsed = time.monotonic() - t0
    # 3 epochs of a tiny map take milliseconds; at 5 epochs/s they take 0.4 s or more
    assert elapsed >= 0.38, elapsed
    assert studio.trainer.epoch <= 4
    t1 = time.monotonic()
    studio.pause()
    assert studio.trainer.join(TIMEOUT)
    assert time.monotonic() - t1 < 0.5  # the pace's wait ends at once
    assert studio.trainer.status == "paused"
    studio.speed = "full speed"
    assert studio.trainer.pace_s == 0.0
    with pytest.raises(ValueError, match="speed must be one of"):
        studio.speed = "warp 9"
    studio.close()


def test_slow_motion_presents_samples_one_at_a_time_in_online_mode(data):
    X, y = data
    studio = Studio(SOM(mapsize=(4, 4), random_state=0), X, labels=y, mode="online", epochs=3)
    studio.speed = "slow motion: 10 samples/s"
    assert studio.trainer.play_samples and studio.trainer.pace_s == pytest.approx(0.1)
    studio.play()
    time.sleep(0.65)
    studio.pause()
    assert studio.trainer.join(TIMEOUT)
    n = studio.trainer.step_in_epoch
    assert studio.trainer.epoch == 0 and 3 <= n <= 9, n  # about 6 samples in 0.65 s
    # the input-space view shows the last update (sample, BMU, neighbourhood)
    assert studio.input_space.step_shown is not None
    assert studio.input_space.step_shown.step == n
    studio.close()


def test_slow_motion_in_batch_mode_says_what_it_needs(data):
    X, y = data
    studio = Studio(SOM(mapsize=(4, 4), random_state=0), X, epochs=3)
    studio.speed = "slow motion: 2 samples/s"
    assert "needs mode = online" in studio.message.value
    assert studio.trainer.pace_s == 1.0 and studio.trainer.params.mode == "batch"
    studio.controls["mode"].value = "online"
    assert studio.trainer.pace_s == pytest.approx(0.5)
    assert set(SPEEDS) >= {"full speed", "1 epoch/s"}
    studio.close()


def test_play_after_finished_continues_and_says_so(data):
    X, y = data
    studio = Studio(SOM(mapsize=(4, 4), random_state=0), X, labels=y, epochs=4)
    studio.play()
    assert studio.trainer.join(TIMEOUT)
    assert studio.trainer.status == "finished"
    r_end = studio.trainer.resolved_params()["radius_end"]
    studio.buttons["play"].click()
    assert studio.trainer.join(TIMEOUT)
    assert "All 4 epochs were done: training 4 more" in studio.message.value
    assert studio.trainer.epoch == 8 and studio.controls["epochs"].value == 8
    radii = [r.radius for r in studio.trainer.history]
    assert radii[4:] == pytest.approx([r_end] * 4)  # fine-tuning at the final radius
    assert radii[0] > r_end
    studio.close()


def test_a_playing_studio_sends_frames_at_the_browsers_pace(data):
    X, y = data
    studio = Studio(SOM(mapsize=(6, 6), random_state=0), X, labels=y, epochs=60)
    hm, um = studio.explorer.hit_map, studio.explorer.umatrix
    hm.comm, um.comm = Comm(), Comm()
    # a browser shows both maps (its answers are handled on this thread, not the trainer's)
    hm._handle_custom_msg({"drawn": hm.frame}, [])
    um._handle_custom_msg({"drawn": um.frame}, [])
    net0 = studio.input_space.frame
    studio.play()
    assert studio.trainer.join(TIMEOUT)
    # 60 epochs, no answer while playing: one live frame, then only the final state
    assert len(hm.comm.frames) == 2, hm.comm.frames
    assert len(um.comm.frames) == 2
    assert studio.input_space.frame - net0 == 2  # the net follows the same pace
    assert studio.explorer.hit_map.pacer.n_held > 0
    # the lag is measured when the browser answers
    hm._handle_custom_msg({"drawn": hm.comm.frames[0]}, [])
    lag = studio.lag()
    assert lag["n"] == 1 and lag["last"] >= 50  # that frame showed one of the first epochs
    studio.close()


def test_an_answering_browser_gets_every_frame_it_can_draw(data):
    X, y = data
    studio = Studio(SOM(mapsize=(6, 6), random_state=0), X, epochs=40, max_rate_hz=1000.0)
    hm, um = studio.explorer.hit_map, studio.explorer.umatrix
    hm.comm, um.comm = Comm(), Comm()
    stop = threading.Event()

    def browser():  # draws every frame 5 ms after it arrives
        while not stop.is_set():
            for v in (hm, um):
                if v.comm.frames and (v.pacer.drawn_frame or -1) < v.comm.frames[-1]:
                    time.sleep(0.005)
                    v._handle_custom_msg({"drawn": v.comm.frames[-1]}, [])
            time.sleep(0.001)

    b = threading.Thread(target=browser)
    b.start()
    hm._handle_custom_msg({"drawn": hm.frame}, [])
    um._handle_custom_msg({"drawn": um.frame}, [])
    try:
        studio.play()
        assert studio.trainer.join(TIMEOUT)
    finally:
        stop.set()
        b.join()
    n = len(hm.comm.frames)
    assert 3 <= n <= 41, n  # more than the held case, never more than one per epoch + final
    studio.close()


def test_pause_shows_at_once_even_inside_a_long_epoch(data):
    X, y = data
    entered, gate = threading.Event(), threading.Event()

    def slow(state):  # a training callback that holds the epoch until released
        entered.set()
        gate.wait(TIMEOUT)

    studio = Studio(SOM(mapsize=(4, 4), random_state=0), X, epochs=5, callbacks=[slow])
    studio.buttons["play"].click()
    assert entered.wait(TIMEOUT)
    studio.buttons["pause"].click()
    assert "pausing after this epoch" in studio.progress.value
    assert "data-requested='pausing'" in studio.progress.value
    assert "learning rate" not in studio.progress.value  # batch mode has none
    gate.set()
    assert studio.trainer.join(TIMEOUT)
    assert "data-status='paused'" in studio.progress.value
    assert "pausing" not in studio.progress.value
    studio.close()


def test_the_paused_line_goes_out_before_the_final_frame_and_nothing_else_is_drawn(data):
    """Pause -> "paused": the progress line is sent before the views' final frame (which queues
    behind it on the comm), and the epoch that ends while pausing draws no frame of its own."""
    X, y = data
    entered, gate = threading.Event(), threading.Event()

    def slow(state):  # holds the epoch until released
        entered.set()
        gate.wait(TIMEOUT)

    studio = Studio(SOM(mapsize=(4, 4), random_state=0), X, epochs=50, max_rate_hz=1000.0,
                    callbacks=[slow])
    hm = studio.explorer.hit_map
    hm.comm = Comm()
    hm._handle_custom_msg({"drawn": hm.frame}, [])  # the browser is ready for a frame
    seen: list[str] = []
    real = studio.explorer.refresh

    def refresh(*a, **k):
        seen.append(studio.progress.value)
        return real(*a, **k)

    studio.explorer.refresh = refresh
    studio.play()
    assert entered.wait(TIMEOUT)
    studio.pause()
    seen.clear()
    gate.set()
    assert studio.trainer.join(TIMEOUT)
    assert len(seen) == 1, len(seen)  # the final frame only
    assert "data-status='paused'" in seen[0]  # the line said "paused" before the views redrew
    studio.close()


def test_the_input_space_highlights_the_samples_of_the_codebook_it_draws(data):
    # the training records carry the BMUs of the codebook before each epoch's update; the
    # Studio drew the input space's highlight from them (one update behind the picture)
    from scipy.spatial.distance import cdist

    X, y = data
    studio = Studio(SOM(mapsize=(4, 4), random_state=0, initialization="random"), X, labels=y,
                    epochs=3)
    studio.play()
    assert studio.trainer.join(TIMEOUT)
    b = cdist(X, studio.som.codebook_).argmin(axis=1)
    for k in np.unique(b):
        studio.selection.select([int(k)])
        np.testing.assert_array_equal(studio.input_space.selected_sample_mask(), b == k)
    studio.close()
