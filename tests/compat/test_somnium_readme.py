"""somnium's README, run as written with only the import lines changed, on the bundled data.

``data`` is the wine data set and ``new_data`` a held-out part of it; the blocks below are the
README's, call for call.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.distance import cdist

from somwidget.datasets import load_iris, load_wine

WINE, CULTIVAR = load_wine(return_X_y=True)
data = WINE.to_numpy()[::2]
new_data = WINE.to_numpy()[1::2]
labels = CULTIVAR.to_numpy()[::2]


def _mae_of_initial_map(model_class, **params):
    """somnium's QE (per-feature MAE, normalised space) of the map before any training."""
    m = model_class(**params).initialize(data)
    xt = m.normalizer_.transform(data)
    w = m.codebook_
    return float(np.abs(xt - w[cdist(xt, w).argmin(axis=1)]).mean())


def test_quick_start_runs_as_written(capsys):
    # ---- somnium README, "Quick start" (import line changed) ----
    from somwidget.compat.somnium.core import SOM

    model = SOM(
        mapsize="auto",          # or (15, 10); auto estimates from data
        lattice="hexa",          # "hexa", "rect", "toroidal_hexa", "toroidal_rect",
                                 # "cylindrical_hexa", "cylindrical_rect"
        neighborhood="gaussian", # "gaussian", "bubble", "cut_gaussian", "mexican_hat",
                                 # "epanechicov"
        normalization="standard", # "standard", "minmax", "log", "logistic", "boxcox"
        initialization="pca",    # "pca" or "random"
        distance_metric="euclidean", # any scipy distance metric
        n_jobs=1,                # -1 for all cores
    )
    model.fit_auto(data)
    # For more control, use fit() directly with two phases:
    # model.fit(data, epochs=30, radiusin=20, radiusfin=5, decay="linear")
    # model.fit(data, epochs=30, radiusin=5, radiusfin=1, decay="exponential")
    # Metrics (lower is better for all)
    print(f"Quantization error: {model.calculate_quantization_error():.4f}") # per-feature MAE
    print(f"Topographic error: {model.calculate_topographic_error():.4f}") # fraction with non-adjacent BMUs
    print(f"Vacancy rate: {model.calculate_vacancy_rate():.4f}") # fraction of unused neurons
    # Predict BMUs for new data
    bmus = model.predict(new_data)
    # ---- end ----

    out = capsys.readouterr().out
    assert "Quantization error:" in out and "Vacancy rate:" in out
    assert bmus.shape == (len(new_data),) and bmus.max() < model.n_neurons_
    # a sensible map: MAE well below the PCA-initialised map's, topology preserved
    initial = _mae_of_initial_map(SOM, mapsize=model.mapsize_, initialization="pca")
    assert model.calculate_quantization_error() < 0.8 * initial
    assert model.calculate_topographic_error() < 0.15
    # predict agrees with a plain nearest-prototype search in the normalised space
    xt = model.normalizer_.transform(new_data)
    np.testing.assert_array_equal(bmus, cdist(xt, model.codebook_).argmin(axis=1))


def test_two_phase_fit_batch_and_online_blocks_run_as_written():
    from somwidget.compat.somnium.core import SOM

    model = SOM(mapsize=(15, 10), random_state=0)
    before = _mae_of_initial_map(SOM, mapsize=(15, 10), random_state=0)
    model.fit(data, epochs=30, radiusin=20, radiusfin=5, decay="linear")
    model.fit(data, epochs=30, radiusin=5, radiusfin=1, decay="exponential")
    assert model.calculate_quantization_error() < 0.8 * before
    # ---- "Batch training" ----
    model.fit(
        data,
        epochs=30, radiusin=20, radiusfin=5,
        decay="linear",          # "linear" or "exponential"
        learning_rate=1.0,       # <1.0 blends old and new codebook for smoother updates
        subsample_ratio=1.0,     # <1.0 for stochastic subsampling each epoch
        collect_history=True,    # track QE, TE, VR per epoch
    )
    # ---- "Online training" ----
    model.fit_online(
        data,
        epochs=30, radiusin=20, radiusfin=5,
        learning_rate_init=0.1, learning_rate_fin=0.01,
        decay="linear",
        collect_history=True,
    )
    # ---- "Convergence tracking" ----
    qe = model.history_["quantization_error"]  # list of floats
    te = model.history_["topographic_error"]   # list of floats
    vr = model.history_["vacancy_rate"]        # list of floats
    assert len(qe) == len(te) == len(vr) == 60
    assert all(isinstance(v, float) for v in qe + te + vr)
    assert model.history_["mode"] == ["batch"] * 30 + ["online"] * 30


def test_positional_fit_calls_as_somnium_documents_them():
    from somwidget.compat.somnium import SOM

    a = SOM(mapsize=(6, 5), random_state=1).fit(data, 10, 4, 1, "exponential")
    b = SOM(mapsize=(6, 5), random_state=1).fit(data, epochs=10, radiusin=4, radiusfin=1,
                                                decay="exponential")
    np.testing.assert_array_equal(a.codebook_, b.codebook_)
    c = SOM(mapsize=(6, 5), random_state=1).fit_online(data, 2, 3, 1, 0.3, 0.02)
    assert c.history_ == [] and c.n_epochs_trained_ == 2
    with pytest.raises(TypeError, match="both radius_start=3 and radiusin=4"):
        SOM(mapsize=(6, 5)).fit(data, 10, 4, radius_start=3)


@pytest.mark.parametrize("lattice", ["hexa", "rect", "toroidal_hexa", "toroidal_rect",
                                     "cylindrical_hexa", "cylindrical_rect"])
@pytest.mark.parametrize("neighborhood", ["gaussian", "bubble", "cut_gaussian", "mexican_hat",
                                          "epanechicov"])
def test_every_documented_lattice_and_neighborhood_trains(lattice, neighborhood):
    from somwidget.compat.somnium.core import SOM

    params = dict(mapsize=(8, 6), lattice=lattice, neighborhood=neighborhood,
                  initialization="random", random_state=3)
    model = SOM(**params).fit_auto(data, rough_epochs=30, fine_epochs=30)
    assert model.calculate_quantization_error() < 0.8 * _mae_of_initial_map(SOM, **params)


@pytest.mark.parametrize("normalization", ["standard", "minmax", "log", "logistic", "boxcox"])
def test_every_documented_normalization_trains(normalization):
    from somwidget.compat.somnium.core import SOM

    params = dict(mapsize=(8, 6), normalization=normalization, initialization="pca")
    model = SOM(**params).fit_auto(data, rough_epochs=20, fine_epochs=20)
    assert model.calculate_quantization_error() < _mae_of_initial_map(SOM, **params)


def test_fit_auto_is_somniums_two_phase_schedule():
    from somwidget.compat.somnium import SOM

    model = SOM(mapsize=(15, 10), random_state=0)
    model.fit_auto(data, rough_epochs=40, fine_epochs=40, collect_history=True)
    r = np.array(model.history_["radius"])
    np.testing.assert_allclose(r[:40], np.linspace(5.0, 3.0, 40))  # max(15 / 3, 4) -> 3, linear
    np.testing.assert_allclose(r[40:], 3.0 * (1 / 3) ** (np.arange(40) / 39))  # 3 -> 1, exponential


def test_defaults_are_somniums():
    from somwidget.compat.somnium import SOM

    m = SOM()
    assert (m.mapsize, m.lattice, m.neighborhood, m.normalization, m.initialization,
            m.distance_metric, m.n_jobs, m.mapsize_scale) == (
        (15, 10), "hexa", "gaussian", "standard", "random", "euclidean", 1, 5)
    assert m.fit(data, 2).mapsize_ == (15, 10)
    big = SOM(mapsize="auto", mapsize_scale=20).fit(data, 2)
    small = SOM(mapsize="auto").fit(data, 2)
    assert big.n_neurons_ > 3 * small.n_neurons_  # (20 / 5) times the neurons, about
    with pytest.raises(ValueError, match="mapsize_scale"):
        SOM(mapsize_scale=0).fit(data, 2)


def test_save_and_load_as_written(tmp_path, monkeypatch):
    from somwidget.compat.somnium.core import SOM

    monkeypatch.chdir(tmp_path)
    model = SOM(mapsize=(6, 5), random_state=0).fit(data, 5)
    # ---- "Save and load" ----
    model.save("my_som.pkl")
    loaded = SOM.load("my_som.pkl")
    # ---- end ----
    assert (tmp_path / "my_som.pkl").read_bytes()[:1] == b"\x80"  # a pickle, as somnium wrote
    assert type(loaded) is SOM and loaded.mapsize_scale == 5
    np.testing.assert_array_equal(loaded.predict(new_data), model.predict(new_data))
    model.save("my_som.json")  # somwidget's portable format works too
    np.testing.assert_array_equal(SOM.load("my_som.json").codebook_, model.codebook_)
    from somwidget import SOM as CoreSOM  # and the core class reads it

    np.testing.assert_array_equal(CoreSOM.load("my_som.json").codebook_, model.codebook_)
    scaled = SOM(mapsize=(6, 5), mapsize_scale=7, random_state=0).fit(data, 2)
    scaled.save("scaled.json")
    assert SOM.load("scaled.json").mapsize_scale == 7


class _Cmap:  # a stand-in for a matplotlib colormap (only its name is read)
    def __init__(self, name):
        self.name = name


def test_visualization_functions_as_documented():
    # ---- "Visualization" (import lines changed) ----
    from somwidget.compat.somnium.core import SOM
    from somwidget.compat.somnium.visualization import (
        plot_bmus,  # hit map (data density)
        plot_components,  # one heatmap per feature
        plot_label_map,  # per-class proportion heatmaps
        plot_neuron_indices,  # grid with neuron index numbers
        plot_quality_map,  # per-neuron quantization error
        plot_umatrix,  # inter-neuron distances (cluster boundaries)
    )
    # ---- end ----
    model = SOM(mapsize=(7, 6), random_state=0).fit(data, 10)
    names = [f"feature {i}" for i in range(data.shape[1])]
    planes = plot_components(model, names)
    assert planes.plane_names == names
    assert list(model.feature_names_in_) != names  # the model itself is not renamed
    u = plot_umatrix(model, colormap=_Cmap("hot"))
    assert type(u).__name__ == "UMatrix" and u.colormap == "inferno"
    hits = plot_bmus(model)
    xt = model.normalizer_.transform(data)
    expected = np.bincount(cdist(xt, model.codebook_).argmin(axis=1), minlength=42)
    assert hits.draw_style == "size"
    np.testing.assert_array_equal(hits.values, expected)
    q = plot_quality_map(model)
    assert type(q).__name__ == "QualityMap"
    lm = plot_label_map(model, labels)
    assert [c.title for c in lm.children] == [
        f"Label map: share of each neuron's samples labelled {c!r}" for c in sorted(set(labels))]
    idx = plot_neuron_indices(model)
    svg = idx.to_svg()
    assert all(f">{k}<" in svg for k in (0, 17, 41))
    with pytest.warns(UserWarning, match="colormap='twilight' is not a colour map"):
        assert plot_umatrix(model, colormap="twilight").colormap == "inferno"


def test_plots_of_a_model_without_fit_data_ask_for_it(tmp_path):
    from somwidget.compat.somnium import SOM
    from somwidget.compat.somnium.visualization import plot_bmus

    model = SOM(mapsize=(4, 4), random_state=0).fit(data, 3)
    model.save(tmp_path / "m.json")
    loaded = SOM.load(tmp_path / "m.json")
    with pytest.raises(ValueError, match="pass X="):
        plot_bmus(loaded)
    assert type(plot_bmus(loaded, X=data)).__name__ == "HitMap"


def test_a_core_som_works_with_the_plots_too():
    from somwidget import SOM
    from somwidget.compat.somnium.visualization import plot_umatrix

    iris = load_iris(return_X_y=True)[0]
    assert type(plot_umatrix(SOM((4, 4), random_state=0).fit(iris, epochs=2))).__name__ == "UMatrix"
    with pytest.raises(TypeError, match="model must be a SOM"):
        plot_umatrix("not a model")


@pytest.mark.parametrize("mode", ["batch", "online"])
def test_the_trainer_drives_a_somnium_model(mode, no_leaked_threads):
    from somwidget.compat.somnium import SOM
    from somwidget.trainer import Trainer

    model = SOM(mapsize=(5, 4), random_state=0)
    trainer = Trainer(model, data, mode=mode, epochs=3)
    try:
        trainer.play()
        assert trainer.join(60)
        assert trainer.status == "finished" and model.n_epochs_trained_ == 3
    finally:
        trainer.close()


def test_the_somnium_som_takes_every_parameter_of_the_core_som():
    """A parameter added to somwidget.SOM must reach the somnium subclass too (the constraints
    table checks every parameter on each call)."""
    import somwidget
    from somwidget.compat.somnium import SOM as SomniumSOM

    core = set(somwidget.SOM().get_params())
    assert core <= set(SomniumSOM().get_params())
