"""Hostile model files and pickles: every one is refused with ModelFormatError, or loads as the
model that was saved (issue 11)."""

from __future__ import annotations

import copy
import json
import os
import pickle
import random
import threading
import time
import tracemalloc
import warnings

import numpy as np
import pytest

from somwidget import SOM, persistence
from somwidget.persistence import ModelFormatError

X = np.random.default_rng(0).normal(size=(80, 3)) * [1.0, 5.0, 0.1] + [10.0, -3.0, 100.0]


@pytest.fixture(scope="module")
def trained() -> SOM:
    return SOM((4, 3), normalization="standard", random_state=0).fit(X, epochs=3, collect_history=True)


def _same_model(a: SOM, b: SOM) -> bool:
    return (
        json.dumps(a.to_dict(), sort_keys=True) == json.dumps(b.to_dict(), sort_keys=True)
        and np.array_equal(a.codebook_, b.codebook_)
        and np.array_equal(a.predict(X), b.predict(X))
    )


def _saved(trained: SOM, tmp_path) -> tuple[dict, str]:
    path = tmp_path / "m.json"
    trained.save(path)
    return json.loads(path.read_text()), path.read_text()


# ------------------------------------------------------------------ size before allocation
def test_a_huge_declared_map_is_refused_before_anything_is_allocated(trained, tmp_path):
    d, _ = _saved(trained, tmp_path)
    d["mapsize"] = [100000, 100000]
    d["params"]["mapsize"] = [100000, 100000]
    d["lattice"].update(rows=100000, cols=100000)
    path = tmp_path / "huge.json"
    path.write_text(json.dumps(d))
    assert path.stat().st_size < 4000  # a small file claiming 10^10 neurons
    tracemalloc.start()
    try:
        with pytest.raises(ModelFormatError, match="more than max_neurons"):
            SOM.load(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 20e6  # not the 74.5 GiB the lattice would take


def test_max_neurons_is_a_cap_the_user_can_raise(trained, tmp_path, monkeypatch):
    path = tmp_path / "m.json"
    trained.save(path)  # 12 neurons
    with pytest.raises(ModelFormatError, match=r"4x3 = 12 neurons, more than max_neurons=11"):
        SOM.load(path, max_neurons=11)
    assert SOM.load(path, max_neurons=12).n_neurons_ == 12
    monkeypatch.setattr(persistence, "MAX_NEURONS", 10)
    with pytest.raises(ModelFormatError, match="max_neurons=10"):
        SOM.load(path)
    with pytest.raises(ValueError, match="max_neurons must be a positive integer"):
        SOM.load(path, max_neurons=0)


def test_a_codebook_shorter_than_the_lattice_is_refused_before_the_lattice_is_built(trained):
    d = trained.to_dict()
    d["codebook"] = d["codebook"][:2]
    with pytest.raises(ModelFormatError, match=r"codebook has shape \(2, 3\), expected \(12, 3\)"):
        SOM.from_dict(d)


def test_deeply_nested_json_is_a_model_format_error_not_a_recursion_error(tmp_path):
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(ModelFormatError, match="nested 100000 levels deep"):
        SOM.load(path)
    inside = tmp_path / "deep_field.json"
    inside.write_text('{"format": "somwidget.som", "version": 1, "params": {"x": '
                      + "[" * 5000 + "]" * 5000 + "}}")
    with pytest.raises(ModelFormatError, match="nested"):
        SOM.load(inside)
    # brackets inside strings are not nesting
    ok = tmp_path / "names.json"
    d = SOM((2, 2), random_state=0).fit(X, epochs=1).to_dict()
    d["feature_names"] = ["[" * 50, "{" * 50, "]"]
    persistence.write_model(d, ok)
    assert SOM.load(ok).feature_names_in_ == ["[" * 50, "{" * 50, "]"]


def test_an_integer_with_too_many_digits_is_a_model_format_error(tmp_path):
    path = tmp_path / "digits.json"
    path.write_text('{"format": "somwidget.som", "version": 1, "params": {"chunk_size": '
                    + "9" * 10_000 + "}}")
    with pytest.raises(ModelFormatError):
        SOM.load(path)


# ------------------------------------------------------------------ every field validated
def test_a_normaliser_narrower_than_the_codebook_is_refused(trained):
    d = trained.to_dict()
    d["normalizer"] = {"name": "standard", "n_features": 1, "params": {"mean": [0.0], "scale": [1.0]}}
    with pytest.raises(ModelFormatError, match="normalizer has 1 features, expected 3"):
        SOM.from_dict(d)


def test_a_degenerate_normaliser_scale_is_refused(trained):
    d = trained.to_dict()
    d["normalizer"]["params"]["scale"] = [1e-300] * 3
    with pytest.raises(ModelFormatError, match="normalizer does not match the codebook"):
        SOM.from_dict(d)
    d = trained.to_dict()
    d["normalizer"]["params"]["scale"] = [1.0, 1e-300, 1.0]  # one feature degenerate
    with pytest.raises(ModelFormatError, match=r"features \[1\]"):
        SOM.from_dict(d)


@pytest.mark.parametrize("value", ["1.5", True, False, None, [1.0], {"a": 1}])
def test_codebook_entries_must_be_numbers(trained, value):
    d = trained.to_dict()
    d["codebook"][3][1] = value
    with pytest.raises(ModelFormatError, match="codebook"):
        SOM.from_dict(d)


def test_a_codebook_number_beyond_float_range_is_refused(trained):
    d = trained.to_dict()
    d["codebook"][0][0] = 10**400
    with pytest.raises(ModelFormatError, match="codebook"):
        SOM.from_dict(d)


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (lambda d: d.update(n_epochs_trained=-1), "n_epochs_trained must be an integer >= 0"),
        (lambda d: d.update(n_epochs_trained=True), "'n_epochs_trained' has the wrong type"),
        (lambda d: d["history"].update(epoch=[1, 2, -3]), "history epochs must be integers"),
        (lambda d: d["history"].update(epoch=["a", 2, 3]), "history epochs must be integers"),
        (lambda d: d["history"].update(radius=["x", 1.0, 1.0]), "'radius' must hold numbers"),
        (lambda d: d["history"].update(mode=[1, 2, 3]), "'mode' must hold strings"),
        (lambda d: d.update(last_radius=float("inf")), "invalid last_radius"),
        (lambda d: d.update(mapsize=[4.0, 3]), "mapsize must be"),
        (lambda d: d["lattice"].update(rows=-4), "rows and cols must be positive integers"),
        (lambda d: d.update(n_features=0), "n_features must be a positive integer"),
        (lambda d: d.update(data_bounds=[[0, 0, 0], [1, 1, "x"]]), "data_bounds"),
        (lambda d: d.update(data_bounds=[[1, 1, 1], [0, 0, 0]]), "min <= max"),
        (lambda d: d["normalizer"]["params"].update(scale=[1.0, -1.0, 1.0]), "must be > 0"),
        (lambda d: d["params"].update(chunk_size=[1]), "invalid parameters"),
    ],
)
def test_every_field_is_checked_for_type_range_and_consistency(trained, change, match):
    d = trained.to_dict()
    d["data_bounds"] = [[-2.0] * 3, [2.0] * 3]
    change(d)
    with pytest.raises(ModelFormatError, match=match):
        SOM.from_dict(d)


def test_a_loaded_model_predicts_exactly_as_the_saved_one(trained, tmp_path):
    path = tmp_path / "m.json"
    trained.save(path)
    assert _same_model(SOM.load(path), trained)


# ------------------------------------------------------------------ checksum
def test_a_changed_value_that_still_parses_fails_the_checksum(trained, tmp_path):
    d, text = _saved(trained, tmp_path)
    assert d["checksum"].startswith("sha256:")
    d["codebook"][5][2] += 0.25  # a valid, different model
    path = tmp_path / "edited.json"
    path.write_text(json.dumps(d))
    with pytest.raises(ModelFormatError, match="checksum does not match"):
        SOM.load(path)
    d["checksum"] = "md5:abc"
    path.write_text(json.dumps(d))
    with pytest.raises(ModelFormatError, match="not 'sha256:'"):
        SOM.load(path)


def test_a_deeply_nested_dict_with_a_checksum_is_a_model_format_error(trained):
    d = trained.to_dict()
    d["checksum"] = persistence.content_checksum(d)
    deep: list = []
    for _ in range(100_000):
        deep = [deep]
    d["extra"] = deep
    with pytest.raises(ModelFormatError, match="cannot be checksummed"):
        SOM.from_dict(d)


def test_files_without_a_checksum_still_load(trained, tmp_path):
    d, _ = _saved(trained, tmp_path)
    del d["checksum"]  # as written by somwidget 0.1.0
    path = tmp_path / "old.json"
    path.write_text(json.dumps(d))
    assert _same_model(SOM.load(path), trained)
    data = os.path.join(os.path.dirname(__file__), "data", "model_v1.json")
    assert "checksum" not in json.loads(open(data).read())
    assert SOM.load(data).n_neurons_ == 20


def test_file_fuzzer_truncations_bit_flips_and_crafted_dicts(trained, tmp_path):
    """Every variant either loads the saved model exactly or raises ModelFormatError."""
    rnd = random.Random(11)
    path = tmp_path / "m.json"
    trained.save(path)
    raw = path.read_bytes()
    doc = json.loads(raw)
    target = tmp_path / "fuzz.json"
    outcomes = {"loaded": 0, "refused": 0}
    t0 = time.perf_counter()

    def check(load) -> None:
        try:
            model = load()
        except ModelFormatError:
            outcomes["refused"] += 1
            return
        assert _same_model(model, trained)
        outcomes["loaded"] += 1

    for _ in range(150):  # truncations
        target.write_bytes(raw[: rnd.randrange(len(raw))])
        check(lambda: SOM.load(target))
    for _ in range(700):  # single bit flips
        b = bytearray(raw)
        i = rnd.randrange(len(b))
        b[i] ^= 1 << rnd.randrange(8)
        target.write_bytes(bytes(b))
        check(lambda: SOM.load(target))
    pool = [None, True, False, 0, -1, 1, 2**70, 10**400, 1e308, -1e-300, float("nan"),
            float("inf"), "", "x", "hexa", [], [[]], [1.0], [[1.0, 2.0]], {}, {"a": 1}]

    def paths(node, prefix=()):
        yield prefix
        if isinstance(node, dict):
            for k, v in node.items():
                yield from paths(v, (*prefix, k))
        elif isinstance(node, list):
            for i in range(min(len(node), 3)):
                yield from paths(node[i], (*prefix, i))

    every = [p for p in paths(doc) if p]
    for _ in range(600):  # crafted dicts, with and without the checksum
        d = copy.deepcopy(doc)
        where = rnd.choice(every)
        parent = d
        for key in where[:-1]:
            parent = parent[key]
        if isinstance(parent, dict) and rnd.random() < 0.2:
            del parent[where[-1]]
        else:
            parent[where[-1]] = copy.deepcopy(rnd.choice(pool))
        check(lambda d=d: SOM.from_dict(d))
        d.pop("checksum", None)
        try:  # without a checksum a valid change loads: it must be a model that works
            model = SOM.from_dict(d)
        except ModelFormatError:
            continue
        with warnings.catch_warnings():  # a crafted 1e308 overflows the float32 BMU search
            warnings.simplefilter("ignore", RuntimeWarning)
            bmus = model.predict(X)
        assert bmus.min() >= 0 and bmus.max() < model.n_neurons_
        assert np.isfinite(model.codebook_).all()
    assert outcomes["refused"] > 1000 and outcomes["loaded"] > 0
    assert time.perf_counter() - t0 < 60


# ------------------------------------------------------------------ pickles
@pytest.mark.parametrize(
    ("change", "match"),
    [
        (lambda f: f.update(n_epochs_trained=-3), "n_epochs_trained"),
        (lambda f: f.update(codebook=np.full((12, 3), np.nan)), "NaN or infinite"),
        (lambda f: f.update(codebook=np.array([["a"] * 3] * 12)), "real numbers"),
        (lambda f: f.update(codebook=np.zeros((12, 2))), "normalizer has 3 features, expected 2"),
        (lambda f: f.update(codebook=np.zeros((11, 3))), "codebook has shape"),
        (lambda f: f.update(lattice="hexa"), "not a Lattice"),
        (lambda f: f.update(last_radius=-1.0), "last_radius"),
        (lambda f: f["normalizer"].params_.update(scale=np.full(3, 1e-300)), "does not match"),
        (lambda f: f.update(history={"epoch": [1, 2], "radius": [1.0]}), "different lengths"),
    ],
)
def test_unpickled_state_is_validated(trained, change, match):
    state = copy.deepcopy(trained.__getstate__())
    change(state["fitted"])
    clone = SOM.__new__(SOM)
    with pytest.raises(ModelFormatError, match=match):
        clone.__setstate__(state)


def test_a_valid_pickle_round_trips(trained):
    assert _same_model(pickle.loads(pickle.dumps(trained)), trained)


# ------------------------------------------------------------------ consistent snapshots
def test_saving_while_fit_collects_history_in_another_thread(tmp_path):
    som = SOM((6, 6), random_state=0).fit(X, epochs=1)
    errors: list[BaseException] = []

    def train() -> None:
        try:
            som.fit(X, epochs=400, collect_history=True)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    t = threading.Thread(target=train)
    t.start()
    saved = 0
    try:
        while t.is_alive() and saved < 120:
            path = tmp_path / f"m{saved}.json"
            som.save(path)
            clone = SOM.load(path)  # always loadable
            blob = pickle.loads(pickle.dumps(som))
            for model in (clone, blob):
                lengths = {len(v) for v in model.history_.to_dict().values()}
                assert len(lengths) == 1
                assert model.n_epochs_trained_ == 1 + len(model.history_)
            saved += 1
    finally:
        t.join(60)
    assert not errors and saved > 5


# ------------------------------------------------------------------ permissions
@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_saved_files_follow_the_umask(trained, tmp_path, umask, mode):
    old = os.umask(umask)
    try:
        trained.save(tmp_path / "m.json")
    finally:
        os.umask(old)
    assert (tmp_path / "m.json").stat().st_mode & 0o777 == mode


@pytest.mark.parametrize("name", ["m.json", "m.pkl"])
def test_a_read_only_model_is_refused_not_replaced(trained, tmp_path, name):
    # the rename replaced it (its permissions too) though open(path, "w") would refuse it
    path = tmp_path / name
    SOM((2, 2), random_state=0).fit(X, epochs=1).save(path)
    before = path.read_bytes()
    os.chmod(path, 0o444)
    try:
        with pytest.raises(PermissionError, match=rf"cannot save '.*{name}': the file exists "
                           r"and is read-only \(mode 0o444\); it is left as it is"):
            trained.save(path)
        assert path.read_bytes() == before
        assert path.stat().st_mode & 0o777 == 0o444
        assert sorted(p.name for p in tmp_path.iterdir()) == [name]  # no temporary file left
    finally:
        os.chmod(path, 0o644)


def test_a_replaced_model_keeps_its_permissions(trained, tmp_path):
    path = tmp_path / "m.json"
    SOM((2, 2), random_state=0).fit(X, epochs=1).save(path)
    os.chmod(path, 0o600)  # private: replacing it must not make it world-readable
    old = os.umask(0o022)
    try:
        trained.save(path)
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o600
    assert _same_model(SOM.load(path), trained)


def test_a_byte_order_mark_is_not_corruption(trained, tmp_path):
    # an editor's BOM made load() call the file "corrupt or truncated"
    path = tmp_path / "m.json"
    trained.save(path)
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert _same_model(SOM.load(path), trained)


@pytest.mark.parametrize("path", [None, 123, b"m.json", ["m.json"]])
def test_a_path_that_is_not_a_file_name_is_named(trained, path):
    # were pathlib's "expected str, bytes or os.PathLike object, not NoneType"
    for call in (lambda: trained.save(path), lambda: SOM.load(path),
                 lambda: SOM.load(path, format="json")):
        with pytest.raises(TypeError, match=r"path must be a file name \(a str or os\.PathLike"):
            call()


def test_a_truncated_empty_or_json_pickle_file_is_a_model_format_error(trained, tmp_path):
    good = tmp_path / "m.pkl"
    trained.save(good)
    data = good.read_bytes()
    cases = {"cut.pkl": data[: len(data) // 2], "empty.pkl": b"",
             "noise.pkl": b"not a pickle at all"}
    for name, content in cases.items():
        path = tmp_path / name
        path.write_bytes(content)
        with pytest.raises(ModelFormatError, match=r"not a complete pickle"):
            SOM.load(path)
    as_json = tmp_path / "json.json"
    trained.save(as_json)
    misnamed = tmp_path / "misnamed.pkl"
    misnamed.write_bytes(as_json.read_bytes())
    with pytest.raises(ModelFormatError, match="format='json'"):
        SOM.load(misnamed)
    assert _same_model(SOM.load(misnamed, format="json"), trained)
    assert _same_model(SOM.load(good), trained)
