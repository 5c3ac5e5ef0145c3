"""The compat layers' files and inputs: non-square GEMA maps round-trip and train, GEMA files
keep the initialisation and seed, somnium pickles keep their data, bad files and bad arguments
are named errors."""

from __future__ import annotations

import json
import os
import pickle

import numpy as np
import pytest
from scipy.spatial.distance import cdist

from somwidget import SOM
from somwidget.compat.gema import Classification, Map, Visualization
from somwidget.compat.somnium import SOM as SomniumSOM
from somwidget.compat.somnium.visualization import plot_bmus

X = np.random.default_rng(0).normal(size=(200, 3))


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    """Relative file names resolve in a fresh folder (GEMA's API takes bare names)."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture(scope="module")
def core_4x6():
    return SOM(mapsize=(4, 6), random_state=0, epochs=2).fit(X)


@pytest.fixture(scope="module")
def small_map():
    return Map(data=X, size=3, period=20, random_state=0)


def _bmus(codebook, data):
    return cdist(data, codebook).argmin(axis=1)


# ---------------------------------------------------------------- GEMA: non-square maps
def test_a_non_square_map_saved_by_save_classifier_loads_again(in_tmp, core_4x6):
    core_4x6.save("ns.json")
    m = Map.load_classifier("ns")
    m.save_classifier("ns_gema")
    assert json.loads((in_tmp / "ns_gema.json").read_text())["model"][0]["map_size"] == [4, 6]
    back = Map.load_classifier("ns_gema")
    assert back.shape == (4, 6)
    np.testing.assert_array_equal(back.weights, core_4x6.codebook_.reshape(4, 6, 3))
    _, pos, _, _ = back.calculate_bmu(X[7])
    k = int(_bmus(core_4x6.codebook_, X[7:8])[0])
    assert pos == divmod(k, 6)


def test_a_gema_file_with_a_rows_cols_map_size_and_no_somwidget_entry_loads(in_tmp):
    w = np.arange(2 * 3 * 2, dtype=float).reshape(2, 3, 2)
    (in_tmp / "plain.json").write_text(json.dumps({"model": [{"map_size": [2, 3],
                                                             "weights": w.tolist()}]}))
    m = Map.load_classifier("plain")
    assert m.shape == (2, 3)
    np.testing.assert_array_equal(m.weights, w)


def test_a_non_square_map_trains_with_its_shape(in_tmp, core_4x6):
    core_4x6.save("ns.json")
    m = Map.load_classifier("ns").train(X)
    assert m.shape == (4, 6) and m.weights.shape == (4, 6, 3)
    c = Classification(m, X)
    expected = np.bincount(_bmus(m.som.codebook_, X), minlength=24).reshape(4, 6)
    np.testing.assert_array_equal(c.activations_map, expected)


# ---------------------------------------------------------------- GEMA: what the file restores
def test_load_classifier_restores_the_initialisation_and_the_seed(in_tmp):
    p = Map(data=X, size=4, period=50, weights="PCA", random_state=0)
    p.save_classifier("p")
    loaded = Map.load_classifier("p")
    assert loaded.weights_init == "PCA" and loaded.random_state == 0
    p.train(X)
    loaded.train(X)
    np.testing.assert_array_equal(loaded.weights, p.weights)
    # and that is not what a random initialisation gives
    other = Map(data=X, size=4, period=50, weights="random", random_state=0)
    assert not np.array_equal(other.weights, p.weights)


# ---------------------------------------------------------------- somnium: pickles keep the data
def test_a_somnium_pickle_keeps_its_training_data(in_tmp):
    s = SomniumSOM(mapsize=(5, 4), random_state=0).fit(X, epochs=3)
    s.save("my_som.pkl")
    loaded = SomniumSOM.load("my_som.pkl")
    xt = loaded.normalizer_.transform(X)
    w = loaded.codebook_
    mae = float(np.abs(xt - w[_bmus(w, xt)]).mean())  # somnium's QE, by hand
    assert loaded.calculate_quantization_error() == pytest.approx(mae, rel=1e-12)
    np.testing.assert_array_equal(loaded.hit_counts(), np.bincount(_bmus(w, xt), minlength=20))
    view = plot_bmus(loaded)
    assert "<svg" in view.to_svg()


def test_the_core_som_pickle_still_holds_no_data():
    s = SOM(mapsize=(3, 3), random_state=0, epochs=2).fit(X)
    back = pickle.loads(pickle.dumps(s))
    with pytest.raises(ValueError, match="X is required"):
        back.quantization_error()


def test_a_somnium_pickle_whose_data_does_not_fit_the_model_is_refused():
    s = SomniumSOM(mapsize=(3, 3), random_state=0).fit(X, epochs=2)
    state = s.__getstate__()
    state["seed_data"] = np.ones((5, 2))
    fresh = SomniumSOM.__new__(SomniumSOM)
    with pytest.raises(ValueError, match="training data does not fit"):
        fresh.__setstate__(state)


# ---------------------------------------------------------------- GEMA: bad input
def test_classifying_with_an_unfitted_som_is_a_not_fitted_error():
    sklearn_exceptions = pytest.importorskip("sklearn.exceptions")
    with pytest.raises(sklearn_exceptions.NotFittedError, match="not fitted"):
        Classification(SOM(), X)


def test_a_binary_file_is_a_value_error_naming_it(in_tmp):
    (in_tmp / "bin.json").write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(50))
    with pytest.raises(ValueError, match=r"bin\.json is not a GEMA or somwidget model"):
        Map.load_classifier("bin")


@pytest.mark.parametrize(("field", "value"), [
    ("num_data", None), ("num_data", "abc"), ("num_data", -1), ("num_data", 2.5),
    ("num_data", True), ("input_data_dimension", "3"), ("input_data_dimension", 3.5),
    ("map_size", [3]), ("map_size", [3, "3"]), ("map_size", True), ("map_size", 1),
    ("weights", "abc"), ("weights", [[["1", "2", "3"]]]), ("period", None),
])
def test_a_bad_field_is_a_value_error_naming_it(in_tmp, small_map, field, value):
    small_map.save_classifier("g")
    doc = json.loads((in_tmp / "g.json").read_text())
    doc["model"][0][field] = value
    (in_tmp / "bad.json").write_text(json.dumps(doc))
    with pytest.raises(ValueError, match=rf"bad\.json is not a readable GEMA model: '?{field}'?"):
        Map.load_classifier("bad")


def test_weights_written_as_strings_are_refused(in_tmp, small_map):
    small_map.save_classifier("g")
    doc = json.loads((in_tmp / "g.json").read_text())
    entry = doc["model"][0]
    entry["weights"] = np.asarray(entry["weights"]).astype(str).tolist()  # right shape, text
    (in_tmp / "text.json").write_text(json.dumps({"model": [entry]}))
    with pytest.raises(ValueError, match=r"text\.json is not a readable GEMA model: 'weights' "
                                         r"must be a rectangular list of numbers"):
        Map.load_classifier("text")


def test_saving_into_a_missing_folder_names_the_folder(in_tmp, small_map):
    with pytest.raises(FileNotFoundError, match="the folder 'nodir' does not exist"):
        small_map.save_classifier("nodir/model")
    assert not (in_tmp / "nodir").exists()


@pytest.mark.parametrize("chart", ["characteristics_graph", "characteristics_bargraph"])
@pytest.mark.parametrize(("name", "value", "error"), [
    ("size_x", -5, ValueError), ("size_x", 0, ValueError), ("size_y", float("nan"), ValueError),
    ("size_y", float("inf"), ValueError), ("size_x", "10", TypeError), ("angle", float("nan"), ValueError),
    ("angle", "45", TypeError),
])
def test_chart_sizes_are_checked(small_map, chart, name, value, error):
    with pytest.raises(error, match=name):
        getattr(Visualization, chart)(small_map, 0, 0, **{name: value})


def test_chart_size_makes_the_picture_size(small_map):
    svg = Visualization.characteristics_graph(small_map, 0, 0, size_x=5, size_y=4).svg
    assert 'width="360"' in svg and 'height="288"' in svg


def test_full_map_weights_checks_its_size(small_map):
    with pytest.raises(ValueError, match="size_x"):
        Visualization.full_map_weights(small_map, size_x=-1, filename=None)


def test_calculate_bmu_refuses_strings_by_name(small_map):
    with pytest.raises(TypeError, match="pattern must be one sample"):
        small_map.calculate_bmu(["a", "b", "c"])


@pytest.mark.parametrize("value", ["abc", np.full((3, 3, 3), "x"), np.full((3, 3, 3), np.nan)])
def test_assigning_bad_weights_is_refused_by_name(value):
    m = Map(data=X, size=3, period=20, random_state=0)
    before = m.weights.copy()
    with pytest.raises((TypeError, ValueError), match="weights must"):
        m.weights = value
    np.testing.assert_array_equal(m.weights, before)
