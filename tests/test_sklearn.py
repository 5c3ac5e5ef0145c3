"""SOM as a scikit-learn citizen: estimator checks, Pipeline, GridSearchCV, the training
parameters in the constructor, fit_predict / fit_transform / score."""

from __future__ import annotations

import pickle
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from scipy import sparse
from scipy.spatial.distance import cdist

pytest.importorskip("sklearn")

from sklearn.base import clone  # noqa: E402
from sklearn.datasets import load_breast_cancer, load_digits  # noqa: E402
from sklearn.exceptions import NotFittedError as SklearnNotFittedError  # noqa: E402
from sklearn.model_selection import GridSearchCV, train_test_split  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils.estimator_checks import check_estimator, parametrize_with_checks  # noqa: E402

from somwidget import SOM, SOMClassifier, SOMRegressor  # noqa: E402
from somwidget.schedules import decay_schedule  # noqa: E402
from somwidget.validation import NotFittedError  # noqa: E402

RNG = np.random.default_rng(5)
X = np.vstack([RNG.normal(c, 0.5, size=(40, 3)) for c in ([0, 0, 0], [4, 1, 0], [1, 4, 2])])

# ---------------------------------------------------------------------------- estimator checks
#: Why a SOM that continues training (warm_start=True, the default) fails the checks that fit
#: one object twice and compare: the second fit starts from the first one's codebook. With the
#: Gaussian and no subsampling the batch map comes back to the same fixed point, so SOM() passes
#: them; check_fit_idempotent sets warm_start=False itself.
CONTINUES = ("warm_start=True: the check fits the same object twice, and a second fit continues "
             "from the codebook of the first (documented multi-phase training); clone() or "
             "warm_start=False fit afresh")
#: Why SOM fails scikit-learn's weights-equal-repeated-rows check: the batch update with
#: sample_weight does equal repeated rows from the same initial map (tests/test_sample_weight.py),
#: but the automatic map size, the initialisation, the normaliser and subsampling use the rows
#: unweighted, so a first fit on repeated rows may start from another map.
WEIGHTS = ("the batch update with sample_weight equals repeated rows from the same initial map "
           "(tests/test_sample_weight.py); the automatic map size, the initialisation, the "
           "normaliser and subsampling use the rows unweighted")
W = {"check_sample_weight_equivalence_on_dense_data": WEIGHTS}
#: Checks scikit-learn itself skips here, with the reason.
SKIPPED = {
    "check_array_api_input": (
        "scikit-learn runs it only with SCIPY_ARRAY_API=1; somwidget computes with numpy only"
    ),
}

MEXICAN = {"lattice": "rect", "neighborhood": "mexican_hat", "normalization": "standard",
           "subsample_ratio": 0.5}
#: (estimator, the checks it fails on purpose -> reason)
CASES = [
    (SOM(), {**W}),
    (SOM(warm_start=False), {**W}),
    # where a second fit that continues does differ: the Mexican hat, subsampling, a normaliser
    (SOM(**MEXICAN), {**{name: CONTINUES for name in (
        "check_pipeline_consistency", "check_transformer_general",
        "check_transformer_data_not_an_array")}, **W}),
    (SOM(**MEXICAN, warm_start=False), {**W}),
    (SOMClassifier(), {}),
    (SOMClassifier(mode="supervised"), {}),
    (SOMRegressor(), {}),
    (SOMRegressor(mode="supervised"), {}),
]
ESTIMATORS = [estimator for estimator, _ in CASES]


def _expected_failures(estimator: object) -> dict[str, str]:
    return next(expected for e, expected in CASES if e is estimator)


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=_expected_failures)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=repr)
def test_every_check_not_passed_is_listed_with_its_reason(estimator):
    results = check_estimator(estimator, on_fail=None, on_skip=None,
                              expected_failed_checks=_expected_failures(estimator))
    statuses = {r["check_name"]: r["status"] for r in results}
    assert len(statuses) > 40  # the whole suite ran
    not_passed = {name: status for name, status in statuses.items() if status != "passed"}
    expected = {**{k: "xfail" for k in _expected_failures(estimator)},
                **{k: "skipped" for k in SKIPPED}}
    assert not_passed == expected


# ---------------------------------------------------------------------------- the original bug
def test_pipeline_with_a_scaler_fits_and_scores_breast_cancer():
    Xc, _ = load_breast_cancer(return_X_y=True)
    pipe = make_pipeline(StandardScaler(), SOM((6, 5), random_state=0)).fit(Xc)
    som = pipe[-1]
    assert som.n_epochs_trained_ == 10  # the pipeline's y=None did not land in epochs
    Z = StandardScaler().fit_transform(Xc)
    qe = cdist(Z, som.codebook_).min(axis=1).mean()
    assert pipe.score(Xc) == pytest.approx(-qe, rel=1e-10)
    np.testing.assert_array_equal(pipe.predict(Xc), cdist(Z, som.codebook_).argmin(axis=1))


def test_every_training_call_takes_and_ignores_y():
    y = np.arange(len(X)) % 3
    a = SOM((4, 4), random_state=1).fit_auto(X, y)
    b = SOM((4, 4), random_state=1).fit_auto(X)
    np.testing.assert_array_equal(a.codebook_, b.codebook_)
    for method in ("fit", "fit_online"):
        a = getattr(SOM((4, 4), random_state=1), method)(X, y, epochs=2)
        b = getattr(SOM((4, 4), random_state=1), method)(X, epochs=2)
        np.testing.assert_array_equal(a.codebook_, b.codebook_)
    a.reinforce(X, y, reinforcement=1)
    SOM((4, 4), random_state=1).initialize(X, y)


@pytest.mark.parametrize("method, first", [("fit", "epochs"), ("fit_online", "epochs"),
                                           ("reinforce", "reinforcement")])
def test_a_number_as_y_is_the_old_positional_use_and_is_refused(method, first):
    som = SOM((3, 3), random_state=0).fit(X, epochs=1)
    with pytest.raises(TypeError, match=rf"keyword-only.*write {method}\(X, {first}=7\)"):
        getattr(som, method)(X, 7)
    with pytest.raises(TypeError, match="keyword-only"):
        som.fit_auto(X, 3)


def test_fit_predict_fit_transform_and_score_against_cdist():
    som = SOM((4, 3), random_state=2)
    labels = som.fit_predict(X, epochs=3)
    D = cdist(X, som.codebook_)
    np.testing.assert_array_equal(labels, D.argmin(axis=1))
    assert som.score(X) == pytest.approx(-D.min(axis=1).mean(), rel=1e-12)
    assert som.score(X) == -som.quantization_error(X)
    other = SOM((4, 3), random_state=2)
    T = other.fit_transform(X, epochs=3)
    np.testing.assert_allclose(T, cdist(X, other.codebook_), rtol=1e-9, atol=1e-9)
    with pytest.raises(ValueError, match="X is required"):
        som.score(None)


def test_score_is_higher_for_the_better_map():
    rough = SOM((5, 5), random_state=0).fit(X, epochs=1, radius_start=3.0, radius_end=3.0)
    fine = SOM((5, 5), random_state=0).fit(X, epochs=10, radius_end=0.5)
    assert fine.score(X) > rough.score(X)
    assert fine.quantization_error(X) < rough.quantization_error(X)


# ---------------------------------------------------------------------------- GridSearchCV
def test_grid_search_tunes_a_training_parameter_of_the_som():
    Xc, _ = load_breast_cancer(return_X_y=True)
    pipe = make_pipeline(StandardScaler(), SOM((5, 5), random_state=0))
    grid = GridSearchCV(pipe, {"som__radius_end": [2.0, 0.5]}, cv=3).fit(Xc)
    # the held-out quantization error of a map that ends at radius 0.5 is lower than at 2 (score higher)
    assert grid.best_params_ == {"som__radius_end": 0.5}
    scores = grid.cv_results_["mean_test_score"]
    assert scores[1] > scores[0] and (scores < 0).all()
    assert grid.best_estimator_[-1].radius_end == 0.5
    assert grid.best_estimator_[-1].history_ == []  # a fresh clone was refitted


def test_grid_search_tunes_a_classifier_pipeline_on_digits():
    Xd, yd = load_digits(return_X_y=True)
    Xa, Xb, ya, yb = train_test_split(Xd, yd, test_size=0.3, stratify=yd, random_state=0)
    pipe = make_pipeline(StandardScaler(), SOMClassifier(SOM((8, 8), random_state=0)))
    grid = GridSearchCV(pipe, {"somclassifier__som__epochs": [1, 8],
                               "somclassifier__mode": ["unsupervised", "supervised"]}, cv=3)
    grid.fit(Xa, ya)
    assert set(grid.best_params_) == {"somclassifier__som__epochs", "somclassifier__mode"}
    best = grid.best_estimator_[-1]
    assert best.som_.n_epochs_trained_ == grid.best_params_["somclassifier__som__epochs"]
    assert grid.score(Xb, yb) > 0.8  # ten classes: chance is 0.1


# ---------------------------------------------------------------------------- constructor
def test_training_parameters_in_the_constructor_equal_the_fit_keywords():
    kw = {"epochs": 3, "radius_start": 2.0, "radius_end": 0.5, "decay": "exponential",
          "learning_rate": 0.7}
    a = SOM((4, 5), random_state=3, **kw).fit(X, collect_history=True)
    b = SOM((4, 5), random_state=3).fit(X, collect_history=True, **kw)
    np.testing.assert_array_equal(a.codebook_, b.codebook_)
    np.testing.assert_allclose(a.history_["radius"], decay_schedule(2.0, 0.5, 3, "exponential"))
    assert a.history_["learning_rate"] == [0.7] * 3
    kw = {"epochs": 2, "radius_start": 2.0, "radius_end": 0.5, "learning_rate_start": 0.4,
          "learning_rate_end": 0.05, "presentation": "sequential"}
    a = SOM((4, 5), random_state=3, **kw).fit_online(X, collect_history=True)
    b = SOM((4, 5), random_state=3).fit_online(X, collect_history=True, **kw)
    np.testing.assert_array_equal(a.codebook_, b.codebook_)
    assert a.history_[-1].learning_rate == 0.05 and len(a.history_) == 2


def test_fit_keywords_override_the_constructor_for_that_call_only():
    som = SOM((4, 4), random_state=0, epochs=3, radius_start=2.0, radius_end=1.0)
    som.fit(X, epochs=5, radius_end=1.5, collect_history=True)
    assert som.n_epochs_trained_ == 5 and som.epochs == 3 and som.radius_end == 1.0
    assert som.history_["radius"][0] == 2.0 and som.history_["radius"][-1] == 1.5
    som.fit(X, collect_history=True)  # the constructor's again
    assert som.n_epochs_trained_ == 8 and som.history_["radius"][-3:] == [2.0, 1.5, 1.0]
    # the old spellings still override too
    som.fit(X, epochs=2, radiusin=1.2, radiusfin=1.1, collect_history=True)
    assert som.history_["radius"][-2:] == [1.2, 1.1]


def test_subsample_ratio_in_the_constructor():
    a = SOM((4, 4), random_state=0, subsample_ratio=0.5).fit(X, epochs=2)
    b = SOM((4, 4), random_state=0).fit(X, epochs=2, subsample_ratio=0.5)
    c = SOM((4, 4), random_state=0).fit(X, epochs=2)
    np.testing.assert_array_equal(a.codebook_, b.codebook_)
    assert not np.array_equal(a.codebook_, c.codebook_)


@pytest.mark.parametrize("name, value, message", [
    ("epochs", 0, "epochs must be at least 1; got 0"),
    ("epochs", 2.5, "epochs must be an integer; got 2.5"),
    ("radius_start", -1.0, r"radius_start must be a number in \(0, inf\); got -1.0"),
    ("radius_end", "big", "radius_end must be"),
    ("learning_rate", 1.5, r"learning_rate must be a number in \(0, 1\]; got 1.5"),
    ("learning_rate_start", 0.0, "learning_rate_start must be"),
    ("decay", "cubic", "decay must be one of 'linear', 'exponential', 'inverse'"),
    ("subsample_ratio", 0, "subsample_ratio must be"),
    ("presentation", "shuffled", "presentation must be one of 'random', 'sequential'"),
])
def test_a_bad_training_parameter_is_refused_naming_it(name, value, message):
    som = SOM((3, 3), **{name: value})
    assert getattr(som, name) == value  # stored unmodified
    with pytest.raises(ValueError, match=message):
        som.fit(X)


def test_a_radius_end_above_radius_start_in_the_constructor_is_refused():
    with pytest.raises(ValueError, match="radius_end must be <= radius_start"):
        SOM((3, 3), radius_start=1.0, radius_end=2.0).fit(X)


def test_training_parameters_round_trip_clone_dict_file_and_pickle(tmp_path):
    params = {"epochs": 4, "radius_start": 2.5, "radius_end": 0.75, "learning_rate": 0.9,
              "learning_rate_start": 0.3, "learning_rate_end": 0.02, "decay": "inverse",
              "subsample_ratio": 0.8, "presentation": "sequential", "warm_start": False}
    som = SOM((3, 4), random_state=1, **params)
    assert {k: som.get_params()[k] for k in params} == params
    assert clone(som).get_params() == som.get_params()
    som.fit(X)
    assert SOM.from_dict(som.to_dict()).get_params() == som.get_params()
    som.save(tmp_path / "m.json")
    assert SOM.load(tmp_path / "m.json").get_params() == som.get_params()
    assert pickle.loads(pickle.dumps(som)).get_params() == som.get_params()
    assert "epochs=4" in repr(som) and "presentation='sequential'" in repr(som)
    assert list(SOM._parameter_constraints) == list(SOM().get_params())


def test_set_params_of_a_training_parameter_continues_the_map():
    som = SOM((4, 4), random_state=0).fit(X, epochs=2)
    before = som.codebook_.copy()
    som.set_params(epochs=1, radius_start=1.0)  # not structural: training continues
    som.fit(X)
    assert som.n_epochs_trained_ == 3
    assert not np.array_equal(before, som.codebook_)


# ---------------------------------------------------------------------------- warm start
def test_warm_start_false_fits_afresh_every_time():
    som = SOM((4, 4), random_state=0, warm_start=False, neighborhood="mexican_hat")
    first = som.fit(X, epochs=3, collect_history=True).codebook_.copy()
    som.fit(X, epochs=3, collect_history=True)
    np.testing.assert_array_equal(som.codebook_, first)
    assert som.n_epochs_trained_ == 3 and len(som.history_) == 3
    online = SOM((4, 4), random_state=0, neighborhood="mexican_hat").fit_online(X, epochs=1).codebook_
    som.fit_online(X, epochs=1)  # afresh too, not on top of the batch map
    np.testing.assert_array_equal(som.codebook_, online)
    before = som.codebook_.copy()
    som.reinforce(X, reinforcement=1)  # reinforce always continues
    assert som.n_epochs_trained_ == 2 and not np.array_equal(som.codebook_, before)
    # the default continues: a second fit differs from the first
    warm = SOM((4, 4), random_state=0, neighborhood="mexican_hat").fit(X, epochs=3)
    np.testing.assert_array_equal(warm.codebook_, first)
    warm.fit(X, epochs=3)
    assert warm.n_epochs_trained_ == 6 and not np.array_equal(warm.codebook_, first)


def test_a_pipeline_refitted_after_set_params_with_warm_start_false():
    pipe = make_pipeline(StandardScaler(), SOM((4, 4), random_state=0, warm_start=False))
    pipe.set_params(som__epochs=2).fit(X)
    pipe.set_params(som__epochs=5).fit(X)
    fresh = make_pipeline(StandardScaler(), SOM((4, 4), random_state=0, epochs=5)).fit(X)
    np.testing.assert_array_equal(pipe[-1].codebook_, fresh[-1].codebook_)


def test_the_trainer_continues_a_map_with_warm_start_false():
    from somwidget.trainer import Trainer

    maps = []
    for warm in (True, False):
        trainer = Trainer(SOM((4, 4), random_state=0, warm_start=warm), X, epochs=4,
                          radius_start=2.0, radius_end=1.0)
        trainer.play()
        assert trainer.join(60)
        assert trainer.status == "finished" and trainer.som.n_epochs_trained_ == 4
        maps.append(trainer.som.codebook_.copy())
        trainer.close()
    np.testing.assert_array_equal(maps[0], maps[1])
    with pytest.raises(ValueError, match="warm_start must be True or False; got 'yes'"):
        SOM(warm_start="yes").fit(X)


# ---------------------------------------------------------------------------- interop details
def test_not_fitted_error_is_also_sklearns_once_sklearn_is_imported():
    with pytest.raises(SklearnNotFittedError, match="not initialised"):
        SOM().predict(X)
    with pytest.raises(NotFittedError):
        SOM().predict(X)
    err = NotFittedError("x")
    assert all(isinstance(err, t) for t in (ValueError, AttributeError, SklearnNotFittedError))
    again = pickle.loads(pickle.dumps(err))  # e.g. sent back from a joblib worker
    assert isinstance(again, SklearnNotFittedError) and isinstance(again, NotFittedError)
    assert again.args == ("x",)


def test_sparse_input_is_refused_naming_the_fix():
    with pytest.raises(TypeError, match=r"sparse input is not supported.*X.toarray\(\)"):
        SOM((3, 3)).fit(sparse.csr_matrix(X))


def test_numbers_held_as_objects_are_accepted():
    a = SOM((3, 3), random_state=0).fit(X.astype(object), epochs=2)
    b = SOM((3, 3), random_state=0).fit(X, epochs=2)
    np.testing.assert_array_equal(a.codebook_, b.codebook_)
    bad = X.astype(object)
    bad[0, 0] = {"a": 1}
    with pytest.raises(TypeError, match="X must be numeric"):
        SOM((3, 3)).fit(bad)
    bad[0, 0] = "text"
    with pytest.raises(ValueError, match="X must be numeric"):
        SOM((3, 3)).fit(bad)


def test_import_somwidget_does_not_import_sklearn():
    code = ("import sys, somwidget; assert 'sklearn' not in sys.modules, 'sklearn imported'; "
            "somwidget.SOMClassifier; assert 'sklearn' in sys.modules; print('ok')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def test_set_output_and_feature_names_follow_scikit_learns_checks():
    from sklearn.utils import estimator_checks as ec

    som = SOM((2, 3), random_state=0, warm_start=False)
    for check in ("check_set_output_transform", "check_set_output_transform_pandas",
                  "check_global_output_transform_pandas",
                  "check_transformer_get_feature_names_out",
                  "check_transformer_get_feature_names_out_pandas",
                  "check_get_feature_names_out_error"):
        getattr(ec, check)("SOM", som)


def test_a_pipeline_set_to_pandas_gets_the_maps_distances_as_a_frame():
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(60, 3)), columns=["a", "b", "c"], index=range(100, 160))
    pipe = make_pipeline(StandardScaler(), SOM((2, 3), random_state=0)).set_output(
        transform="pandas")
    out = pipe.fit_transform(X)
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == [f"som{i}" for i in range(6)]
    assert list(out.index) == list(X.index)
    som = pipe[-1]
    Xs = StandardScaler().fit_transform(X)
    np.testing.assert_allclose(out.to_numpy(), cdist(som.normalizer_.transform(Xs),
                                                      som.codebook_), rtol=1e-10)
    import pickle

    again = pickle.loads(pickle.dumps(pipe))  # a pickled pipeline keeps its container
    pd.testing.assert_frame_equal(again.transform(X), out)
    assert isinstance(som.set_output(transform="default").transform(Xs), np.ndarray)
    with pytest.raises(ValueError, match="transform must be one of"):
        som.set_output(transform="arrow")
    with pytest.raises(ValueError, match="input_features"):
        som.get_feature_names_out(["x", "y"])
