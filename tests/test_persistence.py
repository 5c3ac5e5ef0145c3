"""Versioned JSON save/load and pickling."""

import json
import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from somwidget import SOM
from somwidget.persistence import ModelFormatError, content_checksum
from somwidget.validation import NotFittedError

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
    del d["checksum"]  # an older file: no inhibition, no checksum
    path.write_text(json.dumps(d))
    assert SOM.load(path).inhibition == 0.1


def test_old_file_without_n_jobs_loads_with_none(trained, tmp_path):
    path = tmp_path / "m.json"
    trained.set_params(n_jobs=1).save(path)
    d = json.loads(path.read_text())
    del d["params"]["n_jobs"]
    del d["checksum"]  # an older file: no n_jobs, no checksum
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


# --------------------------------------------------------------------------- files of older versions
DATA = Path(__file__).parent / "data"


def test_a_file_saved_by_somwidget_0_1_0_loads_and_predicts_as_then():
    # tests/data/model_v1.json was written by the code before to_dict/from_dict existed (commit
    # 8ba27e9), with its predictions for fixed queries: toroidal hex, Box-Cox, cityblock, Mexican
    # hat (data box), DataFrame names, a batch and an online history
    expected = json.loads((DATA / "model_v1_expected.json").read_text())
    Q = np.array(expected["queries"])
    som = SOM.load(DATA / "model_v1.json")
    assert som.predict(Q).tolist() == expected["predict"]
    np.testing.assert_array_equal(som.transform(Q), np.array(expected["transform"]))
    np.testing.assert_allclose(som.codebook_in_data_units(),
                               np.array(expected["codebook_in_data_units"]), rtol=1e-13)
    assert som.feature_names_in_ == ["alpha", "beta", "gamma"]
    assert som.n_epochs_trained_ == 4 and som.history_["mode"] == ["batch"] * 3 + ["online"]
    with pytest.raises(ValueError, match="X has columns"):  # names came from a DataFrame
        som.predict(pd.DataFrame(Q, columns=["a", "b", "c"]))


def test_the_0_1_0_file_is_written_back_field_for_field():
    saved = json.loads((DATA / "model_v1.json").read_text())
    again = SOM.load(DATA / "model_v1.json").to_dict()
    saved.pop("somwidget_version")
    again.pop("somwidget_version")
    # parameters added since 0.1.0 (missing, max_missing, ...) are written at their defaults
    defaults = SOM().to_dict()["params"]
    added = set(again["params"]) - set(saved["params"])
    assert {k: again["params"].pop(k) for k in added} == {k: defaults[k] for k in added}
    assert again == saved


def test_a_pickle_made_by_somwidget_0_1_0_loads_and_continues_training():
    # tests/data/som_v0_1_0.pickle: pickle.dumps of a fitted SOM by commit 8ba27e9 (its state
    # was the instance __dict__), with the codebook one more epoch of fit(X) gave then
    expected = json.loads((DATA / "som_v0_1_0_pickle_expected.json").read_text())
    som = pickle.loads((DATA / "som_v0_1_0.pickle").read_bytes())
    Q = np.array(expected["queries"])
    np.testing.assert_array_equal(som.codebook_, np.array(expected["codebook"]))
    assert som.predict(Q).tolist() == expected["predict"]
    assert som.history_["epoch"] == expected["history_epoch"]
    X0 = np.random.default_rng(12).normal(size=(40, 3))  # the data it was trained on
    som.fit(X0, epochs=1)
    np.testing.assert_array_equal(som.codebook_, np.array(expected["after_one_more_epoch"]))


# --------------------------------------------------------------------------- to_dict / from_dict
POSITIVE = np.random.default_rng(21).gamma(2.0, 1.5, size=(80, 3)) + 0.1
QUERIES = np.random.default_rng(22).gamma(2.0, 1.5, size=(25, 3)) + 0.1

OPTIONS = (
    [{"lattice": k} for k in ("hexa", "rect", "toroidal_hexa", "toroidal_rect", "cylindrical_hexa",
                              "cylindrical_rect")]
    + [{"lattice": "rect", "rect_adjacency": 8}]
    + [{"normalization": k} for k in ("none", "standard", "minmax", "l2", "log", "logistic",
                                      "boxcox", "fwn")]
    + [{"initialization": k} for k in ("random", "random_negative", "sample", "pca", "linear")]
    + [{"neighborhood": k} for k in ("gaussian", "bubble", "cut_gaussian", "epanechikov")]
    + [{"neighborhood": "mexican_hat", "inhibition": 0.25}]
    + [{"distance_metric": k} for k in ("cityblock", "chebyshev", "cosine")]
    + [{"chunk_size": 7, "n_jobs": 1, "callback_every": 2}]
)


def _ids(opt):
    return "-".join(f"{k}={v}" for k, v in opt.items())


def _same_model(a, b, X=QUERIES):
    assert b.get_params() == a.get_params()
    assert b.codebook_.dtype == np.float64 and b.codebook_.flags.c_contiguous
    np.testing.assert_array_equal(b.codebook_, a.codebook_)  # bit for bit
    np.testing.assert_array_equal(b.predict(X), a.predict(X))
    np.testing.assert_array_equal(b.transform(X), a.transform(X))
    np.testing.assert_array_equal(b.best_matching_units(X, k=3)[0], a.best_matching_units(X, k=3)[0])
    assert b.lattice_ == a.lattice_ and b.mapsize_ == a.mapsize_ and b.n_neurons_ == a.n_neurons_
    assert b.feature_names_in_ == a.feature_names_in_ and b.n_features_in_ == a.n_features_in_
    assert b.history_ == a.history_ and b.n_epochs_trained_ == a.n_epochs_trained_
    assert b.umatrix().tolist() == a.umatrix().tolist()
    assert b.distortion(X) == a.distortion(X)  # same default radius (the latest epoch's)


@pytest.mark.parametrize("opt", OPTIONS, ids=_ids)
def test_from_dict_of_to_dict_predicts_identically(opt):
    som = SOM((4, 5), random_state=3, **opt).fit(POSITIVE, epochs=3, collect_history=True)
    d = som.to_dict()
    text = json.dumps(d, allow_nan=False)  # plain JSON types only
    clone = SOM.from_dict(json.loads(text))
    _same_model(som, clone)
    assert clone.to_dict() == d


@pytest.mark.parametrize("opt", OPTIONS, ids=_ids)
def test_pickle_round_trip_for_every_option(opt):
    som = SOM((4, 5), random_state=3, **opt).fit(POSITIVE, epochs=3, collect_history=True)
    clone = pickle.loads(pickle.dumps(som))
    _same_model(som, clone)
    # the random generator travels with its state: further training stays identical
    som.fit(POSITIVE, epochs=1, subsample_ratio=0.5)
    clone.fit(POSITIVE, epochs=1, subsample_ratio=0.5)
    np.testing.assert_array_equal(clone.codebook_, som.codebook_)


def test_round_trip_keeps_feature_names_from_a_dataframe():
    df = pd.DataFrame(POSITIVE, columns=["length", "width", "depth"])
    som = SOM((3, 3), random_state=0).fit(df, epochs=2)
    for clone in (SOM.from_dict(som.to_dict()), pickle.loads(pickle.dumps(som))):
        assert clone.feature_names_in_ == ["length", "width", "depth"]
        np.testing.assert_array_equal(clone.predict(df), som.predict(df))
        with pytest.raises(ValueError, match=r"fitted with \['length', 'width', 'depth'\]"):
            clone.predict(df.rename(columns={"depth": "height"}))
    plain = SOM((3, 3), random_state=0).fit(POSITIVE, epochs=1)
    assert SOM.from_dict(plain.to_dict()).feature_names_in_ == ["x0", "x1", "x2"]
    # numpy-fitted names are not DataFrame names: any columns are accepted later
    SOM.from_dict(plain.to_dict()).predict(df)


def test_round_trip_keeps_the_mexican_hat_data_box():
    data = np.random.default_rng(5).uniform(-1.0, 1.0, size=(300, 2))
    som = SOM((4, 4), neighborhood="mexican_hat", random_state=0).fit(data, epochs=2)
    d = som.to_dict()
    np.testing.assert_array_equal(d["data_bounds"], [data.min(axis=0), data.max(axis=0)])
    far = np.array([40.0, -40.0])
    for clone in (SOM.from_dict(d), pickle.loads(pickle.dumps(som))):
        step = clone.online_step(far, radius=1.0, learning_rate=1.0)
        assert np.all(step.codebook_after <= data.max(axis=0) + 1e-12)
        assert np.all(step.codebook_after >= data.min(axis=0) - 1e-12)
        assert clone.to_dict()["data_bounds"] == d["data_bounds"]


def test_unfitted_som_round_trips_its_parameters(tmp_path):
    som = SOM((3, 4), lattice="rect", normalization="minmax", random_state=5, inhibition=0.3)
    d = som.to_dict()
    assert "codebook" not in d and json.loads(json.dumps(d)) == d
    for clone in (SOM.from_dict(d), pickle.loads(pickle.dumps(som))):
        assert clone.get_params() == som.get_params()
        with pytest.raises(NotFittedError):
            clone.predict(POSITIVE)
        np.testing.assert_array_equal(clone.fit(POSITIVE, epochs=2).codebook_,
                                      SOM(**som.get_params()).fit(POSITIVE, epochs=2).codebook_)
    som.save(tmp_path / "unfitted.json")
    assert SOM.load(tmp_path / "unfitted.json").get_params() == som.get_params()


def test_initialized_but_untrained_som_round_trips():
    som = SOM((3, 3), initialization="random", random_state=1).initialize(POSITIVE)
    clone = SOM.from_dict(som.to_dict())
    _same_model(som, clone)
    assert clone.n_epochs_trained_ == 0 and clone.history_["epoch"] == []


def test_a_generator_random_state_is_saved_as_none_and_pickled_as_is():
    som = SOM((3, 3), random_state=np.random.default_rng(9)).fit(POSITIVE, epochs=1)
    assert som.to_dict()["params"]["random_state"] is None
    assert isinstance(pickle.loads(pickle.dumps(som)).random_state, np.random.Generator)


def test_a_structural_change_after_fitting_survives_pickling():
    som = SOM((3, 3), random_state=0).fit(POSITIVE, epochs=1).set_params(mapsize=(4, 4))
    clone = pickle.loads(pickle.dumps(som))
    clone.fit(POSITIVE, epochs=1)  # starts afresh on the new size, as the original would
    assert clone.mapsize_ == (4, 4) and clone.n_epochs_trained_ == 1


def test_to_dict_is_the_file_content(trained, tmp_path):
    trained.save(tmp_path / "m.json")
    saved = json.loads((tmp_path / "m.json").read_text())
    assert saved.pop("checksum") == content_checksum(trained.to_dict())  # the file adds its checksum
    assert saved == trained.to_dict()


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (lambda d: d.pop("codebook"), "the field 'codebook' is missing"),
        (lambda d: d.update(n_features="3"), "'n_features' has the wrong type"),
        (lambda d: d["params"].update(sigma=1.0), r"unknown parameters \['sigma'\]"),
        (lambda d: d["params"].update(lattice="honeycomb"), "invalid parameters: lattice must be"),
        (lambda d: d.update(feature_names=["u", "v"]), "feature_names must be 3 strings"),
        (lambda d: d["normalizer"].update(n_features=2), "invalid normalizer|normalizer has 2"),
        (lambda d: d.update(mapsize=[5, 6]), r"mapsize \[5, 6\] does not match the lattice 6x5"),
        (lambda d: d["history"].update(radius=[1.0]), "history lists have different lengths"),
        (lambda d: d.update(last_radius=-1.0), "invalid last_radius"),
        (lambda d: d.update(format="other"), "not a somwidget model"),
    ],
)
def test_from_dict_refuses_an_inconsistent_document(trained, change, match):
    d = trained.to_dict()
    change(d)
    with pytest.raises(ModelFormatError, match=match):
        SOM.from_dict(d)


def test_load_names_the_file_in_errors(trained, tmp_path):
    path = tmp_path / "broken.json"
    d = trained.to_dict()
    d["codebook"] = d["codebook"][:-1]
    path.write_text(json.dumps(d))
    with pytest.raises(ModelFormatError, match=r"broken\.json is not a readable somwidget model"):
        SOM.load(path)


@pytest.mark.parametrize("name", ["model.json", "model.pkl"])
def test_saving_into_a_missing_folder_names_the_folder(tmp_path, name):
    som = SOM((3, 3), random_state=0).fit(np.random.default_rng(0).normal(size=(20, 2)), epochs=1)
    target = tmp_path / "no" / "such" / name
    with pytest.raises(FileNotFoundError, match=r"the folder .*such' does not exist"):
        som.save(target)
    (tmp_path / "file").write_text("x")
    with pytest.raises(FileNotFoundError, match=r"is not a folder"):
        som.save(tmp_path / "file" / name)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]  # no temporary file left
