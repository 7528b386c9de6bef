"""bde (scikit-learn-contrib/bde, MILE) on the standard UCI splits (issue 22's peer).

Runs in a virtual environment of its own, since bde pins its own scikit-learn::

    python3 -m venv /tmp/bde && /tmp/bde/bin/pip install sklearn-contrib-bde
    PYTHONPATH=. /tmp/bde/bin/python benchmarks/bde_peer.py --datasets boston \
        concrete yacht --splits 3

(``PYTHONPATH=.`` lends it skdeepens' UCI loader, nothing else.) bde's README
regression settings: 8 members of (16, 16), 200 epochs with patience 10,
Adam at 1e-3 with weight decay 1e-4, 5000 warm-up steps, 2000 samples thinned
by 2, inputs and targets standardised on the training rows. Prints, per split,
the test NLL of the members' Gaussian mixture (in the target's units), the
RMSE and the wall time of fit; then the means over splits. Compare with
``benchmarks/uci.py --configs default --set posterior_samples=K`` run on the
same machine.
"""

import argparse
import os
import time

# bde shards its members over devices: give it one per core, as its README says.
os.environ.setdefault(
    "XLA_FLAGS", f"--xla_force_host_platform_device_count={os.cpu_count()}"
)

import numpy as np
from scipy.special import logsumexp
from scipy.stats import norm

from skdeepens.datasets import load_uci_regression

DEFAULT_DATA_HOME = os.path.join(
    os.path.dirname(__file__), "..", "..", "shared", "data", "uci"
)


def run_split(name, split, data_home):
    from bde import BdeRegressor
    from bde.loss import GaussianNLL

    X_train, X_test, y_train, y_test = load_uci_regression(
        name, data_home=data_home, split=split, download_if_missing=False,
        return_X_y=True,
    )  # fmt: skip
    x_mean, x_std = X_train.mean(0), X_train.std(0) + 1e-8
    y_mean, y_std = y_train.mean(), y_train.std() + 1e-8
    start = time.perf_counter()
    model = BdeRegressor(
        hidden_layers=[16, 16],
        n_members=8,
        seed=split,
        loss=GaussianNLL(),
        epochs=200,
        validation_split=0.15,
        lr=1e-3,
        weight_decay=1e-4,
        warmup_steps=5000,
        n_samples=2000,
        n_thinning=2,
        patience=10,
    )
    model.fit(x=(X_train - x_mean) / x_std, y=((y_train - y_mean) / y_std)[:, None])
    seconds = time.perf_counter() - start
    raw = np.asarray(model.predict((X_test - x_mean) / x_std, raw=True), np.float64)
    # raw: (members, draws, n_test, (mu, rho)); bde's scale is
    # softplus(rho) + 1e-6 (bde_evaluator.py), in standardised units.
    loc = raw[..., 0].reshape(-1, len(X_test)) * y_std + y_mean
    rho = raw[..., 1].reshape(-1, len(X_test))
    scale = (np.logaddexp(0.0, rho) + 1e-6) * y_std
    log_pdf = norm.logpdf(y_test[None, :], loc, scale)
    nll = -np.mean(logsumexp(log_pdf, axis=0) - np.log(len(loc)))
    rmse = float(np.sqrt(np.mean((loc.mean(axis=0) - y_test) ** 2)))
    return nll, rmse, seconds


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-home", default=DEFAULT_DATA_HOME)
    parser.add_argument(
        "--datasets", nargs="+", default=["boston", "concrete", "yacht"]
    )
    parser.add_argument("--splits", type=int, default=3, help="first N splits")
    args = parser.parse_args(argv)
    print(f"{'data set':<10} {'split':>5} {'NLL':>8} {'RMSE':>8} {'fit s':>7}")
    summary = []
    for name in args.datasets:
        rows = []
        for split in range(args.splits):
            nll, rmse, seconds = run_split(name, split, args.data_home)
            rows.append((nll, rmse, seconds))
            line = f"{name:<10} {split:>5} {nll:8.3f} {rmse:8.3f} {seconds:7.1f}"
            print(line, flush=True)
        summary.append((name, *np.mean(rows, axis=0)))
    print(f"\nmeans over {args.splits} split(s)")
    print(f"{'data set':<10} {'NLL':>8} {'RMSE':>8} {'fit s':>7}")
    for name, nll, rmse, seconds in summary:
        print(f"{name:<10} {nll:8.3f} {rmse:8.3f} {seconds:7.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
