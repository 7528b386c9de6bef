"""Command line: ``python -m skdeepens demo``, the seed practical end to end."""

import argparse
import sys
import time

import numpy as np


def _cubic_demo(quick):
    from . import DeepEnsembleRegressor
    from .datasets import make_cubic

    X, y = make_cubic(n_samples=40, noise=3.0, random_state=0)
    print("Cubic toy regression: y = x**3 + N(0, 3**2), 40 points with x in [-4, 4]")
    start = time.perf_counter()
    reg = DeepEnsembleRegressor(
        n_estimators=5,
        hidden_layer_sizes=(50,),
        learning_rate_init=1e-2,
        max_iter=150 if quick else 500,
        n_iter_no_change=np.inf,  # the practical's fixed number of epochs
        random_state=0,
    ).fit(X, y)
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
            f"{np.sqrt(u.total[i]):9.2f} {np.sqrt(u.aleatoric[i]):10.2f} "
            f"{np.sqrt(u.epistemic[i]):10.2f}"
        )
    print(
        "\nStandard deviations. Inside the training range the aleatoric part "
        "(the noise, 3)\ndominates; outside it the members disagree and the "
        "epistemic part grows."
    )


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m skdeepens", description="skdeepens command line."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="run the seed practical's experiments")
    demo.add_argument("--quick", action="store_true", help="a faster, shorter run")
    args = parser.parse_args(argv)
    if args.command == "demo":
        _cubic_demo(args.quick)
    return 0


if __name__ == "__main__":
    sys.exit(main())
