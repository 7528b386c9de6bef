"""Helpers shared by the displays: input checks, axes, styles, the members.

Every display module imports from here and from nowhere else in the package
except the metrics it plots (and ``RegressionMembersDisplay`` the public
``RegressionUncertaintyDisplay`` that draws each panel), so that a display is
one file plus this one: no display imports another's private helpers, and no
two displays import each other.
"""

import numbers

import numpy as np
from sklearn.base import is_classifier, is_regressor
from sklearn.utils.validation import check_array, check_is_fitted

try:  # public in scikit-learn < 1.7, private (and still there) since
    from sklearn.utils import check_matplotlib_support
except ImportError:  # pragma: no cover - depends on the installed version
    from sklearn.utils._optional_dependencies import check_matplotlib_support

# Light grey, dotted: the "calibrated" diagonal of both calibration displays.
REFERENCE_LINE_STYLE = dict(color="0.5", linestyle=":", linewidth=1)


def pyplot(caller):
    """matplotlib.pyplot, or an ImportError naming ``caller`` and the extra."""
    try:
        check_matplotlib_support(caller)
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            f"{exc} Install the plot extra: pip install '.[plot]' in a clone "
            "of skdeepens, or pip install 'skdeepens[plot]'"
        ) from exc
    import matplotlib.pyplot as plt

    return plt


def get_ax(ax, caller, **subplots_kwargs):
    """``(ax, figure)``; a new constrained-layout figure when ``ax`` is None.

    Constrained layout makes room for colorbars, titles and legends placed
    outside the axes, which the displays rely on so that nothing overlaps.
    """
    if ax is None:
        _, ax = pyplot(caller).subplots(layout="constrained", **subplots_kwargs)
    return ax, ax.figure


def merge_kwargs(defaults, user, name, artist):
    """The display's style ``defaults`` overridden by the user's ``*_kwargs``.

    Aliases (``c``/``color``, ``ls``/``linestyle``, ...) are normalised with
    matplotlib's own table for ``artist`` first, so that a user's ``c`` replaces
    the default ``color`` instead of matplotlib raising about both.
    """
    if user is None:
        user = {}
    elif not isinstance(user, dict):
        raise TypeError(
            f"{name} must be a dict of matplotlib keyword arguments or None; "
            f"got {type(user).__name__}"
        )
    from matplotlib import cbook

    merged = cbook.normalize_kwargs(defaults, artist)
    merged.update(cbook.normalize_kwargs(user, artist))
    return merged


def estimator_name(estimator, name):
    return type(estimator).__name__ if name is None else name


def _is(kind, estimator):
    """``is_regressor`` / ``is_classifier``, False for non-estimators."""
    try:
        return (
            is_regressor(estimator) if kind == "regressor" else is_classifier(estimator)
        )
    except (AttributeError, TypeError):  # no __sklearn_tags__: not an estimator
        return False


def is_estimator(estimator):
    """Whether ``estimator`` is a regressor or a classifier."""
    return _is("regressor", estimator) or _is("classifier", estimator)


def check_estimator(estimator, kind, *, method=None):
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


def column_names(X):
    """A DataFrame's column names as str, or None for other inputs."""
    columns = getattr(X, "columns", None)
    if columns is None:
        return None
    return [str(c) for c in columns]


def feature_names(X, estimator=None):
    """Axis labels: X's column names, else the estimator's ``feature_names_in_``."""
    names = column_names(X)
    if names is None and estimator is not None:
        fitted = getattr(estimator, "feature_names_in_", None)
        names = None if fitted is None else [str(c) for c in fitted]
    return names


def check_X(X, n_features, display):
    X = check_array(X, dtype=np.float64, input_name="X")
    if X.shape[1] != n_features:
        raise ValueError(
            f"{display} needs X with exactly {n_features} feature"
            f"{'s' if n_features > 1 else ''}; got {X.shape[1]}"
        )
    return X


def check_fitted_features(estimator, n_features, display):
    n_in = getattr(estimator, "n_features_in_", None)
    if n_in is not None and n_in != n_features:
        raise ValueError(
            f"{display} needs an estimator fitted on exactly {n_features} "
            f"feature{'s' if n_features > 1 else ''}; "
            f"{type(estimator).__name__} was fitted on {n_in}"
        )


def as_estimator_input(estimator, X):
    """X with the estimator's feature names, if it was fitted with names."""
    names = getattr(estimator, "feature_names_in_", None)
    if names is None:
        return X
    import pandas as pd

    return pd.DataFrame(X, columns=names)


def check_ks(k):
    ks = [k] if isinstance(k, numbers.Real) else list(k)
    if not ks or not all(isinstance(v, numbers.Real) and v > 0 for v in ks):
        raise ValueError(f"k must be a positive number or a list of them; got {k!r}")
    return sorted(float(v) for v in ks)


def vector(values, name, n):
    if values is None:
        return None
    values = np.asarray(values, dtype=np.float64)
    if values.ndim == 2 and values.shape[1] == 1:
        values = values[:, 0]
    if values.shape != (n,):
        raise ValueError(f"{name} must have shape ({n},); got {values.shape}")
    return values


def member_mean_std(estimator, X):
    """Each member's mean and standard deviation at X (one output).

    The one place where a display reaches the members, through the public
    ``predict_members(X)``.

    Returns
    -------
    mean : ndarray of shape (n_members, n_samples)
    std : ndarray of shape (n_members, n_samples) or None
        None for point-loss members, which predict no spread.
    """
    if not hasattr(estimator, "predict_members"):
        raise TypeError(
            "the members' predictions need an estimator with a predict_members "
            f"method (e.g. DeepEnsembleRegressor); got {type(estimator).__name__}"
        )
    members = estimator.predict_members(X)
    return np.asarray(members.loc), members.std


def target_name_of(y):
    """A pandas Series' name (or a one-column frame's), else None."""
    name = getattr(y, "name", None)
    if name is None and getattr(y, "columns", None) is not None and y.shape[1] == 1:
        name = y.columns[0]
    return None if name is None else str(name)


def regression_grid_predictions(estimator, X, y, grid, n_grid, margin, display):
    """A one-feature regressor's predictions on a grid over X, for ``display``.

    The one home of what :class:`RegressionUncertaintyDisplay` and
    :class:`RegressionMembersDisplay` compute from an estimator, through its
    public ``predict_uncertainty`` and ``predict_members``.

    Returns
    -------
    predictions : dict
        ``x_grid``, ``mean``, ``total_var``, ``aleatoric_var``, ``epistemic_var``,
        ``member_mean``, ``member_std``, ``feature_name`` and ``target_name``:
        keyword arguments of ``RegressionUncertaintyDisplay.from_predictions``.
    x : ndarray of shape (n_samples,)
        X's one column.
    """
    check_estimator(estimator, "regressor", method="predict_uncertainty")
    check_fitted_features(estimator, 1, display)
    names = feature_names(X, estimator)
    X = check_X(X, 1, display)
    if grid is None:
        low, high = X.min(), X.max()
        pad = margin * (high - low)
        grid = np.linspace(low - pad, high + pad, n_grid)
    grid = np.sort(np.asarray(grid, dtype=np.float64).ravel())
    G = as_estimator_input(estimator, grid.reshape(-1, 1))
    u = estimator.predict_uncertainty(G)
    if np.ndim(u.mean) != 1:
        raise ValueError(
            f"{display} needs a single-output regressor; "
            f"the estimator predicts {np.shape(u.mean)[1]} outputs"
        )
    member_mean, member_std = member_mean_std(estimator, G)
    return dict(
        x_grid=grid,
        mean=u.mean,
        total_var=u.total_var,
        aleatoric_var=u.aleatoric_var,
        epistemic_var=u.epistemic_var,
        member_mean=member_mean,
        member_std=member_std,
        feature_name=None if names is None else names[0],
        target_name=target_name_of(y),
    ), X[:, 0]


def draw_reference(ax, ref_line_kwargs, *, below, above):
    """The calibrated diagonal, and the meaning of each side written on the axes.

    ``below`` and ``above`` say what a curve (or bar) under and over the
    diagonal means; they are written along it, in grey, so that a reader of the
    picture alone knows which side is overconfident.

    Returns
    -------
    line : Line2D
    texts : list of Text
        The ``below`` and ``above`` annotations.
    """
    # One legend entry for the diagonal when several curves share the axes.
    drawn = any(line.get_label() == "calibrated" for line in ax.lines)
    from matplotlib.lines import Line2D

    style = merge_kwargs(
        {**REFERENCE_LINE_STYLE, "label": "_calibrated" if drawn else "calibrated"},
        ref_line_kwargs,
        "ref_line_kwargs",
        Line2D,
    )
    (line,) = ax.plot([0, 1], [0, 1], **style)
    texts = []
    if not drawn:
        for text, (x, y), va in (
            (below, (0.62, 0.56), "top"),
            (above, (0.38, 0.44), "bottom"),
        ):
            texts.append(
                ax.text(
                    x,
                    y,
                    text,
                    rotation=45,
                    rotation_mode="anchor",
                    transform_rotates_text=True,
                    ha="center",
                    va=va,
                    color="0.35",
                    fontsize="small",
                    fontstyle="italic",
                    # Over bars and curves, but legible through them.
                    zorder=4,
                    bbox=dict(facecolor="white", alpha=0.6, linewidth=0, pad=1),
                )
            )
    return line, texts
