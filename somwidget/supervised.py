"""The map as a predictor: :class:`SOMClassifier` and :class:`SOMRegressor`.

Both are scikit-learn estimators (``fit(X, y)``, ``predict``, ``score``; the classifier also
``predict_proba`` and ``classes_``) around a :class:`~somwidget.som.SOM`, with two modes:

``mode="unsupervised"`` (default)
    The map is trained on ``X`` alone; then every neuron is labelled from the training samples
    it wins: the class proportions of its samples (the classifier; its label is the majority
    class) or the mean of their targets (the regressor). A neuron that wins no labelled sample
    takes the pooled samples of the *nearest labelled neurons on the lattice* (grid distance,
    wrap-around respected, every neuron at the smallest distance pooled), never a default class.
    Samples whose label is missing (``None`` / ``NaN``) still train the map but label no neuron
    (semi-supervised use).
``mode="supervised"``
    The map is trained on ``X`` and ``y`` together, as R kohonen's ``xyf`` and susi do: the
    codebook holds ``[X | c * onehot(y)]`` during training (``[X | c * standardised y]`` for the
    regressor), BMUs for prediction use the ``X`` part only, and a neuron's prediction is its
    target part divided by ``c``. ``c`` is set so that the target block carries ``label_weight**2``
    times the total variance of ``X`` in the training space (``label_weight=1``: as much as all
    the features together, kohonen's equal layer weights).

In both modes ``som_`` is an ordinary fitted SOM in the feature space (its codebook is the ``X``
part), so every view and analysis of somwidget works on it: ``LatticeView(clf.som_)``.

scikit-learn is imported by this module only (and :mod:`somwidget._supervised_targets`, where
``y`` is checked and coded and empty neurons are filled); ``import somwidget`` does not load it.
"""

from __future__ import annotations

import copy
import warnings
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, clone
from sklearn.utils.validation import check_is_fitted

from ._keyword_checks import explained_signature, invalid_parameter_message
from ._supervised_targets import (
    _SCALE_WARNING,
    NON_NEGATIVE_METRICS,
    _block_scale,
    _checked_weight,
    _class_array,
    _class_codes,
    _regression_targets,
    _score_codes,
    _target_frame,
    fill_empty_neurons,
)
from .euclidean import pow2_scales, relative_weights, warn_disparate_scales
from .initialization import auto_mapsize
from .labels import code_counts
from .normalization import make_normalizer
from .som import SOM
from .validation import RANDOM_STATE, check_array, check_choice, check_param, check_positive

__all__ = ["MODES", "TRAININGS", "SOMClassifier", "SOMRegressor", "fill_empty_neurons"]

#: The two ways of using a map as a predictor (see the module docstring).
MODES = ("unsupervised", "supervised")
#: Which SOM training call ``fit`` runs: ``fit``, ``fit_online``, ``fit_auto``, or none at all
#: (``"none"``: label the already trained ``som`` as it is; unsupervised mode only).
TRAININGS = ("batch", "online", "auto", "none")


def _som_parameter_hint(name: str) -> str | None:
    """Where a SOM parameter given to the classifier or the regressor belongs."""
    if name not in SOM._param_names():
        return None
    return (f"{name!r} is a parameter of the map: pass som=SOM({name}=...), or "
            f"set_params(som__{name}=...)")


class _MapPredictor(BaseEstimator):
    """What the classifier and the regressor share: the parameters, training, prediction."""

    # SOMClassifier(mapsize=5): the error names the class, its parameters and where mapsize goes
    @explained_signature(hint=lambda self, name: _som_parameter_hint(name))
    def __init__(
        self,
        som: SOM | None = None,
        *,
        mode: str = "unsupervised",
        label_weight: float = 1.0,
        training: str = "batch",
        random_state: int | np.random.Generator | None = None,
    ) -> None:
        self.som = som
        self.mode = mode
        self.label_weight = label_weight
        self.training = training
        self.random_state = random_state

    # ------------------------------------------------------------------ parameters
    def set_params(self, **params: Any) -> _MapPredictor:
        """Set parameters, ``som__<name>`` ones included (scikit-learn's nested syntax). With the
        default ``som=None`` the map they tune is made explicit first (``SOM()``, what ``fit``
        would train), so ``GridSearchCV(SOMClassifier(), {"som__epochs": [5, 20]})`` works."""
        valid = list(self.get_params(deep=False))
        for key in params:
            top = key.partition("__")[0]
            if top not in valid:
                raise ValueError(invalid_parameter_message(
                    type(self).__name__, top, valid, _som_parameter_hint(top)))
        if self.som is None and "som" not in params and any(k.startswith("som__") for k in params):
            self.som = SOM()
        return super().set_params(**params)

    def _checked(self) -> tuple[str, str, float]:
        mode = check_choice("mode", self.mode, MODES)
        training = check_choice("training", self.training, TRAININGS)
        weight = check_positive("label_weight", self.label_weight)
        if self.som is not None and not isinstance(self.som, SOM):
            raise TypeError(f"som must be a somwidget.SOM or None; got {self.som!r}")
        check_param("random_state", self.random_state, RANDOM_STATE)
        if training == "none" and mode == "supervised":
            raise ValueError("training='none' labels a map trained beforehand, which is "
                             "mode='unsupervised'; mode='supervised' trains on X and y together")
        return mode, training, weight

    def _check_X(self, X: object) -> tuple[np.ndarray, list[str] | None]:
        """``X`` checked as the SOM checks it: NaN (missing values) accepted when the SOM is
        set to ``missing="ignore"``, refused with that option named otherwise."""
        som = SOM() if self.som is None else self.som
        allow = som._validated()["missing"] == "ignore"
        return check_array("X", X, allow_nan=allow,
                           nan_hint=None if allow else
                           "clean or impute them first, or give the map SOM(missing='ignore')")

    def _base_som(self, training: str) -> SOM:
        """The SOM to train: a fresh clone of ``som`` (a copy of it as trained for ``"none"``)."""
        if training == "none":
            if self.som is None or not self.som._is_initialized():
                raise ValueError("training='none' labels the trained map given as som; fit that "
                                 "SOM first, or choose training='batch', 'online' or 'auto'")
            return copy.deepcopy(self.som)
        base = SOM() if self.som is None else clone(self.som)
        if self.random_state is not None:
            base.set_params(random_state=self.random_state)
        return base

    @staticmethod
    def _sample_weight(fit_params: dict[str, Any], n: int, training: str) -> np.ndarray | None:
        """``sample_weight`` taken out of ``fit_params`` and checked; it goes back in (as the
        checked array) for the SOM's training call unless nothing is trained."""
        raw = fit_params.pop("sample_weight", None)
        if raw is None:
            return None
        w = _checked_weight(raw, n)
        if training != "none":
            fit_params["sample_weight"] = w
        return w

    @staticmethod
    def _train(som: SOM, X: object, training: str, fit_params: dict[str, Any]) -> None:
        if training == "batch":
            som.fit(X, **fit_params)
        elif training == "online":
            som.fit_online(X, **fit_params)
        else:
            som.fit_auto(X, **fit_params)

    def _fit_map(
        self, X: object, block: np.ndarray | None, fit_params: dict[str, Any]
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Train (or copy) the map; ``block`` (N, K) is the target block for supervised mode.

        Sets ``som_``, ``n_features_in_`` (and ``feature_names_in_`` for a DataFrame); returns
        the BMUs of ``X`` and, in supervised mode, the target part of the codebook divided by
        the block's scale.
        """
        mode, training, weight = self._checked()
        arr, names = self._check_X(X)
        base = self._base_som(training)
        if mode == "unsupervised":
            if training == "none":
                if fit_params:
                    raise TypeError(f"training='none' trains nothing; got fit parameters "
                                    f"{sorted(fit_params)}")
            else:
                self._train(base, X, training, fit_params)
            som, part = base, None
        else:
            p = base._validated()
            normalizer = make_normalizer(p["normalization"])
            Xt = np.ascontiguousarray(normalizer.fit_transform(arr), dtype=np.float64)
            scale = _block_scale(Xt, block, weight, p["distance_metric"])
            if p["normalization"] == "none":
                warn_disparate_scales(Xt)  # the features' spreads; the label block's is chosen
            joint = clone(base).set_params(normalization="none")
            p = base._validated()
            if p["mapsize"] == "auto":  # the map's shape follows the features, not the targets
                joint.set_params(mapsize=tuple(int(v) for v in auto_mapsize(Xt, p["lattice"])))
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", _SCALE_WARNING, UserWarning)
                self._train(joint, np.hstack([Xt, scale * block]), training, fit_params)
            d = arr.shape[1]
            som = clone(base)
            som._set_fitted(
                codebook=joint.codebook_[:, :d], lattice=joint.lattice_, normalizer=normalizer,
                random_state=joint.random_state_, feature_names=names,
                history=joint.history_.to_dict(), n_epochs_trained=joint.n_epochs_trained_,
                last_radius=joint._last_radius, training_data=Xt,
            )
            part = joint.codebook_[:, d:] / scale
        self.som_ = som
        self.n_features_in_ = arr.shape[1]
        if names is not None:
            self.feature_names_in_ = np.asarray(names, dtype=object)
        elif hasattr(self, "feature_names_in_"):
            del self.feature_names_in_
        return som.predict(X), part

    def _bmus(self, X: object) -> np.ndarray:
        check_is_fitted(self, "som_")
        return self.som_.predict(X)


class SOMClassifier(ClassifierMixin, _MapPredictor):
    """A classifier that labels the neurons of a self-organising map.

    Parameters
    ----------
    som : SOM, optional
        The map to train (cloned on every ``fit``, so it stays untouched); default ``SOM()``.
        Its parameters can be tuned through ``som__<name>`` (``GridSearchCV`` with
        ``{"som__epochs": [5, 20]}``). With ``training="none"``, a trained SOM that is labelled
        as it is (a copy of it).
    mode : {"unsupervised", "supervised"}
        ``"unsupervised"``: train on ``X``, then label each neuron with the class proportions of
        the training samples it wins; a neuron that wins none takes the pooled proportions of the
        nearest labelled neurons on the lattice. ``"supervised"``: train on ``[X | c onehot(y)]``
        (kohonen ``xyf``); a neuron's probabilities are its one-hot part / ``c``.
    label_weight : float > 0
        Supervised mode: the weight of the labels against the features; the one-hot block is
        scaled to carry ``label_weight**2`` times the total variance of ``X`` (training space).
        With ``distance_metric="dice"`` (values in [0, 1]) the block is capped at 1, with a
        warning; a weight that scales it beyond what training can sum is refused.
    training : {"batch", "online", "auto", "none"}
        The SOM call ``fit`` runs: ``fit``, ``fit_online`` or ``fit_auto``, with the SOM's own
        training parameters and the ``fit_params`` given to :meth:`fit`; ``"none"`` labels the
        already trained ``som`` (unsupervised mode).
    random_state : int, numpy.random.Generator or None
        When given, the seed of the map (overrides ``som.random_state``).

    Attributes
    ----------
    som_ : SOM
        The fitted map (feature space; in supervised mode its codebook is the ``X`` part).
    classes_ : ndarray (K,)
        The classes, in :func:`somwidget.labels.encode_labels` order (sorted).
    neuron_counts_ : ndarray (M, K)
        Labelled training samples of each class won by each neuron (int; with
        ``sample_weight``, the float sums of their weights).
    empty_neurons_ : ndarray (M,) of bool
        Neurons that won no labelled training sample.
    neuron_proba_ : ndarray (M, K)
        Class probabilities of each neuron (rows sum to 1); ``predict_proba`` reads them at the
        BMU.
    neuron_labels_ : ndarray (M,)
        The class of each neuron (argmax of ``neuron_proba_``; ties: the first class).
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when ``X`` was a DataFrame.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from somwidget import SOM, SOMClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = SOMClassifier(SOM((12, 12), random_state=0)).fit(X, y)
    >>> round(clf.score(X, y), 2)  # accuracy on the training data
    0.92
    """

    def fit(self, X: object, y: object, **fit_params: Any) -> SOMClassifier:
        """Train the map and label its neurons.

        Parameters
        ----------
        X : array-like or DataFrame (N, D)
        y : array-like (N,)
            Class labels (any hashable values). Missing ones (``None``, ``NaN``) train the map
            but label no neuron (unsupervised mode only).
        **fit_params
            Keywords of the SOM's training call (``epochs=``, ``callbacks=``, ...). In
            supervised mode the callbacks see the joint map (the features, then one column per
            class). ``sample_weight`` (N,) weights each sample in the labelling (a neuron's
            class proportions are weighted counts; weight 0 labels nothing) and is passed on
            to the SOM's training call (with ``training="none"`` it only weights the labels).

        Returns
        -------
        SOMClassifier
        """
        mode, training, _ = self._checked()
        arr, _ = self._check_X(X)
        codes, classes = _class_codes(y, arr.shape[0])
        sw = self._sample_weight(fit_params, arr.shape[0], training)
        if mode == "supervised" and (codes < 0).any():
            raise ValueError(
                f"y has {int((codes < 0).sum())} missing label(s); mode='supervised' needs a label "
                "for every sample (mode='unsupervised' trains on them and labels no neuron with them)"
            )
        k = len(classes)
        onehot = None
        if mode == "supervised":
            onehot = np.zeros((arr.shape[0], k))
            onehot[np.arange(arr.shape[0]), codes] = 1.0
        bmus, part = self._fit_map(X, onehot, fit_params)
        m = self.som_.n_neurons_
        ok = codes >= 0
        if sw is None:
            counts = scaled = code_counts(bmus, codes, k, m)
            hits = counts.sum(axis=1)
        else:  # weights divided by a power of two (exact): their sums stay finite
            ws, w_scale = relative_weights(sw[ok])
            scaled = np.bincount(bmus[ok] * k + codes[ok], weights=ws,
                                 minlength=m * k).reshape(m, k)
            with np.errstate(over="ignore"):
                counts = scaled * w_scale
            hits = np.bincount(bmus[ok], weights=ws > 0, minlength=m)
        sums, weights = fill_empty_neurons(self.som_.lattice_, scaled, scaled.sum(axis=1))
        proba = sums / weights[:, None]
        if part is not None:
            joint = np.clip(part, 0.0, None)
            mass = joint.sum(axis=1)
            ok = mass > 0
            proba[ok] = joint[ok] / mass[ok, None]
        self.classes_ = _class_array(classes)
        self.neuron_counts_ = counts
        self.empty_neurons_ = hits == 0
        self.neuron_proba_ = proba
        self._label_index = np.argmax(proba, axis=1)
        self.neuron_labels_ = self.classes_[self._label_index]
        self._classes = list(classes)
        return self

    def score(self, X: object, y: object, sample_weight: object = None) -> float:
        """The (weighted) fraction of samples whose predicted class is their label.

        Labels are told apart as :func:`somwidget.labels.encode_labels` does (``True`` and
        ``1`` are two classes, ``1`` and ``1.0`` one), so any labels ``fit`` accepts can be
        scored (mixed types, tuples, datetimes); a class not seen in ``fit`` is never right.

        Parameters
        ----------
        X : array-like or DataFrame (N, D)
        y : array-like (N,)
            The true labels, none missing.
        sample_weight : array-like (N,), optional
            Finite weights >= 0, not all 0.

        Returns
        -------
        float
        """
        bmus = self._bmus(X)  # not fitted: scikit-learn's NotFittedError, before any attribute
        pred = self._label_index[bmus]
        classes = getattr(self, "_classes", None)  # a model pickled before it was kept
        classes = self.classes_.tolist() if classes is None else classes
        right = _score_codes(y, classes, pred.shape[0]) == pred
        if sample_weight is None:
            return float(right.mean())
        ws, _ = relative_weights(_checked_weight(sample_weight, pred.shape[0]))
        total = float(ws.sum())
        if not total > 0:
            raise ValueError("sample_weight must not be all 0: nothing would be scored")
        return float(ws[right].sum() / total)

    def predict_proba(self, X: object) -> np.ndarray:
        """Class probabilities of each sample: those of its BMU, shape (N, K)."""
        bmus = self._bmus(X)
        return self.neuron_proba_[bmus]

    def predict(self, X: object) -> np.ndarray:
        """The class of each sample's BMU, shape (N,) (the argmax of :meth:`predict_proba`)."""
        bmus = self._bmus(X)
        return self.classes_[self._label_index[bmus]]

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = True
        return tags


class SOMRegressor(RegressorMixin, _MapPredictor):
    """A regressor that gives each neuron of a self-organising map a target value.

    Parameters
    ----------
    som, training, random_state
        As :class:`SOMClassifier`.
    mode : {"unsupervised", "supervised"}
        ``"unsupervised"``: train on ``X``, then give each neuron the mean target of the training
        samples it wins; a neuron that wins none takes the pooled mean of the nearest labelled
        neurons on the lattice. ``"supervised"``: train on ``[X | c * standardised y]``
        (kohonen ``xyf``); a neuron predicts its target part, unscaled.
    label_weight : float > 0
        Supervised mode: the standardised target block is scaled to carry ``label_weight**2``
        times the total variance of ``X`` (training space). For the metrics of non-negative
        data (``"dice"``, ``"jensenshannon"``) the targets are min-max scaled instead of
        standardised (dice: the block capped at 1, as :class:`SOMClassifier`).

    Attributes
    ----------
    som_ : SOM
    neuron_counts_ : ndarray (M,) or (M, T)
        Training samples with a known target won by each neuron (per target for 2-D ``y``;
        int, or with ``sample_weight`` the float sums of their weights).
    empty_neurons_ : ndarray (M,) or (M, T) of bool
    neuron_values_ : ndarray (M,) or (M, T)
        The prediction of each neuron (``predict`` reads it at the BMU).
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when ``X`` was a DataFrame.
    """

    def fit(self, X: object, y: object, **fit_params: Any) -> SOMRegressor:
        """Train the map and give its neurons target values.

        Parameters
        ----------
        X : array-like or DataFrame (N, D)
        y : array-like (N,) or (N, T)
            Numeric targets; ``NaN`` marks a missing one (unsupervised mode only: the sample
            trains the map and gives no neuron a value).
        **fit_params
            Keywords of the SOM's training call. ``sample_weight`` (N,) makes each neuron's
            value a weighted mean (weight 0: the sample gives no value) and is passed on to the
            SOM's training call (with ``training="none"`` it only weights the values).

        Returns
        -------
        SOMRegressor
        """
        mode, training, _ = self._checked()
        arr, _ = self._check_X(X)
        Y, one_d = _regression_targets(y, arr.shape[0])
        sw = self._sample_weight(fit_params, arr.shape[0], training)
        ws, w_scale = relative_weights(np.ones(arr.shape[0]) if sw is None else sw)
        known = ~np.isnan(Y)
        if mode == "supervised" and not known.all():
            raise ValueError(
                f"y has {int((~known).sum())} missing target(s) (NaN); mode='supervised' needs "
                "every target (mode='unsupervised' trains on them and gives no neuron their value)"
            )
        block = None
        if mode == "supervised":
            som = SOM() if self.som is None else self.som
            metric = som._validated()["distance_metric"]
            center, spread = _target_frame(Y, metric in NON_NEGATIVE_METRICS)
            block = (Y - center) / spread
        bmus, part = self._fit_map(X, block, fit_params)
        m = self.som_.n_neurons_
        t = Y.shape[1]
        # targets and weights divided by powers of two (exact): the sums stay finite
        y_scale = pow2_scales(np.nanmax(np.abs(Y), axis=0))
        counts = np.zeros((m, t))
        hits = np.zeros((m, t))
        values = np.zeros((m, t))
        for j in range(t):  # per target column (each has its own missing values)
            ok = known[:, j]
            counts[:, j] = np.bincount(bmus[ok], weights=ws[ok], minlength=m)
            hits[:, j] = np.bincount(bmus[ok], weights=ws[ok] > 0, minlength=m)
            sums = np.bincount(bmus[ok], weights=ws[ok] * (Y[ok, j] / y_scale[j]), minlength=m)
            filled, mass = fill_empty_neurons(self.som_.lattice_, sums, counts[:, j])
            values[:, j] = filled / mass * y_scale[j]
        if part is not None:
            values = (center / y_scale + spread / y_scale * part) * y_scale
        if sw is None:
            counts = hits.astype(np.int64)
        else:
            with np.errstate(over="ignore"):
                counts = counts * w_scale
        self.neuron_counts_ = counts[:, 0] if one_d else counts
        self.empty_neurons_ = (hits[:, 0] if one_d else hits) == 0
        self.neuron_values_ = values[:, 0] if one_d else values
        return self

    def score(self, X: object, y: object, sample_weight: object = None) -> float:
        """The coefficient of determination R² of :meth:`predict` (scikit-learn's ``r2_score``;
        for 2-D ``y`` the uniform average over the targets).

        Parameters
        ----------
        X : array-like or DataFrame (N, D)
        y : array-like (N,) or (N, T)
            The true targets, none missing, as many columns as ``fit`` had.
        sample_weight : array-like (N,), optional
            Finite weights >= 0, not all 0.

        Returns
        -------
        float
        """
        from sklearn.metrics import r2_score

        pred = self.predict(X)
        if y is None:
            raise ValueError("score(X, y) needs the true targets y; got None")
        Y, _ = _regression_targets(y, pred.shape[0])
        if np.isnan(Y).any():
            raise ValueError(f"y has {int(np.isnan(Y).sum())} missing target(s) (NaN); score "
                             "needs every true target")
        t = 1 if pred.ndim == 1 else pred.shape[1]
        if Y.shape[1] != t:
            raise ValueError(f"y has {Y.shape[1]} target column(s) but the regressor was "
                             f"fitted with {t}")
        sw = None
        if sample_weight is not None:
            sw = _checked_weight(sample_weight, pred.shape[0])
            if not (sw > 0).any():
                raise ValueError("sample_weight must not be all 0: nothing would be scored")
        return float(r2_score(Y[:, 0] if pred.ndim == 1 else Y, pred, sample_weight=sw))

    def predict(self, X: object) -> np.ndarray:
        """The value of each sample's BMU, shape (N,) (or (N, T) for 2-D ``y``)."""
        bmus = self._bmus(X)
        return self.neuron_values_[bmus]

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
