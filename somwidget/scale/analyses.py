"""Analyses of Dask data beyond the cached best-two pass of :func:`somwidget.scale.dask.metrics`.

``SOM.distortion`` of a Dask collection (or of the Dask training data): MiniSom's sum
``sum_i sum_c h(c, bmu_i) d(x_i, w_c)`` is additive over the rows, so each partition computes
the in-memory :func:`somwidget.analysis.distortion` of its rows and the client adds them up.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import analysis
from ..bmu import find_bmus
from ..lattice import Lattice
from ..normalization import Normalizer
from ._graph import BlockDomain, MissingPolicy, _compute, _training_block, _tree
from ._optional import require_dask
from .dask import block_domain, dask_input

__all__ = ["distortion"]


def _block_distortion(block: Any, d: int, normalizer: Normalizer, codebook: np.ndarray,
                      metric: str, lattice: Lattice, neighborhood: str, radius: float,
                      squared: bool, chunk_size: int | None, policy: MissingPolicy | None,
                      domain: BlockDomain | None) -> float:
    x = _training_block(block, d, normalizer, policy=policy, domain=domain)
    if x.shape[0] == 0:
        return 0.0
    bmus = find_bmus(x, codebook, metric=metric, k=1, chunk_size=chunk_size)[0][:, 0]
    return analysis.distortion(x, codebook, bmus, lattice, neighborhood, radius, metric=metric,
                               squared=squared, chunk_size=chunk_size)


def _sum(*values: float) -> float:
    return float(sum(values))


def distortion(som: Any, X: Any, radius: float, squared: bool) -> float:
    """``SOM.distortion`` of a Dask collection (None: the Dask training data): the in-memory
    sum per partition (:func:`somwidget.analysis.distortion`), added in a tree."""
    require_dask()
    from dask import delayed

    if not isinstance(squared, (bool, np.bool_)):
        raise TypeError(f"squared must be True or False; got {squared!r}")
    data = dask_input(som, X)
    cb = delayed(som.codebook_.copy(), pure=True)
    pol = data.policy
    dom = block_domain(som, data.arr, data.normalizer, False)
    parts = [delayed(_block_distortion)(b, data.shape[1], data.normalizer, cb, som._metric(),
                                        som.lattice_, som.neighborhood, radius, bool(squared),
                                        som.chunk_size, pol and pol.at(i), dom.at(i))
             for i, b in enumerate(data.blocks)]
    (total,) = _compute(_tree(parts, _sum))
    return float(total)
