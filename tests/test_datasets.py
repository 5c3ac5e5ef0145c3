"""Tests of the bundled data sets: shapes, names, known values, packaging."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import somwidget.datasets as ds
from somwidget.datasets import (
    list_datasets,
    load_blobs2d,
    load_colors,
    load_dataset,
    load_iris,
    load_wine,
)

LOADERS = {"iris": load_iris, "wine": load_wine, "colors": load_colors, "blobs2d": load_blobs2d}
SHAPES = {"iris": (150, 4), "wine": (178, 13), "colors": (148, 3), "blobs2d": (600, 2)}
WINE_COLUMNS = [
    "alcohol",
    "malic_acid",
    "ash",
    "alcalinity_of_ash",
    "magnesium",
    "total_phenols",
    "flavanoids",
    "nonflavanoid_phenols",
    "proanthocyanins",
    "color_intensity",
    "hue",
    "od280/od315_of_diluted_wines",
    "proline",
]


def test_list_datasets():
    assert list_datasets() == ["blobs2d", "colors", "iris", "wine"]


@pytest.mark.parametrize("name", sorted(LOADERS))
def test_common_contract(name):
    df = LOADERS[name]()
    n, d = SHAPES[name]
    assert isinstance(df, pd.DataFrame)
    assert df.shape == (n, d + 1)
    assert df.columns[-1] == "label"
    features = df.drop(columns="label")
    assert all(pd.api.types.is_float_dtype(t) for t in features.dtypes)
    assert not df.isna().any().any()
    assert all(isinstance(v, str) for v in df["label"])
    X, y = LOADERS[name](return_X_y=True)
    assert isinstance(X, pd.DataFrame) and isinstance(y, pd.Series)
    assert list(X.columns) == list(features.columns) and y.name == "label"
    pd.testing.assert_frame_equal(X, features)
    assert y.tolist() == df["label"].tolist()
    # each call gives an independent copy
    df.iloc[0, 0] = -999.0
    assert LOADERS[name]().iloc[0, 0] != -999.0
    pd.testing.assert_frame_equal(load_dataset(name.upper()), LOADERS[name]())


def test_iris_known_values():
    df = load_iris()
    assert list(df.columns) == ["sepal_length", "sepal_width", "petal_length", "petal_width", "label"]
    assert df.iloc[0, :4].tolist() == [5.1, 3.5, 1.4, 0.2]
    assert df["label"].value_counts().to_dict() == {"setosa": 50, "versicolor": 50, "virginica": 50}
    assert df.iloc[-1].tolist() == [5.9, 3.0, 5.1, 1.8, "virginica"]
    # Fisher's published column means (cm)
    np.testing.assert_allclose(
        df.iloc[:, :4].mean().to_numpy(), [5.843333, 3.057333, 3.758, 1.199333], atol=1e-6
    )


def test_wine_known_values():
    df = load_wine()
    assert list(df.columns) == WINE_COLUMNS + ["label"]
    assert df["label"].value_counts().to_dict() == {"class_1": 71, "class_0": 59, "class_2": 48}
    first = df.iloc[0]
    assert first["alcohol"] == 14.23 and first["proline"] == 1065.0
    assert first["label"] == "class_0"
    assert df["proline"].between(278, 1680).all()
    assert df["hue"].between(0.48, 1.71).all()


def test_colors_known_values():
    df = load_colors()
    assert list(df.columns) == ["r", "g", "b", "label"]
    rgb = df[["r", "g", "b"]].to_numpy()
    assert ((rgb >= 0) & (rgb <= 255)).all() and (rgb == np.round(rgb)).all()
    assert df["label"].is_unique
    by_name = df.set_index("label")[["r", "g", "b"]]
    known = {
        "red": (255, 0, 0),
        "lime": (0, 255, 0),
        "blue": (0, 0, 255),
        "white": (255, 255, 255),
        "black": (0, 0, 0),
        "rebeccapurple": (102, 51, 153),
        "cornflowerblue": (100, 149, 237),
        "gray": (128, 128, 128),
        "orange": (255, 165, 0),
    }
    for name, value in known.items():
        assert tuple(by_name.loc[name]) == value, name
    assert tuple(by_name.loc["grey"]) == tuple(by_name.loc["gray"])
    assert tuple(by_name.loc["cyan"]) == tuple(by_name.loc["aqua"])


def test_blobs_match_documented_centres():
    df = load_blobs2d()
    assert list(df.columns) == ["x", "y", "label"]
    assert df["label"].tolist() == [f"blob_{i}" for i in range(4) for _ in range(150)]
    centres = np.array([[0.0, 0.0], [5.0, 5.0], [-5.0, 4.0], [4.0, -4.0]])
    stds = np.array([1.0, 0.8, 1.2, 0.6])
    for i in range(4):
        pts = df.loc[df["label"] == f"blob_{i}", ["x", "y"]].to_numpy()
        # mean within 4 standard errors, std within 20% of the documented values
        assert (np.abs(pts.mean(axis=0) - centres[i]) < 4 * stds[i] / np.sqrt(150)).all()
        np.testing.assert_allclose(pts.std(axis=0, ddof=1), stds[i], rtol=0.2)
    # values are stored with 4 decimals
    np.testing.assert_allclose(df[["x", "y"]].to_numpy(), df[["x", "y"]].round(4).to_numpy())


def test_unknown_dataset_name_lists_choices():
    with pytest.raises(ValueError, match=r"name must be one of 'blobs2d', 'colors', 'iris', 'wine'"):
        load_dataset("mnist")


def test_csv_files_are_package_data_and_not_ignored():
    pkg = Path(ds.__file__).parent
    files = sorted(p.name for p in pkg.glob("*.csv"))
    assert files == ["blobs2d.csv", "colors.csv", "iris.csv", "wine.csv"]
    repo = pkg.parent.parent
    if not (repo / ".git").exists():
        pytest.skip("not a git checkout")
    res = subprocess.run(
        ["git", "check-ignore", *[str(pkg / f) for f in files]],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
    )
    assert res.returncode == 1 and res.stdout == "", f"ignored by git: {res.stdout}"
