"""The Trainer takes the SOM's own training parameters where it is given none, records each
epoch with the parameters it ran under, and gives its callbacks the Trainer's epoch.

References: a synchronous ``SOM.fit`` / ``fit_online`` with the same constructor parameters, and
the schedule's closed form.
"""

from __future__ import annotations

import numpy as np
import pytest

from somwidget.progress import TextProgress
from somwidget.som import SOM
from somwidget.trainer import Trainer
from somwidget.widgets.curves import TrainingCurves

pytestmark = pytest.mark.usefixtures("no_leaked_threads")
TIMEOUT = 60.0


@pytest.fixture(scope="module")
def X():
    return np.random.default_rng(0).normal(size=(300, 4))


def run(t):
    t.play()
    assert t.join(TIMEOUT)
    return t


def test_trainer_trains_with_the_soms_constructor_parameters(X):
    kw = dict(mapsize=(6, 5), random_state=0, epochs=7, radius_start=2.0, radius_end=0.5,
              learning_rate=0.5, decay="exponential")
    ref = SOM(**kw).fit(X)
    som = SOM(**kw)
    t = run(Trainer(som, X))
    p = t.resolved_params()
    assert (t.epoch, p["epochs"], p["decay"]) == (7, 7, "exponential")
    assert (p["radius_start"], p["radius_end"]) == (2.0, 0.5)
    assert (p["learning_rate_start"], p["learning_rate_end"]) == (0.5, 0.5)
    np.testing.assert_allclose(som.codebook_, ref.codebook_, rtol=1e-10, atol=1e-12)
    # the closed form of the exponential schedule, epoch by epoch
    np.testing.assert_allclose(t.history["radius"], 2.0 * (0.25 ** (np.arange(7) / 6)))


def test_trainer_radius_end_follows_a_small_start_as_fit_does(X):
    kw = dict(mapsize=(6, 5), random_state=0, epochs=4, radius_start=0.5)
    ref = SOM(**kw).fit(X)
    som = SOM(**kw)
    t = run(Trainer(som, X))
    assert t.resolved_params()["radius_end"] == 0.5  # min(default end 1, start 0.5)
    np.testing.assert_allclose(som.codebook_, ref.codebook_, rtol=1e-10, atol=1e-12)


def test_trainer_arguments_override_the_soms_and_online_rates_come_from_it(X):
    som = SOM(mapsize=(5, 5), random_state=0, epochs=9, learning_rate_start=0.3,
              learning_rate_end=0.05, decay="inverse")
    t = Trainer(som, X, mode="online", epochs=3, decay="linear")
    p = t.resolved_params()
    assert (p["epochs"], p["decay"]) == (3, "linear")
    assert (p["learning_rate_start"], p["learning_rate_end"]) == (0.3, 0.05)
    # a SOM without online rates: the Trainer's documented online defaults
    q = Trainer(SOM(mapsize=(5, 5), random_state=0), X, mode="online").resolved_params()
    assert (q["learning_rate_start"], q["learning_rate_end"]) == (0.5, 0.01)
    assert q["epochs"] == SOM().epochs


def test_records_carry_the_parameters_their_epoch_ran_under(X):
    holder = {}

    def change(state):
        if state.total_epoch == 2:
            holder["t"].set_params(mode="online", decay="exponential", epochs=7)

    t = Trainer(SOM(mapsize=(5, 5), random_state=0), X, epochs=4, callbacks=[change])
    holder["t"] = t
    run(t)
    h = t.history.to_frame()
    first_two = h.iloc[:2]
    assert list(first_two["mode"]) == ["batch", "batch"]
    assert list(first_two["n_epochs"]) == [4, 4]
    assert list(first_two["decay"]) == ["linear", "linear"]
    assert list(first_two["learning_rate"]) == [1.0, 1.0]
    assert list(h["mode"].iloc[2:]) == ["online"] * (len(h) - 2)


def test_trainer_callbacks_see_the_trainers_epoch_and_metrics(X):
    curves = TrainingCurves()
    seen = []
    t = run(Trainer(SOM(mapsize=(5, 5), random_state=0), X, epochs=4,
                    callbacks=[curves, lambda s: seen.append((s.epoch, s.n_epochs, s.final))]))
    assert seen == [(1, 4, False), (2, 4, False), (3, 4, False), (4, 4, True)]
    qe = np.asarray(curves.data["quantization_error"])
    np.testing.assert_allclose(qe, t.history["quantization_error"], rtol=1e-12)
    assert np.isfinite(qe).all()


def test_fit_auto_measures_metrics_for_callbacks_that_want_them(X):
    import io

    buf = io.StringIO()
    curves = TrainingCurves()
    som = SOM(mapsize=(5, 5), random_state=0).fit_auto(
        X, callbacks=[curves, TextProgress(2, stream=buf)])
    qe = np.asarray(curves.data["quantization_error"])
    assert qe.size and np.isfinite(qe).all()
    assert qe[-1] == pytest.approx(som.quantization_error(X), rel=1e-9)
    assert "QE" in buf.getvalue()


def test_a_misspelt_parameter_attribute_is_refused(X):
    t = Trainer(SOM(mapsize=(5, 5), random_state=0), X, epochs=3)
    with pytest.raises(TypeError, match="unknown training parameter"):
        t.params.learning_rate = 0.5
    with pytest.raises(TypeError, match="unknown training parameter"):
        t.params.radius = 1.0


def test_construction_checks_its_arguments_by_name(X):
    som = SOM(mapsize=(5, 5), random_state=0)
    got = []
    t = run(Trainer(som, X, epochs=2, callbacks=lambda s: got.append(s.epoch)))  # one callable
    assert got == [1, 2] and t.epoch == 2
    with pytest.raises(TypeError, match="som must be"):
        Trainer(None, X)
    fitted = SOM(mapsize=(5, 5), random_state=0).fit(X[:, :3], epochs=1)
    with pytest.raises(ValueError, match="X has 4 features.*3"):
        Trainer(fitted, X)
    t = Trainer(SOM(mapsize=(5, 5), random_state=0), X, epochs=2)
    for bad in ("fast", None, -1.0, float("nan"), True):
        with pytest.raises((TypeError, ValueError), match="pace_s"):
            t.pace_s = bad
    t.pace_s = 0.5
    assert t.pace_s == 0.5


def test_queued_steps_stop_at_the_end_of_the_schedule(X):
    t = Trainer(SOM(mapsize=(5, 5), random_state=0), X, epochs=3)
    for _ in range(10):
        t.step()
    assert t.join(TIMEOUT)
    assert (t.epoch, t.status) == (3, "finished")
    assert t.som.n_epochs_trained_ == 3


def test_an_online_epoch_finished_by_steps_is_counted_by_the_som(X, tmp_path):
    som = SOM(mapsize=(4, 4), random_state=0)
    t = Trainer(som, X[:20], mode="online", epochs=3)
    for _ in range(20):
        t.step()
    assert t.join(TIMEOUT)
    run(t)
    assert (t.epoch, som.n_epochs_trained_) == (3, 3)
    assert t.history[-1].total_epoch == 3
    som.save(tmp_path / "s.json")
    assert SOM.load(tmp_path / "s.json").n_epochs_trained_ == 3


def test_join_from_a_listener_raises(X):
    seen = {}

    def listener(event):
        if event.kind == "epoch" and event.epoch == 1:
            try:
                t.join(1)
            except RuntimeError as exc:
                seen["error"] = str(exc)

    t = Trainer(SOM(mapsize=(5, 5), random_state=0), X, epochs=2, listeners=[listener])
    run(t)
    assert "training thread" in seen.get("error", "")


def test_unknown_keyword_names_trainer_and_the_close_match(X):
    # was "Trainer.__init__() got an unexpected keyword argument 'epoch'"
    with pytest.raises(TypeError, match=r"Trainer\(\) got an unexpected keyword argument 'epoch'; "
                       r"did you mean 'epochs'\? Its parameters are: som, X, mode, epochs"):
        Trainer(SOM((3, 3), random_state=0), X, epoch=3)


@pytest.mark.parametrize("flag", ["no", None, 2])
def test_metrics_must_be_a_flag(X, flag):
    # bool("no") is True: the string measured the metrics it was meant to turn off
    with pytest.raises(TypeError, match=rf"metrics must be True or False; got {flag!r}"):
        Trainer(SOM((3, 3), random_state=0), X, metrics=flag)
