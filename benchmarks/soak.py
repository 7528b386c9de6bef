"""Soak test: many fits in one process, threads predicting at once, determinism.

Sections:

- ``repeated``: N fits of one shape and configuration in one process. Prints the
  resident memory (VmRSS) and the number of memory mappings (lines of
  /proc/self/maps) every 25 fits: both should level off once the first fit has
  compiled its programs.
- ``new``: N fits, each with a new hidden-layer width, hence a new compiled
  training program. Shows what every new static configuration costs and keeps
  (issue 12, item 9).
- ``threads``: one fitted regressor and classifier; 8 threads call the prediction
  methods at once, and every result must be bit-identical to one thread's.
- ``determinism``: the same fit (same data, same random_state) in fresh
  processes, with the default threads and cores and with one thread on one core;
  the fitted parameters must be bit-identical (sha256 of their bytes).

Usage::

    python benchmarks/soak.py [--quick] [--fits N] [--only repeated,new,...]

``--quick`` runs 50 fits per section and fewer prediction rounds (about a minute
on two cores); the default is 450 fits, as in issue 12.
"""

import argparse
import json
import os
import sys
import threading
import time
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(1, os.path.dirname(HERE))  # the skdeepens of this tree

import numpy as np  # noqa: E402
from _common import run_python, table, versions_header  # noqa: E402

SECTIONS = ("repeated", "new", "threads", "determinism")
SMALL = dict(
    n_estimators=2,
    max_iter=5,
    early_stopping=False,
    n_iter_no_change=np.inf,
    random_state=0,
)
REPORT_EVERY = 25


def rss_mb():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def n_mappings():
    with open("/proc/self/maps") as maps:
        return sum(1 for _ in maps)


def data(n_samples=200, n_features=4, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_samples, n_features))
    return X, np.sin(X).sum(axis=1) + 0.1 * rng.normal(size=n_samples)


def soak(n_fits, make_estimator, title):
    from skdeepens import DeepEnsembleRegressor

    X, y = data()
    peak = n_mappings()
    rows = [["0 (before)", round(rss_mb(), 1), peak, peak, "-"]]
    start = time.perf_counter()
    for i in range(1, n_fits + 1):
        DeepEnsembleRegressor(**make_estimator(i)).fit(X, y)
        # The trainer releases its programs past a limit, so the count is a
        # sawtooth: its peak since the last report is what must stay bounded.
        peak = max(peak, n_mappings())
        if i % REPORT_EVERY == 0 or i == n_fits:
            elapsed = time.perf_counter() - start
            done = REPORT_EVERY if i % REPORT_EVERY == 0 else i % REPORT_EVERY
            rows.append(
                [
                    i,
                    round(rss_mb(), 1),
                    n_mappings(),
                    peak,
                    round(1e3 * elapsed / done, 1),
                ]
            )
            start = time.perf_counter()
    table(
        title,
        ["fits", "RSS MB", "mappings", "peak mappings", "ms/fit (last block)"],
        rows,
    )


def _predict_rounds(call, rounds, results, errors):
    try:
        for _ in range(rounds):
            results.append(call())
    except Exception as exc:  # reported in the table
        errors.append(repr(exc))


def threads_section(rounds):
    from skdeepens import DeepEnsembleClassifier, DeepEnsembleRegressor

    X, y = data(n_samples=500)
    X_test = np.random.default_rng(1).normal(size=(3000, X.shape[1])) * 2
    reg = DeepEnsembleRegressor(**SMALL).fit(X, y)
    clf = DeepEnsembleClassifier(**SMALL).fit(X, y > 0)
    calls = {
        "regressor predict(return_std)": lambda: np.stack(
            reg.predict(X_test, return_std=True)
        ),
        "regressor predict_uncertainty": lambda: np.stack(
            list(reg.predict_uncertainty(X_test).values())
        ),
        "regressor predict_dist.ppf": lambda: reg.predict_dist(X_test).ppf(0.9),
        "classifier predict_proba": lambda: clf.predict_proba(X_test),
        "classifier predict_uncertainty": lambda: np.stack(
            list(clf.predict_uncertainty(X_test).values())
        ),
    }
    rows = []
    for name, call in calls.items():
        reference = call()
        results, errors = [], []

        workers = [
            threading.Thread(
                target=_predict_rounds, args=(call, rounds, results, errors)
            )
            for _ in range(8)
        ]
        start = time.perf_counter()
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        wall = time.perf_counter() - start
        identical = sum(np.array_equal(r, reference) for r in results)
        rows.append([name, len(results), identical, len(errors), round(wall, 2)])
    table(
        "8 threads predicting at once, each result against one thread's",
        ["call", "results", "bit-identical", "errors", "wall s"],
        rows,
    )


_DETERMINISM_CODE = """
import os, json, hashlib, warnings
{pin}
import numpy as np
from skdeepens import DeepEnsembleRegressor, DeepEnsembleClassifier
warnings.simplefilter("ignore")
rng = np.random.default_rng(0)
X = rng.normal(size=(600, 5)); y = np.sin(X).sum(axis=1)
kw = dict(n_estimators=3, max_iter=30, random_state=7)
out = {{}}
for name, est, target in [
    ("regressor", DeepEnsembleRegressor(**kw), y),
    ("classifier", DeepEnsembleClassifier(**kw), y > 0),
]:
    est.fit(X, target)
    h = hashlib.sha256()
    for layer in est.params_:
        for leaf in layer:
            h.update(np.ascontiguousarray(leaf).tobytes())
    out[name] = h.hexdigest()[:16]
    out[name + "_epochs"] = int(est.n_iter_)
out["cores"] = len(os.sched_getaffinity(0))
print(json.dumps(out))
"""

_ONE_CORE = (
    "os.sched_setaffinity(0, {0})\n"
    "os.environ['XLA_FLAGS'] = os.environ.get('XLA_FLAGS', '') + "
    "' --xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1'\n"
)


def determinism_section():
    runs = [
        ("process 1, all cores", ""),
        ("process 2, all cores", ""),
        ("process 3, 1 core, 1 XLA thread", _ONE_CORE),
    ]
    rows, digests = [], set()
    for label, pin in runs:
        wall, result = run_python(_DETERMINISM_CODE.format(pin=pin))
        digests.add((result["regressor"], result["classifier"]))
        rows.append(
            [
                label,
                result["cores"],
                result["regressor"],
                result["regressor_epochs"],
                result["classifier"],
                result["classifier_epochs"],
                round(wall, 1),
            ]
        )
    table(
        "Same data and random_state in fresh processes: sha256 of params_ "
        f"({'identical' if len(digests) == 1 else 'DIFFERENT'})",
        ["run", "cores", "regressor", "epochs", "classifier", "epochs", "wall s"],
        rows,
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--fits", type=int, default=None)
    parser.add_argument("--only", default=",".join(SECTIONS))
    args = parser.parse_args()
    n_fits = args.fits or (50 if args.quick else 450)
    rounds = 5 if args.quick else 25
    only = args.only.split(",")
    unknown = set(only) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections {sorted(unknown)}; choose from {SECTIONS}")

    warnings.simplefilter("ignore")
    versions_header("skdeepens soak test" + (" (--quick)" if args.quick else ""))
    if "repeated" in only:
        soak(
            n_fits,
            lambda i: dict(SMALL, hidden_layer_sizes=(16,)),
            f"{n_fits} fits of one shape (200 x 4, hidden (16,), M=2, 5 epochs)",
        )
    if "new" in only:
        soak(
            n_fits,
            lambda i: dict(SMALL, hidden_layer_sizes=(16 + i,)),
            f"{n_fits} fits, each with a new hidden width (16 + i): a new program",
        )
    if "threads" in only:
        threads_section(rounds)
    if "determinism" in only:
        determinism_section()
    print(json.dumps({"fits": n_fits, "sections": only}))


if __name__ == "__main__":
    main()
