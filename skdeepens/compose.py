"""The uncertainty methods through scikit-learn's composite estimators.

A :class:`~sklearn.pipeline.Pipeline` forwards only the methods scikit-learn
knows (``predict(X, return_std=True)`` among them, since ``return_std`` is
passed on to the last step), not ``predict_dist`` or ``predict_uncertainty``.
The functions here take any fitted estimator and resolve the one that predicts
a distribution:

- an estimator with the method itself (:class:`DeepEnsembleRegressor`,
  :class:`DeepEnsembleClassifier` for ``predict_uncertainty``) is called
  directly;
- a :class:`~sklearn.pipeline.Pipeline` transforms ``X`` through all but its
  last step, then resolves the last step (X-side transforms do not change the
  distribution of the target: the result is exact);
- a search (:class:`~sklearn.model_selection.GridSearchCV`,
  :class:`~sklearn.model_selection.RandomizedSearchCV`,
  :class:`~sklearn.model_selection.HalvingGridSearchCV`, or anything with a
  ``best_estimator_``) resolves its refitted best estimator;
- a :class:`~sklearn.compose.TransformedTargetRegressor` resolves its
  ``regressor_`` and maps the prediction back to the original target units,
  which is exact only when the target transform is affine, ``y = a z + b``:
  each member's location becomes ``a loc + b`` and its scale ``|a| scale``,
  still a Gaussian (Laplace) mixture. Affine transformers are
  :class:`~sklearn.preprocessing.StandardScaler`,
  :class:`~sklearn.preprocessing.MinMaxScaler`,
  :class:`~sklearn.preprocessing.MaxAbsScaler`,
  :class:`~sklearn.preprocessing.RobustScaler`, the identity (no
  ``transformer`` nor ``func``) and Pipelines of these. A non-linear transform
  (``func=np.log``, a ``QuantileTransformer``) turns each member into a
  non-Gaussian distribution: no mixture of the family exists to return, and
  these functions raise a TypeError. Its quantiles still map exactly through
  an increasing inverse transform:
  ``ttr.transformer_.inverse_transform(predict_quantiles(ttr.regressor_, X))``
  for one output.

The functions keep scikit-learn's convention that meta-estimators are not
subclassed: they work on a plain ``Pipeline``, on the ``best_estimator_`` of
any search, and on estimators nested in each other.
"""

import numpy as np
from sklearn.compose import TransformedTargetRegressor
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import (
    FunctionTransformer,
    MaxAbsScaler,
    MinMaxScaler,
    RobustScaler,
    StandardScaler,
)
from sklearn.utils import Bunch
from sklearn.utils.validation import check_is_fitted

from ._mixture import MixtureDistribution, predictive_interval, predictive_quantiles

__all__ = [
    "predict_dist",
    "predict_interval",
    "predict_quantiles",
    "predict_uncertainty",
]

# Transformers whose inverse_transform is y = a z + b, column by column.
_AFFINE_TRANSFORMERS = (StandardScaler, MinMaxScaler, MaxAbsScaler, RobustScaler)


def _is_affine(transformer):
    if isinstance(transformer, Pipeline):
        return all(
            step is None or step == "passthrough" or _is_affine(step)
            for _, step in transformer.steps
        )
    if isinstance(transformer, FunctionTransformer):
        # TransformedTargetRegressor's own transformer when neither
        # transformer nor func is given: the identity.
        return transformer.func is None and transformer.inverse_func is None
    return isinstance(transformer, _AFFINE_TRANSFORMERS)


def _resolve(estimator, X, method, caller):
    """The estimator that has ``method``, ``X`` as it sees it, and target maps.

    Returns ``(final, X, transformers)``: ``transformers`` are the fitted
    target transformers of the TransformedTargetRegressors passed on the way,
    outermost first.
    """
    path = []
    transformers = []
    while True:
        path.append(type(estimator).__name__)
        if hasattr(estimator, method):
            return estimator, X, transformers
        if isinstance(estimator, Pipeline):
            check_is_fitted(estimator)
            if len(estimator) > 1:
                X = estimator[:-1].transform(X)
            estimator = estimator[-1]
        elif isinstance(estimator, TransformedTargetRegressor):
            check_is_fitted(estimator)
            if not _is_affine(estimator.transformer_):
                raise TypeError(
                    f"{caller} cannot map a predictive mixture through "
                    f"{' -> '.join(path)}'s target transformer "
                    f"{estimator.transformer_!r}: only an affine transform "
                    "(StandardScaler, MinMaxScaler, MaxAbsScaler, RobustScaler "
                    "or none) keeps the members Gaussian (Laplace). Quantiles "
                    "map through an increasing inverse transform: "
                    "transformer_.inverse_transform(predict_quantiles("
                    "regressor_, X))."
                )
            transformers.append(estimator.transformer_)
            estimator = estimator.regressor_
        elif hasattr(estimator, "best_estimator_"):
            estimator = estimator.best_estimator_
        else:
            raise TypeError(
                f"{caller} needs an estimator with a {method} method (a "
                "DeepEnsembleRegressor), or a Pipeline, search (best_estimator_) "
                "or TransformedTargetRegressor ending in one; got "
                f"{' -> '.join(path)}, which cannot predict a distribution"
            )


def _affine_coefficients(transformer, n_outputs):
    """``(a, b)`` of shape (n_outputs,) with ``inverse_transform(z) = a z + b``."""
    b = np.asarray(transformer.inverse_transform(np.zeros((1, n_outputs))), float)
    a = np.asarray(transformer.inverse_transform(np.ones((1, n_outputs))), float) - b
    a, b = a.reshape(-1), b.reshape(-1)
    if not np.all(np.isfinite(a) & (a != 0) & np.isfinite(b)):
        raise ValueError(
            f"the target transformer {transformer!r} maps back with slope {a!r} "
            f"and offset {b!r}; expected a finite, non-zero slope"
        )
    return a, b


def _n_outputs(shape):
    return shape[1] if len(shape) == 2 else 1


def _map_dist(dist, transformers):
    for transformer in reversed(transformers):  # innermost first
        if not isinstance(dist, MixtureDistribution):
            raise TypeError(
                "mapping a distribution through a target transformer needs a "
                f"MixtureDistribution; got {type(dist).__name__}"
            )
        a, b = _affine_coefficients(transformer, _n_outputs(dist.shape))
        if len(dist.shape) == 1:
            a, b = a[0], b[0]
        members = dist.members
        dist = MixtureDistribution(
            a * members.loc + b, np.abs(a) * members.scale, dist.family
        )
    return dist


def _predict_dist(estimator, X, caller):
    final, X, transformers = _resolve(estimator, X, "predict_dist", caller)
    return _map_dist(final.predict_dist(X), transformers)


def predict_dist(estimator, X):
    """The exact predictive mixture of a fitted estimator or composite.

    Parameters
    ----------
    estimator : estimator
        A fitted :class:`~skdeepens.DeepEnsembleRegressor`, or a Pipeline,
        search or TransformedTargetRegressor ending in one (see the module
        description for what each keeps).
    X : array-like of shape (n_samples, n_features)
        Inputs, as ``estimator.predict`` takes them.

    Returns
    -------
    dist : MixtureDistribution
        In the units of the target ``estimator`` was fitted on.

    Raises
    ------
    TypeError
        When ``estimator`` does not end in an estimator with ``predict_dist``,
        or passes through a non-affine target transform.

    Examples
    --------
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skdeepens import DeepEnsembleRegressor
    >>> from skdeepens.compose import predict_dist
    >>> from skdeepens.datasets import make_cubic
    >>> X, y = make_cubic(n_samples=40, random_state=0)
    >>> pipe = make_pipeline(StandardScaler(), DeepEnsembleRegressor(max_iter=20))
    >>> pipe = pipe.fit(X, y)  # doctest: +SKIP
    >>> lower, upper = predict_dist(pipe, X).interval(0.9)  # doctest: +SKIP
    """
    return _predict_dist(estimator, X, "predict_dist")


def predict_uncertainty(estimator, X):
    """``predict_uncertainty`` of a fitted estimator or composite.

    Works for both estimators: the regressor's Bunch (``mean`` and the
    variances ``total``, ``aleatoric``, ``epistemic``) is mapped through an
    affine target transform (the mean by ``a mean + b``, the variances by
    ``a**2``); the classifier's Bunch of entropies is returned as it is.

    Parameters
    ----------
    estimator : estimator
        A fitted :class:`~skdeepens.DeepEnsembleRegressor` or
        :class:`~skdeepens.DeepEnsembleClassifier`, or a Pipeline, search or
        TransformedTargetRegressor ending in one.
    X : array-like of shape (n_samples, n_features)
        Inputs.

    Returns
    -------
    uncertainty : Bunch
        As the final estimator's ``predict_uncertainty``, in the original
        target units.
    """
    final, X, transformers = _resolve(
        estimator, X, "predict_uncertainty", "predict_uncertainty"
    )
    result = final.predict_uncertainty(X)
    for transformer in reversed(transformers):
        shape = np.shape(result.mean)
        a, b = _affine_coefficients(transformer, _n_outputs(shape))
        if len(shape) == 1:
            a, b = a[0], b[0]
        result = Bunch(
            mean=a * result.mean + b,
            **{key: a * a * result[key] for key in ("total", "aleatoric", "epistemic")},
        )
    return result


def predict_interval(estimator, X, coverage=0.9):
    """``predict_interval`` of a fitted estimator or composite.

    Parameters
    ----------
    estimator : estimator
        As in :func:`predict_dist`.
    X : array-like of shape (n_samples, n_features)
        Inputs.
    coverage : float or array-like of shape (n_coverage,), default=0.9
        Nominal coverages, strictly between 0 and 1.

    Returns
    -------
    lower, upper : ndarray of shape (n_samples,) or (n_samples, n_outputs)
        Plus a last axis of length ``n_coverage`` when ``coverage`` is a
        sequence, as :meth:`DeepEnsembleRegressor.predict_interval`.
    """
    return predictive_interval(predict_dist(estimator, X), coverage)


def predict_quantiles(estimator, X, alpha=(0.05, 0.5, 0.95)):
    """``predict_quantiles`` of a fitted estimator or composite.

    Parameters
    ----------
    estimator : estimator
        As in :func:`predict_dist`.
    X : array-like of shape (n_samples, n_features)
        Inputs.
    alpha : float or array-like of shape (n_alpha,), default=(0.05, 0.5, 0.95)
        Probabilities strictly between 0 and 1.

    Returns
    -------
    quantiles : ndarray of shape (n_samples, n_alpha) or \
            (n_samples, n_outputs, n_alpha)
        As :meth:`DeepEnsembleRegressor.predict_quantiles`; a float ``alpha``
        drops the last axis.
    """
    return predictive_quantiles(predict_dist(estimator, X), alpha)
