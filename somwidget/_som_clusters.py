"""A SOM's map clustering: the neurons grouped into regions, and each sample's region.

``_ClustersMixin`` (a base of :class:`~somwidget.som.SOM`) holds :meth:`cluster` (Ward linkage
over the lattice, or k-means on the codebook, k chosen by the Davies–Bouldin index when not
given; :mod:`somwidget.clustering` does the work) and :meth:`predict_cluster` (the cluster of
each sample's best-matching unit). No import of :mod:`somwidget.som`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._som_calls import _limit_threads

__all__: list[str] = []


class _ClustersMixin:
    """:meth:`cluster` and :meth:`predict_cluster` of :class:`~somwidget.som.SOM`."""

    @_limit_threads
    def cluster(
        self,
        n_clusters: int | None = None,
        method: str = "ward",
        *,
        max_clusters: int | None = None,
        random_state: int | np.random.Generator | None = 0,
        n_init: int = 10,
    ) -> Any:
        """Group the neurons into clusters: one cluster id per neuron.

        Ward linkage (default) with the lattice as connectivity merges neighbouring neurons only,
        so each cluster is one connected region of the map, wrap-around included; ``"kmeans"``
        clusters the codebook vectors without regard to the lattice. ``n_clusters=None``
        chooses k from 2 to ``max_clusters`` (default ``min(round(sqrt(M)), 20)``) by the lowest
        Davies–Bouldin index, as the SOM Toolbox's ``kmeans_clusters``; the index of every k is
        in ``scores_``. Distances are Euclidean in the training space. Details:
        :mod:`somwidget.clustering`.

        Parameters
        ----------
        n_clusters : int or None
            Number of clusters, or None to choose it.
        method : {"ward", "average", "complete", "single", "kmeans"}
        max_clusters : int, optional, keyword-only
            Largest k tried when ``n_clusters`` is None.
        random_state : int, Generator or None, keyword-only
            Seed of k-means (the agglomerative methods are deterministic).
        n_init : int, keyword-only
            k-means restarts per k.

        Returns
        -------
        MapClustering
            ``labels_`` (M,) int ids ``0..k-1`` numbered by their first neuron, ``n_clusters_``,
            ``scores_`` (Davies–Bouldin per k, or None), ``centroids_``; ``np.asarray(result)``
            is ``labels_``.
        """
        from .clustering import cluster_codebook

        self._check_initialized()
        return cluster_codebook(self.codebook_, self.lattice_, n_clusters, method,
                                max_clusters=max_clusters, random_state=random_state, n_init=n_init)

    @_limit_threads
    def predict_cluster(self, X: object, clusters: Any = None, **cluster_params: Any) -> np.ndarray:
        """Cluster id of each sample: the cluster of its best-matching unit, shape (N,).

        Parameters
        ----------
        X : array-like or DataFrame (N, D)
            Data in data units.
        clusters : MapClustering or array-like (M,) of int, optional
            The neurons' cluster ids (``som.cluster(...)``, computed on a map of this SOM's
            lattice, or non-negative integer ids, see
            :func:`somwidget.clustering.check_clustering`); computed with ``cluster_params``
            (the arguments of :meth:`cluster`) when omitted.

        Returns
        -------
        ndarray of int64, shape (N,)
        """
        from .clustering import check_clustering

        if clusters is None:
            clusters = self.cluster(**cluster_params)
        elif cluster_params:
            raise TypeError("predict_cluster: give clusters= or clustering arguments "
                            f"({', '.join(cluster_params)}), not both")
        self._check_initialized()
        ids = check_clustering(clusters, self.lattice_, "clusters")
        return ids[self.predict(X)]
