"""GEMA's JSON model files: the hand-written fixture loads, round-trips and classifies."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from somwidget import SOM
from somwidget.compat.gema import Classification, Map

FIXTURE = Path(__file__).resolve().parent.parent / "data" / "gema_model.json"
# GEMA's load_classifier reads these keys (topology is optional, newer files have it)
GEMA_KEYS = {"map_size", "input_data_dimension", "presentation", "initial_lr", "distance",
             "use_decay", "num_data", "period", "neighbourhood", "weights"}


@pytest.fixture
def gema_file(tmp_path):
    target = tmp_path / "gema_model.json"
    shutil.copy(FIXTURE, target)
    return target


def test_a_gema_file_loads_with_its_attributes(gema_file):
    m = Map.load_classifier(str(gema_file)[: -len(".json")])  # GEMA's <filename>.json
    entry = json.loads(FIXTURE.read_text())["model"][0]
    assert (m.map_size, m.period, m.initial_lr, m.neighbourhood) == (3, 240, 0.2, 2)
    assert (m.distance, m.use_decay, m.presentation, m.num_data) == ("euclidean", True,
                                                                     "sequential", 12)
    assert m.topology == "rectangular" and m.input_data_dimension == 2
    np.testing.assert_array_equal(m.weights, np.array(entry["weights"]))
    # weights[row][col] = [row, 10 col]: the BMU of (2.1, 9) is row 2, col 1
    dist, pos, dist2, pos2 = m.calculate_bmu([2.1, 9.0])
    assert pos == (2, 1) and dist == pytest.approx(np.hypot(0.1, 1.0))
    assert pos2 == (1, 1) and dist2 == pytest.approx(np.hypot(1.1, 1.0))
    c = Classification(m, np.array([[0.1, 0.2], [2.0, 19.0], [2.2, 21.0], [1.0, 10.0]]))
    expected = np.zeros((3, 3), dtype=int)
    expected[0, 0], expected[2, 2], expected[1, 1] = 1, 2, 1
    np.testing.assert_array_equal(c.activations_map, expected)
    assert c.distances_map[2, 2] == pytest.approx(1.0 + np.hypot(0.2, 1.0))


def test_a_gema_file_round_trips(gema_file, tmp_path):
    m = Map.load_classifier(gema_file)  # a name ending in .json is taken as it is
    written = m.save_classifier(tmp_path / "again")
    assert written == tmp_path / "again.json"
    original = json.loads(FIXTURE.read_text())["model"][0]
    doc = json.loads(written.read_text())
    entry = doc["model"][0]
    assert GEMA_KEYS <= set(entry)
    assert {k: entry[k] for k in GEMA_KEYS} == original  # every GEMA field as it was
    assert entry["topology"] == "rectangular"
    back = Map.load_classifier(tmp_path / "again")
    np.testing.assert_array_equal(back.weights, m.weights)
    assert back.period == 240 and back.use_decay is True
    # a third generation writes the same GEMA fields again
    third = json.loads(back.save_classifier(tmp_path / "third").read_text())["model"][0]
    assert {k: third[k] for k in GEMA_KEYS} == original


def test_a_trained_map_round_trips_with_its_normaliser(tmp_path):
    rng = np.random.default_rng(0)
    data = rng.normal(50, 10, size=(200, 3))
    m = Map(data=data, size=5, period=1000, normalization="01scale", random_state=4)
    m.save_classifier(tmp_path / "m")
    back = Map.load_classifier(tmp_path / "m")
    np.testing.assert_array_equal(back.weights, m.weights)
    assert back.normalization == "01scale"
    np.testing.assert_array_equal(back.som.predict(data), m.som.predict(data))
    # edited weights (as GEMA would write them) win over the carried somwidget model
    doc = json.loads((tmp_path / "m.json").read_text())
    doc["model"][0]["weights"][0][0] = [9.0, 9.0, 9.0]
    (tmp_path / "edited.json").write_text(json.dumps(doc))
    edited = Map.load_classifier(tmp_path / "edited")
    np.testing.assert_array_equal(edited.weights[0, 0], [9.0, 9.0, 9.0])
    assert edited.normalization == "none"


def test_a_somwidget_model_file_loads_as_a_map(tmp_path):
    rng = np.random.default_rng(1)
    data = rng.normal(size=(120, 4))
    som = SOM((4, 6), lattice="rect", random_state=2).fit(data, epochs=3)
    som.save(tmp_path / "sw.json")
    m = Map.load_classifier(tmp_path / "sw")
    assert m.map_size == (4, 6) and m.weights.shape == (4, 6, 4)
    np.testing.assert_array_equal(m.weights.reshape(24, 4), som.codebook_)
    c = Classification(m, data)
    np.testing.assert_array_equal(c.activations_map.ravel(), som.hit_counts(data))


@pytest.mark.parametrize(
    ("content", "match"),
    [
        ("not json", "not JSON"),
        ('{"format": "other"}', "expected a GEMA"),
        ('{"model": [{"map_size": 3}]}', r"missing fields \['weights'\]"),
        ('{"model": [{"map_size": 2, "weights": [[[1, 2]], [[3, 4]]]}]}', r"shape \(2, 2, D\)"),
        ('{"model": [{"map_size": 1, "weights": [[[1]]]}]}', "map_size' must be an integer >= 2"),
        ('{"model": [{"map_size": 2, "weights": [[[1], [2]], [[3], [4]]], '
         '"input_data_dimension": 3}]}', "input_data_dimension' is 3"),
        ('{"model": [{"map_size": 2, "weights": [[[1], [2]], [[3], [4]]], "distance": "l1"}]}',
         "distance must be one of"),
    ],
)
def test_broken_files_name_the_file_and_the_problem(tmp_path, content, match):
    path = tmp_path / "broken.json"
    path.write_text(content)
    with pytest.raises(ValueError, match=match) as info:
        Map.load_classifier(tmp_path / "broken")
    assert "broken.json" in str(info.value)


def test_assigning_weights_replaces_the_codebook_and_keeps_the_normaliser():
    rng = np.random.default_rng(3)
    data = rng.normal(5, 2, size=(80, 3))
    m = Map(data=data, size=4, period=300, normalization="fwn", random_state=0)
    w = np.asarray(m.weights).copy()
    w[1, 2] = [7.0, -7.0, 0.5]
    m.weights = w
    np.testing.assert_array_equal(m.som.codebook_[1 * 4 + 2], [7.0, -7.0, 0.5])
    assert m.som.normalizer_.name == "standard"
    xt = (data - data.mean(axis=0)) / data.std(axis=0)
    np.testing.assert_array_equal(m.som.predict(data),
                                  ((xt[:, None, :] - w.reshape(16, 3)) ** 2).sum(-1).argmin(1))
    with pytest.raises(ValueError, match=r"weights must have shape \(4, 4, D\)"):
        m.weights = np.zeros((3, 4, 3))


def test_save_classifier_leaves_other_files_alone_and_writes_through_a_link(tmp_path):
    import os

    data = np.random.default_rng(1).normal(size=(100, 3))
    m = Map(data=data, size=4, period=200, random_state=0)
    notes = tmp_path / ".m.json.tmp"  # the fixed temporary name it used to overwrite and delete
    notes.write_text("my notes")
    m.save_classifier(tmp_path / "m")
    assert notes.read_text() == "my notes"
    os.symlink("m.json", tmp_path / "latest.json")
    other = Map(data=data, size=3, period=200, random_state=1)
    other.save_classifier(tmp_path / "latest")
    assert (tmp_path / "latest.json").is_symlink()
    np.testing.assert_array_equal(Map.load_classifier(tmp_path / "m").weights, other.weights)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".m.json.tmp", "latest.json", "m.json"]
