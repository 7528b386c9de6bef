"""Which recalibration, fitted on which rows: the calibration study.

For every split, one :class:`~skdeepens.DeepEnsembleRegressor` is fitted with
the defaults. Its members' raw predictions (before recalibration) on three sets
of rows are then recalibrated in several ways and scored on the test rows:

* ``raw``: no recalibration;
* ``reuse``: the factors fitted on the early-stopping rows, the rows that chose
  each member's best epoch (the optimistic design);
* ``held-out``: fitted on the calibration rows, which nothing else saw (the
  design of the defaults), with two factors or one (``tied``) and priors of
  several widths on the log factors.

Scores, in the target's units: the mixture NLL, the moment-matched NLL, and the
pooled coverage of the central 90% and 95% intervals. Data as in
``defaults_study.py``.

Example::

    python benchmarks/calibration_study.py --splits 20
"""

import argparse
import copy
import sys
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from skdeepens import DeepEnsembleRegressor, MixtureDistribution
from skdeepens._calibration import apply_calibration, fit_calibration

sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parent))
from defaults_study import DEFAULT_DATA_HOME, SYNTHETIC, UCI, splits_of  # noqa: E402

VARIANTS = {
    "raw": None,
    "reuse, 2 factors": dict(rows="stopping", prior_std=1.0),
    "held-out, 2 factors": dict(rows="calibration", prior_std=1.0),
    "held-out, 2 factors, prior 0.5": dict(rows="calibration", prior_std=0.5),
    "held-out, tied": dict(rows="calibration", tied=True, prior_std=1.0),
    "held-out, tied, prior 0.5": dict(rows="calibration", tied=True, prior_std=0.5),
    "held-out, 2 factors, prior 0.5, CRPS": dict(
        rows="calibration", prior_std=0.5, criterion="crps"
    ),
    "held-out, tied, prior 0.5, CRPS": dict(
        rows="calibration", tied=True, prior_std=0.5, criterion="crps"
    ),
    "held-out, 2 factors, prior 1.5, CRPS": dict(
        rows="calibration", prior_std=1.5, criterion="crps"
    ),
    "held-out, 2 factors, prior 3, CRPS": dict(
        rows="calibration", prior_std=3.0, criterion="crps"
    ),
}


def _raw_members(reg, X):
    raw = copy.copy(reg)
    if hasattr(raw, "calibration_factors_"):
        del raw.calibration_factors_
    dist = raw.predict_dist(X)
    to_std = (dist.members.loc - reg._target_mean[0]) / reg._target_scale[0]
    return to_std[..., None], (dist.members.scale / reg._target_scale[0])[..., None]


def run_split(X_train, X_test, y_train, y_test):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg = DeepEnsembleRegressor(random_state=0).fit(X_train, y_train)
    _, held_out = reg._validation_split(np.ones(len(X_train)), None)
    rows = {"stopping": held_out[::2], "calibration": held_out[1::2]}
    mean, scale = reg._target_mean[0], reg._target_scale[0]
    test_loc, test_scale = _raw_members(reg, X_test)
    out = {}
    for name, variant in VARIANTS.items():
        loc, sc = test_loc, test_scale
        if variant is not None:
            variant = dict(variant)
            idx = rows[variant.pop("rows")]
            fit_loc, fit_scale = _raw_members(reg, X_train[idx])
            target = ((y_train[idx] - mean) / scale)[:, None]
            factors = fit_calibration(fit_loc, fit_scale, "gaussian", target, **variant)
            loc, sc = apply_calibration(test_loc, test_scale, factors)
        dist = MixtureDistribution(
            loc[..., 0] * scale + mean, sc[..., 0] * scale, "gaussian"
        )
        gaussian = dist.moment_matched()
        hits = {}
        for level in (0.9, 0.95):
            lower, upper = dist.interval(level)
            hits[level] = (y_test >= lower) & (y_test <= upper)
        out[name] = {
            "nll": -np.mean(dist.logpdf(y_test)),
            "nll_mm": -np.mean(gaussian.logpdf(y_test)),
            "hits90": hits[0.9],
            "hits95": hits[0.95],
        }
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", nargs="+", default=[*UCI, *SYNTHETIC])
    parser.add_argument("--splits", type=int, default=None)
    parser.add_argument("--synthetic-seeds", type=int, default=3)
    parser.add_argument("--data-home", default=str(DEFAULT_DATA_HOME))
    args = parser.parse_args(argv)
    print(
        f"{'dataset':>9} {'variant':>32} {'NLL mix':>8} {'NLL mm':>8} "
        f"{'cov90':>6} {'cov95':>6}"
    )
    for name in args.datasets:
        results = [
            run_split(*split)
            for split in splits_of(
                name, args.splits, args.data_home, args.synthetic_seeds
            )
        ]
        for variant in VARIANTS:
            per = [r[variant] for r in results]
            print(
                f"{name:>9} {variant:>32} {np.mean([p['nll'] for p in per]):8.3f} "
                f"{np.mean([p['nll_mm'] for p in per]):8.3f} "
                f"{np.mean(np.concatenate([p['hits90'] for p in per])):6.3f} "
                f"{np.mean(np.concatenate([p['hits95'] for p in per])):6.3f}",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
