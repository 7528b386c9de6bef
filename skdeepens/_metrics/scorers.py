"""Scorers of the predictive distribution (greater is better), for ``scoring=``."""

from sklearn.metrics._scorer import _BaseScorer

from ..compose import _predict_dist
from .crps import mixture_crps_loss
from .likelihood import mixture_nll_loss


class _DistributionScorer(_BaseScorer):
    """A scorer of the predictive distribution, greater is better.

    Called as ``scorer(estimator, X, y_true, sample_weight=None)`` on any
    estimator :func:`skdeepens.compose.predict_dist` resolves: a
    :class:`~skdeepens.DeepEnsembleRegressor`, a Pipeline, a search (through
    its ``best_estimator_``) or a TransformedTargetRegressor ending in one.
    It returns minus ``loss(y_true, predict_dist(estimator, X))``. Through a
    non-affine target transform the NLL is that of the mapped distribution
    (its ``logpdf`` includes the Jacobian; a QuantileTransformer has none and
    raises), and the CRPS, which needs the mixture itself, is refused.

    Built on scikit-learn's scorer base, as :func:`~sklearn.metrics.make_scorer`
    builds its scorers (whose ``response_method`` must be a method of the
    estimator itself, which a Pipeline's ``predict_dist`` is not), so that
    ``set_score_request(sample_weight=True)`` routes sample weights under
    ``sklearn.set_config(enable_metadata_routing=True)``; without routing,
    ``sample_weight=`` passed to the call is used.
    """

    def __init__(self, loss, name):
        # scikit-learn looks the response method up on the estimator itself to
        # decide on caching predictions across scorers; a Pipeline has only
        # predict, hence the fallback. _score resolves predict_dist itself.
        super().__init__(
            loss, sign=-1, kwargs={}, response_method=("predict_dist", "predict")
        )
        self._name = name

    def __repr__(self):
        return self._name

    def _score(self, method_caller, estimator, X, y_true, **kwargs):
        # method_caller would look predict_dist up on the estimator itself,
        # which a Pipeline or a search lacks: resolve the distribution instead.
        dist = _predict_dist(estimator, X, self._name)
        return self._sign * self._score_func(y_true, dist, **self._kwargs, **kwargs)


#: Scorer: minus :func:`mixture_nll_loss` of the predictive mixture, the mean
#: log-likelihood per sample; for ``scoring=`` in searches and
#: :func:`~sklearn.model_selection.cross_validate`. See ``_DistributionScorer``.
neg_nll_scorer = _DistributionScorer(mixture_nll_loss, "neg_nll_scorer")

#: Scorer: minus :func:`mixture_crps_loss` of the predictive mixture, for
#: ``scoring=`` in searches and :func:`~sklearn.model_selection.cross_validate`.
neg_crps_scorer = _DistributionScorer(mixture_crps_loss, "neg_crps_scorer")
