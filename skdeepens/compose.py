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
  ``regressor_`` and maps the prediction back to the original target units
  through the fitted transformer's ``inverse_transform`` ``g``:

  - an affine transform, ``y = a z + b``, maps each member: its location
    becomes ``a loc + b`` and its scale ``|a| scale``, still a Gaussian
    (Laplace) mixture, returned as a :class:`~skdeepens.MixtureDistribution`.
    Affine transformers are :class:`~sklearn.preprocessing.StandardScaler`,
    :class:`~sklearn.preprocessing.MinMaxScaler`,
    :class:`~sklearn.preprocessing.MaxAbsScaler`,
    :class:`~sklearn.preprocessing.RobustScaler`, the identity (no
    ``transformer`` nor ``func``) and Pipelines of these;
  - any other monotone transform (``func=np.log, inverse_func=np.exp``,
    ``np.log1p``/``np.expm1``, a
    :class:`~sklearn.preprocessing.QuantileTransformer`, a
    :class:`~sklearn.preprocessing.PowerTransformer` with Yeo-Johnson or
    Box-Cox, Pipelines of these) turns each member into a non-Gaussian
    distribution. The quantiles still map exactly, ``Q_Y(q) = g(Q_Z(q))``
    (``g(Q_Z(1 - q))`` for a decreasing ``g``), and so do the intervals, the
    CDF (through the forward transform) and the draws: :func:`predict_dist`
    returns a distribution with ``ppf``, ``interval``, ``cdf``, ``sample``
    and ``logpdf`` (with the Jacobian of the forward transform, where it is
    differentiable: not through a QuantileTransformer, which raises). Its
    mean and variance have no closed form and raise, and so does
    :func:`predict_uncertainty`'s variance split. The map is checked on
    a grid over the range of the predicted mixture: a transform that is not
    monotone there (``inverse_func=np.sin``; ``func=np.square`` on a signed
    target) raises a ValueError naming the transformer.

The functions keep scikit-learn's convention that meta-estimators are not
subclassed: they work on a plain ``Pipeline``, on the ``best_estimator_`` of
any search, and on estimators nested in each other.
"""

import numpy as np
from sklearn.compose import TransformedTargetRegressor
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import Pipeline
from sklearn.utils import Bunch
from sklearn.utils.validation import check_is_fitted

from ._mixture import MixtureDistribution, predictive_interval, predictive_quantiles
from ._target_transforms import is_affine, one_line
from ._transformed import TransformedDistribution

__all__ = [
    "predict_dist",
    "predict_interval",
    "predict_quantiles",
    "predict_uncertainty",
]


def _resolve(estimator, X, method, caller):
    """The estimator that has ``method``, ``X`` as it sees it, and target maps.

    Returns ``(final, X, targets)``: ``targets`` are the fitted
    TransformedTargetRegressors passed on the way, outermost first. Besides
    Pipelines, searches and target transforms, it goes through any wrapper
    that keeps the estimator it fitted as ``estimator_`` (dask-ml's
    Incremental), and raises NotFittedError on such a wrapper before its fit.
    A dask ``X`` is computed into memory first.
    """
    if hasattr(X, "__dask_graph__"):
        # A dask collection (a dask-ml Incremental's blocks): the estimators
        # predict on NumPy (or pandas, whose column names compute keeps), so
        # the inputs are brought into memory here, once.
        X = X.compute()

    def is_fitted(candidate):
        # check_is_fitted's verdict, False for what is not an estimator.
        if not hasattr(candidate, "get_params"):
            return False
        try:
            check_is_fitted(candidate)
        except NotFittedError:
            return False
        return True

    def parameters(candidate):
        get_params = getattr(candidate, "get_params", None)
        return get_params(deep=False) if callable(get_params) else {}

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
            transformers.append(estimator)
            estimator = estimator.regressor_
        elif hasattr(estimator, "best_estimator_"):
            estimator = estimator.best_estimator_
        elif is_fitted(getattr(estimator, "estimator_", None)):
            # A wrapper that keeps the estimator it fitted as estimator_, as
            # dask-ml's Incremental does. A template estimator_ that is never
            # fitted (BaggingRegressor's) leads nowhere: the TypeError below.
            estimator = estimator.estimator_
        elif "estimator" in parameters(estimator) and not is_fitted(estimator):
            raise NotFittedError(
                f"{caller} got an unfitted {type(estimator).__name__}: fit it "
                f"first, so that {caller} can reach the estimator it fits"
            )
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


def _map_dist(dist, targets):
    """``dist`` mapped back through the target transforms, innermost first.

    An affine transform maps each member (exact, still a mixture); any other
    monotone one wraps the mixture in a TransformedDistribution (or extends
    the chain of one).
    """
    for ttr in reversed(targets):
        transformer = ttr.transformer_
        if isinstance(dist, MixtureDistribution) and is_affine(transformer):
            a, b = _affine_coefficients(transformer, _n_outputs(dist.shape))
            if len(dist.shape) == 1:
                a, b = a[0], b[0]
            members = dist.members
            dist = MixtureDistribution(
                a * members.loc + b, np.abs(a) * members.scale, dist.family
            )
        elif isinstance(dist, MixtureDistribution):
            dist = TransformedDistribution(
                dist, [transformer], check_inverse=ttr.check_inverse
            )
        elif isinstance(dist, TransformedDistribution):
            dist = TransformedDistribution(
                dist.base,
                [*dist.transformers, transformer],
                check_inverse=dist.check_inverse and ttr.check_inverse,
            )
        else:
            raise TypeError(
                "mapping a distribution through a target transformer needs a "
                f"MixtureDistribution; got {type(dist).__name__}"
            )
    return dist


def _predict_dist(estimator, X, caller):
    final, X, transformers = _resolve(estimator, X, "predict_dist", caller)
    return _map_dist(final.predict_dist(X), transformers)


def predict_dist(estimator, X):
    """The predictive distribution of a fitted estimator or composite.

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
    dist : MixtureDistribution or TransformedDistribution
        In the units of the target ``estimator`` was fitted on: the exact
        mixture, or, through a monotone target transform that is not affine,
        the mixture mapped by its inverse (with ``ppf``, ``interval``,
        ``cdf``, ``sample``, ``logpdf``, ``base`` (the mixture of the
        transformed target) and ``increasing``; no ``mean``, ``var`` nor
        ``members``).

    Raises
    ------
    TypeError
        When ``estimator`` does not end in an estimator with ``predict_dist``.
    ValueError
        When a target transform's inverse is not monotone (or not undone by
        its forward transform) over the range the mixture predicts.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.compose import TransformedTargetRegressor
    >>> from skdeepens import DeepEnsembleRegressor
    >>> from skdeepens.compose import predict_dist
    >>> from skdeepens.datasets import make_cubic
    >>> X, y = make_cubic(n_samples=40, random_state=0)
    >>> ttr = TransformedTargetRegressor(
    ...     DeepEnsembleRegressor(max_iter=20), func=np.log, inverse_func=np.exp
    ... )
    >>> ttr = ttr.fit(X, np.exp(y / 20))  # doctest: +SKIP
    >>> dist = predict_dist(ttr, X)  # doctest: +SKIP
    >>> lower, upper = dist.interval(0.9)  # doctest: +SKIP
    >>> dist.cdf(upper)  # doctest: +SKIP
    """
    return _predict_dist(estimator, X, "predict_dist")


def predict_uncertainty(estimator, X):
    """``predict_uncertainty`` of a fitted estimator or composite.

    Works for both estimators. The regressor's Bunch (``mean``, the variances
    ``total_var``, ``aleatoric_var``, ``epistemic_var`` and the standard
    deviations ``total_std``, ``aleatoric_std``, ``epistemic_std``) is mapped
    through an affine target transform ``y = a z + b``: the mean by
    ``a mean + b``, the variances by ``a**2``, the standard deviations by
    ``|a|``. The classifier's Bunch of entropies is returned as it is.

    Through a non-affine target transform (``func=np.log``, a
    QuantileTransformer) the split is refused: the members' means and
    variances in the original units have no closed form, and
    ``g(mean)`` is not the mean. :func:`predict_dist` gives that
    distribution's quantiles, CDF and draws.

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

    Raises
    ------
    TypeError
        When ``estimator`` does not end in an estimator with
        ``predict_uncertainty``, or passes through a target transform that is
        not affine.
    """
    final, X, targets = _resolve(
        estimator, X, "predict_uncertainty", "predict_uncertainty"
    )
    for ttr in targets:
        if not is_affine(ttr.transformer_):
            raise TypeError(
                "predict_uncertainty cannot map the variance split through the "
                f"target transformer {one_line(ttr.transformer_)}: only an affine "
                "transform (StandardScaler, MinMaxScaler, MaxAbsScaler, "
                "RobustScaler or none) maps means and variances to means and "
                "variances. predict_dist, predict_interval and "
                "predict_quantiles map any monotone transform exactly"
            )
    result = final.predict_uncertainty(X)
    for ttr in reversed(targets):
        shape = np.shape(result.mean)
        a, b = _affine_coefficients(ttr.transformer_, _n_outputs(shape))
        if len(shape) == 1:
            a, b = a[0], b[0]
        parts = ("total", "aleatoric", "epistemic")
        result = Bunch(
            mean=a * result.mean + b,
            **{f"{part}_var": a * a * result[f"{part}_var"] for part in parts},
            **{f"{part}_std": np.abs(a) * result[f"{part}_std"] for part in parts},
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
