"""Messy inputs: dates where numbers belong, pandas' missing values, big-endian and nullable
floats, huge nullable integers, clashing column names, unhashable labels, BMU indices out
of range."""

from __future__ import annotations

import datetime
import re

import numpy as np
import pandas as pd
import pytest

from somwidget import SOM, SOMRegressor

N = 40


@pytest.fixture
def X() -> np.ndarray:
    return np.random.default_rng(0).normal(size=(N, 2))


def _regressor() -> SOMRegressor:
    return SOMRegressor(SOM((3, 3), epochs=2), random_state=0)


# 1. dates / durations as regression targets ---------------------------------------------

@pytest.mark.parametrize("make_y", [
    lambda: np.arange(N).astype("datetime64[D]"),
    lambda: np.arange(N).astype("timedelta64[s]"),
    lambda: pd.Series(pd.to_timedelta(list(range(N - 1)) + [None], unit="s")),
    lambda: pd.Series(pd.date_range("2020-01-01", periods=N).tolist()[:-1] + [pd.NaT]),
    lambda: pd.Series(pd.date_range("2020-01-01", periods=N, tz="UTC")),
    lambda: pd.DataFrame({"t": pd.date_range("2020-01-01", periods=N), "v": np.arange(N)}),
], ids=["datetime64", "timedelta64", "series-td-NaT", "series-dt-NaT", "series-tz", "frame"])
def test_regressor_refuses_date_targets(X, make_y):
    with pytest.raises(ValueError, match=r"y holds dates or durations.*convert them to numbers"):
        _regressor().fit(X, make_y())


# 2. dates / durations held as objects in X ----------------------------------------------

@pytest.mark.parametrize("value", [
    np.datetime64("2020-01-01"), np.timedelta64(5, "h"), datetime.datetime(2020, 1, 1),
    datetime.timedelta(hours=5), pd.Timestamp("2020-01-01"), pd.Timedelta(hours=5),
], ids=lambda v: type(v).__name__)
@pytest.mark.parametrize("as_list", [False, True], ids=["ndarray", "list"])
def test_X_of_date_objects_refused(value, as_list):
    rows = [[value, 1.0]] + [[1.0, 2.0]] * 9
    X = rows if as_list else np.array(rows, dtype=object)
    with pytest.raises(ValueError, match="X holds dates or durations"):
        SOM((2, 2), random_state=0).fit(X, epochs=1)


def test_X_of_number_objects_still_accepted():
    X = np.array([[1, 2.5], [None, 4], [5, pd.NA]] * 4, dtype=object)
    som = SOM((2, 2), random_state=0, missing="ignore").fit(X, epochs=1)
    assert som.codebook_.shape == (4, 2)


# 3. pd.NA in mixed-dtype target frames / nullable boolean targets --------------------------

def test_regressor_na_in_mixed_target_frame_is_missing(X):
    a = np.arange(N, dtype=np.float64)
    a[[3, 17]] = np.nan
    b = np.linspace(0.0, 1.0, N)
    y_na = pd.DataFrame({"a": pd.array([None if np.isnan(v) else int(v) for v in a],
                                       dtype="Int64"), "b": b})
    y_nan = pd.DataFrame({"a": a, "b": b})
    got = _regressor().fit(X, y_na).predict(X)
    want = _regressor().fit(X, y_nan).predict(X)
    np.testing.assert_array_equal(got, want)


def test_regressor_na_in_boolean_series_is_missing(X):
    flags = np.arange(N) % 3 == 0
    y_na = pd.Series(pd.array([None if i == 5 else bool(f) for i, f in enumerate(flags)],
                              dtype="boolean"))
    y_nan = flags.astype(np.float64)
    y_nan[5] = np.nan
    got = _regressor().fit(X, y_na).predict(X)
    want = _regressor().fit(X, y_nan).predict(X)
    np.testing.assert_array_equal(got, want)


# 4. big-endian float32 and pandas' nullable Float32 stay float32 -----------------------------

@pytest.mark.parametrize("normalization", ["standard", "none"])
def test_float32_in_any_byte_order_or_nullable_trains_the_same_map(normalization):
    X32 = (np.random.default_rng(1).normal(size=(120, 3)) * 3 + 5).astype(np.float32)
    variants = [X32.astype(">f4"), pd.DataFrame(X32).astype("Float32"),
                pd.DataFrame(X32.astype(">f4"))]
    ref = SOM((4, 3), random_state=0, normalization=normalization).fit(X32, epochs=3)
    for data in variants:
        som = SOM((4, 3), random_state=0, normalization=normalization).fit(data, epochs=3)
        assert som.codebook_.dtype == ref.codebook_.dtype
        assert np.array_equal(som.codebook_, ref.codebook_)


# 5. nullable / object integers beyond 2**53 warn like numpy int64 ---------------------------

def _big_int_inputs() -> list:
    big = [2**60 + i for i in range(10)]
    small = list(range(10))
    return [
        pd.DataFrame({"a": pd.array(big[:-1] + [None], dtype="Int64"), "b": small}),
        pd.DataFrame({"a": pd.array(big, dtype="UInt64"), "b": small}),
        np.array([[v, s] for v, s in zip(big, small, strict=True)], dtype=object),
        [[v, s] for v, s in zip(big, small, strict=True)][:-1] + [[2**70, 1]],
    ]


@pytest.mark.parametrize("index", range(4), ids=["Int64", "UInt64", "object", "list"])
def test_integers_beyond_2_53_warn(index):
    data = _big_int_inputs()[index]
    with pytest.warns(UserWarning, match=r"beyond 2\*\*53.*rounded"):
        SOM((2, 2), random_state=0, missing="ignore", normalization="standard").fit(
            data, epochs=1)


def test_small_object_integers_do_not_warn(recwarn):
    X = np.array([[2**52, 1], [3, None]] * 5, dtype=object)
    SOM((2, 2), random_state=0, missing="ignore").fit(X, epochs=1)
    assert not [w for w in recwarn if "2**53" in str(w.message)]


# 6. column names that read the same as text ------------------------------------------------

def test_fit_refuses_names_clashing_as_text():
    rng = np.random.default_rng(0)
    df = pd.DataFrame({1: rng.normal(size=30), "1": rng.normal(size=30) * 100})
    with pytest.raises(ValueError, match=r"X has columns whose names.*1 and '1'.*rename"):
        SOM((3, 3), random_state=0).fit(df, epochs=1)


def test_int_names_still_match_their_text_at_predict():
    from scipy.spatial.distance import cdist

    rng = np.random.default_rng(0)
    df = pd.DataFrame(rng.normal(size=(30, 3)))
    som = SOM((3, 3), random_state=0).fit(df, epochs=1)
    text = df.rename(columns=str)
    want = cdist(df.to_numpy(), som.codebook_).argmin(axis=1)
    np.testing.assert_array_equal(som.predict(text), want)


# 7. the public normalizers check a DataFrame's columns ------------------------------------

@pytest.fixture
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    return pd.DataFrame({"a": rng.normal(size=30), "b": rng.normal(size=30) * 10 + 4})


@pytest.mark.parametrize("method", ["standard", "minmax"])
def test_normalizer_refuses_reordered_frame(frame, method):
    from somwidget.normalization import make_normalizer

    norm = make_normalizer(method).fit(frame)
    with pytest.raises(ValueError, match=r"X has columns \['b', 'a'\], but the normalizer was "
                                         r"fitted with \['a', 'b'\]"):
        norm.transform(frame[["b", "a"]])
    with pytest.raises(ValueError, match=r"columns \['a', 'c'\]"):
        norm.transform(frame.rename(columns={"b": "c"}))


def test_normalizer_frame_then_array_and_same_frame_accepted(frame):
    from somwidget.normalization import make_normalizer

    norm = make_normalizer("standard").fit(frame)
    values = frame.to_numpy()
    want = (values - values.mean(axis=0)) / values.std(axis=0)
    np.testing.assert_allclose(norm.transform(frame), want, rtol=1e-12)
    np.testing.assert_allclose(norm.transform(values), want, rtol=1e-12)
    array_fit = make_normalizer("standard").fit(values)
    swapped = frame[["b", "a"]].to_numpy()  # an array fit knows no names: by position
    np.testing.assert_allclose(array_fit.transform(frame[["b", "a"]]),
                               (swapped - values.mean(axis=0)) / values.std(axis=0), rtol=1e-12)


# 8. unhashable labels -------------------------------------------------------------------

@pytest.mark.parametrize("labels", [[{1}] * 20, [[1], [2]] * 10, [1] * 19 + [{"a": 1}]],
                         ids=["sets", "lists", "dict-last"])
def test_encode_labels_refuses_unhashable(labels):
    from somwidget.labels import encode_labels

    with pytest.raises(TypeError, match=r"labels must hold hashable class labels.*unhashable"):
        encode_labels(labels)


def test_som_label_counts_refuses_unhashable(X):
    som = SOM((2, 2), random_state=0).fit(X[:20], epochs=1)
    with pytest.raises(TypeError, match=r"labels must hold hashable class labels.*position 0"):
        som.label_counts([{1}] * 20, X[:20])


# 9. out-of-range BMU indices reported as given ----------------------------------------------

@pytest.mark.parametrize("bmus, shown", [
    (np.array([2**64 - 1] * 40, dtype=np.uint64), f"[{2**64 - 1}, {2**64 - 1}]"),
    (np.array([1.0] * 39 + [1e20]), f"[1, {int(1e20)}]"),
    (np.array([-3.0] * 39 + [2.0]), "[-3, 2]"),
    (np.array([2**63 - 1, 0], dtype=np.int64), f"[0, {2**63 - 1}]"),
], ids=["uint64-max", "float-1e20", "float-negative", "int64-max"])
def test_hit_counts_names_the_actual_out_of_range_values(bmus, shown):
    from somwidget import analysis

    with pytest.raises(ValueError, match=r"in \[0, 4\]; got values in " + re.escape(shown)):
        analysis.hit_counts(bmus, 5)


def test_in_range_uint64_and_float_bmus_still_count():
    from somwidget import analysis

    bmus = np.array([0, 4, 4, 2], dtype=np.uint64)
    want = np.bincount(bmus.astype(np.int64), minlength=5)
    np.testing.assert_array_equal(analysis.hit_counts(bmus, 5), want)
    np.testing.assert_array_equal(analysis.hit_counts(bmus.astype(float), 5), want)


@pytest.mark.parametrize("bmus", [np.array([0, 2**63 + 5], dtype=np.uint64), np.array([0.0, 1e19])])
def test_bmus_beyond_int64_are_refused_without_a_map_size(bmus):
    # a Selection bound before its map is known: they wrapped to -9223372036854775803
    from somwidget.widgets import Selection

    with pytest.raises(ValueError, match="in \\[0, 2\\*\\*63\\)"):
        Selection().bind(bmus)


def test_columns_of_one_repeated_nan_name_are_no_clash():
    # NaN != NaN: two columns both named NaN were refused as names that "read the same as text"
    frame = pd.DataFrame(np.random.default_rng(0).normal(size=(20, 2)), columns=[np.nan, np.nan])
    som = SOM((2, 2), random_state=0).fit(frame, epochs=1)
    np.testing.assert_array_equal(som.predict(frame), som.predict(frame.to_numpy()))
