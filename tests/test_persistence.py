"""Versioned JSON save/load and pickling."""

import json
import pickle

import numpy as np
import pandas as pd
import pytest

from somwidget import SOM

RNG = np.random.default_rng(2)
X = RNG.gamma(2.0, 1.5, size=(150, 3))


@pytest.fixture
def trained():
    df = pd.DataFrame(X, columns=["u", "v", "w"])
    som = SOM((6, 5), lattice="toroidal_hexa", normalization="boxcox", random_state=7)
    som.fit(df, epochs=4, collect_history=True)
    return som


def test_round_trip_predicts_identically(trained, tmp_path):
    path = tmp_path / "model.json"
    trained.save(path)
    loaded = SOM.load(path)
    assert np.array_equal(loaded.codebook_, trained.codebook_)
    np.testing.assert_array_equal(loaded.predict(X), trained.predict(X))
    assert np.array_equal(loaded.transform(X), trained.transform(X))
    assert loaded.feature_names_in_ == ["u", "v", "w"]
    assert loaded.history_ == trained.history_
    assert loaded.n_epochs_trained_ == 4
    assert loaded.lattice_ == trained.lattice_
    assert loaded.get_params() == {**trained.get_params(), "mapsize": (6, 5)}
    np.testing.assert_allclose(loaded.codebook_in_data_units(), trained.codebook_in_data_units())
    loaded.fit(X, epochs=1)  # continues training
    assert loaded.n_epochs_trained_ == 5


def test_file_is_human_readable_versioned_json(trained, tmp_path):
    path = tmp_path / "m.json"
    trained.save(path)
    d = json.loads(path.read_text())
    assert d["format"] == "somwidget.som" and d["version"] == 1
    assert d["lattice"]["hex_offset"] == "odd_rows_right"
    assert d["lattice"]["row_spacing"] == pytest.approx(np.sqrt(3) / 2)
    assert d["normalizer"]["name"] == "boxcox"
    assert len(d["codebook"]) == 30 and len(d["codebook"][0]) == 3
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind


def test_loaded_model_without_data_asks_for_x(trained, tmp_path):
    trained.save(tmp_path / "m.json")
    loaded = SOM.load(tmp_path / "m.json")
    with pytest.raises(ValueError, match="X is required"):
        loaded.quantization_error()
    assert loaded.quantization_error(X) == pytest.approx(trained.quantization_error(X))


def test_truncated_file(trained, tmp_path):
    path = tmp_path / "m.json"
    trained.save(path)
    path.write_text(path.read_text()[:200])
    with pytest.raises(ValueError, match="corrupt or truncated"):
        SOM.load(path)


def test_corrupt_bytes(tmp_path):
    path = tmp_path / "m.json"
    path.write_bytes(b"\x80\x04\x95 binary pickle")
    with pytest.raises(ValueError, match="not UTF-8"):
        SOM.load(path)


def test_empty_file(tmp_path):
    path = tmp_path / "m.json"
    path.write_text("")
    with pytest.raises(ValueError, match="empty"):
        SOM.load(path)


def test_foreign_json(tmp_path):
    path = tmp_path / "m.json"
    path.write_text(json.dumps({"weights": [[1, 2]], "size": 10}))
    with pytest.raises(ValueError, match="not a somwidget model"):
        SOM.load(path)


def test_wrong_version(trained, tmp_path):
    path = tmp_path / "m.json"
    trained.save(path)
    d = json.loads(path.read_text())
    d["version"] = 99
    path.write_text(json.dumps(d))
    with pytest.raises(ValueError, match="version 99 is not supported"):
        SOM.load(path)


def test_inconsistent_codebook(trained, tmp_path):
    path = tmp_path / "m.json"
    trained.save(path)
    d = json.loads(path.read_text())
    d["codebook"] = d["codebook"][:-1]
    path.write_text(json.dumps(d))
    with pytest.raises(ValueError, match="codebook has shape"):
        SOM.load(path)


def test_failed_save_leaves_the_old_file(trained, tmp_path):
    path = tmp_path / "m.json"
    trained.save(path)
    before = path.read_bytes()
    trained.codebook_ = trained.codebook_.copy()
    trained.codebook_[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        trained.save(path)
    assert path.read_bytes() == before
    assert list(tmp_path.iterdir()) == [path]


def test_pickle_round_trip(trained):
    clone = pickle.loads(pickle.dumps(trained))
    assert np.array_equal(clone.codebook_, trained.codebook_)
    np.testing.assert_array_equal(clone.predict(X), trained.predict(X))
    clone.fit(X, epochs=1)  # still trainable, continues
    assert clone.n_epochs_trained_ == 5


def test_pickle_leaves_the_data_out_but_keeps_the_mexican_hat_box():
    rng = np.random.default_rng(3)
    data = rng.uniform(-1.0, 1.0, size=(5000, 4))
    som = SOM((4, 4), neighborhood="mexican_hat", random_state=0).fit(data, epochs=2)
    blob = pickle.dumps(som)
    assert len(blob) < data.nbytes / 10  # the training data does not travel with the model
    clone = pickle.loads(blob)
    far = np.full(4, 50.0)  # an outlier: a Mexican-hat step must still stay inside the data box
    step = clone.online_step(far, radius=1.0, learning_rate=1.0)
    assert np.all(step.codebook_after <= data.max(axis=0) + 1e-12)


def test_json_keeps_the_mexican_hat_box(tmp_path):
    data = np.random.default_rng(4).uniform(-1.0, 1.0, size=(300, 3))
    path = tmp_path / "m.json"
    SOM((4, 4), neighborhood="mexican_hat", random_state=0).fit(data, epochs=2).save(path)
    lo, hi = json.loads(path.read_text())["data_bounds"]
    np.testing.assert_array_equal(lo, data.min(axis=0))
    np.testing.assert_array_equal(hi, data.max(axis=0))
    step = SOM.load(path).online_step(np.full(3, 50.0), radius=1.0, learning_rate=1.0)
    assert np.all(step.codebook_after <= data.max(axis=0) + 1e-12)


@pytest.mark.parametrize("bad", [[[0.0, 0.0]], [[0, 0, 0], [1, "x", 1]], [[1, 1, 1], [0, 0, 0]],
                                 [[0, 0, float("nan")], [1, 1, 1]]])
def test_invalid_data_bounds_in_file(trained, tmp_path, bad):
    path = tmp_path / "m.json"
    trained.save(path)
    d = json.loads(path.read_text())
    d["data_bounds"] = bad
    path.write_text(json.dumps(d))
    with pytest.raises(ValueError, match="data_bounds"):
        SOM.load(path)


def test_n_jobs_is_saved_and_loaded(tmp_path):
    path = tmp_path / "m.json"
    SOM((3, 4), random_state=1, n_jobs=2).fit(X, epochs=1).save(path)
    assert json.loads(path.read_text())["params"]["n_jobs"] == 2
    assert SOM.load(path).n_jobs == 2


def test_inhibition_is_saved_and_an_old_file_without_it_loads_the_default(trained, tmp_path):
    path = tmp_path / "m.json"
    SOM((3, 4), neighborhood="mexican_hat", inhibition=0.3, random_state=1).fit(X, epochs=1).save(path)
    assert json.loads(path.read_text())["params"]["inhibition"] == 0.3
    assert SOM.load(path).inhibition == 0.3
    trained.save(path)
    d = json.loads(path.read_text())
    del d["params"]["inhibition"]
    path.write_text(json.dumps(d))
    assert SOM.load(path).inhibition == 0.1


def test_old_file_without_n_jobs_loads_with_none(trained, tmp_path):
    path = tmp_path / "m.json"
    trained.set_params(n_jobs=1).save(path)
    d = json.loads(path.read_text())
    del d["params"]["n_jobs"]
    path.write_text(json.dumps(d))
    loaded = SOM.load(path)
    assert loaded.n_jobs is None
    np.testing.assert_array_equal(loaded.predict(X), trained.predict(X))


def test_invalid_n_jobs_in_file(trained, tmp_path):
    path = tmp_path / "m.json"
    trained.save(path)
    d = json.loads(path.read_text())
    d["params"]["n_jobs"] = 0
    path.write_text(json.dumps(d))
    with pytest.raises(ValueError, match="invalid parameters: n_jobs must be"):
        SOM.load(path)
