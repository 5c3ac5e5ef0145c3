"""The plane the input-space view draws: the data in training space and their 2-D projection.

Everything the :class:`~somwidget.widgets.input_space.InputSpaceView` draws lives in the SOM's
**training space** (the data after ``som.normalizer_``, where the codebook lives), so the data and
the codebook always share exactly one projection, whatever the normalisation:

* ``features=(i, j)`` (indices or names, :func:`resolve_features`): those two features;
* else the two features themselves when the data have two (one feature: it alone, along x);
* else the two leading principal components of the training-space data (:func:`plane_projection`
  computes them once per rebuild, so the picture does not jump while the net moves).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..bmu import has_missing
from ..initialization import principal_components
from ..validation import check_int
from ._common import match_feature

__all__ = ["PlaneProjection", "plane_projection", "resolve_features", "training_space"]


@dataclass(frozen=True)
class PlaneProjection:
    """A projection ``xy = (Y - center) @ matrix`` of training-space vectors ``Y`` (N, D).

    Attributes
    ----------
    matrix : ndarray (D, 2)
    center : ndarray (D,)
    x_label, y_label : str
        The axes' labels: feature names, or ``PC1 (62% var.)``.
    kind : str
        ``"features"`` or ``"pca"``.
    """

    matrix: np.ndarray
    center: np.ndarray
    x_label: str
    y_label: str
    kind: str


def resolve_features(features: Sequence[int | str] | None, names: Sequence[str],
                     d: int) -> tuple[int, int] | None:
    """The two feature indices ``features`` names (indices in ``[0, d)`` or names among
    ``names``), None without them; a ValueError naming ``features`` otherwise."""
    if features is None:
        return None
    if isinstance(features, str) or len(features) != 2:
        raise ValueError(f"features must be a pair of feature indices or names; got {features!r}")
    out = []
    for v in features:
        if isinstance(v, str):
            out.append(match_feature(v, names))
        else:
            out.append(check_int("features", v, minimum=0, maximum=d - 1))
    return out[0], out[1]


def training_space(som: Any, X: np.ndarray) -> np.ndarray:
    """``X`` in the SOM's training space, float64 (float32 data too: the points of the float64
    path); with ``missing="ignore"`` a sample's gaps are filled from its BMU's vector."""
    Xt = np.asarray(som.normalizer_.transform(np.asarray(X, dtype=np.float64)), dtype=np.float64)
    if has_missing(Xt):  # missing="ignore": a sample is drawn with its BMU filling its gaps
        Xt = np.where(np.isnan(Xt), som.codebook_[som.predict(X)], Xt)
    return Xt


def plane_projection(Xt: np.ndarray, names: Sequence[str],
                     features: tuple[int, int] | None) -> PlaneProjection:
    """The projection of the training-space data ``Xt`` (N, D) the view draws (module notes):
    the two ``features``, the only two or one, else the two leading principal components."""
    d = Xt.shape[1]
    if features is None and d == 2:
        features = (0, 1)
    if features is not None:
        proj = np.zeros((d, 2))
        proj[features[0], 0] = 1.0
        proj[features[1], 1] = 1.0
        return PlaneProjection(proj, np.zeros(d), names[features[0]], names[features[1]],
                               "features")
    if d == 1:
        return PlaneProjection(np.array([[1.0, 0.0]]), np.zeros(1), names[0], "", "features")
    # the data's principal axes, largest first, each with its largest component positive (a
    # single sample or constant data: zero variance, the feature axes)
    center, evals, evecs = principal_components(Xt)
    total = float(evals.sum()) or 1.0
    share = evals[:2] / total
    return PlaneProjection(evecs[:, :2], center, f"PC1 ({share[0]:.0%} var.)",
                           f"PC2 ({share[1]:.0%} var.)", "pca")
