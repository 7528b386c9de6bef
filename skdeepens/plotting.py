"""Display objects for deep ensembles, in scikit-learn's style.

Each display follows :class:`sklearn.metrics.PredictionErrorDisplay`: a
``from_estimator`` class method computes what to draw from a fitted estimator
and hands it to ``from_predictions``, which builds the display and calls
``plot(ax=None, ...)``; ``plot`` returns the display with the axes ``ax_`` and
the figure ``figure_`` it drew on, and the artists it made. Styles are passed
as ``*_kwargs`` dicts (``line_kwargs``, ``band_kwargs``, ``scatter_kwargs``,
...) to the matplotlib call that draws each artist. matplotlib is imported
only when something is drawn: install the ``plot`` extra (``pip install
".[plot]"`` in a clone).

- :class:`RegressionUncertaintyDisplay`: a one-feature regression with its
  mean, bands of the predictive standard deviation, the aleatoric/epistemic
  split and the members.
- :class:`RegressionMembersDisplay`: one panel per member plus one for the
  ensemble.
- :class:`ClassificationUncertaintyDisplay`: a two-feature classification:
  the data, the predicted class and the total, aleatoric and epistemic
  uncertainty over a grid.
- :class:`LossCurveDisplay`: the training (and validation) loss of each member.
- :class:`RegressionCalibrationDisplay`: observed against nominal coverage of
  the central prediction intervals.
- :class:`ClassificationCalibrationDisplay`: a top-label reliability diagram.

The code lives in the private package ``skdeepens._plot``, one module per
display (as ``sklearn/metrics/_plot/``).
"""

from ._plot.classification_calibration import ClassificationCalibrationDisplay
from ._plot.classification_uncertainty import ClassificationUncertaintyDisplay
from ._plot.loss_curve import LossCurveDisplay
from ._plot.regression_calibration import RegressionCalibrationDisplay
from ._plot.regression_members import RegressionMembersDisplay
from ._plot.regression_uncertainty import RegressionUncertaintyDisplay

__all__ = [
    "ClassificationCalibrationDisplay",
    "ClassificationUncertaintyDisplay",
    "LossCurveDisplay",
    "RegressionCalibrationDisplay",
    "RegressionMembersDisplay",
    "RegressionUncertaintyDisplay",
]
