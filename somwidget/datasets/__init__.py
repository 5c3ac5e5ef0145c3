"""Small data sets bundled with somwidget (CSV files inside the package, no network access).

Every loader returns a :class:`pandas.DataFrame` with named float64 feature columns and a
``label`` column of strings, or ``(X, y)`` with ``return_X_y=True``::

    from somwidget.datasets import load_iris
    df = load_iris()
    X, y = load_iris(return_X_y=True)

========== ======= ========== ===============================================================
name       samples features   labels
========== ======= ========== ===============================================================
iris       150     4          species: setosa, versicolor, virginica (50 each)
wine       178     13         cultivar: class_0 (59), class_1 (71), class_2 (48)
colors     148     3 (r,g,b)  the CSS colour name (one sample per name)
blobs2d    600     2 (x,y)    blob_0 .. blob_3 (150 each)
========== ======= ========== ===============================================================
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from importlib import resources
from typing import Any, TypeVar

from somwidget.validation import check_choice

__all__ = [
    "list_datasets",
    "load_blobs2d",
    "load_colors",
    "load_dataset",
    "load_iris",
    "load_wine",
]

_FILES = {
    "blobs2d": "blobs2d.csv",
    "colors": "colors.csv",
    "iris": "iris.csv",
    "wine": "wine.csv",
}


_F = TypeVar("_F", bound=Callable[..., Any])

_LOADER_SECTIONS = """

Parameters
----------
return_X_y : bool
    If True, return ``(X, y)`` instead of one DataFrame (True or False; anything else is a
    TypeError).

Returns
-------
pandas.DataFrame or (pandas.DataFrame, pandas.Series)
"""


def _loader(func: _F) -> _F:
    """Append the Parameters / Returns sections every ``load_*`` function shares."""
    func.__doc__ = inspect.cleandoc(func.__doc__ or "") + _LOADER_SECTIONS
    return func


def _load(name: str, return_X_y: bool) -> Any:
    if not isinstance(return_X_y, bool):  # numpy's bool_ too: it is not an int subclass
        import numpy as np

        if not isinstance(return_X_y, np.bool_):
            raise TypeError(f"return_X_y must be True or False; got {return_X_y!r}")
        return_X_y = bool(return_X_y)
    import pandas as pd  # on first use: importing pandas takes about 0.3 s

    with resources.files(__name__).joinpath(_FILES[name]).open("r", encoding="utf-8") as f:
        df = pd.read_csv(f, dtype={"label": str})
    features = [c for c in df.columns if c != "label"]
    df[features] = df[features].astype("float64")
    if return_X_y:
        return df[features].copy(), df["label"].copy()
    return df


def list_datasets() -> list[str]:
    """Names of the bundled data sets, for :func:`load_dataset`.

    Returns
    -------
    list of str
        ``["blobs2d", "colors", "iris", "wine"]``.
    """
    return sorted(_FILES)


def load_dataset(name: str, return_X_y: bool = False) -> Any:
    """Load a bundled data set by name (one of :func:`list_datasets`).

    Parameters
    ----------
    name : str
        Data set name (case-insensitive).
    return_X_y : bool
        If True, return ``(X, y)``: the feature DataFrame and the ``label`` Series.

    Returns
    -------
    pandas.DataFrame or (pandas.DataFrame, pandas.Series)
    """
    canonical = check_choice("name", name, tuple(sorted(_FILES)))
    return _load(canonical, return_X_y)


@_loader
def load_iris(return_X_y: bool = False) -> Any:
    """Fisher's Iris flowers: 150 samples, 4 features in cm, 3 species.

    Columns ``sepal_length``, ``sepal_width``, ``petal_length``, ``petal_width`` and ``label``
    (``"setosa"``, ``"versicolor"``, ``"virginica"``, 50 samples each).

    Source: R. A. Fisher (1936), "The use of multiple measurements in taxonomic problems", via the
    UCI Machine Learning Repository (https://archive.ics.uci.edu/dataset/53/iris), in the corrected
    version shipped with scikit-learn and R (it differs from the UCI file in two values, as noted in
    scikit-learn's description). Licence: CC BY 4.0 (UCI).
    """
    return _load("iris", return_X_y)


@_loader
def load_wine(return_X_y: bool = False) -> Any:
    """Wine recognition: chemical analysis of 178 Italian wines from three cultivars.

    The 13 UCI attributes as columns ``alcohol``, ``malic_acid``, ``ash``, ``alcalinity_of_ash``,
    ``magnesium``, ``total_phenols``, ``flavanoids``, ``nonflavanoid_phenols``,
    ``proanthocyanins``, ``color_intensity``, ``hue``, ``od280/od315_of_diluted_wines``,
    ``proline``, and ``label`` (``"class_0"`` 59, ``"class_1"`` 71, ``"class_2"`` 48 samples).
    The features have very different scales (proline is in the hundreds, hue around 1), which
    makes it a good data set to show why normalisation matters.

    Source: M. Forina et al., PARVUS (1991), via the UCI Machine Learning Repository
    (https://archive.ics.uci.edu/dataset/109/wine), copy shipped with scikit-learn.
    Licence: CC BY 4.0 (UCI).
    """
    return _load("wine", return_X_y)


@_loader
def load_colors(return_X_y: bool = False) -> Any:
    """The 148 CSS named colours as RGB: the classic SOM colour-map demonstration.

    Columns ``r``, ``g``, ``b`` (0..255) and ``label`` (the CSS name, e.g. ``"red"`` is 255, 0, 0).
    Some names are synonyms with identical values (``gray``/``grey``, ``aqua``/``cyan``,
    ``fuchsia``/``magenta``, ...).

    Source: the named colours of the W3C CSS Color Module Level 4
    (https://www.w3.org/TR/css-color-4/#named-colors), written out for somwidget and checked
    against a browser's rendering of each name. The list of names and values is a set of facts
    from a W3C specification; the file is distributed under somwidget's MIT licence.
    """
    return _load("colors", return_X_y)


@_loader
def load_blobs2d(return_X_y: bool = False) -> Any:
    """Four Gaussian blobs in the plane: 600 points, easy to see in the input-space view.

    Columns ``x``, ``y`` and ``label`` (``"blob_0"`` .. ``"blob_3"``, 150 points each, in that
    order). Blob centres and standard deviations (isotropic):

    ======= ============ =====
    label   centre       std
    ======= ============ =====
    blob_0  (0, 0)       1.0
    blob_1  (5, 5)       0.8
    blob_2  (-5, 4)      1.2
    blob_3  (4, -4)      0.6
    ======= ============ =====

    Source: synthetic, generated once for somwidget with
    ``numpy.random.default_rng(20240601)`` (``centre + std * standard_normal((150, 2))`` per blob,
    in label order) and rounded to 4 decimals. Licence: MIT, as somwidget.
    """
    return _load("blobs2d", return_X_y)
