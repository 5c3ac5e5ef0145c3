"""SOMClassifier and SOMRegressor on unusual inputs: label types (bools next to numbers, mixed
types, datetimes, uint64, tuples), weights and targets near float64's limits, features of tiny
or huge magnitude in supervised mode, the dice metric's domain; the l2 normaliser's dtype."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy.spatial.distance import cdist

pytest.importorskip("sklearn")

from somwidget import SOM, SOMClassifier, SOMRegressor  # noqa: E402
from somwidget.normalization import make_normalizer  # noqa: E402

# a 1 x 2 map: prototypes at 0 and 10; samples near one or the other
PROTOTYPES = np.array([[0.0], [10.0]])
NEAR = np.array([[0.3], [-0.2], [0.1], [9.8], [10.4], [10.1]])


@pytest.fixture
def line_map() -> SOM:
    som = SOM((1, 2), initialization="random", random_state=0)
    som.initialize(PROTOTYPES)
    som.codebook_ = PROTOTYPES.copy()
    return som


@pytest.fixture
def data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    return X, (X[:, 0] > 0).astype(int)


def objects(values: list) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def hand_bmus(X: np.ndarray, codebook: np.ndarray) -> np.ndarray:
    return cdist(X, codebook).argmin(axis=1)


# ------------------------------------------------------------------------ label types
@pytest.mark.parametrize(("first", "second"), [(True, 1), (False, 0.0), (1, True)])
def test_bool_and_equal_number_are_two_classes(line_map: SOM, first: object,
                                               second: object) -> None:
    y = objects([first] * 3 + [second] * 3)  # neuron 0 wins the first three samples
    clf = SOMClassifier(line_map, training="none").fit(NEAR, y)
    assert clf.classes_.dtype == object and len(clf.classes_) == 2
    pred = clf.predict(np.array([[0.0], [10.0]]))
    assert [type(p) for p in pred] == [type(first), type(second)]
    assert pred.tolist() == [first, second]
    assert clf.score(NEAR, y) == 1.0
    assert clf.score(NEAR, objects([second] * 3 + [first] * 3)) == 0.0


@pytest.mark.parametrize("labels", [
    [1, "a"],
    np.array(["2020-01-01", "2021-06-30"], dtype="datetime64[D]").tolist(),
    [np.datetime64("2020-01-01T00:00:00.000000001"), np.datetime64("2020-01-01T00:00:00.000000002")],
    [2**63 + 1, 2**63 + 3],
    [(1, 2), (3, 4)],
])
def test_label_types_encode_labels_handles(line_map: SOM, labels: list) -> None:
    y = objects([labels[0]] * 3 + [labels[1]] * 3)
    if isinstance(labels[0], int) and labels[0] > 2**63:
        y = np.array(y.tolist(), dtype=np.uint64)
    elif isinstance(labels[0], np.datetime64):
        y = np.array(y.tolist(), dtype="datetime64[ns]")
    given = list(y) if isinstance(labels[0], tuple) else y  # a list of tuples: tuple labels
    fitted = SOMClassifier(line_map, training="none").fit(NEAR, given)
    bmus = hand_bmus(NEAR[::-1], PROTOTYPES)
    expected = [labels[b] for b in bmus]
    assert list(fitted.predict(NEAR[::-1])) == expected
    assert fitted.score(NEAR[::-1], y[::-1]) == 1.0
    # one wrong label out of six, weighted 3 of 8
    wrong = y.copy()
    wrong[0] = y[5]
    assert fitted.score(NEAR, wrong, sample_weight=[3, 1, 1, 1, 1, 1]) == pytest.approx(5 / 8)


def test_uint64_labels_kept_exact(line_map: SOM) -> None:
    y = np.array([2**63 + 1] * 3 + [2**63 + 3] * 3, dtype=np.uint64)
    clf = SOMClassifier(line_map, training="none").fit(NEAR, y)
    assert clf.classes_.dtype == np.uint64
    assert clf.classes_.tolist() == [2**63 + 1, 2**63 + 3]


def test_bad_labels_named(line_map: SOM) -> None:
    with pytest.raises(TypeError, match="y must hold hashable class labels"):
        SOMClassifier(line_map, training="none").fit(NEAR, objects([{1: 2}] * 6))
    with pytest.raises(ValueError, match="Unknown label type: continuous.*SOMRegressor"):
        SOMClassifier(line_map, training="none").fit(NEAR, np.linspace(0, 1, 6))
    with pytest.raises(ValueError, match="y must be 1-D"):
        SOMClassifier(line_map, training="none").fit(NEAR, [[1, 2]] * 6)
    clf = SOMClassifier(line_map, training="none").fit(NEAR, [0, 0, 0, 1, 1, 1])
    with pytest.raises(ValueError, match="1 missing label"):
        clf.score(NEAR, [0, 0, None, 1, 1, 1])
    assert clf.score(NEAR, [0, 0, 0, 1, 1, 7]) == pytest.approx(5 / 6)  # 7: unseen class


# ------------------------------------------------------------------------ magnitudes
def test_huge_uniform_weights_change_nothing(data: tuple) -> None:
    X, y = data
    w = np.full(X.shape[0], 1e307)
    plain = SOMClassifier(SOM((3, 3), random_state=0)).fit(X, y)
    heavy = SOMClassifier(SOM((3, 3), random_state=0)).fit(X, y, sample_weight=w)
    np.testing.assert_allclose(heavy.neuron_proba_, plain.neuron_proba_, rtol=1e-12)
    assert heavy.score(X, y, sample_weight=w) == pytest.approx(plain.score(X, y), rel=1e-12)
    np.testing.assert_array_equal(heavy.empty_neurons_, plain.empty_neurons_)
    target = X[:, 1]
    reg = SOMRegressor(SOM((3, 3), random_state=0)).fit(X, target, sample_weight=w)
    bmus = hand_bmus(X, reg.som_.codebook_)
    means = [target[bmus == k].mean() for k in range(9) if (bmus == k).any()]
    np.testing.assert_allclose(reg.neuron_values_[np.unique(bmus)], means, rtol=1e-12)


@pytest.mark.parametrize("mode", ["unsupervised", "supervised"])
def test_targets_near_float64_max_predicted_finitely(data: tuple, mode: str) -> None:
    X, _ = data
    target = (np.abs(X[:, 0]) + 1) * 1e307
    reg = SOMRegressor(SOM((3, 3), random_state=0), mode=mode).fit(X, target)
    pred = reg.predict(X)
    assert np.isfinite(pred).all()
    assert target.min() * (1 - 1e-12) <= pred.min() and pred.max() <= target.max() * (1 + 1e-12)
    if mode == "unsupervised":
        bmus = hand_bmus(X, reg.som_.codebook_)
        means = [np.mean(target[bmus == k] / 1e300) * 1e300 for k in np.unique(bmus)]
        np.testing.assert_allclose(reg.neuron_values_[np.unique(bmus)], means, rtol=1e-12)


@pytest.mark.parametrize("factor", [2.0**-565, 2.0**531])
def test_supervised_mode_scale_invariant(data: tuple, factor: float) -> None:
    X, y = data
    kw = dict(mode="supervised", label_weight=0.2)
    ref = SOMClassifier(SOM((5, 5), random_state=0), **kw).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no normalization='none' scale warning either
        scaled = SOMClassifier(SOM((5, 5), random_state=0), **kw).fit(X * factor, y)
    np.testing.assert_allclose(scaled.neuron_proba_, ref.neuron_proba_, atol=1e-9)
    np.testing.assert_allclose(scaled.som_.codebook_ / factor, ref.som_.codebook_,
                               rtol=1e-9, atol=1e-12)


def test_supervised_label_weight_too_large_named(data: tuple) -> None:
    X, y = data
    with pytest.raises(ValueError, match="label_weight=1e.300 scales the target block"):
        SOMClassifier(SOM((3, 3), random_state=0), mode="supervised",
                      label_weight=1e300).fit(X, y)


# ------------------------------------------------------------------------ dice
def test_supervised_dice_keeps_label_block_in_domain() -> None:
    rng = np.random.default_rng(0)
    Xb = (rng.random((300, 4)) > 0.5).astype(float)
    y = Xb[:, 0].astype(int)
    with pytest.warns(UserWarning, match="capped at 1"):
        clf = SOMClassifier(SOM((4, 4), distance_metric="dice", random_state=0),
                            mode="supervised").fit(Xb, y)
    assert ((clf.neuron_proba_ >= 0) & (clf.neuron_proba_ <= 1)).all()
    bmus = cdist(Xb, clf.som_.codebook_, "dice").argmin(axis=1)
    np.testing.assert_array_equal(clf.predict(Xb), clf.neuron_labels_[bmus])
    small = SOMClassifier(SOM((4, 4), distance_metric="dice", random_state=0),
                          mode="supervised", label_weight=0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a block inside [0, 1]: no cap, no warning
        small.fit(Xb, y)
    reg = SOMRegressor(SOM((4, 4), distance_metric="dice", random_state=0),
                       mode="supervised", label_weight=0.1).fit(Xb, Xb[:, 1] * 5 - 3)
    assert (reg.neuron_values_ >= -3 - 1e-12).all() and (reg.neuron_values_ <= 2 + 1e-12).all()


# ------------------------------------------------------------------------ l2 dtype
def test_l2_keeps_float32(data: tuple) -> None:
    X, _ = data
    X32 = X.astype(np.float32)
    out = make_normalizer("l2").fit_transform(X32)
    assert out.dtype == np.float32
    x64 = X32.astype(np.float64)
    np.testing.assert_allclose(out, x64 / np.linalg.norm(x64, axis=1, keepdims=True), rtol=1e-6)
    som = SOM((3, 3), normalization="l2", random_state=0).fit(X32)
    assert som.transform(X32).dtype == np.float32
    assert make_normalizer("l2").fit_transform(X).dtype == np.float64


@pytest.mark.parametrize("cls", [SOMClassifier, SOMRegressor])
def test_unknown_constructor_keyword_names_the_class_and_where_it_goes(cls) -> None:
    # was "_MapPredictor.__init__() got an unexpected keyword argument 'mapsize'"
    with pytest.raises(TypeError, match=rf"{cls.__name__}\(\) got an unexpected keyword argument "
                       r"'mapsize'; 'mapsize' is a parameter of the map: pass som=SOM\(mapsize=\.\.\.\), "
                       r"or set_params\(som__mapsize=\.\.\.\)\. Its parameters are: som, mode, "
                       r"label_weight, training, random_state"):
        cls(mapsize=(5, 5))
    with pytest.raises(TypeError, match=rf"{cls.__name__}\(\) got .* 'moed'; did you mean 'mode'\?"):
        cls(moed="supervised")


def test_positional_mode_is_explained() -> None:
    with pytest.raises(TypeError, match=r"SOMClassifier\(\) takes at most 1 positional argument"
                       r"\(s\) \(som\) but 2 were given; pass the others by keyword: mode,"):
        SOMClassifier(SOM(), "supervised")


def test_set_params_unknown_names_the_class_and_sets_nothing() -> None:
    clf = SOMClassifier(mode="supervised")
    with pytest.raises(ValueError, match=r"Invalid parameter 'mapsize' for SOMClassifier; valid "
                       r"parameters are label_weight, mode, .*som__mapsize"):
        clf.set_params(mode="unsupervised", mapsize=3)
    assert clf.mode == "supervised"
    with pytest.raises(ValueError, match=r"Invalid parameter 'bogus' for SOM; valid parameters"):
        SOMClassifier().set_params(som__bogus=1)


def test_explained_signature_keeps_sklearn_introspection() -> None:
    from sklearn.base import clone

    clf = SOMClassifier(SOM((3, 3)), mode="supervised", label_weight=2.0)
    assert sorted(clf.get_params(deep=False)) == ["label_weight", "mode", "random_state", "som",
                                                  "training"]
    twin = clone(clf)
    assert twin.get_params()["som__mapsize"] == (3, 3) and twin.label_weight == 2.0
    assert clone(SOM((4, 2), epochs=3)).get_params() == SOM((4, 2), epochs=3).get_params()


def test_classifier_score_before_fit_is_not_fitted() -> None:
    from sklearn.exceptions import NotFittedError

    # was AttributeError: 'SOMClassifier' object has no attribute '_label_index'
    with pytest.raises(NotFittedError, match="SOMClassifier instance is not fitted yet"):
        SOMClassifier().score(NEAR, np.zeros(len(NEAR)))


@pytest.mark.parametrize("cls", [SOMClassifier, SOMRegressor])
@pytest.mark.parametrize("weights", [np.array(["1"] * 6), np.ones(6) + 1j,
                                     np.array([1.0, "2", 3, 4, 5, 6], dtype=object)])
def test_non_numeric_sample_weight_refused(line_map: SOM, cls, weights) -> None:
    # strings were parsed and complex weights cut to their real part; SOM.fit refuses both
    y = np.array([0, 0, 0, 1, 1, 1])
    with pytest.raises(TypeError, match=r"sample_weight must be numbers \(bool, int or float\); "
                       r"got an array of dtype"):
        cls(line_map, training="none").fit(NEAR, y, sample_weight=weights)


def test_regressor_score_checks_y_and_weights(line_map: SOM) -> None:
    y = np.array([1.0, 2.0, 3.0, 10.0, 11.0, 12.0])
    reg = SOMRegressor(line_map, training="none").fit(NEAR, y)
    # R² computed here: each neuron predicts the mean of its three samples
    pred = np.array([2.0, 2.0, 2.0, 11.0, 11.0, 11.0])
    expected = 1 - ((y - pred) ** 2).sum() / ((y - y.mean()) ** 2).sum()
    assert reg.score(NEAR, y) == pytest.approx(expected)
    # were scikit-learn's "Found input variables with inconsistent numbers of samples: [3, 6]"
    # and "Input contains NaN."
    with pytest.raises(ValueError, match="y has 3 entries but X has 6 samples"):
        reg.score(NEAR, y[:3])
    with pytest.raises(ValueError, match=r"y has 1 missing target\(s\) \(NaN\); score needs"):
        reg.score(NEAR, np.r_[y[:5], np.nan])
    with pytest.raises(ValueError, match=r"y has 2 target column\(s\) but the regressor was "
                       r"fitted with 1"):
        reg.score(NEAR, np.column_stack([y, y]))
    with pytest.raises(ValueError, match=r"sample_weight must have one weight per sample, "
                       r"shape \(6,\); got shape \(3,\)"):
        reg.score(NEAR, y, sample_weight=np.ones(3))
    with pytest.raises(ValueError, match="sample_weight must not be all 0"):
        reg.score(NEAR, y, sample_weight=np.zeros(6))
    with pytest.raises(ValueError, match=r"score\(X, y\) needs the true targets y; got None"):
        reg.score(NEAR, None)


@pytest.mark.parametrize("y", [np.array(["1.5", "2", "3", "4", "5", "6"]),
                               np.array([b"1", b"2", b"3", b"4", b"5", b"6"]),
                               objects([1.0, "2", 3.0, 4.0, 5.0, 6.0])])
def test_regressor_refuses_numbers_written_as_text(line_map: SOM, y) -> None:
    # they were parsed one by one (X with the same text is refused)
    with pytest.raises(ValueError, match=r"y must be numeric targets; got text \(dtype .*\): "
                       r"convert it to numbers first, e\.g\. pandas\.to_numeric\(y\)"):
        SOMRegressor(line_map, training="none").fit(NEAR, y)
