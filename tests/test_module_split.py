"""trainer.py, lattice.py and analysis.py, then validation.py, training.py, _som_state.py and
bmu.py and supervised.py, then som.py were split into modules of one concept each: every name they exported is still
importable from them, the pickled classes keep their module path, setting a module attribute
still reaches the code that reads it, and each new module says its concept."""

from __future__ import annotations

import importlib
import pickle

import numpy as np
import pytest

# each module's __all__ before the split, written out (not read from the code under test)
BEFORE = {
    "somwidget.trainer": [
        "MODES", "STATUSES", "EpochRecord", "StepRecord", "Trainer", "TrainerEvent",
        "TrainerParams",
    ],
    "somwidget.lattice": [
        "FLOAT32_MIN_NEURONS", "HEX_CELL_RADIUS", "HEX_OFFSET", "HEX_ROW_SPACING", "LATTICES",
        "Lattice", "plane_coordinates",
    ],
    "somwidget.analysis": [
        "classification_table", "code_counts", "distortion", "encode_labels", "epoch_metrics",
        "hit_counts", "label_counts", "label_proportions", "majority_labels",
        "mean_absolute_quantization_error", "quality_map", "quantization_error",
        "topographic_error", "topographic_error_map", "umatrix", "umatrix_interstitial",
        "umatrix_interstitial_coordinates", "vacancy_rate",
    ],
    "somwidget.validation": [
        "Constraint", "GridShape", "InstanceOf", "Integer", "Interval", "InvalidParameterError",
        "NAN_HINT", "NotFittedError", "Options", "all_nan_columns", "check_array", "check_bmus",
        "check_choice", "check_distances", "check_fraction", "check_int", "check_missing_rows",
        "check_n_neurons", "check_param", "check_positive", "check_sample_weight",
        "default_feature_names", "n_samples_of", "validate_params",
    ],
    "somwidget.training": [
        "GaussianFactors", "KernelOperator", "LatticeRows", "OnlineContext", "batch_epoch",
        "batch_update", "block_sums", "column_stats", "gaussian_factors", "kernel_row",
        "limit_inhibition", "online_run", "schedule_slice", "smooth", "unit_sums",
    ],
    "somwidget.bmu": [
        "METRICS", "METRIC_ALIASES", "as_float_array", "check_metric", "check_metric_domain",
        "default_chunk_size", "distance_matrix", "MASKED_METRICS", "check_masked_metric",
        "distance_matrix_masked", "find_bmus", "find_bmus_masked", "has_missing", "masked_argmin",
        "nearest_units", "metric_cdist", "prepare_queries",
    ],
    "somwidget.supervised": ["MODES", "TRAININGS", "SOMClassifier", "SOMRegressor",
                             "fill_empty_neurons"],
}
# imported from these modules by other code, though not in their __all__ before
ALSO_IMPORTED = {
    "somwidget.trainer": ["DEFAULT_LEARNING_RATES"],  # widgets/studio.py
    "somwidget.lattice": ["LATTICE_ALIASES", "RECT_ADJACENCIES"],  # som.py, initialization.py
    # som.py, _som_state.py, tests; the rest were module attributes there before
    "somwidget.validation": [
        "SparseMapWarning", "check_training_range", "warn_sparse_map", "TRAINING_SPACE_LIMIT",
        "NEURONS_PER_SAMPLE_WARNING", "Constraints", "_fmt_allowed", "_sklearn_not_fitted_error",
    ],
    # tests/test_fixed_cost.py, test_training.py; training.py (bmu's private helpers)
    "somwidget.training": [
        "_FACTORS", "_FACTORS_MAX_ENTRIES", "_FACTORS_MAX_BYTES", "_build_gaussian_factors",
        "_as_slice", "_ratio_update", "_inhibited_batch", "_stack", "_row_blocks", "sp",
    ],
    "somwidget.bmu": [
        "cdist", "masked_row_distances", "euclidean_argmin", "_resolve_chunk", "_smallest_k",
        "_BLOCK_BYTES", "_distance", "_augmented_codebook", "_known_mask", "_chunk_sq", "_exact",
        "_chunk_rank", "_prepared",
    ],
    "somwidget._som_state": ["_StateMixin", "_KEEP_BYTES", "_STRUCTURAL", "_LOCK_GUARD"],
    "somwidget.supervised": ["_class_codes", "_class_array", "_regression_targets"],
}
# where each moved name lives now (its old module re-exports the same object)
MOVED = {
    "somwidget._scalar_checks": (
        "somwidget.validation",
        ["check_choice", "check_int", "check_positive", "check_fraction", "check_n_neurons",
         "default_feature_names"],
    ),
    "somwidget._array_checks": (
        "somwidget.validation",
        ["check_array", "check_missing_rows", "n_samples_of", "check_sample_weight",
         "all_nan_columns", "check_training_range", "SparseMapWarning", "warn_sparse_map",
         "check_bmus", "check_distances"],
    ),
    "somwidget._constraints": (
        "somwidget.validation",
        ["InvalidParameterError", "Constraint", "Options", "Integer", "Interval", "InstanceOf",
         "GridShape", "check_param", "validate_params"],
    ),
    "somwidget._online_loop": (
        "somwidget.training", ["schedule_slice", "LatticeRows", "OnlineContext", "online_run"],
    ),
    "somwidget._neighborhood_kernels": (
        "somwidget.training",
        ["GaussianFactors", "kernel_row", "limit_inhibition", "_build_gaussian_factors"],
    ),
    "somwidget._bmu_common": (
        "somwidget.bmu",
        ["check_metric", "check_metric_domain", "metric_cdist", "cdist", "default_chunk_size"],
    ),
    "somwidget._bmu_masked": (
        "somwidget.bmu",
        ["has_missing", "check_masked_metric", "masked_argmin", "find_bmus_masked",
         "distance_matrix_masked"],
    ),
    "somwidget._map_step": ("somwidget.training", ["block_sums", "unit_sums"]),
    "somwidget._data_stats": ("somwidget.training", ["column_stats"]),
    "somwidget._supervised_targets": (
        "somwidget.supervised",
        ["fill_empty_neurons", "_class_codes", "_class_array", "_regression_targets"],
    ),
}
NEW_MODULES = [
    "somwidget._trainer_events", "somwidget._trainer_units", "somwidget._trainer_worker",
    "somwidget._lattice_distances", "somwidget._lattice_adjacency", "somwidget.umatrices",
    "somwidget._scalar_checks", "somwidget._array_checks", "somwidget._constraints",
    "somwidget._online_loop", "somwidget._neighborhood_kernels", "somwidget._som_persistence",
    "somwidget._bmu_common", "somwidget._bmu_masked", "somwidget._supervised_targets",
    "somwidget._som_init", "somwidget._som_phases", "somwidget._som_clusters",
]


@pytest.mark.parametrize("module", sorted(BEFORE))
def test_every_name_stays_importable_from_its_old_module(module):
    mod = importlib.import_module(module)
    for name in BEFORE[module]:
        assert name in mod.__all__, name
        assert getattr(mod, name) is not None, name
    for name in ALSO_IMPORTED.get(module, []):
        assert hasattr(mod, name), name


def test_moved_functions_are_the_same_objects_in_their_new_home():
    from somwidget import analysis, umatrices

    for name in ("umatrix", "umatrix_interstitial", "umatrix_interstitial_coordinates"):
        assert getattr(analysis, name) is getattr(umatrices, name)
        assert getattr(umatrices, name).__module__ == "somwidget.umatrices"


def test_pickled_classes_keep_their_module_path():
    from somwidget.lattice import Lattice
    from somwidget.trainer import Trainer

    assert (Lattice.__module__, Trainer.__module__) == ("somwidget.lattice", "somwidget.trainer")
    lat = Lattice(4, 6, "toroidal_hexa")
    lat.neighbor_pairs()
    lat.grid_distances()
    blob = pickle.dumps(lat)
    assert b"somwidget.lattice" in blob and b"_lattice_" not in blob  # no mixin path stored
    back = pickle.loads(blob)
    assert back == lat
    np.testing.assert_array_equal(back.neighbor_pairs(), lat.neighbor_pairs())
    np.testing.assert_array_equal(back.grid_distances(), lat.grid_distances())


@pytest.mark.parametrize("module", NEW_MODULES)
def test_each_new_module_says_its_concept(module):
    doc = importlib.import_module(module).__doc__
    assert doc and len(doc.strip().splitlines()[0]) > 20


def test_setting_the_float32_threshold_on_the_lattice_module_still_applies(monkeypatch):
    import somwidget.lattice as lattice_module

    monkeypatch.setattr(lattice_module, "FLOAT32_MIN_NEURONS", 2)
    assert lattice_module.Lattice(3, 3, "rect").grid_distances_squared().dtype == np.float32


@pytest.mark.parametrize("home", sorted(MOVED))
def test_names_moved_in_the_second_round_are_the_same_objects(home):
    old_name, names = MOVED[home]
    new, old = importlib.import_module(home), importlib.import_module(old_name)
    for name in names:
        assert getattr(old, name) is getattr(new, name), name
        obj = getattr(new, name)
        if callable(obj):
            assert obj.__module__ == home, name


def test_not_fitted_error_stays_in_validation():
    from somwidget.validation import NotFittedError

    assert NotFittedError.__module__ == "somwidget.validation"
    err = pickle.loads(pickle.dumps(NotFittedError("not yet")))
    assert isinstance(err, NotFittedError) and err.args == ("not yet",)


def test_som_persistence_is_a_base_of_the_state_mixin_and_pickles_keep_the_som_path(tmp_path):
    from somwidget import SOM
    from somwidget._som_persistence import _PersistenceMixin
    from somwidget._som_state import _StateMixin

    assert issubclass(_StateMixin, _PersistenceMixin) and issubclass(SOM, _PersistenceMixin)
    for name in ("to_dict", "from_dict", "save", "load", "__getstate__", "__setstate__"):
        assert getattr(SOM, name).__qualname__.startswith("_PersistenceMixin."), name
    rng = np.random.default_rng(3)
    X = rng.standard_normal((60, 3))
    som = SOM((4, 5), random_state=0).fit(X, epochs=3)
    blob = pickle.dumps(som)
    assert b"somwidget.som" in blob and b"_som_persistence" not in blob
    back = pickle.loads(blob)
    np.testing.assert_array_equal(back.codebook_, som.codebook_)
    som.save(tmp_path / "m.json")
    again = SOM.load(tmp_path / "m.json")
    np.testing.assert_allclose(again.codebook_, som.codebook_, rtol=0, atol=0)
    np.testing.assert_array_equal(again.predict(X), som.predict(X))


def test_setting_training_online_run_still_reaches_the_online_fit(monkeypatch):
    from somwidget import SOM, training

    calls = []
    real = training.online_run

    def counting(ctx, Xc, order, radii, rates):
        calls.append(len(order))
        return real(ctx, Xc, order, radii, rates)

    monkeypatch.setattr(training, "online_run", counting)
    X = np.random.default_rng(4).standard_normal((40, 2))
    SOM((3, 3), random_state=0).fit_online(X, epochs=2)
    assert sum(calls) == 2 * 40


def test_setting_the_factor_cache_limit_on_training_still_applies(monkeypatch):
    from somwidget import training
    from somwidget.lattice import Lattice

    training._FACTORS.clear()
    monkeypatch.setattr(training, "_FACTORS_MAX_BYTES", 0)
    training.gaussian_factors(Lattice(3, 4, "rect"), 1.5)
    assert len(training._FACTORS) == 0  # nothing is small enough to keep
    monkeypatch.setattr(training, "_FACTORS_MAX_BYTES", 16 << 20)
    training.gaussian_factors(Lattice(3, 4, "rect"), 1.5)
    assert len(training._FACTORS) == 1


def test_setting_bmu_find_bmus_still_reaches_the_som(monkeypatch):
    import somwidget.bmu as bmu_module
    from somwidget import SOM

    X = np.random.default_rng(5).standard_normal((30, 2))
    som = SOM((3, 3), random_state=0).fit(X, epochs=2)
    calls = []
    real = bmu_module.find_bmus

    def spy(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(bmu_module, "find_bmus", spy)
    som.quantization_error(X + 1.0)
    assert calls


def test_the_predictors_pickle_under_somwidget_supervised():
    from somwidget import SOM
    from somwidget.supervised import SOMClassifier, SOMRegressor

    assert SOMClassifier.__module__ == SOMRegressor.__module__ == "somwidget.supervised"
    rng = np.random.default_rng(6)
    X = rng.standard_normal((40, 2))
    clf = SOMClassifier(SOM((3, 3), random_state=0)).fit(X, (X[:, 0] > 0).astype(int))
    blob = pickle.dumps(clf)
    assert b"somwidget.supervised" in blob and b"_supervised_targets" not in blob
    np.testing.assert_array_equal(pickle.loads(blob).predict(X), clf.predict(X))


def test_som_py_split_keeps_the_estimators_methods_and_constants():
    # initialize, fit_auto / reinforce and cluster / predict_cluster left som.py for a mixin each;
    # the SOM still has them (same signatures as before, read from the class), and som.py's
    # constants are still there
    import inspect

    from somwidget import som as som_module

    assert som_module.PRESENTATIONS == ("random", "sequential")
    assert som_module.MISSING_POLICIES == ("raise", "ignore")
    homes = {"initialize": "somwidget._som_init", "fit_auto": "somwidget._som_phases",
             "reinforce": "somwidget._som_phases", "cluster": "somwidget._som_clusters",
             "predict_cluster": "somwidget._som_clusters", "fit": "somwidget.som",
             "fit_online": "somwidget.som"}
    for name, home in homes.items():
        method = getattr(som_module.SOM, name)
        assert inspect.unwrap(method).__module__ == home, name
    params = list(inspect.signature(som_module.SOM.reinforce).parameters)
    assert params == ["self", "X", "y", "reinforcement", "extension", "compression",
                      "learning_rate", "presentation", "collect_history", "callbacks",
                      "sample_weight"]
    X = np.random.default_rng(0).normal(size=(80, 3))
    som = som_module.SOM((3, 4), random_state=0)
    assert som.initialize(X) is som and som.fit_auto(X) is som and som.reinforce(X) is som
    ids = som.predict_cluster(X, n_clusters=2)
    np.testing.assert_array_equal(ids, np.asarray(som.cluster(2))[som.predict(X)])
