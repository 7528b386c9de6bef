"""Coverage of intervals through a target transform, on a log-normal target.

A heteroscedastic regression whose target is log-normal given x::

    log y = 1 + sin(2 x0) + 0.5 x1 + (0.15 + 0.35 |x2|) eps,  eps ~ N(0, 1)

with x uniform on [-2, 2]^4 (x3 is noise). For each seed, 2000 rows are split
into 1500 training and 500 held-out test rows; a
``TransformedTargetRegressor(DeepEnsembleRegressor(n_estimators=5))`` (the
defaults otherwise) is fitted with each target transform, and
:func:`skdeepens.compose.predict_interval` gives the central intervals in the
original units. The table reports the empirical coverage of the test targets
at each nominal level, pooled over the seeds, the median width of the 90%
interval, the mean test NLL where the transform has a density, and how many
90% intervals have an infinite end (an inverse transform undefined beyond a
bound, whose mass is then at infinity). ``none`` fits the Gaussian mixture to
``y`` itself, for comparison.

Example::

    python benchmarks/transformed_target_coverage.py --seeds 3
"""

import argparse
import time
import warnings

import numpy as np
from sklearn.compose import TransformedTargetRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import PowerTransformer, QuantileTransformer

from skdeepens import DeepEnsembleRegressor
from skdeepens.compose import predict_dist, predict_interval

LEVELS = (0.5, 0.8, 0.9, 0.95, 0.99)

TRANSFORMS = {
    "none": lambda: {},
    "log/exp": lambda: dict(func=np.log, inverse_func=np.exp),
    "quantile (normal)": lambda: dict(
        transformer=QuantileTransformer(output_distribution="normal")
    ),
    "power (yeo-johnson)": lambda: dict(transformer=PowerTransformer()),
    "power (box-cox)": lambda: dict(transformer=PowerTransformer(method="box-cox")),
}


def make_lognormal(n_samples, random_state):
    rng = np.random.default_rng(random_state)
    X = rng.uniform(-2.0, 2.0, size=(n_samples, 4))
    log_y = (
        1.0
        + np.sin(2.0 * X[:, 0])
        + 0.5 * X[:, 1]
        + (0.15 + 0.35 * np.abs(X[:, 2])) * rng.normal(size=n_samples)
    )
    return X, np.exp(log_y)


def run(seeds, n_samples, n_train):
    results = {name: dict(hits=[], width=[], nll=[], infinite=0) for name in TRANSFORMS}
    for seed in seeds:
        X, y = make_lognormal(n_samples, seed)
        X_train, y_train = X[:n_train], y[:n_train]
        X_test, y_test = X[n_train:], y[n_train:]
        for name, make in TRANSFORMS.items():
            model = TransformedTargetRegressor(
                DeepEnsembleRegressor(n_estimators=5, random_state=seed), **make()
            )
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                model.fit(X_train, y_train)
            fit_time = time.perf_counter() - start
            lower, upper = predict_interval(model, X_test, coverage=list(LEVELS))
            hits = (lower <= y_test[:, None]) & (y_test[:, None] <= upper)
            r = results[name]
            r["hits"].append(hits)
            at_90 = LEVELS.index(0.9)
            r["width"].append(upper[:, at_90] - lower[:, at_90])
            r["infinite"] += int(
                np.sum(~np.isfinite(upper[:, at_90] - lower[:, at_90]))
            )
            try:
                r["nll"].append(-predict_dist(model, X_test).logpdf(y_test))
            except ValueError:
                pass  # QuantileTransformer: no density
            print(f"  seed {seed} {name:<20} fitted in {fit_time:5.1f} s", flush=True)
    return results


def report(results, n_seeds, n_test):
    header = f"{'transform':<20}" + "".join(f"{level:>7}" for level in LEVELS)
    header += f"{'width90':>9}{'NLL':>8}{'inf90':>7}"
    print(f"\nCoverage of the central intervals, {n_test} test rows x {n_seeds} seeds")
    print(header)
    print("-" * len(header))
    for name, r in results.items():
        coverage = np.concatenate(r["hits"]).mean(axis=0)
        width = np.median(np.concatenate(r["width"]))
        nll = np.mean(np.concatenate(r["nll"])) if r["nll"] else np.nan
        nll = "     n/a" if np.isnan(nll) else f"{nll:8.3f}"
        print(
            f"{name:<20}"
            + "".join(f"{c:7.3f}" for c in coverage)
            + f"{width:9.2f}{nll}{r['infinite']:7d}"
        )
    # One binomial standard error of a coverage near 0.9, for scale.
    n = n_seeds * n_test
    print(f"(one standard error at 0.9: {np.sqrt(0.09 / n):.3f})")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--n-samples", type=int, default=2000)
    parser.add_argument("--n-train", type=int, default=1500)
    args = parser.parse_args(argv)
    seeds = range(args.seeds)
    results = run(seeds, args.n_samples, args.n_train)
    report(results, args.seeds, args.n_samples - args.n_train)


if __name__ == "__main__":
    main()
