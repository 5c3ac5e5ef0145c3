"""The scikit-learn side of a SOM: its protocol, warm starts and the sklearn methods.

``_SklearnMixin`` (a base of :class:`~somwidget.som.SOM`) holds ``__sklearn_tags__`` and
``__sklearn_is_fitted__`` (scikit-learn is imported only when scikit-learn calls them), the warm
start rule of the training calls (``_start``, ``_continuing``), ``fit_predict``,
``fit_transform`` and ``score``; :func:`_check_y` is the ``y`` slot check of every training
call. No module-level import of :mod:`somwidget.som` or of scikit-learn.
"""

from __future__ import annotations

import contextlib
import numbers
import sys
import threading
from collections.abc import Iterator
from typing import Any

import numpy as np

from . import scale as _scale
from ._som_calls import _limit_threads

#: Per thread: ``id(som) -> depth`` of the :meth:`_SklearnMixin._continuing` blocks that
#: thread is inside (only that thread's training calls continue the map; the entry goes when
#: the block ends, so the SOM is alive and its id unique while it is there).
_CONTINUING = threading.local()


def _check_y(method: str, y: object, first: str | None = None) -> None:
    """``y`` of an unsupervised call: ignored, but a number there is the old positional use.

    Before the scikit-learn signature ``fit(X, y=None, *, ...)`` the second positional argument
    was ``epochs`` (``reinforcement`` for ``reinforce``); a number in ``y`` now raises a
    ``TypeError`` showing the keyword spelling instead of being silently ignored.
    """
    if y is None:
        return
    if isinstance(y, numbers.Number) or (isinstance(y, np.ndarray) and y.ndim == 0):
        hint = f"; write {method}(X, {first}={y!r})" if first else ""
        raise TypeError(
            f"{method}() got the number {y!r} as y: its training arguments are keyword-only "
            f"(y is the scikit-learn target slot, ignored by the SOM){hint}"
        )


class _SklearnMixin:
    """The scikit-learn protocol of :class:`~somwidget.som.SOM`."""

    # ------------------------------------------------------------------ scikit-learn protocol
    def __sklearn_tags__(self) -> Any:
        """scikit-learn's estimator tags (called by scikit-learn only, which imports it here).

        An unsupervised estimator (``y`` not required) with a ``transform`` that keeps
        float32 data float32 (float64 otherwise).
        """
        from sklearn.utils import Tags, TargetTags, TransformerTags

        return Tags(
            estimator_type=None,
            target_tags=TargetTags(required=False),
            transformer_tags=TransformerTags(preserves_dtype=["float64", "float32"]),
        )

    def __sklearn_is_fitted__(self) -> bool:
        """Whether the map is initialised (what ``sklearn.utils.validation.check_is_fitted`` asks)."""
        return self._is_initialized()

    # ------------------------------------------------------------------ output container
    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        """Names of :meth:`transform`'s columns, one per neuron: ``som0``, ``som1``, ...
        (scikit-learn's convention, as ``KMeans`` names its distance columns).

        Parameters
        ----------
        input_features : array-like of str, optional
            Checked against the features the map was fitted with: their number, and their
            names when those came from a DataFrame (the names out do not depend on them).
        """
        self._check_initialized()
        if input_features is not None:
            given = [str(f) for f in np.asarray(input_features, dtype=object).ravel()]
            if len(given) != self.n_features_in_:  # scikit-learn's wording
                raise ValueError(
                    f"input_features should have length equal to number of features "
                    f"({self.n_features_in_}), got {len(given)}"
                )
            from .validation import default_feature_names

            known = [str(f) for f in self.feature_names_in_]
            if known != default_feature_names(self.n_features_in_) and given != known:
                raise ValueError(f"input_features is not equal to feature_names_in_: got "
                                 f"{given}, the map was fitted with {known}")
        return np.asarray([f"som{i}" for i in range(self.n_neurons_)], dtype=object)

    def set_output(self, *, transform: str | None = None) -> Any:
        """The container :meth:`transform` and :meth:`fit_transform` return (scikit-learn's
        ``set_output`` API, so ``Pipeline(...).set_output(transform="pandas")`` reaches the map).

        Parameters
        ----------
        transform : {"default", "pandas", "polars"} or None
            ``"default"``: a numpy array; ``"pandas"`` / ``"polars"``: a DataFrame whose columns
            are :meth:`get_feature_names_out` (pandas: the input DataFrame's index kept); None:
            unchanged. Without a call, scikit-learn's global ``transform_output`` applies.

        Returns
        -------
        SOM
            ``self``.
        """
        if transform is None:
            return self
        from .validation import check_choice

        chosen = check_choice("transform", transform, ("default", "pandas", "polars"))
        self._sklearn_output_config = {"transform": chosen}
        return self

    def _output_container(self) -> str:
        """``"default"``, ``"pandas"`` or ``"polars"``: this map's :meth:`set_output`, else
        scikit-learn's global setting (read only when scikit-learn is loaded)."""
        chosen = self.__dict__.get("_sklearn_output_config", {}).get("transform")
        if chosen is not None:
            return chosen
        sklearn = sys.modules.get("sklearn")
        if sklearn is None:
            return "default"
        return str(sklearn.get_config().get("transform_output", "default"))

    def _wrap_output(self, out: np.ndarray, X: object) -> Any:
        """``out`` (N, M) in the container of :meth:`_output_container`."""
        container = self._output_container()
        if container == "default":
            return out
        columns = [str(c) for c in self.get_feature_names_out()]
        if container == "polars":
            import polars as pl

            return pl.DataFrame(out, schema=columns)
        import pandas as pd

        index = X.index if isinstance(X, pd.DataFrame) else None
        return pd.DataFrame(out, index=index, columns=columns)

    # ------------------------------------------------------------------ warm start
    def _start(self, X: object, p: dict[str, Any]) -> np.ndarray:
        """Training-space data for ``fit`` / ``fit_online`` / ``fit_auto``: afresh from
        :meth:`initialize` when ``warm_start`` is False (unless :meth:`_continuing`)."""
        if not p["warm_start"] and not self._continues_here():
            self.initialize(X)
            return self._dask_train if _scale.is_dask_collection(X) else self._Xt
        return self._prepare(X)

    def _continues_here(self) -> bool:
        """Whether the calling thread is inside a :meth:`_continuing` block of this SOM."""
        return id(self) in getattr(_CONTINUING, "depths", {})

    @contextlib.contextmanager
    def _continuing(self) -> Iterator[None]:
        """Training calls of the calling thread inside continue the current map even with
        ``warm_start=False`` (what the Trainer's one-epoch calls need); other threads' calls
        (a notebook's ``som.fit`` meanwhile) still start afresh."""
        depths = _CONTINUING.__dict__.setdefault("depths", {})
        key = id(self)
        depths[key] = depths.get(key, 0) + 1
        try:
            yield
        finally:
            depths[key] -= 1
            if not depths[key]:
                del depths[key]

    # ------------------------------------------------------------------ scikit-learn methods
    @_limit_threads
    def fit_predict(self, X: object, y: object = None, **fit_params: Any) -> np.ndarray:
        """``fit(X, **fit_params)``, then the BMU index of each sample of ``X``, shape (N,).

        ``fit_params`` are the keywords of :meth:`fit` (``epochs=5``, ``callbacks=...``).
        """
        return self.fit(X, y, **fit_params).predict(X)

    @_limit_threads
    def fit_transform(self, X: object, y: object = None, **fit_params: Any) -> np.ndarray:
        """``fit(X, **fit_params)``, then :meth:`transform`: the (N, M) distances (data
        metric, training space) from each sample to each neuron."""
        return self.fit(X, y, **fit_params).transform(X)

    @_limit_threads
    def score(self, X: object, y: object = None) -> float:
        """Minus the quantization error of ``X``: higher is better (as ``KMeans.score``).

        The quantization error is the mean distance (data metric ``distance_metric``, training
        space) from each sample to its best-matching unit, so ``score(X) ==
        -quantization_error(X)``; ``GridSearchCV`` on a SOM alone maximises it. ``y`` is
        ignored. ``X`` is required (a scorer always passes the data to score).
        """
        _check_y("score", y)
        return -self.quantization_error(self._require(X))
