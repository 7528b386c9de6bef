"""The defaults study: candidate settings on real and synthetic regression data.

Each candidate is a set of :class:`~skdeepens.DeepEnsembleRegressor` parameters.
Each is fitted on the training part of every split and scored on its test part,
in the target's units:

* the NLL of the moment-matched Gaussian (the paper's metric) and of the exact
  mixture, the RMSE;
* the coverage of the central 90% and 95% intervals of the exact mixture,
  pooled over the splits (test points of all splits together);
* the same NLL and coverage *before* recalibration (``calibration_factors_``
  removed from the same fitted model), to show what the recalibration does;
* the fit time.

Data: the five UCI sets of the paper's protocol (20 standard splits; the data
folder is not part of the project, see ``--data-home``) and three synthetic sets
made here with one property each (``make_synthetic``): near-noiseless targets
(noise std 1e-3 of the target's), a large set (60,000 rows, heteroscedastic
noise) and heavy-tailed noise (Student t, 2.5 degrees of freedom). Synthetic
sets use ``--synthetic-seeds`` independent draws, 90% train / 10% test.

The ``calibration-split`` candidate measures the optimism of recalibrating on
the early-stopping rows: it holds out a separate 10% of the training part for
the recalibration alone (``calibration=None`` in the fit, then the same factors
fitted on the separate rows), against ``default``, which reuses the
early-stopping rows.

Examples
--------
::

    python benchmarks/defaults_study.py --candidates default adaptive --splits 5
    python benchmarks/defaults_study.py --datasets noiseless large heavy
"""

import argparse
import copy
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from skdeepens import DeepEnsembleRegressor
from skdeepens._calibration import fit_calibration
from skdeepens._ensemble import _base as _ensemble
from skdeepens.datasets import load_uci_regression
from skdeepens.metrics import gaussian_nll_loss, mixture_nll_loss

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA_HOME = REPO_ROOT.parent / "shared" / "data" / "uci"
UCI = ("boston", "concrete", "energy", "wine", "yacht")
SYNTHETIC = ("noiseless", "large", "heavy")

# The candidates: parameters on top of DeepEnsembleRegressor's defaults.
CANDIDATES = {
    "default": {},
    "constant": {"learning_rate": "constant"},
    "adaptive": {"learning_rate": "adaptive"},
    "adaptive-quarter": {"learning_rate": "adaptive", "_fraction": 0.25},
    "adaptive-3e-3": {"learning_rate": "adaptive", "learning_rate_init": 3e-3},
    "constant-1e-3": {"learning_rate": "constant", "learning_rate_init": 1e-3},
    "adaptive-100x2": {"learning_rate": "adaptive", "hidden_layer_sizes": (100, 100)},
    "adaptive-beta0.5": {"learning_rate": "adaptive", "beta": 0.5},
    "constant-100x2": {"learning_rate": "constant", "hidden_layer_sizes": (100, 100)},
    "constant-beta0.5": {"learning_rate": "constant", "beta": 0.5},
    "adaptive-1e-3": {"learning_rate": "adaptive", "learning_rate_init": 1e-3},
    "adaptive-half": {"learning_rate": "adaptive", "_fraction": 0.5},
    "adaptive-full": {"learning_rate": "adaptive", "_fraction": 1.0},
    "adaptive-full-2": {"learning_rate": "adaptive", "_fraction": 1.0, "_decays": 2},
    "adaptive-full-5": {"learning_rate": "adaptive", "_fraction": 1.0, "_decays": 5},
    "refine-0.5": {"_refine": 0.5},
    "refine-0.25": {"_refine": 0.25},
    "refine-0.1": {"_refine": 0.1},
    "refine-1": {"_refine": 1.0, "_refine_min": 1},
    "refine-0.1-10": {"_refine": 0.1, "_refine_min": 10},
    "refine-0.1-30": {"_refine": 0.1, "_refine_min": 30},
    "refine-0.25-30": {"_refine": 0.25, "_refine_min": 30},
    "calibration-split": {"calibration": None},
    "uncalibrated": {"calibration": None},
}


def make_synthetic(name, seed):
    """One synthetic regression set with the property that ``name`` says.

    The mean is Friedman's first function of 8 features (5 informative), whose
    spread is about 4.9.
    """
    rng = np.random.default_rng(seed)
    n = {"noiseless": 5000, "large": 60000, "heavy": 3000}[name]
    X = rng.uniform(size=(n, 8))
    mean = (
        10 * np.sin(np.pi * X[:, 0] * X[:, 1])
        + 20 * (X[:, 2] - 0.5) ** 2
        + 10 * X[:, 3]
        + 5 * X[:, 4]
    )
    if name == "noiseless":
        noise = 1e-3 * mean.std() * rng.normal(size=n)
    elif name == "large":
        noise = (0.3 + 1.5 * X[:, 5]) * rng.normal(size=n)  # heteroscedastic
    else:
        noise = rng.standard_t(2.5, size=n)
    return X, mean + noise


def splits_of(name, n_splits, data_home, synthetic_seeds):
    """Yield (X_train, X_test, y_train, y_test) of each split of a data set."""
    if name in UCI:
        first = load_uci_regression(
            name, data_home=data_home, split=0, download_if_missing=False
        )
        for split in range(min(n_splits or first.n_splits, first.n_splits)):
            yield load_uci_regression(
                name,
                data_home=data_home,
                split=split,
                download_if_missing=False,
                return_X_y=True,
            )
    else:
        for seed in range(synthetic_seeds):
            X, y = make_synthetic(name, seed)
            yield train_test_split(X, y, test_size=0.1, random_state=seed)


def _scores(dist, y_test):
    gaussian = dist.moment_matched()
    out = {
        "nll": gaussian_nll_loss(y_test, gaussian.mean(), gaussian.std()),
        "nll_mixture": mixture_nll_loss(y_test, dist),
    }
    for level in (0.9, 0.95):
        lower, upper = dist.interval(level)
        out[f"hits{int(level * 100)}"] = (y_test >= lower) & (y_test <= upper)
    return out


_FRACTION = _ensemble._ADAPTIVE_PATIENCE_FRACTION
_DECAYS = _ensemble._ADAPTIVE_MAX_DECAYS
_REFINE = _ensemble._ADAPTIVE_REFINE_FRACTION
_REFINE_MIN = _ensemble._ADAPTIVE_REFINE_MIN_EPOCHS


def run_one(candidate, X_train, X_test, y_train, y_test, seed=0):
    params = dict(CANDIDATES[candidate])
    # Schedule variants under study: the share of the patience spent at each
    # rate, and the number of reductions (module constants of the estimator).
    _ensemble._ADAPTIVE_PATIENCE_FRACTION = params.pop("_fraction", _FRACTION)
    _ensemble._ADAPTIVE_MAX_DECAYS = params.pop("_decays", _DECAYS)
    _ensemble._ADAPTIVE_REFINE_FRACTION = params.pop("_refine", _REFINE)
    _ensemble._ADAPTIVE_REFINE_MIN_EPOCHS = params.pop("_refine_min", _REFINE_MIN)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        if candidate == "calibration-split":
            X_fit, X_cal, y_fit, y_cal = train_test_split(
                X_train, y_train, test_size=0.1, random_state=seed
            )
            reg = DeepEnsembleRegressor(random_state=seed, **params).fit(X_fit, y_fit)
            dist = reg.predict_dist(X_cal)
            loc = (dist.members.loc[..., None] - reg._target_mean) / reg._target_scale
            scale = dist.members.scale[..., None] / reg._target_scale
            t_cal = (y_cal[:, None] - reg._target_mean) / reg._target_scale
            reg.calibration_factors_ = fit_calibration(loc, scale, dist.family, t_cal)
        else:
            reg = DeepEnsembleRegressor(random_state=seed, **params).fit(
                X_train, y_train
            )
    fit_time = time.perf_counter() - start
    dist = reg.predict_dist(X_test)
    row = _scores(dist, y_test)
    row["rmse"] = float(np.sqrt(np.mean((y_test - dist.mean()) ** 2)))
    row["fit_time"] = fit_time
    row["epochs"] = reg.n_iter_
    raw = copy.copy(reg)
    if hasattr(raw, "calibration_factors_"):
        del raw.calibration_factors_
    for key, value in _scores(raw.predict_dist(X_test), y_test).items():
        row[f"raw_{key}"] = value
    return row


def summarise(rows):
    mean = {k: float(np.mean([r[k] for r in rows])) for k in ("nll", "nll_mixture")}
    sem = {
        k: float(np.std([r[k] for r in rows], ddof=1) / np.sqrt(len(rows)))
        if len(rows) > 1
        else float("nan")
        for k in ("nll",)
    }
    pooled = {
        k: float(np.mean(np.concatenate([r[k] for r in rows])))
        for k in ("hits90", "hits95", "raw_hits90", "raw_hits95")
    }
    return {
        "splits": len(rows),
        "nll": mean["nll"],
        "nll_sem": sem["nll"],
        "nll_mixture": mean["nll_mixture"],
        "raw_nll_mixture": float(np.mean([r["raw_nll_mixture"] for r in rows])),
        "rmse": float(np.mean([r["rmse"] for r in rows])),
        "cov90": pooled["hits90"],
        "cov95": pooled["hits95"],
        "raw_cov90": pooled["raw_hits90"],
        "raw_cov95": pooled["raw_hits95"],
        "fit_time": float(np.sum([r["fit_time"] for r in rows])),
        "epochs": float(np.mean([r["epochs"] for r in rows])),
    }


HEADER = (
    f"{'dataset':>9} {'candidate':>18} {'n':>3} {'NLL mm':>14} {'NLL mix':>8} "
    f"{'(raw)':>8} {'RMSE':>8} {'cov90':>6} {'(raw)':>6} {'cov95':>6} {'(raw)':>6} "
    f"{'fit s':>7} {'epochs':>7}"
)


def format_row(name, candidate, s):
    return (
        f"{name:>9} {candidate:>18} {s['splits']:>3} "
        f"{s['nll']:7.3f} ({s['nll_sem']:.3f}) {s['nll_mixture']:8.3f} "
        f"{s['raw_nll_mixture']:8.3f} {s['rmse']:8.4g} {s['cov90']:6.3f} "
        f"{s['raw_cov90']:6.3f} {s['cov95']:6.3f} {s['raw_cov95']:6.3f} "
        f"{s['fit_time']:7.1f} {s['epochs']:7.0f}"
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--candidates", nargs="+", default=["default"])
    parser.add_argument("--datasets", nargs="+", default=[*UCI, *SYNTHETIC])
    parser.add_argument("--splits", type=int, default=None, help="first N UCI splits")
    parser.add_argument("--synthetic-seeds", type=int, default=3)
    parser.add_argument("--data-home", default=str(DEFAULT_DATA_HOME))
    args = parser.parse_args(argv)
    for candidate in args.candidates:
        if candidate not in CANDIDATES:
            parser.error(f"unknown candidate {candidate!r}; one of {list(CANDIDATES)}")
    print(HEADER, flush=True)
    for name in args.datasets:
        for candidate in args.candidates:
            rows = [
                run_one(candidate, *split, seed=0)
                for split in splits_of(
                    name, args.splits, args.data_home, args.synthetic_seeds
                )
            ]
            print(format_row(name, candidate, summarise(rows)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
