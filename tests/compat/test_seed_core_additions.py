"""What the core SOM gained for the seed users: fit_online(n_steps=), a zero end for linear
online schedules, somnium's calculate_* spellings, save / load by extension."""

from __future__ import annotations

import math
import pickle

import numpy as np
import pytest
from scipy.spatial.distance import cdist

from somwidget import SOM, training
from somwidget.datasets import load_iris

X = load_iris(return_X_y=True)[0].to_numpy()
N = X.shape[0]


@pytest.fixture
def presented(monkeypatch):
    """Every call of the online kernel: (order, radii, rates) as the trainer passed them."""
    calls = []
    real = training.online_run

    def counting(ctx, Xc, order, radii, rates):
        calls.append((np.array(order), np.array(radii), np.array(rates)))
        return real(ctx, Xc, order, radii, rates)

    monkeypatch.setattr(training, "online_run", counting)
    return calls


@pytest.mark.parametrize("n_steps", [1, 7, N - 1, N, N + 1, 2 * N + 13])
def test_n_steps_presents_exactly_that_many_samples(presented, n_steps):
    som = SOM((4, 4), lattice="rect", random_state=0)
    som.fit_online(X, n_steps=n_steps, radius_start=2.0, radius_end=0.5,
                   learning_rate_start=0.4, learning_rate_end=0.05)
    orders = [o for o, _, _ in presented]
    assert sum(len(o) for o in orders) == n_steps
    assert som.n_epochs_trained_ == math.ceil(n_steps / N)
    # passes of N samples, each a permutation of the data, the last one partial (no repeats)
    assert [len(o) for o in orders] == [N] * (len(orders) - 1) + [n_steps - (len(orders) - 1) * N]
    for o in orders[:-1]:
        assert sorted(o.tolist()) == list(range(N))
    assert len(set(orders[-1].tolist())) == len(orders[-1])
    # the schedules run over exactly n_steps presentations, start and end included
    radii = np.concatenate([r for _, r, _ in presented])
    rates = np.concatenate([r for _, _, r in presented])
    np.testing.assert_allclose(radii, np.linspace(2.0, 0.5, n_steps) if n_steps > 1 else [2.0])
    np.testing.assert_allclose(rates, np.linspace(0.4, 0.05, n_steps) if n_steps > 1 else [0.4])


def test_sequential_n_steps_wraps_around_the_data(presented):
    SOM((3, 3), random_state=1).fit_online(X[:10], n_steps=25, presentation="sequential")
    order = np.concatenate([o for o, _, _ in presented])
    assert order.tolist() == list(range(10)) * 2 + list(range(5))


def test_n_steps_is_the_same_as_epochs_for_whole_passes():
    a = SOM((4, 3), random_state=3).fit_online(X, epochs=3)
    b = SOM((4, 3), random_state=3).fit_online(X, n_steps=3 * N)
    np.testing.assert_array_equal(a.codebook_, b.codebook_)


def test_n_steps_refuses_bad_values_and_epochs_given_too():
    som = SOM((3, 3), random_state=0)
    with pytest.raises(TypeError, match="both epochs=5 and n_steps=100"):
        som.fit_online(X, epochs=5, n_steps=100)
    with pytest.raises(ValueError, match="n_steps"):
        som.fit_online(X, n_steps=0)


def test_zero_ends_only_with_linear_decay():
    som = SOM((3, 3), random_state=0)
    som.fit_online(X, n_steps=20, radius_end=0.0, learning_rate_end=0.0)
    assert som.n_epochs_trained_ == 1
    with pytest.raises(ValueError, match="learning_rate_end"):
        som.fit_online(X, n_steps=20, learning_rate_end=0.0, decay="exponential")
    with pytest.raises(ValueError, match="radius_end"):
        som.fit_online(X, n_steps=20, radius_start=2.0, radius_end=0.0, decay="exponential")
    with pytest.raises(ValueError, match="radius_end"):
        som.fit(X, epochs=2, radius_start=2.0, radius_end=0.0)  # batch: no zero radius


@pytest.mark.parametrize("kernel", ["gaussian", "bubble", "cut_gaussian", "mexican_hat", "epanechikov"])
def test_radius_zero_is_the_bmu_alone(kernel):
    d2 = np.array([0.0, 1.0, 2.0, 4.0])
    np.testing.assert_array_equal(training.kernel_row(kernel, d2, 0.0), [1.0, 0.0, 0.0, 0.0])


def test_two_presentations_match_a_hand_computed_kohonen_update():
    # sequential, Gaussian, radius 2 -> 0 and learning rate 0.5 -> 0.25: the first sample pulls
    # the whole map, the second only its BMU
    data = np.array([[0.2, 0.1], [0.9, 0.8]])
    som = SOM((3, 3), lattice="rect", initialization="random", random_state=5).initialize(data)
    w = som.codebook_.copy()
    som.fit_online(data, n_steps=2, presentation="sequential", radius_start=2.0, radius_end=0.0,
                   learning_rate_start=0.5, learning_rate_end=0.25)
    grid = np.array([(r, c) for r in range(3) for c in range(3)], dtype=float)
    b = int(np.argmin(cdist(data[:1], w)))
    h = np.exp(-((grid - grid[b]) ** 2).sum(axis=1) / (2 * 2.0**2))
    w = w + 0.5 * h[:, None] * (data[0] - w)
    b = int(np.argmin(cdist(data[1:], w)))
    w[b] += 0.25 * (data[1] - w[b])
    np.testing.assert_allclose(som.codebook_, w, rtol=1e-12, atol=1e-12)


def test_calculate_spellings_match_independent_values():
    som = SOM((5, 4), lattice="rect", random_state=2).fit(X, epochs=5)
    d = cdist(X, som.codebook_)
    first, second = np.argsort(d, axis=1)[:, :2].T
    r1, c1 = np.divmod(first, 4)
    r2, c2 = np.divmod(second, 4)
    te = np.mean(np.abs(r1 - r2) + np.abs(c1 - c2) != 1)
    assert som.calculate_topographic_error() == pytest.approx(te)
    assert som.calculate_topographic_error() == som.topographic_error()
    vacancy = 1 - len(np.unique(first)) / 20
    assert som.calculate_vacancy_rate() == pytest.approx(vacancy)
    assert som.calculate_vacancy_rate(X[:10]) == pytest.approx(1 - len(np.unique(first[:10])) / 20)


@pytest.mark.parametrize("name", ["m.pkl", "m.pickle", "M.PKL"])
def test_save_pickles_by_extension(tmp_path, name):
    som = SOM((3, 4), random_state=4).fit(X, epochs=2)
    path = tmp_path / name
    som.save(path)
    assert path.read_bytes()[:1] == b"\x80"  # a pickle, not JSON
    loaded = SOM.load(path)
    assert type(loaded) is SOM
    np.testing.assert_array_equal(loaded.codebook_, som.codebook_)
    # the generator's state travels with a pickle: both continue identically
    np.testing.assert_array_equal(loaded.fit(X, epochs=1).codebook_, som.fit(X, epochs=1).codebook_)
    assert list(tmp_path.iterdir()) == [path]


def test_save_json_by_extension_and_format_override(tmp_path):
    som = SOM((3, 4), random_state=4).fit(X, epochs=2)
    som.save(tmp_path / "m.json")
    assert (tmp_path / "m.json").read_text().lstrip().startswith("{")
    som.save(tmp_path / "m.model", format="pickle")
    np.testing.assert_array_equal(SOM.load(tmp_path / "m.model", format="pickle").codebook_,
                                  som.codebook_)
    with pytest.raises(ValueError, match=r"must end in \.json .* or \.pkl / \.pickle"):
        som.save(tmp_path / "m.som")
    with pytest.raises(ValueError, match=r"cannot tell the file format"):
        SOM.load(tmp_path / "m.model")
    with pytest.raises(ValueError, match="format must be 'json', 'pickle' or None"):
        som.save(tmp_path / "m.json", format="yaml")


def test_load_refuses_a_pickle_of_something_else(tmp_path):
    path = tmp_path / "other.pkl"
    path.write_bytes(pickle.dumps({"not": "a SOM"}))
    with pytest.raises(TypeError, match="holds a builtins.dict, not a somwidget.som.SOM"):
        SOM.load(path)
