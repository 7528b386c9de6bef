"""ClassificationUncertaintyDisplay: class and uncertainty maps on two features."""

import numpy as np

from ._base import (
    as_estimator_input,
    check_estimator,
    check_fitted_features,
    check_X,
    merge_kwargs,
    pyplot,
)
from ._base import feature_names as feature_names_of

_PANELS = ("data", "class", "total", "aleatoric", "epistemic")
_DEFAULT_PANELS = ("data", "class", "aleatoric", "epistemic")
_PANEL_TITLES = {
    "data": "Data",
    "class": "Predicted class",
    "total": "Total uncertainty",
    "aleatoric": "Data (aleatoric) uncertainty",
    "epistemic": "Knowledge (epistemic) uncertainty",
}


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
        Axis labels; "x1" and "x2" when None.

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
        Panel name -> Colorbar of an uncertainty panel (in nats, written
        above it).
    legend_ : matplotlib Legend or None
        The classes' legend on the "data" panel.
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
            The data; its range, widened by ``margin``, sets the grid. A
            DataFrame's column names (or the estimator's
            ``feature_names_in_``) label the axes.
        y : array-like of shape (n_samples,), default=None
            The labels, to colour the data points.
        grid_resolution : int, default=100
            Grid points along each feature.
        margin : float, default=0.1
            Widening of the grid relative to each feature's range.
        ax : matplotlib Axes or array of Axes, default=None
            See :meth:`plot`.
        **plot_kwargs
            Passed to :meth:`plot` (``panels``, ``cmap``, ``class_cmap`` and
            the ``*_kwargs`` styles).

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
        pyplot(f"{cls.__name__}.from_estimator")
        check_estimator(estimator, "classifier", method="predict_uncertainty")
        check_fitted_features(estimator, 2, "ClassificationUncertaintyDisplay")
        names = feature_names_of(X, estimator)
        X = check_X(X, 2, "ClassificationUncertaintyDisplay")
        low, high = X.min(axis=0), X.max(axis=0)
        pad = margin * (high - low)
        xx0, xx1 = np.meshgrid(
            np.linspace(low[0] - pad[0], high[0] + pad[0], grid_resolution),
            np.linspace(low[1] - pad[1], high[1] + pad[1], grid_resolution),
        )
        G = as_estimator_input(estimator, np.column_stack([xx0.ravel(), xx1.ravel()]))
        proba = estimator.predict_proba(G)
        u = estimator.predict_uncertainty(G)
        shape = xx0.shape
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
            feature_names=names,
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
            Axis labels; by default X's column names if it is a DataFrame.
        ax : matplotlib Axes or array of Axes, default=None
            See :meth:`plot`.
        **plot_kwargs
            Passed to :meth:`plot`.

        Returns
        -------
        display : ClassificationUncertaintyDisplay
        """
        pyplot(f"{cls.__name__}.from_predictions")
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
            if feature_names is None:
                feature_names = feature_names_of(X)
            X = check_X(X, 2, "ClassificationUncertaintyDisplay")
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

    def plot(
        self,
        ax=None,
        *,
        panels=None,
        cmap="viridis",
        class_cmap="tab10",
        mesh_kwargs=None,
        scatter_kwargs=None,
    ):
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
        mesh_kwargs : dict, default=None
            Passed to :meth:`matplotlib.axes.Axes.pcolormesh` for the
            uncertainty maps.
        scatter_kwargs : dict, default=None
            Passed to :meth:`matplotlib.axes.Axes.scatter` for the data points
            of the "data" and "class" panels.

        Returns
        -------
        display : ClassificationUncertaintyDisplay
        """
        panels = self._check_panels(panels)
        plt = pyplot(f"{type(self).__name__}.plot")
        axes, fig = self._get_axes(ax, panels, plt)
        class_cm = plt.get_cmap(class_cmap)
        classes = self.classes
        n_classes = (
            len(classes)
            if classes is not None
            else int(np.max(self.y_pred)) + 1
            if self.y_pred is not None
            else 0
        )
        self.axes_, self.meshes_, self.scatters_, self.colorbars_ = {}, {}, {}, {}
        self.legend_ = None
        for panel, axis in zip(panels, axes):
            self.axes_[panel] = axis
            if panel == "class":
                self._draw_class_mesh(axis, class_cm)
            elif panel != "data":
                self._draw_uncertainty_mesh(panel, axis, fig, cmap, mesh_kwargs)
            if self.X is not None and self.y is not None:
                self._draw_points(panel, axis, class_cm, scatter_kwargs)
            axis.set_title(_PANEL_TITLES[panel], fontsize="medium")
            names = self.feature_names or ["x1", "x2"]
            axis.set_xlabel(names[0])
            axis.set_ylabel(names[1])
            axis.set_xlim(self.xx0.min(), self.xx0.max())
            axis.set_ylim(self.xx1.min(), self.xx1.max())
        if "data" in self.axes_ and classes is not None and n_classes <= 10:
            self.legend_ = self._draw_class_legend(class_cm)
        self.ax_ = axes[0] if len(panels) == 1 else axes
        self.figure_ = fig
        return self

    def _check_panels(self, panels):
        """``panels`` as a list of known names, each with the data it needs."""
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
        return panels

    @staticmethod
    def _get_axes(ax, panels, plt):
        """One axis per panel, ``(axes, figure)``; a new row of them by default."""
        if ax is None:
            fig, axes = plt.subplots(
                1,
                len(panels),
                figsize=(4.2 * len(panels), 3.8),
                squeeze=False,
                layout="constrained",
            )
            return axes[0], fig
        axes = np.ravel(np.asarray(ax, dtype=object))
        if axes.shape[0] != len(panels):
            raise ValueError(
                f"ax must hold one axis per panel ({len(panels)}); got {axes.shape[0]}"
            )
        return axes, axes[0].figure

    def _draw_class_mesh(self, axis, class_cm):
        """The "class" panel's map of the predicted class."""
        self.meshes_["class"] = axis.pcolormesh(
            self.xx0,
            self.xx1,
            self.y_pred,
            cmap=class_cm,
            vmin=-0.5,
            vmax=class_cm.N - 0.5,
            shading="auto",
            alpha=0.6,
        )

    def _draw_uncertainty_mesh(self, panel, axis, fig, cmap, mesh_kwargs):
        """An uncertainty panel's map, with its colorbar in nats."""
        from matplotlib.collections import QuadMesh

        style = merge_kwargs(
            {"cmap": cmap, "shading": "auto"}, mesh_kwargs, "mesh_kwargs", QuadMesh
        )
        self.meshes_[panel] = axis.pcolormesh(
            self.xx0, self.xx1, getattr(self, panel), **style
        )
        # The unit above the colorbar, not beside it, where it would collide
        # with the next panel's y label.
        colorbar = fig.colorbar(self.meshes_[panel], ax=axis)
        colorbar.ax.set_title("nats", fontsize="small")
        self.colorbars_[panel] = colorbar

    def _draw_points(self, panel, axis, class_cm, scatter_kwargs):
        """The data: coloured by class on "data" and "class", faint elsewhere."""
        from matplotlib.collections import PathCollection

        if panel not in ("data", "class"):  # faint, so as not to hide the map
            self.scatters_[panel] = axis.scatter(
                self.X[:, 0],
                self.X[:, 1],
                c="white",
                s=2,
                alpha=0.4,
                edgecolors="none",
            )
            return
        if self.classes is not None:
            index = np.searchsorted(np.asarray(self.classes), self.y)
        else:
            index = np.unique(self.y, return_inverse=True)[1]
        style = merge_kwargs(
            {"s": 6, "edgecolors": "none"},
            scatter_kwargs,
            "scatter_kwargs",
            PathCollection,
        )
        self.scatters_[panel] = axis.scatter(
            self.X[:, 0],
            self.X[:, 1],
            c=index,
            cmap=class_cm,
            vmin=-0.5,
            vmax=class_cm.N - 0.5,
            **style,
        )

    def _draw_class_legend(self, class_cm):
        """The classes' legend on the "data" panel."""
        from matplotlib.lines import Line2D

        handles = [
            Line2D([], [], marker="o", linestyle="", color=class_cm(i), label=str(c))
            for i, c in enumerate(self.classes)
        ]
        return self.axes_["data"].legend(
            handles=handles, title="class", fontsize="small"
        )
