"""GEMA's README, run as written with only the import line changed, on the bundled iris data.

The quick start is copied call for call (``np.loadtxt('my_data.csv', ...)`` reads the iris
features written to the working directory); the API-reference test makes every documented call
with GEMA's parameter names.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.spatial.distance import cdist

from somwidget.datasets import load_iris

IRIS, SPECIES = load_iris(return_X_y=True)


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    np.savetxt(tmp_path / "my_data.csv", IRIS.to_numpy(), delimiter=",")
    monkeypatch.chdir(tmp_path)
    np.random.seed(12)  # noqa: NPY002 (GEMA users seed numpy's global generator)
    return tmp_path


def _qe(data, codebook):
    return float(cdist(data, codebook).min(axis=1).mean())


def test_quick_start_runs_as_written(workdir, capsys):
    # ---- GEMA README, "Quick Start" (import line changed) ----
    import numpy as np

    from somwidget.compat.gema import Classification, Map, Visualization
    # 1. Load your data (samples × features)
    data = np.loadtxt('my_data.csv', delimiter=',')
    # 2. Train a 10×10 SOM for 5000 iterations
    som = Map(
        data=data,
        size=10,
        period=5000,
        initial_lr=0.1,
        distance='euclidean',
        normalization='none',
        weights='random'
    )
    # 3. Save the trained model
    som.save_classifier('my_model')
    # 4. Classify data
    classification = Classification(som, data)
    print('Topological error :', classification.topological_error)
    print('Quantization error:', classification.quantization_error)
    # 5. Visualise
    Visualization.heat_map(classification)
    Visualization.elevation_map(classification)
    som = Map.load_classifier('my_model')
    # ---- end of the README code ----

    out = capsys.readouterr().out
    assert "Topological error :" in out and "Quantization error:" in out
    assert (workdir / "my_model.json").exists()
    # a sensible map: the trained one quantizes far better than its initial weights
    from somwidget import SOM

    initial = SOM(**som.som.get_params()).initialize(data).codebook_
    assert classification.quantization_error == pytest.approx(_qe(data, som.weights.reshape(100, 4)))
    assert classification.quantization_error < 0.5 * _qe(data, initial)
    assert classification.topological_error < 0.3
    # the map loaded back is the map saved
    assert som.map_size == 10 and som.period == 5000 and som.initial_lr == 0.1
    np.testing.assert_array_equal(som.weights, Classification(som, data).som.weights)


def test_period_is_the_number_of_presentations(workdir, monkeypatch):
    from somwidget import training
    from somwidget.compat.gema import Map

    seen = []
    real = training.online_run

    def counting(ctx, Xc, order, radii, rates):
        seen.append((len(order), np.array(radii), np.array(rates)))
        return real(ctx, Xc, order, radii, rates)

    monkeypatch.setattr(training, "online_run", counting)
    data = np.loadtxt('my_data.csv', delimiter=',')
    Map(data=data, size=6, period=401, initial_lr=0.3, initial_neighbourhood=4, use_decay=True)
    assert sum(n for n, _, _ in seen) == 401
    # GEMA's schedules, per presentation i = 1..T
    i = np.arange(1, 402)
    np.testing.assert_allclose(np.concatenate([r for _, _, r in seen]), 0.3 * (1 - i / 401),
                               atol=1e-15)
    np.testing.assert_allclose(np.concatenate([r for _, r, _ in seen]), 1 + 4 * (1 - i / 401),
                               atol=1e-12)
    seen.clear()
    Map(data=data, size=6, period=30)  # initial_neighbourhood=0 means size; no decay: v_final 0
    i = np.arange(1, 31)
    np.testing.assert_allclose(np.concatenate([r for _, r, _ in seen]), 6 * (1 - i / 30), atol=1e-12)


def test_training_matches_a_reference_gema_loop(workdir):
    """GEMA's update, written out: every neuron within grid distance v(i) of the BMU moves by
    eta(i) (times exp(-d^2/2v^2) with use_decay), presentations in data order."""
    from somwidget import SOM
    from somwidget.compat.gema import Map

    data = np.loadtxt('my_data.csv', delimiter=',')[::3]
    # radius 4.3 over 181 presentations: v(i) never equals a grid distance, so rounding cannot
    # flip a neuron in or out of the neighbourhood between the two computations
    for use_decay in (False, True):
        m = Map(data=data, size=5, period=181, initial_lr=0.5, initial_neighbourhood=4.3,
                use_decay=use_decay, presentation='sequential', weights='sample', random_state=3)
        w = SOM(**m.som.get_params()).initialize(data).codebook_.copy()
        grid = np.array([(r, c) for r in range(5) for c in range(5)], dtype=float)
        t = 181
        for i in range(1, t + 1):
            x = data[(i - 1) % len(data)]
            b = int(np.argmin(((w - x) ** 2).sum(axis=1)))
            eta = 0.5 * (1 - i / t)
            v = (1 if use_decay else 0) + 4.3 * (1 - i / t)
            d = np.sqrt(((grid - grid[b]) ** 2).sum(axis=1))
            h = (d <= v) * (np.exp(-d**2 / (2 * v**2)) if use_decay else 1.0)
            w += eta * h[:, None] * (x - w)
        np.testing.assert_allclose(m.weights.reshape(25, -1), w, rtol=1e-9, atol=1e-9)


def test_every_documented_call(workdir):
    from somwidget.compat.gema import Classification, Map, Visualization

    data = np.loadtxt('my_data.csv', delimiter=',')
    # Map(data=None, size, period, initial_lr, initial_neighbourhood=0, distance='euclidean',
    #     use_decay=False, normalization='none', presentation='random', weights='random')
    for normalization in ('none', 'fwn', '01scale', 'euclidean'):
        for weights in ('random', 'random_negative', 'sample', 'PCA'):
            m = Map(data=data, size=4, period=300, initial_lr=0.2, initial_neighbourhood=0,
                    distance='euclidean', use_decay=False, normalization=normalization,
                    presentation='random', weights=weights)
            c = Classification(m, data)
            assert c.activations_map.sum() == len(data)
    som = Map(None, 6, 1200, 0.2, 3, 'chebyshev', True, 'fwn', 'sequential', 'PCA')
    som.train(data)
    before = som.weights.copy()
    som.reinforce(data, reinforcement=2, extension=1.5, compression=0.5)
    assert som.period == int(int(1200 * 1.5) * 1.5) and som.initial_lr == pytest.approx(0.05)
    assert not np.array_equal(before, som.weights)
    dist, pos, dist2, pos2 = som.calculate_bmu(data[0])
    xt = som.som.normalizer_.transform(data[:1])
    d = np.abs(som.weights.reshape(36, -1) - xt).max(axis=1)  # chebyshev, in the training space
    order = np.argsort(d)
    assert pos == divmod(int(order[0]), 6) and pos2 == divmod(int(order[1]), 6)
    assert dist == pytest.approx(d[order[0]]) and dist2 == pytest.approx(d[order[1]])
    som.save_classifier('model_b')
    again = Map.load_classifier('model_b')
    np.testing.assert_array_equal(again.weights, som.weights)
    assert again.som.normalizer_.name == "standard"  # the carried somwidget model keeps it
    # Classification(som, classification_data, other=None, tagged=False, verbose=1)
    tagged = np.column_stack([np.arange(len(data)) % 3, data])
    other = pd.DataFrame({"species": SPECIES.to_numpy()})
    c = Classification(som, tagged, other=other, tagged=True, verbose=0)
    assert list(c.classification_map.columns) == ["labels", "data", "x", "y", "dist", "species"]
    for attr in ("activations_map", "distances_map", "topological_error", "quantization_error",
                 "classification_map", "umatriz"):
        assert getattr(c, attr) is not None
    # the Visualization static methods: views and static pictures
    heat = Visualization.heat_map(c)
    assert type(heat).__name__ == "HitMap" and heat.show_values
    np.testing.assert_array_equal(heat.values, c.activations_map.ravel())
    assert type(Visualization.elevation_map(c)).__name__ == "ElevationMap"
    labels = np.array(list(IRIS.columns))
    line = Visualization.characteristics_graph(som, 2, 3, labels)
    bars = Visualization.characteristics_bargraph(som, 2, 3, labels)
    np.testing.assert_array_equal(line.values, som.weights[2, 3])
    assert line.svg.count('class="feature-label"') == 4 and "sepal_length" in line.svg
    assert bars.svg.count('class="bar"') == 4
    one = Visualization.codebook_vector(som, 1, 'sepal width')
    assert one.plane_names == ['sepal width']
    allp = Visualization.codebook_vectors(som, np.array(['a', 'b', 'c', 'd']))
    assert allp.plane_names == ['a', 'b', 'c', 'd']
    assert type(Visualization.umatrix(c)).__name__ == "UMatrix"
    glyphs = Visualization.full_map_weights(som, labels)
    assert type(glyphs).__name__ == "CodebookGlyphMap"
    assert (workdir / "full_map_weights.svg").read_text().startswith("<svg")
    hist = Visualization.neurons_per_num_activations_map(c, save=True)
    assert type(hist).__name__ == "HitHistogram"
    assert (workdir / "neurons_per_num_activations_map.svg").exists()


def test_numpy_global_seed_makes_maps_reproducible(workdir):
    from somwidget.compat.gema import Map

    data = np.loadtxt('my_data.csv', delimiter=',')
    np.random.seed(5)  # noqa: NPY002
    a = Map(data=data, size=4, period=500).weights
    np.random.seed(5)  # noqa: NPY002
    b = Map(data=data, size=4, period=500).weights
    c = Map(data=data, size=4, period=500).weights
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({}, "needs size"),
        ({"size": 1}, "size must be"),
        ({"size": 4, "period": 1}, "period must be"),
        ({"size": 4, "initial_lr": 0}, r"initial_lr must be in \(0, 1\]"),
        ({"size": 4, "initial_neighbourhood": -1}, "initial_neighbourhood must be"),
        ({"size": 4, "distance": "manhattan"}, "distance must be one of"),
        ({"size": 4, "normalization": "zscore"}, "normalization must be one of"),
        ({"size": 4, "presentation": "shuffled"}, "presentation must be one of"),
        ({"size": 4, "weights": "zeros"}, "weights must be one of"),
        ({"size": 4, "use_decay": "yes"}, "use_decay must be True or False"),
    ],
)
def test_bad_map_arguments_name_the_parameter(kwargs, match):
    from somwidget.compat.gema import Map

    with pytest.raises((TypeError, ValueError), match=match):
        Map(**kwargs)
