"""The base of the feature normalisers (:mod:`somwidget.normalization`): fit once, transform
with the stored parameters in row blocks, invert, check the columns of a DataFrame fitted on,
and serialise to plain JSON types. The methods themselves are in :mod:`somwidget.normalization`.
"""

from __future__ import annotations

import numbers
from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np

from somwidget.validation import NotFittedError, all_nan_columns, check_array, check_choice

__all__ = ["NORMALIZATIONS", "NORMALIZATION_ALIASES", "TRANSFORM_BLOCK_ROWS", "Normalizer"]

NORMALIZATIONS: tuple[str, ...] = ("none", "standard", "minmax", "l2", "log", "logistic", "boxcox")
NORMALIZATION_ALIASES: dict[str, str] = {"fwn": "standard", "01scale": "minmax", "euclidean": "l2"}

#: name -> class of every method (each subclass with a name registers itself on definition)
_METHODS: dict[str, type[Normalizer]] = {}


#: Rows of float32 data a normaliser transforms at a time (in float64, into a float32 result).
TRANSFORM_BLOCK_ROWS = 1 << 15


class Normalizer(ABC):
    """Base class of the feature normalisers.

    Subclasses declare ``name``, ``invertible`` and ``param_names`` and implement ``_fit``,
    ``_transform`` and ``_inverse``. Parameters are stored in :attr:`params_` as a dict of
    float64 arrays of length :attr:`n_features_in_`.

    Attributes
    ----------
    name : str
        Canonical method name (one of :data:`NORMALIZATIONS`).
    invertible : bool
        Whether :meth:`inverse_transform` is available.
    n_features_in_ : int or None
        Number of features seen by :meth:`fit` (None before fitting).
    params_ : dict of str to ndarray
        The fitted per-feature parameters.
    """

    name: ClassVar[str] = ""
    invertible: ClassVar[bool] = True
    param_names: ClassVar[tuple[str, ...]] = ()
    #: whether the transform returns the data themselves (float32 then needs no block loop)
    passthrough: ClassVar[bool] = False
    #: whether ``_fit`` reads float32 data as they are (in float64 blocks where it sums)
    float32_fit: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.name:
            _METHODS[cls.name] = cls

    def __init__(self) -> None:
        self.n_features_in_: int | None = None
        self.params_: dict[str, np.ndarray] = {}
        #: the column names of the DataFrame fitted on (None: an array)
        self._frame_names: list[str] | None = None

    def __repr__(self) -> str:
        state = f"n_features_in_={self.n_features_in_}" if self.fitted else "unfitted"
        return f"{type(self).__name__}({state})"

    # ------------------------------------------------------------------ public API
    @property
    def fitted(self) -> bool:
        """Whether :meth:`fit` (or :meth:`from_dict` with parameters) has been called."""
        return self.n_features_in_ is not None

    def fit(self, X: Any) -> Normalizer:
        """Fit the per-feature parameters on ``X`` (samples in rows) and return ``self``.

        A DataFrame's column names are remembered: a DataFrame given to :meth:`transform` or
        :meth:`inverse_transform` later must have those columns, in that order."""
        arr, names = check_array("X", X, allow_nan=True, keep_float32=True)
        empty = all_nan_columns(arr)
        if empty.any():
            raise ValueError(
                f"X has features with no known (non-NaN) value: columns {np.flatnonzero(empty).tolist()}"
            )
        # statistics in float64 (the identity has none; the z-scores and the min-max scaling
        # read float32 data block by block or exactly as they are: no float64 copy)
        keep = not self.param_names or (self.float32_fit and arr.dtype == np.float32)
        with np.errstate(over="ignore", invalid="ignore"):
            params = self._fit(arr if keep else np.asarray(arr, dtype=np.float64))
        fitted = {k: np.asarray(params[k], dtype=np.float64) for k in self.param_names}
        bad = sorted(k for k, v in fitted.items() if not np.isfinite(v).all())
        if bad:
            raise ValueError(
                f"X is too wide for the {self.name!r} normalization: its {', '.join(bad)} "
                "overflow (values near the float maximum); rescale the data first"
            )
        self.params_ = fitted
        self.n_features_in_ = arr.shape[1]
        self._frame_names = names
        return self

    def transform(self, X: Any) -> np.ndarray:
        """Map ``X`` from data units to training space with the stored parameters."""
        arr = self._check_input("X", X)
        return self._transform(arr)

    def fit_transform(self, X: Any) -> np.ndarray:
        """Fit on ``X`` and return its transform."""
        return self.fit(X).transform(X)

    def inverse_transform(self, Y: Any) -> np.ndarray:
        """Map ``Y`` from training space back to data units.

        Raises
        ------
        ValueError
            For a non-invertible normaliser (``l2``) or values outside the transform's range.
        """
        if not self.invertible:
            raise ValueError(
                f"the {self.name!r} normalization is not invertible: it discards information "
                "(the length of each sample), so values cannot be mapped back to data units"
            )
        arr = self._check_input("Y", Y)
        return self._inverse(arr)

    def to_dict(self) -> dict[str, Any]:
        """Serialise to plain JSON types: ``{"name", "n_features", "params"}``."""
        return {
            "name": self.name,
            "n_features": self.n_features_in_,
            "params": {k: [float(v) for v in self.params_[k]] for k in self.param_names}
            if self.fitted
            else {},
        }

    @staticmethod
    def from_dict(d: Mapping[str, Any]) -> Normalizer:
        """Rebuild a normaliser from :meth:`to_dict` output, validating its content.

        Raises
        ------
        ValueError, TypeError
            If the name is unknown, keys are missing or unexpected, or parameters have the wrong
            length, are not finite numbers, or violate the method's constraints.
        """
        if not isinstance(d, Mapping):
            raise TypeError(f"normalizer dict must be a mapping; got {type(d).__name__}")
        expected = {"name", "n_features", "params"}
        missing = expected - set(d)
        extra = set(d) - expected
        if missing or extra:
            raise ValueError(
                f"normalizer dict must have exactly the keys {sorted(expected)}; "
                f"missing {sorted(missing)}, unexpected {sorted(map(str, extra))}"
            )
        canonical = check_choice("normalization", d["name"], NORMALIZATIONS, NORMALIZATION_ALIASES)
        norm = _METHODS[canonical]()
        n = d["n_features"]
        params = d["params"]
        if not isinstance(params, Mapping):
            raise TypeError(f"normalizer 'params' must be a mapping; got {type(params).__name__}")
        if n is None:
            if params:
                raise ValueError("normalizer 'params' must be empty when 'n_features' is None")
            return norm
        if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1:
            raise ValueError(f"normalizer 'n_features' must be a positive integer or None; got {n!r}")
        n = int(n)
        if set(params) != set(norm.param_names):
            raise ValueError(
                f"{norm.name!r} normalizer params must have exactly the keys "
                f"{list(norm.param_names)}; got {sorted(map(str, params))}"
            )
        parsed: dict[str, np.ndarray] = {}
        for key in norm.param_names:
            values = params[key]
            if isinstance(values, (str, bytes)) or not hasattr(values, "__len__"):
                raise TypeError(f"normalizer param {key!r} must be a list of {n} numbers")
            if len(values) != n or not all(
                isinstance(v, numbers.Real) and not isinstance(v, bool) for v in values
            ):
                raise ValueError(f"normalizer param {key!r} must be a list of {n} numbers; got {values!r}")
            arr = np.asarray(values, dtype=np.float64)
            if not np.isfinite(arr).all():
                raise ValueError(f"normalizer param {key!r} must contain finite numbers; got {values!r}")
            parsed[key] = arr
        norm._validate_params(parsed)
        norm.params_ = parsed
        norm.n_features_in_ = n
        return norm

    # ------------------------------------------------------------------ helpers
    def _check_input(self, name: str, X: Any) -> np.ndarray:
        if not self.fitted:
            raise NotFittedError(f"this {self.name!r} normalizer is not fitted; call fit(X) first")
        arr, names = check_array(name, X, n_features=self.n_features_in_, allow_nan=True,
                                 keep_float32=True)
        fitted = getattr(self, "_frame_names", None)  # None: fitted on an array (or unpickled)
        if names is not None and fitted is not None and names != fitted:
            raise ValueError(
                f"{name} has columns {names}, but the normalizer was fitted with {fitted}: "
                "give the columns it was fitted with, in that order"
            )
        return arr

    def _validate_params(self, params: dict[str, np.ndarray]) -> None:
        for key in ("scale",):
            if key in params and (params[key] <= 0).any():
                raise ValueError(f"normalizer param {key!r} must be > 0")

    # ------------------------------------------------------------------ subclass hooks
    @abstractmethod
    def _fit(self, X: np.ndarray) -> dict[str, np.ndarray]:
        """The per-feature parameters fitted on ``X``."""

    def _transform(self, X: np.ndarray) -> np.ndarray:
        """``X`` (checked) mapped to training space with :attr:`params_`, refused where it lies
        outside the transform's domain. Float32 data stay float32: computed in float64
        :data:`TRANSFORM_BLOCK_ROWS` rows at a time into a float32 result, so that no float64
        copy of the data is made (a 1M x 32 float32 set: 122 MB, not 244 MB more)."""
        n = X.shape[0]
        bad = None
        for s in range(0, n, TRANSFORM_BLOCK_ROWS):
            b = self._outside_domain(X[s : s + TRANSFORM_BLOCK_ROWS])
            if b is not None and b.any():
                counts = b.sum(axis=0)
                bad = counts if bad is None else bad + counts
        if bad is not None:
            cols = np.flatnonzero(bad).tolist()
            raise ValueError(self._domain_message(cols, int(bad.sum())))
        if X.dtype != np.float32 or self.passthrough:
            return self._transform_block(X)
        out = np.empty(X.shape, dtype=np.float32)
        for s in range(0, n, TRANSFORM_BLOCK_ROWS):
            out[s : s + TRANSFORM_BLOCK_ROWS] = self._transform_block(
                np.asarray(X[s : s + TRANSFORM_BLOCK_ROWS], dtype=np.float64))
        return out

    @abstractmethod
    def _transform_block(self, X: np.ndarray) -> np.ndarray:
        """``X`` (checked, inside the domain) mapped to training space with :attr:`params_`."""

    def _outside_domain(self, X: np.ndarray) -> np.ndarray | None:
        """Where ``X`` (a block) lies outside the transform's domain (None: defined everywhere)."""
        return None

    def _domain_message(self, cols: list[int], count: int) -> str:
        """The error for ``count`` values outside the domain in the columns ``cols``."""
        return f"X has {count} value(s) outside the {self.name!r} normalization's domain in columns {cols}"

    def _inverse(self, Y: np.ndarray) -> np.ndarray:
        """``Y`` mapped back to data units; the invertible normalisers override this."""
        raise ValueError(f"the {self.name!r} normalisation is not invertible")
