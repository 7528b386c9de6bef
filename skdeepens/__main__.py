"""Command line: ``python -m skdeepens demo``, the seed practical end to end.

The demo fits the practical's experiments, prints their results, and writes
the figures (PNG, if matplotlib is installed) and a results table (CSV) to an
output folder.
"""

import argparse
import csv
import os
import sys
import time
from datetime import datetime

import numpy as np

_FIGURES = {
    "regression_bands.png": "each regression experiment: mean and +-2 std band",
    "regression_members.png": "the M=5 Gaussian ensemble, member by member",
    "regression_uncertainty_split.png": "aleatoric and epistemic parts (M=5)",
    "regression_calibration.png": "interval coverage on the test points",
    "classification_loss_curves.png": "training curves of the spirals ensemble",
    "classification_uncertainty.png": "data, class, aleatoric, epistemic maps",
    "classification_reliability.png": "reliability diagram on test points",
}

_COLUMNS = [
    "task",
    "experiment",
    "loss",
    "n_estimators",
    "adversarial_epsilon",
    "prior_scale",
    "nll_inside",
    "nll_outside",
    "rmse_inside",
    "rmse_outside",
    "coverage95_inside",
    "coverage95_outside",
    "accuracy",
    "mean_total_nats",
    "mean_aleatoric_nats",
    "mean_epistemic_nats",
    "fit_seconds",
]


class _Progress:
    def __init__(self):
        self.start = time.perf_counter()

    def elapsed(self):
        return time.perf_counter() - self.start

    def __call__(self, message):
        print(f"[{self.elapsed():6.1f} s] {message}", flush=True)


# The "+ prior" rows: randomized prior functions at this scale (benchmarks/priors.py).
_DEMO_PRIOR_SCALE = 3.0


def _regressor(n_estimators, loss, epsilon, quick, prior_scale=0.0):
    from . import DeepEnsembleRegressor

    return DeepEnsembleRegressor(
        n_estimators=n_estimators,
        hidden_layer_sizes=(50,),
        loss=loss,
        adversarial_epsilon=epsilon,
        learning_rate_init=1e-2,
        max_iter=150 if quick else 500,
        n_iter_no_change=np.inf,  # the practical's fixed number of epochs
        early_stopping=False,
        prior_scale=prior_scale,
        random_state=0,
    )


def _cubic_demo(quick, progress=None):
    """The cubic table: mean and std split inside and outside the data."""
    from .datasets import make_cubic

    X, y = make_cubic(n_samples=40, noise=3.0, random_state=0)
    print("Cubic toy regression: y = x**3 + N(0, 3**2), 40 points with x in [-4, 4]")
    start = time.perf_counter()
    reg = _regressor(5, "gaussian_nll", None, quick).fit(X, y)
    print(
        f"Fitted M=5 Gaussian-NLL members in {time.perf_counter() - start:.1f} s "
        "(compilation included)\n"
    )
    x_test = np.array([-6.0, -4.5, -2.0, 0.0, 2.0, 4.5, 6.0])
    u = reg.predict_uncertainty(x_test.reshape(-1, 1))
    header = f"{'x':>6} {'where':>9} {'x**3':>9} {'mean':>9} {'total sd':>9} "
    print(header + f"{'aleatoric':>10} {'epistemic':>10}")
    for i, x in enumerate(x_test):
        where = "inside" if abs(x) <= 4 else "outside"
        print(
            f"{x:6.1f} {where:>9} {x**3:9.1f} {u.mean[i]:9.1f} "
            f"{u.total_std[i]:9.2f} {u.aleatoric_std[i]:10.2f} "
            f"{u.epistemic_std[i]:10.2f}"
        )
    print(
        "\nStandard deviations. Inside the training range the aleatoric part "
        "(the noise, 3)\ndominates; outside it the members disagree and the "
        "epistemic part grows.\n"
    )
    return X, y, reg


def _cubic_test_points(n, random_state):
    """Fresh points inside (|x| <= 4) and outside (4 < |x| <= 6), noise 3."""
    from .datasets import make_cubic

    X_in, y_in = make_cubic(n, noise=3.0, random_state=random_state)
    X_out, y_out = make_cubic(n, noise=3.0, x_range=(4, 6), random_state=random_state)
    # Half of the outside points on the left: x -> -x keeps y = x**3 + noise
    # a valid draw, since the noise is symmetric.
    flip = np.arange(n) % 2 == 1
    X_out[flip], y_out[flip] = -X_out[flip], -y_out[flip]
    return (X_in, y_in), (X_out, y_out)


def _regression_scores(reg, test):
    from .metrics import interval_coverage_score, mixture_nll_loss

    scores = {}
    for where, (X, y) in zip(("inside", "outside"), test):
        dist = reg.predict_dist(X)
        lower, upper = dist.interval(0.95)
        scores[f"nll_{where}"] = mixture_nll_loss(y, dist)
        scores[f"rmse_{where}"] = float(np.sqrt(np.mean((dist.mean() - y) ** 2)))
        scores[f"coverage95_{where}"] = interval_coverage_score(y, lower, upper)
    return scores


def _format_table(rows, columns):
    """A plain text table; floats with 3 decimals, missing values blank."""

    def cell(value):
        if value is None or value == "":
            return ""
        if isinstance(value, float):
            return f"{value:.3f}"
        return str(value)

    cells = [[cell(row.get(c)) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    lines = ["  ".join(c.rjust(w) for c, w in zip(columns, widths))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(v.rjust(w) for v, w in zip(r, widths)) for r in cells]
    return "\n".join(lines)


def _pyplot():
    """pyplot on the Agg backend, or None if matplotlib is missing."""
    try:
        import matplotlib
    except ImportError:
        return None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _default_out():
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    out = f"skdeepens_demo_{stamp}"
    n = 1
    while os.path.exists(out):
        n += 1
        out = f"skdeepens_demo_{stamp}_{n}"
    return out


# The regression experiments: (name, n_estimators, adversarial_epsilon), each
# fitted with each of the two likelihood losses.
_REGRESSION_EXPERIMENTS = [
    ("single", 1, None),
    ("single + adversarial", 1, 0.01),
    ("ensemble", 5, None),
    ("ensemble + adversarial", 5, 0.01),
]
_REGRESSION_LOSSES = ["gaussian_nll", "laplace_nll"]


def _regression_experiments(quick, X, y, reg_m5, test, progress, plt, out):
    """Fit and score every regression experiment; draw their figures."""
    rows, fitted = _fit_regression_experiments(quick, X, y, reg_m5, test, progress)
    rows += _prior_rows(quick, X, y, test, progress)
    if plt is None:
        return rows
    progress("drawing the regression figures")
    grid = np.linspace(-6, 6, 300)
    _draw_regression_bands(fitted, X, y, grid, plt, out)
    reg5 = fitted["gaussian_nll", "ensemble"]
    _draw_regression_members(reg5, X, y, grid, plt, out)
    _draw_regression_split(reg5, X, y, grid, plt, out)
    _draw_regression_calibration(fitted, test, plt, out)
    return rows


def _fit_regression_experiments(quick, X, y, reg_m5, test, progress):
    """The table's rows, and the fitted models by ``(loss, experiment name)``."""
    n_total = len(_REGRESSION_EXPERIMENTS) * len(_REGRESSION_LOSSES)
    rows, fitted = [], {}
    for i, (loss, (name, m, eps)) in enumerate(
        (loss, e) for loss in _REGRESSION_LOSSES for e in _REGRESSION_EXPERIMENTS
    ):
        progress(
            f"regression {i + 1}/{n_total}: {loss}, {name} "
            f"(M={m}, adversarial_epsilon={eps})"
        )
        start = time.perf_counter()
        if loss == "gaussian_nll" and m == 5 and eps is None:
            reg = reg_m5  # the cubic table's model: same settings, same seed
        else:
            reg = _regressor(m, loss, eps, quick).fit(X, y)
        seconds = time.perf_counter() - start
        fitted[loss, name] = reg
        row = dict(
            task="regression",
            experiment=name,
            loss=loss,
            n_estimators=m,
            adversarial_epsilon="" if eps is None else eps,
            fit_seconds=seconds,
        )
        row.update(_regression_scores(reg, test))
        rows.append(row)
    return rows, fitted


def _prior_rows(quick, X, y, test, progress):
    """Randomized prior functions on the M=5 ensemble, for the table only."""
    rows = []
    for loss in _REGRESSION_LOSSES:
        progress(
            f"regression: {loss}, ensemble + prior (prior_scale={_DEMO_PRIOR_SCALE})"
        )
        start = time.perf_counter()
        reg = _regressor(5, loss, None, quick, prior_scale=_DEMO_PRIOR_SCALE)
        reg.fit(X, y)
        row = dict(
            task="regression",
            experiment="ensemble + prior",
            loss=loss,
            n_estimators=5,
            adversarial_epsilon="",
            prior_scale=_DEMO_PRIOR_SCALE,
            fit_seconds=time.perf_counter() - start,
        )
        row.update(_regression_scores(reg, test))
        rows.append(row)
    return rows


def _cubic_truth(x):
    return x**3


def _shade_outside(ax):
    """Grey where the cubic toy has no training points."""
    ax.axvspan(-6, -4, color="0.9", zorder=0)
    ax.axvspan(4, 6, color="0.9", zorder=0)


def _draw_regression_bands(fitted, X, y, grid, plt, out):
    """regression_bands.png: every experiment's mean and +-2 std band."""
    from .plotting import RegressionUncertaintyDisplay

    fig, axes = plt.subplots(
        len(_REGRESSION_LOSSES),
        len(_REGRESSION_EXPERIMENTS),
        figsize=(16, 7),
        sharex=True,
        sharey=True,
    )
    for r, loss in enumerate(_REGRESSION_LOSSES):
        for c, (name, m, _) in enumerate(_REGRESSION_EXPERIMENTS):
            disp = RegressionUncertaintyDisplay.from_estimator(
                fitted[loss, name],
                X,
                y,
                grid=grid,
                ground_truth=_cubic_truth,
                ax=axes[r, c],
                legend=(r == 0 and c == 0),
            )
            disp.ax_.set_title(f"{loss}: {name} (M={m})", fontsize="medium")
            _shade_outside(disp.ax_)
    axes[0, 0].set_ylim(-250, 250)
    fig.suptitle("Cubic toy: mean ± 2 total std (grey: outside the training range)")
    fig.tight_layout()
    fig.savefig(os.path.join(out, "regression_bands.png"), dpi=90)
    plt.close(fig)


def _draw_regression_members(reg5, X, y, grid, plt, out):
    """regression_members.png: the M=5 Gaussian ensemble, member by member."""
    from .plotting import RegressionMembersDisplay

    members = RegressionMembersDisplay.from_estimator(
        reg5,
        X,
        y,
        grid=grid,
        ground_truth=_cubic_truth,
        title="Each member of the M=5 Gaussian ensemble, and their mixture",
    )
    members.displays_[0].ax_.set_ylim(-250, 250)
    fig = members.figure_
    fig.savefig(os.path.join(out, "regression_members.png"), dpi=90)
    plt.close(fig)


def _draw_regression_split(reg5, X, y, grid, plt, out):
    """regression_uncertainty_split.png: the aleatoric and epistemic parts."""
    from .plotting import RegressionUncertaintyDisplay

    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    disp = RegressionUncertaintyDisplay.from_estimator(
        reg5,
        X,
        y,
        grid=grid,
        ground_truth=_cubic_truth,
        split=True,
        members=True,
        ax=axes[0],
    )
    disp.ax_.set_ylim(-250, 250)
    disp.ax_.set_title("M=5: total, aleatoric and epistemic bands, members")
    disp.plot(ax=axes[1], kind="std")
    axes[1].set_title("Standard deviations: the epistemic part grows outside")
    for ax in axes:
        _shade_outside(ax)
    fig.tight_layout()
    fig.savefig(os.path.join(out, "regression_uncertainty_split.png"), dpi=90)
    plt.close(fig)


def _draw_regression_calibration(fitted, test, plt, out):
    """regression_calibration.png: interval coverage inside and outside."""
    from .plotting import RegressionCalibrationDisplay

    fig, axes = plt.subplots(1, 2, figsize=(10, 5))
    for ax, (where, (Xt, yt)) in zip(axes, zip(("inside", "outside"), test)):
        for loss in _REGRESSION_LOSSES:
            for name, _m, _ in _REGRESSION_EXPERIMENTS:
                RegressionCalibrationDisplay.from_estimator(
                    fitted[loss, name],
                    Xt,
                    yt,
                    name=f"{loss.split('_')[0]}: {name}",
                    ax=ax,
                )
        ax.set_title(f"Interval coverage, test points {where}")
        handles, labels = ax.get_legend_handles_labels()
        keep = [i for i, lab in enumerate(labels) if lab != "calibrated"][:8] + [0]
        ax.legend(
            [handles[i] for i in keep], [labels[i] for i in keep], fontsize="x-small"
        )
    fig.tight_layout()
    fig.savefig(os.path.join(out, "regression_calibration.png"), dpi=90)
    plt.close(fig)


def _classification_experiment(quick, progress, plt, out):
    from . import DeepEnsembleClassifier
    from .datasets import make_spirals
    from .plotting import (
        ClassificationCalibrationDisplay,
        ClassificationUncertaintyDisplay,
        LossCurveDisplay,
    )

    n_per_class = 200 if quick else 1000
    X, y = make_spirals(n_samples_per_class=n_per_class, random_state=0)
    X_test, y_test = make_spirals(n_samples_per_class=n_per_class, random_state=1)
    progress(f"classification: spirals, {len(X)} points, M=4 with adversarial training")
    start = time.perf_counter()
    clf = DeepEnsembleClassifier(
        n_estimators=4,
        hidden_layer_sizes=(64, 64),
        adversarial_epsilon=0.01,
        learning_rate_init=1e-2,
        max_iter=100 if quick else 300,
        n_iter_no_change=np.inf,
        early_stopping=False,
        random_state=0,
    ).fit(X, y)
    seconds = time.perf_counter() - start
    u = clf.predict_uncertainty(X_test)
    row = dict(
        task="classification",
        experiment="spirals, adversarial ensemble",
        loss="log_loss",
        n_estimators=4,
        adversarial_epsilon=0.01,
        accuracy=float(clf.score(X_test, y_test)),
        mean_total_nats=float(u.total.mean()),
        mean_aleatoric_nats=float(u.aleatoric.mean()),
        mean_epistemic_nats=float(u.epistemic.mean()),
        fit_seconds=seconds,
    )
    if plt is not None:
        progress("drawing the classification figures")
        disp = LossCurveDisplay.from_estimator(clf, name="Spirals, M=4, adversarial")
        disp.figure_.savefig(os.path.join(out, "classification_loss_curves.png"))
        plt.close(disp.figure_)
        disp = ClassificationUncertaintyDisplay.from_estimator(
            clf, X, y, grid_resolution=150 if quick else 250, margin=0.3
        )
        disp.figure_.savefig(
            os.path.join(out, "classification_uncertainty.png"), dpi=90
        )
        plt.close(disp.figure_)
        disp = ClassificationCalibrationDisplay.from_estimator(
            clf, X_test, y_test, name="M=4"
        )
        disp.figure_.savefig(os.path.join(out, "classification_reliability.png"))
        plt.close(disp.figure_)
    return row


def demo(out=None, quick=False):
    """Run the practical end to end; return the output folder."""
    progress = _Progress()
    plt = _pyplot()
    out = _default_out() if out is None else os.fspath(out)
    os.makedirs(out, exist_ok=True)
    mode = "quick" if quick else "full"
    print(f"skdeepens demo ({mode} run); writing to {out}\n")

    X, y, reg_m5 = _cubic_demo(quick)
    test = _cubic_test_points(500 if quick else 2000, random_state=1)
    rows = _regression_experiments(quick, X, y, reg_m5, test, progress, plt, out)
    rows.append(_classification_experiment(quick, progress, plt, out))

    with open(os.path.join(out, "results.csv"), "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)

    regression = [r for r in rows if r["task"] == "regression"]
    print(
        "\nRegression on the cubic toy, fresh test points (noise 3): "
        "NLL of the exact mixture,\nRMSE and 95% interval coverage, inside "
        "(|x| <= 4) and outside (4 < |x| <= 6) the data"
    )
    accuracy = _COLUMNS.index("accuracy")
    print(_format_table(regression, _COLUMNS[1:accuracy]))
    print("\nClassification on the spirals, fresh test points (uncertainties in nats)")
    print(
        _format_table(
            [rows[-1]],
            [_COLUMNS[1], *_COLUMNS[3:5], *_COLUMNS[accuracy : accuracy + 4]],
        )
    )
    print()
    if plt is None:
        print(
            "matplotlib is not installed: figures skipped "
            "(pip install 'skdeepens[plot]')."
        )
    else:
        print("Figures:")
        for name, what in _FIGURES.items():
            print(f"  {name:34s} {what}")
    print(
        f"Table: results.csv\nDone in {progress.elapsed():.1f} s. Output folder: {out}"
    )
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m skdeepens", description="skdeepens command line."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    demo_parser = sub.add_parser(
        "demo",
        help="run the seed practical's experiments",
        description="Run the seed practical end to end: print the results and "
        "write figures (PNG) and results.csv to an output folder.",
    )
    demo_parser.add_argument(
        "--quick", action="store_true", help="a faster, shorter run (under a minute)"
    )
    demo_parser.add_argument(
        "--out",
        default=None,
        help="output folder (default: a new skdeepens_demo_<timestamp> folder "
        "in the working directory)",
    )
    args = parser.parse_args(argv)
    if args.command == "demo":
        demo(out=args.out, quick=args.quick)
    return 0


if __name__ == "__main__":
    sys.exit(main())
