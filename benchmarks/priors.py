"""Honesty off the data: randomized prior functions and their alternatives.

Issue 15's study. Every variant is the estimators' defaults plus what its row
says, with ``random_state=seed``; the tables print those settings. Sections:

* ``cubic``: the seed's toy, 40 points with x in [-4, 4], y = x**3 + N(0, 3**2),
  per seed a fresh test set inside (|x| <= 4) and outside (4 < |x| <= 6):
  coverage of the central 95% interval outside (target >= 0.80), the mixture
  NLL inside (target <= 2.95), and the RMSE inside.
* ``spirals``: 3 spiral arms of 200 points; mean epistemic uncertainty (nats)
  on fresh test spirals ("on data") and on a ring of radius 1.5 to 2 ("far");
  their ratio, and the share of far points more uncertain than the median
  on-data point.
* ``digits``: train on the digits 0-4, flag 5-9 (as benchmarks/ood_digits.py):
  epistemic AUROC (target >= 0.96) and in-distribution accuracy (>= 0.98).

Variants (``--variants``): ``off``; ``prior=S`` (``prior_scale=S``); ``tanh``
(``activation="tanh"``) and ``tanh+prior=S``; ``samples=K``
(``posterior_samples=K``, issue 22; combines with the others); ``anchored``
(prototype of anchored ensembles, Pearce et al. 2020: each member's L2
penalty pulls towards its own random anchor, which is also its
initialisation); ``bagging`` (prototype: each member trained on its own
bootstrap resample, as sample weights of multinomial counts, then combined as
the uniform mixture).

The UCI half of the study runs ``benchmarks/uci.py --set prior_scale=S``.

Usage::

    python benchmarks/priors.py                      # every section, 3 seeds
    python benchmarks/priors.py --sections cubic --seeds 1
    python benchmarks/priors.py --variants off prior=1 prior=3
"""

import argparse
import contextlib
import time
import warnings

import jax
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

from skdeepens import DeepEnsembleClassifier, DeepEnsembleRegressor
from skdeepens._core import network, training
from skdeepens._ensemble import _base as _ensemble
from skdeepens._mixture import (
    MixtureDistribution,
    classification_uncertainty,
)
from skdeepens.datasets import make_cubic, make_spirals
from skdeepens.metrics import interval_coverage_score, mixture_nll_loss

DEFAULT_VARIANTS = (
    "off",
    "prior=0.3",
    "prior=1",
    "prior=3",
    "tanh",
    "tanh+prior=1",
    "anchored",
    "bagging",
)
N_MEMBERS = 5  # the estimators' default; bagging trains this many single fits


# ------------------------------------------------------------------ variants


def variant_params(variant):
    """Estimator parameters of a variant (beyond the defaults)."""
    params = {}
    for part in variant.split("+"):
        if part == "tanh":
            params["activation"] = "tanh"
        elif part.startswith("prior="):
            params["prior_scale"] = float(part.partition("=")[2])
        elif part.startswith("samples="):
            params["posterior_samples"] = int(part.partition("=")[2])
        elif part not in ("off", "anchored", "bagging"):
            raise ValueError(f"unknown variant part {part!r} in {variant!r}")
    return params


@contextlib.contextmanager
def anchored_prototype():
    """Anchored ensembles through the prior machinery, for this study only.

    Each member is reparametrised as ``W = A + D``: ``A`` its random anchor (a
    Glorot draw from the prior stream, whole, scale head included), ``D`` the
    trained offset, initialised at 0 and penalised by the usual L2 term. Then
    the member starts at its anchor and its penalty is ``||W - A||**2``, which
    is Pearce et al.'s anchored objective (with the package's Glorot anchors
    rather than draws from the penalty's Gaussian).
    """
    originals = (
        _ensemble._init_member,
        _ensemble._init_prior,
        training.forward_with_prior,
        network.predict_ensemble,
    )
    init_member, _, _, predict = originals

    def zeros(rng, shapes, activation):
        return tuple(
            (np.zeros(s, np.float32), np.zeros(s[1], np.float32)) for s in shapes
        )

    def anchor(rng, shapes, activation, n_location):
        return init_member(rng, shapes, activation)

    def add(a, b):
        return tuple((wa + wb, ba + bb) for (wa, ba), (wb, bb) in zip(a, b))

    def forward(params, prior, scale, x, activation):
        return network.forward(add(params, prior), x, activation)

    def predict_anchored(params, x, activation, prior=None):
        return predict(add(params, prior[0]), x, activation)

    jitted = training._run_epochs_jit
    _ensemble._init_member = zeros
    _ensemble._init_prior = anchor
    training.forward_with_prior = forward
    network.predict_ensemble = predict_anchored
    # Programs compiled before traced the real forward: fresh jit wrappers,
    # whose caches hold the anchored programs only.
    training._run_epochs_jit = jax.jit(
        training._run_epochs, static_argnames=("config",), donate_argnums=0
    )
    try:
        yield
    finally:
        (
            _ensemble._init_member,
            _ensemble._init_prior,
            training.forward_with_prior,
            network.predict_ensemble,
        ) = originals
        training._run_epochs_jit = jitted


def fit(kind, variant, X, y, seed):
    """Fit a variant; return a list of fitted estimators (one unless bagging)."""
    cls = DeepEnsembleRegressor if kind == "reg" else DeepEnsembleClassifier
    params = variant_params(variant)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        if variant == "anchored":
            # prior_scale > 0 only routes the anchors through the trainer.
            with anchored_prototype():
                est = cls(random_state=seed, prior_scale=1.0).fit(X, y)
            # The member is the network W = A + D: predict through it plainly.
            est.params_ = tuple(
                (w + wa, b + ba)
                for (w, b), (wa, ba) in zip(est.params_, est.prior_params_)
            )
            del est.prior_params_
            return [est], params
        if variant == "bagging":
            rng = np.random.default_rng([seed, 7])
            fits = []
            for m in range(N_MEMBERS):
                counts = rng.multinomial(len(X), np.full(len(X), 1 / len(X)))
                est = cls(n_estimators=1, random_state=seed * 1000 + m, **params)
                fits.append(est.fit(X, y, sample_weight=counts.astype(float)))
            return fits, params
        return [cls(random_state=seed, **params).fit(X, y)], params


def predictive(fits, X):
    """The mixture of every member of every fit (regression)."""
    locs, scales = [], []
    for est in fits:
        dist = est.predict_dist(X)
        members = dist.members
        locs.append(members.loc)
        scales.append(members.scale)
    family = "gaussian" if fits[0].loss == "gaussian_nll" else "laplace"
    return MixtureDistribution(np.concatenate(locs), np.concatenate(scales), family)


def proba_split(fits, X):
    """Member probabilities of every fit, and their uncertainty split."""
    member_proba = np.exp(np.concatenate([est._member_log_proba(X) for est in fits]))
    return member_proba.mean(axis=0), classification_uncertainty(member_proba)


# ------------------------------------------------------------------ sections


def cubic_test_points(n, seed):
    X_in, y_in = make_cubic(n, noise=3.0, random_state=seed)
    X_out, y_out = make_cubic(n, noise=3.0, x_range=(4, 6), random_state=seed + 1)
    flip = np.arange(n) % 2 == 1  # half on the left: -x, -y is a valid draw
    X_out[flip], y_out[flip] = -X_out[flip], -y_out[flip]
    return (X_in, y_in), (X_out, y_out)


def cubic(variants, seeds):
    rows = []
    for variant in variants:
        scores = []
        start = time.perf_counter()
        for seed in seeds:
            X, y = make_cubic(40, noise=3.0, random_state=seed)
            fits, params = fit("reg", variant, X, y, seed)
            (X_in, y_in), (X_out, y_out) = cubic_test_points(1000, 10_000 + seed)
            d_in, d_out = predictive(fits, X_in), predictive(fits, X_out)
            lo, hi = d_out.interval(0.95)
            lo_in, hi_in = d_in.interval(0.95)
            scores.append(
                [
                    interval_coverage_score(y_out, lo, hi),
                    interval_coverage_score(y_in, lo_in, hi_in),
                    mixture_nll_loss(y_in, d_in),
                    float(np.sqrt(np.mean((d_in.mean() - y_in) ** 2))),
                    float(np.mean(d_out.std())),
                ]
            )
        mean = np.mean(scores, axis=0)
        rows.append((variant, *mean, time.perf_counter() - start))
    print(f"\nCubic toy: {len(seeds)} seed(s), 1000 fresh test points each side")
    print(
        f"{'variant':<14} {'cov95 out':>9} {'cov95 in':>9} {'NLL in':>8} "
        f"{'RMSE in':>8} {'sd out':>8} {'seconds':>8}"
    )
    for r in rows:
        print(
            f"{r[0]:<14} {r[1]:9.3f} {r[2]:9.3f} {r[3]:8.3f} {r[4]:8.3f} "
            f"{r[5]:8.1f} {r[6]:8.1f}"
        )
    print("targets: cov95 out >= 0.80, NLL in <= 2.95")
    return rows


def far_ring(n, seed):
    rng = np.random.default_rng(seed)
    radius = rng.uniform(1.5, 2.0, n)
    angle = rng.uniform(0, 2 * np.pi, n)
    return np.c_[radius * np.sin(angle), radius * np.cos(angle)]


def spirals(variants, seeds):
    rows = []
    for variant in variants:
        scores = []
        start = time.perf_counter()
        for seed in seeds:
            X, y = make_spirals(n_samples_per_class=200, random_state=seed)
            X_test, y_test = make_spirals(
                n_samples_per_class=200, random_state=10_000 + seed
            )
            fits, _ = fit("clf", variant, X, y, seed)
            proba, u_on = proba_split(fits, X_test)
            _, u_far = proba_split(fits, far_ring(2000, seed))
            on, far = u_on.epistemic, u_far.epistemic
            accuracy = np.mean(fits[0].classes_[proba.argmax(1)] == y_test)
            scores.append(
                [
                    on.mean(),
                    far.mean(),
                    far.mean() / max(on.mean(), 1e-12),
                    np.mean(far > np.median(on)),
                    accuracy,
                ]
            )
        mean = np.mean(scores, axis=0)
        rows.append((variant, *mean, time.perf_counter() - start))
    print(f"\nSpirals far field (radius 1.5-2): {len(seeds)} seed(s)")
    print(
        f"{'variant':<14} {'epi on':>8} {'epi far':>8} {'far/on':>7} "
        f"{'far>med':>8} {'accuracy':>8} {'seconds':>8}"
    )
    for r in rows:
        print(
            f"{r[0]:<14} {r[1]:8.4f} {r[2]:8.4f} {r[3]:7.2f} {r[4]:8.3f} "
            f"{r[5]:8.3f} {r[6]:8.1f}"
        )
    return rows


def digits(variants, seeds):
    X_all, y_all = load_digits(return_X_y=True)
    inside = np.isin(y_all, (0, 1, 2, 3, 4))
    rows = []
    for variant in variants:
        scores = []
        start = time.perf_counter()
        for seed in seeds:
            X_tr, X_te, y_tr, y_te = train_test_split(
                X_all[inside],
                y_all[inside],
                test_size=0.3,
                stratify=y_all[inside],
                random_state=seed,
            )
            fits, _ = fit("clf", variant, X_tr, y_tr, seed)
            proba, u_in = proba_split(fits, X_te)
            _, u_out = proba_split(fits, X_all[~inside])
            is_ood = np.r_[np.zeros(len(X_te)), np.ones(int((~inside).sum()))]
            scores.append(
                [
                    roc_auc_score(is_ood, np.r_[u_in.epistemic, u_out.epistemic]),
                    roc_auc_score(is_ood, np.r_[u_in.total, u_out.total]),
                    np.mean(fits[0].classes_[proba.argmax(1)] == y_te),
                ]
            )
        mean = np.mean(scores, axis=0)
        rows.append((variant, *mean, time.perf_counter() - start))
    print(f"\nDigits 0-4 vs 5-9: {len(seeds)} split(s)")
    print(
        f"{'variant':<14} {'AUROC epi':>9} {'AUROC tot':>9} {'accuracy':>8} "
        f"{'seconds':>8}"
    )
    for r in rows:
        print(f"{r[0]:<14} {r[1]:9.3f} {r[2]:9.3f} {r[3]:8.3f} {r[4]:8.1f}")
    print("targets: AUROC epi >= 0.96, accuracy >= 0.98")
    return rows


SECTIONS = {"cubic": cubic, "spirals": spirals, "digits": digits}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sections", nargs="+", default=list(SECTIONS))
    parser.add_argument("--variants", nargs="+", default=list(DEFAULT_VARIANTS))
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args(argv)
    for variant in args.variants:
        variant_params(variant)  # fail early on a typo
    print(
        "Settings: the estimators' defaults "
        f"({DeepEnsembleRegressor().get_params()!r}) plus each variant's change."
    )
    for name in args.sections:
        SECTIONS[name](args.variants, list(range(args.seeds)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
