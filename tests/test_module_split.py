"""trainer.py, lattice.py and analysis.py were split into modules of one concept each: every
name they exported is still importable from them, the pickled classes keep their module path,
and each new module says its concept."""

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
}
# imported from these modules by other code, though not in their __all__ before
ALSO_IMPORTED = {
    "somwidget.trainer": ["DEFAULT_LEARNING_RATES"],  # widgets/studio.py
    "somwidget.lattice": ["LATTICE_ALIASES", "RECT_ADJACENCIES"],  # som.py, initialization.py
}
NEW_MODULES = [
    "somwidget._trainer_events", "somwidget._trainer_units", "somwidget._trainer_worker",
    "somwidget._lattice_distances", "somwidget._lattice_adjacency", "somwidget.umatrices",
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
