"""Every bad input gets a clear error naming the parameter; nothing is silently coerced."""

import warnings

import numpy as np
import pandas as pd
import pytest

from somwidget import SOM

X = np.random.default_rng(0).normal(size=(40, 3))


def _fitted():
    return SOM((3, 3), random_state=0).fit(X, epochs=1)


def test_nan_in_x():
    bad = X.copy()
    bad[3, 1] = np.nan
    # the message counts the NaN and names the option that accepts them
    with pytest.raises(ValueError, match=r'X contains 1 missing value.*missing="ignore"'):
        SOM((3, 3)).fit(bad)


def test_inf_in_x():
    bad = X.copy()
    bad[0, 0] = np.inf
    with pytest.raises(ValueError, match=r"X contains .*infinite"):
        SOM((3, 3)).fit(bad)


def test_one_dimensional_x():
    with pytest.raises(ValueError, match=r"X must be 2-D .*reshape\(-1, 1\)"):
        SOM((3, 3)).fit(X[:, 0])


def test_three_dimensional_x():
    with pytest.raises(ValueError, match=r"X must be 2-D"):
        SOM((3, 3)).fit(X.reshape(4, 10, 3))


def test_empty_x():
    with pytest.raises(ValueError, match=r"X must have at least 1 sample"):
        SOM((3, 3)).fit(np.empty((0, 3)))


def test_non_numeric_columns():
    df = pd.DataFrame({"a": [1.0, 2.0, 3.0], "label": ["x", "y", "z"]})
    with pytest.raises(ValueError, match=r"X has non-numeric columns \['label'\]"):
        SOM((2, 2)).fit(df)


def test_string_array():
    with pytest.raises(ValueError, match="X must be numeric"):
        SOM((2, 2)).fit(np.array([["a", "b"], ["c", "d"]]))


def test_dataframe_is_accepted():
    som = SOM((2, 2), random_state=0).fit(pd.DataFrame(X, columns=["p", "q", "r"]), epochs=1)
    assert som.feature_names_in_ == ["p", "q", "r"]


def test_dataframe_with_other_columns_later():
    som = SOM((2, 2), random_state=0).fit(pd.DataFrame(X, columns=["p", "q", "r"]), epochs=1)
    with pytest.raises(ValueError, match=r"X has columns .* fitted with \['p', 'q', 'r'\]"):
        som.predict(pd.DataFrame(X, columns=["p", "q", "zz"]))


def test_different_number_of_features_later():
    with pytest.raises(ValueError, match=r"X has 2 features, but SOM is expecting 3 features as input \(the model was fitted with 3\)"):
        _fitted().fit(X[:, :2])


def test_map_smaller_than_two_neurons():
    with pytest.raises(ValueError, match="mapsize must give at least 2 neurons"):
        SOM((1, 1)).fit(X)


def test_mapsize_wrong_type():
    with pytest.raises(ValueError, match="mapsize must be 'auto', an int or"):
        SOM("big").fit(X)


def test_non_positive_epochs():
    with pytest.raises(ValueError, match="epochs must be at least 1"):
        SOM((3, 3)).fit(X, epochs=0)


def test_fractional_epochs():
    with pytest.raises(TypeError, match="epochs must be an integer"):
        SOM((3, 3)).fit(X, epochs=2.5)


def test_non_positive_radiusin():
    with pytest.raises(ValueError, match="radiusin must be > 0"):
        SOM((3, 3)).fit(X, radiusin=0)


def test_negative_radiusfin():
    # online training with the linear schedule may end at radius 0 (the BMU alone); batch may not
    with pytest.raises(ValueError, match="radiusfin must be >= 0"):
        SOM((3, 3)).fit_online(X, radiusfin=-1)
    with pytest.raises(ValueError, match="radiusfin must be > 0"):
        SOM((3, 3)).fit(X, radiusfin=0)


def test_radiusfin_larger_than_radiusin():
    with pytest.raises(ValueError, match="radiusfin must be <= radiusin"):
        SOM((3, 3)).fit(X, radiusin=1, radiusfin=2)


def test_unknown_lattice():
    with pytest.raises(ValueError, match=r"lattice must be one of 'hexa', 'rect'.*got 'honeycomb'"):
        SOM((3, 3), lattice="honeycomb").fit(X)


def test_unknown_neighborhood():
    with pytest.raises(ValueError, match=r"neighborhood must be one of 'gaussian'.*'epanechicov'"):
        SOM((3, 3), neighborhood="triangle").fit(X)


def test_unknown_normalization():
    with pytest.raises(ValueError, match=r"normalization must be one of 'none'.*'fwn'"):
        SOM((3, 3), normalization="zscore").fit(X)


def test_unknown_initialization():
    with pytest.raises(ValueError, match=r"initialization must be one of 'random'.*'pca'"):
        SOM((3, 3), initialization="kmeans").fit(X)


def test_unknown_distance_metric():
    with pytest.raises(ValueError, match=r"distance_metric must be one of 'euclidean'.*'chebyshev'"):
        SOM((3, 3), distance_metric="hamm").fit(X)


def test_bad_rect_adjacency():
    with pytest.raises(ValueError, match="rect_adjacency must be one of 4, 8"):
        SOM((3, 3), lattice="rect", rect_adjacency=6).fit(X)


def test_unknown_decay():
    with pytest.raises(ValueError, match=r"decay must be one of 'linear', 'exponential'"):
        SOM((3, 3)).fit(X, decay="cosine")


def test_unknown_presentation():
    with pytest.raises(ValueError, match=r"presentation must be one of 'random', 'sequential'"):
        SOM((3, 3)).fit_online(X, presentation="shuffled")


def test_learning_rate_out_of_range():
    with pytest.raises(ValueError, match=r"learning_rate must be in \(0, 1\]"):
        SOM((3, 3)).fit(X, learning_rate=1.5)


def test_learning_rate_fin_above_init():
    with pytest.raises(ValueError, match="learning_rate_fin must be <= learning_rate_init"):
        SOM((3, 3)).fit_online(X, learning_rate_init=0.1, learning_rate_fin=0.5)


def test_subsample_ratio_zero():
    with pytest.raises(ValueError, match="subsample_ratio must be > 0"):
        SOM((3, 3)).fit(X, subsample_ratio=0)


def test_callbacks_not_callable():
    with pytest.raises(TypeError, match="callbacks must be"):
        SOM((3, 3)).fit(X, callbacks=[print, 3])


def test_bad_random_state():
    with pytest.raises(TypeError, match="random_state must be None, a non-negative int"):
        SOM((3, 3), random_state="seed").fit(X)


def test_bad_chunk_size():
    with pytest.raises(ValueError, match="chunk_size must be at least 1"):
        SOM((3, 3), chunk_size=0).fit(X)


def test_unknown_parameter_in_set_params():
    with pytest.raises(ValueError, match="Invalid parameter 'sigma' for SOM; valid parameters are mapsize"):
        SOM().set_params(sigma=1.0)


def test_unknown_umatrix_kind():
    with pytest.raises(ValueError, match=r"kind must be one of 'node', 'interstitial'"):
        _fitted().umatrix("star")


def test_k_larger_than_the_map():
    with pytest.raises(ValueError, match="k must be at most 9"):
        _fitted().best_matching_units(X, k=10)


def test_online_step_needs_one_sample():
    with pytest.raises(ValueError, match="x must be one sample"):
        _fitted().online_step(X[:2], radius=1.0, learning_rate=0.1)


def test_reinforce_compression_out_of_range():
    with pytest.raises(ValueError, match=r"compression must be in \(0, 1\]"):
        _fitted().reinforce(X, compression=2.0)


def test_labels_missing():
    with pytest.raises(ValueError, match="labels is required"):
        _fitted().label_counts(None)


@pytest.mark.parametrize("n_jobs", [0, -2, -8])
def test_n_jobs_zero_or_below_minus_one(n_jobs):
    with pytest.raises(ValueError, match=r"n_jobs must be None, -1 \(all cores\) or an integer >= 1"):
        SOM((3, 3), n_jobs=n_jobs).fit(X)


@pytest.mark.parametrize("n_jobs", [1.5, "2", True])
def test_n_jobs_not_an_integer(n_jobs):
    with pytest.raises(TypeError, match=r"n_jobs must be None, -1 \(all cores\) or an integer >= 1"):
        SOM((3, 3), n_jobs=n_jobs).fit(X)


def test_n_jobs_checked_by_predict_too():
    som = _fitted().set_params(n_jobs=0)
    with pytest.raises(ValueError, match="n_jobs must be"):
        som.predict(X)


def test_integers_beyond_2_53_warn_that_float64_rounds_them():
    rng = np.random.default_rng(0)
    ids = np.uint64(2**63) + rng.integers(0, 1000, (50, 3)).astype(np.uint64)
    assert len(np.unique(ids.astype(np.float64), axis=0)) < len(np.unique(ids, axis=0))
    with pytest.warns(UserWarning, match=r"X holds integers up to 9\.223e\+18.*multiples of 2048"):
        SOM((3, 3)).fit(ids)
    frame = pd.DataFrame({"id": np.int64(2**60) + np.arange(50), "v": rng.normal(size=50)})
    with pytest.warns(UserWarning, match=r"X\['id'\] holds integers.*multiples of 256"):
        SOM((3, 3)).fit(frame)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        SOM((3, 3)).fit(rng.integers(-2**53, 2**53, (50, 3)))  # exact: no warning


def test_unknown_constructor_keyword_names_som_and_the_close_match():
    # Python's own error named SOM.__init__ and listed nothing
    with pytest.raises(TypeError, match=r"SOM\(\) got an unexpected keyword argument 'mapsze'; "
                       r"did you mean 'mapsize'\? Its parameters are: mapsize, lattice"):
        SOM(mapsze=5)


def test_too_many_positional_constructor_arguments_named():
    with pytest.raises(TypeError, match=r"SOM\(\) takes at most 26 positional argument"):
        SOM(*([None] * 27))


def test_set_params_suggests_the_close_match_and_sets_nothing():
    som = SOM(epochs=3)
    with pytest.raises(ValueError, match=r"Invalid parameter 'lattise' for SOM; valid parameters "
                       r"are mapsize, .*; did you mean 'lattice'\?"):
        som.set_params(epochs=7, lattise="rect")
    assert som.epochs == 3  # refused before any parameter was set


@pytest.mark.parametrize(("method", "kwargs", "close"), [
    ("fit", {"epoch": 2}, "'epochs'"),
    ("fit_online", {"learning_rate": 0.5}, "'learning_rate_end'"),
    ("fit_auto", {"epochs": 2}, None),
])
def test_unknown_training_keyword_lists_the_method_parameters(method, kwargs, close):
    with pytest.raises(TypeError, match=rf"SOM\.{method}\(\) got an unexpected keyword argument "
                       rf"'{next(iter(kwargs))}'") as info:
        getattr(SOM((3, 3), random_state=0), method)(X, **kwargs)
    assert "Its parameters are: X, y," in str(info.value)
    if close:
        assert close in str(info.value)


def test_type_error_inside_a_call_is_not_rewritten():
    # a TypeError from the call's own checks (the arguments bind) keeps its message
    with pytest.raises(TypeError, match="callbacks must be a callable"):
        SOM((3, 3)).fit(X, callbacks=3)


@pytest.mark.parametrize("method", ["fit", "fit_online", "fit_auto", "reinforce"])
@pytest.mark.parametrize("flag", ["no", "False", None, 2, 0.5])
def test_collect_history_must_be_a_flag(method, flag):
    # bool("no") is True: the string collected the history it was meant to turn off
    som = SOM((3, 3), random_state=0)
    if method == "reinforce":
        som.fit(X, epochs=1)
    before = som.to_dict()
    with pytest.raises(TypeError, match=rf"collect_history must be True or False; got {flag!r}"):
        getattr(som, method)(X, collect_history=flag)
    assert som.to_dict() == before  # refused before anything was trained


@pytest.mark.parametrize("flag", [True, False, np.True_, np.False_, 0, 1])
def test_collect_history_takes_bools_and_0_1(flag):
    som = SOM((3, 3), random_state=0).fit(X, epochs=2, collect_history=flag)
    assert len(som.history_) == (2 if flag else 0)
