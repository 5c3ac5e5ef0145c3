"""The results of a fitted SOM: predictions, quality measures, maps and tables.

``_ResultsMixin`` (a base of :class:`~somwidget.som.SOM`) holds ``predict``, ``transform``,
``best_matching_units``, the metrics (quantization / topographic error, vacancy, distortion),
``hit_counts``, ``umatrix``, ``quality_map``, ``label_counts`` / ``label_proportions``,
``codebook_in_data_units``, ``impute``, ``component_planes`` and ``classification_table``. They compute in
the training space through :mod:`somwidget.analysis` and :mod:`somwidget.labels`.
No module-level import of :mod:`somwidget.som` (no import cycle).
"""

from __future__ import annotations

import numpy as np

from . import bmu as _bmu
from . import scale as _scale
from ._som_calls import _limit_threads
from .validation import (
    check_choice,
    check_int,
    check_positive,
)


class _ResultsMixin:
    """Results and analyses of a fitted :class:`~somwidget.som.SOM`."""

    # ------------------------------------------------------------------ results
    @_scale.dispatch("predict")  # a Dask collection: lazy; device="cuda": on the GPU
    @_limit_threads
    def predict(self, X: object) -> np.ndarray:
        """Index of the best-matching unit of each sample, shape (N,)."""
        # a BMU search of these data for this codebook is reused (and this one kept for the
        # metrics and views that ask next)
        idx, _ = self._bmus2(self._require(X), k=1, compute=1)
        return idx[:, 0].copy()

    @staticmethod
    def _require(X: object) -> object:
        if X is None:
            raise ValueError("X is required; got None")
        return X

    @_scale.dispatch("transform")  # a Dask collection: lazy
    @_limit_threads
    def transform(self, X: object) -> np.ndarray:
        """Distances (data metric, training space) from each sample to each unit, shape (N, M):
        float32 for float32 data (as ``KMeans.transform``), else float64.

        A sample with missing values (``missing="ignore"``) is measured on its known components,
        rescaled to all of them (:func:`somwidget.bmu.distance_matrix_masked`); so are
        :meth:`predict`, :meth:`best_matching_units` and every metric.
        """
        Xt, _ = self._data(self._require(X))
        out = _bmu.distance_matrix(Xt, self.codebook_, metric=self._metric(),
                                   chunk_size=self.chunk_size,
                                   dtype=np.float32 if Xt.dtype == np.float32 else np.float64)
        return self._wrap_output(out, X)  # a DataFrame after set_output(transform="pandas")

    @_limit_threads
    def best_matching_units(self, X: object, k: int = 2) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` nearest units of each sample (GEMA ``calculate_bmu``).

        Returns
        -------
        indices : ndarray (N, k) int, distances : ndarray (N, k) float64
            Sorted by distance: column 0 is the BMU, column 1 the second BMU.
        """
        X = self._require(X)
        self._check_initialized()
        k = check_int("k", k, minimum=1, maximum=self.n_neurons_)
        idx, dist = self._bmus2(X, k=k, compute=k)
        return idx[:, :k].copy(), dist[:, :k].copy()

    @_scale.dispatch("quantization_error")  # Dask: one cached pass over the partitions
    @_limit_threads
    def quantization_error(self, X: object = None) -> float:
        """Mean distance from each sample to its BMU (training space, data metric)."""
        from . import analysis

        return float(analysis.quantization_error(self._bmus2(X)[1][:, 0]))

    @_scale.dispatch("calculate_quantization_error")  # Dask: the cached pass's sums
    @_limit_threads
    def calculate_quantization_error(self, X: object = None) -> float:
        """somnium's quantization error: mean absolute difference per feature (training space)."""
        from . import analysis

        Xt, _ = self._data(X)
        return float(
            analysis.mean_absolute_quantization_error(Xt, self.codebook_, self._bmus2(X)[0][:, 0])
        )

    @_scale.dispatch("topographic_error")  # Dask: one cached pass over the partitions
    @_limit_threads
    def topographic_error(self, X: object = None) -> float:
        """Fraction of samples whose second BMU is not adjacent to their BMU."""
        from . import analysis

        self._check_initialized()
        idx, _ = self._bmus2(X, k=min(2, self.n_neurons_))
        if idx.shape[1] < 2:
            return 0.0
        return float(analysis.topographic_error(idx[:, 0], idx[:, 1], self.lattice_))

    @_scale.dispatch("vacancy_rate")  # Dask: one cached pass over the partitions
    @_limit_threads
    def vacancy_rate(self, X: object = None) -> float:
        """Fraction of units that are the BMU of no sample."""
        from . import analysis

        return float(analysis.vacancy_rate(self._bmus2(X)[0][:, 0], self.n_neurons_))

    @_limit_threads
    def calculate_topographic_error(self, X: object = None) -> float:
        """somnium's spelling of :meth:`topographic_error` (same value: the fraction of samples
        whose second BMU is not adjacent to their BMU, of the latest training data by default)."""
        return self.topographic_error(X)

    @_limit_threads
    def calculate_vacancy_rate(self, X: object = None) -> float:
        """somnium's spelling of :meth:`vacancy_rate` (same value: the fraction of units that
        win no sample, of the latest training data by default)."""
        return self.vacancy_rate(X)

    @_limit_threads
    def distortion(
        self, X: object = None, radius: float | None = None, squared: bool = False
    ) -> float:
        """MiniSom's distortion ``sum_i sum_c h(d_grid(c, bmu_i); r) ||x_i - w_c||`` (a sum).

        Training space, data metric; ``squared=True`` gives the SOM energy function. The kernel
        is ``neighborhood`` with ``radius`` (default: the radius of the latest training epoch,
        else 1). See :func:`somwidget.analysis.distortion`.
        """
        from . import analysis

        self._check_initialized()
        if _scale.uses_dask(self, X):  # Dask: the in-memory sum per partition, added up
            from .scale import analyses as _scale_analyses

            r = check_positive("radius", getattr(self, "_last_radius", 1.0) if radius is None
                               else radius)
            return _scale_analyses.distortion(self, X, r, squared)
        Xt, _ = self._data(X)
        if radius is None:
            radius = getattr(self, "_last_radius", 1.0)
        radius = check_positive("radius", radius)
        bmus = self._bmus2(X)[0][:, 0]
        return float(
            analysis.distortion(
                Xt, self.codebook_, bmus, self.lattice_, self.neighborhood, radius,
                metric=self._metric(), squared=squared, chunk_size=self.chunk_size,
            )
        )

    @_scale.dispatch("hit_counts")  # Dask: one cached pass over the partitions
    @_limit_threads
    def hit_counts(self, X: object = None) -> np.ndarray:
        """Number of samples won by each unit, shape (M,)."""
        from . import analysis

        return np.asarray(analysis.hit_counts(self._bmus2(X)[0][:, 0], self.n_neurons_))

    @_limit_threads
    def umatrix(self, kind: str = "node") -> np.ndarray:
        """U-matrix: ``"node"`` (M,) mean distance to the lattice neighbours, or
        ``"interstitial"`` (2R-1, 2C-1) with median node cells (SOM Toolbox)."""
        from . import analysis

        self._check_initialized()
        kind = check_choice("kind", kind, ("node", "interstitial"))
        if kind == "node":
            return analysis.umatrix(self.codebook_, self.lattice_, metric=self._metric())
        return analysis.umatrix_interstitial(self.codebook_, self.lattice_, metric=self._metric())

    @_scale.dispatch("quality_map")  # Dask: per-unit sums of the cached pass
    @_limit_threads
    def quality_map(self, X: object = None) -> np.ndarray:
        """Mean BMU distance per unit (NaN where a unit has no hits), shape (M,)."""
        from . import analysis

        idx, dist = self._bmus2(X)
        return analysis.quality_map(idx[:, 0], dist[:, 0], self.n_neurons_)

    def _bmus_of(self, X: object) -> np.ndarray:
        """The BMU of each sample of ``X`` (None: the training data), on Dask data computed
        partition by partition (:func:`somwidget.scale.dask_bmus`)."""
        self._check_initialized()
        bmus = _scale.dask_bmus(self, X)
        return self._bmus2(X)[0][:, 0] if bmus is None else bmus

    @staticmethod
    def _check_labels(labels: object) -> object:
        if labels is None:
            raise ValueError("labels is required; got None")
        return labels

    @_limit_threads
    def label_counts(self, labels: object, X: object = None):
        """Per-unit counts of each label (DataFrame, M rows x classes)."""
        from . import labels as _labels

        bmus = self._bmus_of(X)
        return _labels.label_counts(bmus, self._check_labels(labels), self.n_neurons_)

    @_limit_threads
    def label_proportions(self, labels: object, X: object = None):
        """Per-unit label proportions (rows sum to 1; 0 for units without labelled hits)."""
        from . import labels as _labels

        bmus = self._bmus_of(X)
        return _labels.label_proportions(bmus, self._check_labels(labels), self.n_neurons_)

    def codebook_in_data_units(self) -> np.ndarray:
        """The codebook mapped back through ``normalizer_.inverse_transform``, shape (M, D).

        Raises a ``ValueError`` for a non-invertible normalisation (``"l2"``).
        """
        self._check_initialized()
        if not getattr(self.normalizer_, "invertible", True):
            raise ValueError(
                f"normalization={self.normalizer_.name!r} is not invertible, so the codebook has "
                "no data-unit form; use codebook_ (training space)"
            )
        return np.asarray(self.normalizer_.inverse_transform(self.codebook_), dtype=np.float64)

    @_limit_threads
    def impute(self, X: object) -> object:
        """Fill each missing value (NaN) of ``X`` from its sample's best-matching unit.

        The BMU of a sample with missing values uses its known components (as with
        ``missing="ignore"``, whatever this SOM's ``missing`` is; rows missing more than
        ``max_missing`` of their values are refused); each NaN then takes that unit's prototype
        component, in data units (:meth:`codebook_in_data_units`). Known values are returned
        unchanged.

        Parameters
        ----------
        X : array-like or DataFrame (N, D)
            Data in data units, NaN where a value is missing.

        Returns
        -------
        ndarray (N, D) float64, or a DataFrame with the index and columns of ``X``

        Raises
        ------
        ValueError
            For a normalisation without data units (``"l2"``), or rows missing too much.
        """
        self._check_initialized()
        if not getattr(self.normalizer_, "invertible", True):
            raise ValueError(
                f"impute needs the codebook in data units, and normalization="
                f"{self.normalizer_.name!r} is not invertible; train with another normalization"
            )
        arr = self._read_data(self._require(X), "X", missing=True)
        out = arr.copy()
        nan = np.isnan(arr)
        rows = np.flatnonzero(nan.any(axis=1))
        if rows.size:
            Xt = self.normalizer_._transform(arr[rows])
            bmus = _bmu.find_bmus(Xt, self.codebook_, metric=self._metric(), k=1,
                                  chunk_size=self.chunk_size)[0][:, 0]
            W = self.codebook_in_data_units()
            r, c = np.nonzero(nan[rows])
            out[rows[r], c] = W[bmus[r], c]
        if hasattr(X, "columns") and hasattr(X, "index"):
            import pandas as pd

            return pd.DataFrame(out, index=X.index, columns=X.columns)
        return out

    def component_planes(self) -> np.ndarray:
        """One value per unit and feature in data units (training space for ``"l2"``), (M, D)."""
        self._check_initialized()
        if not getattr(self.normalizer_, "invertible", True):
            return self.codebook_.copy()
        return self.codebook_in_data_units()

    @_limit_threads
    def classification_table(self, X: object = None, labels: object = None, extra: object = None,
                             *, clusters: object = None):
        """One row per sample: label (if given), BMU, its row/col, BMU distance, then the
        ``extra`` columns (GEMA ``Classification.classification_map``); with ``clusters`` (a
        ``som.cluster()`` result or one id per neuron) a ``cluster`` column after ``bmu``."""
        from . import labels as _labels

        self._check_initialized()
        _scale.trained_on_dask_error(self, X, "classification_table")
        idx, dist = self._bmus2(X)
        index = X.index if hasattr(X, "index") and hasattr(X, "columns") else None
        table = _labels.classification_table(
            idx[:, 0], dist[:, 0], self.lattice_, labels=labels, extra=extra, index=index
        )
        if clusters is not None:
            from .clustering import check_clustering

            ids = check_clustering(clusters, self.lattice_)
            table.insert(table.columns.get_loc("bmu") + 1, "cluster", ids[idx[:, 0]].astype(np.int64))
        return table
