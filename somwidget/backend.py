"""One array-namespace layer for the BMU search and the batch sums: numpy, CuPy or PyTorch.

A batch epoch is one float32 matrix product per block of samples, an ``argmin`` along the
neurons and a scatter-add of the samples into per-neuron sums. Those few operations are all the
kernels :func:`block_bmus` and :func:`block_sums` ask of an array library, through a
:class:`Namespace`: :class:`NumpyNamespace` on the CPU, :class:`CupyNamespace` or
:class:`TorchNamespace` on a CUDA GPU. :func:`block_sums` is the one kernel shared by the CPU
(in memory and in each Dask partition) and the GPU. :func:`block_bmus` runs only off numpy (a
GPU, or a GPU-backed Dask partition): numpy data, in memory and in Dask partitions
(:mod:`somwidget.scale.dask`) alike, get their BMUs from :func:`somwidget.training.block_sums`,
the exact search of :mod:`somwidget.euclidean` for the Euclidean metric (scaled, with a float64
fallback) and :func:`somwidget.bmu.nearest_units` for the others.

:func:`get_namespace` picks the namespace of given arrays (array-api-compat style, detected from
the array's type without importing a GPU library that is not in use); :func:`namespace_for_device`
maps the ``SOM(device=...)`` parameter to one, with a clear error when CuPy / PyTorch or a GPU is
missing.

Kernels
-------
:func:`block_bmus` is a plain float32 Euclidean search (no scaling, no float64 fallback, unlike
:mod:`somwidget.euclidean`): data and codebook shifted by a common centre, queries augmented with
a column of ones and the codebook with its squared norms,
``[x - c, 1] . [-2 (w - c) ; ||w - c||^2]^T = ||x - w||^2 - ||x - c||^2`` in float32, ``argmin``
per row. :func:`block_sums` returns the per-neuron sums (float64) and counts of the block.
"""

from __future__ import annotations

import abc
import importlib
from collections.abc import Callable
from typing import Any

import numpy as np

from . import _sums_jit

__all__ = [
    "DEVICES",
    "CupyNamespace",
    "Namespace",
    "NumpyNamespace",
    "TorchNamespace",
    "augmented_codebook",
    "block_bmus",
    "block_sums",
    "get_namespace",
    "gpu_available",
    "namespace_for_device",
]

#: Values of ``SOM(device=...)``.
DEVICES: tuple[str, ...] = ("cpu", "cuda", "auto")

_BLOCK_BYTES = 1 << 20  # one float32 rows x M comparison block (as in somwidget.bmu)


class Namespace(abc.ABC):
    """The array operations the kernels use, for one array library.

    Subclasses wrap a module (``xp``) and implement the few operations that differ between
    libraries (conversion to and from numpy, ``bincount``, the scatter-add).
    """

    name: str = ""

    def __init__(self, xp: Any) -> None:
        self.xp = xp
        self.float32 = xp.float32
        self.float64 = xp.float64

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name})"

    # -- conversions
    def asarray(self, x: Any, dtype: Any = None) -> Any:
        """``x`` as an array of this library (copied to the device when needed)."""
        return self.xp.asarray(x, dtype=dtype)

    def to_numpy(self, x: Any) -> np.ndarray:
        """``x`` as a numpy array on the host."""
        return np.asarray(x)

    # -- creation and arithmetic
    def empty(self, shape: tuple[int, ...], dtype: Any) -> Any:
        return self.xp.empty(shape, dtype=dtype)

    def zeros(self, shape: tuple[int, ...], dtype: Any) -> Any:
        return self.xp.zeros(shape, dtype=dtype)

    def astype(self, x: Any, dtype: Any) -> Any:
        return x.astype(dtype, copy=False)

    def matmul(self, a: Any, b: Any) -> Any:
        return self.xp.matmul(a, b)

    def argmin(self, a: Any, axis: int) -> Any:
        return self.xp.argmin(a, axis=axis)

    def concat(self, parts: list[Any]) -> Any:
        """The arrays of ``parts`` joined along the first axis."""
        return self.xp.concatenate(parts)

    def bincount(self, idx: Any, minlength: int) -> Any:
        """Counts of each value of ``idx`` in ``0 .. minlength-1`` (float64)."""
        return self.xp.bincount(idx, minlength=minlength).astype(self.float64)

    @abc.abstractmethod
    def index_add(self, target: Any, idx: Any, values: Any) -> Any:
        """``target[idx[i]] += values[i]`` for every ``i`` (repeated indices accumulate)."""

    def synchronize(self) -> None:  # noqa: B027 - a default that devices override
        """Wait for queued device work (timing); nothing to do on the CPU."""


class NumpyNamespace(Namespace):
    """numpy on the CPU; the scatter-add is compiled with numba when it is installed
    (:mod:`somwidget._sums_jit`), else a sparse one-hot product."""

    name = "numpy"

    def __init__(self) -> None:
        super().__init__(np)

    def index_add(self, target: np.ndarray, idx: np.ndarray, values: np.ndarray) -> np.ndarray:
        kernel = _sums_jit.kernel_for(values.size)
        if (kernel is not None and target.dtype == np.float64 and target.flags.c_contiguous
                and values.ndim == 2 and values.dtype in (np.float32, np.float64)):
            kernel.scatter_rows(target, values, np.asarray(idx, dtype=np.intp))
            return target
        import scipy.sparse as sp

        n = idx.shape[0]
        onehot = sp.csr_matrix((np.ones(n, dtype=np.float64), np.asarray(idx, dtype=np.intp),
                                np.arange(n + 1)), shape=(n, target.shape[0]))
        target += np.asarray(onehot.T @ values, dtype=target.dtype)
        return target


class CupyNamespace(Namespace):
    """CuPy on a CUDA GPU (scatter-add: ``cupyx.scatter_add``)."""

    name = "cupy"

    def __init__(self, cupy: Any | None = None) -> None:
        super().__init__(cupy if cupy is not None else importlib.import_module("cupy"))

    def to_numpy(self, x: Any) -> np.ndarray:
        return self.xp.asnumpy(x)

    def index_add(self, target: Any, idx: Any, values: Any) -> Any:
        importlib.import_module("cupyx").scatter_add(target, idx, values)
        return target

    def synchronize(self) -> None:
        self.xp.cuda.Stream.null.synchronize()


class TorchNamespace(Namespace):
    """PyTorch tensors on one device (``"cuda"`` by default)."""

    name = "torch"

    def __init__(self, torch: Any | None = None, device: str = "cuda") -> None:
        super().__init__(torch if torch is not None else importlib.import_module("torch"))
        self.device = device

    def asarray(self, x: Any, dtype: Any = None) -> Any:
        return self.xp.as_tensor(x, dtype=dtype, device=self.device)

    def to_numpy(self, x: Any) -> np.ndarray:
        return x.detach().cpu().numpy()

    def empty(self, shape: tuple[int, ...], dtype: Any) -> Any:
        return self.xp.empty(shape, dtype=dtype, device=self.device)

    def zeros(self, shape: tuple[int, ...], dtype: Any) -> Any:
        return self.xp.zeros(shape, dtype=dtype, device=self.device)

    def astype(self, x: Any, dtype: Any) -> Any:
        return x.to(dtype)

    def argmin(self, a: Any, axis: int) -> Any:
        return self.xp.argmin(a, dim=axis)

    def concat(self, parts: list[Any]) -> Any:
        return self.xp.cat(parts)

    def bincount(self, idx: Any, minlength: int) -> Any:
        return self.xp.bincount(idx, minlength=minlength).to(self.float64)

    def index_add(self, target: Any, idx: Any, values: Any) -> Any:
        target.index_add_(0, idx, values)
        return target

    def synchronize(self) -> None:
        self.xp.cuda.synchronize()


_NUMPY = NumpyNamespace()


def get_namespace(*arrays: Any) -> Namespace:
    """The namespace of the given arrays: numpy, CuPy or PyTorch.

    Detected from the arrays' types (``type(x).__module__``), so a GPU library is imported only
    when its arrays are passed. Anything else (lists, pandas, numpy) gets :class:`NumpyNamespace`.
    Mixing libraries is a ``TypeError``.
    """
    found: set[str] = set()
    for a in arrays:
        mod = type(a).__module__.split(".")[0]
        if mod in ("cupy", "torch"):
            found.add(mod)
    if len(found) > 1:
        raise TypeError(f"arrays from different libraries cannot be mixed: {sorted(found)}")
    if "cupy" in found:
        return CupyNamespace()
    if "torch" in found:
        dev = next(str(a.device) for a in arrays if type(a).__module__.startswith("torch"))
        return TorchNamespace(device=dev)
    return _NUMPY


_MISSING: set[str] = set()  # failed imports are not cached by Python: remember them


def _try_import(name: str) -> Any | None:
    if name in _MISSING:
        return None
    try:
        return importlib.import_module(name)
    except ImportError:
        _MISSING.add(name)
        return None


def _cupy_gpu(cupy: Any) -> bool:
    try:
        return int(cupy.cuda.runtime.getDeviceCount()) > 0
    except Exception:  # noqa: BLE001 - no driver, no device: CuPy raises its own errors
        return False


def gpu_available(importer: Callable[[str], Any | None] | None = None) -> str | None:
    """``"cupy"`` or ``"torch"`` when that library sees a CUDA GPU, else None.

    ``importer(name)`` returns a module or None (default: import it, None when missing).
    """
    importer = importer or _try_import
    cupy = importer("cupy")
    if cupy is not None and _cupy_gpu(cupy):
        return "cupy"
    torch = importer("torch")
    if torch is not None and bool(torch.cuda.is_available()):
        return "torch"
    return None


def namespace_for_device(device: str, importer: Callable[[str], Any | None] | None = None) -> Namespace:
    """The namespace ``SOM(device=device)`` trains with.

    ``"cpu"``: numpy. ``"cuda"``: CuPy when it sees a GPU, else PyTorch with CUDA; a
    ``RuntimeError`` names what is missing. ``"auto"``: ``"cuda"`` when a GPU is usable, else numpy.
    """
    if device not in DEVICES:
        raise ValueError(f"device must be one of {list(DEVICES)}; got {device!r}")
    if device == "cpu":
        return _NUMPY
    importer = importer or _try_import
    lib = gpu_available(importer)
    if lib == "cupy":
        return CupyNamespace(importer("cupy"))
    if lib == "torch":
        return TorchNamespace(importer("torch"))
    if device == "auto":
        return _NUMPY
    have = [n for n in ("cupy", "torch") if importer(n) is not None]
    what = (f"{' and '.join(have)} is installed but sees no CUDA GPU" if have
            else "neither CuPy nor PyTorch is installed (pip install cupy-cuda12x, or torch)")
    raise RuntimeError(f"device='cuda' needs a CUDA GPU through CuPy or PyTorch: {what}; "
                       "use device='cpu' (or 'auto' to use a GPU only when there is one)")


def augmented_codebook(codebook: np.ndarray, center: np.ndarray) -> np.ndarray:
    """``[-2 (w - c) ; ||w - c||^2]^T`` as float32, shape (D + 1, M) (host, numpy)."""
    Wc = np.asarray(codebook, dtype=np.float64) - center
    WaT = np.empty((Wc.shape[1] + 1, Wc.shape[0]), dtype=np.float32)
    WaT[:-1] = (-2.0 * Wc).T
    WaT[-1] = np.einsum("ij,ij->i", Wc, Wc)
    return WaT


def _chunk(n_neurons: int, chunk_size: int | None) -> int:
    if chunk_size is not None:
        return max(1, int(chunk_size))
    return int(np.clip(_BLOCK_BYTES // (4 * max(int(n_neurons), 1)), 256, 65536))


def block_bmus(
    ns: Namespace,
    X: Any,
    WaT: Any,
    center: Any,
    chunk_size: int | None = None,
) -> Any:
    """Index of the nearest neuron (Euclidean) of each row of ``X``, in ``ns``'s arrays.

    Parameters
    ----------
    ns : Namespace
    X : array (N, D) of ``ns``
        Samples (training space), float32 or float64.
    WaT : array (D + 1, M) float32 of ``ns``
        :func:`augmented_codebook` moved to the namespace (``ns.asarray``).
    center : array (D,) float64 of ``ns``
        The centre both were shifted by.
    chunk_size : int, optional
        Rows per product (default: about 1 MiB of float32 comparison values).

    Returns
    -------
    array (N,) of integer indices of ``ns``
    """
    n, d = X.shape
    m = WaT.shape[1]
    step = _chunk(m, chunk_size)
    parts = []
    for s in range(0, n, step):
        e = min(s + step, n)
        xa = ns.empty((e - s, d + 1), ns.float32)
        xa[:, :d] = X[s:e] - center  # float64 difference (center is float64), stored as float32
        xa[:, d] = 1.0
        parts.append(ns.argmin(ns.matmul(xa, WaT), axis=1))
    return parts[0] if len(parts) == 1 else ns.concat(parts)


def block_sums(ns: Namespace, X: Any, bmus: Any, n_neurons: int,
               chunk_rows: int = 1 << 15, *, weights: Any = None,
               known: Any = None, out: tuple[Any, Any] | None = None) -> tuple[Any, Any]:
    """Per-neuron sums ``S`` (M, D) float64 and counts of ``X`` by BMU, optionally weighted
    and / or masked.

    The one implementation of the batch sums: in-memory training
    (:func:`somwidget.training.block_sums`, per block in each worker thread of
    :mod:`somwidget._map_step`), the weighted and masked epochs of :mod:`somwidget.masked`,
    each Dask partition and the device path all call it. ``X`` is accumulated in float64
    ``chunk_rows`` rows at a time (float32 data are never converted whole; the compiled numpy
    scatter-add reads them as they are).

    Parameters
    ----------
    ns : Namespace
    X : array (n, D) of ``ns``
        Samples; may hold NaN where ``known`` is False.
    bmus : array (n,) of integer indices of ``ns``
    n_neurons : int
    chunk_rows : int
        Rows accumulated at a time.
    weights : array (n,) of ``ns``, optional
        Non-negative sample weights ``v`` (None: 1 each).
    known : array (n, D) bool of ``ns``, optional
        The known-value mask ``K`` (None: every value known).
    out : (sums, counts), optional
        Plain sums only: totals to add this block's sums and counts to (and return), instead
        of new ones.

    Returns
    -------
    sums : array (M, D) float64
        ``S_jk = sum_{i: b(i)=j} v_i K_ik x_ik``.
    counts : array (M,) float64, or (M, D) with ``known``
        ``n_j = sum_{i: b(i)=j} v_i``; with ``known`` per component,
        ``n_jk = sum_{i: b(i)=j} v_i K_ik``.
    """
    n, d = X.shape
    if weights is None and known is None:  # the plain sums: one scatter-add, counts by bincount
        kernel = _sums_jit.kernel_for(X.size) if ns.name == "numpy" else None
        if kernel is not None and X.dtype in (np.float32, np.float64):
            S = np.zeros((n_neurons, d)) if out is None else out[0]
            counts = np.zeros(n_neurons) if out is None else out[1]
            kernel.scatter_rows_counts(S, counts, X, np.asarray(bmus, dtype=np.intp))
            return S, counts
        S = ns.zeros((n_neurons, d), ns.float64) if out is None else out[0]
        for s in range(0, n, chunk_rows):
            e = min(s + chunk_rows, n)
            ns.index_add(S, bmus[s:e], ns.astype(X[s:e], ns.float64))
        counts = ns.bincount(bmus, n_neurons)
        if out is not None:
            out[1][...] += counts
            counts = out[1]
        return S, counts
    if out is not None:
        raise ValueError("block_sums: out= is for the plain sums (no weights, no known mask)")
    # weighted and / or masked: each block scattered with its weights (sums, then counts)
    S = ns.zeros((n_neurons, d), ns.float64)
    C = ns.zeros((n_neurons, d if known is not None else 1), ns.float64)
    for s in range(0, n, chunk_rows):
        e = min(s + chunk_rows, n)
        v = None if weights is None else ns.astype(weights[s:e], ns.float64)
        add = _weighted_scatter(ns, bmus[s:e], v, n_neurons)
        x = ns.astype(X[s:e], ns.float64)
        if known is None:
            add(S, x)
            ones = ns.zeros((e - s, 1), ns.float64)
            ones += 1.0
            add(C, ones)  # the weight of each unit's samples
        else:
            k = known[s:e]
            add(S, ns.xp.where(k, x, 0.0))
            add(C, ns.astype(k, ns.float64))
    return S, (C[:, 0] if known is None else C)


def _weighted_scatter(ns: Namespace, idx: Any, v: Any, n_neurons: int) -> Callable[[Any, Any], None]:
    """``add(target, values)``: ``target[idx[i]] += v[i] * values[i]`` (``v`` None: 1). On
    numpy one sparse one-hot matrix holding the weights serves every add of the block (no
    weighted copy of the values); elsewhere the namespace's scatter-add of ``v * values``."""
    if isinstance(ns, NumpyNamespace):
        import scipy.sparse as sp

        n = idx.shape[0]
        w = np.ones(n, dtype=np.float64) if v is None else v
        onehot_t = sp.csr_matrix((w, np.asarray(idx, dtype=np.intp), np.arange(n + 1)),
                                 shape=(n, n_neurons)).T

        def add_numpy(target: Any, values: Any) -> None:
            target += onehot_t @ values

        return add_numpy

    def add(target: Any, values: Any) -> None:
        ns.index_add(target, idx, values if v is None else values * v[:, None])

    return add
