"""Tests of the display objects in skdeepens.plotting."""

import numpy as np
import pytest
from _helpers import QUICK_SMALL
from sklearn.exceptions import NotFittedError

from skdeepens import DeepEnsembleClassifier, DeepEnsembleRegressor
from skdeepens.datasets import make_cubic, make_spirals
from skdeepens.plotting import (
    ClassificationCalibrationDisplay,
    ClassificationUncertaintyDisplay,
    LossCurveDisplay,
    RegressionCalibrationDisplay,
    RegressionMembersDisplay,
    RegressionUncertaintyDisplay,
)

SMALL = QUICK_SMALL


@pytest.fixture(scope="module")
def cubic():
    X, y = make_cubic(n_samples=30, random_state=0)
    return X, y, DeepEnsembleRegressor(**SMALL).fit(X, y)


@pytest.fixture(scope="module")
def spirals():
    X, y = make_spirals(n_samples_per_class=30, random_state=0)
    clf = DeepEnsembleClassifier(**SMALL).fit(X, y)
    return X, y, clf


def _check_display(display, ax=None):
    import matplotlib.pyplot as plt

    assert display.figure_ is not None
    assert isinstance(display.figure_, plt.Figure)
    if ax is not None:
        assert display.ax_ is ax


# ---------------------------------------------------------------- regression


def test_regression_display_from_estimator(pyplot, cubic):
    X, y, reg = cubic
    disp = RegressionUncertaintyDisplay.from_estimator(
        reg, X, y, grid=np.linspace(-6, 6, 50), ground_truth=lambda x: x**3
    )
    _check_display(disp)
    ax = disp.ax_
    # mean + truth lines; one band + data points.
    assert len(ax.lines) == 2
    assert len(ax.collections) == 2
    assert disp.scatter_ is not None and disp.truth_line_ is not None
    np.testing.assert_allclose(disp.line_.get_xdata(), np.linspace(-6, 6, 50))
    np.testing.assert_allclose(disp.mean, reg.predict(np.linspace(-6, 6, 50)[:, None]))


def test_regression_display_split_members_and_ks(pyplot, cubic):
    X, y, reg = cubic
    fig, ax = pyplot.subplots()
    disp = RegressionUncertaintyDisplay.from_estimator(
        reg, X, y, ax=ax, k=[1, 2, 3], split=True, members=True
    )
    _check_display(disp, ax)
    assert len(disp.bands_) == 3
    assert len(disp.aleatoric_bands_) == 1 and len(disp.epistemic_bands_) == 1
    assert len(disp.member_lines_) == 2 and len(disp.member_bands_) == 2
    # 3 total + 2 split + 2 member bands + data.
    assert len(ax.collections) == 8
    assert len(ax.lines) == 1 + 2  # mean + members


def test_regression_display_std_kind(pyplot, cubic):
    X, y, reg = cubic
    disp = RegressionUncertaintyDisplay.from_estimator(reg, X, kind="std")
    assert set(disp.std_lines_) == {"total", "aleatoric", "epistemic"}
    assert len(disp.ax_.lines) == 3
    total, alea, epi = (disp.std_lines_[k].get_ydata() for k in disp.std_lines_)
    np.testing.assert_allclose(total**2, alea**2 + epi**2, rtol=1e-6, atol=1e-9)


def test_regression_display_from_predictions(pyplot):
    x = np.linspace(-1, 1, 20)
    disp = RegressionUncertaintyDisplay.from_predictions(
        x,
        x**2,
        np.full(20, 0.1),
        aleatoric_var=np.full(20, 0.06),
        epistemic_var=np.full(20, 0.04),
        member_mean=np.stack([x**2 - 0.1, x**2 + 0.1]),
        X=[0.0, 0.5],
        y=[0.1, 0.2],
        ground_truth=x**2,
        split=True,
        members=True,
        k=[1, 2],
    )
    _check_display(disp)
    assert len(disp.bands_) == 2
    assert disp.member_bands_ == []  # no member_std given
    assert len(disp.member_lines_) == 2
    assert disp.ax_.get_legend() is not None


def test_regression_display_members_grid(pyplot, cubic):
    X, y, reg = cubic
    disp = RegressionMembersDisplay.from_estimator(reg, X, y, n_cols=2)
    assert isinstance(disp, RegressionMembersDisplay)
    assert len(disp.displays_) == 3  # 2 members + the ensemble
    fig = disp.figure_
    assert all(d.figure_ is fig for d in disp.displays_)
    assert len({id(d.ax_) for d in disp.displays_}) == 3
    assert len(fig.axes) == 4 and not fig.axes[3].get_visible()
    assert disp.axes_.shape == (2, 2)
    with pytest.raises(ValueError, match="at least 3 axes"):
        RegressionMembersDisplay.from_estimator(
            reg, X, y, axes=pyplot.subplots(1, 2)[1]
        )


def _extent(artist, renderer):
    return artist.get_window_extent(renderer)


def test_regression_members_display_layout(pyplot, cubic):
    X, y, reg = cubic
    disp = RegressionMembersDisplay.from_estimator(reg, X, y, n_cols=2, k=1)
    fig = disp.figure_
    # One figure legend and a title; no legend on the panels.
    assert disp.legend_ is not None and disp.legend_ in fig.legends
    assert [t.get_text() for t in disp.legend_.get_texts()] == [
        "±1 std (total)",
        "mean",
        "data",
    ]
    assert "each member" in fig.get_suptitle()
    assert all(d.ax_.get_legend() is None for d in disp.displays_)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    # Panel 0 has panel 2 below it: no x label of its own that could sit on
    # panel 2's title, and no title overlaps another panel's labels.
    top, _, below = disp.displays_
    assert top.ax_.get_xlabel() == "" and below.ax_.get_xlabel() == "x"
    texts = [d.ax_.xaxis.label for d in disp.displays_]
    texts += [lab for d in disp.displays_ for lab in d.ax_.get_xticklabels()]
    for d in disp.displays_:
        title = _extent(d.ax_.title, renderer)
        others = [t for t in texts if t.get_text() and t.axes is not d.ax_]
        assert not any(title.overlaps(_extent(t, renderer)) for t in others)
    # Panel 1's column has no panel below it: its tick labels stay visible.
    right = disp.displays_[1].ax_
    assert any(lab.get_visible() and lab.get_text() for lab in right.get_xticklabels())
    no_frills = disp.plot(legend=False, title=False)
    assert no_frills.legend_ is None


def test_regression_members_display_point_loss(pyplot):
    # Point-loss members have no spread (predict_members gives no std): the display
    # still draws each member's mean with a zero-width band.
    X, y = make_cubic(n_samples=20, random_state=0)
    reg = DeepEnsembleRegressor(loss="squared_error", **SMALL).fit(X, y)
    disp = RegressionMembersDisplay.from_estimator(reg, X, y)
    assert disp.member_std is None
    assert len(disp.displays_) == 3
    np.testing.assert_allclose(disp.member_mean.mean(axis=0), disp.mean, rtol=1e-6)


def test_regression_display_feature_names_on_axes(pyplot):
    pd = pytest.importorskip("pandas")
    # The cubic fixture's data and settings: its compiled program is reused.
    X, y = make_cubic(n_samples=30, random_state=0)
    Xdf = pd.DataFrame({"temperature": X[:, 0]})
    reg = DeepEnsembleRegressor(**SMALL).fit(Xdf, y)
    # From the DataFrame, and from feature_names_in_ when X is an array.
    for X_plot in (Xdf, X):
        disp = RegressionUncertaintyDisplay.from_estimator(
            reg, X_plot, pd.Series(y, name="demand")
        )
        assert disp.ax_.get_xlabel() == "temperature"
        assert disp.ax_.get_ylabel() == "demand"
    members = RegressionMembersDisplay.from_estimator(reg, Xdf, y)
    assert members.displays_[-1].ax_.get_xlabel() == "temperature"
    plain = RegressionUncertaintyDisplay.from_predictions([0, 1], [0, 1], [1, 1])
    assert (plain.ax_.get_xlabel(), plain.ax_.get_ylabel()) == ("x", "y")
    named = RegressionUncertaintyDisplay.from_predictions(
        [0, 1], [0, 1], [1, 1], X=Xdf[:2], y=pd.Series([0, 1], name="load")
    )
    assert (named.ax_.get_xlabel(), named.ax_.get_ylabel()) == ("temperature", "load")


def test_regression_display_style_kwargs(pyplot, cubic):
    import matplotlib.colors as mcolors

    X, y, reg = cubic
    disp = RegressionUncertaintyDisplay.from_estimator(
        reg,
        X,
        y,
        ground_truth=lambda x: x**3,
        line_kwargs={"c": "red", "lw": 3},  # aliases replace the defaults
        band_kwargs={"alpha": 0.05, "label": "band"},
        scatter_kwargs={"marker": "x", "s": 30},
        truth_kwargs={"linestyle": ":"},
    )
    assert mcolors.same_color(disp.line_.get_color(), "red")
    assert disp.line_.get_linewidth() == 3
    assert disp.bands_[0].get_alpha() == 0.05
    assert disp.bands_[0].get_label() == "band"
    assert disp.scatter_.get_sizes()[0] == 30
    assert disp.truth_line_.get_linestyle() == ":"
    with pytest.raises(TypeError, match="line_kwargs must be a dict"):
        disp.plot(line_kwargs="red")


def test_regression_display_errors(pyplot, cubic, spirals):
    X, y, reg = cubic
    Xs, ys, clf = spirals
    with pytest.raises(ValueError, match="exactly 1 feature"):
        RegressionUncertaintyDisplay.from_estimator(reg, np.c_[X, X], y)
    with pytest.raises(TypeError, match="expected a fitted regressor"):
        RegressionUncertaintyDisplay.from_estimator(clf, Xs, ys)
    with pytest.raises(NotFittedError):
        RegressionUncertaintyDisplay.from_estimator(DeepEnsembleRegressor(), X, y)
    two = DeepEnsembleRegressor(**{**SMALL, "hidden_layer_sizes": (4,)})
    two.set_params(max_iter=2).fit(np.c_[X, X], y)
    with pytest.raises(ValueError, match="fitted on exactly 1 feature"):
        RegressionUncertaintyDisplay.from_estimator(two, X, y)
    with pytest.raises(ValueError, match="k must be"):
        RegressionUncertaintyDisplay.from_estimator(reg, X, k=-1)
    with pytest.raises(ValueError, match="kind must be"):
        RegressionUncertaintyDisplay.from_estimator(reg, X, kind="nope")
    with pytest.raises(ValueError, match="split=True"):
        RegressionUncertaintyDisplay.from_predictions(
            [0, 1], [0, 1], [1, 1], split=True
        )


# ------------------------------------------------------------ classification


def test_classification_display_four_panels(pyplot, spirals):
    X, y, clf = spirals
    disp = ClassificationUncertaintyDisplay.from_estimator(
        clf, X, y, grid_resolution=20
    )
    _check_display(disp)
    assert list(disp.axes_) == ["data", "class", "aleatoric", "epistemic"]
    assert len(disp.ax_) == 4
    assert set(disp.meshes_) == {"class", "aleatoric", "epistemic"}
    assert set(disp.colorbars_) == {"aleatoric", "epistemic"}
    assert disp.meshes_["epistemic"].get_array().size == 400
    for name, ax in disp.axes_.items():
        expected = 1 if name == "data" else 2  # points (+ map)
        assert len(ax.collections) == expected
    # The maps are the estimator's at the grid points: the total is the
    # entropy of the predicted probabilities there.
    grid = np.column_stack([disp.xx0.ravel(), disp.xx1.ravel()])
    proba = clf.predict_proba(grid)
    entropy = -np.sum(proba * np.log(np.clip(proba, 1e-300, None)), axis=1)
    np.testing.assert_allclose(disp.total.ravel(), entropy, rtol=1e-6, atol=1e-9)
    assert np.all(disp.epistemic >= 0) and disp.epistemic.max() > 0


def test_classification_display_single_panel(pyplot, spirals):
    X, y, clf = spirals
    fig, ax = pyplot.subplots()
    disp = ClassificationUncertaintyDisplay.from_estimator(
        clf, X, grid_resolution=10, panels="epistemic", ax=ax
    )
    _check_display(disp, ax)
    assert len(ax.collections) == 1  # the map only: no y, no points
    disp.plot(panels=["total", "class"])
    assert list(disp.axes_) == ["total", "class"]
    with pytest.raises(ValueError, match="panels must be"):
        disp.plot(panels="nope")
    with pytest.raises(ValueError, match="needs data"):
        disp.plot(panels="data")
    with pytest.raises(ValueError, match="one axis per panel"):
        disp.plot(ax=ax, panels=["total", "class"])


def test_classification_display_from_predictions(pyplot):
    xx0, xx1 = np.meshgrid(np.linspace(0, 1, 5), np.linspace(0, 1, 4))
    disp = ClassificationUncertaintyDisplay.from_predictions(
        xx0,
        xx1,
        (xx0 > 0.5).astype(int),
        aleatoric=xx0,
        epistemic=xx1,
        X=[[0.1, 0.2], [0.9, 0.8]],
        y=["a", "b"],
    )
    assert len(disp.ax_) == 4
    np.testing.assert_allclose(disp.total, xx0 + xx1)
    with pytest.raises(ValueError, match="grid's shape"):
        ClassificationUncertaintyDisplay.from_predictions(xx0, xx1, np.zeros(3))


def test_classification_display_layout_and_names(pyplot, spirals):
    pd = pytest.importorskip("pandas")
    X, y, clf = spirals
    Xdf = pd.DataFrame(X, columns=["longitude", "latitude"])
    disp = ClassificationUncertaintyDisplay.from_estimator(
        clf,
        Xdf,
        y,
        grid_resolution=10,
        panels=["data", "total", "aleatoric", "epistemic"],
        mesh_kwargs={"cmap": "magma"},
        scatter_kwargs={"s": 20},
    )
    for ax in disp.axes_.values():
        assert (ax.get_xlabel(), ax.get_ylabel()) == ("longitude", "latitude")
    assert disp.meshes_["epistemic"].get_cmap().name == "magma"
    assert disp.scatters_["data"].get_sizes()[0] == 20
    assert disp.legend_ is not None
    assert all(c.ax.get_title() == "nats" for c in disp.colorbars_.values())


def test_classification_display_colorbars_clear_of_next_panel(pyplot):
    # Wide tick labels ("1000") on the colorbars: with the unit beside them and
    # no layout engine, they ran into the next panel's y label.
    xx0, xx1 = np.meshgrid(np.linspace(0, 1, 5), np.linspace(0, 1, 4))
    disp = ClassificationUncertaintyDisplay.from_predictions(
        xx0,
        xx1,
        (xx0 > 0.5).astype(int),
        aleatoric=1000 * xx0,
        epistemic=1000 * xx1,
        X=[[0.1, 0.2], [0.9, 0.8]],
        y=["a", "b"],
    )
    fig = disp.figure_
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    order = list(disp.axes_)
    for panel, colorbar in disp.colorbars_.items():
        nxt = order.index(panel) + 1
        if nxt == len(order):
            continue
        ylabel = disp.axes_[order[nxt]].yaxis.label.get_window_extent(renderer)
        parts = [colorbar.ax, colorbar.ax.title, colorbar.ax.yaxis.label]
        parts += colorbar.ax.get_yticklabels()
        right = max(p.get_window_extent(renderer).x1 for p in parts)
        assert right < ylabel.x0


def test_classification_display_errors(pyplot, cubic, spirals):
    X, y, reg = cubic
    Xs, ys, clf = spirals
    with pytest.raises(ValueError, match="exactly 2 features"):
        ClassificationUncertaintyDisplay.from_estimator(clf, Xs[:, :1], ys)
    with pytest.raises(TypeError, match="expected a fitted classifier"):
        ClassificationUncertaintyDisplay.from_estimator(reg, X, y)
    with pytest.raises(NotFittedError):
        ClassificationUncertaintyDisplay.from_estimator(DeepEnsembleClassifier(), Xs)


# ---------------------------------------------------------------- loss curve


def test_loss_curve_display(pyplot, cubic, spirals):
    for _, _, est in (cubic, spirals):
        disp = LossCurveDisplay.from_estimator(est)
        _check_display(disp)
        assert len(disp.lines_) == 2
        assert disp.validation_lines_ == []
        assert len(disp.lines_[0].get_xdata()) == est.loss_curve_.shape[0]


def test_loss_curve_display_validation_and_nan(pyplot):
    curve = np.array([[2.0, 2.2], [1.0, 1.1], [0.5, np.nan]])
    disp = LossCurveDisplay(loss_curve=curve, validation_loss_curve=curve + 0.1)
    disp.plot(logy=True, validation_line_kwargs={"linestyle": ":"})
    assert len(disp.ax_.lines) == 4
    assert disp.ax_.get_yscale() == "log"
    # Training and validation curves share the axis: it says "loss", and the
    # legend says which style is which.
    assert disp.ax_.get_ylabel() == "loss"
    labels = [t.get_text() for t in disp.legend_.get_texts()]
    assert labels == ["member 1", "member 2", "training", "validation"]
    assert disp.validation_lines_[0].get_linestyle() == ":"
    alone = LossCurveDisplay(loss_curve=curve).plot(line_kwargs={"linewidth": 4})
    assert alone.ax_.get_ylabel() == "training loss"
    assert alone.lines_[0].get_linewidth() == 4
    with pytest.raises(ValueError, match="loss_curve must have shape"):
        LossCurveDisplay(loss_curve=np.zeros((2, 2, 2))).plot()


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_loss_curve_display_early_stopping(pyplot):
    X, y = make_cubic(n_samples=40, random_state=0)
    reg = DeepEnsembleRegressor(
        n_estimators=2,
        hidden_layer_sizes=SMALL["hidden_layer_sizes"],
        max_iter=5,
        early_stopping=True,
        random_state=0,
    ).fit(X, y)
    disp = LossCurveDisplay.from_estimator(reg)
    assert len(disp.validation_lines_) == 2


def test_loss_curve_display_errors(pyplot):
    with pytest.raises(NotFittedError):
        LossCurveDisplay.from_estimator(DeepEnsembleRegressor())
    with pytest.raises(TypeError, match="regressor or classifier"):
        LossCurveDisplay.from_estimator(object())


# --------------------------------------------------------------- calibration


def test_regression_calibration_display(pyplot, cubic, spirals):
    X, y, reg = cubic
    disp = RegressionCalibrationDisplay.from_estimator(reg, X, y, levels=[0.5, 0.9])
    _check_display(disp)
    assert len(disp.ax_.lines) == 2
    np.testing.assert_allclose(disp.line_.get_xdata(), [0.5, 0.9])
    assert np.all((disp.observed >= 0) & (disp.observed <= 1))
    Xs, ys, clf = spirals
    with pytest.raises(TypeError, match="expected a fitted regressor"):
        RegressionCalibrationDisplay.from_estimator(clf, Xs, ys)
    with pytest.raises(NotFittedError):
        RegressionCalibrationDisplay.from_estimator(DeepEnsembleRegressor(), X, y)


def test_regression_calibration_display_from_predictions(pyplot):
    from skdeepens import MixtureDistribution

    dist = MixtureDistribution([[0.0] * 4], [[1.0] * 4], "gaussian")
    disp = RegressionCalibrationDisplay.from_predictions(
        [0.1, -0.5, 1.0, 3.0], dist, levels=[0.5, 0.9], name="toy"
    )
    np.testing.assert_allclose(disp.observed, [0.5, 0.75])
    assert disp.line_.get_label() == "toy"


def test_classification_calibration_display(pyplot, cubic, spirals):
    Xs, ys, clf = spirals
    disp = ClassificationCalibrationDisplay.from_estimator(clf, Xs, ys, n_bins=5)
    _check_display(disp)
    assert len(disp.bars_) == 5
    assert len(disp.count_texts_) == np.count_nonzero(disp.counts)
    assert disp.counts.sum() == len(ys)
    X, y, reg = cubic
    with pytest.raises(TypeError, match="expected a fitted classifier"):
        ClassificationCalibrationDisplay.from_estimator(reg, X, y)
    with pytest.raises(NotFittedError):
        ClassificationCalibrationDisplay.from_estimator(DeepEnsembleClassifier(), X, y)


def test_classification_calibration_display_from_predictions(pyplot):
    y_proba = [[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.4, 0.6]]
    disp = ClassificationCalibrationDisplay.from_predictions(
        ["a", "b", "b", "b"], y_proba, n_bins=5
    )
    assert disp.ece == pytest.approx(0.25)
    # Confidences 0.6, 0.7 and 0.8, 0.9 in the bins closed on the right.
    np.testing.assert_allclose(disp.counts, [0, 0, 1, 2, 1])
    np.testing.assert_allclose(disp.accuracy[2:], [1.0, 0.5, 1.0])
    assert len(disp.count_texts_) == 3
    # The bins are the metrics' (one helper), sample weights checked there.
    weighted = ClassificationCalibrationDisplay.from_predictions(
        ["a", "b", "b", "b"], y_proba, n_bins=5, sample_weight=[1, 3, 1, 1]
    )
    np.testing.assert_allclose(weighted.counts, [0, 0, 1, 4, 1])
    np.testing.assert_allclose(weighted.accuracy[3], 0.25)
    with pytest.raises(ValueError, match="sample_weight must be finite and >= 0"):
        ClassificationCalibrationDisplay.from_predictions(
            ["a", "b", "b", "b"], y_proba, sample_weight=[1, -1, 1, 1]
        )


def test_calibration_displays_say_which_side_is_overconfident(pyplot, cubic, spirals):
    X, y, reg = cubic
    fig, ax = pyplot.subplots()
    first = RegressionCalibrationDisplay.from_estimator(reg, X, y, ax=ax)
    texts = [t.get_text() for t in first.reference_texts_]
    assert texts == [
        "below: overconfident (intervals too narrow)",
        "above: underconfident (intervals too wide)",
    ]
    # A second curve on the same axes writes neither the texts nor a second
    # "calibrated" entry again.
    second = RegressionCalibrationDisplay.from_estimator(
        reg, X, y, ax=ax, name="again", line_kwargs={"color": "k"}
    )
    assert second.reference_texts_ == []
    assert len(ax.texts) == 2
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels.count("calibrated") == 1
    Xs, ys, clf = spirals
    disp = ClassificationCalibrationDisplay.from_estimator(
        clf, Xs, ys, ref_line_kwargs={"color": "red"}
    )
    assert [t.get_text() for t in disp.reference_texts_] == [
        "below: overconfident",
        "above: underconfident",
    ]
    assert disp.reference_line_.get_color() == "red"


def test_reliability_legend_hides_no_bar(pyplot):
    # Every prediction right and confidences from 1/3 to 1: a bar of height 1
    # in every bin from 0.3 up, so a legend inside the axes would cover one.
    confidence = np.linspace(0.34, 1.0, 300)
    rest = (1 - confidence) / 2
    disp = ClassificationCalibrationDisplay.from_predictions(
        np.zeros(300, dtype=int),
        np.column_stack([confidence, rest, rest]),
        classes=[0, 1, 2],
        bar_kwargs={"color": "C2"},
    )
    np.testing.assert_allclose(disp.accuracy[3:], 1.0)
    fig = disp.figure_
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    legend = disp.legend_.get_window_extent(renderer)
    for bar in disp.bars_:
        assert not legend.overlaps(bar.get_window_extent(renderer))
    assert not legend.overlaps(disp.ax_.get_window_extent(renderer))
