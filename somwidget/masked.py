"""Missing values and sample weights in training: masked and weighted sums, masked updates.

Used by ``SOM(missing="ignore")`` (data with NaN) and by ``sample_weight``; the SOM's training
loops call these instead of :func:`somwidget.training.batch_epoch` /
:func:`somwidget.training.online_run` only then, so complete, unweighted data never pays for
them. The masked distances and BMU search are in :mod:`somwidget.bmu`
(:func:`~somwidget.bmu.find_bmus_masked`).

Batch sums (SOM Toolbox "known" mask, weights)
-----------------------------------------------
With BMU ``b(i)``, mask ``M`` (1 = known) and sample weights ``v`` (1 without weights), the
per-unit sums become per component::

    S_jk = sum_{i: b(i)=j} v_i M_ik x_ik,    n_jk = sum_{i: b(i)=j} v_i M_ik
    w_ik <- sum_j h_ij S_jk / sum_j h_ij n_jk

so each component of a prototype is the neighbourhood-weighted mean of the known values of
that component. A component whose denominator is 0 keeps its value. Without missing values the
counts are one column (``n_j = sum v_i``), and integer weights give the sums of repeated rows.
The Mexican hat's inhibition bound (:mod:`somwidget.training`) is applied per component.

Online updates
--------------
A sample moves the known components of the prototypes only:
``w_ik <- w_ik + a h_i (x_k - w_ik)`` for ``k`` in ``K(x)``, its BMU found on those components.
Sample weights scale the learning rate (see :meth:`somwidget.som.SOM.fit_online`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import backend as _backend
from . import training as _training
from .bmu import check_masked_metric, find_bmus, masked_argmin
from .neighborhood import COMPACT_NEIGHBORHOODS

__all__ = [
    "batch_epoch_general",
    "general_sums",
    "online_run_masked",
    "unit_sums_general",
    "update_general",
]


# ---------------------------------------------------------------------- batch sums
def unit_sums_general(
    X: np.ndarray,
    bmus: np.ndarray,
    n_neurons: int,
    *,
    weights: np.ndarray | None = None,
    known: np.ndarray | None = None,
    chunk_rows: int = 1 << 15,
) -> tuple[np.ndarray, np.ndarray]:
    """Per-unit weighted sums ``S`` (M, D) and counts of the known values (module notes).

    Returns the counts as (M,) without ``known`` (the total weight per unit) and as (M, D) with
    it (the weight of the known values, per unit and component). ``X`` may hold NaN where
    ``known`` is False; it is read ``chunk_rows`` rows at a time (no N x D temporary). The sums
    are :func:`somwidget.backend.block_sums`, the kernel of every batch epoch.
    """
    ns = _backend.get_namespace(X)
    v = None if weights is None else np.asarray(weights, dtype=np.float64)
    return _backend.block_sums(ns, X, np.asarray(bmus, dtype=np.intp), n_neurons, chunk_rows,
                               weights=v, known=known)


def general_sums(
    X: np.ndarray,
    codebook: np.ndarray,
    *,
    metric: str = "euclidean",
    chunk_size: int | None = None,
    sample_weight: np.ndarray | None = None,
    known: np.ndarray | None = None,
    Xa: np.ndarray | None = None,
    center: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The map step of a weighted and / or masked batch epoch: BMUs, sums and counts.

    ``known`` (N, D) bool marks the known values of ``X`` (None: complete data; the BMUs then
    come from the prepared float32 queries ``Xa`` / ``center`` when given, else from
    :func:`somwidget.bmu.find_bmus`); with ``known`` they come from
    :func:`somwidget.bmu.masked_argmin` (the ranking of ``find_bmus_masked``). The sums are
    :func:`unit_sums_general`. In memory this runs on the whole data, on Dask per partition
    (the sums and counts are then added up).

    Returns
    -------
    sums : ndarray (M, D), counts : ndarray (M,) or (M, D) with ``known``, bmus : ndarray (N,)
    """
    m = codebook.shape[0]
    if known is None:
        if metric == "euclidean" and Xa is not None and center is not None:  # prepared queries
            bmus = _training.euclidean_argmin(Xa, codebook, center, chunk_size)
        else:
            bmus = find_bmus(X, codebook, metric=metric, k=1, chunk_size=chunk_size)[0][:, 0]
    else:
        bmus = masked_argmin(X, codebook, metric=metric, chunk_size=chunk_size)
    S, counts = unit_sums_general(X, bmus, m, weights=sample_weight, known=known)
    return S, counts, bmus


def update_general(
    codebook: np.ndarray,
    H: Any,
    S: np.ndarray,
    counts: np.ndarray,
    *,
    learning_rate: float = 1.0,
    inhibition: float | None = None,
    bounds: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """The reduce step of a weighted and / or masked batch epoch (module notes): one count
    column (M,) is the plain batch rule (:func:`somwidget.training.batch_update`), counts per
    component (M, D) the per-component rule, with the Mexican hat's inhibition bound."""
    d = codebook.shape[1]
    if counts.ndim == 1:  # one count column: the plain rules with weighted sums
        return _training.batch_update(codebook, H, S, counts, learning_rate=learning_rate,
                                      inhibition=inhibition, bounds=bounds)
    A = np.hstack([S, counts])  # [S | n], n per component
    if inhibition is None:
        sm, _ = _training.smooth(H, A)
        return _component_update(codebook, sm[:, :d], sm[:, d:], learning_rate)
    signed, neg = _training.smooth(H, A, negative=True)  # [P-Q | p-q], [Q | q]
    assert neg is not None
    q = neg[:, d:]
    p = signed[:, d:] + q
    g = np.ones_like(q)
    over = q > inhibition * p
    g[over] = inhibition * p[over] / q[over]
    num = signed[:, :d] + (1.0 - g) * neg[:, :d]
    den = signed[:, d:] + (1.0 - g) * q
    den[p <= 0] = 0.0  # no known data in the positive lobe: the component stays
    new = _component_update(codebook, num, den, learning_rate)
    if bounds is not None:
        np.clip(new, bounds[0], bounds[1], out=new)
    return new


def _component_update(codebook: np.ndarray, num: np.ndarray, den: np.ndarray,
                      learning_rate: float) -> np.ndarray:
    """``w_ik <- num_ik / den_ik`` where ``den_ik > 0`` (else ``w_ik`` stays), blended."""
    ok = den > 0
    new = codebook.copy()
    target = num[ok] / den[ok]
    if learning_rate >= 1.0:
        new[ok] = target
    else:
        new[ok] = (1.0 - learning_rate) * codebook[ok] + learning_rate * target
    return new


def batch_epoch_general(
    X: np.ndarray,
    codebook: np.ndarray,
    H: Any,
    *,
    metric: str = "euclidean",
    Xa: np.ndarray | None = None,
    center: np.ndarray | None = None,
    chunk_size: int | None = None,
    learning_rate: float = 1.0,
    inhibition: float | None = None,
    bounds: tuple[np.ndarray, np.ndarray] | None = None,
    sample_weight: np.ndarray | None = None,
    known: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`somwidget.training.batch_epoch` with sample weights and/or a known mask:
    :func:`general_sums` then :func:`update_general`.

    ``known`` (N, D) bool marks the known values of ``X`` (None: complete data);
    ``sample_weight`` (N,) are non-negative weights (None: 1 each). Returns the new codebook
    and the BMUs.
    """
    S, counts, bmus = general_sums(X, codebook, metric=metric, chunk_size=chunk_size,
                                   sample_weight=sample_weight, known=known, Xa=Xa, center=center)
    new = update_general(codebook, H, S, counts, learning_rate=learning_rate,
                         inhibition=inhibition, bounds=bounds)
    return new, bmus


# ---------------------------------------------------------------------- online
def online_run_masked(
    ctx: Any,
    Xc: np.ndarray,
    order: np.ndarray,
    radii: np.ndarray,
    rates: np.ndarray,
) -> None:
    """:func:`somwidget.training.online_run` for data with missing values (NaN in ``Xc``).

    The BMU uses the known components of each sample (module notes) and the update moves only
    those components. ``Xc`` is the data shifted by ``ctx.center``; ``ctx.W`` is updated in
    place and its squared norms refreshed at the end.
    """
    kernel_row, limit_inhibition = _training.kernel_row, _training.limit_inhibition
    W, d2all = ctx.W, ctx.d2
    name, metric = ctx.neighborhood, ctx.metric
    compact = name in COMPACT_NEIGHBORHOODS
    signed = name == "mexican_hat"
    euclid = metric in ("euclidean", "sqeuclidean")
    if not euclid:
        check_masked_metric(metric)
    lo_hi = ctx.bounds
    known_all = ~np.isnan(Xc)
    for t in range(order.shape[0]):
        i = order[t]
        K = np.flatnonzero(known_all[i])
        xk = Xc[i, K]
        Wk = W[:, K]
        if euclid:
            b = int((np.einsum("ij,ij->i", Wk, Wk) - 2.0 * (Wk @ xk)).argmin())
        else:
            diff = np.abs(Wk - xk)
            b = int((diff.sum(axis=1) if metric == "cityblock" else diff.max(axis=1)).argmin())
        r, lr = radii[t], rates[t]
        row = d2all[b]
        if compact:
            idx = np.flatnonzero(row <= r * r)
            h = kernel_row(name, row[idx], r) * lr
            sub = np.ix_(idx, K)
            Wi = W[sub]
            W[sub] = Wi + h[:, None] * (xk - Wi)
            continue
        h = kernel_row(name, row, r)
        if signed:
            limit_inhibition(h, ctx.inhibition)
        h *= lr
        W[:, K] = Wk + h[:, None] * (xk - Wk)
        if signed and lo_hi is not None:
            W[:, K] = np.clip(W[:, K], lo_hi[0][K], lo_hi[1][K])
    ctx.refresh()
