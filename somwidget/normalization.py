"""Feature normalisation: fitted once, stored with the model, invertible where possible.

A :class:`Normalizer` maps data units to the SOM's training space. It is fitted once (on the data
of ``SOM.initialize``/``fit``), keeps its parameters as per-feature arrays, transforms new data with
those stored parameters (never refitting), maps codebooks back to data units with
:meth:`Normalizer.inverse_transform`, and serialises to plain JSON types with
:meth:`Normalizer.to_dict` / :meth:`Normalizer.from_dict`.

Available methods (``make_normalizer(name)``; aliases in brackets):

``none``
    Identity (the transform returns the checked input itself, no copy; float32 stays float32).
``standard`` (``fwn``)
    z-score per feature, ``y = (x - mean) / std`` (population std, ``ddof=0``). A constant
    feature gets scale 1 (so it maps to 0) instead of a division by zero.
``minmax`` (``01scale``)
    Per feature ``y = (x - min) / (max - min)``, so every feature spans [0, 1] on the fitted data.
    Unlike GEMA's ``01scale`` the minimum and range are per feature, not global. A constant feature
    gets range 1 (so it maps to 0).
``l2`` (``euclidean``)
    Each sample scaled to unit Euclidean length; all-zero rows stay zero. The sample norms are
    lost, so this normaliser is not invertible (``invertible = False``;
    :meth:`~Normalizer.inverse_transform` raises ``ValueError``).
``log``
    ``y = log1p(x - min_fit)`` per feature, where ``min_fit`` is the feature minimum on the fitted
    data (so the fitted data map to ``y >= 0``). New data must satisfy ``x > min_fit - 1``;
    anything else raises ``ValueError``. Inverse: ``x = expm1(y) + min_fit``.
``logistic``
    Sigmoid of the z-score, ``y = 1 / (1 + exp(-(x - mean) / std))``, in (0, 1). Inverse via the
    logit; values outside (0, 1) cannot be inverted and raise ``ValueError``.
``boxcox``
    Per feature: a positive shift ``s`` is stored (``s = 0`` when the fitted minimum is > 0, else
    ``s = min(1, range) - min``, so the shifted minimum is 1, or the range when that is smaller),
    the Box-Cox exponent ``lambda`` is fitted by
    maximum likelihood (the likelihood of :func:`scipy.stats.boxcox_llf`, computed in log space
    and searched for every feature at once: a grid, then a golden-section search), restricted to
    ``-2 <= lambda <= 2`` (the range R's ``MASS::boxcox`` searches; larger exponents make the
    inverse numerically meaningless) and to exponents that leave the transformed values a relative
    spread of at least 1e-7 (no standardised rounding noise), and the transformed feature is
    standardised:
    ``y = (boxcox(x + s, lambda) - mean_b) / std_b``. A constant feature uses ``lambda = 1``. Inverse
    via :func:`scipy.special.inv_boxcox`. New data with ``x + s <= 0`` raise ``ValueError``.

Missing values (NaN) are allowed: statistics are computed over the known values of each feature
and NaN passes through every transform unchanged. A feature with no known value is refused.
"""

from __future__ import annotations

import numpy as np

from somwidget import _data_stats
from somwidget._boxcox import BOXCOX_LAMBDA_BOUNDS, boxcox_lambdas, boxcox_shift
from somwidget._lazy import LazyModule
from somwidget._normalizer_base import (
    _METHODS,
    NORMALIZATION_ALIASES,
    NORMALIZATIONS,
    TRANSFORM_BLOCK_ROWS,
    Normalizer,
)
from somwidget.euclidean import pow2_scales
from somwidget.validation import check_choice

__all__ = [
    "NORMALIZATIONS",
    "NORMALIZATION_ALIASES",
    "BOXCOX_LAMBDA_BOUNDS",
    "BoxCoxNormalizer",
    "IdentityNormalizer",
    "L2Normalizer",
    "LogNormalizer",
    "LogisticNormalizer",
    "MinMaxNormalizer",
    "Normalizer",
    "StandardNormalizer",
    "make_normalizer",
]

special = LazyModule("scipy.special")  # imported when a logistic or Box-Cox normaliser runs



def _column_constant(X: np.ndarray) -> np.ndarray:
    """True for features whose known values are all equal (exact test, no tolerance)."""
    return np.nanmax(X, axis=0) == np.nanmin(X, axis=0)


#: A spread (std, or max - min) below this fraction of a feature's magnitude is float64 rounding
#: (a few thousand ulps), not information: the feature counts as constant (scale 1). Scaled up
#: by 1 / spread instead, its codebook could not be mapped back to data units (the mean's
#: rounding would swamp it) and a saved model would not load.
RELATIVE_SPREAD_FLOOR = 1e-12


#: A constant feature's scale is at least this fraction of its magnitude (module notes).
CONSTANT_SCALE_FRACTION = 1e-9


def _constant_scale(magnitude: np.ndarray) -> np.ndarray:
    """The scale of a constant feature: 1, or for values beyond 1e9 in magnitude
    ``CONSTANT_SCALE_FRACTION * magnitude``, so that a prototype away from the constant (an
    initial one, say) still maps to data units and back, through the Box-Cox exponentials too
    (at 5e20 a unit step is below the float64 spacing, 65536)."""
    with np.errstate(invalid="ignore", over="ignore"):
        return np.where(np.isfinite(magnitude),
                        np.maximum(1.0, CONSTANT_SCALE_FRACTION * magnitude), 1.0)


def _safe_scale(std: np.ndarray, constant: np.ndarray, center: np.ndarray) -> np.ndarray:
    """Standard deviations with constant features, spreads that underflow to 0 and spreads at the
    float resolution of ``center`` (:data:`RELATIVE_SPREAD_FLOOR`) replaced by the constant
    feature's scale (:func:`_constant_scale`: 1 up to values of 1e9)."""
    magnitude = np.abs(center)
    with np.errstate(invalid="ignore", over="ignore"):
        rounding = std <= RELATIVE_SPREAD_FLOOR * magnitude
    return np.where(constant | ~(std > 0) | rounding, _constant_scale(magnitude), std)


def _safe_range(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """``hi - lo`` per feature; for constant features and ranges at the float resolution of the
    values (:data:`RELATIVE_SPREAD_FLOOR`) the constant feature's scale (:func:`_constant_scale`)."""
    span = hi - lo
    magnitude = np.maximum(np.abs(lo), np.abs(hi))
    with np.errstate(invalid="ignore", over="ignore"):
        real = span > RELATIVE_SPREAD_FLOOR * magnitude
    return np.where(real, span, _constant_scale(magnitude))


def _zscore_params(X: np.ndarray) -> dict[str, np.ndarray]:
    """Per-feature mean and population std over known values (constant features: scale 1);
    float32 data from the shared column summary and one pass of float64 blocks
    (:func:`_float32_mean_std`), never converted whole."""
    if X.dtype == np.float32:
        mean, std, constant = _float32_mean_std(X)
    else:
        mean, std, constant = np.nanmean(X, axis=0), np.nanstd(X, axis=0), _column_constant(X)
    return {"mean": mean, "scale": _safe_scale(std, constant, mean)}


def _float32_mean_std(X: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``nanmean``, ``nanstd`` (population) and the constant columns of float32 data: the
    means, counts and extremes from the array's summary (:func:`somwidget._data_stats.summary_of`,
    shared within a SOM call), the squared deviations in float64 blocks of
    :data:`TRANSFORM_BLOCK_ROWS` rows (NaN skipped)."""
    summary = _data_stats.summary_of(X)
    mean = summary.mean
    ss = np.zeros(X.shape[1])
    for s in range(0, X.shape[0], TRANSFORM_BLOCK_ROWS):
        b = np.asarray(X[s : s + TRANSFORM_BLOCK_ROWS], dtype=np.float64) - mean
        ss += np.nansum(b * b, axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return mean, np.sqrt(ss / summary.known), summary.hi == summary.lo


class IdentityNormalizer(Normalizer):
    """``none``: data are used as they are."""

    name = "none"
    passthrough = True

    def _fit(self, X: np.ndarray) -> dict[str, np.ndarray]:
        return {}

    def _transform_block(self, X: np.ndarray) -> np.ndarray:
        # no copy: the training space of the data is the checked data itself (a 2M x 16
        # float32 set stays 128 MB, not 256 MB more)
        return X

    def _inverse(self, Y: np.ndarray) -> np.ndarray:
        return Y.copy()


class StandardNormalizer(Normalizer):
    """``standard``: per-feature z-score (population std; constant features get scale 1)."""

    name = "standard"
    param_names = ("mean", "scale")
    float32_fit = True

    def _fit(self, X: np.ndarray) -> dict[str, np.ndarray]:
        return _zscore_params(X)

    def _transform_block(self, X: np.ndarray) -> np.ndarray:
        return (X - self.params_["mean"]) / self.params_["scale"]

    def _inverse(self, Y: np.ndarray) -> np.ndarray:
        return Y * self.params_["scale"] + self.params_["mean"]


class MinMaxNormalizer(Normalizer):
    """``minmax``: per-feature scaling to [0, 1] (constant features get range 1)."""

    name = "minmax"
    param_names = ("min", "scale")
    float32_fit = True

    def _fit(self, X: np.ndarray) -> dict[str, np.ndarray]:
        lo = np.nanmin(X, axis=0)
        hi = np.nanmax(X, axis=0)
        return {"min": lo, "scale": _safe_range(lo, hi)}

    def _transform_block(self, X: np.ndarray) -> np.ndarray:
        return (X - self.params_["min"]) / self.params_["scale"]

    def _inverse(self, Y: np.ndarray) -> np.ndarray:
        return Y * self.params_["scale"] + self.params_["min"]


class L2Normalizer(Normalizer):
    """``l2``: every sample scaled to unit Euclidean length (zero rows stay zero; not invertible)."""

    name = "l2"
    invertible = False

    def _fit(self, X: np.ndarray) -> dict[str, np.ndarray]:
        return {}

    def _transform_block(self, X: np.ndarray) -> np.ndarray:
        # each row first divided by a power of two near its largest magnitude (exact, and the
        # same result as X / |X| wherever that one neither overflows nor underflows): rows of
        # 1e-200 or 1e200 have squares beyond float64's range
        Xs = X / pow2_scales(np.fmax.reduce(np.abs(X), axis=1, keepdims=True))  # NaN ignored
        norms = np.sqrt(np.nansum(Xs * Xs, axis=1, keepdims=True))
        return Xs / np.where(norms > 0, norms, 1.0)


#: The coarsest float64 spacing at the data's minimum the ``log`` normalization accepts: below
#: ``log1p(spacing)`` (about the spacing) in training space, two prototypes map to the same value
#: in data units, so a map of data beyond about 2.2e12 in magnitude could be neither shown nor
#: saved in data units (the saved model's round trip would fail).
LOG_MIN_SPACING = 5e-4


def check_log_resolution(lo: np.ndarray) -> np.ndarray:
    """``lo`` (the per-feature minima of the ``log`` normalization) if data units resolve
    ``log1p(x - min)`` near the minimum (:data:`LOG_MIN_SPACING`); else ValueError naming the
    columns and the normalizations that work there."""
    with np.errstate(invalid="ignore"):
        coarse = np.spacing(np.abs(lo)) > LOG_MIN_SPACING
    if coarse.any():
        cols = np.flatnonzero(coarse).tolist()
        raise ValueError(
            "X is too wide for the 'log' normalization: it computes log1p(x - min), and at the "
            f"magnitude of the minimum of columns {cols} ({lo[cols][:3].tolist()}) float64 cannot "
            f"tell x - min apart below {float(np.spacing(np.abs(lo[cols])).max()):.3g}, so the "
            "map could not be shown or saved in data units; use 'standard' or 'minmax' (or "
            "subtract an offset from those columns first)"
        )
    return lo


class LogNormalizer(Normalizer):
    """``log``: ``y = log1p(x - min_fit)`` per feature."""

    name = "log"
    param_names = ("min",)
    float32_fit = True

    def _fit(self, X: np.ndarray) -> dict[str, np.ndarray]:
        return {"min": check_log_resolution(np.nanmin(X, axis=0).astype(np.float64))}

    def _outside_domain(self, X: np.ndarray) -> np.ndarray:
        return (X - self.params_["min"]) <= -1.0

    def _domain_message(self, cols: list[int], count: int) -> str:
        return ("X cannot be log-transformed: the 'log' normalization computes log1p(x - min) "
                f"with the minimum of the fitted data, so it needs x > min - 1; columns {cols} "
                f"have {count} value(s) at or below that bound "
                f"(fitted min: {self.params_['min'][cols].tolist()})")

    def _transform_block(self, X: np.ndarray) -> np.ndarray:
        return np.log1p(X - self.params_["min"])

    def _inverse(self, Y: np.ndarray) -> np.ndarray:
        with np.errstate(over="ignore"):
            out = np.expm1(Y) + self.params_["min"]
        if np.isinf(out).any():
            raise ValueError("Y has values too large to invert the 'log' normalization (overflow)")
        return out


class LogisticNormalizer(Normalizer):
    """``logistic``: sigmoid of the per-feature z-score; inverse via the logit."""

    name = "logistic"
    param_names = ("mean", "scale")
    float32_fit = True

    def _fit(self, X: np.ndarray) -> dict[str, np.ndarray]:
        return _zscore_params(X)

    def _transform_block(self, X: np.ndarray) -> np.ndarray:
        return special.expit((X - self.params_["mean"]) / self.params_["scale"])

    def _inverse(self, Y: np.ndarray) -> np.ndarray:
        bad = (Y <= 0.0) | (Y >= 1.0)
        if bad.any():
            raise ValueError(
                "Y cannot be inverted through the 'logistic' normalization: values must lie strictly "
                f"between 0 and 1; {int(bad.sum())} value(s) do not"
            )
        return special.logit(Y) * self.params_["scale"] + self.params_["mean"]


class BoxCoxNormalizer(Normalizer):
    """``boxcox``: shift to positive, Box-Cox with a fitted exponent, then standardise."""

    name = "boxcox"
    param_names = ("shift", "lmbda", "mean", "scale")

    def _fit(self, X: np.ndarray) -> dict[str, np.ndarray]:
        lo = np.nanmin(X, axis=0)
        shift = boxcox_shift(lo, np.nanmax(X, axis=0))
        constant = _column_constant(X)
        shifted = X + shift
        if not np.isfinite(shifted[~np.isnan(X)]).all():
            raise ValueError("X is too wide for the 'boxcox' normalization: shifting it to "
                             "positive values overflows; use 'standard' or 'minmax'")
        # one vectorised likelihood search over every feature (constant ones use lambda = 1)
        lmbda = np.where(constant, 1.0, boxcox_lambdas(np.where(constant, 1.0, shifted)))
        with np.errstate(over="ignore", invalid="ignore"):
            b = special.boxcox(shifted, lmbda)
            mean = np.nanmean(b, axis=0)
            std = np.nanstd(b, axis=0)
        if not (np.isfinite(mean).all() and np.isfinite(std).all()):
            raise ValueError("X is too wide for the 'boxcox' normalization (the transformed "
                             "values overflow); use 'standard' or 'minmax'")
        scale = _safe_scale(std, constant, mean)
        return {"shift": shift, "lmbda": lmbda, "mean": mean, "scale": scale}

    def _outside_domain(self, X: np.ndarray) -> np.ndarray:
        return (X + self.params_["shift"]) <= 0

    def _domain_message(self, cols: list[int], count: int) -> str:
        bound = (-self.params_["shift"][cols]).tolist()
        return ("X cannot be Box-Cox transformed: values must be greater than -shift "
                f"(the stored positive shift); columns {cols} have {count} value(s) at or "
                f"below their bounds {bound}")

    def _transform_block(self, X: np.ndarray) -> np.ndarray:
        b = special.boxcox(X + self.params_["shift"], self.params_["lmbda"])
        return (b - self.params_["mean"]) / self.params_["scale"]

    def _inverse(self, Y: np.ndarray) -> np.ndarray:
        b = Y * self.params_["scale"] + self.params_["mean"]
        with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
            out = special.inv_boxcox(b, self.params_["lmbda"]) - self.params_["shift"]
        bad = ~np.isfinite(out) & ~np.isnan(Y)
        if bad.any():
            raise ValueError(
                "Y has values outside the range of the fitted Box-Cox transform; "
                f"{int(bad.sum())} value(s) cannot be mapped back to data units"
            )
        return out

    def _validate_params(self, params: dict[str, np.ndarray]) -> None:
        super()._validate_params(params)
        if (params["shift"] < 0).any():
            raise ValueError("normalizer param 'shift' must be >= 0")


def make_normalizer(name: str) -> Normalizer:
    """Return a new, unfitted normaliser.

    Parameters
    ----------
    name : str
        One of :data:`NORMALIZATIONS` or an alias in :data:`NORMALIZATION_ALIASES`
        (case-insensitive).

    Returns
    -------
    Normalizer

    Raises
    ------
    ValueError
        For an unknown name; the message lists the allowed values.
    """
    canonical = check_choice("normalization", name, NORMALIZATIONS, NORMALIZATION_ALIASES)
    return _METHODS[canonical]()

