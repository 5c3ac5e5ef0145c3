"""The constraints table: each kind of constraint, and one check per public call."""

import threading

import numpy as np
import pytest
from scipy.spatial.distance import cdist

import somwidget._som_calls as calls_module
from somwidget import SOM
from somwidget.validation import (
    GridShape,
    InstanceOf,
    Integer,
    Interval,
    InvalidParameterError,
    Options,
    check_param,
    default_feature_names,
    validate_params,
)

X = np.random.default_rng(0).normal(size=(60, 3))


# --------------------------------------------------------------------------- constraint kinds
def test_options_canonical_case_insensitive_and_aliases():
    rule = [Options(("hexa", "rect"), {"hexagonal": "hexa"})]
    assert check_param("lattice", " RECT ", rule) == "rect"
    assert check_param("lattice", "Hexagonal", rule) == "hexa"
    with pytest.raises(InvalidParameterError,
                       match=r"^lattice must be one of 'hexa', 'rect', 'hexagonal'; got 'square'$"):
        check_param("lattice", "square", rule)
    with pytest.raises(InvalidParameterError, match="got 3"):
        check_param("lattice", 3, rule)


def test_options_of_integers_refuse_bools_and_strings():
    rule = [Options((4, 8))]
    assert check_param("rect_adjacency", np.int64(8), rule) == 8
    for bad in (True, "4", 6, 4.5):
        with pytest.raises(InvalidParameterError, match=r"rect_adjacency must be one of 4, 8; got"):
            check_param("rect_adjacency", bad, rule)


def test_invalid_parameter_error_is_both_a_value_and_a_type_error():
    assert issubclass(InvalidParameterError, ValueError)
    assert issubclass(InvalidParameterError, TypeError)


def test_integer_bounds_and_strictness():
    assert check_param("epochs", 3.0, [Integer(1)]) == 3  # lenient: integral floats
    assert type(check_param("epochs", np.int32(3), [Integer(1)])) is int
    with pytest.raises(InvalidParameterError, match="epochs must be at least 1; got 0"):
        check_param("epochs", 0, [Integer(1)])
    with pytest.raises(InvalidParameterError, match="verbose must be at most 2; got 3"):
        check_param("verbose", 3, [Integer(0, 2)])
    with pytest.raises(InvalidParameterError, match="seed must be an integer; got 3.0"):
        check_param("seed", 3.0, [Integer(0, strict=True)])
    with pytest.raises(InvalidParameterError, match="must be an integer; got True"):
        check_param("seed", True, [Integer(0)])


@pytest.mark.parametrize(
    ("closed", "inside", "outside"),
    [("both", [0.0, 1.0], [-0.1, 1.1]), ("left", [0.0, 0.5], [1.0]),
     ("right", [1.0], [0.0]), ("neither", [0.5], [0.0, 1.0])],
)
def test_interval_closedness(closed, inside, outside):
    rule = [Interval(0.0, 1.0, closed=closed)]
    for v in inside:
        assert check_param("r", v, rule) == v
    for v in [*outside, float("nan"), "0.5", True]:
        with pytest.raises(InvalidParameterError, match=r"r must be a number in [\[(]0, 1[\])]"):
            check_param("r", v, rule)


def test_interval_unbounded_side():
    assert check_param("r", 1e9, [Interval(0.0, None, closed="neither")]) == 1e9
    with pytest.raises(InvalidParameterError, match=r"r must be a number in \(0, inf\)"):
        check_param("r", float("inf"), [Interval(0.0, None, closed="neither")])


def test_grid_shape():
    rule = [GridShape(min_cells=2)]
    assert check_param("mapsize", "Auto", rule) == "auto"
    assert check_param("mapsize", 3, rule) == (3, 3)
    assert check_param("mapsize", [np.int64(2), 5], rule) == (2, 5)
    with pytest.raises(InvalidParameterError, match="must give at least 2 neurons"):
        check_param("mapsize", (1, 1), rule)
    with pytest.raises(InvalidParameterError, match="must give at least 2 neurons"):
        check_param("mapsize", (0, 5), rule)
    for bad in ("big", (2.0, 3), (1, 2, 3), True):
        with pytest.raises(InvalidParameterError, match=r"mapsize must be 'auto', an int or"):
            check_param("mapsize", bad, rule)


def test_none_and_several_constraints_give_one_message():
    rules = [None, Integer(0, strict=True), InstanceOf(np.random.Generator, "a Generator")]
    assert check_param("random_state", None, rules) is None
    g = np.random.default_rng(0)
    assert check_param("random_state", g, rules) is g
    with pytest.raises(InvalidParameterError,
                       match=r"^random_state must be None, a non-negative int or a Generator; got -1$"):
        check_param("random_state", -1, rules)
    # a single rule besides None keeps its own, more precise message
    with pytest.raises(InvalidParameterError, match="chunk_size must be at least 1; got 0"):
        check_param("chunk_size", 0, [None, Integer(1)])
    with pytest.raises(InvalidParameterError, match="x must be an integer; got None"):
        check_param("x", None, [Integer(1)])


def test_validate_params_returns_canonical_values_in_table_order():
    table = {"b": [Options(("one", "two"))], "a": [Integer(0)]}
    assert list(validate_params(table, {"a": 2.0, "b": "TWO", "c": object()}).items()) == [
        ("b", "two"), ("a", 2)]


def test_default_feature_names():
    assert default_feature_names(3) == ["x0", "x1", "x2"]
    assert default_feature_names(0) == []


# --------------------------------------------------------------------------- the SOM's table
def test_every_som_parameter_has_constraints():
    assert list(SOM._parameter_constraints) == list(SOM().get_params())
    assert all(SOM._parameter_constraints.values())


def test_som_defaults_are_valid_and_canonicalised():
    p = SOM(lattice="Rect", normalization="fwn", initialization="linear", distance_metric="l1",
            neighborhood="epanechnikov", mapsize=[3, 4], n_jobs=-1)._validated()
    assert (p["lattice"], p["normalization"], p["initialization"], p["distance_metric"],
            p["neighborhood"], p["mapsize"], p["n_jobs"]) == (
        "rect", "standard", "pca", "cityblock", "epanechikov", (3, 4), -1)
    assert SOM()._validated()["mapsize"] == "auto"


@pytest.fixture
def count_checks(monkeypatch):
    calls = []
    real = calls_module.validate_params
    me = threading.get_ident()  # only this test's calls (not a stray thread's)

    def counting(*args, **kwargs):
        if threading.get_ident() == me:
            calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(calls_module, "validate_params", counting)
    return calls


CALLS = {
    "fit": lambda s: s.fit(X, epochs=5),
    "fit+history+callback": lambda s: s.fit(X, epochs=5, collect_history=True,
                                            callbacks=lambda st: st.som.hit_counts()),
    "fit_online": lambda s: s.fit_online(X, epochs=2, collect_history=True),
    "fit_auto": lambda s: s.fit_auto(X),
    "initialize": lambda s: s.initialize(X),
}


@pytest.mark.parametrize("name", list(CALLS))
@pytest.mark.parametrize("fitted", [False, True], ids=["first", "again"])
def test_parameters_are_checked_once_per_public_call(count_checks, name, fitted):
    # before the constraints table, fit checked every parameter 4 times (fit_auto 5 times)
    som = SOM((4, 4), random_state=0)
    if fitted:
        som.fit(X, epochs=1)
        count_checks.clear()
    CALLS[name](som)
    assert len(count_checks) == 1


def test_reinforce_and_online_step_check_once(count_checks):
    som = SOM((4, 4), random_state=0).fit(X, epochs=1)
    count_checks.clear()
    som.reinforce(X, reinforcement=1)
    assert len(count_checks) == 1
    som.online_step(X[0], radius=1.0, learning_rate=0.5)
    assert len(count_checks) == 2


@pytest.mark.parametrize("method", ["predict", "transform", "quantization_error", "umatrix",
                                    "topographic_error", "hit_counts"])
def test_results_check_the_parameters_once(count_checks, method):
    som = SOM((4, 4), random_state=0).fit(X, epochs=1)
    count_checks.clear()
    getattr(som, method)(*(() if method == "umatrix" else (X,)))
    assert len(count_checks) == 1


def test_a_second_fit_checks_again_and_sees_new_parameters():
    som = SOM((3, 3), random_state=0).fit(X, epochs=1)
    som.set_params(chunk_size=0)
    with pytest.raises(ValueError, match="chunk_size must be at least 1"):
        som.fit(X, epochs=1)


def test_set_params_inside_a_call_is_seen_by_what_follows_in_it():
    som = SOM((3, 3), random_state=0)
    seen = []

    def cb(state):
        if state.epoch == 1:
            state.som.set_params(distance_metric="cityblock")
            seen.append(state.som.transform(X[:5]))
            seen.append(cdist(state.som.normalizer_.transform(X[:5]), state.som.codebook_,
                              "cityblock"))

    som.fit(X, epochs=3, callbacks=cb)
    np.testing.assert_allclose(seen[0], seen[1])


def test_the_check_is_per_thread():
    import threading

    som = SOM((3, 3), random_state=0).fit(X, epochs=1)
    errors = []
    gate = threading.Event()

    def cb(state):
        if state.epoch == 1:
            gate.set()
            worker.join()

    def other():
        gate.wait()
        try:
            SOM((3, 3), random_state=0).fit(X, epochs=1)  # another SOM: its own check
            som.set_params(n_jobs=0)
            som.predict(X)  # not inside the fit of this thread: checked now
        except ValueError as exc:
            errors.append(str(exc))
        finally:
            som.set_params(n_jobs=None)

    worker = threading.Thread(target=other)
    worker.start()
    som.fit(X, epochs=2, callbacks=cb)
    assert len(errors) == 1 and errors[0].startswith("n_jobs must be None, -1")
