"""Speed of DeepEnsembleClassifier on the spirals.

3 classes x 5000 points (``skdeepens.datasets.make_spirals``), hidden (64, 64),
softmax cross-entropy, Adam(1e-3), batch 100, 20 epochs, M=5, no early stopping;
against MLPClassifier x M and the teaching-style JAX loop.

Usage::

    python benchmarks/bench_classifier.py [--quick] [--only whole,compile,...]

Sections: whole (whole process and warm fit), compile, flops, grid
(GridSearchCV compilations), predict (latency).
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
from _common import (  # noqa: E402
    latency_us,
    make_spirals_data,
    matmul_gflops,
    median,
    mlp_step_flops,
    quiet_convergence,
    repeat_time,
    run_python,
    sklearn_fit,
    table,
    teaching_jax_fit,
    torch_available,
    torch_fit,
    versions_header,
)

SECTIONS = ("whole", "compile", "flops", "grid", "predict")
HIDDEN = (64, 64)
EPOCHS = 20
REFERENCE = dict(
    n_estimators=5,
    hidden_layer_sizes=HIDDEN,
    learning_rate_init=1e-3,
    batch_size=100,
    max_iter=EPOCHS,
    n_iter_no_change=np.inf,
    early_stopping=False,
    random_state=0,
)
BASELINE = dict(hidden=HIDDEN, lr=1e-3, batch=100, epochs=EPOCHS)

_SNIPPETS = {
    "skdeepens": (
        "from skdeepens import DeepEnsembleClassifier\n"
        "DeepEnsembleClassifier(n_estimators=5, hidden_layer_sizes=(64, 64),"
        " learning_rate_init=1e-3, batch_size=100, max_iter=20,"
        " n_iter_no_change=np.inf, early_stopping=False, random_state=0).fit(X, y)\n"
    ),
    "teaching JAX loop": (
        "teaching_jax_fit(X, y, n_members=5, hidden=(64, 64), n_outputs=3,"
        " loss='log_loss', lr=1e-3, batch=100, epochs=20)\n"
    ),
    "MLPClassifier x 5": (
        "sklearn_fit(X, y, n_members=5, hidden=(64, 64), lr=1e-3, batch=100,"
        " epochs=20, classifier=True)\n"
    ),
    "PyTorch loop": (
        "torch_fit(X, y, n_members=5, hidden=(64, 64), n_outputs=3,"
        " loss='log_loss', lr=1e-3, batch=100, epochs=20)\n"
    ),
}


def estimator(**overrides):
    from skdeepens import DeepEnsembleClassifier

    return DeepEnsembleClassifier(**{**REFERENCE, **overrides})


def section_whole(args, X, y):
    methods = [m for m in _SNIPPETS if torch_available() or "PyTorch" not in m]
    common = dict(n_members=5, n_outputs=3, loss="log_loss", **BASELINE)
    est = estimator()
    warm = {
        "skdeepens": lambda: est.fit(X, y),
        "teaching JAX loop": lambda: teaching_jax_fit(X, y, **common),
        "MLPClassifier x 5": lambda: sklearn_fit(
            X, y, n_members=5, classifier=True, **BASELINE
        ),
        "PyTorch loop": lambda: torch_fit(X, y, **common),
    }
    code = (
        "import time, json\nimport numpy as np\nfrom _common import *\n"
        f"X, y = make_spirals_data({args.per_class})\n"
        "t = time.perf_counter()\n"
    )
    done = "print(json.dumps({'fit_s': time.perf_counter() - t}))\n"
    rows, results = [], {}
    for name in methods:
        jitted = name in ("skdeepens", "teaching JAX loop")
        reps = args.reps if jitted else 1 if name.startswith("PyTorch") else 2
        snippet = _SNIPPETS[name]
        scale = 1.0
        if name.startswith("PyTorch") and args.torch_epochs:
            old = snippet.split("epochs=")[1].split(",")[0].split(")")[0]
            snippet = snippet.replace(f"epochs={old}", f"epochs={args.torch_epochs}")
            scale = int(old) / args.torch_epochs
        runs = [run_python(code + snippet + done) for _ in range(reps)]
        whole = [wall for wall, _ in runs]
        if jitted:
            warm[name]()
            fits = repeat_time(warm[name], reps)
        else:  # nothing to compile: the subprocess's fit is a warm fit
            fits = [out["fit_s"] for _, out in runs]
        if scale != 1.0:  # extrapolate a shortened PyTorch run to the full epochs
            whole = [w + f * (scale - 1.0) for w, f in zip(whole, fits)]
            fits = [f * scale for f in fits]
            name_shown = f"{name} (extrap. x{scale:g})"
        else:
            name_shown = name
        results[name] = (median(whole), median(fits))
        print(f"  ... {name}: whole {whole}, fit {fits}", flush=True)
        rows.append([name_shown, reps, median(whole), median(fits)])
    ref_whole, ref_fit = results["skdeepens"]
    for row, key in zip(rows, results):
        whole, fit = results[key]
        row += [f"{whole / ref_whole:.2f}x", f"{fit / ref_fit:.2f}x"]
    table(
        f"Spirals 3 x {args.per_class}, hidden {HIDDEN}, {EPOCHS} epochs, M=5: "
        "whole process and warm fit, seconds (ratio = method / skdeepens)",
        ["method", "reps", "whole med", "fit med", "whole ratio", "fit ratio"],
        rows,
    )
    return results["skdeepens"][1]


_COMPILE_CODE = """
import json, time, numpy as np
from _common import CompileCounter, make_spirals_data
counter = CompileCounter()
from skdeepens import DeepEnsembleClassifier
from skdeepens._core import training
from sklearn.base import clone
X, y = make_spirals_data(PER_CLASS)
X2, y2 = make_spirals_data(700, random_state=1)
est = DeepEnsembleClassifier(n_estimators=5, hidden_layer_sizes=(64, 64),
    learning_rate_init=1e-3, batch_size=100, max_iter=20,
    n_iter_no_change=np.inf, early_stopping=False, random_state=0)
out = {}
steps = [("first fit", lambda: est.fit(X, y)),
    ("same fit again", lambda: est.fit(X, y)),
    ("new data, 3 x 700", lambda: est.fit(X2, y2)),
    ("clone().fit", lambda: clone(est).fit(X, y)),
    ("predict_proba 1000", lambda: est.predict_proba(X[:1000])),
    ("predict_uncertainty 1", lambda: est.predict_uncertainty(X[:1]))]
for name, fn in steps:
    mark, size = counter.snapshot(), training.trainer_cache_size()
    t = time.perf_counter(); fn(); wall = time.perf_counter() - t
    n, secs, front = counter.since(mark)
    out[name] = [wall, n, secs, front, training.trainer_cache_size() - size]
print(json.dumps(out))
"""


def section_compile(args):
    _, out = run_python(_COMPILE_CODE.replace("PER_CLASS", str(args.per_class)))
    rows = [[name, *value] for name, value in out.items()]
    table(
        "Compilation in a fresh process: XLA compiles, their seconds, trace+lower "
        "seconds, new trainer cache entries",
        ["step", "wall s", "compiles", "compile s", "trace+lower s", "trainer new"],
        rows,
    )


def section_flops(args, X, warm_fit):
    sizes = (2, *HIDDEN, 3)
    steps = EPOCHS * int(np.ceil(len(X) / 100))
    flops = mlp_step_flops(100, sizes) * steps * 5
    np_gf, jax_gf = matmul_gflops()
    bound = flops / max(np_gf, jax_gf) / 1e9
    table(
        f"FLOP lower bound (fp32 matmul NumPy {np_gf:.0f}, JAX {jax_gf:.0f} GFLOP/s)",
        ["GFLOP", "bound s", "warm fit s", "fit / bound"],
        [[flops / 1e9, bound, warm_fit, warm_fit / bound]],
    )


_GRID_CODE = """
import json, time, numpy as np
from _common import CompileCounter, make_spirals_data, grid_search_compiles
counter = CompileCounter()
from skdeepens import DeepEnsembleClassifier
X, y = make_spirals_data(700)
grid = {"n_estimators": [1, 3, 5], "adversarial_epsilon": [0, 0.01]}
est = DeepEnsembleClassifier(hidden_layer_sizes=(64, 64), batch_size=100,
    max_iter=EPOCHS, n_iter_no_change=np.inf, early_stopping=False, random_state=0)
print(json.dumps(grid_search_compiles(est, X, y, grid, counter)))
"""


def section_grid(args):
    epochs = 5 if args.quick else 10
    _, out = run_python(_GRID_CODE.replace("EPOCHS", str(epochs)))
    table(
        "GridSearchCV(cv=5), n_estimators {1,3,5} x adversarial_epsilon {0, 0.01}, "
        f"spirals 3 x 700, {epochs} epochs, fresh process (6 static configurations)",
        ["run", "wall s", "trainer compiles", "all compiles", "compile s", "trace s"],
        [[run, *values] for run, values in out.items()],
    )


def section_predict(args, X, y):
    est = estimator(max_iter=1).fit(X, y)
    n_calls = 200 if args.quick else 1000
    one, many = X[:1], X[:1000]
    rows = []
    for method in ("predict_proba", "predict_uncertainty"):
        fn = getattr(est, method)
        rows.append([method, 1, latency_us(lambda fn=fn: fn(one), n_calls)])
        rows.append([method, 1000, latency_us(lambda fn=fn: fn(many), n_calls // 5)])
    table("Prediction latency, median us (M=5)", ["method", "rows", "us"], rows)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer reps, smaller")
    parser.add_argument("--only", default=",".join(SECTIONS))
    parser.add_argument("--reps", type=int, default=None)
    parser.add_argument(
        "--torch-epochs",
        type=int,
        default=None,
        help="run the PyTorch baselines for fewer epochs and extrapolate linearly",
    )
    args = parser.parse_args(argv)
    args.reps = args.reps or (2 if args.quick else 3)
    args.torch_epochs = args.torch_epochs or (8 if args.quick else None)
    args.per_class = 1000 if args.quick else 5000
    only = set(args.only.split(","))
    if only - set(SECTIONS):
        parser.error(f"unknown sections {sorted(only - set(SECTIONS))}")

    versions_header("bench_classifier: DeepEnsembleClassifier, spirals")
    X, y = make_spirals_data(args.per_class)
    warm_fit = None
    with quiet_convergence():
        if "whole" in only:
            warm_fit = section_whole(args, X, y)
        if "compile" in only:
            section_compile(args)
        if "flops" in only:
            if warm_fit is None:
                est = estimator()
                est.fit(X, y)
                warm_fit = median(repeat_time(lambda: est.fit(X, y), args.reps))
            section_flops(args, X, warm_fit)
        if "grid" in only:
            section_grid(args)
        if "predict" in only:
            section_predict(args, X, y)


if __name__ == "__main__":
    main()
