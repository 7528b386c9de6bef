"""LossCurveDisplay: each member's training (and validation) loss per epoch."""

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ._base import estimator_name, get_ax, is_estimator, merge_kwargs, pyplot


def _curve(values, name):
    values = np.asarray(values, dtype=np.float64)
    if values.ndim == 1:
        values = values[:, None]
    if values.ndim != 2:
        raise ValueError(
            f"{name} must have shape (n_iter,) or (n_iter, n_members); "
            f"got {values.shape}"
        )
    return values


class LossCurveDisplay:
    """Training loss of each member, per epoch (and the validation loss).

    Parameters
    ----------
    loss_curve : ndarray of shape (n_iter, n_members)
        NaN after a member stopped.
    validation_loss_curve : ndarray of shape (n_iter, n_members), default=None
        The validation loss, with ``early_stopping=True``.
    estimator_name : str, default=None
        Used in the title.

    Attributes
    ----------
    lines_ : list of Line2D
        One training curve per member.
    validation_lines_ : list of Line2D
        One validation curve per member (empty without one).
    legend_ : matplotlib Legend or None
    ax_ : matplotlib Axes
    figure_ : matplotlib Figure

    Examples
    --------
    >>> import numpy as np
    >>> from skdeepens.plotting import LossCurveDisplay
    >>> curve = np.array([[2.0, 2.2], [1.0, 1.1], [0.5, np.nan]])
    >>> disp = LossCurveDisplay(loss_curve=curve).plot()  # doctest: +SKIP
    """

    def __init__(self, *, loss_curve, validation_loss_curve=None, estimator_name=None):
        self.loss_curve = loss_curve
        self.validation_loss_curve = validation_loss_curve
        self.estimator_name = estimator_name

    @classmethod
    def from_estimator(cls, estimator, *, name=None, ax=None, **plot_kwargs):
        """Plot a fitted estimator's ``loss_curve_`` (and validation curve).

        Parameters
        ----------
        estimator : DeepEnsembleRegressor or DeepEnsembleClassifier
            Fitted; any estimator with ``loss_curve_`` (e.g. scikit-learn's
            MLP, one curve) works.
        name : str, default=None
            Title; the estimator's class name by default.
        ax : matplotlib Axes, default=None
            Where to draw.
        **plot_kwargs
            Passed to :meth:`plot`.

        Returns
        -------
        display : LossCurveDisplay
        """
        pyplot(f"{cls.__name__}.from_estimator")
        if not is_estimator(estimator):
            raise TypeError(
                "expected a fitted regressor or classifier with loss_curve_; "
                f"got {type(estimator).__name__}"
            )
        check_is_fitted(estimator)
        if not hasattr(estimator, "loss_curve_"):
            raise TypeError(
                f"{type(estimator).__name__} has no loss_curve_ to plot; expected "
                "a DeepEnsembleRegressor or DeepEnsembleClassifier"
            )
        display = cls(
            loss_curve=np.asarray(estimator.loss_curve_, dtype=np.float64),
            validation_loss_curve=getattr(estimator, "validation_loss_curve_", None),
            estimator_name=estimator_name(estimator, name),
        )
        return display.plot(ax=ax, **plot_kwargs)

    def plot(
        self,
        ax=None,
        *,
        logy=False,
        legend=True,
        line_kwargs=None,
        validation_line_kwargs=None,
    ):
        """Draw the curves.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Where to draw.
        logy : bool, default=False
            Logarithmic loss axis (only sensible for positive losses; the
            NLL of standardised targets can be negative).
        legend : bool, default=True
            Whether to draw a legend: the members' colours, and which line
            style is the training and which the validation loss.
        line_kwargs : dict, default=None
            Passed to :meth:`matplotlib.axes.Axes.plot` for every training
            curve (each member keeps its colour unless ``color`` is given).
        validation_line_kwargs : dict, default=None
            The same for the validation curves (dashed by default).

        Returns
        -------
        display : LossCurveDisplay
        """
        from matplotlib.lines import Line2D

        curve = _curve(self.loss_curve, "loss_curve")
        val = None
        if self.validation_loss_curve is not None:
            val = _curve(self.validation_loss_curve, "validation_loss_curve")
        ax, fig = get_ax(ax, f"{type(self).__name__}.plot")
        epochs = np.arange(1, curve.shape[0] + 1)
        n_members = curve.shape[1]
        self.lines_ = []
        for m in range(n_members):
            style = merge_kwargs(
                {"color": f"C{m % 10}", "label": f"member {m + 1}"},
                line_kwargs,
                "line_kwargs",
                Line2D,
            )
            self.lines_.append(ax.plot(epochs, curve[:, m], **style)[0])
        self.validation_lines_ = []
        if val is not None:
            for m in range(val.shape[1]):
                style = merge_kwargs(
                    {"color": f"C{m % 10}", "linestyle": "--", "label": "_validation"},
                    validation_line_kwargs,
                    "validation_line_kwargs",
                    Line2D,
                )
                line = ax.plot(epochs[: val.shape[0]], val[:, m], **style)[0]
                self.validation_lines_.append(line)
        if logy:
            ax.set_yscale("log")
        ax.set_xlabel("epoch")
        ax.set_ylabel("training loss" if val is None else "loss")
        if self.estimator_name:
            ax.set_title(self.estimator_name)
        self.legend_ = None
        if legend:
            handles = list(self.lines_)
            if val is not None:
                # Members by colour, curves by line style: two grey keys.
                handles += [
                    Line2D([], [], color="0.3", label="training"),
                    Line2D([], [], color="0.3", linestyle="--", label="validation"),
                ]
            self.legend_ = ax.legend(handles=handles, fontsize="small")
        self.ax_, self.figure_ = ax, fig
        return self
