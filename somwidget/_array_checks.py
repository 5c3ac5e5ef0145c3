"""Checks of data sets and per-sample arrays (X, sample_weight, missing values, training-space
range, map density, BMU indices and distances); re-exported by :mod:`somwidget.validation`."""

from __future__ import annotations

import numbers
import sys
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from . import _data_stats
from ._user_frame import user_stacklevel
from ._value_kinds import (
    date_type_in,
    dates_error,
    object_numbers,
    warn_inexact_integers,
    warn_inexact_objects,
)

__all__ = [
    "NAN_HINT",
    "NEURONS_PER_SAMPLE_WARNING",
    "SparseMapWarning",
    "TRAINING_SPACE_LIMIT",
    "all_nan_columns",
    "check_array",
    "check_bmus",
    "check_distances",
    "check_missing_rows",
    "check_sample_weight",
    "check_training_range",
    "n_samples_of",
    "warn_sparse_map",
]


#: What the NaN error of a SOM's data says to do (``check_array``'s ``nan_hint``).
NAN_HINT = (
    'pass missing="ignore" (SOM(missing="ignore"), or som.set_params(missing="ignore")) to '
    "use the known values of each row, or impute them first"
)


def _tensor_values(X: Any) -> Any:
    """A PyTorch tensor's values as numpy can read them: detached from autograd (a tensor
    that requires grad refuses ``numpy()``), on the CPU, and bfloat16 / float16 widened to
    float32 (numpy has no bfloat16). Anything else is returned as it is."""
    if not type(X).__module__.startswith("torch"):
        return X
    t = X.detach()
    if getattr(t, "device", None) is not None and t.device.type != "cpu":
        t = t.cpu()
    if str(t.dtype) in ("torch.bfloat16", "torch.float16"):
        t = t.float()
    return t.numpy()


def _check_text_names(name: str, columns: list[Any], texts: list[str]) -> None:
    """Refuse column names that differ but read the same as text (``1`` and ``"1"``): the
    feature names are text, so a frame with those columns swapped would pass every column
    check. Columns of one repeated name are left alone (pandas' own duplicates)."""
    if len(set(texts)) == len(texts):
        return
    seen: dict[str, list[Any]] = {}
    for c, t in zip(columns, texts, strict=True):
        same = seen.setdefault(t, [])
        # one repeated name is no clash, NaN included (nan != nan)
        if not any(type(c) is type(o) and (c == o or (c != c and o != o)) for o in same):
            same.append(c)
    clash = [names for names in seen.values() if len(names) > 1]
    if clash:
        shown = "; ".join(" and ".join(repr(c) for c in names) for names in clash)
        raise ValueError(
            f"{name} has columns whose names differ but read the same as text ({shown}): "
            "the model keeps column names as text and could not tell them apart; rename "
            "them so that each column has its own name"
        )


def _is_float32(dt: Any) -> bool:
    """Whether a numpy or pandas dtype holds float32 values: either byte order (``'>f4'``),
    and pandas' nullable ``Float32``."""
    dt = getattr(dt, "numpy_dtype", dt)
    return isinstance(dt, np.dtype) and dt.kind == "f" and dt.itemsize == 4


def check_array(
    name: str,
    X: object,
    *,
    n_features: int | None = None,
    min_samples: int = 1,
    allow_nan: bool = False,
    nan_hint: str | None = None,
    owner: str = "the model",
    keep_float32: bool = False,
) -> tuple[np.ndarray, list[str] | None]:
    """Validate a 2-D numeric data set.

    Accepts a numpy array, a nested sequence or a pandas DataFrame (whose column names become the
    feature names). A 1-D input is refused with a hint, never silently reshaped. Boolean data
    (numpy ``bool`` arrays, ``bool`` or nullable ``boolean`` DataFrame columns such as
    :func:`pandas.get_dummies` returns) becomes 0.0 / 1.0; ``pd.NA`` in nullable columns becomes
    NaN (a missing value).

    Parameters
    ----------
    name : str
        Parameter name used in messages (usually ``"X"``).
    X : array-like or pandas.DataFrame
        The data, samples in rows.
    n_features : int, optional
        Required number of columns (the number the model was fitted with).
    min_samples : int
        Minimum number of rows.
    allow_nan : bool
        Whether NaN (a missing value) is accepted; infinite values never are.
    nan_hint : str, optional
        What to do about refused NaN, appended to the message (default: "clean or impute them
        first"); the SOM names its ``missing="ignore"`` option here.
    owner : str
        What was fitted with ``n_features`` (``"SOM"``), for the message of a wrong count.
    keep_float32 : bool
        Return float32 data (an array, or a DataFrame whose columns are all float32) as float32
        instead of converting it to float64. A C-contiguous float array of the returned dtype
        is returned as it is, without a copy.

    Returns
    -------
    (ndarray, list of str or None)
        The data as C-contiguous float64 (or float32, see ``keep_float32``) and the column
        names of a DataFrame (else None).
    """
    feature_names: list[str] | None = None
    # pandas objects exist only once pandas is imported: no import (0.3 s) for plain arrays
    pd = sys.modules.get("pandas")
    if pd is not None and isinstance(X, pd.Series):
        raise ValueError(
            f"{name} must be 2-D (samples x features); got a pandas Series. "
            f"Use {name}.to_frame() for a single feature."
        )
    if pd is not None and isinstance(X, pd.DataFrame):
        cplx = [c for c in X.columns if pd.api.types.is_complex_dtype(X[c])]
        if cplx:
            raise ValueError(f"{name} has complex columns {cplx}; a SOM needs real numbers (split "
                             "them into real and imaginary parts, or take their magnitude)")
        types = pd.api.types
        bad = [c for c, dt in X.dtypes.items()
               if not (types.is_numeric_dtype(dt) or types.is_bool_dtype(dt))]
        if bad:
            raise ValueError(
                f"{name} has non-numeric columns {bad}; drop them (e.g. labels) or encode them "
                "first (pandas.get_dummies gives 0/1 columns, which are accepted)"
            )
        feature_names = [str(c) for c in X.columns]
        _check_text_names(name, list(X.columns), feature_names)
        for c, dt in X.dtypes.items():
            base = getattr(dt, "numpy_dtype", dt)  # nullable Int64 / UInt64: their values
            if isinstance(base, np.dtype) and base.kind in "iu" and base.itemsize == 8:
                known = X[c].to_numpy() if dt is base else X[c].dropna().to_numpy(dtype=base)
                if known.size:
                    warn_inexact_integers(f"{name}[{c!r}]", known)
        f32 = keep_float32 and len(X.columns) > 0 and all(_is_float32(t) for t in X.dtypes)
        dtype = np.float32 if f32 else np.float64
        if any(isinstance(dt, pd.api.extensions.ExtensionDtype) for dt in X.dtypes):
            arr = X.to_numpy(dtype=dtype, na_value=np.nan)  # nullable Int64 / boolean: NA
        else:
            arr = X.to_numpy(dtype=dtype)
    else:
        if X is None:
            raise ValueError(f"{name} is required; got None")
        if type(X).__module__.startswith("scipy.sparse"):
            raise TypeError(
                f"{name} is a scipy sparse {type(X).__name__}: sparse input is not supported "
                f"(the codebook is dense); pass {name}.toarray()"
            )
        if isinstance(X, np.ma.MaskedArray):
            raise ValueError(
                f"{name} is a masked array: its masked entries would be trained on as numbers. "
                f"Pass {name}.filled(np.nan) (missing values; see the missing='ignore' option) or "
                "drop the masked rows"
            )
        try:
            raw = np.asarray(_tensor_values(X))
        except ValueError as exc:  # a ragged nested list
            raise ValueError(
                f"{name} must be a table of numbers, every row of the same length (samples x "
                f"features); numpy could not read it as one array: {exc}"
            ) from None
        if raw.dtype.kind in "mM":
            raise dates_error(name, f"dtype {raw.dtype}")
        if raw.dtype.kind in "USV":
            raise ValueError(f"{name} must be numeric; got an array of dtype {raw.dtype}")
        if raw.dtype.kind == "c":
            raise ValueError(f"{name} must be real-valued; got complex numbers (Complex data "
                             "not supported)")
        if raw.dtype == object:  # numbers held as objects convert; anything else is refused
            dated = date_type_in(raw)
            if dated is not None:
                raise dates_error(name, f"{dated.__name__} objects")
            try:
                arr = object_numbers(raw, pd)
            except TypeError as exc:
                raise TypeError(f"{name} must be numeric; got an array of dtype object ({exc})") from None
            except ValueError as exc:
                raise ValueError(f"{name} must be numeric; got an array of dtype object ({exc})") from None
            warn_inexact_objects(name, raw, arr)
        else:
            keep = keep_float32 and _is_float32(raw.dtype)  # '>f4' too: in native order
            if raw.dtype.kind in "iu" and raw.dtype.itemsize == 8 and raw.size:
                warn_inexact_integers(name, raw)
            arr = raw.astype(np.float32 if keep else np.float64, copy=False)
    if arr.ndim != 2:
        hint = (f" Reshape your data: {name}.reshape(-1, 1) for a single feature, "
                f"{name}.reshape(1, -1) for a single sample.") if arr.ndim == 1 else ""
        raise ValueError(f"{name} must be 2-D (samples x features); got {arr.ndim}-D shape {arr.shape}.{hint}")
    if arr.shape[0] < min_samples:
        raise ValueError(f"{name} must have at least {min_samples} sample(s); got {arr.shape[0]}")
    if arr.shape[1] == 0:
        raise ValueError(f"{name} must have at least 1 feature; got 0 feature(s) (shape="
                         f"{arr.shape}) while a minimum of 1 is required.")
    if n_features is not None and arr.shape[1] != n_features:
        raise ValueError(
            f"{name} has {arr.shape[1]} features, but {owner} is expecting {n_features} features "
            f"as input (the model was fitted with {n_features})"
        )
    arr = np.ascontiguousarray(arr)
    # a finite column sum proves every entry finite, with no N x D temporary; only otherwise
    # are the entries counted, block by block. Inside a SOM call the sums are those of the
    # array's shared summary (somwidget._data_stats), which the later checks reuse
    if _data_stats.active():
        sums_finite = _data_stats.summary_of(arr).sums_finite
    else:
        with np.errstate(over="ignore", invalid="ignore"):
            sums_finite = bool(np.isfinite(np.add.reduce(arr, axis=0)).all())
    if not sums_finite:
        counts = {"inf": [0, 0], "nan": [0, 0]}  # values, rows
        for s in range(0, arr.shape[0], 1 << 15):
            blk = arr[s : s + (1 << 15)]
            for key, test in (("inf", np.isinf), ("nan", np.isnan)):
                hit = test(blk)
                counts[key][0] += int(hit.sum())
                counts[key][1] += int(hit.any(axis=1).sum())
        (n_inf, rows_inf), (n_nan, rows_nan) = counts["inf"], counts["nan"]
        if n_inf:
            raise ValueError(
                f"{name} contains {n_inf} infinite value(s) in {rows_inf} row(s); replace them "
                "(infinite values are never accepted, not even as missing values)"
            )
        if n_nan and not allow_nan:
            raise ValueError(
                f"{name} contains {n_nan} missing value(s) (NaN) in {rows_nan} row(s); "
                f"{nan_hint or 'clean or impute them first'}"
            )
    return arr, feature_names


def check_missing_rows(name: str, X: np.ndarray, max_missing: float) -> None:
    """Refuse the rows of ``X`` missing more than ``max_missing`` of their values (NaN); the
    message counts them and lists the first. Rows are counted block by block."""
    d = X.shape[1]
    with np.errstate(over="ignore", invalid="ignore"):
        if X.size == 0 or not np.isnan(np.add.reduce(X, axis=0)).any():
            return
    n_missing = np.concatenate([np.isnan(X[s : s + (1 << 15)]).sum(axis=1)
                                for s in range(0, X.shape[0], 1 << 15)])
    bad = np.flatnonzero(n_missing > max_missing * d)
    if bad.size:
        shown = ", ".join(str(int(i)) for i in bad[:10]) + (", ..." if bad.size > 10 else "")
        allowed = int(np.floor(max_missing * d + 1e-9))
        raise ValueError(
            f"{name} has {bad.size} row(s) missing more than max_missing={max_missing:g} of "
            f"their {d} values (at most {allowed} of {d} may be missing): rows {shown}; drop or "
            "impute them, or raise max_missing (below 1: every row needs a known value)"
        )


def n_samples_of(X: object) -> int | None:
    """The number of rows of a data set before it is checked (None when it has no length)."""
    shape = getattr(X, "shape", None)
    if shape is not None and len(shape) >= 1:
        n = shape[0]  # a lazy collection (Dask) may not know its length: None then
        return int(n) if isinstance(n, numbers.Integral) else None
    try:
        return len(X)  # type: ignore[arg-type]
    except TypeError:
        return None


def check_sample_weight(sample_weight: object, n_samples: int | None, *,
                        lazy: bool = False) -> Any:
    """Validate ``sample_weight``: None, or ``n_samples`` finite, non-negative numbers (a list,
    a 1-D array or a pandas Series), not all zero. Returns float64 (N,) or None (``n_samples``
    None: the length is not checked). ``lazy`` (X is a Dask collection): a Dask collection of
    weights is returned as it is, to be checked partition by partition with X's
    (:mod:`somwidget.scale.weights`)."""
    if sample_weight is None:
        return None
    if lazy and type(sample_weight).__module__.startswith(("dask", "dask_expr")):
        return sample_weight
    raw = np.asarray(sample_weight)
    if raw.dtype == object or raw.dtype.kind not in "biuf":
        raise TypeError(f"sample_weight must be numbers; got an array of dtype {raw.dtype}")
    w = raw.astype(np.float64)
    if w.ndim != 1:
        raise ValueError(f"sample_weight must be 1-D (one weight per sample); got shape {w.shape}")
    if n_samples is not None and w.shape[0] != n_samples:
        raise ValueError(
            f"sample_weight has {w.shape[0]} weight(s) but X has {n_samples} sample(s)"
        )
    if not np.isfinite(w).all():
        raise ValueError(
            f"sample_weight must be finite; got {int((~np.isfinite(w)).sum())} NaN or infinite "
            "weight(s)"
        )
    if (w < 0).any():
        raise ValueError(
            f"sample_weight must be non-negative; got {int((w < 0).sum())} negative weight(s) "
            f"(smallest {w.min():g})"
        )
    if not (w > 0).any():
        raise ValueError("sample_weight must not be all zero: no sample would count")
    return w


def all_nan_columns(arr: np.ndarray) -> np.ndarray:
    """Boolean (D,) mask of the columns of ``arr`` without any known (non-NaN) value.

    One column sum when no column holds NaN (no N x D temporary), else a blockwise count;
    nothing at all when the array's summary is shared (somwidget._data_stats)."""
    summary = _data_stats.cached_summary(arr)
    if summary is not None:
        return summary.empty_columns
    with np.errstate(over="ignore", invalid="ignore"):
        no_nan = arr.shape[0] == 0 or not np.isnan(np.add.reduce(arr, axis=0)).any()
    if no_nan:
        return np.zeros(arr.shape[1], dtype=bool)
    known = np.zeros(arr.shape[1], dtype=np.intp)
    for s in range(0, arr.shape[0], 1 << 15):
        known += (~np.isnan(arr[s : s + (1 << 15)])).sum(axis=0)
    return known == 0


#: Largest magnitude accepted in training space. The BMU search is exact at any magnitude
#: (somwidget.euclidean shifts and scales before its float32 products), so the limit is what the
#: float64 batch sums of a million such values can still hold.
TRAINING_SPACE_LIMIT = 1e290


def check_training_range(name: str, Xt: np.ndarray, normalization: str = "none",
                         training: bool = True) -> None:
    """Refuse training-space data above :data:`TRAINING_SPACE_LIMIT`, what the float64 batch sums
    (and the distances of the analyses) can hold; the BMU search itself is exact at any
    magnitude. The message says what would overflow (``training``: the sums of a fit; else the
    distances of the data given) and suggests a normalisation only where ``normalization`` is
    ``"none"``.

    Inside a SOM call the largest magnitude comes from the array's shared summary
    (``max(|min|, |max|)`` per feature, somwidget._data_stats): no N x D temporary."""
    if Xt.size and _data_stats.active() and Xt.ndim == 2:
        big = _data_stats.summary_of(Xt).max_abs
    else:
        with np.errstate(invalid="ignore"):
            big = float(np.nanmax(np.abs(Xt))) if Xt.size else 0.0
    if big > TRAINING_SPACE_LIMIT:
        what = ("the per-neuron sums of training would overflow" if training else
                "its distances to the map would overflow")
        if training and normalization == "none":
            fix = "rescale the data or use normalization='standard' or 'minmax'"
        elif training:
            fix = (f"its normalization={normalization!r} maps them this far from the data it "
                   "was fitted on; check the data, or fit a new model")
        else:
            fix = ("these values lie far outside the data the model was fitted on"
                   + (f" (its normalization={normalization!r} maps them this far)"
                      if normalization != "none" else "") + "; check the data")
        raise ValueError(
            f"{name} has values up to {big:.3g} after normalisation; {what} (limit "
            f"{TRAINING_SPACE_LIMIT:.0e}): {fix}"
        )


class SparseMapWarning(UserWarning):
    """The map has far more neurons than there are samples (most neurons stay empty)."""


#: The map-size warning fires above this many neurons per sample.
NEURONS_PER_SAMPLE_WARNING = 4


def warn_sparse_map(n_neurons: int, n_samples: int) -> None:
    """Warn (:class:`SparseMapWarning`) when a map has far more neurons than samples."""
    if n_neurons > NEURONS_PER_SAMPLE_WARNING * n_samples:
        import warnings

        warnings.warn(
            f"the map has {n_neurons} neurons for {n_samples} sample(s): most neurons will stay "
            "empty and the quality measures (topographic error, vacancy) mean little; use a "
            "smaller mapsize or more data",
            SparseMapWarning,
            stacklevel=user_stacklevel(),
        )


_INT64_MAX = int(np.iinfo(np.int64).max)


def check_bmus(name: str, bmus: ArrayLike, n_neurons: int | None) -> np.ndarray:
    """Validate BMU indices: (N,) or (N, k) integers in [0, n_neurons) (n_neurons None: a map
    not known yet, any index >= 0; a -1 would wrap to the last neuron)."""
    b = np.asarray(bmus)
    if b.ndim == 2:
        b = b[:, 0] if b.shape[1] else b.reshape(-1)
    if b.ndim != 1:
        raise ValueError(f"{name} must be 1-D (N,) or 2-D (N, k); got shape {b.shape}")
    if b.size and b.dtype.kind not in "iu":
        if not (b.dtype.kind == "f" and np.all(np.isfinite(b)) and np.all(b == np.round(b))):
            raise TypeError(f"{name} must hold integer neuron indices; got dtype {b.dtype}")
    # the range is read in the indices' own dtype: a uint64 beyond int64 or a float like 1e20
    # would wrap or saturate as int64 (2**64 - 1 read as -1)
    if b.size:
        lo, hi = int(b.min()), int(b.max())
        top = n_neurons if n_neurons is not None else _INT64_MAX + 1
        if lo < 0 or hi >= top:
            allowed = (f"in [0, {n_neurons - 1}]" if n_neurons is not None
                       else "integers >= 0" if hi < top else "integers in [0, 2**63)")
            raise ValueError(f"{name} must be neuron indices {allowed}; got values in [{lo}, {hi}]")
    return b.astype(np.int64, copy=False)


def check_distances(name: str, distances: ArrayLike, n: int | None = None) -> np.ndarray:
    """Validate distances to the BMUs: (N,) or (N, k) finite numbers >= 0 (first column used),
    N = ``n``; a TypeError or ValueError naming ``name`` otherwise."""
    raw = np.asarray(distances)
    if raw.dtype == object:
        try:
            raw = raw.astype(np.float64)
        except (TypeError, ValueError):
            raise TypeError(f"{name} must be numbers (distances to the BMUs); got an array of "
                            "dtype object holding non-numbers") from None
    if raw.dtype.kind not in "iuf":
        raise TypeError(f"{name} must be numbers (distances to the BMUs); got an array of dtype "
                        f"{raw.dtype}")
    d = raw.astype(np.float64, copy=False)
    if d.ndim == 2:
        d = d[:, 0] if d.shape[1] else d.reshape(-1)
    if d.ndim != 1:
        raise ValueError(f"{name} must be 1-D (N,) or 2-D (N, k); got shape {d.shape}")
    if n is not None and d.shape[0] != n:
        raise ValueError(f"{name} has {d.shape[0]} entries but bmus has {n}")
    if d.size and not (d.min() >= 0 and np.isfinite(d.max())):  # NaN fails the first test
        finite = np.isfinite(d)
        if not finite.all():
            n_nan = int(np.count_nonzero(np.isnan(d)))
            what = (f"{n_nan} NaN value(s)" if n_nan else
                    f"{int(np.count_nonzero(~finite))} infinite value(s)")
            raise ValueError(f"{name} holds {what}; distances to the BMU are finite numbers >= 0")
        raise ValueError(f"{name} must be >= 0 (distances to the BMU); got {float(d.min())!r}")
    return d
