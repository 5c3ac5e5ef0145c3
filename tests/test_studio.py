"""Studio: buttons drive the trainer, controls change parameters, views follow, errors show."""

from __future__ import annotations

import re
import threading

import numpy as np
import pytest
from scipy.spatial.distance import cdist

from somwidget.som import SOM
from somwidget.widgets.studio import Studio

TIMEOUT = 60.0
pytestmark = pytest.mark.usefixtures("no_leaked_threads")


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(5)
    X = np.vstack([rng.normal(0, 1, (40, 4)), rng.normal(3, 0.6, (40, 4))])
    y = np.repeat(["setosa", "virginica"], 40)
    return X, y


def progress_epoch(studio):
    m = re.search(r"epoch (\d+) / (\d+)", studio.progress.value)
    assert m, studio.progress.value
    return int(m.group(1)), int(m.group(2))


def test_layout_hooks_and_initial_state(data):
    X, y = data
    studio = Studio(SOM(mapsize=(5, 6), random_state=0), X, labels=y, epochs=7)
    assert [b.description for b in studio.buttons.values()] == ["Play", "Pause", "Step", "Reset",
                                                                 "Stop"]
    for key, b in studio.buttons.items():
        assert f"somwidget-{key}" in b._dom_classes
    for key in ("mode", "epochs", "radius_start", "radius_end", "learning_rate_start",
                "learning_rate_end", "decay", "neighborhood", "lattice", "rows", "cols",
                "initialization", "normalization"):
        assert f"somwidget-{key.replace('_', '-')}" in studio.controls[key]._dom_classes
    assert "somwidget-progress" in studio.progress._dom_classes
    assert progress_epoch(studio) == (0, 7)
    # defaults are shown as numbers and are what the trainer uses: the SOM's radius defaults
    assert studio.controls["radius_start"].value == 3.0  # max(1, max(5, 6) / 2)
    assert studio.controls["radius_end"].value == 1.0
    assert studio.trainer.params.radius_start == 3.0
    # one shared selection for every view
    sel = studio.selection
    assert studio.explorer.selection is sel and studio.input_space.selection is sel
    assert studio.explorer.hit_map.selection is sel
    assert studio.buttons["pause"].disabled and not studio.buttons["play"].disabled
    studio.close()


def test_play_runs_to_the_end_and_every_view_shows_the_final_state(data):
    X, y = data
    studio = Studio(SOM(mapsize=(5, 6), random_state=0), X, labels=y, epochs=6)
    frames = studio.explorer.hit_map.frame
    studio.buttons["play"].click()
    assert studio.trainer.join(TIMEOUT)
    assert progress_epoch(studio) == (6, 6)
    assert "finished" in studio.progress.value
    som = studio.som
    assert studio.curves.data["epoch"] == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    np.testing.assert_allclose(np.asarray(studio.curves._radius_line.y),
                               [r.radius for r in studio.trainer.history], rtol=1e-6)
    assert studio.explorer.hit_map.frame > frames
    hits = np.bincount(cdist(X, som.codebook_).argmin(axis=1), minlength=30)
    np.testing.assert_allclose(studio.explorer.hit_map._state["values"], hits)
    net = studio.input_space.net_xy()
    proj = studio.input_space.project(som.codebook_)
    np.testing.assert_allclose(net[:, 0], proj[studio.input_space.segments[:, 0]], atol=1e-5)
    studio.close()


def test_parameter_controls_apply_from_the_next_epoch(data):
    X, y = data
    studio = Studio(SOM(mapsize=(5, 6), random_state=0), X, labels=y, epochs=6)
    studio.buttons["step"].click()
    studio.buttons["step"].click()
    assert studio.trainer.join(TIMEOUT)
    assert progress_epoch(studio) == (2, 6)
    studio.controls["radius_start"].value = 2.0
    studio.controls["radius_end"].value = 0.5
    assert "applies from the next epoch" in studio.message.value
    studio.buttons["play"].click()
    assert studio.trainer.join(TIMEOUT)
    used = [r.radius for r in studio.trainer.history]
    expected = [3.0 + (1.0 - 3.0) * t / 5 for t in range(2)] + [
        2.0 + (0.5 - 2.0) * t / 5 for t in range(2, 6)]
    np.testing.assert_allclose(used, expected)
    studio.close()


def test_inhibition_control_follows_the_kernel_and_reaches_the_training(data):
    X, y = data
    som = SOM(mapsize=(5, 6), random_state=0)
    studio = Studio(som, X, labels=y, epochs=3, radius_start=2.0, radius_end=2.0)
    inh = studio.controls["inhibition"]
    assert "somwidget-inhibition" in inh._dom_classes
    assert inh.value == 0.1 and inh.disabled  # the SOM's default; the Gaussian has no negative lobe
    studio.controls["neighborhood"].value = "mexican_hat"
    assert not inh.disabled
    inh.value = 0.35
    assert studio.trainer.params.inhibition == 0.35
    # the same epoch computed outside the studio, from the same starting codebook
    ref = SOM(mapsize=(5, 6), random_state=0, neighborhood="mexican_hat", inhibition=0.35)
    ref.initialize(X)
    ref.codebook_ = som.codebook_.copy()
    ref.fit(X, epochs=1, radius_start=2.0, radius_end=2.0)
    studio.buttons["step"].click()
    assert studio.trainer.join(TIMEOUT)
    assert som.inhibition == 0.35
    np.testing.assert_allclose(som.codebook_, ref.codebook_, rtol=1e-12, atol=1e-12)
    studio.controls["neighborhood"].value = "bubble"
    assert inh.disabled
    studio.close()


def test_kernel_switch_moves_default_radii_but_keeps_chosen_ones(data):
    X, y = data
    studio = Studio(SOM(mapsize=(5, 6), random_state=0), X, labels=y, epochs=3)
    c = studio.controls
    assert (c["radius_start"].value, c["radius_end"].value) == (3.0, 1.0)  # Gaussian defaults
    w = 1 / np.sqrt(1 - np.exp(-0.5))  # Epanechikov: weight exp(-1/2) at distance 1
    c["neighborhood"].value = "epanechikov"
    assert c["radius_start"].value == pytest.approx(3 * w, abs=1e-4)
    assert c["radius_end"].value == pytest.approx(w, abs=1e-4)
    assert studio.trainer.params.radius_end == pytest.approx(w, abs=1e-4)
    c["radius_end"].value = 0.5  # the user's own choice survives the next switch
    c["neighborhood"].value = "gaussian"
    assert c["radius_end"].value == 0.5
    studio.close()


def test_mode_switch_moves_learning_rate_defaults_and_online_step(data):
    X, y = data
    studio = Studio(SOM(mapsize=(4, 4), random_state=0), X, labels=y, epochs=3)
    assert (studio.controls["learning_rate_start"].value,
            studio.controls["learning_rate_end"].value) == (1.0, 1.0)
    studio.controls["mode"].value = "online"
    assert studio.trainer.params.mode == "online"
    assert (studio.trainer.params.learning_rate_start,
            studio.trainer.params.learning_rate_end) == (0.5, 0.01)
    studio.buttons["step"].click()
    assert studio.trainer.join(TIMEOUT)
    assert "sample 1 / 80" in studio.progress.value
    assert studio.input_space.step_shown is studio.trainer.last_step
    studio.close()


def test_map_parameters_apply_before_training_and_wait_for_reset_after(data):
    X, y = data
    studio = Studio(SOM(mapsize=(4, 4), random_state=0), X, labels=y, epochs=3)
    studio.controls["rows"].value = 6  # not started: a new map at once
    assert studio.som.mapsize_ == (6, 4)
    assert studio.explorer.hit_map.rows == 6
    assert studio.input_space.segments.max() < 24
    studio.buttons["step"].click()
    assert studio.trainer.join(TIMEOUT)
    studio.controls["lattice"].value = "rect"  # started: pending, with a visible message
    assert studio.som.lattice_.kind == "hexa"
    assert studio.pending == {"lattice": "rect"}
    assert "Press Reset" in studio.message.value and "lattice" in studio.message.value
    studio.buttons["reset"].click()
    assert studio.som.lattice_.kind == "rect"
    assert studio.trainer.epoch == 0 and studio.pending == {}
    assert progress_epoch(studio) == (0, 3)
    # a refused change (toroidal hex with an odd row count) leaves the old map and says why
    studio.controls["rows"].value = 5
    studio.controls["lattice"].value = "toroidal_hexa"
    assert "even" in studio.message.value
    assert studio.som.lattice_.kind == "rect" and studio.som.mapsize_ == (5, 4)
    studio.close()


def test_errors_in_the_training_thread_are_shown(data):
    X, y = data

    def broken(state):
        raise ArithmeticError("diverged on purpose")

    studio = Studio(SOM(mapsize=(4, 4), random_state=0), X, labels=y, epochs=3,
                    callbacks=[broken])
    studio.buttons["play"].click()
    with pytest.raises(ArithmeticError):
        studio.trainer.join(TIMEOUT)
    assert "diverged on purpose" in studio.error_box.value
    assert "error" in studio.progress.value
    assert studio.buttons["play"].disabled
    studio.buttons["step"].click()  # refused with a message, no exception out of the button
    assert "reset" in studio.message.value
    studio.trainer.callbacks.clear()
    studio.buttons["reset"].click()
    assert studio.error_box.value == ""
    studio.close()


def test_stop_button(data):
    X, y = data
    studio = Studio(SOM(mapsize=(4, 4), random_state=0), X, labels=y, epochs=400)
    first = threading.Event()
    studio.trainer.add_listener(lambda e: first.set() if e.kind == "epoch" else None)
    studio.buttons["play"].click()
    assert first.wait(TIMEOUT)
    studio.buttons["stop"].click()
    assert studio.trainer.status == "stopped"
    assert "stopped" in studio.progress.value
    assert studio.buttons["play"].disabled and studio.buttons["stop"].disabled
    # the model is consistent: predictions from the codebook as it is
    np.testing.assert_array_equal(studio.som.predict(X),
                                  cdist(X, studio.som.codebook_).argmin(axis=1))
    studio.close()


def test_pause_click_racing_the_final_event_still_shows_paused(data):
    """The button handler's progress redraw must not overwrite the worker's final 'paused' draw.

    Pause is handled on the kernel thread while the training thread finishes its epoch and draws
    the final state. Here the handler's redraw is held up (inside ``trainer.eta``) until the
    worker has drawn its final event (or 1.5 s); whatever is written last must still say
    'paused', as the browser shows the last value it receives.
    """
    X, y = data
    studio = Studio(SOM(mapsize=(4, 4), random_state=0), X, labels=y, epochs=100_000)
    trainer = studio.trainer
    first = threading.Event()
    final_drawn = threading.Event()
    trainer.add_listener(lambda e: first.set() if e.kind == "epoch" else None)
    trainer.add_listener(lambda e: final_drawn.set() if e.final else None)  # after the Studio's
    studio.buttons["play"].click()
    assert first.wait(TIMEOUT)
    assert not studio.buttons["pause"].disabled

    real_eta = trainer.eta
    main = threading.current_thread()
    held = threading.Event()

    def slow_eta():
        if threading.current_thread() is main and not held.is_set():
            held.set()
            # the worker pauses and draws its final state meanwhile; with serialised redraws it
            # cannot draw while this one is under way, and the bounded wait runs out instead
            final_drawn.wait(1.5)
        return real_eta()

    trainer.eta = slow_eta
    studio.buttons["pause"].click()
    assert held.is_set()
    assert trainer.join(TIMEOUT)
    assert final_drawn.wait(TIMEOUT)
    assert trainer.status == "paused"
    assert "data-status='paused'" in studio.progress.value, studio.progress.value
    assert studio.buttons["pause"].disabled and not studio.buttons["play"].disabled
    studio.close()


def test_the_progress_line_shows_the_last_epochs_radius_whatever_draws_it(data):
    # the line drawn by an epoch's record showed that epoch's radius, the one drawn by a button
    # (pause, step) the next epoch's: 'radius 2 · running' became 'radius 1.5 · paused'
    X, y = data
    studio = Studio(SOM(mapsize=(5, 6), random_state=0), X, labels=y, epochs=10,
                    radius_start=5.0, radius_end=0.5, decay="linear")
    for _ in range(3):
        studio.step()
        assert studio.trainer.join(TIMEOUT)
    studio.pause()
    ran = studio.trainer.history[-1].radius
    assert ran == pytest.approx(5.0 - (5.0 - 0.5) * 2 / 9)  # the third of ten linear steps
    assert studio.trainer.current_schedule()[0] != pytest.approx(ran)  # the next one differs
    assert f"radius {ran:.3g} ·" in studio.progress.value, studio.progress.value
    studio.close()
