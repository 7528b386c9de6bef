"""Metrics for probabilistic predictions: likelihood, CRPS, intervals, calibration.

Regression metrics score a predictive distribution: a Gaussian or Laplace given
by its parameters, or the ensemble's mixture, a
:class:`~skdeepens.MixtureDistribution` as returned by
``DeepEnsembleRegressor.predict_dist``. Classification metrics score predicted
class probabilities. As in :mod:`sklearn.metrics`, ``y_true`` comes first and
names of lower-is-better scores end in ``_loss`` or ``_error``. Names put the
distribution first and the score second: ``gaussian_nll_loss``,
``gaussian_crps``, ``mixture_crps_loss``.

The Brier score and the log loss (the classification NLL) are
:func:`sklearn.metrics.brier_score_loss` and :func:`sklearn.metrics.log_loss`;
they are not repeated here.

Multi-output targets ``y_true`` of shape (n_samples, n_outputs): the NLL and
the CRPS of a sample are the sums over its outputs (the outputs' marginals are
scored as if independent), then averaged over the samples; interval coverage
and width average over the outputs as well as the samples.

The functions live in the private package ``skdeepens._metrics``, one module
per concept (likelihood, crps, intervals, classification, scorers).
"""

from ._metrics.classification import (
    accuracy_confidence_curve,
    classification_calibration_curve,
    expected_calibration_error,
)
from ._metrics.crps import gaussian_crps, laplace_crps, mixture_crps, mixture_crps_loss
from ._metrics.intervals import (
    interval_coverage_score,
    mean_interval_width,
    regression_calibration_curve,
    regression_calibration_error,
)
from ._metrics.likelihood import gaussian_nll_loss, laplace_nll_loss, mixture_nll_loss
from ._metrics.scorers import neg_crps_scorer, neg_nll_scorer

__all__ = [
    "accuracy_confidence_curve",
    "classification_calibration_curve",
    "expected_calibration_error",
    "gaussian_crps",
    "gaussian_nll_loss",
    "interval_coverage_score",
    "laplace_crps",
    "laplace_nll_loss",
    "mean_interval_width",
    "mixture_crps",
    "mixture_crps_loss",
    "mixture_nll_loss",
    "neg_crps_scorer",
    "neg_nll_scorer",
    "regression_calibration_curve",
    "regression_calibration_error",
]
