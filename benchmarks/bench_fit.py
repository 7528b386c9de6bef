"""Speed of DeepEnsembleRegressor on the speed issue's reference problem.

N=20000 rows, D=8, y = sum_j sin(x_j) + noise, one hidden layer of 50 ReLU units,
Gaussian NLL, Adam(1e-2), batch 100, 40 epochs, M=5 members, no early stopping.

Usage::

    python benchmarks/bench_fit.py [--quick] [--only whole,compile,flops,...]

Sections: whole (whole process and warm fit vs baselines), compile, flops,
scaling (M and N), predict (latency), memory (1M-row fit), grid (GridSearchCV
compilations), jobs (``n_jobs=1`` against the default on the reference
problem at M = 5, 6, 10 and 20, the default fits of the five UCI sets of
``../shared/data/uci`` (split 0), iris and the 40-point cubic). The machine is
shared and noisy: compare ratios of one run.

``--only jobs`` runs on a checkout without ``n_jobs`` too (its estimators then
get no ``n_jobs``): that is how the "before" column of the speed issue was
measured.
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
from _common import (  # noqa: E402
    latency_us,
    make_reference,
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

SECTIONS = (
    "whole", "compile", "flops", "scaling", "predict", "memory", "grid", "jobs",
)  # fmt: skip
UCI_HOME = os.path.join(
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
    "shared",
    "data",
    "uci",
)
REFERENCE = dict(
    n_estimators=5,
    hidden_layer_sizes=(50,),
    learning_rate_init=1e-2,
    batch_size=100,
    max_iter=40,
    n_iter_no_change=np.inf,
    early_stopping=False,
    calibration=None,  # trains on every row, as the baselines do
    random_state=0,
)
BASELINE = dict(hidden=(50,), lr=1e-2, batch=100, epochs=40)


def skdeepens_estimator(**overrides):
    from skdeepens import DeepEnsembleRegressor

    return DeepEnsembleRegressor(**{**REFERENCE, **overrides})


# Each method as a code snippet (whole process) and a callable (warm fit).
_SNIPPETS = {
    "skdeepens": (
        "from skdeepens import DeepEnsembleRegressor\n"
        "est = DeepEnsembleRegressor(n_estimators=5, hidden_layer_sizes=(50,),"
        " learning_rate_init=1e-2, batch_size=100, max_iter=40,"
        " n_iter_no_change=np.inf, early_stopping=False, calibration=None,"
        " random_state=0).fit(X, y)\n"
    ),
    "teaching JAX loop": (
        "teaching_jax_fit(X, y, n_members=5, hidden=(50,), n_outputs=2,"
        " loss='gaussian_nll', lr=1e-2, batch=100, epochs=40)\n"
    ),
    "MLPRegressor x 5": (
        "sklearn_fit(X, y, n_members=5, hidden=(50,), lr=1e-2, batch=100, epochs=40)\n"
    ),
    "PyTorch loop": (
        "torch_fit(X, y, n_members=5, hidden=(50,), n_outputs=2,"
        " loss='gaussian_nll', lr=1e-2, batch=100, epochs=40)\n"
    ),
    "PyTorch batched (bmm)": (
        "torch_fit(X, y, n_members=5, hidden=(50,), n_outputs=2,"
        " loss='gaussian_nll', lr=1e-2, batch=100, epochs=40, batched=True)\n"
    ),
}


def _whole_code(body):
    # The in-process fit time is reported too: for methods that compile nothing
    # (scikit-learn, PyTorch) it is their warm fit time.
    return (
        "import time, json\n"
        "import numpy as np\n"
        "from _common import *\n"
        "X, y = make_reference()\n"
        "t = time.perf_counter()\n"
        + body
        + "print(json.dumps({'fit_s': time.perf_counter() - t}))\n"
    )


def _warm_callables(X, y):
    est = skdeepens_estimator()
    common = dict(n_members=5, n_outputs=2, loss="gaussian_nll", **BASELINE)
    return {
        "skdeepens": lambda: est.fit(X, y),
        "teaching JAX loop": lambda: teaching_jax_fit(X, y, **common),
        "MLPRegressor x 5": lambda: sklearn_fit(X, y, n_members=5, **BASELINE),
        "PyTorch loop": lambda: torch_fit(X, y, **common),
        "PyTorch batched (bmm)": lambda: torch_fit(X, y, batched=True, **common),
    }


def section_whole(args, X, y):
    methods = list(_SNIPPETS)
    if not torch_available():
        methods = [m for m in methods if not m.startswith("PyTorch")]
    warm = _warm_callables(X, y)
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
        runs = [run_python(_whole_code(snippet)) for _ in range(reps)]
        whole = [wall for wall, _ in runs]
        if jitted:
            warm[name]()  # compile first
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
        rows.append(
            [name_shown, reps, median(whole), min(whole), median(fits), min(fits)]
        )
    ref_whole, ref_fit = results["skdeepens"]
    for row, key in zip(rows, results):
        whole, fit = results[key]
        row += [f"{whole / ref_whole:.2f}x", f"{fit / ref_fit:.2f}x"]
    table(
        "Reference fit: whole process (python -c: import + compile + fit) and warm "
        "fit, seconds (ratio = method / skdeepens, >1 means skdeepens is faster)",
        [
            "method",
            "reps",
            "whole med",
            "whole min",
            "fit med",
            "fit min",
            "whole ratio",
            "fit ratio",
        ],
        rows,
    )
    return results


_COMPILE_CODE = """
import json, time, numpy as np
from _common import CompileCounter, make_reference
counter = CompileCounter()
t0 = time.perf_counter()
from skdeepens import DeepEnsembleRegressor
from skdeepens._core import training
from sklearn.base import clone
t_import = time.perf_counter() - t0
X, y = make_reference()
X2, y2 = make_reference(2000, random_state=1)
X3, y3 = make_reference(7919, random_state=2)
est = DeepEnsembleRegressor(n_estimators=5, hidden_layer_sizes=(50,),
    learning_rate_init=1e-2, batch_size=100, max_iter=40,
    n_iter_no_change=np.inf, early_stopping=False, calibration=None,
    random_state=0)
out = {"import_s": t_import}
steps = [("first fit", lambda: est.fit(X, y)),
    ("same fit again", lambda: est.fit(X, y)),
    ("new data, N=2000", lambda: est.fit(X2, y2)),
    ("new data, N=7919", lambda: est.fit(X3, y3)),
    ("clone().fit", lambda: clone(est).fit(X, y)),
    ("predict 1000 rows", lambda: est.predict(X[:1000])),
    ("predict_uncertainty 1 row", lambda: est.predict_uncertainty(X[:1])),
    ("learning_rate_init=1e-3", lambda: clone(est).set_params(
        learning_rate_init=1e-3).fit(X, y)),
    ("adversarial_epsilon=0.01", lambda: clone(est).set_params(
        adversarial_epsilon=0.01).fit(X, y))]
for name, fn in steps:
    mark, size = counter.snapshot(), training.trainer_cache_size()
    t = time.perf_counter(); fn(); wall = time.perf_counter() - t
    n, secs, front = counter.since(mark)
    out[name] = [wall, n, secs, front, training.trainer_cache_size() - size]
print(json.dumps(out))
"""


def section_compile(args):
    _, out = run_python(_COMPILE_CODE)
    rows = []
    for name, value in out.items():
        if name == "import_s":
            continue
        wall, n, secs, front, trainer = value
        rows.append([name, wall, n, secs, front, trainer])
    table(
        f"Compilation in a fresh process (import skdeepens {out['import_s']:.2f} s): "
        "XLA backend compiles and their seconds, trace+lowering seconds, new "
        "entries in the trainer's jit cache",
        ["step", "wall s", "compiles", "compile s", "trace+lower s", "trainer new"],
        rows,
    )
    first, warm = out["first fit"][0], out["same fit again"][0]
    print(
        f"first fit - warm fit = {first - warm:.2f} s; backend compile of first "
        f"fit = {out['first fit'][2]:.2f} s over {out['first fit'][1]} programs"
    )
    return out


def section_flops(args, X, y, warm_fit=None):
    sizes = (8, 50, 2)
    steps = 40 * int(np.ceil(len(X) / 100))
    clean = mlp_step_flops(100, sizes) * steps * 5
    adv = mlp_step_flops(100, sizes, adversarial=True) * steps * 5
    np_gf, jax_gf = matmul_gflops()
    peak = max(np_gf, jax_gf)
    if warm_fit is None:
        est = skdeepens_estimator()
        est.fit(X, y)
        warm_fit = median(repeat_time(lambda: est.fit(X, y), args.reps))
    est_adv = skdeepens_estimator(adversarial_epsilon=0.01)
    est_adv.fit(X, y)
    adv_fit = median(repeat_time(lambda: est_adv.fit(X, y), max(1, args.reps - 1)))
    rows = [
        [
            "plain",
            clean / 1e9,
            clean / peak / 1e9,
            warm_fit,
            warm_fit * peak * 1e9 / clean,
        ],
        ["FGSM", adv / 1e9, adv / peak / 1e9, adv_fit, adv_fit * peak * 1e9 / adv],
    ]
    table(
        f"FLOP lower bound: fp32 matmul 2048^2 NumPy {np_gf:.0f} GFLOP/s, JAX "
        f"{jax_gf:.0f} GFLOP/s (bound uses the best); {steps} steps x 5 members",
        ["fit", "GFLOP", "bound s", "warm fit s", "fit / bound"],
        rows,
    )


def section_scaling(args, X, y):
    rows = []
    base = None
    for m in (1, 5, 20):
        est = skdeepens_estimator(n_estimators=m)
        est.fit(X, y)
        t = median(repeat_time(lambda est=est: est.fit(X, y), args.reps))
        base = base or t
        rows.append([f"M={m}", 20000, 40, t, t / base, t / base / m])
    table(
        "Warm fit versus M (N=20000, 40 epochs)",
        ["members", "N", "epochs", "fit s", "vs M=1", "per member vs M=1"],
        rows,
    )
    rows = []
    sizes = (2000, 20000, 200000) if not args.quick else (2000, 20000, 60000)
    per_epoch0 = None
    for n in sizes:
        Xn, yn = make_reference(n)
        epochs = 40 if n <= 20000 else 4
        est = skdeepens_estimator(max_iter=epochs)
        est.fit(Xn[:2000], yn[:2000])
        fit = lambda est=est, Xn=Xn, yn=yn: est.fit(Xn, yn)  # noqa: E731
        t = median(repeat_time(fit, max(1, args.reps - 1)))
        per_epoch = t / epochs
        per_epoch0 = per_epoch0 or per_epoch / n
        steps = epochs * int(np.ceil(n / 100))
        rows.append(
            [
                f"N={n}",
                epochs,
                t,
                per_epoch,
                per_epoch / n / per_epoch0,
                t / steps * 1e6,
            ]
        )
    table(
        "Warm fit versus N (M=5; 4 epochs at N=200000)",
        ["rows", "epochs", "fit s", "s/epoch", "per-row vs N=2000", "us/step"],
        rows,
    )


def section_predict(args, X, y):
    est = skdeepens_estimator(max_iter=2).fit(X, y)
    n_calls = 200 if args.quick else 1000
    one, many = X[:1], X[:1000]
    rows = [
        ["predict", 1, latency_us(lambda: est.predict(one), n_calls)],
        [
            "predict_uncertainty",
            1,
            latency_us(lambda: est.predict_uncertainty(one), n_calls),
        ],
        ["predict", 1000, latency_us(lambda: est.predict(many), n_calls // 5)],
        [
            "predict_uncertainty",
            1000,
            latency_us(lambda: est.predict_uncertainty(many), n_calls // 5),
        ],
    ]
    table("Prediction latency, median us (M=5)", ["method", "rows", "us"], rows)


_MEMORY_CODE = """
import json, resource, numpy as np
def rss():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
import jax, jax.numpy as jnp
jnp.zeros(1).block_until_ready()
base_jax = rss()
from skdeepens import DeepEnsembleRegressor
rng = np.random.default_rng(0)
X = rng.standard_normal((N, 20))
y = np.sin(X).sum(1) + 0.1 * rng.standard_normal(N)
before = rss()
DeepEnsembleRegressor(n_estimators=5, hidden_layer_sizes=(50,), learning_rate_init=1e-2,
    batch_size=100, max_iter=2, n_iter_no_change=np.inf, early_stopping=False,
    calibration=None,
    random_state=0).fit(X, y)
print(json.dumps(dict(base_jax=base_jax, before=before, peak=rss(),
    data_mb=(X.nbytes + y.nbytes) / 2**20)))
"""


def section_memory(args):
    n = 200_000 if args.quick else 1_000_000
    wall, out = run_python(
        _MEMORY_CODE.replace("(N, 20)", f"({n}, 20)").replace(
            "* rng.standard_normal(N)", f"* rng.standard_normal({n})"
        )
    )
    budget = 3 * out["data_mb"] + 500
    rows = [
        ["after import jax", out["base_jax"]],
        ["after making X, y", out["before"]],
        ["peak during fit", out["peak"]],
        ["X + y (float64)", out["data_mb"]],
        ["target: 3 (X + y) + 500", budget],
        ["peak - baseline(jax)", out["peak"] - out["base_jax"]],
    ]
    table(
        f"Peak RSS (MB) of a subprocess fitting N={n} x 20, M=5, 2 epochs "
        f"(wall {wall:.1f} s); target holds: {out['peak'] < budget}",
        ["what", "MB"],
        rows,
    )


_GRID_CODE = """
import json, time, numpy as np
from _common import CompileCounter, make_reference, grid_search_compiles
counter = CompileCounter()
from skdeepens import DeepEnsembleRegressor
X, y = make_reference(2000)
grid = {"n_estimators": [1, 3, 5], "adversarial_epsilon": [0, 0.01]}
est = DeepEnsembleRegressor(hidden_layer_sizes=(50,), learning_rate_init=1e-2,
    batch_size=100, max_iter=EPOCHS, n_iter_no_change=np.inf, early_stopping=False,
    calibration=None,
    random_state=0)
print(json.dumps(grid_search_compiles(est, X, y, grid, counter)))
"""


def section_grid(args):
    epochs = 5 if args.quick else 20
    _, out = run_python(_GRID_CODE.replace("EPOCHS", str(epochs)))
    rows = [[run, *values] for run, values in out.items()]
    table(
        "GridSearchCV(cv=5) over n_estimators {1,3,5} x adversarial_epsilon "
        f"{{0, 0.01}}, N=2000, {epochs} epochs, fresh process (31 fits; 6 static "
        "configurations)",
        ["run", "wall s", "trainer compiles", "all compiles", "compile s", "trace s"],
        rows,
    )


def _jobs_problems(X, y):
    """(name, estimator class, params, X, y) of the jobs section."""
    from sklearn.datasets import load_iris

    from skdeepens import DeepEnsembleClassifier, DeepEnsembleRegressor
    from skdeepens.datasets import load_uci_regression, make_cubic

    for m in (5, 6, 10, 20):
        params = {**REFERENCE, "n_estimators": m}
        yield f"reference M={m}", DeepEnsembleRegressor, params, X, y
    for name in ("yacht", "energy", "concrete", "boston", "wine"):
        try:
            data = load_uci_regression(
                name, data_home=UCI_HOME, split=0, download_if_missing=False,
                return_X_y=True,
            )  # fmt: skip
        except (OSError, ValueError):
            continue
        params = {"random_state": 0}
        yield f"{name} default", DeepEnsembleRegressor, params, data[0], data[2]
    Xi, yi = load_iris(return_X_y=True)
    yield "iris default (clf)", DeepEnsembleClassifier, {"random_state": 0}, Xi, yi
    Xc, yc = make_cubic(n_samples=40, random_state=0)
    yield "cubic 40 default", DeepEnsembleRegressor, {"random_state": 0}, Xc, yc


def section_jobs(args, X, y):
    import time

    rows = []
    for name, Estimator, params, X_, y_ in _jobs_problems(X, y):
        has_jobs = "n_jobs" in Estimator().get_params()
        times = {}
        for n_jobs in (1, None):
            if not has_jobs and n_jobs == 1:
                continue
            extra = {"n_jobs": n_jobs} if has_jobs else {}
            Estimator(**params, **extra).fit(X_, y_)  # compile
            runs = []
            for _ in range(args.reps):
                start = time.perf_counter()
                est = Estimator(**params, **extra).fit(X_, y_)
                runs.append(time.perf_counter() - start)
            times[n_jobs] = median(runs)
        one = times.get(1, float("nan"))
        rows.append([name, est.n_iter_, one, times[None], times[None] / one])
    table(
        "warm fit, n_jobs=1 against the default (every core); median of "
        f"{args.reps} runs, in s",
        ["problem", "epochs", "n_jobs=1", "default", "ratio"],
        rows,
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer reps, smaller")
    parser.add_argument(
        "--only", default=",".join(SECTIONS), help=f"comma list of {SECTIONS}"
    )
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
    only = set(args.only.split(","))
    unknown = only - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections {sorted(unknown)}; choose from {SECTIONS}")

    versions_header("bench_fit: DeepEnsembleRegressor, reference problem")
    X, y = make_reference()
    warm_fit = None
    with quiet_convergence():
        if "whole" in only:
            warm_fit = section_whole(args, X, y)["skdeepens"][1]
        if "compile" in only:
            section_compile(args)
        if "flops" in only:
            section_flops(args, X, y, warm_fit)
        if "scaling" in only:
            section_scaling(args, X, y)
        if "predict" in only:
            section_predict(args, X, y)
        if "memory" in only:
            section_memory(args)
        if "grid" in only:
            section_grid(args)
        if "jobs" in only:
            section_jobs(args, X, y)


if __name__ == "__main__":
    main()
