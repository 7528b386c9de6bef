"""Exact mixture versus the paper's moment-matched Gaussian on a UCI split.

Fits a DeepEnsembleRegressor on the train part of one split and prints, on the
test part and in the target's units: the negative log-likelihood, CRPS, the
coverage and mean width of central 90% and 95% intervals, and the regression
calibration error, for the exact predictive mixture and for the single Gaussian
with the same mean and variance.

    python benchmarks/predictive_distribution.py --dataset concrete --split 0
"""

import argparse
import time
from pathlib import Path

import numpy as np

from skdeepens import DeepEnsembleRegressor
from skdeepens.datasets import load_uci_regression
from skdeepens.metrics import (
    interval_coverage_score,
    mean_interval_width,
    mixture_crps_loss,
    mixture_nll_loss,
    regression_calibration_error,
)

DEFAULT_DATA_HOME = (
    Path(__file__).resolve().parents[1].parent / "shared" / "data" / "uci"
)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="concrete")
    parser.add_argument("--split", type=int, default=0)
    parser.add_argument("--data-home", default=str(DEFAULT_DATA_HOME))
    parser.add_argument("--n-estimators", type=int, default=5)
    parser.add_argument("--loss", default="gaussian_nll")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    data = load_uci_regression(args.dataset, data_home=args.data_home, split=args.split)
    start = time.perf_counter()
    reg = DeepEnsembleRegressor(
        n_estimators=args.n_estimators, loss=args.loss, random_state=args.seed
    ).fit(data.X_train, data.y_train)
    fit_time = time.perf_counter() - start
    exact = reg.predict_dist(data.X_test)
    rmse = np.sqrt(np.mean((exact.mean() - data.y_test) ** 2))

    print(
        f"{data.name}, split {args.split}: {len(data.y_train)} train / "
        f"{len(data.y_test)} test rows; M={args.n_estimators}, loss={args.loss}, "
        f"fit {fit_time:.1f} s, test RMSE {rmse:.3f}\n"
    )
    header = f"{'distribution':<22}{'NLL':>8}{'CRPS':>8}"
    for level in (90, 95):
        header += f"{f'cover{level}':>9}{f'width{level}':>9}"
    print(header + f"{'cal.err':>9}")
    for name, dist in (
        ("exact mixture", exact),
        ("moment-matched Gauss", exact.moment_matched()),
    ):
        row = f"{name:<22}{mixture_nll_loss(data.y_test, dist):8.3f}"
        row += f"{mixture_crps_loss(data.y_test, dist):8.3f}"
        for level in (0.90, 0.95):
            lower, upper = dist.interval(level)
            row += f"{interval_coverage_score(data.y_test, lower, upper):9.3f}"
            row += f"{mean_interval_width(lower, upper):9.3f}"
        row += f"{regression_calibration_error(data.y_test, dist):9.3f}"
        print(row)


if __name__ == "__main__":
    main()
