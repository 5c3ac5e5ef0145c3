"""A SOM's initialisation: the normaliser fitted, the map sized and the first codebook built.

``_InitMixin`` (a base of :class:`~somwidget.som.SOM`) holds :meth:`initialize` and
``_initialize_from`` (what the first training call runs): the data read and checked, the
normaliser fitted and applied (float32 stays float32), ``mapsize="auto"`` resolved, the map's
memory and the data's range checked, and the initial codebook built by
:func:`somwidget.initialization.initial_codebook_and_plane` (with the PCA plane the first
epoch's search may use), all written through ``_set_fitted``. No import of :mod:`somwidget.som`.
"""

from __future__ import annotations

from typing import TypeVar

import numpy as np

from . import _blas_threads, _data_stats
from . import bmu as _bmu
from . import scale as _scale
from ._bmu_common import into_metric_box
from ._map_memory import check_map_memory
from ._som_calls import _limit_threads
from ._som_sklearn import _check_y
from .euclidean import warn_disparate_scales
from .initialization import auto_mapsize, initial_codebook_and_plane
from .lattice import Lattice
from .normalization import make_normalizer
from .validation import check_training_range, warn_sparse_map

__all__: list[str] = []

#: the SOM a method returns (itself)
_S = TypeVar("_S", bound="_InitMixin")


class _InitMixin:
    """:meth:`initialize` of :class:`~somwidget.som.SOM` (see the module notes)."""

    @_scale.dispatch("initialize")  # a Dask collection: moments per partition
    @_limit_threads
    def initialize(self: _S, X: object, y: object = None) -> _S:
        """Fit the normaliser, resolve the map size and initialise the codebook (no training).

        Parameters
        ----------
        X : array-like or pandas.DataFrame (N, D)
            Data in data units; DataFrame column names become ``feature_names_in_``.
        y : ignored
            Accepted for the scikit-learn convention.

        Returns
        -------
        SOM
            ``self``.
        """
        _check_y("initialize", y)
        self._initialize_from(X)
        return self

    def _initialize_from(self, X: object) -> np.ndarray:
        """:meth:`initialize`; returns the training-space data (for the training call that
        initialises on first use)."""
        p = self._validated()
        _bmu.check_trainable_metric(p["distance_metric"])
        arr, names = self._read_array("X", X, keep_float32=True)
        rs = p["random_state"]
        rng = rs if isinstance(rs, np.random.Generator) else np.random.default_rng(rs)
        normalizer = make_normalizer(p["normalization"])
        normalizer.fit(arr)
        Xt = np.ascontiguousarray(normalizer._transform(arr))  # float32 stays float32
        if p["normalization"] == "none" and Xt.shape[0] >= 2:
            # the features' spreads from the shared summary's [min; max] rows (no data pass)
            warn_disparate_scales(_data_stats.summary_of(Xt).box())
        if p["mapsize"] == "auto":
            rows, cols = (int(v) for v in auto_mapsize(Xt, p["lattice"]))
        else:
            rows, cols = p["mapsize"]
        check_training_range("X", Xt, normalizer.name)
        _bmu.check_metric_domain(p["distance_metric"], Xt)
        check_map_memory(rows, cols, Xt.shape[1])
        lattice = Lattice(rows, cols, p["lattice"], rect_adjacency=p["rect_adjacency"])
        warn_sparse_map(lattice.n_neurons, Xt.shape[0])
        # on one BLAS thread (no OpenBLAS thread left spinning on the cores the first epochs'
        # worker threads need, somwidget._blas_threads)
        with _blas_threads.single_threaded():
            codebook, plane = initial_codebook_and_plane(p["initialization"], Xt, lattice, rng)
        codebook = into_metric_box(p["distance_metric"], codebook)  # dice: into [0, 1]
        _bmu.check_metric_domain(
            p["distance_metric"], codebook, "the initial codebook",
            f"; initialization={p['initialization']!r} put prototypes there, try 'sample'")
        self._set_fitted(
            codebook=codebook, lattice=lattice, normalizer=normalizer, feature_names=names,
            random_state=rng, training_data=Xt, training_source=X, plane=plane,
        )
        return Xt
