"""RegressionCalibrationDisplay: observed against nominal interval coverage."""

from ..metrics import regression_calibration_curve
from ._base import (
    check_estimator,
    draw_reference,
    estimator_name,
    get_ax,
    merge_kwargs,
    pyplot,
)


class RegressionCalibrationDisplay:
    """Observed against nominal coverage of the central prediction intervals.

    A calibrated model follows the diagonal; a curve below it is
    overconfident (intervals too narrow), above it underconfident. Both are
    written along the diagonal in the figure.

    Parameters
    ----------
    expected : ndarray of shape (n_levels,)
        The nominal levels.
    observed : ndarray of shape (n_levels,)
        The observed coverage at each level.
    estimator_name : str, default=None
        Legend name.

    Attributes
    ----------
    line_ : Line2D
        The calibration curve.
    reference_line_ : Line2D
        The diagonal.
    reference_texts_ : list of Text
        Which side of the diagonal is over- and which underconfident (empty
        when an earlier display on the same axes wrote them).
    ax_ : matplotlib Axes
    figure_ : matplotlib Figure

    Examples
    --------
    >>> from skdeepens import MixtureDistribution
    >>> from skdeepens.plotting import RegressionCalibrationDisplay
    >>> dist = MixtureDistribution([[0.0, 0.0, 0.0]], [[1.0, 1.0, 1.0]], "gaussian")
    >>> disp = RegressionCalibrationDisplay.from_predictions(
    ...     [0.1, -2.0, 0.5], dist)  # doctest: +SKIP
    """

    def __init__(self, *, expected, observed, estimator_name=None):
        self.expected = expected
        self.observed = observed
        self.estimator_name = estimator_name

    @classmethod
    def from_estimator(
        cls,
        estimator,
        X,
        y,
        *,
        levels=None,
        sample_weight=None,
        name=None,
        ax=None,
        **plot_kwargs,
    ):
        """Coverage of a fitted regressor's ``predict_dist`` intervals on (X, y).

        Parameters
        ----------
        estimator : DeepEnsembleRegressor
            Fitted, with a likelihood loss.
        X : array-like of shape (n_samples, n_features)
            Inputs.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets.
        levels : array-like, default=None
            Nominal levels; see
            :func:`~skdeepens.metrics.regression_calibration_curve`.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.
        name : str, default=None
            Legend name.
        ax : matplotlib Axes, default=None
            Where to draw.
        **plot_kwargs
            Passed to :meth:`plot` (``line_kwargs``, ``ref_line_kwargs``).

        Returns
        -------
        display : RegressionCalibrationDisplay
        """
        pyplot(f"{cls.__name__}.from_estimator")
        check_estimator(estimator, "regressor", method="predict_dist")
        return cls.from_predictions(
            y,
            estimator.predict_dist(X),
            levels=levels,
            sample_weight=sample_weight,
            name=estimator_name(estimator, name),
            ax=ax,
            **plot_kwargs,
        )

    @classmethod
    def from_predictions(
        cls,
        y_true,
        dist,
        *,
        levels=None,
        sample_weight=None,
        name=None,
        ax=None,
        **plot_kwargs,
    ):
        """Coverage of a predictive distribution's intervals.

        Parameters
        ----------
        y_true : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets.
        dist : MixtureDistribution or object with a ``cdf`` method
            The predictive distribution.
        levels : array-like, default=None
            Nominal levels; see
            :func:`~skdeepens.metrics.regression_calibration_curve`.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.
        name : str, default=None
            Legend name.
        ax : matplotlib Axes, default=None
            Where to draw.
        **plot_kwargs
            Passed to :meth:`plot`.

        Returns
        -------
        display : RegressionCalibrationDisplay
        """
        pyplot(f"{cls.__name__}.from_predictions")
        expected, observed = regression_calibration_curve(
            y_true, dist, levels=levels, sample_weight=sample_weight
        )
        display = cls(expected=expected, observed=observed, estimator_name=name)
        return display.plot(ax=ax, **plot_kwargs)

    def plot(self, ax=None, *, name=None, line_kwargs=None, ref_line_kwargs=None):
        """Draw the curve and the diagonal.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Where to draw.
        name : str, default=None
            Legend name; overrides ``estimator_name``.
        line_kwargs : dict, default=None
            Passed to :meth:`matplotlib.axes.Axes.plot` for the curve.
        ref_line_kwargs : dict, default=None
            Passed to :meth:`matplotlib.axes.Axes.plot` for the diagonal.

        Returns
        -------
        display : RegressionCalibrationDisplay
        """
        from matplotlib.lines import Line2D

        ax, fig = get_ax(ax, f"{type(self).__name__}.plot")
        name = self.estimator_name if name is None else name
        self.reference_line_, self.reference_texts_ = draw_reference(
            ax,
            ref_line_kwargs,
            below="below: overconfident (intervals too narrow)",
            above="above: underconfident (intervals too wide)",
        )
        style = merge_kwargs(
            {"marker": "o", "markersize": 3, "label": name},
            line_kwargs,
            "line_kwargs",
            Line2D,
        )
        (self.line_,) = ax.plot(self.expected, self.observed, **style)
        ax.set(
            xlabel="expected coverage (nominal level)",
            ylabel="observed coverage",
            xlim=(0, 1),
            ylim=(0, 1),
        )
        ax.set_aspect("equal")
        ax.legend(loc="upper left", fontsize="small")
        self.ax_, self.figure_ = ax, fig
        return self
