"""The Studio's controls show the values the trainer uses: any value given fits its control,
defaults follow a new map, Reset undoes the fine-tuning extension, a closed Studio says so."""

from __future__ import annotations

import numpy as np
import pytest

from somwidget.som import SOM
from somwidget.widgets.studio import Studio

pytestmark = pytest.mark.usefixtures("no_leaked_threads")
TIMEOUT = 60.0


@pytest.fixture(scope="module")
def X():
    return np.random.default_rng(0).normal(size=(200, 4))


def test_controls_show_the_values_the_trainer_uses(X):
    st = Studio(SOM(mapsize=(6, 6), random_state=0), X, epochs=200_000, radius_start=2e4,
                radius_end=0.001, learning_rate_start=0.0005)
    try:
        c, p = st.controls, st.trainer.params.snapshot()
        assert (c["epochs"].value, p["epochs"]) == (200_000, 200_000)
        assert (c["radius_start"].value, p["radius_start"]) == (2e4, 2e4)
        assert (c["radius_end"].value, p["radius_end"]) == (0.001, 0.001)
        assert (c["learning_rate_start"].value, p["learning_rate_start"]) == (0.0005, 0.0005)
    finally:
        st.close()


@pytest.mark.filterwarnings("ignore::somwidget.validation.SparseMapWarning")
def test_a_tall_map_keeps_its_rows_when_the_columns_change(X):
    st = Studio(SOM(mapsize=(600, 2), random_state=0), X, epochs=2)
    try:
        assert st.controls["rows"].value == 600
        st.controls["cols"].value = 3
        assert tuple(st.som.mapsize_) == (600, 3)
    finally:
        st.close()


def test_the_studio_takes_the_soms_training_parameters(X):
    st = Studio(SOM(mapsize=(6, 6), random_state=0, epochs=7, decay="exponential",
                    radius_start=2.5), X)
    try:
        c = st.controls
        assert (c["epochs"].value, c["decay"].value, c["radius_start"].value) == (
            7, "exponential", 2.5)
        assert c["radius_end"].value == 1.0
        assert st.more_epochs == 7
    finally:
        st.close()


def test_default_radii_follow_a_new_map_size_and_chosen_ones_stay(X):
    st = Studio(SOM(mapsize=(6, 6), random_state=0), X, epochs=3)
    try:
        st.controls["rows"].value = 20
        st.controls["cols"].value = 20
        assert tuple(st.som.mapsize_) == (20, 20)
        assert st.controls["radius_start"].value == 10.0  # max(20, 20) / 2, the new default
        assert st.trainer.resolved_params()["radius_start"] == 10.0
        st.controls["radius_start"].value = 4.0  # the user's choice stays on a new map
        st.controls["rows"].value = 30
        assert st.controls["radius_start"].value == 4.0
        assert st.trainer.resolved_params()["radius_start"] == 4.0
    finally:
        st.close()


def test_a_refused_map_leaves_the_controls_showing_the_map(X):
    st = Studio(SOM(mapsize=(1, 6), random_state=0), X, epochs=2)
    try:
        st.controls["cols"].value = 1  # 1 x 1: refused (a map needs two neurons)
        assert "2 neurons" in st.message.value
        assert tuple(st.som.mapsize_) == (1, 6)
        assert (st.controls["rows"].value, st.controls["cols"].value) == (1, 6)
    finally:
        st.close()


def test_reset_undoes_the_fine_tuning_extension(X):
    st = Studio(SOM(mapsize=(6, 6), random_state=0), X, epochs=3)
    try:
        before = st.trainer.resolved_params()
        st.play()
        assert st.trainer.join(TIMEOUT)
        st.play()  # all done: extends at the final radius
        assert st.trainer.join(TIMEOUT)
        assert st.trainer.params.epochs == 6
        st.reset()
        after = st.trainer.resolved_params()
        for key in ("epochs", "radius_start", "radius_end", "learning_rate_start"):
            assert after[key] == before[key], key
            if key != "learning_rate_start":
                assert st.controls[key].value == before[key], key
    finally:
        st.close()


@pytest.mark.parametrize("command", ["play", "pause", "step", "stop", "reset"])
def test_a_closed_studio_refuses_commands_by_name(X, command):
    st = Studio(SOM(mapsize=(5, 5), random_state=0), X, epochs=2)
    st.close()
    with pytest.raises(ValueError, match="this Studio is closed"):
        getattr(st, command)()
