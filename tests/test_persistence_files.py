"""Saving a SOM as a user's files behave: nothing lost, links kept, parameters checked first.

Each test was written against a measured failure (the probe of issue 13's stop 23): a save that
wrote a file load() refused over a good one, a fixed temporary name that deleted a user's file,
a symbolic link replaced by a regular file, a JSON model that trained on differently after
load, a deep copy that forgot its data.
"""

from __future__ import annotations

import copy
import json
import os

import numpy as np
import pytest
from scipy.spatial.distance import cdist

from somwidget import SOM


@pytest.fixture
def X():
    return np.random.default_rng(0).normal(size=(200, 3))


@pytest.fixture
def fitted(X):
    return SOM(mapsize=(4, 5), random_state=0, epochs=2).fit(X)


@pytest.mark.parametrize("name", ["model.json", "model.pkl"])
@pytest.mark.parametrize("bad", [{"n_jobs": 0}, {"epochs": 0}, {"lattice": "weird"}])
def test_a_save_refuses_parameters_load_would_refuse_and_keeps_the_old_file(fitted, tmp_path, name, bad):
    path = tmp_path / name
    fitted.save(path)
    before = path.read_bytes()
    fitted.set_params(**bad)
    with pytest.raises(ValueError, match=next(iter(bad))):
        fitted.save(path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]  # no temporary file left
    SOM.load(path)  # the old model still loads


@pytest.mark.parametrize("name", ["m.json", "m.pkl"])
def test_a_save_never_touches_a_file_named_like_its_temporary_file(fitted, tmp_path, name):
    notes = tmp_path / f".{name}.tmp"
    notes.write_text("my notes")
    fitted.save(tmp_path / name)
    assert notes.read_text() == "my notes"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([name, notes.name])


@pytest.mark.parametrize("name", ["v1.json", "v1.pkl"])
def test_saving_over_a_symbolic_link_writes_through_it(fitted, X, tmp_path, name):
    target = tmp_path / name
    fitted.save(target)
    link = tmp_path / f"latest{target.suffix}"
    os.symlink(target.name, link)
    other = SOM(mapsize=(3, 3), random_state=1, epochs=1).fit(X)
    other.save(link)
    assert link.is_symlink() and os.readlink(link) == target.name
    np.testing.assert_array_equal(SOM.load(target).codebook_, other.codebook_)


@pytest.mark.parametrize("suffix", [".json", ".pkl"])
def test_a_name_at_the_file_name_limit_saves(fitted, X, tmp_path, suffix):
    path = tmp_path / ("a" * (250 - len(suffix)) + suffix)
    fitted.save(path)
    loaded = SOM.load(path)
    np.testing.assert_array_equal(loaded.predict(X), cdist(X, fitted.codebook_).argmin(axis=1))


@pytest.mark.parametrize("name", ["d.json", "d.pkl"])
def test_saving_onto_a_folder_names_the_folder_not_a_temporary_file(fitted, tmp_path, name):
    (tmp_path / name).mkdir()
    with pytest.raises(IsADirectoryError, match=f"'{tmp_path / name}'.*is a folder") as info:
        fitted.save(tmp_path / name)
    assert ".tmp" not in str(info.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]


@pytest.mark.parametrize("name", ["a.json", "a.pkl"])
def test_a_loaded_model_rebuilds_a_changed_structure_as_the_saved_one_would(X, tmp_path, name):
    saved = SOM(mapsize=(4, 5), random_state=0, epochs=2).fit(X)
    saved.set_params(mapsize=(3, 3), lattice="rect")
    saved.save(tmp_path / name)
    loaded = SOM.load(tmp_path / name)
    saved.fit(X, epochs=1)
    loaded.fit(X, epochs=1)
    assert loaded.codebook_.shape == (9, 3) and loaded.lattice_.kind == "rect"
    np.testing.assert_array_equal(loaded.codebook_, saved.codebook_)


def test_an_unchanged_structure_writes_no_init_params(fitted, tmp_path):
    fitted.save(tmp_path / "m.json")
    assert "init_params" not in json.loads((tmp_path / "m.json").read_text())


def test_init_params_in_a_file_are_checked(fitted, tmp_path):
    from somwidget.persistence import ModelFormatError

    d = fitted.to_dict()
    d["init_params"] = {"epochs": 3}
    with pytest.raises(ModelFormatError, match="init_params holds \\['epochs'\\]"):
        SOM.from_dict(d)
    d["init_params"] = {"lattice": "weird"}
    with pytest.raises(ModelFormatError, match="invalid init_params.*lattice"):
        SOM.from_dict(d)


def test_the_set_output_container_survives_json(X, tmp_path):
    som = SOM(mapsize=(3, 3), random_state=0, epochs=1).set_output(transform="pandas").fit(X)
    som.save(tmp_path / "o.json")
    out = SOM.load(tmp_path / "o.json").transform(X)
    assert type(out).__name__ == "DataFrame"
    np.testing.assert_allclose(out.to_numpy(), cdist(X, som.codebook_))


def test_a_bad_output_setting_in_a_file_is_refused(fitted):
    from somwidget.persistence import ModelFormatError

    d = fitted.to_dict()
    d["output"] = {"transform": "excel"}
    with pytest.raises(ModelFormatError, match="output setting"):
        SOM.from_dict(d)


def test_a_deep_copy_keeps_the_training_data_and_is_independent(fitted, X):
    twin = copy.deepcopy(fitted)
    d = cdist(X, fitted.codebook_)
    expected = d[np.arange(len(X)), d.argmin(axis=1)].mean()
    assert twin.quantization_error() == pytest.approx(expected)
    assert twin.codebook_ is not fitted.codebook_
    twin.fit(X, epochs=1)
    np.testing.assert_array_equal(fitted.predict(X), d.argmin(axis=1))  # the original unchanged


def test_loading_a_pickle_of_another_class_names_both_classes(fitted, tmp_path):
    from somwidget.compat.somnium import SOM as SomniumSOM

    fitted.save(tmp_path / "core.pkl")
    with pytest.raises(TypeError, match="holds a somwidget.som.SOM, not a somwidget.compat"):
        SomniumSOM.load(tmp_path / "core.pkl")


def test_a_deep_copy_of_a_model_trained_on_dask_keeps_its_training_data(X):
    da = pytest.importorskip("dask.array")
    som = SOM(mapsize=(4, 4), random_state=0).fit(da.from_array(X, chunks=100), epochs=2)
    d = cdist(X, som.codebook_)
    assert copy.deepcopy(som).quantization_error() == pytest.approx(d.min(axis=1).mean())
