"""ClusterMap: the map's clusters in a colour-blind-safe palette, with their borders.

The neurons are grouped by :meth:`somwidget.SOM.cluster` (Ward linkage with the lattice as
connectivity by default, so each cluster is one region; k chosen by the Davies–Bouldin index
unless given), filled with the Okabe–Ito palette (:mod:`.palettes`: neighbouring clusters never
share a colour) and outlined by their borders: the cell edges between neighbouring neurons of
different clusters, on both sides of a wrapped edge. Clicking a neuron selects its whole cluster
in the shared selection (shift-click adds the cluster), so every linked view, the inspector and
:meth:`ClusterMap.selected_samples` follow.

To draw the same borders over another view, pass the clustering to it:
``UMatrix(som, clusters=cmap.clustering)``, ``HitMap(som, X, clusters=...)``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import traitlets

from ..clustering import MapClustering, cluster_adjacency
from .lattice_view import LatticeView, _check_data, _cluster_ids
from .palettes import cluster_colors
from .selection import Selection

__all__ = ["ClusterMap"]

_METHOD_WORDS = {"ward": "Ward linkage on the lattice", "average": "average linkage on the lattice",
                 "complete": "complete linkage on the lattice", "single": "single linkage on the lattice",
                 "kmeans": "k-means on the codebook"}


class ClusterMap(LatticeView):
    """The clusters of a map, their borders, and cluster selection by click.

    Parameters
    ----------
    som : SOM
        A fitted (or initialised) SOM.
    X : array-like or DataFrame (N, D), optional
        Samples: adds hits and samples per cluster to the tooltips and binds the selection to
        them, so :meth:`selected_samples` lists the samples of the selected clusters.
    n_clusters : int or None
        Number of clusters; None chooses it by the Davies–Bouldin index (see :meth:`SOM.cluster`).
    method : {"ward", "average", "complete", "single", "kmeans"}
        Clustering method of :meth:`SOM.cluster`.
    clusters : MapClustering or array-like (n_neurons,), optional
        A clustering to draw instead of computing one (then ``n_clusters`` / ``method`` are
        unused and a retrained map keeps these ids).
    max_clusters, random_state
        Passed to :meth:`SOM.cluster`.
    palette : {"okabe_ito", "tableau"} or list of "#rrggbb"
        Cluster colours; Okabe–Ito (colour-blind safe) by default.
    selection : Selection, optional
        The shared selection.
    title : str, optional
    max_rate_hz : float
        Live refresh limit as a training callback (the clustering is recomputed on every refresh
        unless ``clusters`` was given).
    width : float, optional
        Width in CSS pixels of the live map (default: it fills its output); the static picture
        is that wide too. See :class:`LatticeView`.

    Attributes
    ----------
    clustering : MapClustering or None
        The clustering drawn (None when ``clusters`` was a plain array).
    """

    _view = traitlets.Unicode("clusters").tag(sync=True)
    select_by = traitlets.Unicode("category").tag(sync=True)  # a click selects the whole cluster
    _default_title = "Clusters of the map"
    _released_attributes = (*LatticeView._released_attributes, "_fixed", "clustering", "_ids")

    def __init__(
        self,
        som: Any,
        X: Any = None,
        *,
        n_clusters: int | None = None,
        method: str = "ward",
        clusters: Any = None,
        max_clusters: int | None = None,
        random_state: int | None = 0,
        palette: Any = "okabe_ito",
        selection: Selection | None = None,
        title: str | None = None,
        max_rate_hz: float = 15.0,
        show_values: bool = False,
        width: float | None = None,
    ) -> None:
        som = self._ensure_initialized(som, _check_data(X, "ClusterMap"))
        self._X = X
        self._n = None if X is None else len(X)
        self._fixed = None if clusters is None else clusters
        if clusters is not None:
            _cluster_ids(clusters, som.lattice_)
        self._cluster_params = {"n_clusters": n_clusters, "method": method,
                                "max_clusters": max_clusters, "random_state": random_state}
        if clusters is None:  # check the arguments now, with their own messages
            from ..clustering import CLUSTER_METHODS
            from ..validation import check_choice

            check_choice("method", method, CLUSTER_METHODS, {"k-means": "kmeans"})
        self.clustering: MapClustering | None = None
        self._ids: np.ndarray | None = None
        self._bound_selection: Selection | None = None
        super().__init__(som, X, selection=selection, title=title, max_rate_hz=max_rate_hz,
                         show_values=show_values, palette=palette, width=width)

    # ---- computing -----------------------------------------------------------------------------
    def _cluster(self) -> np.ndarray:
        if self._fixed is not None:
            self.clustering = self._fixed if isinstance(self._fixed, MapClustering) else None
            return _cluster_ids(self._fixed, self._som.lattice_).astype(np.int64)
        self.clustering = self._som.cluster(**self._cluster_params)
        return self.clustering.labels_

    def _compute(self, bmus: np.ndarray | None, distances: np.ndarray | None = None) -> dict[str, Any]:
        lat = self._som.lattice_
        m = int(lat.n_neurons)
        ids = self._cluster()
        self._ids = ids
        k = int(ids.max()) + 1 if ids.size else 0
        sizes = np.bincount(ids, minlength=k)
        cats = ids.astype(np.float64)
        c = self.clustering
        if self._title_arg:
            title = self._title_arg
        else:
            how = _METHOD_WORDS.get(c.method if c is not None else "", "given clusters")
            chosen = (", k chosen by the lowest Davies–Bouldin index"
                      if c is not None and c.scores_ is not None else "")
            title = f"{self._default_title}: {k} clusters ({how}{chosen})"
        tooltip = [({"name": "cluster", "format": "category"}, cats),
                   ({"name": "neurons in the cluster", "format": "int"}, sizes[ids].astype(np.float64))]
        if self._X is not None:
            b = np.asarray(self._som.predict(self._X) if bmus is None else bmus, dtype=np.int64)
            if b.shape != (self._n,):
                raise ValueError(f"bmus must have one entry per sample ({self._n}); got shape {b.shape}")
            self._bind(b)
            hits = np.bincount(b, minlength=m).astype(np.float64)
            per_cluster = np.bincount(ids[b], minlength=k).astype(np.float64)
            tooltip += [({"name": "samples in the cluster", "format": "int"}, per_cluster[ids]),
                        ({"name": "hits", "format": "int"}, hits)]
        names = [f"cluster {i} ({sizes[i]} neurons)" for i in range(k)]
        return {
            "values": cats, "vmin": 0.0, "vmax": max(k - 1.0, 1.0), "title": title,
            "value_label": "cluster", "style": "color", "sizes": None, "categories": cats,
            "category_names": names, "category_title": "cluster (click selects it)",
            "legend": "categories", "tooltip": tooltip, "border_ids": ids, "category_none": "",
            "category_colors": cluster_colors(cluster_adjacency(lat, ids), self._palette),
        }

    def _bind(self, bmus: np.ndarray) -> None:
        # as HitMap._bind: the selection lists the samples of the view that bound it first; a
        # map of other data sharing it shares the neurons only
        sel = self.selection
        if sel is None:
            return
        if sel._bind_view(self, bmus, data=self._X, n_neurons=int(self._som.lattice_.n_neurons),
                          copy=False):  # the selection reads the view's data, no copy of X
            self._bound_selection = sel

    def recluster(self, n_clusters: int | None = None, method: str | None = None, *,
                  max_clusters: int | None = None, clusters: Any = None) -> MapClustering | None:
        """Draw another clustering: a new ``n_clusters`` / ``method`` (None for ``n_clusters``:
        choose k again), or the given ``clusters``; redraws and returns :attr:`clustering`.

        The selection is cleared (its neurons belonged to the old clusters).
        """
        if clusters is not None:
            _cluster_ids(clusters, self._som.lattice_)
            self._fixed = clusters
        else:
            params = dict(self._cluster_params, n_clusters=n_clusters, max_clusters=max_clusters)
            if method is not None:
                params["method"] = method
            self._fixed = None
            self._cluster_params = params
        if self.selection is not None:
            self.selection.clear()
        self.refresh()
        return self.clustering

    # ---- clusters and the selection ------------------------------------------------------------
    @property
    def cluster_ids(self) -> np.ndarray:
        """The cluster id of every neuron drawn (a copy), shape (n_neurons,)."""
        return np.array(self._ids)

    def select_cluster(self, cluster: int | list[int], add: bool = False) -> list[int]:
        """Select every neuron of ``cluster`` (an id or a list of ids); returns the neurons."""
        wanted = np.atleast_1d(np.asarray(cluster))
        k = int(self._ids.max()) + 1
        if wanted.dtype.kind not in "iu" or wanted.min() < 0 or wanted.max() >= k:
            raise ValueError(f"cluster must be an id in 0..{k - 1} (or a list of them); got {cluster!r}")
        neurons = np.flatnonzero(np.isin(self._ids, wanted)).tolist()
        if add:
            self.selection.add(neurons)
        else:
            self.selection.select(neurons)
        return list(self.selection.neurons)

    @property
    def selected_clusters(self) -> list[int]:
        """The clusters with at least one selected neuron."""
        ks = np.asarray(self.selection.neurons, dtype=np.int64)
        return sorted({int(c) for c in self._ids[ks]}) if ks.size else []

    def selected_samples(self) -> pd.DataFrame:
        """The samples of ``X`` mapped to the selected neurons, with ``bmu`` and ``cluster``."""
        if self._X is None:
            raise ValueError("selected_samples needs the samples: ClusterMap(som, X)")
        out = self.selection.samples
        out["cluster"] = self._ids[out["bmu"].to_numpy(dtype=np.int64)]
        return out
