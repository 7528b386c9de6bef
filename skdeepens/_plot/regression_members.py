"""RegressionMembersDisplay: one panel per member, and one for the ensemble."""

import numpy as np

from ._base import pyplot, regression_grid_predictions
from .regression_uncertainty import RegressionUncertaintyDisplay


class RegressionMembersDisplay:
    """Small multiples of a one-feature regression: each member, then the mixture.

    Every panel is a :class:`RegressionUncertaintyDisplay` of one member's
    mean and ``+- k`` standard-deviation band, and the last one the
    ensemble's; the panels share their axes, so the spread of the members'
    means (the epistemic part) is visible side by side with the mixture.

    Parameters
    ----------
    x_grid : ndarray of shape (n_grid,)
        Where the predictions were made, sorted.
    member_mean : ndarray of shape (n_members, n_grid)
        Each member's mean.
    member_std : ndarray of shape (n_members, n_grid) or None
        Each member's standard deviation; None for point-loss members.
    mean, total_var : ndarray of shape (n_grid,)
        The ensemble's mean and predictive variance.
    X, y : ndarray of shape (n_samples,), default=None
        Data points drawn in every panel.
    ground_truth : callable or ndarray or tuple, default=None
        As in :class:`RegressionUncertaintyDisplay`.
    estimator_name : str, default=None
        Used in the figure's title.
    feature_name, target_name : str, default=None
        Axis labels; "x" and "y" when None.

    Attributes
    ----------
    displays_ : list of RegressionUncertaintyDisplay
        ``n_members + 1`` panels: the members', then the ensemble's.
    axes_ : ndarray of matplotlib Axes
        All the axes, including unused ones (hidden).
    legend_ : matplotlib Legend or None
        The figure's one legend.
    figure_ : matplotlib Figure

    See Also
    --------
    RegressionUncertaintyDisplay : The ensemble alone, with the members as lines.

    Examples
    --------
    >>> from skdeepens import DeepEnsembleRegressor
    >>> from skdeepens.datasets import make_cubic
    >>> from skdeepens.plotting import RegressionMembersDisplay
    >>> X, y = make_cubic(n_samples=40, random_state=0)
    >>> reg = DeepEnsembleRegressor(n_estimators=3, random_state=0)
    >>> reg = reg.fit(X, y)  # doctest: +SKIP
    >>> disp = RegressionMembersDisplay.from_estimator(reg, X, y)  # doctest: +SKIP
    >>> len(disp.displays_)  # doctest: +SKIP
    4
    """

    def __init__(
        self,
        *,
        x_grid,
        member_mean,
        member_std,
        mean,
        total_var,
        X=None,
        y=None,
        ground_truth=None,
        estimator_name=None,
        feature_name=None,
        target_name=None,
    ):
        self.x_grid = x_grid
        self.member_mean = member_mean
        self.member_std = member_std
        self.mean = mean
        self.total_var = total_var
        self.X = X
        self.y = y
        self.ground_truth = ground_truth
        self.estimator_name = estimator_name
        self.feature_name = feature_name
        self.target_name = target_name

    @classmethod
    def from_estimator(
        cls,
        estimator,
        X,
        y=None,
        *,
        grid=None,
        n_grid=200,
        margin=0.5,
        ground_truth=None,
        name=None,
        axes=None,
        **plot_kwargs,
    ):
        """Plot each member of a fitted one-feature regressor, and the mixture.

        Parameters
        ----------
        estimator : DeepEnsembleRegressor
            Fitted on one feature, with ``M`` members.
        X : array-like of shape (n_samples, 1)
            Data points to scatter; they set the default grid.
        y : array-like of shape (n_samples,), default=None
            Their targets; without them no points are drawn.
        grid : array-like of shape (n_grid,), default=None
            Where to predict, as in
            :meth:`RegressionUncertaintyDisplay.from_estimator`.
        n_grid : int, default=200
            Number of grid points when ``grid`` is None.
        margin : float, default=0.5
            Widening of the default grid, relative to X's range.
        ground_truth : callable or array-like, default=None
            The true function, drawn in every panel.
        name : str, default=None
            Used in the title; the estimator's class name by default.
        axes : array-like of matplotlib Axes, default=None
            At least ``M + 1`` axes; by default a grid of ``n_cols`` columns
            sharing both axes.
        **plot_kwargs
            Passed to :meth:`plot` (``k``, ``n_cols``, ``legend``, ``title``
            and the ``*_kwargs`` styles).

        Returns
        -------
        display : RegressionMembersDisplay
        """
        pyplot(f"{cls.__name__}.from_estimator")
        predictions, x = regression_grid_predictions(
            estimator, X, y, grid, n_grid, margin, cls.__name__
        )
        display = cls(
            x_grid=predictions["x_grid"],
            member_mean=predictions["member_mean"],
            member_std=predictions["member_std"],
            mean=predictions["mean"],
            total_var=predictions["total_var"],
            X=x if y is not None else None,
            y=None if y is None else np.asarray(y, dtype=np.float64).ravel(),
            ground_truth=ground_truth,
            estimator_name=type(estimator).__name__ if name is None else name,
            feature_name=predictions["feature_name"],
            target_name=predictions["target_name"],
        )
        return display.plot(axes=axes, **plot_kwargs)

    def plot(
        self,
        axes=None,
        *,
        k=2,
        n_cols=3,
        legend=True,
        title=True,
        line_kwargs=None,
        band_kwargs=None,
        scatter_kwargs=None,
        truth_kwargs=None,
    ):
        """Draw one panel per member and one for the ensemble.

        Parameters
        ----------
        axes : array-like of matplotlib Axes, default=None
            At least ``n_members + 1`` axes; the ones left over are hidden. By
            default a new figure of ``n_cols`` columns sharing both axes.
        k : float, default=2
            Half-width of the bands in standard deviations.
        n_cols : int, default=3
            Columns of the default grid.
        legend : bool, default=True
            Whether to draw one legend for the figure, below the panels.
        title : bool or str, default=True
            The figure's title: a default one naming ``k`` and the estimator,
            the given string, or none (False).
        line_kwargs, band_kwargs, scatter_kwargs, truth_kwargs : dict, \
default=None
            Passed to every panel; see :meth:`RegressionUncertaintyDisplay.plot`.

        Returns
        -------
        display : RegressionMembersDisplay
        """
        member_mean = np.atleast_2d(self.member_mean)
        n_members = member_mean.shape[0]
        axes = self._get_axes(axes, n_members, n_cols)
        flat = axes.ravel()
        fig = flat[0].figure
        common = dict(
            X=self.X,
            y=self.y,
            ground_truth=self.ground_truth,
            feature_name=self.feature_name,
            target_name=self.target_name,
            k=k,
            legend=False,
            line_kwargs=line_kwargs,
            band_kwargs=band_kwargs,
            scatter_kwargs=scatter_kwargs,
            truth_kwargs=truth_kwargs,
        )
        self.displays_ = []
        for m in range(n_members):
            std = (
                np.zeros_like(member_mean[m])
                if self.member_std is None
                else np.atleast_2d(self.member_std)[m]
            )
            display = RegressionUncertaintyDisplay.from_predictions(
                self.x_grid, member_mean[m], std**2, name="mean", ax=flat[m], **common
            )
            display.ax_.set_title(f"Member {m + 1}", fontsize="medium")
            self.displays_.append(display)
        display = RegressionUncertaintyDisplay.from_predictions(
            self.x_grid,
            self.mean,
            self.total_var,
            name="mean",
            ax=flat[n_members],
            **common,
        )
        display.ax_.set_title(f"Ensemble (mixture of {n_members})", fontsize="medium")
        self.displays_.append(display)
        if axes.ndim == 2:
            _label_outer(axes, n_members + 1)
        self.legend_ = None
        if legend:
            self.legend_ = self._draw_legend(fig)
        if title:
            if title is True:
                title = (
                    f"{self.estimator_name or 'Ensemble'}: each member's mean "
                    f"± {k:g} std, and the ensemble's"
                )
            fig.suptitle(title)
        self.axes_ = axes
        self.figure_ = fig
        return self

    @staticmethod
    def _get_axes(axes, n_members, n_cols):
        """The given axes (checked), or a new grid; the ones left over hidden."""
        if axes is None:
            plt = pyplot("RegressionMembersDisplay.plot")
            n_rows = -(-(n_members + 1) // n_cols)
            _, axes = plt.subplots(
                n_rows,
                n_cols,
                figsize=(3.6 * n_cols, 2.8 * n_rows + 0.8),
                sharex=True,
                sharey=True,
                squeeze=False,
                layout="constrained",
            )
        axes = np.asarray(axes, dtype=object)
        flat = axes.ravel()
        if flat.shape[0] < n_members + 1:
            raise ValueError(
                f"axes must hold at least {n_members + 1} axes (one per member and "
                f"one for the ensemble); got {flat.shape[0]}"
            )
        for ax in flat[n_members + 1 :]:
            ax.set_visible(False)
        return axes

    def _draw_legend(self, fig):
        """One legend for the figure, below the panels: the ensemble panel's."""
        handles, labels = self.displays_[-1].ax_.get_legend_handles_labels()
        return fig.legend(
            handles,
            labels,
            loc="outside lower center",
            ncols=len(labels),
            fontsize="small",
            frameon=False,
        )


def _label_outer(axes, n_used):
    """Axis labels only on the outer panels of a 2-D grid of ``axes``.

    Inner ones would collide with the titles of the row below and the panels
    to the right.
    """
    n_cols = axes.shape[1]
    for i, ax in enumerate(axes.ravel()[:n_used]):
        inner = i + n_cols < n_used  # a panel is drawn below
        if inner:
            ax.set_xlabel("")
        # sharex hid every upper row's tick labels, also above a hidden panel:
        # show them wherever the panel is the lowest of its column.
        ax.tick_params(labelbottom=not inner)
        if i % n_cols:
            ax.set_ylabel("")
