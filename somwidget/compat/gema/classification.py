"""GEMA's ``Classification``: data mapped onto a trained :class:`~somwidget.compat.gema.Map`.

Every attribute GEMA documents, with GEMA's shapes (2-D ``(size, size)`` maps indexed
``[row, col]``), computed from one k=2 BMU search of somwidget's estimator.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ...som import SOM
from ...validation import check_array
from .map import Map

__all__ = ["Classification"]


class Classification:
    """Classify data on a trained map and measure it (GEMA's ``Classification``).

    Parameters
    ----------
    som : Map
        A trained map (a fitted :class:`somwidget.SOM` is accepted too).
    classification_data : ndarray (N, D), or (N, D + 1) with ``tagged``
        The data, in the units the map was trained on.
    other : pandas.DataFrame, optional
        Extra columns appended to :attr:`classification_map` (aligned by position).
    tagged : bool
        The first column of ``classification_data`` holds the labels.
    verbose : {0, 1, 2}
        2 prints the labels and the data (GEMA's debug output); 0 and 1 print nothing (the
        classification is one vectorised search, there is no progress to show).

    Attributes
    ----------
    som : Map
        The map classified on.
    classification_data : ndarray (N, D)
    classification_labels : ndarray (N,)
        The labels (``tagged``) or ``0 .. N-1``.
    activations_map : ndarray (rows, cols) int
        How many samples each neuron won.
    distances_map : ndarray (rows, cols) float
        Cumulative distance between each neuron and the samples it won (a sum per neuron; GEMA
        rounded it to 5 decimals, it is kept exact here).
    topological_map : ndarray (rows, cols) float
        Per neuron, how many of its samples have a second BMU that is not adjacent to it.
    topological_error : float
        Fraction of samples whose second BMU is not adjacent to the first (4 neighbours on a
        rectangular map, 6 on a hexagonal one).
    quantization_error : float
        Mean distance between each sample and its BMU.
    topological_error_map, quantization_error_map : ndarray (rows, cols) float
        ``topological_map`` and ``distances_map`` divided by the activations; 0 for neurons
        that won nothing (GEMA left those cells uninitialised).
    num_activations : int
        Neurons that won at least one sample.
    mean_distance_map : float
        Total distance divided by ``num_activations``.
    umatriz : ndarray (2 rows - 1, 2 cols - 1)
        Interstitial U-matrix (SOM Toolbox layout: neuron (r, c) at (2r, 2c), edge cells the
        distance of the two neurons, neuron cells the median of their edge cells, where GEMA
        left 0).
    classification_map : pandas.DataFrame
        One row per sample: ``labels``, ``data`` (the sample as a list), ``x`` (BMU row), ``y``
        (BMU column), ``dist`` (distance to the BMU), then the ``other`` columns.
    """

    def __init__(self, som: Map | SOM, classification_data: Any, other: Any = None,
                 tagged: bool = False, verbose: int = 1) -> None:
        if isinstance(som, SOM):
            som = Map._from_som(som)
        if not isinstance(som, Map):
            raise TypeError(f"som must be a trained Map (or a fitted somwidget SOM); got "
                            f"{type(som).__name__}")
        som._check_trained()
        if verbose not in (0, 1, 2) or isinstance(verbose, bool):
            raise ValueError(f"verbose must be 0, 1 or 2; got {verbose!r}")
        if not isinstance(tagged, (bool, np.bool_)):
            raise TypeError(f"tagged must be True or False; got {tagged!r}")
        raw = classification_data.to_numpy() if isinstance(classification_data, pd.DataFrame) \
            else np.asarray(classification_data)
        if raw.ndim != 2:
            raise ValueError(f"classification_data must be a 2-D array (samples x features); got "
                             f"shape {raw.shape}")
        if tagged:
            if raw.shape[1] < 2:
                raise ValueError("tagged classification_data needs a label column and at least one "
                                 "feature column")
            labels, raw = raw[:, 0], raw[:, 1:]
        else:
            labels = np.arange(raw.shape[0])
        data, _ = check_array("classification_data", raw.astype(np.float64),
                              n_features=int(som.som.n_features_in_))
        self.som = som
        self.classification_labels = labels
        self.classification_data = data
        if verbose == 2:
            print("\n\nTags: \n" + str(labels))
            print("\n\nClassification data: \n" + str(data))

        rows, cols = som.shape
        m = rows * cols
        idx, dist = som.som.best_matching_units(data, k=2)
        bmu, bmu2, d1 = idx[:, 0], idx[:, 1], dist[:, 0]
        not_adjacent = ~som.som.lattice_.are_adjacent(bmu, bmu2)
        activations = np.bincount(bmu, minlength=m)
        distances = np.bincount(bmu, weights=d1, minlength=m)
        topological = np.bincount(bmu, weights=not_adjacent.astype(np.float64), minlength=m)
        self.activations_map = activations.reshape(rows, cols).astype(int)
        self.distances_map = distances.reshape(rows, cols)
        self.topological_map = topological.reshape(rows, cols)
        self.num_activations = int(np.count_nonzero(activations))
        n = data.shape[0]
        self.topological_error = float(not_adjacent.sum() / n)
        self.quantization_error = float(d1.sum() / n)
        self.mean_distance_map = float(distances.sum() / max(1, self.num_activations))
        won = self.activations_map > 0
        self.topological_error_map = np.divide(self.topological_map, self.activations_map,
                                               out=np.zeros((rows, cols)), where=won)
        self.quantization_error_map = np.divide(self.distances_map, self.activations_map,
                                                out=np.zeros((rows, cols)), where=won)
        self.umatriz = np.asarray(som.som.umatrix(kind="interstitial"), dtype=np.float64)
        r, c = np.divmod(bmu, cols)
        table = pd.DataFrame({
            "labels": list(labels),
            "data": [list(row) for row in data],
            "x": r.astype(int),
            "y": c.astype(int),
            "dist": d1,
        })
        if other is not None:
            extra = other if isinstance(other, pd.DataFrame) else pd.DataFrame(other)
            if len(extra) != n:
                raise ValueError(f"other must have one row per sample ({n}); got {len(extra)}")
            table = pd.concat([table, extra.reset_index(drop=True)], axis=1)
        self.classification_map = table

    def __repr__(self) -> str:
        return (f"Classification({len(self.classification_data)} samples on a "
                f"{self.som.shape[0]}x{self.som.shape[1]} map: quantization_error="
                f"{self.quantization_error:.4g}, topological_error={self.topological_error:.4g})")
