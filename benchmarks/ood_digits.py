"""Out-of-distribution detection on scikit-learn's digits (the paper's Figure 3 idea).

Lakshminarayanan et al. (2017) train on MNIST and show that the ensemble's
predictive entropy is higher on NotMNIST letters it has never seen, more so as M
grows. Offline, with the 8x8 digits bundled with scikit-learn: train on the digits
0-4 (a stratified 70/30 split of those classes), then score

* in-distribution: the held-out 30 % of the digits 0-4 (accuracy, NLL, Brier, ECE);
* out-of-distribution: every digit 5-9, which the ensemble must recognise as
  unknown. A good ensemble is more uncertain on them; the AUROC of each
  uncertainty (total, aleatoric, epistemic) as a score for "out of distribution"
  measures how well it tells the two apart (0.5: not at all, 1: perfectly).

Then the accuracy-versus-confidence curve (Figure 6 of the paper) on the
in-distribution test set: the accuracy on the examples whose top probability is
at least each threshold, and the fraction of examples kept.

Usage::

    python benchmarks/ood_digits.py            # M in {1, 5, 10}, 100 epochs
    python benchmarks/ood_digits.py --quick    # M in {1, 3}, 20 epochs
    python benchmarks/ood_digits.py --seed 1   # another split and initialisation
"""

import argparse
import time

import numpy as np
from sklearn.datasets import load_digits
from sklearn.metrics import log_loss, roc_auc_score
from sklearn.model_selection import train_test_split

from skdeepens import DeepEnsembleClassifier
from skdeepens.metrics import accuracy_confidence_curve, expected_calibration_error

# Fixed training settings, the same for every configuration.
# The estimator's defaults (early stopping on held-out log loss, patience and
# batch size counted in gradient steps); only M, epsilon and the seed vary.
# --quick caps the epochs.
SETTINGS = dict()
EPSILONS = (None, 0.01)
THRESHOLDS = np.arange(10) / 10.0
IN_CLASSES = (0, 1, 2, 3, 4)


def brier_score(y_true, proba, classes):
    """Multiclass Brier score: mean over samples of sum_k (p_k - 1[y = k])**2."""
    one_hot = (np.asarray(y_true)[:, None] == np.asarray(classes)[None, :]).astype(
        np.float64
    )
    return float(np.mean(np.sum((proba - one_hot) ** 2, axis=1)))


def load_split(seed):
    X, y = load_digits(return_X_y=True)
    inside = np.isin(y, IN_CLASSES)
    X_train, X_test, y_train, y_test = train_test_split(
        X[inside],
        y[inside],
        test_size=0.3,
        stratify=y[inside],
        random_state=seed,
    )
    return X_train, y_train, X_test, y_test, X[~inside]


def evaluate(clf, X_test, y_test, X_ood):
    proba = clf.predict_proba(X_test)
    u_in = clf.predict_uncertainty(X_test)
    u_out = clf.predict_uncertainty(X_ood)
    is_ood = np.r_[np.zeros(len(X_test)), np.ones(len(X_ood))]
    row = dict(
        accuracy=float(np.mean(clf.classes_[proba.argmax(1)] == y_test)),
        nll=log_loss(y_test, proba, labels=clf.classes_),
        brier=brier_score(y_test, proba, clf.classes_),
        ece=expected_calibration_error(y_test, proba, classes=clf.classes_),
    )
    for key in ("total", "aleatoric", "epistemic"):
        row[f"auroc_{key}"] = roc_auc_score(is_ood, np.r_[u_in[key], u_out[key]])
        row[f"in_{key}"] = float(u_in[key].mean())
        row[f"out_{key}"] = float(u_out[key].mean())
    row["curve"] = accuracy_confidence_curve(
        y_test, proba, thresholds=THRESHOLDS, classes=clf.classes_
    )
    return row


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--quick", action="store_true", help="M in {1, 3} and 20 epochs (a smoke run)"
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="seed of the split and of the members"
    )
    args = parser.parse_args(argv)

    sizes = (1, 3) if args.quick else (1, 5, 10)
    max_iter = 20 if args.quick else DeepEnsembleClassifier().max_iter
    X_train, y_train, X_test, y_test, X_ood = load_split(args.seed)

    print("Out-of-distribution detection on sklearn's digits")
    print(
        f"train: digits 0-4, {len(X_train)} images; in-distribution test: held-out "
        f"0-4, {len(X_test)} images; out-of-distribution: digits 5-9, "
        f"{len(X_ood)} images; 64 pixel features (0-16), standardised internally"
    )
    defaults = DeepEnsembleClassifier().get_params()
    shown = (
        "hidden_layer_sizes",
        "learning_rate_init",
        "batch_size",
        "alpha",
        "early_stopping",
        "n_iter_no_change",
        "loss",
    )
    print(
        "settings: DeepEnsembleClassifier defaults ("
        + ", ".join(f"{k}={defaults[k]!r}" for k in shown)
        + f"), max_iter={max_iter}, adversarial_epsilon in {EPSILONS} (fraction "
        f"of each pixel's range), seed={args.seed}, M in {sizes}"
    )
    print(
        "metrics on the in-distribution test set: accuracy; NLL = sklearn log_loss; "
        "Brier = mean over samples of sum over classes (p_k - onehot_k)^2, in "
        "[0, 2]; ECE = top-label expected calibration error, 15 bins. AUROC: "
        "uncertainty (nats) as the score of in (0) versus out (1) of distribution."
    )
    print()

    start = time.perf_counter()
    results = {}
    configs = [(m, eps) for m in sizes for eps in EPSILONS]
    for i, (m, eps) in enumerate(configs, 1):
        print(
            f"[{i}/{len(configs)}] M={m} adversarial_epsilon={eps}: fitting ...",
            end=" ",
            flush=True,
        )
        clf = DeepEnsembleClassifier(
            n_estimators=m,
            adversarial_epsilon=eps,
            max_iter=max_iter,
            random_state=args.seed,
            **SETTINGS,
        )
        t0 = time.perf_counter()
        clf.fit(X_train, y_train)
        fit_time = time.perf_counter() - t0
        row = evaluate(clf, X_test, y_test, X_ood)
        row["fit_time"] = fit_time
        results[m, eps] = row
        print(
            f"fit {fit_time:.1f} s, accuracy {row['accuracy']:.4f}, elapsed "
            f"{time.perf_counter() - start:.1f} s",
            flush=True,
        )

    print()
    header = (
        f"{'M':>3} {'adv eps':>7} {'acc':>7} {'NLL':>7} {'Brier':>7} {'ECE':>7} "
        f"{'AUROC tot':>9} {'AUROC ale':>9} {'AUROC epi':>9} {'fit s':>7}"
    )
    print("In-distribution quality and OOD detection (AUROC of each uncertainty)")
    print(header)
    print("-" * len(header))
    for (m, eps), r in results.items():
        print(
            f"{m:>3} {eps or 0:>7g} {r['accuracy']:>7.4f} {r['nll']:>7.4f} "
            f"{r['brier']:>7.4f} {r['ece']:>7.4f} {r['auroc_total']:>9.4f} "
            f"{r['auroc_aleatoric']:>9.4f} {r['auroc_epistemic']:>9.4f} "
            f"{r['fit_time']:>7.1f}"
        )
    if 1 in sizes:
        print("(M=1: epistemic is 0 everywhere, so its AUROC is 0.5 by construction)")

    print()
    header = (
        f"{'M':>3} {'adv eps':>7} {'total in':>9} {'total out':>9} "
        f"{'ale in':>9} {'ale out':>9} {'epi in':>9} {'epi out':>9}"
    )
    print("Mean uncertainty in nats, in-distribution test (in) vs digits 5-9 (out)")
    print(header)
    print("-" * len(header))
    for (m, eps), r in results.items():
        print(
            f"{m:>3} {eps or 0:>7g} {r['in_total']:>9.4f} {r['out_total']:>9.4f} "
            f"{r['in_aleatoric']:>9.4f} {r['out_aleatoric']:>9.4f} "
            f"{r['in_epistemic']:>9.4f} {r['out_epistemic']:>9.4f}"
        )

    print()
    print(
        "Accuracy versus confidence on the in-distribution test set "
        f"(adversarial_epsilon={EPSILONS[-1]}): accuracy / fraction kept among the "
        "examples whose top probability >= threshold"
    )
    header = f"{'threshold':>9} " + " ".join(f"{f'M={m}':>15}" for m in sizes)
    print(header)
    print("-" * len(header))
    for j, threshold in enumerate(THRESHOLDS):
        cells = []
        for m in sizes:
            _, accuracy, kept = results[m, EPSILONS[-1]]["curve"]
            cells.append(f"{accuracy[j]:>7.4f} / {kept[j]:>5.3f}")
        print(f"{threshold:>9.1f} " + " ".join(f"{c:>15}" for c in cells))
    print()
    print(f"total time {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
