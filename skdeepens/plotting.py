"""Display objects for deep ensembles, in scikit-learn's style.

Each display follows :class:`sklearn.metrics.PredictionErrorDisplay`: a
``from_estimator`` class method computes what to draw from a fitted estimator
and hands it to ``from_predictions``, which builds the display and calls
``plot(ax=None, ...)``; ``plot`` returns the display with the axes ``ax_`` and
the figure ``figure_`` it drew on, and the artists it made. matplotlib is
imported only when something is drawn: install it with ``pip install
skdeepens[plot]``.

- :class:`RegressionUncertaintyDisplay`: a one-feature regression with its
  mean, bands of the predictive standard deviation, the aleatoric/epistemic
  split and the members; :meth:`RegressionUncertaintyDisplay.from_estimator_members`
  draws one panel per member plus one for the ensemble.
- :class:`ClassificationUncertaintyDisplay`: a two-feature classification:
  the data, the predicted class and the total, aleatoric and epistemic
  uncertainty over a grid.
- :class:`LossCurveDisplay`: the training (and validation) loss of each member.
- :class:`RegressionCalibrationDisplay`: observed against nominal coverage of
  the central prediction intervals.
- :class:`ClassificationCalibrationDisplay`: a top-label reliability diagram.
"""

import numbers

import numpy as np
from sklearn.base import is_classifier, is_regressor
from sklearn.utils.validation import check_array, check_is_fitted

from ._mixture import member_variance
from .metrics import (
    _top_label,
    expected_calibration_error,
    regression_calibration_curve,
)

__all__ = [
    "ClassificationCalibrationDisplay",
    "ClassificationUncertaintyDisplay",
    "LossCurveDisplay",
    "RegressionCalibrationDisplay",
    "RegressionUncertaintyDisplay",
]

_PANELS = ("data", "class", "total", "aleatoric", "epistemic")
_DEFAULT_PANELS = ("data", "class", "aleatoric", "epistemic")
_PANEL_TITLES = {
    "data": "Data",
    "class": "Predicted class",
    "total": "Total uncertainty (nats)",
    "aleatoric": "Data (aleatoric) uncertainty",
    "epistemic": "Knowledge (epistemic) uncertainty",
}


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------


def _pyplot():
    """matplotlib.pyplot, or an ImportError saying how to install it."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "skdeepens.plotting needs matplotlib: pip install 'skdeepens[plot]'"
        ) from exc
    return plt


def _get_ax(ax):
    if ax is None:
        _, ax = _pyplot().subplots()
    return ax, ax.figure


def _estimator_name(estimator, name):
    return type(estimator).__name__ if name is None else name


def _is(kind, estimator):
    """``is_regressor`` / ``is_classifier``, False for non-estimators."""
    try:
        return (
            is_regressor(estimator) if kind == "regressor" else is_classifier(estimator)
        )
    except (AttributeError, TypeError):  # no __sklearn_tags__: not an estimator
        return False


def _check_estimator(estimator, kind, *, method=None):
    """Check an estimator's kind ("regressor" or "classifier") and fit."""
    ok = _is(kind, estimator)
    if not ok or (method is not None and not hasattr(estimator, method)):
        needs = f" with a {method} method" if method else ""
        raise TypeError(
            f"expected a fitted {kind}{needs} (e.g. DeepEnsemble"
            f"{'Regressor' if kind == 'regressor' else 'Classifier'}); "
            f"got {type(estimator).__name__}"
        )
    check_is_fitted(estimator)


def _check_X(X, n_features, display):
    X = check_array(X, dtype=np.float64, input_name="X")
    if X.shape[1] != n_features:
        raise ValueError(
            f"{display} needs X with exactly {n_features} feature"
            f"{'s' if n_features > 1 else ''}; got {X.shape[1]}"
        )
    return X


def _check_fitted_features(estimator, n_features, display):
    n_in = getattr(estimator, "n_features_in_", None)
    if n_in is not None and n_in != n_features:
        raise ValueError(
            f"{display} needs an estimator fitted on exactly {n_features} "
            f"feature{'s' if n_features > 1 else ''}; "
            f"{type(estimator).__name__} was fitted on {n_in}"
        )


def _as_estimator_input(estimator, X):
    """X with the estimator's feature names, if it was fitted with names."""
    names = getattr(estimator, "feature_names_in_", None)
    if names is None:
        return X
    import pandas as pd

    return pd.DataFrame(X, columns=names)


def _check_ks(k):
    ks = [k] if isinstance(k, numbers.Real) else list(k)
    if not ks or not all(isinstance(v, numbers.Real) and v > 0 for v in ks):
        raise ValueError(f"k must be a positive number or a list of them; got {k!r}")
    return sorted(float(v) for v in ks)


def _vector(values, name, n):
    if values is None:
        return None
    values = np.asarray(values, dtype=np.float64)
    if values.ndim == 2 and values.shape[1] == 1:
        values = values[:, 0]
    if values.shape != (n,):
        raise ValueError(f"{name} must have shape ({n},); got {values.shape}")
    return values


# ---------------------------------------------------------------------------
# Regression on one feature
# ---------------------------------------------------------------------------


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
    aleatoric, epistemic : ndarray of shape (n_grid,), default=None
        The split of ``total_var`` into the members' average variance and the
        variance of their means.
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
        aleatoric=None,
        epistemic=None,
        member_mean=None,
        member_std=None,
        X=None,
        y=None,
        ground_truth=None,
        estimator_name=None,
    ):
        self.x_grid = x_grid
        self.mean = mean
        self.total_var = total_var
        self.aleatoric = aleatoric
        self.epistemic = epistemic
        self.member_mean = member_mean
        self.member_std = member_std
        self.X = X
        self.y = y
        self.ground_truth = ground_truth
        self.estimator_name = estimator_name

    @staticmethod
    def _predictions(estimator, X, grid, n_grid, margin):
        """Mean, variance split and members of ``estimator`` on a grid."""
        _check_estimator(estimator, "regressor", method="_member_loc_scale")
        _check_fitted_features(estimator, 1, "RegressionUncertaintyDisplay")
        X = _check_X(X, 1, "RegressionUncertaintyDisplay")
        if grid is None:
            low, high = X.min(), X.max()
            pad = margin * (high - low)
            grid = np.linspace(low - pad, high + pad, n_grid)
        grid = np.sort(np.asarray(grid, dtype=np.float64).ravel())
        G = _as_estimator_input(estimator, grid.reshape(-1, 1))
        u = estimator.predict_uncertainty(G)
        if np.ndim(u.mean) != 1:
            raise ValueError(
                "RegressionUncertaintyDisplay needs a single-output regressor; "
                f"the estimator predicts {np.shape(u.mean)[1]} outputs"
            )
        loc, scale = estimator._member_loc_scale(G)
        member_std = None
        if scale is not None:
            member_std = np.sqrt(member_variance(scale[..., 0], estimator._family))
        return dict(
            x_grid=grid,
            mean=u.mean,
            total_var=u.total,
            aleatoric=u.aleatoric,
            epistemic=u.epistemic,
            member_mean=loc[..., 0],
            member_std=member_std,
        ), X[:, 0]

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
            Data points to scatter; they set the default grid.
        y : array-like of shape (n_samples,), default=None
            Their targets; without them no points are drawn.
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
            Passed to :meth:`plot` (``k``, ``split``, ``members``, ``kind``).

        Returns
        -------
        display : RegressionUncertaintyDisplay

        Raises
        ------
        TypeError
            If ``estimator`` is not a regressor with members.
        sklearn.exceptions.NotFittedError
            If it is not fitted.
        ValueError
            If X (or the fitted estimator) does not have exactly one feature.
        """
        predictions, x = cls._predictions(estimator, X, grid, n_grid, margin)
        return cls.from_predictions(
            **predictions,
            X=x if y is not None else None,
            y=y,
            ground_truth=ground_truth,
            name=_estimator_name(estimator, name),
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
        aleatoric=None,
        epistemic=None,
        member_mean=None,
        member_std=None,
        X=None,
        y=None,
        ground_truth=None,
        name=None,
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
        aleatoric, epistemic : array-like of shape (n_grid,), default=None
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
        x_grid = np.asarray(x_grid, dtype=np.float64).ravel()
        n = x_grid.shape[0]
        member_mean = None if member_mean is None else np.atleast_2d(member_mean)
        member_std = None if member_std is None else np.atleast_2d(member_std)
        for values, label in ((member_mean, "member_mean"), (member_std, "member_std")):
            if values is not None and (values.ndim != 2 or values.shape[1] != n):
                raise ValueError(
                    f"{label} must have shape (n_members, {n}); got {values.shape}"
                )
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
            mean=_vector(mean, "mean", n),
            total_var=_vector(total_var, "total_var", n),
            aleatoric=_vector(aleatoric, "aleatoric", n),
            epistemic=_vector(epistemic, "epistemic", n),
            member_mean=member_mean,
            member_std=member_std,
            X=X,
            y=None if y is None else np.asarray(y, dtype=np.float64).ravel(),
            ground_truth=ground_truth,
            estimator_name=name,
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
        return self.x_grid, _vector(truth, "ground_truth", self.x_grid.shape[0])

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
            deviation (``mean +- k sqrt(aleatoric)``, ``mean +- k
            sqrt(epistemic)``, largest ``k`` only).
        members : bool, default=False
            Also draw each member's mean and its ``+- k`` band (largest ``k``).
        kind : {"bands", "std"}, default="bands"
            ``"std"`` plots the total, aleatoric and epistemic standard
            deviations against x instead of bands around the mean.
        name : str, default=None
            Legend name; overrides ``estimator_name``.
        legend : bool, default=True
            Whether to draw a legend.

        Returns
        -------
        display : RegressionUncertaintyDisplay
            With ``ax_``, ``figure_`` and the artists.
        """
        if kind not in ("bands", "std"):
            raise ValueError(f"kind must be 'bands' or 'std'; got {kind!r}")
        ks = _check_ks(k)
        ax, fig = _get_ax(ax)
        name = self.estimator_name if name is None else name
        x = self.x_grid
        need_split = split or kind == "std"
        if need_split and (self.aleatoric is None or self.epistemic is None):
            raise ValueError(
                "split=True and kind='std' need aleatoric and epistemic variances"
            )
        if members and self.member_mean is None:
            raise ValueError("members=True needs member_mean")
        self.bands_, self.aleatoric_bands_, self.epistemic_bands_ = [], [], []
        self.member_lines_, self.member_bands_ = [], []
        self.std_lines_ = {}
        self.scatter_ = self.truth_line_ = self.line_ = None

        if kind == "std":
            for part, values, color in (
                ("total", self.total_var, "C0"),
                ("aleatoric", self.aleatoric, "C1"),
                ("epistemic", self.epistemic, "C2"),
            ):
                (self.std_lines_[part],) = ax.plot(
                    x, np.sqrt(np.maximum(values, 0.0)), color=color, label=part
                )
            ax.set_ylabel("predictive std")
        else:
            std = np.sqrt(np.maximum(self.total_var, 0.0))
            for i, kk in enumerate(reversed(ks)):
                self.bands_.append(
                    ax.fill_between(
                        x,
                        self.mean - kk * std,
                        self.mean + kk * std,
                        color="C0",
                        alpha=0.2 + 0.15 * i / max(len(ks) - 1, 1),
                        linewidth=0,
                        label=f"±{kk:g} std (total)",
                    )
                )
            kmax = ks[-1]
            if split:
                for part, values, color, store in (
                    ("aleatoric", self.aleatoric, "C1", self.aleatoric_bands_),
                    ("epistemic", self.epistemic, "C2", self.epistemic_bands_),
                ):
                    s = np.sqrt(np.maximum(values, 0.0))
                    store.append(
                        ax.fill_between(
                            x,
                            self.mean - kmax * s,
                            self.mean + kmax * s,
                            color=color,
                            alpha=0.35,
                            linewidth=0,
                            label=f"±{kmax:g} std ({part})",
                        )
                    )
            if members:
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
            truth = self._truth()
            if truth is not None:
                (self.truth_line_,) = ax.plot(
                    *truth, color="k", linestyle="--", linewidth=1, label="truth"
                )
            (self.line_,) = ax.plot(
                x, self.mean, color="C0", linewidth=2, label=name or "mean"
            )
            if self.X is not None and self.y is not None:
                self.scatter_ = ax.scatter(
                    self.X, self.y, s=12, color="C3", zorder=3, label="data"
                )
            ax.set_ylabel("y")
        ax.set_xlabel("x")
        if legend:
            ax.legend(loc="best", fontsize="small")
        self.ax_, self.figure_ = ax, fig
        return self

    @classmethod
    def from_estimator_members(
        cls,
        estimator,
        X,
        y=None,
        *,
        grid=None,
        n_grid=200,
        margin=0.5,
        ground_truth=None,
        k=2,
        axes=None,
        n_cols=3,
    ):
        """Small multiples: one panel per member, and one for the ensemble.

        Parameters
        ----------
        estimator : DeepEnsembleRegressor
            Fitted on one feature, with ``M`` members.
        X, y, grid, n_grid, margin, ground_truth
            As in :meth:`from_estimator`.
        k : float, default=2
            Half-width of the bands in standard deviations.
        axes : array-like of matplotlib Axes, default=None
            At least ``M + 1`` axes; by default a grid of ``n_cols`` columns
            sharing both axes.
        n_cols : int, default=3
            Columns of the default grid.

        Returns
        -------
        displays : list of RegressionUncertaintyDisplay
            ``M + 1`` displays, the members' then the ensemble's.

        Examples
        --------
        >>> from skdeepens.plotting import RegressionUncertaintyDisplay
        >>> displays = RegressionUncertaintyDisplay.from_estimator_members(
        ...     reg, X, y)  # doctest: +SKIP
        """
        predictions, x = cls._predictions(estimator, X, grid, n_grid, margin)
        member_mean = predictions["member_mean"]
        member_std = predictions["member_std"]
        n_members = member_mean.shape[0]
        if axes is None:
            plt = _pyplot()
            n_rows = -(-(n_members + 1) // n_cols)
            _, axes = plt.subplots(
                n_rows,
                n_cols,
                figsize=(4 * n_cols, 3 * n_rows),
                sharex=True,
                sharey=True,
                squeeze=False,
            )
        axes = np.ravel(axes)
        if axes.shape[0] < n_members + 1:
            raise ValueError(
                f"axes must hold at least {n_members + 1} axes (one per member and "
                f"one for the ensemble); got {axes.shape[0]}"
            )
        for ax in axes[n_members + 1 :]:
            ax.set_visible(False)
        data = dict(X=x if y is not None else None, y=y, ground_truth=ground_truth)
        displays = []
        for m in range(n_members):
            std = np.zeros_like(member_mean[m]) if member_std is None else member_std[m]
            display = cls.from_predictions(
                predictions["x_grid"],
                member_mean[m],
                std**2,
                name=f"member {m + 1}",
                ax=axes[m],
                k=k,
                legend=False,
                **data,
            )
            display.ax_.set_title(f"Member {m + 1}")
            displays.append(display)
        display = cls.from_predictions(
            **predictions,
            name=f"ensemble (M={n_members})",
            ax=axes[n_members],
            k=k,
            legend=False,
            **data,
        )
        display.ax_.set_title(f"Ensemble, M={n_members}")
        displays.append(display)
        return displays


# ---------------------------------------------------------------------------
# Classification on two features
# ---------------------------------------------------------------------------


class ClassificationUncertaintyDisplay:
    """Predicted class and uncertainty maps of a classifier on two features.

    The practical's four panels: the data, the predicted class, the data
    (aleatoric) uncertainty and the knowledge (epistemic) uncertainty, on a
    regular grid; the total uncertainty is available as a fifth panel. Any
    panel can be drawn alone.

    Parameters
    ----------
    xx0, xx1 : ndarray of shape (n_rows, n_cols)
        The grid's coordinates, as from :func:`numpy.meshgrid`.
    y_pred : ndarray of shape (n_rows, n_cols)
        Index of the predicted class (into ``classes``) at each grid point.
    total, aleatoric, epistemic : ndarray of shape (n_rows, n_cols)
        The uncertainties, in nats; any may be None if its panel is not drawn.
    X : ndarray of shape (n_samples, 2), default=None
        Data points.
    y : ndarray of shape (n_samples,), default=None
        Their labels.
    classes : ndarray of shape (n_classes,), default=None
        The labels, in the order of ``y_pred``'s indices.
    feature_names : list of two str, default=None
        Axis labels.

    Attributes
    ----------
    ax_ : matplotlib Axes or ndarray of Axes
        The axis when one panel is drawn, else the array of axes.
    axes_ : dict
        Panel name -> Axes.
    meshes_ : dict
        Panel name -> the QuadMesh of a map panel.
    scatters_ : dict
        Panel name -> the data points' PathCollection.
    colorbars_ : dict
        Panel name -> Colorbar of an uncertainty panel.
    figure_ : matplotlib Figure

    Examples
    --------
    >>> from skdeepens import DeepEnsembleClassifier
    >>> from skdeepens.datasets import make_spirals
    >>> from skdeepens.plotting import ClassificationUncertaintyDisplay
    >>> X, y = make_spirals(n_samples_per_class=100, random_state=0)
    >>> clf = DeepEnsembleClassifier(n_estimators=3, random_state=0)
    >>> clf = clf.fit(X, y)  # doctest: +SKIP
    >>> disp = ClassificationUncertaintyDisplay.from_estimator(
    ...     clf, X, y)  # doctest: +SKIP
    >>> disp.plot(panels="epistemic")  # doctest: +SKIP
    """

    def __init__(
        self,
        *,
        xx0,
        xx1,
        y_pred=None,
        total=None,
        aleatoric=None,
        epistemic=None,
        X=None,
        y=None,
        classes=None,
        feature_names=None,
    ):
        self.xx0 = xx0
        self.xx1 = xx1
        self.y_pred = y_pred
        self.total = total
        self.aleatoric = aleatoric
        self.epistemic = epistemic
        self.X = X
        self.y = y
        self.classes = classes
        self.feature_names = feature_names

    @classmethod
    def from_estimator(
        cls,
        estimator,
        X,
        y=None,
        *,
        grid_resolution=100,
        margin=0.1,
        ax=None,
        **plot_kwargs,
    ):
        """Plot a fitted two-feature classifier's maps over X's range.

        Parameters
        ----------
        estimator : DeepEnsembleClassifier or classifier with \
``predict_uncertainty``
            Fitted on exactly two features.
        X : array-like of shape (n_samples, 2)
            The data; its range, widened by ``margin``, sets the grid.
        y : array-like of shape (n_samples,), default=None
            The labels, to colour the data points.
        grid_resolution : int, default=100
            Grid points along each feature.
        margin : float, default=0.1
            Widening of the grid relative to each feature's range.
        ax : matplotlib Axes or array of Axes, default=None
            See :meth:`plot`.
        **plot_kwargs
            Passed to :meth:`plot` (``panels``, ``cmap``).

        Returns
        -------
        display : ClassificationUncertaintyDisplay

        Raises
        ------
        TypeError
            If ``estimator`` is not a classifier with ``predict_uncertainty``.
        sklearn.exceptions.NotFittedError
            If it is not fitted.
        ValueError
            If X (or the fitted estimator) does not have exactly two features.
        """
        _check_estimator(estimator, "classifier", method="predict_uncertainty")
        _check_fitted_features(estimator, 2, "ClassificationUncertaintyDisplay")
        X = _check_X(X, 2, "ClassificationUncertaintyDisplay")
        low, high = X.min(axis=0), X.max(axis=0)
        pad = margin * (high - low)
        xx0, xx1 = np.meshgrid(
            np.linspace(low[0] - pad[0], high[0] + pad[0], grid_resolution),
            np.linspace(low[1] - pad[1], high[1] + pad[1], grid_resolution),
        )
        G = _as_estimator_input(estimator, np.column_stack([xx0.ravel(), xx1.ravel()]))
        proba = estimator.predict_proba(G)
        u = estimator.predict_uncertainty(G)
        shape = xx0.shape
        names = getattr(estimator, "feature_names_in_", None)
        return cls.from_predictions(
            xx0,
            xx1,
            np.argmax(proba, axis=1).reshape(shape),
            aleatoric=u.aleatoric.reshape(shape),
            epistemic=u.epistemic.reshape(shape),
            total=u.total.reshape(shape),
            X=X,
            y=y,
            classes=estimator.classes_,
            feature_names=None if names is None else list(names),
            ax=ax,
            **plot_kwargs,
        )

    @classmethod
    def from_predictions(
        cls,
        xx0,
        xx1,
        y_pred,
        *,
        aleatoric=None,
        epistemic=None,
        total=None,
        X=None,
        y=None,
        classes=None,
        feature_names=None,
        ax=None,
        **plot_kwargs,
    ):
        """Plot given predictions on a two-dimensional grid.

        Parameters
        ----------
        xx0, xx1 : array-like of shape (n_rows, n_cols)
            The grid, as from :func:`numpy.meshgrid`.
        y_pred : array-like of shape (n_rows, n_cols)
            Predicted class index (into ``classes``) at each grid point.
        aleatoric, epistemic, total : array-like of shape (n_rows, n_cols)
            The uncertainties in nats; ``total`` defaults to their sum.
        X : array-like of shape (n_samples, 2), default=None
            Data points.
        y : array-like of shape (n_samples,), default=None
            Their labels.
        classes : array-like of shape (n_classes,), default=None
            Class labels; by default the labels in ``y``.
        feature_names : list of two str, default=None
            Axis labels.
        ax : matplotlib Axes or array of Axes, default=None
            See :meth:`plot`.
        **plot_kwargs
            Passed to :meth:`plot`.

        Returns
        -------
        display : ClassificationUncertaintyDisplay
        """
        xx0 = np.asarray(xx0, dtype=np.float64)
        xx1 = np.asarray(xx1, dtype=np.float64)
        if xx0.ndim != 2 or xx1.shape != xx0.shape:
            raise ValueError(
                "xx0 and xx1 must be 2-D arrays of the same shape (a meshgrid); "
                f"got {xx0.shape} and {xx1.shape}"
            )

        def grid_values(values, label):
            if values is None:
                return None
            values = np.asarray(values)
            if values.size != xx0.size:
                raise ValueError(
                    f"{label} must have the grid's shape {xx0.shape}; "
                    f"got {values.shape}"
                )
            return values.reshape(xx0.shape)

        aleatoric = grid_values(aleatoric, "aleatoric")
        epistemic = grid_values(epistemic, "epistemic")
        total = grid_values(total, "total")
        if total is None and aleatoric is not None and epistemic is not None:
            total = aleatoric + epistemic
        if X is not None:
            X = _check_X(X, 2, "ClassificationUncertaintyDisplay")
        if classes is None and y is not None:
            classes = np.unique(y)
        display = cls(
            xx0=xx0,
            xx1=xx1,
            y_pred=grid_values(y_pred, "y_pred"),
            total=total,
            aleatoric=aleatoric,
            epistemic=epistemic,
            X=X,
            y=None if y is None else np.asarray(y),
            classes=classes,
            feature_names=feature_names,
        )
        return display.plot(ax=ax, **plot_kwargs)

    def plot(self, ax=None, *, panels=None, cmap="viridis", class_cmap="tab10"):
        """Draw one or several panels.

        Parameters
        ----------
        ax : matplotlib Axes or array-like of Axes, default=None
            One axis per panel; by default a new figure with the panels in a
            row (one axis for a single panel).
        panels : str or list of str, default=None
            Panels among "data", "class", "total", "aleatoric" and
            "epistemic", in order; a single name draws that panel alone. By
            default ``["data", "class", "aleatoric", "epistemic"]``.
        cmap : str, default="viridis"
            Colour map of the uncertainty panels.
        class_cmap : str, default="tab10"
            Colour map of the classes.

        Returns
        -------
        display : ClassificationUncertaintyDisplay
        """
        if panels is None:
            panels = list(_DEFAULT_PANELS)
        elif isinstance(panels, str):
            panels = [panels]
        else:
            panels = list(panels)
        unknown = [p for p in panels if p not in _PANELS]
        if unknown or not panels:
            raise ValueError(f"panels must be names from {_PANELS}; got {panels!r}")
        for panel in panels:
            missing = (
                panel == "data"
                and (self.X is None or self.y is None)
                or panel == "class"
                and self.y_pred is None
                or panel in ("total", "aleatoric", "epistemic")
                and getattr(self, panel) is None
            )
            if missing:
                raise ValueError(f"panel {panel!r} needs data this display lacks")
        if ax is None:
            plt = _pyplot()
            fig, axes = plt.subplots(
                1, len(panels), figsize=(4.2 * len(panels), 3.8), squeeze=False
            )
            axes = axes[0]
        else:
            axes = np.ravel(np.asarray(ax, dtype=object))
            if axes.shape[0] != len(panels):
                raise ValueError(
                    f"ax must hold one axis per panel ({len(panels)}); "
                    f"got {axes.shape[0]}"
                )
            fig = axes[0].figure
        plt_cm = _pyplot().get_cmap(class_cmap)
        classes = self.classes
        n_classes = (
            len(classes)
            if classes is not None
            else int(np.max(self.y_pred)) + 1
            if self.y_pred is not None
            else 0
        )
        self.axes_, self.meshes_, self.scatters_, self.colorbars_ = {}, {}, {}, {}
        for panel, axis in zip(panels, axes):
            self.axes_[panel] = axis
            if panel == "class":
                self.meshes_[panel] = axis.pcolormesh(
                    self.xx0,
                    self.xx1,
                    self.y_pred,
                    cmap=plt_cm,
                    vmin=-0.5,
                    vmax=plt_cm.N - 0.5,
                    shading="auto",
                    alpha=0.6,
                )
            elif panel != "data":
                self.meshes_[panel] = axis.pcolormesh(
                    self.xx0, self.xx1, getattr(self, panel), cmap=cmap, shading="auto"
                )
                self.colorbars_[panel] = fig.colorbar(
                    self.meshes_[panel], ax=axis, label="nats"
                )
            if self.X is not None and self.y is not None:
                if classes is not None:
                    index = np.searchsorted(np.asarray(classes), self.y)
                else:
                    index = np.unique(self.y, return_inverse=True)[1]
                data_panel = panel in ("data", "class")
                self.scatters_[panel] = axis.scatter(
                    self.X[:, 0],
                    self.X[:, 1],
                    c=index if data_panel else "white",
                    cmap=plt_cm if data_panel else None,
                    vmin=-0.5 if data_panel else None,
                    vmax=plt_cm.N - 0.5 if data_panel else None,
                    s=6 if data_panel else 2,
                    alpha=1.0 if data_panel else 0.4,
                    edgecolors="none",
                )
            axis.set_title(_PANEL_TITLES[panel], fontsize="medium")
            names = self.feature_names or ["x1", "x2"]
            axis.set_xlabel(names[0])
            axis.set_ylabel(names[1])
            axis.set_xlim(self.xx0.min(), self.xx0.max())
            axis.set_ylim(self.xx1.min(), self.xx1.max())
        if "data" in self.axes_ and classes is not None and n_classes <= 10:
            from matplotlib.lines import Line2D

            handles = [
                Line2D([], [], marker="o", linestyle="", color=plt_cm(i), label=str(c))
                for i, c in enumerate(classes)
            ]
            self.axes_["data"].legend(handles=handles, fontsize="small")
        self.ax_ = axes[0] if len(panels) == 1 else axes
        self.figure_ = fig
        return self


# ---------------------------------------------------------------------------
# Training curves
# ---------------------------------------------------------------------------


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
        if not (_is("regressor", estimator) or _is("classifier", estimator)):
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
            estimator_name=_estimator_name(estimator, name),
        )
        return display.plot(ax=ax, **plot_kwargs)

    def plot(self, ax=None, *, logy=False, legend=True):
        """Draw the curves.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Where to draw.
        logy : bool, default=False
            Logarithmic loss axis (only sensible for positive losses; the
            NLL of standardised targets can be negative).
        legend : bool, default=True
            Whether to draw a legend.

        Returns
        -------
        display : LossCurveDisplay
        """
        ax, fig = _get_ax(ax)
        curve = np.asarray(self.loss_curve, dtype=np.float64)
        if curve.ndim == 1:
            curve = curve[:, None]
        epochs = np.arange(1, curve.shape[0] + 1)
        self.lines_ = [
            ax.plot(epochs, curve[:, m], color=f"C{m % 10}", label=f"member {m + 1}")[0]
            for m in range(curve.shape[1])
        ]
        self.validation_lines_ = []
        if self.validation_loss_curve is not None:
            val = np.asarray(self.validation_loss_curve, dtype=np.float64)
            if val.ndim == 1:
                val = val[:, None]
            self.validation_lines_ = [
                ax.plot(
                    epochs[: val.shape[0]],
                    val[:, m],
                    color=f"C{m % 10}",
                    linestyle="--",
                    label="validation" if m == 0 else None,
                )[0]
                for m in range(val.shape[1])
            ]
        if logy:
            ax.set_yscale("log")
        ax.set_xlabel("epoch")
        ax.set_ylabel("training loss")
        if self.estimator_name:
            ax.set_title(self.estimator_name)
        if legend:
            ax.legend(fontsize="small")
        self.ax_, self.figure_ = ax, fig
        return self


# ---------------------------------------------------------------------------
# Calibration
# ---------------------------------------------------------------------------


class RegressionCalibrationDisplay:
    """Observed against nominal coverage of the central prediction intervals.

    A calibrated model follows the diagonal; a curve below it is
    overconfident (intervals too narrow), above it underconfident.

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
        cls, estimator, X, y, *, levels=None, sample_weight=None, name=None, ax=None
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

        Returns
        -------
        display : RegressionCalibrationDisplay
        """
        _check_estimator(estimator, "regressor", method="predict_dist")
        return cls.from_predictions(
            y,
            estimator.predict_dist(X),
            levels=levels,
            sample_weight=sample_weight,
            name=_estimator_name(estimator, name),
            ax=ax,
        )

    @classmethod
    def from_predictions(
        cls, y_true, dist, *, levels=None, sample_weight=None, name=None, ax=None
    ):
        """Coverage of a predictive distribution's intervals.

        Parameters
        ----------
        y_true : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets.
        dist : MixtureDistribution or object with a ``cdf`` method
            The predictive distribution.
        levels, sample_weight, name, ax
            As in :meth:`from_estimator`.

        Returns
        -------
        display : RegressionCalibrationDisplay
        """
        expected, observed = regression_calibration_curve(
            y_true, dist, levels=levels, sample_weight=sample_weight
        )
        return cls(expected=expected, observed=observed, estimator_name=name).plot(
            ax=ax
        )

    def plot(self, ax=None, *, name=None):
        """Draw the curve and the diagonal.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Where to draw.
        name : str, default=None
            Legend name; overrides ``estimator_name``.

        Returns
        -------
        display : RegressionCalibrationDisplay
        """
        ax, fig = _get_ax(ax)
        name = self.estimator_name if name is None else name
        # One legend entry for the diagonal when several curves share the axes.
        drawn = any(line.get_label() == "calibrated" for line in ax.lines)
        (self.reference_line_,) = ax.plot(
            [0, 1],
            [0, 1],
            color="0.5",
            linestyle=":",
            label="_calibrated" if drawn else "calibrated",
        )
        (self.line_,) = ax.plot(
            self.expected, self.observed, marker="o", markersize=3, label=name
        )
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


class ClassificationCalibrationDisplay:
    """Top-label reliability diagram of a multiclass classifier.

    The confidence (the top probability) is binned into ``n_bins`` equal bins
    closed on the right, as in
    :func:`~skdeepens.metrics.expected_calibration_error`; each bin's bar
    is its accuracy, drawn at its mean confidence, with its count written
    above it. A calibrated model's bars reach the diagonal.

    Parameters
    ----------
    bin_edges : ndarray of shape (n_bins + 1,)
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
        cls, estimator, X, y, *, n_bins=10, sample_weight=None, name=None, ax=None
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

        Returns
        -------
        display : ClassificationCalibrationDisplay
        """
        _check_estimator(estimator, "classifier", method="predict_proba")
        return cls.from_predictions(
            y,
            estimator.predict_proba(X),
            n_bins=n_bins,
            classes=estimator.classes_,
            sample_weight=sample_weight,
            name=_estimator_name(estimator, name),
            ax=ax,
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
        sample_weight, name, ax
            As in :meth:`from_estimator`.

        Returns
        -------
        display : ClassificationCalibrationDisplay
        """
        ece = expected_calibration_error(
            y_true, y_proba, n_bins=n_bins, classes=classes, sample_weight=sample_weight
        )
        confidence, correct = _top_label(y_true, y_proba, classes)
        weight = (
            np.ones_like(confidence)
            if sample_weight is None
            else np.asarray(sample_weight, dtype=np.float64)
        )
        edges = np.linspace(0.0, 1.0, n_bins + 1)
        bins = np.searchsorted(edges[1:-1], confidence, side="left")
        counts = np.bincount(bins, weights=weight, minlength=n_bins)
        with np.errstate(invalid="ignore", divide="ignore"):
            accuracy = np.bincount(bins, weights=weight * correct, minlength=n_bins)
            accuracy = accuracy / counts
            mean_confidence = (
                np.bincount(bins, weights=weight * confidence, minlength=n_bins)
                / counts
            )
        return cls(
            bin_edges=edges,
            accuracy=accuracy,
            confidence=mean_confidence,
            counts=counts,
            ece=ece,
            estimator_name=name,
        ).plot(ax=ax)

    def plot(self, ax=None, *, name=None):
        """Draw the bars, the diagonal and the counts.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Where to draw.
        name : str, default=None
            Legend name; overrides ``estimator_name``.

        Returns
        -------
        display : ClassificationCalibrationDisplay
        """
        ax, fig = _get_ax(ax)
        name = self.estimator_name if name is None else name
        edges = np.asarray(self.bin_edges)
        width = np.diff(edges)
        filled = self.counts > 0
        accuracy = np.where(filled, self.accuracy, 0.0)
        label = f"accuracy (ECE = {self.ece:.3f})"
        if name:
            label = f"{name}: {label}"
        self.bars_ = ax.bar(
            edges[:-1],
            accuracy,
            width=width,
            align="edge",
            edgecolor="k",
            linewidth=0.5,
            alpha=0.7,
            label=label,
        )
        # One legend entry for the diagonal when several curves share the axes.
        drawn = any(line.get_label() == "calibrated" for line in ax.lines)
        (self.reference_line_,) = ax.plot(
            [0, 1],
            [0, 1],
            color="0.5",
            linestyle=":",
            label="_calibrated" if drawn else "calibrated",
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
        ax.legend(loc="upper left", fontsize="small")
        self.ax_, self.figure_ = ax, fig
        return self
