"""An skpro probabilistic regressor around :class:`~skdeepens.DeepEnsembleRegressor`.

Needs the optional dependency skpro (``pip install skdeepens[skpro]``); this
module is not imported by ``import skdeepens``, so skpro stays optional.

skpro's generic adapter, ``skpro.regression.adapters.sklearn.SklearnProbaReg``,
sees a scikit-learn regressor only through ``predict(X, return_std=True)`` and
returns a Normal with that mean and standard deviation: the moment-matched
Gaussian. :class:`DeepEnsembleProbaRegressor` returns the ensemble itself, an
skpro ``Mixture`` of the members' Normal (or Laplace) distributions, and
answers ``predict_quantiles`` and ``predict_interval`` from the exact mixture
quantiles rather than skpro's numerical approximation.
"""

import numpy as np
import pandas as pd
from sklearn.base import clone
from skpro.distributions import Laplace, Mixture, Normal
from skpro.regression.base import BaseProbaRegressor
from skpro.utils.sklearn import prep_skl_df

from ._mixture import MixtureDistribution
from .compose import predict_dist, predict_quantiles, predict_uncertainty

__all__ = ["DeepEnsembleProbaRegressor"]

_SKPRO_FAMILIES = {
    "gaussian": lambda loc, scale, **kw: Normal(mu=loc, sigma=scale, **kw),
    "laplace": lambda loc, scale, **kw: Laplace(mu=loc, scale=scale, **kw),
}


class DeepEnsembleProbaRegressor(BaseProbaRegressor):
    """skpro probabilistic regressor: a deep ensemble and its exact mixture.

    Parameters
    ----------
    estimator : estimator, default=None
        The regressor to fit, cloned: a
        :class:`~skdeepens.DeepEnsembleRegressor` with a likelihood loss, or a
        Pipeline or TransformedTargetRegressor ending in one (see
        :mod:`skdeepens.compose`; through a non-affine target transform only
        ``predict_quantiles`` and ``predict_interval`` are available).
        ``None`` means ``DeepEnsembleRegressor()``.

    Attributes
    ----------
    estimator_ : estimator
        The fitted clone of ``estimator``.

    See Also
    --------
    skdeepens.DeepEnsembleRegressor : The scikit-learn estimator wrapped here.

    Examples
    --------
    >>> import pandas as pd
    >>> from skdeepens import DeepEnsembleRegressor
    >>> from skdeepens.datasets import make_cubic
    >>> from skdeepens.skpro import DeepEnsembleProbaRegressor
    >>> X, y = make_cubic(n_samples=40, random_state=0)
    >>> X, y = pd.DataFrame(X, columns=["x"]), pd.DataFrame({"y": y})
    >>> reg = DeepEnsembleProbaRegressor(
    ...     DeepEnsembleRegressor(n_estimators=3, max_iter=20, random_state=0)
    ... )
    >>> dist = reg.fit(X, y).predict_proba(X)  # doctest: +SKIP
    >>> type(dist).__name__  # doctest: +SKIP
    'Mixture'
    """

    _tags = {
        "authors": ["The skdeepens developers"],
        "capability:multioutput": True,
        "capability:missing": False,
        "X_inner_mtype": "pd_DataFrame_Table",
        "y_inner_mtype": "pd_DataFrame_Table",
    }

    def __init__(self, estimator=None):
        self.estimator = estimator
        super().__init__()

    def _fit(self, X, y):
        from ._ensemble import DeepEnsembleRegressor

        estimator = (
            DeepEnsembleRegressor() if self.estimator is None else self.estimator
        )
        self.estimator_ = clone(estimator)
        self._y_columns = y.columns
        # One target column is fitted as a 1-D y, as scikit-learn expects.
        target = y.iloc[:, 0] if y.shape[1] == 1 else y.to_numpy()
        self.estimator_.fit(self._inner(X), target)
        return self

    @staticmethod
    def _inner(X):
        # scikit-learn accepts feature names only when all are strings.
        return prep_skl_df(X, copy_df=True)

    def _frame(self, values, X, columns=None):
        values = np.asarray(values).reshape(len(X), -1)
        columns = self._y_columns if columns is None else columns
        return pd.DataFrame(values, index=X.index, columns=columns)

    def _fitted_estimator(self):
        """``estimator_``, raising skpro's ``NotFittedError`` before ``fit``.

        skpro's public methods call these private ones without checking that
        the regressor is fitted: without this, an unfitted one would fail with
        an ``AttributeError`` naming ``estimator_``.
        """
        self.check_is_fitted()
        return self.estimator_

    def _predict(self, X):
        return self._frame(self._fitted_estimator().predict(self._inner(X)), X)

    def _predict_var(self, X):
        return self._frame(
            predict_uncertainty(self._fitted_estimator(), self._inner(X)).total_var,
            X,
        )

    def _predict_proba(self, X):
        dist = predict_dist(self._fitted_estimator(), self._inner(X))
        if not isinstance(dist, MixtureDistribution):
            raise TypeError(
                "predict_proba returns skpro's Mixture of the members, which "
                "exists only through an affine target transform; got a "
                f"{type(dist).__name__} through a non-affine one. "
                "predict_quantiles and predict_interval are exact through any "
                "monotone transform"
            )
        make = _SKPRO_FAMILIES[dist.family]
        n_outputs = len(self._y_columns)
        members = [
            (
                f"member{m}",
                make(
                    loc.reshape(len(X), n_outputs),
                    scale.reshape(len(X), n_outputs),
                    index=X.index,
                    columns=self._y_columns,
                ),
            )
            for m, (loc, scale) in enumerate(zip(dist.members.loc, dist.members.scale))
        ]
        return Mixture(distributions=members, index=X.index, columns=self._y_columns)

    def _predict_quantiles(self, X, alpha):
        # The exact mixture quantiles, (n, n_alpha) or (n, n_outputs, n_alpha),
        # flattened with the variable outer and alpha inner, skpro's columns.
        quantiles = predict_quantiles(
            self._fitted_estimator(), self._inner(X), alpha=list(alpha)
        )
        columns = self._get_columns(method="predict_quantiles", alpha=alpha)
        return self._frame(quantiles, X, columns)

    @classmethod
    def get_test_params(cls, parameter_set="default"):
        """Parameters of small, fast instances for skpro's estimator checks.

        Parameters
        ----------
        parameter_set : str, default="default"
            Only the default set exists.

        Returns
        -------
        params : list of dict
            A Gaussian and a Laplace ensemble.
        """
        from ._ensemble import DeepEnsembleRegressor

        small = dict(
            n_estimators=2,
            hidden_layer_sizes=(8,),
            max_iter=5,
            early_stopping=False,
            n_iter_no_change=np.inf,
            random_state=0,
        )
        return [
            {"estimator": DeepEnsembleRegressor(**small)},
            {"estimator": DeepEnsembleRegressor(loss="laplace_nll", **small)},
        ]
