"""SOMClassifier and SOMRegressor: labelled maps against hand-computed and brute-force values."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
from scipy.spatial.distance import cdist

pytest.importorskip("sklearn")

from sklearn.datasets import load_diabetes, load_digits  # noqa: E402
from sklearn.exceptions import NotFittedError  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

from somwidget import SOM, SOMClassifier, SOMRegressor  # noqa: E402
from somwidget.lattice import LATTICES  # noqa: E402
from somwidget.supervised import fill_empty_neurons  # noqa: E402

# a 2 x 3 rectangular map whose six prototypes sit on a 10-unit grid:
#   row 0: neurons 0 (0, 0), 1 (10, 0), 2 (20, 0)
#   row 1: neurons 3 (0, 10), 4 (10, 10), 5 (20, 10)
CODEBOOK = np.array([[0, 0], [10, 0], [20, 0], [0, 10], [10, 10], [20, 10]], dtype=float)
# samples next to a prototype, with their labels; neurons 2 and 4 win none
SAMPLES = np.array([[0.5, 0.2], [-0.3, 0.1], [0.2, -0.4],      # neuron 0: a, a, b
                    [10.2, 0.3], [9.7, -0.2],                  # neuron 1: b, b
                    [0.1, 10.4],                               # neuron 3: c
                    [20.3, 9.8], [19.6, 10.1], [20.2, 10.3]])  # neuron 5: a, c, c
LABELS = np.array(["a", "a", "b", "b", "b", "c", "a", "c", "c"])


def hand_map(lattice: str = "rect", shape: tuple[int, int] = (2, 3),
             codebook: np.ndarray = CODEBOOK) -> SOM:
    som = SOM(shape, lattice=lattice, initialization="random", random_state=0)
    som.initialize(codebook)
    som.codebook_ = codebook.copy()
    return som


def test_the_classifier_labels_a_hand_made_map_as_computed_by_hand():
    clf = SOMClassifier(hand_map(), training="none").fit(SAMPLES, LABELS)
    assert clf.classes_.tolist() == ["a", "b", "c"]
    # counts per neuron, by hand from the sample list above
    np.testing.assert_array_equal(clf.neuron_counts_, [[2, 1, 0], [0, 2, 0], [0, 0, 0],
                                                       [0, 0, 1], [0, 0, 0], [1, 0, 2]])
    assert clf.empty_neurons_.tolist() == [False, False, True, False, True, False]
    # neuron 2 (row 0, col 2): nearest labelled are 1 and 5 (grid distance 1): b2 + a1 c2
    # neuron 4 (row 1, col 1): nearest labelled are 1, 3 and 5 (distance 1): b2 + c1 + a1 c2
    expected = np.array([[2 / 3, 1 / 3, 0], [0, 1, 0], [1 / 5, 2 / 5, 2 / 5],
                         [0, 0, 1], [1 / 6, 2 / 6, 3 / 6], [1 / 3, 0, 2 / 3]])
    np.testing.assert_allclose(clf.neuron_proba_, expected, rtol=1e-12)
    # the tie b / c at neuron 2 goes to the first class in classes_ (b), as documented
    assert clf.neuron_labels_.tolist() == ["a", "b", "b", "c", "c", "c"]
    queries = np.array([[1, 1], [19, 1], [11, 9], [-2, 12]])  # BMUs 0, 2, 4, 3
    np.testing.assert_allclose(clf.predict_proba(queries), expected[[0, 2, 4, 3]], rtol=1e-12)
    assert clf.predict(queries).tolist() == ["a", "b", "c", "c"]
    assert clf.score(SAMPLES, LABELS) == pytest.approx(7 / 9)  # the b at 0 and the a at 5 miss


def test_an_empty_neuron_never_gets_the_first_class_by_default():
    # only neuron 5 is labelled, with the last class: every neuron must predict it
    som = hand_map()
    clf = SOMClassifier(som, training="none").fit(SAMPLES[6:], ["z", "z", "z"])
    assert set(clf.neuron_labels_) == {"z"}
    y = ["a", "z", "z"]  # classes a, z; neuron 5: one a, two z
    clf = SOMClassifier(som, training="none").fit(SAMPLES[6:], y)
    assert clf.neuron_labels_.tolist() == ["z"] * 6
    # the obvious route through label_proportions gives the empty neurons the first class
    naive = som.label_proportions(y, X=SAMPLES[6:]).to_numpy().argmax(axis=1)
    assert naive.tolist() == [0, 0, 0, 0, 0, 1]


def brute_force_proba(lattice, counts: np.ndarray) -> np.ndarray:
    """Every empty neuron: the pooled counts of all labelled neurons at the smallest distance."""
    d = lattice.grid_distances()
    labelled = [j for j in range(len(counts)) if counts[j].sum() > 0]
    out = np.zeros(counts.shape)
    for i in range(len(counts)):
        if counts[i].sum() > 0:
            out[i] = counts[i] / counts[i].sum()
            continue
        best = min(d[i, j] for j in labelled)
        pooled = sum(counts[j] for j in labelled if abs(d[i, j] - best) < 1e-9)
        out[i] = pooled / pooled.sum()
    return out


@pytest.mark.parametrize("lattice", LATTICES)
def test_empty_neurons_take_the_nearest_labelled_neurons_on_every_lattice(lattice):
    rng = np.random.default_rng(3)
    X = rng.normal(size=(400, 3))
    som = SOM((8, 9), lattice=lattice, random_state=0).fit(X, epochs=3)
    y = np.array([None] * len(X), dtype=object)  # missing labels: they label no neuron
    few = rng.choice(len(X), size=12, replace=False)
    y[few] = rng.choice(["p", "q", "r", "s"], size=12)
    clf = SOMClassifier(som, training="none").fit(X, y)
    bmus = cdist(X, som.codebook_).argmin(axis=1)
    codes = {c: k for k, c in enumerate(clf.classes_)}
    counts = np.zeros((som.n_neurons_, len(clf.classes_)))
    for i in few:
        counts[bmus[i], codes[y[i]]] += 1
    np.testing.assert_array_equal(clf.neuron_counts_, counts)
    assert clf.empty_neurons_.sum() > som.n_neurons_ / 2
    np.testing.assert_allclose(clf.neuron_proba_, brute_force_proba(som.lattice_, counts),
                               rtol=1e-12)
    expected = clf.classes_[brute_force_proba(som.lattice_, counts).argmax(axis=1)]
    np.testing.assert_array_equal(clf.predict(X), expected[bmus])


def test_wrap_around_decides_the_nearest_labelled_neuron():
    # a 1 x 8 ring (toroidal rect): neuron 0's nearest labelled neuron is 7 (through the edge,
    # distance 1), not 3 (distance 3); on the flat lattice it is 3
    sums = np.zeros((8, 2))
    sums[3], sums[7] = [1, 0], [0, 1]
    for kind, expected in (("toroidal_rect", [0, 1]), ("rect", [1, 0])):
        lat = hand_map(kind, (1, 8), np.arange(16, dtype=float).reshape(8, 2)).lattice_
        s, w = fill_empty_neurons(lat, sums, sums.sum(axis=1))
        np.testing.assert_array_equal(s[0], expected)
        assert w[0] == 1
    with pytest.raises(ValueError, match="no neuron won a labelled sample"):
        fill_empty_neurons(lat, np.zeros((8, 2)), np.zeros(8))


def test_the_regressor_means_per_neuron_against_numpy():
    rng = np.random.default_rng(8)
    X = rng.normal(size=(300, 2))
    y = 3 * X[:, 0] - X[:, 1] ** 2 + rng.normal(0, 0.1, size=300)
    y[rng.choice(300, size=30, replace=False)] = np.nan  # missing targets: no contribution
    som = SOM((6, 6), lattice="hexa", random_state=1).fit(X, epochs=4)
    reg = SOMRegressor(som, training="none").fit(X, y)
    bmus = cdist(X, som.codebook_).argmin(axis=1)
    frame = pd.DataFrame({"bmu": bmus, "y": y}).dropna()
    means = frame.groupby("bmu")["y"].mean()
    counts = frame.groupby("bmu")["y"].size()
    np.testing.assert_array_equal(reg.neuron_counts_, counts.reindex(range(36), fill_value=0))
    np.testing.assert_allclose(reg.neuron_values_[means.index], means.to_numpy(), rtol=1e-12)
    # an empty neuron: the hit-weighted mean over the nearest labelled neurons
    d = som.lattice_.grid_distances()
    for e in np.flatnonzero(reg.empty_neurons_):
        best = d[e, means.index].min()
        near = [j for j in means.index if abs(d[e, j] - best) < 1e-9]
        assert reg.neuron_values_[e] == pytest.approx(
            frame[frame.bmu.isin(near)]["y"].mean(), rel=1e-12)
    np.testing.assert_allclose(reg.predict(X), reg.neuron_values_[bmus])


def test_the_regressor_takes_several_targets():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(200, 3))
    Y = np.column_stack([X[:, 0], -2 * X[:, 1]])
    reg = SOMRegressor(SOM((5, 5), random_state=0)).fit(X, Y)
    assert reg.predict(X).shape == (200, 2) and reg.neuron_values_.shape == (25, 2)
    bmus = reg.som_.predict(X)
    for j in range(2):
        for k in np.flatnonzero(~reg.empty_neurons_[:, j]):
            assert reg.neuron_values_[k, j] == pytest.approx(Y[bmus == k, j].mean())
    assert reg.score(X, Y) > 0.7


def digits_split():
    X, y = load_digits(return_X_y=True)
    return train_test_split(X, y, test_size=0.3, stratify=y, random_state=0)


def test_supervised_mode_beats_chance_by_far_on_held_out_digits():
    Xa, Xb, ya, yb = digits_split()
    clf = SOMClassifier(SOM((10, 10), normalization="standard", random_state=0),
                        mode="supervised").fit(Xa, ya)
    assert clf.score(Xb, yb) > 0.85  # ten classes: chance is about 0.1
    # predictions read the BMU of the feature part only (cdist in the training space)
    Zb = clf.som_.normalizer_.transform(Xb)
    bmus = cdist(Zb, clf.som_.codebook_).argmin(axis=1)
    np.testing.assert_array_equal(clf.predict(Xb), clf.neuron_labels_[bmus])
    np.testing.assert_allclose(clf.predict_proba(Xb).sum(axis=1), 1.0)
    assert clf.som_.n_features_in_ == 64  # the map is in the feature space
    assert (clf.neuron_proba_ >= 0).all()


def test_the_label_weight_pulls_the_map_towards_the_classes():
    Xa, _, ya, _ = digits_split()
    som = SOM((6, 6), normalization="standard", random_state=0)
    weak = SOMClassifier(som, mode="supervised", label_weight=0.05).fit(Xa, ya)
    strong = SOMClassifier(som, mode="supervised", label_weight=1.0).fit(Xa, ya)

    def purity(clf):  # share of each neuron's training samples in its commonest class
        c = clf.neuron_counts_
        return c.max(axis=1).sum() / c.sum()

    # a heavier label block separates the classes on the map (measured 0.77 against 0.90)
    assert purity(strong) > purity(weak) + 0.05
    assert strong.score(Xa, ya) > weak.score(Xa, ya) + 0.05


def test_supervised_regressor_beats_the_mean_on_held_out_diabetes():
    X, y = load_diabetes(return_X_y=True)
    Xa, Xb, ya, yb = train_test_split(X, y, test_size=0.3, random_state=0)
    reg = SOMRegressor(SOM((5, 5), normalization="standard", random_state=0),
                       mode="supervised").fit(Xa, ya)
    assert reg.score(Xb, yb) > 0.2  # R^2 of predicting the mean is 0
    # predictions are the target part of the BMU, back in the units of y
    assert ya.min() - 1 <= reg.neuron_values_.min() and reg.neuron_values_.max() <= ya.max() + 1


def test_fit_params_reach_the_som_training_call_in_both_modes():
    Xa, _, ya, _ = digits_split()
    base = SOM((5, 5), random_state=0)
    for mode in ("unsupervised", "supervised"):
        seen = []
        clf = SOMClassifier(base, mode=mode).fit(Xa, ya, epochs=3, collect_history=True,
                                                 callbacks=[seen.append])
        assert clf.som_.n_epochs_trained_ == 3 and len(clf.som_.history_) == 3
        assert seen and seen[-1].final
    assert not hasattr(base, "codebook_")  # the given SOM is a template: never trained
    online = SOMClassifier(base, training="online").fit(Xa[:200], ya[:200], epochs=1)
    assert online.som_.history_ == [] and online.som_.n_epochs_trained_ == 1
    auto = SOMClassifier(base, training="auto").fit(Xa[:200], ya[:200])
    assert auto.som_.n_epochs_trained_ > 20


def test_random_state_overrides_the_soms_seed():
    Xa, _, ya, _ = digits_split()
    base = SOM((4, 4), initialization="random", random_state=1)
    a = SOMClassifier(base, random_state=7).fit(Xa[:300], ya[:300])
    b = SOMClassifier(SOM((4, 4), initialization="random", random_state=7)).fit(Xa[:300], ya[:300])
    np.testing.assert_array_equal(a.som_.codebook_, b.som_.codebook_)
    assert base.random_state == 1


def test_labels_of_any_kind_dataframes_and_categoricals():
    X = pd.DataFrame(SAMPLES, columns=["u", "v"])
    y = pd.Categorical(LABELS, categories=["c", "b", "a", "unused"])
    clf = SOMClassifier(hand_map(), training="none").fit(X, y)
    assert clf.classes_.tolist() == ["c", "b", "a", "unused"]  # the Categorical's order
    assert (clf.neuron_proba_[:, 3] == 0).all()
    assert clf.feature_names_in_.tolist() == ["u", "v"]
    assert clf.predict(X).tolist() == SOMClassifier(hand_map(), training="none").fit(
        SAMPLES, LABELS).predict(SAMPLES).tolist()
    ints = SOMClassifier(hand_map(), training="none").fit(SAMPLES, [3, 3, 1, 1, 1, 2, 3, 2, 2])
    assert ints.classes_.tolist() == [1, 2, 3] and ints.predict(SAMPLES).dtype.kind == "i"


def test_bad_use_is_refused_naming_the_problem():
    with pytest.raises(ValueError, match="mode must be one of 'unsupervised', 'supervised'"):
        SOMClassifier(mode="xyf").fit(SAMPLES, LABELS)
    with pytest.raises(ValueError, match="training must be one of"):
        SOMClassifier(training="fast").fit(SAMPLES, LABELS)
    with pytest.raises(ValueError, match="label_weight must be > 0"):
        SOMRegressor(label_weight=0).fit(SAMPLES, np.arange(9.0))
    with pytest.raises(TypeError, match="som must be a somwidget.SOM"):
        SOMClassifier(som="10x10").fit(SAMPLES, LABELS)
    with pytest.raises(ValueError, match="fit that SOM first"):
        SOMClassifier(SOM(), training="none").fit(SAMPLES, LABELS)
    with pytest.raises(ValueError, match="training='none' labels a map trained beforehand"):
        SOMClassifier(hand_map(), training="none", mode="supervised").fit(SAMPLES, LABELS)
    y = LABELS.astype(object)
    y[0] = None
    with pytest.raises(ValueError, match="1 missing label"):
        SOMClassifier(mode="supervised").fit(SAMPLES, y)
    with pytest.raises(ValueError, match="no label"):
        SOMClassifier().fit(SAMPLES, [None] * 9)
    with pytest.raises(ValueError, match="Unknown label type"):
        SOMClassifier().fit(SAMPLES, np.linspace(0, 1, 9))
    with pytest.raises(ValueError, match="Input y contains infinity"):
        SOMClassifier().fit(SAMPLES, [1, 2, np.inf, 1, 2, 1, 2, 1, 2])
    with pytest.raises(ValueError, match="NaN only"):
        SOMRegressor().fit(SAMPLES, np.full(9, np.nan))
    with pytest.raises(ValueError, match="y has 3 entries but there are 9 samples"):
        SOMClassifier().fit(SAMPLES, ["a", "b", "c"])
    with pytest.raises(NotFittedError):
        SOMClassifier().predict(SAMPLES)
    clf = SOMClassifier(hand_map(), training="none").fit(SAMPLES, LABELS)
    with pytest.raises(ValueError, match="X has 3 features, but SOM is expecting 2"):
        clf.predict(np.ones((2, 3)))


def test_a_fitted_classifier_pickles_and_predicts_the_same():
    Xa, Xb, ya, _ = digits_split()
    clf = SOMClassifier(SOM((5, 5), random_state=0), mode="supervised").fit(Xa, ya)
    again = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(again.predict(Xb), clf.predict(Xb))
    np.testing.assert_array_equal(again.predict_proba(Xb), clf.predict_proba(Xb))


@pytest.mark.slow
def test_the_supervised_benchmark_runs_and_every_som_model_beats_chance():
    from benchmarks import bench_supervised

    results = bench_supervised.run(seeds=(0,))
    assert set(results) == {"digits", "breast cancer"}
    for rows in results.values():
        assert set(rows) == set(bench_supervised.KNN_MODELS) | set(bench_supervised.SOM_MODELS)
        for label, r in rows.items():
            assert r["acc"] > r["chance"] + 0.2, label
            if label in bench_supervised.SOM_MODELS:
                assert r["random_min"] > r["chance"] + 0.2, label


def test_integer_sample_weights_label_like_repeated_rows():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(120, 2))
    y = rng.choice(["u", "v", "w"], size=120)
    t = X[:, 0] + rng.normal(0, 0.2, size=120)
    w = rng.integers(0, 4, size=120)  # weight 0: the sample labels nothing
    som = SOM((5, 5), random_state=0).fit(X, epochs=3)
    rows = np.repeat(np.arange(120), w)
    weighted = SOMClassifier(som, training="none").fit(X, y, sample_weight=w)
    repeated = SOMClassifier(som, training="none").fit(X[rows], y[rows])
    np.testing.assert_allclose(weighted.neuron_counts_, repeated.neuron_counts_)
    np.testing.assert_allclose(weighted.neuron_proba_, repeated.neuron_proba_, rtol=1e-12)
    assert weighted.neuron_counts_.dtype == np.float64 and repeated.neuron_counts_.dtype.kind == "i"
    reg_w = SOMRegressor(som, training="none").fit(X, t, sample_weight=w)
    reg_r = SOMRegressor(som, training="none").fit(X[rows], t[rows])
    np.testing.assert_allclose(reg_w.neuron_values_, reg_r.neuron_values_, rtol=1e-12)
    np.testing.assert_array_equal(reg_w.empty_neurons_, reg_r.empty_neurons_)


class RecordingSOM(SOM):
    """A SOM whose fit records the sample_weight it is given (and trains without it)."""

    seen: list = []

    def fit(self, X, y=None, **kwargs):
        RecordingSOM.seen.append(kwargs.pop("sample_weight", None))
        return super().fit(X, y, **kwargs)


def test_sample_weight_is_passed_on_to_the_soms_training_call():
    RecordingSOM.seen.clear()
    w = np.arange(9.0)
    SOMClassifier(RecordingSOM((2, 2), random_state=0)).fit(SAMPLES, LABELS, sample_weight=w)
    SOMRegressor(RecordingSOM((2, 2), random_state=0), mode="supervised").fit(
        SAMPLES, np.arange(9.0), sample_weight=list(w))
    assert len(RecordingSOM.seen) == 2
    for seen in RecordingSOM.seen:
        np.testing.assert_array_equal(seen, w)
    with pytest.raises(ValueError, match=r"one weight per sample, shape \(9,\)"):
        SOMClassifier(hand_map(), training="none").fit(SAMPLES, LABELS, sample_weight=[1, 2])
    with pytest.raises(ValueError, match="finite and >= 0"):
        SOMClassifier(hand_map(), training="none").fit(SAMPLES, LABELS, sample_weight=-w)


@pytest.mark.parametrize("cls", ["SOMClassifier", "SOMRegressor"])
def test_the_default_map_is_tuned_through_som_params_in_a_grid_search(cls):
    """The docstring's GridSearchCV(SOMClassifier(), {"som__epochs": [...]}) raised
    AttributeError: 'NoneType' object has no attribute 'set_params' (som=None by default)."""
    from sklearn.model_selection import GridSearchCV

    from somwidget import supervised

    rng = np.random.default_rng(0)
    X = rng.normal(size=(90, 3))
    y = (X[:, 0] > 0).astype(int) if cls == "SOMClassifier" else X[:, 0] * 2.0
    est = getattr(supervised, cls)(random_state=0)
    search = GridSearchCV(est, {"som__epochs": [2, 4], "som__mapsize": [(3, 3)]}, cv=3).fit(X, y)
    assert search.best_params_["som__epochs"] in (2, 4)
    assert search.best_estimator_.som_.codebook_.shape == (9, 3)
    assert est.som is None  # the grid search tuned clones; the estimator given stays as it was
    with pytest.raises(ValueError, match=r"y has 10 entries but (there are|X has) 90 samples"):
        getattr(supervised, cls)().fit(X, y[:10])


@pytest.mark.parametrize("mode", ["unsupervised", "supervised"])
def test_missing_values_in_X_train_both_wrappers_when_the_som_ignores_them(mode):
    rng = np.random.default_rng(5)
    X = rng.normal(size=(240, 4))
    labels = (X[:, 0] > 0).astype(int)
    target = X[:, 0] - X[:, 2]
    Xm = X.copy()
    rows = rng.choice(240, size=80, replace=False)  # one missing value in a third of the rows
    Xm[rows, rng.integers(0, 4, size=80)] = np.nan
    som = SOM((4, 4), missing="ignore", normalization="none", random_state=0)
    clf = SOMClassifier(som, mode=mode).fit(Xm, labels, epochs=3)
    reg = SOMRegressor(som, mode=mode).fit(Xm, target, epochs=3)
    for model in (clf, reg):
        W = model.som_.codebook_
        assert np.isfinite(W).all()
        # the masked BMU, by hand: the known components' squared differences
        diff = Xm[:, None, :] - W[None, :, :]
        bmus = np.nansum(diff * diff, axis=2).argmin(axis=1)
        np.testing.assert_array_equal(model.som_.predict(Xm), bmus)
    counts = np.zeros((16, 2), dtype=np.int64)
    np.add.at(counts, (clf.som_.predict(Xm), labels), 1)
    np.testing.assert_array_equal(clf.neuron_counts_, counts)
    assert clf.score(Xm, labels) > 0.7
    assert np.isfinite(reg.predict(Xm)).all()
    # without missing="ignore" the refusal names that option
    for cls, y in ((SOMClassifier, labels), (SOMRegressor, target)):
        with pytest.raises(ValueError, match=r"missing value.*missing='ignore'"):
            cls(SOM((4, 4)), mode=mode).fit(Xm, y)


def test_regression_targets_of_any_magnitude_and_complex_ones_refused():
    rng = np.random.default_rng(6)
    X = rng.normal(size=(150, 3))
    y = X[:, 0] + 0.5 * X[:, 1]
    base = SOMRegressor(SOM((4, 4), random_state=0), mode="supervised").fit(X, y).predict(X)
    for scale in (1e200, 1e-200):  # the targets' variance neither overflows nor underflows
        got = SOMRegressor(SOM((4, 4), random_state=0), mode="supervised").fit(X, y * scale)
        np.testing.assert_allclose(got.predict(X) / scale, base, rtol=1e-9)
    for complex_y in (y + 1j, np.array(list(y + 1j), dtype=object)):
        with pytest.raises(ValueError, match="complex"):
            SOMRegressor(SOM((4, 4))).fit(X, complex_y)
