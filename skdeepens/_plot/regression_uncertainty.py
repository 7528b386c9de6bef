"""RegressionUncertaintyDisplay: mean and uncertainty bands on one feature."""

import numpy as np

from ._base import (
    check_ks,
    estimator_name,
    feature_names,
    get_ax,
    merge_kwargs,
    pyplot,
    regression_grid_predictions,
    target_name_of,
    vector,
)


class RegressionUncertaintyDisplay:
    """Predictive mean and uncertainty bands of a regression on one feature.

    Build it with :meth:`from_estimator` or :meth:`from_predictions`; the
    constructor only stores its arguments.

    Parameters
    ----------
    x_grid : ndarray of shape (n_grid,)
        Where the predictions were made, sorted.
    mean : ndarray of shape (n_grid,)
        The predictive (mixture) mean.
    total_var : ndarray of shape (n_grid,)
        The predictive variance.
    aleatoric_var, epistemic_var : ndarray of shape (n_grid,), default=None
        The split of ``total_var`` into the members' average variance and the
        variance of their means (``predict_uncertainty``'s keys of the same
        names).
    member_mean, member_std : ndarray of shape (n_members, n_grid), default=None
        Each member's mean and standard deviation (``member_std`` may be None
        for point-loss members).
    X, y : ndarray of shape (n_samples,), default=None
        Data points to scatter.
    ground_truth : callable or ndarray of shape (n_grid,) or tuple, default=None
        The true function: a callable evaluated on ``x_grid``, its values on
        ``x_grid``, or a pair ``(x, f(x))``.
    estimator_name : str, default=None
        Used in the legend.
    feature_name : str, default=None
        The x-axis label; "x" when None.
    target_name : str, default=None
        The y-axis label; "y" when None.

    Attributes
    ----------
    line_ : matplotlib Line2D
        The mean.
    bands_ : list of matplotlib PolyCollection
        The ``mean +- k std`` bands (total variance), one per ``k``.
    aleatoric_bands_, epistemic_bands_ : list of PolyCollection
        With ``split=True``: bands of the aleatoric and the epistemic std.
    member_lines_, member_bands_ : list
        With ``members=True``: each member's mean line and band.
    std_lines_ : dict of Line2D
        With ``kind="std"``: the total, aleatoric and epistemic std against x.
    scatter_ : PathCollection or None
        The data points.
    truth_line_ : Line2D or None
        The ground truth.
    ax_ : matplotlib Axes
    figure_ : matplotlib Figure

    See Also
    --------
    RegressionMembersDisplay : One panel per member, and one for the ensemble.
    ClassificationUncertaintyDisplay : The two-feature classification display.

    Examples
    --------
    >>> import numpy as np
    >>> from skdeepens import DeepEnsembleRegressor
    >>> from skdeepens.datasets import make_cubic
    >>> from skdeepens.plotting import RegressionUncertaintyDisplay
    >>> X, y = make_cubic(n_samples=40, random_state=0)
    >>> reg = DeepEnsembleRegressor(n_estimators=3, max_iter=50, random_state=0)
    >>> reg = reg.fit(X, y)  # doctest: +SKIP
    >>> disp = RegressionUncertaintyDisplay.from_estimator(
    ...     reg, X, y, grid=np.linspace(-6, 6, 200), ground_truth=lambda x: x**3,
    ...     split=True)  # doctest: +SKIP
    """

    def __init__(
        self,
        *,
        x_grid,
        mean,
        total_var,
        aleatoric_var=None,
        epistemic_var=None,
        member_mean=None,
        member_std=None,
        X=None,
        y=None,
        ground_truth=None,
        estimator_name=None,
        feature_name=None,
        target_name=None,
    ):
        self.x_grid = x_grid
        self.mean = mean
        self.total_var = total_var
        self.aleatoric_var = aleatoric_var
        self.epistemic_var = epistemic_var
        self.member_mean = member_mean
        self.member_std = member_std
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
        ax=None,
        **plot_kwargs,
    ):
        """Plot a fitted one-feature regressor's predictions on a grid.

        Parameters
        ----------
        estimator : DeepEnsembleRegressor
            Fitted on exactly one feature, single output.
        X : array-like of shape (n_samples, 1)
            Data points to scatter; they set the default grid. A DataFrame's
            column name (or the estimator's ``feature_names_in_``) labels the
            x axis.
        y : array-like of shape (n_samples,), default=None
            Their targets; without them no points are drawn. A Series' name
            labels the y axis.
        grid : array-like of shape (n_grid,), default=None
            Where to predict. By default ``n_grid`` points spanning X's range
            widened by ``margin`` times that range on each side.
        n_grid : int, default=200
            Number of grid points when ``grid`` is None.
        margin : float, default=0.5
            Widening of the default grid, relative to X's range.
        ground_truth : callable or array-like, default=None
            See the class's parameters.
        name : str, default=None
            Legend name; the estimator's class name by default.
        ax : matplotlib Axes, default=None
            Where to draw; a new figure by default.
        **plot_kwargs
            Passed to :meth:`plot` (``k``, ``split``, ``members``, ``kind``,
            ``legend`` and the ``*_kwargs`` styles).

        Returns
        -------
        display : RegressionUncertaintyDisplay

        Raises
        ------
        TypeError
            If ``estimator`` is not a fitted regressor with
            ``predict_uncertainty``.
        sklearn.exceptions.NotFittedError
            If it is not fitted.
        ValueError
            If X (or the fitted estimator) does not have exactly one feature.
        """
        pyplot(f"{cls.__name__}.from_estimator")
        predictions, x = regression_grid_predictions(
            estimator, X, y, grid, n_grid, margin, cls.__name__
        )
        return cls.from_predictions(
            **predictions,
            X=x if y is not None else None,
            y=y,
            ground_truth=ground_truth,
            name=estimator_name(estimator, name),
            ax=ax,
            **plot_kwargs,
        )

    @classmethod
    def from_predictions(
        cls,
        x_grid,
        mean,
        total_var,
        *,
        aleatoric_var=None,
        epistemic_var=None,
        member_mean=None,
        member_std=None,
        X=None,
        y=None,
        ground_truth=None,
        name=None,
        feature_name=None,
        target_name=None,
        ax=None,
        **plot_kwargs,
    ):
        """Plot given predictions on a one-dimensional grid.

        Parameters
        ----------
        x_grid : array-like of shape (n_grid,)
            The inputs, sorted.
        mean, total_var : array-like of shape (n_grid,)
            The predictive mean and variance.
        aleatoric_var, epistemic_var : array-like of shape (n_grid,), \
default=None
            The variance split; needed for ``split=True`` and ``kind="std"``.
        member_mean, member_std : array-like of shape (n_members, n_grid)
            The members' means and standard deviations; needed for
            ``members=True``.
        X, y : array-like of shape (n_samples,), default=None
            Data points to scatter.
        ground_truth : callable or array-like or tuple, default=None
            The true function (callable, values on the grid, or ``(x, f(x))``).
        name : str, default=None
            Legend name.
        feature_name, target_name : str, default=None
            Axis labels; by default X's and y's names if they are a pandas
            column and Series, else "x" and "y".
        ax : matplotlib Axes, default=None
            Where to draw.
        **plot_kwargs
            Passed to :meth:`plot`.

        Returns
        -------
        display : RegressionUncertaintyDisplay

        Examples
        --------
        >>> import numpy as np
        >>> from skdeepens.plotting import RegressionUncertaintyDisplay
        >>> x = np.linspace(-1, 1, 50)
        >>> disp = RegressionUncertaintyDisplay.from_predictions(
        ...     x, x**2, np.full(50, 0.1), k=[1, 2])  # doctest: +SKIP
        """
        pyplot(f"{cls.__name__}.from_predictions")
        x_grid = np.asarray(x_grid, dtype=np.float64).ravel()
        n = x_grid.shape[0]
        member_mean = None if member_mean is None else np.atleast_2d(member_mean)
        member_std = None if member_std is None else np.atleast_2d(member_std)
        for values, label in ((member_mean, "member_mean"), (member_std, "member_std")):
            if values is not None and (values.ndim != 2 or values.shape[1] != n):
                raise ValueError(
                    f"{label} must have shape (n_members, {n}); got {values.shape}"
                )
        if feature_name is None and X is not None:
            names = feature_names(X)
            feature_name = None if names is None else names[0]
        if target_name is None and y is not None:
            target_name = target_name_of(y)
        if X is not None:
            X = np.asarray(X, dtype=np.float64)
            if X.ndim == 2:
                if X.shape[1] != 1:
                    raise ValueError(
                        "RegressionUncertaintyDisplay needs X with exactly 1 "
                        f"feature; got {X.shape[1]}"
                    )
                X = X[:, 0]
        display = cls(
            x_grid=x_grid,
            mean=vector(mean, "mean", n),
            total_var=vector(total_var, "total_var", n),
            aleatoric_var=vector(aleatoric_var, "aleatoric_var", n),
            epistemic_var=vector(epistemic_var, "epistemic_var", n),
            member_mean=member_mean,
            member_std=member_std,
            X=X,
            y=None if y is None else np.asarray(y, dtype=np.float64).ravel(),
            ground_truth=ground_truth,
            estimator_name=name,
            feature_name=feature_name,
            target_name=target_name,
        )
        return display.plot(ax=ax, **plot_kwargs)

    def _truth(self):
        truth = self.ground_truth
        if truth is None:
            return None
        if callable(truth):
            return self.x_grid, np.asarray(truth(self.x_grid), dtype=np.float64)
        if isinstance(truth, tuple) and len(truth) == 2:
            return np.ravel(truth[0]), np.ravel(truth[1])
        return self.x_grid, vector(truth, "ground_truth", self.x_grid.shape[0])

    def plot(
        self,
        ax=None,
        *,
        k=2,
        split=False,
        members=False,
        kind="bands",
        name=None,
        legend=True,
        line_kwargs=None,
        band_kwargs=None,
        scatter_kwargs=None,
        truth_kwargs=None,
    ):
        """Draw the display.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Where to draw; a new figure by default.
        k : float or list of float, default=2
            Draw ``mean +- k * std`` for each ``k`` (nested bands).
        split : bool, default=False
            Also draw bands of the aleatoric and of the epistemic standard
            deviation (``mean +- k sqrt(aleatoric_var)``, ``mean +- k
            sqrt(epistemic_var)``, largest ``k`` only).
        members : bool, default=False
            Also draw each member's mean and its ``+- k`` band (largest ``k``).
        kind : {"bands", "std"}, default="bands"
            ``"std"`` plots the total, aleatoric and epistemic standard
            deviations against x instead of bands around the mean.
        name : str, default=None
            Legend name; overrides ``estimator_name``.
        legend : bool, default=True
            Whether to draw a legend.
        line_kwargs : dict, default=None
            Passed to :meth:`matplotlib.axes.Axes.plot` for the mean (and, with
            ``kind="std"``, for each standard-deviation line).
        band_kwargs : dict, default=None
            Passed to :meth:`matplotlib.axes.Axes.fill_between` for the total
            bands.
        scatter_kwargs : dict, default=None
            Passed to :meth:`matplotlib.axes.Axes.scatter` for the data.
        truth_kwargs : dict, default=None
            Passed to :meth:`matplotlib.axes.Axes.plot` for the ground truth.

        Returns
        -------
        display : RegressionUncertaintyDisplay
            With ``ax_``, ``figure_`` and the artists.
        """
        if kind not in ("bands", "std"):
            raise ValueError(f"kind must be 'bands' or 'std'; got {kind!r}")
        ks = check_ks(k)
        need_split = split or kind == "std"
        if need_split and (self.aleatoric_var is None or self.epistemic_var is None):
            raise ValueError(
                "split=True and kind='std' need aleatoric_var and epistemic_var"
            )
        if members and self.member_mean is None:
            raise ValueError("members=True needs member_mean")
        ax, fig = get_ax(ax, f"{type(self).__name__}.plot")
        name = self.estimator_name if name is None else name
        self.bands_, self.aleatoric_bands_, self.epistemic_bands_ = [], [], []
        self.member_lines_, self.member_bands_ = [], []
        self.std_lines_ = {}
        self.scatter_ = self.truth_line_ = self.line_ = None

        if kind == "std":
            self._draw_std_lines(ax, line_kwargs)
        else:
            self._draw_bands(ax, ks, band_kwargs)
            if split:
                self._draw_split_bands(ax, ks[-1])
            if members:
                self._draw_members(ax, ks[-1])
            self._draw_truth(ax, truth_kwargs)
            self._draw_mean(ax, name, line_kwargs)
            self._draw_data(ax, scatter_kwargs)
            ax.set_ylabel(self.target_name or "y")
        ax.set_xlabel(self.feature_name or "x")
        if legend:
            ax.legend(loc="best", fontsize="small")
        self.ax_, self.figure_ = ax, fig
        return self

    def _draw_std_lines(self, ax, line_kwargs):
        """``kind="std"``: the total, aleatoric and epistemic std against x."""
        from matplotlib.lines import Line2D

        for part, values, color in (
            ("total", self.total_var, "C0"),
            ("aleatoric", self.aleatoric_var, "C1"),
            ("epistemic", self.epistemic_var, "C2"),
        ):
            style = merge_kwargs(
                {"color": color, "label": part}, line_kwargs, "line_kwargs", Line2D
            )
            style["color"] = color  # the three lines stay distinguishable
            style["label"] = part
            (self.std_lines_[part],) = ax.plot(
                self.x_grid, np.sqrt(np.maximum(values, 0.0)), **style
            )
        ylabel = "predictive std"
        if self.target_name:
            ylabel = f"predictive std of {self.target_name}"
        ax.set_ylabel(ylabel)

    def _draw_bands(self, ax, ks, band_kwargs):
        """The nested ``mean +- k std`` bands of the total variance, widest first."""
        from matplotlib.collections import PolyCollection

        std = np.sqrt(np.maximum(self.total_var, 0.0))
        for i, kk in enumerate(reversed(ks)):
            style = merge_kwargs(
                {
                    "color": "C0",
                    "alpha": 0.2 + 0.15 * i / max(len(ks) - 1, 1),
                    "linewidth": 0,
                    "label": f"±{kk:g} std (total)",
                },
                band_kwargs,
                "band_kwargs",
                PolyCollection,
            )
            self.bands_.append(
                ax.fill_between(
                    self.x_grid, self.mean - kk * std, self.mean + kk * std, **style
                )
            )

    def _draw_split_bands(self, ax, kmax):
        """``split=True``: the aleatoric and the epistemic ``+- kmax`` bands."""
        for part, values, color, store in (
            ("aleatoric", self.aleatoric_var, "C1", self.aleatoric_bands_),
            ("epistemic", self.epistemic_var, "C2", self.epistemic_bands_),
        ):
            s = np.sqrt(np.maximum(values, 0.0))
            store.append(
                ax.fill_between(
                    self.x_grid,
                    self.mean - kmax * s,
                    self.mean + kmax * s,
                    color=color,
                    alpha=0.35,
                    linewidth=0,
                    label=f"±{kmax:g} std ({part})",
                )
            )

    def _draw_members(self, ax, kmax):
        """``members=True``: each member's mean line and ``+- kmax`` band."""
        x = self.x_grid
        for m, loc in enumerate(self.member_mean):
            color = f"C{(m + 3) % 10}"
            if self.member_std is not None:
                self.member_bands_.append(
                    ax.fill_between(
                        x,
                        loc - kmax * self.member_std[m],
                        loc + kmax * self.member_std[m],
                        color=color,
                        alpha=0.08,
                        linewidth=0,
                    )
                )
            (line,) = ax.plot(
                x,
                loc,
                color=color,
                linewidth=0.8,
                alpha=0.8,
                label="members" if m == 0 else None,
            )
            self.member_lines_.append(line)

    def _draw_truth(self, ax, truth_kwargs):
        """The ground truth, dashed, if the display has one."""
        from matplotlib.lines import Line2D

        truth = self._truth()
        if truth is None:
            return
        style = merge_kwargs(
            {"color": "k", "linestyle": "--", "linewidth": 1, "label": "truth"},
            truth_kwargs,
            "truth_kwargs",
            Line2D,
        )
        (self.truth_line_,) = ax.plot(*truth, **style)

    def _draw_mean(self, ax, name, line_kwargs):
        """The predictive mean."""
        from matplotlib.lines import Line2D

        style = merge_kwargs(
            {"color": "C0", "linewidth": 2, "label": name or "mean"},
            line_kwargs,
            "line_kwargs",
            Line2D,
        )
        (self.line_,) = ax.plot(self.x_grid, self.mean, **style)

    def _draw_data(self, ax, scatter_kwargs):
        """The data points, if the display has both X and y."""
        from matplotlib.collections import PathCollection

        if self.X is None or self.y is None:
            return
        style = merge_kwargs(
            {"s": 12, "color": "C3", "zorder": 3, "label": "data"},
            scatter_kwargs,
            "scatter_kwargs",
            PathCollection,
        )
        self.scatter_ = ax.scatter(self.X, self.y, **style)
