"""Plain-text progress: SOM(verbose=...) and TextProgress."""

from __future__ import annotations

import io
import re

import numpy as np
import pytest

from somwidget import SOM
from somwidget.progress import TextProgress

X = np.random.default_rng(0).normal(size=(200, 3))


def test_verbose_0_prints_nothing(capsys):
    SOM((4, 4), random_state=0).fit(X, epochs=3)
    assert capsys.readouterr().out == ""


def test_verbose_2_prints_one_line_per_epoch_with_the_schedule_and_errors(capsys):
    som = SOM((4, 6), verbose=2, random_state=0)
    som.fit(X, epochs=5, radius_start=3.0, radius_end=1.0, collect_history=True)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 5
    radii = [float(re.search(r"radius ([\d.]+)", ln).group(1)) for ln in lines]
    np.testing.assert_allclose(radii, [3.0, 2.5, 2.0, 1.5, 1.0])  # the linear schedule
    qe = [float(re.search(r"QE ([\d.]+)", ln).group(1)) for ln in lines]
    np.testing.assert_allclose(qe, som.history_["quantization_error"], rtol=1e-3)
    assert lines[-1].startswith("batch train: epoch 5/5")


def test_verbose_1_rewrites_one_line_per_phase(capsys):
    SOM((4, 4), verbose=1, random_state=0).fit_auto(X)
    out = capsys.readouterr().out
    finished = out.split("\n")[:-1]
    assert len(finished) == 2  # rough, fine: each ends its line once
    assert "batch rough: epoch" in finished[0] and "batch fine: epoch" in finished[1]
    assert re.search(r"epoch (\d+)/\1 ", finished[1].split("\r")[-1])  # the last state shown


def test_online_lines_at_epoch_ends_only_and_a_stop_is_not_repeated():
    buf = io.StringIO()
    som = SOM((4, 4), random_state=0, callback_every=1)
    progress = TextProgress(2, stream=buf)
    som.fit_online(X, epochs=2, callbacks=[progress], callback_every_samples=50)
    lines = buf.getvalue().strip().splitlines()
    assert [ln.split(" · ")[0] for ln in lines] == ["online train: epoch 1/2", "online train: epoch 2/2"]
    buf2 = io.StringIO()
    SOM((4, 4), random_state=0).fit(
        X, epochs=6, callbacks=[TextProgress(2, stream=buf2), lambda s: s.epoch < 3])
    assert [ln.split(" · ")[0] for ln in buf2.getvalue().strip().splitlines()] == [
        f"batch train: epoch {k}/6" for k in (1, 2, 3)]


@pytest.mark.parametrize("bad", [3, -1, "1", 1.5])
def test_verbose_is_validated(bad):
    with pytest.raises((ValueError, TypeError), match="verbose"):
        SOM((3, 3), verbose=bad).fit(X, epochs=1)


def test_a_trainer_listener_prints_the_same_lines():
    from somwidget.trainer import Trainer

    buf = io.StringIO()
    trainer = Trainer(SOM((4, 4), random_state=0), X, epochs=3, radius_start=2.0, radius_end=1.0,
                      listeners=[TextProgress(2, stream=buf)])
    trainer.play()
    assert trainer.join(60)
    lines = buf.getvalue().strip().splitlines()
    assert [ln.split(" · ")[0] for ln in lines] == [f"batch train: epoch {k}/3" for k in (1, 2, 3)]
    radii = [float(re.search(r"radius ([\d.]+)", ln).group(1)) for ln in lines]
    np.testing.assert_allclose(radii, [2.0, 1.5, 1.0])
    qe = [float(re.search(r"QE ([\d.]+)", ln).group(1)) for ln in lines]
    np.testing.assert_allclose(qe, trainer.history["quantization_error"], rtol=1e-3)
    trainer.close()


def test_verbose_2_prints_the_errors_without_collecting_history(capsys):
    from scipy.spatial.distance import cdist

    som = SOM((4, 6), verbose=2, random_state=0)
    som.fit(X, epochs=4, radius_start=3.0, radius_end=1.0)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 4 and all("QE " in ln and "TE " in ln for ln in lines)
    assert not som.history_  # nothing kept: the errors were measured for the printed lines only
    qe = float(re.search(r"QE ([\d.]+)", lines[-1]).group(1))
    expected = cdist(X, som.codebook_).min(axis=1).mean()  # the final codebook's QE, by hand
    np.testing.assert_allclose(qe, expected, rtol=1e-3)
    assert TextProgress(2).wants_metrics is True and TextProgress(1).wants_metrics is False
