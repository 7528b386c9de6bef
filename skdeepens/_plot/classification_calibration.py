"""ClassificationCalibrationDisplay: a top-label reliability diagram."""

import numpy as np

from .._metrics.classification import reliability_diagram
from ._base import (
    check_estimator,
    draw_reference,
    estimator_name,
    get_ax,
    merge_kwargs,
    pyplot,
)


class ClassificationCalibrationDisplay:
    """Top-label reliability diagram of a multiclass classifier.

    The confidence (the top probability) is binned into ``n_bins`` equal bins
    closed on the right, as in
    :func:`~skdeepens.metrics.expected_calibration_error`; each bin's bar
    is its accuracy, its mean confidence is a dot, and its count is written
    above it. A calibrated model's bars reach the diagonal; bars below it are
    overconfident, which the figure says along the diagonal. The legend sits
    below the axes, so that it hides no bar.

    Parameters
    ----------
    bin_edges : ndarray of shape (n_bins + 1,)
        The confidence bins' edges, from 0 to 1.
    accuracy, confidence : ndarray of shape (n_bins,)
        Per bin; NaN for an empty bin.
    counts : ndarray of shape (n_bins,)
        The (weighted) number of samples per bin.
    ece : float
        The expected calibration error.
    estimator_name : str, default=None
        Legend name.

    Attributes
    ----------
    bars_ : BarContainer
        The accuracy bars.
    confidence_line_ : Line2D
        Mean confidence per bin.
    reference_line_ : Line2D
        The diagonal.
    count_texts_ : list of Text
        The counts.
    reference_texts_ : list of Text
        Which side of the diagonal is over- and which underconfident.
    legend_ : matplotlib Legend
    ax_ : matplotlib Axes
    figure_ : matplotlib Figure

    Examples
    --------
    >>> from skdeepens.plotting import ClassificationCalibrationDisplay
    >>> y_proba = [[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.4, 0.6]]
    >>> disp = ClassificationCalibrationDisplay.from_predictions(
    ...     [0, 1, 1, 1], y_proba, n_bins=5)  # doctest: +SKIP
    """

    def __init__(
        self, *, bin_edges, accuracy, confidence, counts, ece, estimator_name=None
    ):
        self.bin_edges = bin_edges
        self.accuracy = accuracy
        self.confidence = confidence
        self.counts = counts
        self.ece = ece
        self.estimator_name = estimator_name

    @classmethod
    def from_estimator(
        cls,
        estimator,
        X,
        y,
        *,
        n_bins=10,
        sample_weight=None,
        name=None,
        ax=None,
        **plot_kwargs,
    ):
        """Reliability diagram of a fitted classifier's ``predict_proba`` on (X, y).

        Parameters
        ----------
        estimator : classifier with ``predict_proba``
            Fitted.
        X : array-like of shape (n_samples, n_features)
            Inputs.
        y : array-like of shape (n_samples,)
            True labels.
        n_bins : int, default=10
            Number of equal-width confidence bins.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.
        name : str, default=None
            Legend name.
        ax : matplotlib Axes, default=None
            Where to draw.
        **plot_kwargs
            Passed to :meth:`plot` (``bar_kwargs``, ``ref_line_kwargs``).

        Returns
        -------
        display : ClassificationCalibrationDisplay
        """
        pyplot(f"{cls.__name__}.from_estimator")
        check_estimator(estimator, "classifier", method="predict_proba")
        return cls.from_predictions(
            y,
            estimator.predict_proba(X),
            n_bins=n_bins,
            classes=estimator.classes_,
            sample_weight=sample_weight,
            name=estimator_name(estimator, name),
            ax=ax,
            **plot_kwargs,
        )

    @classmethod
    def from_predictions(
        cls,
        y_true,
        y_proba,
        *,
        n_bins=10,
        classes=None,
        sample_weight=None,
        name=None,
        ax=None,
        **plot_kwargs,
    ):
        """Reliability diagram of given probabilities.

        Parameters
        ----------
        y_true : array-like of shape (n_samples,)
            True labels.
        y_proba : array-like of shape (n_samples, n_classes)
            Predicted probabilities, columns in the order of ``classes``.
        n_bins : int, default=10
            Number of bins.
        classes : array-like of shape (n_classes,), default=None
            The labels of the columns; ``np.unique(y_true)`` by default.
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
        display : ClassificationCalibrationDisplay
        """
        pyplot(f"{cls.__name__}.from_predictions")
        # Binned once, in the metrics' one home of the bins and their edges.
        bins = reliability_diagram(
            y_true, y_proba, n_bins=n_bins, classes=classes, sample_weight=sample_weight
        )
        return cls(
            bin_edges=bins.bin_edges,
            accuracy=bins.accuracy,
            confidence=bins.confidence,
            counts=bins.counts,
            ece=bins.ece,
            estimator_name=name,
        ).plot(ax=ax, **plot_kwargs)

    def plot(self, ax=None, *, name=None, bar_kwargs=None, ref_line_kwargs=None):
        """Draw the bars, the diagonal and the counts.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Where to draw. The legend goes below the axes: on a figure of your
            own, give it a layout engine (``layout="constrained"``) or save it
            with ``bbox_inches="tight"``, so that the legend is not cut off.
        name : str, default=None
            Legend name; overrides ``estimator_name``.
        bar_kwargs : dict, default=None
            Passed to :meth:`matplotlib.axes.Axes.bar` for the accuracy bars.
        ref_line_kwargs : dict, default=None
            Passed to :meth:`matplotlib.axes.Axes.plot` for the diagonal.

        Returns
        -------
        display : ClassificationCalibrationDisplay
        """
        from matplotlib.patches import Rectangle

        ax, fig = get_ax(ax, f"{type(self).__name__}.plot")
        name = self.estimator_name if name is None else name
        edges = np.asarray(self.bin_edges)
        width = np.diff(edges)
        filled = self.counts > 0
        accuracy = np.where(filled, self.accuracy, 0.0)
        label = f"accuracy per bin (ECE = {self.ece:.3f})"
        if name:
            label = f"{name}: {label}"
        style = merge_kwargs(
            {
                "edgecolor": "k",
                "linewidth": 0.5,
                "alpha": 0.7,
                "label": label,
            },
            bar_kwargs,
            "bar_kwargs",
            Rectangle,
        )
        self.bars_ = ax.bar(edges[:-1], accuracy, width=width, align="edge", **style)
        self.reference_line_, self.reference_texts_ = draw_reference(
            ax,
            ref_line_kwargs,
            below="below: overconfident",
            above="above: underconfident",
        )
        (self.confidence_line_,) = ax.plot(
            self.confidence[filled],
            self.accuracy[filled],
            marker="o",
            markersize=3,
            color="C3",
            linestyle="none",
            label="(mean confidence, accuracy)",
        )
        self.count_texts_ = [
            ax.text(
                (edges[i] + edges[i + 1]) / 2,
                accuracy[i] + 0.01,
                f"{self.counts[i]:.0f}",
                ha="center",
                va="bottom",
                fontsize="x-small",
            )
            for i in np.flatnonzero(filled)
        ]
        ax.set(xlabel="confidence (top probability)", ylabel="accuracy")
        ax.set(xlim=(0, 1), ylim=(0, 1.08))
        # Below the axes: inside, any corner may hold a bar or a count.
        self.legend_ = ax.legend(
            loc="upper center",
            bbox_to_anchor=(0.5, -0.13),
            fontsize="small",
            frameon=False,
        )
        self.ax_, self.figure_ = ax, fig
        return self
