"""One training record and one history for SOM callbacks, the Trainer and the curves.

References are computed independently: QE with scipy's cdist on a copy of the codebook taken at
that epoch, TE from hand-built hexagonal coordinates, vacancy from the argmin of cdist.
"""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
from scipy.spatial.distance import cdist

import somwidget
from somwidget import analysis
from somwidget.callbacks import (
    HISTORY_COLUMNS,
    HISTORY_KEYS,
    History,
    TrainingRecord,
    check_callbacks,
    notify,
)
from somwidget.lattice import Lattice
from somwidget.som import SOM
from somwidget.trainer import EpochRecord, StepRecord, Trainer, TrainerEvent

TIMEOUT = 60.0
ROWS, COLS, EPOCHS = 5, 6, 6
pytestmark = pytest.mark.usefixtures("no_leaked_threads")


@pytest.fixture(scope="module")
def X():
    rng = np.random.default_rng(11)
    return np.vstack([rng.normal(0, 1, (40, 3)), rng.normal(3, 0.6, (40, 3))])


def hex_coords(rows, cols):
    r, c = np.divmod(np.arange(rows * cols), cols)
    return np.column_stack([c + 0.5 * (r % 2), r * np.sqrt(3) / 2])


def reference_metrics(X, W, rows=ROWS, cols=COLS):
    """QE, TE (hexagonal lattice) and vacancy of codebook W, from cdist and plane geometry."""
    d = cdist(X, W)
    order = np.argsort(d, axis=1)
    xy = hex_coords(rows, cols)
    grid = np.linalg.norm(xy[order[:, 0]] - xy[order[:, 1]], axis=1)
    return {
        "quantization_error": d.min(axis=1).mean(),
        "topographic_error": np.mean(grid > 1 + 1e-9),
        "vacancy_rate": 1 - np.unique(order[:, 0]).size / (rows * cols),
    }


def make_som():
    return SOM(mapsize=(ROWS, COLS), lattice="hexa", random_state=5)


def test_the_record_types_are_one_type():
    assert somwidget.TrainingState is TrainingRecord
    assert TrainerEvent is TrainingRecord and EpochRecord is TrainingRecord
    assert StepRecord is somwidget.OnlineStep


def test_fit_records_carry_the_metrics_of_the_codebook_at_that_epoch(X):
    seen, codebooks = [], []

    def grab(record):
        seen.append(record)
        codebooks.append(np.array(record.codebook))

    som = make_som()
    som.fit(X, epochs=EPOCHS, radius_start=3.0, radius_end=1.0, collect_history=True,
            callbacks=[grab])
    assert [r.epoch for r in seen] == list(range(1, EPOCHS + 1))
    assert [r.kind for r in seen] == ["epoch"] * EPOCHS
    assert [r.final for r in seen] == [False] * (EPOCHS - 1) + [True]
    for record, W in zip(seen, codebooks, strict=True):
        ref = reference_metrics(X, W)
        assert record.quantization_error == pytest.approx(ref["quantization_error"], rel=1e-12)
        assert record.topographic_error == pytest.approx(ref["topographic_error"])
        assert record.vacancy_rate == pytest.approx(ref["vacancy_rate"])
        assert record.som is som and record.neighborhood == "gaussian"
        assert record.decay == "linear" and record.duration_s >= 0.0
    # the history keeps the same numbers, without the model and its arrays
    h = som.history_
    assert isinstance(h, History) and len(h) == EPOCHS
    np.testing.assert_allclose(h["quantization_error"], [r.quantization_error for r in seen],
                               rtol=0)
    assert all(r.som is None and r.codebook is None and r.bmus is None for r in h)


def test_trainer_and_fit_produce_the_same_records_and_history(X):
    som = make_som()
    som.fit(X, epochs=EPOCHS, radius_start=3.0, radius_end=1.0, collect_history=True)
    snaps = {}
    trainer = Trainer(make_som(), X, epochs=EPOCHS, radius_start=3.0, radius_end=1.0)
    trainer.add_listener(lambda r: snaps.__setitem__(r.epoch, np.array(r.codebook))
                         if r.kind == "epoch" else None)
    trainer.play()
    assert trainer.join(TIMEOUT)
    th = trainer.history
    assert type(th) is type(som.history_) is History
    assert list(th.keys()) == list(som.history_.keys()) == list(HISTORY_KEYS)
    assert list(th.to_frame().columns) == list(som.history_.to_frame().columns)
    assert list(th.to_frame().columns) == list(HISTORY_COLUMNS)
    assert th["epoch"] == som.history_["epoch"] == list(range(1, EPOCHS + 1))
    np.testing.assert_allclose(th["radius"], som.history_["radius"], rtol=1e-12)
    for key in ("quantization_error", "topographic_error", "vacancy_rate"):
        np.testing.assert_allclose(th[key], som.history_[key], rtol=1e-9, atol=1e-12)
    for record in th:
        ref = reference_metrics(X, snaps[record.epoch])
        assert record.quantization_error == pytest.approx(ref["quantization_error"], rel=1e-12)
        assert record.topographic_error == pytest.approx(ref["topographic_error"])
        assert record.vacancy_rate == pytest.approx(ref["vacancy_rate"])
        assert record.kind == "epoch" and record.record is record


def test_online_records_inside_and_at_the_end_of_epochs(X):
    seen = []
    som = make_som()
    som.fit_online(X, epochs=2, collect_history=True, callback_every_samples=30,
                   callbacks=[lambda r: seen.append((r.kind, r.epoch, r.step, r.n_steps,
                                                     r.total_epoch, r.final))])
    n = X.shape[0]
    assert seen == [("step", 0, 30, n, 0, False), ("step", 0, 60, n, 0, False),
                    ("epoch", 1, n, n, 1, False), ("step", 1, 30, n, 1, False),
                    ("step", 1, 60, n, 1, False), ("epoch", 2, n, n, 2, True)]
    assert som.history_["mode"] == ["online", "online"]
    assert som.history_[-1].quantization_error == pytest.approx(
        cdist(X, som.codebook_).min(axis=1).mean(), rel=1e-12)


def test_history_epoch_column_counts_across_calls_and_phases(X):
    som = make_som()
    som.fit(X, epochs=2, collect_history=True)
    som.fit(X, epochs=3, radius_start=1.5, radius_end=1.0, collect_history=True)
    h = som.history_
    assert h["epoch"] == [1, 2, 3, 4, 5]  # total_epoch
    assert [r.epoch for r in h] == [1, 2, 1, 2, 3]  # within each call
    assert [r.n_epochs for r in h] == [2, 2, 3, 3, 3]
    frame = h.to_frame()
    assert isinstance(frame, pd.DataFrame) and frame.shape == (5, len(HISTORY_COLUMNS))
    assert frame["quantization_error"].dtype == np.float64
    np.testing.assert_allclose(frame["radius"], h["radius"])
    assert h[1:3]["epoch"] == [2, 3] and isinstance(h[1:3], History)
    assert "quantization_error" in h and "nonsense" not in h
    with pytest.raises(KeyError, match="unknown history column 'nonsense'"):
        h["nonsense"]


def test_history_survives_pickling_and_column_assignment(X):
    som = make_som().fit(X, epochs=3, collect_history=True)
    clone = pickle.loads(pickle.dumps(som))
    assert isinstance(clone.history_, History) and clone.history_ == som.history_
    cols = som.history_.to_dict()
    assert dict(som.history_) == cols  # dict() reads the saved columns
    other = make_som().fit(X, epochs=1)
    other.history_ = cols  # what a loader assigns: stored as a History
    assert isinstance(other.history_, History) and other.history_ == som.history_
    assert other.history_[-1].quantization_error == pytest.approx(cols["quantization_error"][-1])
    # a model pickled before the History type kept a dict of lists under "history_"
    legacy = make_som().fit(X, epochs=1)
    state = dict(legacy.__dict__)  # 0.1.0 pickled the instance __dict__
    state.pop("_history")
    state["history_"] = cols
    revived = SOM.__new__(SOM)
    revived.__setstate__(state)
    assert revived.history_ == som.history_
    assert not hasattr(SOM(), "history_")


def test_history_from_columns_validates():
    with pytest.raises(ValueError, match="same length"):
        History.from_columns({"epoch": [1, 2], "radius": [1.0]})
    with pytest.raises(ValueError, match="unknown history column"):
        History.from_columns({"epochs": [1]})
    with pytest.raises(TypeError, match="history holds TrainingRecord"):
        History([{"epoch": 1}])
    h = History.from_columns({"radius": [2.0, 1.0], "quantization_error": [0.5, float("nan")]})
    assert h["epoch"] == [1, 2] and h["quantization_error"] == [0.5, None]
    assert h[1].metrics is None


def test_epoch_metrics_is_the_one_place(X):
    som = make_som().fit(X, epochs=3)
    idx, dist = som.best_matching_units(X, k=2)
    got = analysis.epoch_metrics(idx, dist, som.lattice_)
    ref = reference_metrics(X, som.codebook_)
    assert got == pytest.approx(ref, rel=1e-12)
    assert som.quantization_error(X) == pytest.approx(got["quantization_error"], rel=1e-12)
    assert som.topographic_error(X) == got["topographic_error"]
    assert som.vacancy_rate(X) == got["vacancy_rate"]
    one = analysis.epoch_metrics(idx[:, 0], dist[:, 0], som.lattice_)
    assert one["topographic_error"] == 0.0 and one["vacancy_rate"] == got["vacancy_rate"]
    # a rectangular lattice with 8 neighbours: diagonal second BMUs are not errors
    lat = Lattice(3, 3, "rect", rect_adjacency=8)
    b = np.array([[0, 4], [0, 2], [4, 8]])
    assert analysis.epoch_metrics(b, np.ones((3, 2)), lat)["topographic_error"] == pytest.approx(1 / 3)
    with pytest.raises(TypeError, match="lattice must be a somwidget Lattice"):
        analysis.epoch_metrics(b, np.ones((3, 2)), None)


def test_trainer_metrics_call_analysis_epoch_metrics(X, monkeypatch):
    calls = []
    real = analysis.epoch_metrics

    def spy(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(analysis, "epoch_metrics", spy)
    trainer = Trainer(make_som(), X, epochs=2)
    trainer.play()
    assert trainer.join(TIMEOUT)
    assert len(calls) == 2
    make_som().fit(X, epochs=3, collect_history=True)
    assert len(calls) == 5


def test_trainer_events_are_records(X):
    kinds = []
    trainer = Trainer(make_som(), X, mode="online", epochs=1, radius_start=2.0, radius_end=1.0,
                      learning_rate_start=0.5, learning_rate_end=0.5)
    trainer.add_listener(lambda r: kinds.append((type(r), r.kind, r.status, r.final)))
    trainer.step()
    assert trainer.join(TIMEOUT)
    assert kinds[0] == (TrainingRecord, "status", "running", False)  # the change to running
    assert kinds[1] == (TrainingRecord, "step", "running", False)
    assert kinds[-1] == (TrainingRecord, "status", "paused", True)
    s = trainer.last_step
    assert (s.radius, s.learning_rate, s.epoch, s.step, s.n_steps) == (2.0, 0.5, 0, 1, 80)
    trainer.reset()
    assert kinds[-1][1] == "reset" and trainer.history == []


def test_notify_calls_every_callback_and_reports_a_stop():
    calls = []
    record = TrainingRecord(mode="batch", epoch=1, n_epochs=1, radius=1.0, learning_rate=1.0)
    assert notify([lambda r: calls.append(1), lambda r: calls.append(2)], record)
    assert not notify([lambda r: False, lambda r: calls.append(3)], record)
    assert calls == [1, 2, 3]
    # a numpy boolean stops too (``return change > tol``); None, 0 and True go on
    assert not notify([lambda r: np.False_], record)
    assert notify([lambda r: None, lambda r: 0, lambda r: np.True_, lambda r: True], record)
    som = somwidget.SOM((3, 3), random_state=0)
    qe = []

    def until_settled(r: TrainingRecord) -> np.bool_:
        qe.append(r.metrics["quantization_error"])
        return np.bool_(len(qe) < 2 or abs(qe[-2] - qe[-1]) > 1e9)  # settled at once

    som.fit(np.random.default_rng(0).normal(size=(60, 2)), epochs=6, callbacks=[until_settled],
            collect_history=True)
    assert som.n_epochs_trained_ == 2
    assert check_callbacks(None) == [] and len(check_callbacks(print)) == 1
    with pytest.raises(TypeError, match="callbacks must be callables"):
        check_callbacks([print, 3])
    with pytest.raises(ValueError, match="kind must be one of"):
        TrainingRecord(mode="batch", epoch=1, n_epochs=1, radius=1.0, learning_rate=1.0,
                       kind="done")
