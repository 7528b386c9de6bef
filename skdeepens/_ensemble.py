"""The scikit-learn layer: validation, scaling, fit orchestration and the estimators.

This is the only module that imports both JAX and scikit-learn. The numerics live
in :mod:`skdeepens._core` (training) and :mod:`skdeepens._mixture` (combining
members); here we validate, standardise, draw each member's randomness, run the
epoch loop with scikit-learn's stopping rules, and keep the fitted state as NumPy.
"""

import time
import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import Bunch, check_random_state
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    check_is_fitted,
    validate_data,
)

from . import _validation
from ._core import network, training
from ._core.likelihoods import MIN_SCALE, SCALE_LOSSES
from ._mixture import (
    MixtureDistribution,
    classification_uncertainty,
    regression_uncertainty,
)
from ._validation import weighted_standardisation as _weighted_standardisation

# Steps per compiled call. A constant, so that the compiled program's shapes do
# not depend on the number of rows; steps past the end of an epoch are not run.
_STEPS_PER_CALL = 32
# batch_size="auto": about n / 100 rows, between 32 and 200. Small data sets get
# small batches, hence enough gradient steps per epoch to learn in few epochs;
# large ones get batches of 200, as scikit-learn's MLP, for throughput.
_AUTO_BATCH_RANGE = (32, 200)
# n_iter_no_change="auto": the patience of the stopping rule, counted in gradient
# steps rather than epochs (at least 10 epochs), so that a small data set is not
# stopped after a few hundred noisy steps and a large one does not idle for
# hundreds of long epochs.
_AUTO_PATIENCE_STEPS = 4000
_AUTO_PATIENCE_MIN_EPOCHS = 10
# Prediction runs in chunks of at most this many rows (bounded memory).
_PREDICT_CHUNK = 1 << 16
# Validation losses are evaluated in chunks of this many rows (zero-weight
# padding), so that validation sets of any size share one compiled program.
_VALIDATION_CHUNK = 1024
# Seed-sequence key of the early-stopping split, apart from the members' keys.
_VALIDATION_STREAM = 2**32 - 1


def _next_power_of_two(n):
    return 1 << max(int(n) - 1, 0).bit_length()


def _member_rng(seed, member):
    """Member ``member``'s random generator: a function of the seed and m alone."""
    return np.random.default_rng(np.random.SeedSequence([seed, member]))


def _softplus(x):
    return np.logaddexp(0.0, x)


def _init_member(rng, shapes, activation):
    """Glorot-uniform initial weights and biases of one member (as sklearn's MLP)."""
    params = []
    for fan_in, fan_out in shapes:
        bound = network.init_bound(fan_in, fan_out, activation)
        weights = rng.uniform(-bound, bound, size=(fan_in, fan_out))
        bias = rng.uniform(-bound, bound, size=fan_out)
        params.append((weights.astype(np.float32), bias.astype(np.float32)))
    return tuple(params)


def _stack(member_params):
    """Stack a list of per-member parameter tuples along a new leading axis."""
    return tuple(
        (
            np.stack([p[i][0] for p in member_params]),
            np.stack([p[i][1] for p in member_params]),
        )
        for i in range(len(member_params[0]))
    )


def _concatenate(first, second):
    return tuple(
        (np.concatenate([w1, w2]), np.concatenate([b1, b2]))
        for (w1, b1), (w2, b2) in zip(first, second)
    )


def _to_numpy(params):
    return tuple((np.asarray(w), np.asarray(b)) for w, b in params)


def _predict_members(params, X, activation):
    """Raw outputs of every member, shape (n_members, n_samples, n_outputs)."""
    # Chunks bound the memory of the hidden activations on very large X.
    return np.concatenate(
        [
            network.predict_ensemble(
                params, X[start : start + _PREDICT_CHUNK], activation
            )
            for start in range(0, max(len(X), 1), _PREDICT_CHUNK)
        ],
        axis=1,
    )


class _BaseDeepEnsemble(BaseEstimator):
    """Shared machinery of the regressor and the classifier.

    Subclasses encode their targets into a float matrix (standardised values or
    one-hot classes), choose the loss, and turn the members' raw outputs into
    predictions; everything else (validation, scaling, per-member randomness,
    the compiled training loop, stopping, warm start) happens here once.
    """

    _parameter_constraints: dict = {
        "n_estimators": [Interval(Integral, 1, None, closed="left")],
        "hidden_layer_sizes": [
            "array-like",
            Interval(Integral, 1, None, closed="left"),
        ],
        "activation": [StrOptions({"identity", "logistic", "tanh", "relu"})],
        "adversarial_epsilon": [None, Interval(Real, 0, None, closed="left")],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [
            StrOptions({"auto"}),
            Interval(Integral, 1, None, closed="left"),
        ],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [
            Interval(Integral, 1, None, closed="left"),
            Options(Real, {np.inf}),
            StrOptions({"auto"}),
        ],
        "tol": [Interval(Real, 0, None, closed="left")],
        "warm_start": ["boolean"],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    # ------------------------------------------------------------------ fitting

    def _validate_params(self):
        super()._validate_params()
        _validation.check_numeric_parameters(self)

    def _hidden_layer_sizes(self):
        sizes = self.hidden_layer_sizes
        sizes = [sizes] if isinstance(sizes, Integral) else list(sizes)
        if any(not isinstance(s, Integral) or s < 1 for s in sizes):
            raise ValueError(
                "hidden_layer_sizes must contain positive integers; "
                f"got {self.hidden_layer_sizes!r}"
            )
        return tuple(int(s) for s in sizes)

    def _is_warm_starting(self):
        return self.warm_start and hasattr(self, "params_")

    def _fit_members(self, X, targets, sample_weight, stratify=None):
        """Standardise, then train the members this fit adds.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            Validated inputs.
        targets : ndarray of shape (n_samples, n_targets)
            Encoded targets: raw regression targets, or one-hot classes.
        sample_weight : ndarray of shape (n_samples,)
            Validated non-negative weights.
        stratify : ndarray or None
            Labels to stratify the early-stopping split by (classification).
        """
        warm = self._is_warm_starting()
        n_existing = self.params_[0][0].shape[0] if warm else 0
        if warm and self.n_estimators < n_existing:
            raise ValueError(
                f"n_estimators={self.n_estimators} must be at least the number of "
                f"members already fitted ({n_existing}) when warm_start=True"
            )
        if warm and self.n_estimators == n_existing:
            warnings.warn(
                "Warm-start fitting without increasing n_estimators does not fit "
                "new members.",
                UserWarning,
                stacklevel=_validation.user_stacklevel(),
            )
            return

        if not warm:
            positive = sample_weight > 0
            self._x_mean, self._x_scale = _weighted_standardisation(X, sample_weight)
            self._x_range = np.ptp(X[positive], axis=0)
            self._seed = self._draw_seed()
            self._target_mean, self._target_scale = self._target_standardisation(
                targets, sample_weight
            )

        X_std = ((X - self._x_mean) / self._x_scale).astype(np.float32)
        T_std = ((targets - self._target_mean) / self._target_scale).astype(np.float32)
        weights = sample_weight.astype(np.float32)

        validation = None
        if self.early_stopping:
            train_idx, val_idx = self._validation_split(len(X), stratify)
            validation = (X_std[val_idx], T_std[val_idx], weights[val_idx])
            X_std, T_std, weights = (
                X_std[train_idx],
                T_std[train_idx],
                weights[train_idx],
            )
        if not np.any(weights > 0):
            raise ValueError(
                "The training data has no sample with a positive sample_weight."
            )

        members = range(n_existing, self.n_estimators)
        rngs = [_member_rng(self._seed, m) for m in members]
        shapes = network.layer_shapes(
            X.shape[1],
            self._hidden_layer_sizes(),
            self._n_network_outputs(targets.shape[1]),
        )
        init = _stack([_init_member(rng, shapes, self.activation) for rng in rngs])

        params, curve, val_curve = self._train(
            init, rngs, X_std, T_std, weights, validation
        )

        if warm:
            self.params_ = _concatenate(self.params_, params)
            self.loss_curve_ = _append_columns(self.loss_curve_, curve)
            if validation is not None:
                self.validation_loss_curve_ = _append_columns(
                    self.validation_loss_curve_, val_curve
                )
        else:
            self.params_ = params
            self.loss_curve_ = curve
            if validation is not None:
                self.validation_loss_curve_ = val_curve
            elif hasattr(self, "validation_loss_curve_"):
                del self.validation_loss_curve_
        self.n_iter_ = int(self.loss_curve_.shape[0])

    def _draw_seed(self):
        if isinstance(self.random_state, Integral):
            return int(self.random_state)
        return int(
            check_random_state(self.random_state).randint(np.iinfo(np.int32).max)
        )

    def _validation_split(self, n_samples, stratify):
        rng = _member_rng(self._seed, _VALIDATION_STREAM)
        split_seed = int(rng.integers(np.iinfo(np.int32).max))
        indices = np.arange(n_samples)
        if stratify is not None:
            try:
                return train_test_split(
                    indices,
                    test_size=self.validation_fraction,
                    random_state=split_seed,
                    stratify=stratify,
                )
            except ValueError:
                pass  # too few samples of some class to stratify: split at random
        try:
            return train_test_split(
                indices, test_size=self.validation_fraction, random_state=split_seed
            )
        except ValueError as exc:
            raise ValueError(
                f"early_stopping needs enough samples to set aside "
                f"validation_fraction={self.validation_fraction} of them; with "
                f"n_samples={n_samples} the split failed: {exc}"
            ) from exc

    def _batch_sizes(self, n_samples):
        """Rows per batch actually used, and the (padded) width compiled for."""
        if self.batch_size == "auto":
            low, high = _AUTO_BATCH_RANGE
            requested = min(max(low, n_samples // 100), high)
        else:
            requested = self.batch_size
        used = min(requested, n_samples)
        # Rounding small data sets up to a power of two keeps the number of
        # distinct compiled shapes small without padding them to 200 rows.
        compiled = min(requested, _next_power_of_two(n_samples))
        return used, compiled

    def _hyperparams(self, weight_total):
        eps = self.adversarial_epsilon or 0.0
        # eps is a fraction of each feature's range in the original units; the
        # network sees standardised inputs, so the step is range / scale there.
        step = eps * self._x_range / self._x_scale
        return training.Hyperparams(
            learning_rate=np.float32(self.learning_rate_init),
            alpha=np.float32(self.alpha),
            weight_total=np.float32(weight_total),
            adversarial_step=step.astype(np.float32),
        )

    def _train(self, init_params, rngs, X, T, weights, validation):
        """The epoch loop: compiled steps, per-member stopping, loss curves."""
        n_members, n_samples = len(rngs), X.shape[0]
        used, width = self._batch_sizes(n_samples)
        n_batches = -(-n_samples // used)
        n_calls = -(-n_batches // _STEPS_PER_CALL)
        config = training.TrainConfig(
            loss=self.loss,
            activation=self.activation,
            adversarial=bool(self.adversarial_epsilon),
        )
        hyper = self._hyperparams(float(weights.sum()))
        state = training.init_state(init_params)

        fixed_schedule = self.n_iter_no_change == np.inf
        patience = self._patience(n_batches)
        active = np.ones(n_members, dtype=bool)
        best_loss = np.full(n_members, np.inf)
        no_improvement = np.zeros(n_members, dtype=int)
        converged = np.zeros(n_members, dtype=bool)
        best_params = _to_numpy(init_params) if validation is not None else None
        curve, val_curve = [], []
        start_time = time.perf_counter()

        for epoch in range(self.max_iter):
            if self.shuffle:
                order = np.stack([rng.permutation(n_samples) for rng in rngs])
            else:
                order = np.broadcast_to(np.arange(n_samples), (n_members, n_samples))
            # Row indices of every (step, member, slot); -1 marks padding.
            index = np.full((n_calls * _STEPS_PER_CALL, n_members, width), -1)
            for b in range(n_batches):
                rows = order[:, b * used : (b + 1) * used]
                index[b, :, : rows.shape[1]] = rows
            padding = index < 0
            index[padding] = 0
            batch_weights = np.where(padding, np.float32(0.0), weights[index])

            chunk_losses = []
            for call in range(n_calls):
                steps = slice(call * _STEPS_PER_CALL, (call + 1) * _STEPS_PER_CALL)
                state, losses = training.train_chunk(
                    state,
                    X[index[steps]],
                    T[index[steps]],
                    batch_weights[steps],
                    np.int32(min(_STEPS_PER_CALL, n_batches - call * _STEPS_PER_CALL)),
                    active,
                    hyper,
                    config,
                )
                chunk_losses.append(losses)
            # Each member's epoch loss: its batches' losses weighted by batch weight.
            step_weights = batch_weights[:n_batches].sum(axis=2)
            step_losses = np.concatenate([np.asarray(c) for c in chunk_losses])[
                :n_batches
            ]
            epoch_loss = (step_losses * step_weights).sum(0) / np.maximum(
                step_weights.sum(0), 1e-12
            )
            if not np.all(np.isfinite(epoch_loss[active])):
                bad = np.flatnonzero(active & ~np.isfinite(epoch_loss))
                raise ValueError(
                    f"The fit diverged: member(s) {bad.tolist()} produced a non-finite "
                    f"loss at epoch {epoch + 1}. Try a smaller learning_rate_init "
                    f"(now {self.learning_rate_init}), a larger alpha, or check the "
                    "data for extreme values."
                )
            curve.append(np.where(active, epoch_loss, np.nan))

            if validation is not None:
                monitored = self._validation_loss(state.params, validation)
                val_curve.append(np.where(active, monitored, np.nan))
                improved = active & (monitored < best_loss)
                if np.any(improved):
                    best_params = _select(
                        improved, _to_numpy(state.params), best_params
                    )
            else:
                monitored = epoch_loss
            if self.verbose:
                print(
                    f"Epoch {epoch + 1}: loss = {np.nanmean(curve[-1]):.6f} "
                    f"(mean over {int(active.sum())} training members), "
                    f"elapsed = {time.perf_counter() - start_time:.2f} s"
                )
            # scikit-learn's MLP rule, applied to each member separately so that a
            # member trains identically whatever the other members do.
            stalled = monitored > best_loss - self.tol
            no_improvement = np.where(active & stalled, no_improvement + 1, 0 * stalled)
            best_loss = np.where(active, np.minimum(best_loss, monitored), best_loss)
            if not fixed_schedule:
                stopping = active & (no_improvement > patience)
                converged |= stopping
                active = active & ~stopping
            if not np.any(active):
                break

        params = _to_numpy(state.params) if validation is None else best_params
        if not all(np.all(np.isfinite(leaf)) for layer in params for leaf in layer):
            raise ValueError(
                "The fit diverged: the optimiser produced non-finite parameter "
                f"weights. Try a smaller learning_rate_init (now "
                f"{self.learning_rate_init}) or a larger alpha."
            )
        if not fixed_schedule and not np.all(converged):
            warnings.warn(
                f"Stochastic optimizer: maximum iterations ({self.max_iter}) reached "
                f"and the optimization hasn't converged yet for "
                f"{int(np.sum(~converged))} of {n_members} members. Increase "
                "max_iter, or set n_iter_no_change=np.inf for a fixed number of "
                "epochs.",
                ConvergenceWarning,
                stacklevel=_validation.user_stacklevel(),
            )
        val_curve = np.array(val_curve) if validation is not None else None
        return params, np.array(curve), val_curve

    def _patience(self, steps_per_epoch):
        """Epochs without improvement after which a member stops."""
        if self.n_iter_no_change != "auto":
            return self.n_iter_no_change
        epochs = -(-_AUTO_PATIENCE_STEPS // steps_per_epoch)
        return max(_AUTO_PATIENCE_MIN_EPOCHS, epochs)

    def _validation_loss(self, params, validation):
        """Each member's weighted mean loss on the validation rows."""
        X_val, T_val, w_val = validation
        total = np.zeros(params[0][0].shape[0])
        for start in range(0, len(X_val), _VALIDATION_CHUNK):
            rows = slice(start, start + _VALIDATION_CHUNK)
            pad = _VALIDATION_CHUNK - len(X_val[rows])
            total += np.asarray(
                training.weighted_loss_sum(
                    params,
                    np.pad(X_val[rows], ((0, pad), (0, 0))),
                    np.pad(T_val[rows], ((0, pad), (0, 0))),
                    np.pad(w_val[rows], (0, pad)),  # zero weight on padding
                    self.loss,
                    self.activation,
                ),
                dtype=np.float64,
            )
        return total / max(float(w_val.sum()), 1e-12)

    # --------------------------------------------------------------- predicting

    def _member_outputs(self, X, *, with_inputs=False):
        """Validated X through every member: raw outputs (n_members, n, n_out).

        With ``with_inputs``, also return the validated X, as ``(X, outputs)``.
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        # Overflow far from the training data is reported by the check below.
        with np.errstate(over="ignore", invalid="ignore"):
            X_std = (X - self._x_mean) / self._x_scale
            out = _predict_members(self.params_, X_std, self.activation)
        self._check_predictions(X, outputs=out)
        return (X, out) if with_inputs else out

    def _check_predictions(self, X, **arrays):
        extent = float(np.max(np.abs(self._x_mean) + self._x_range))
        _validation.check_finite_predictions(X, extent, **arrays)


def _select(mask, new_tree, old_tree):
    return tuple(
        tuple(
            np.where(mask.reshape((-1,) + (1,) * (new.ndim - 1)), new, old)
            for new, old in zip(new_layer, old_layer)
        )
        for new_layer, old_layer in zip(new_tree, old_tree)
    )


def _append_columns(old, new):
    """Join two (n_iter, n_members) curves side by side, NaN-padding the shorter."""
    n_rows = max(old.shape[0], new.shape[0])

    def pad(curve):
        missing = n_rows - curve.shape[0]
        return np.pad(curve, ((0, missing), (0, 0)), constant_values=np.nan)

    return np.hstack([pad(old), pad(new)])


_COMMON_PARAMETERS_DOC = """
    n_estimators : int, default=5
        Number of members M. Member ``m`` depends only on ``random_state`` and
        ``m``: the first three members of a 5-member ensemble are the members of
        a 3-member one.
    hidden_layer_sizes : int or tuple of int, default=(50, 50)
        Widths of the hidden layers of every member. The paper's UCI setup uses
        one layer of 50; a second layer was the largest single improvement of
        test NLL on the UCI benchmark (benchmarks/uci.py) at a modest cost.
    activation : {"relu", "tanh", "logistic", "identity"}, default="relu"
        Hidden-layer nonlinearity, as in :class:`~sklearn.neural_network.MLPRegressor`.
    adversarial_epsilon : float or None, default=None
        FGSM adversarial training (Goodfellow et al., 2015): each step also
        trains on ``x + adversarial_epsilon * range * sign(grad_x loss)``, where
        ``range`` is each feature's range on the training data, and averages the
        two losses. The paper uses 0.01. ``None`` or 0 turns it off (and halves
        the cost of a step).
    alpha : float, default=1.0
        Strength of the L2 penalty ``0.5 * alpha * ||W||**2`` (weight decay),
        divided by the total sample weight: the objective is then the maximum a
        posteriori objective of the data set under a Gaussian prior of precision
        ``alpha`` on the weights (``alpha=1``: a standard normal prior), whose
        influence fades as the data grow.
    batch_size : int or "auto", default="auto"
        Rows per minibatch. "auto" takes ``n_samples // 100`` clipped to
        [32, 200]: small data sets get small batches and so enough gradient
        steps per epoch, large ones batches of 200 for throughput.
    learning_rate_init : float, default=1e-2
        Adam's step size. Inputs and targets are standardised, so one rate fits
        most data; early stopping catches the late overshoot a large rate risks.
    max_iter : int, default=2000
        Maximum number of epochs (passes over the training data), a cap: with
        the default stopping rule members usually stop long before it.
    shuffle : bool, default=True
        Whether each member draws its own data order every epoch.
    early_stopping : bool, default=True
        Set aside ``validation_fraction`` of the training data and stop each
        member when its validation loss (the training loss, without penalty or
        adversarial term) has not improved by ``tol`` for ``n_iter_no_change``
        epochs; each member keeps its best parameters. On by default, unlike
        scikit-learn's MLP: a network trained on a likelihood overfits by
        growing overconfident (its variance shrinks) long before its error
        rises, and how long to train differs widely between data sets. With
        ``early_stopping=False`` a member stops when its training loss stalls.
    validation_fraction : float, default=0.1
        Share of the training data set aside when ``early_stopping=True``.
    n_iter_no_change : int, np.inf or "auto", default="auto"
        Epochs without improvement by at least ``tol`` after which a member
        stops. "auto" counts the patience in gradient steps: the epochs that
        make 4000 steps, and at least 10. ``np.inf`` gives the paper's fixed
        schedule: every member trains exactly ``max_iter`` epochs (keeping its
        best validation parameters if ``early_stopping``) and no
        ``ConvergenceWarning`` is raised.
    tol : float, default=1e-4
        Minimal improvement of the monitored loss that resets the count.
    warm_start : bool, default=False
        When True, a new call to ``fit`` keeps the fitted members and trains only
        the members added by a larger ``n_estimators`` (as in
        :class:`~sklearn.ensemble.BaggingRegressor`); they are the same networks
        a fresh fit would train. Changing ``activation``, ``loss``,
        ``hidden_layer_sizes``, the number of features or the width of ``y``
        between warm fits raises a ``ValueError``.
    random_state : int, RandomState instance or None, default=None
        Seeds every member's initial weights and data order.
    verbose : int, default=0
        When positive, print one line per epoch: the epoch, the mean loss over
        the members still training, and the elapsed time.
"""

_COMMON_ATTRIBUTES_DOC = """
    params_ : tuple of (ndarray, ndarray)
        Each layer's weights of shape (n_estimators, fan_in, fan_out) and biases
        of shape (n_estimators, fan_out), stacked over the members, for
        standardised inputs.
    loss_curve_ : ndarray of shape (n_iter, n_estimators)
        Each member's training objective per epoch; NaN after it stopped.
    validation_loss_curve_ : ndarray of shape (n_iter, n_estimators)
        Each member's validation loss per epoch (only with ``early_stopping``).
    n_iter_ : int
        Epochs run by the longest-training member (``n_iter`` rows of the
        loss curves).
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features,)
        Names of the features seen during fit, when X has string column names.
"""


class DeepEnsembleRegressor(RegressorMixin, _BaseDeepEnsemble):
    __doc__ = (
        """Deep ensemble of neural networks for regression with predictive uncertainty.

    M multilayer perceptrons, each from its own random initialisation and data
    order, trained with a proper scoring rule (Lakshminarayanan, Pritzel &
    Blundell, 2017). With a likelihood loss each member predicts a mean and a
    scale; the ensemble predicts their uniform mixture, whose variance splits
    into an aleatoric part (the noise the members expect) and an epistemic part
    (the members' disagreement). All members train at once in one compiled JAX
    program; inputs and targets are standardised internally and every output
    is in the target's original units.

    Parameters
    ----------"""
        + _COMMON_PARAMETERS_DOC.replace(
            "    adversarial_epsilon",
            """    loss : {"gaussian_nll", "laplace_nll", "squared_error", \
"absolute_error"}, default="gaussian_nll"
        Training loss of each member. The negative log-likelihoods learn a scale
        ``softplus(rho) + 1e-6`` next to the mean; the point losses are
        baselines with no scale (their aleatoric uncertainty is zero).
    adversarial_epsilon""",
            1,
        )
        + """
    Attributes
    ----------"""
        + _COMMON_ATTRIBUTES_DOC
        + """
    See Also
    --------
    DeepEnsembleClassifier : The classification counterpart.
    sklearn.neural_network.MLPRegressor : A single network, point predictions.

    References
    ----------
    B. Lakshminarayanan, A. Pritzel and C. Blundell, "Simple and Scalable
    Predictive Uncertainty Estimation using Deep Ensembles", NeurIPS 2017.

    Examples
    --------
    >>> from skdeepens import DeepEnsembleRegressor
    >>> from skdeepens.datasets import make_cubic
    >>> X, y = make_cubic(n_samples=40, random_state=0)
    >>> reg = DeepEnsembleRegressor(n_estimators=3, max_iter=50, random_state=0)
    >>> reg = reg.fit(X, y)  # doctest: +SKIP
    >>> mean, std = reg.predict([[0.0], [6.0]], return_std=True)  # doctest: +SKIP
    """
    )

    _parameter_constraints = {
        **_BaseDeepEnsemble._parameter_constraints,
        "loss": [
            StrOptions(
                {"gaussian_nll", "laplace_nll", "squared_error", "absolute_error"}
            )
        ],
    }

    def __init__(
        self,
        n_estimators=5,
        *,
        hidden_layer_sizes=(50, 50),
        activation="relu",
        loss="gaussian_nll",
        adversarial_epsilon=None,
        alpha=1.0,
        batch_size="auto",
        learning_rate_init=1e-2,
        max_iter=2000,
        shuffle=True,
        early_stopping=True,
        validation_fraction=0.1,
        n_iter_no_change="auto",
        tol=1e-4,
        warm_start=False,
        random_state=None,
        verbose=0,
    ):
        self.n_estimators = n_estimators
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.loss = loss
        self.adversarial_epsilon = adversarial_epsilon
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate_init = learning_rate_init
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.warm_start = warm_start
        self.random_state = random_state
        self.verbose = verbose

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Train the ensemble.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training inputs; no NaN or infinity.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights; a zero weight removes a row (the internal
            standardisation is weighted too).

        Returns
        -------
        self : DeepEnsembleRegressor
            The fitted estimator.
        """
        _validation.check_not_forked_after_jax()
        warm = self._is_warm_starting()
        X, y = validate_data(
            self,
            X,
            y,
            reset=not warm,
            multi_output=True,
            y_numeric=True,
            ensure_min_samples=2,
            dtype=np.float64,
        )
        _validation.check_regression_targets(y)
        if warm and y.ndim != self._y_ndim:
            raise ValueError(
                "warm_start=True needs y of the same shape as the first fit"
            )
        sample_weight = _validation.check_sample_weight(sample_weight, X)
        targets = y.reshape(len(y), -1)
        _validation.check_magnitude(X, "X")
        _validation.check_magnitude(targets, "y")
        signature = _validation.fit_signature(self, targets.shape[1])
        _validation.check_warm_start(self, signature)
        self._y_ndim = y.ndim
        self._fit_members(X, targets, sample_weight)
        self._fit_signature = signature
        return self

    def _target_standardisation(self, targets, sample_weight):
        mean, scale = _weighted_standardisation(targets, sample_weight)
        _validation.check_target_scale(scale)
        return mean, scale

    def _n_network_outputs(self, n_targets):
        return 2 * n_targets if self.loss in SCALE_LOSSES else n_targets

    @property
    def _family(self):
        return {"gaussian_nll": "gaussian", "laplace_nll": "laplace"}.get(
            self.loss, "point"
        )

    def _member_loc_scale(self, X, *, with_split=False):
        """Each member's location and scale in the target's units.

        Returns arrays of shape (n_members, n_samples, n_outputs); the scale is
        None for point losses. With ``with_split``, also the mixture's mean and
        variance split (:func:`regression_uncertainty`), as a third value. Raises
        where any of them overflows.
        """
        X, out = self._member_outputs(X, with_inputs=True)
        n_targets = self._target_mean.shape[0]
        with np.errstate(over="ignore", invalid="ignore"):
            loc = out[..., :n_targets] * self._target_scale + self._target_mean
            scale = None
            if self._family != "point":
                # The scale head as in training, softplus(rho) + 1e-6, in float64.
                scale = (
                    _softplus(out[..., n_targets:]) + MIN_SCALE
                ) * self._target_scale
            split = regression_uncertainty(loc, scale, self._family)
        self._check_predictions(X, mean=loc, scale=scale, variance=split.total)
        return (loc, scale, split) if with_split else (loc, scale)

    def _shape_output(self, values):
        return values[..., 0] if self._y_ndim == 1 else values

    def predict(self, X, return_std=False):
        """Predict the mixture mean, and optionally its total standard deviation.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Inputs.
        return_std : bool, default=False
            Also return the standard deviation of the predictive mixture (the
            square root of ``predict_uncertainty(X).total``).

        Returns
        -------
        mean : ndarray of shape (n_samples,) or (n_samples, n_outputs)
        std : ndarray of the same shape
            Only with ``return_std=True``.
        """
        uncertainty = self.predict_uncertainty(X)
        if return_std:
            return uncertainty.mean, np.sqrt(uncertainty.total)
        return uncertainty.mean

    def predict_uncertainty(self, X):
        """Predictive mean and the split of the predictive variance.

        Gaussian members (eq. 4-5 of the seed practical) contribute their
        variance ``sigma**2``, Laplace members their variance ``2 * b**2``; with
        a point loss the members predict no noise and ``aleatoric`` is zero.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Inputs.

        Returns
        -------
        uncertainty : Bunch
            ``mean`` (the mixture mean) and the variances ``total``,
            ``aleatoric`` (mean of the members' variances: noise in the data)
            and ``epistemic`` (variance of the members' means: what the
            ensemble does not know), with ``total = aleatoric + epistemic``.
            Each of shape (n_samples,) or (n_samples, n_outputs).
        """
        _, _, split = self._member_loc_scale(X, with_split=True)
        return Bunch(**{key: self._shape_output(value) for key, value in split.items()})

    def predict_dist(self, X):
        """The exact predictive distribution: the uniform mixture of the members.

        Unlike ``predict(X, return_std=True)``, which summarises the mixture by
        its mean and standard deviation (the moment-matched Gaussian of the
        paper), this keeps every member's component, so that densities, CDFs,
        quantiles and intervals are those of the ensemble itself.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Inputs.

        Returns
        -------
        dist : MixtureDistribution
            Over the rows of X (and the outputs, for multi-output targets), in
            the target's original units, with ``mean``, ``var``, ``std``,
            ``logpdf``, ``cdf``, ``ppf``, ``interval``, ``sample``, ``members``
            and ``moment_matched``.

        Raises
        ------
        ValueError
            For a point loss ("squared_error", "absolute_error"): those members
            predict no spread, so the ensemble has no density to return.
        """
        if self._family == "point":
            check_is_fitted(self)
            raise ValueError(
                f"predict_dist needs members that predict a distribution, but "
                f"loss={self.loss!r} trains point predictions with no scale. Use "
                "loss='gaussian_nll' or 'laplace_nll', or predict_uncertainty for "
                "the members' spread."
            )
        loc, scale = self._member_loc_scale(X)
        return MixtureDistribution(
            self._shape_output(loc), self._shape_output(scale), self._family
        )


class DeepEnsembleClassifier(ClassifierMixin, _BaseDeepEnsemble):
    __doc__ = (
        """Deep ensemble of neural networks for classification with uncertainty.

    M multilayer perceptrons, each from its own random initialisation and data
    order, trained with a proper scoring rule (softmax cross-entropy, or the
    Brier score) and optionally FGSM adversarial training (Lakshminarayanan,
    Pritzel & Blundell, 2017). The ensemble predicts the average of the
    members' probabilities; its entropy splits into the members' average
    entropy (aleatoric, data uncertainty) and the Jensen-Shannon divergence
    between the members (epistemic, knowledge uncertainty).

    Parameters
    ----------"""
        + _COMMON_PARAMETERS_DOC.replace(
            "    adversarial_epsilon",
            """    loss : {"log_loss", "brier"}, default="log_loss"
        Training loss of each member: softmax cross-entropy, or the
        multiclass Brier score of the softmax probabilities.
    adversarial_epsilon""",
            1,
        )
        + """
    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels."""
        + _COMMON_ATTRIBUTES_DOC
        + """
    See Also
    --------
    DeepEnsembleRegressor : The regression counterpart.
    sklearn.neural_network.MLPClassifier : A single network.

    Examples
    --------
    >>> from skdeepens import DeepEnsembleClassifier
    >>> from skdeepens.datasets import make_spirals
    >>> X, y = make_spirals(n_samples_per_class=100, random_state=0)
    >>> clf = DeepEnsembleClassifier(n_estimators=3, random_state=0)
    >>> clf = clf.fit(X, y)  # doctest: +SKIP
    >>> clf.predict_uncertainty(X[:2]).epistemic  # doctest: +SKIP
    """
    )

    _parameter_constraints = {
        **_BaseDeepEnsemble._parameter_constraints,
        "loss": [StrOptions({"log_loss", "brier"})],
    }

    def __init__(
        self,
        n_estimators=5,
        *,
        hidden_layer_sizes=(50, 50),
        activation="relu",
        loss="log_loss",
        adversarial_epsilon=None,
        alpha=1.0,
        batch_size="auto",
        learning_rate_init=1e-2,
        max_iter=2000,
        shuffle=True,
        early_stopping=True,
        validation_fraction=0.1,
        n_iter_no_change="auto",
        tol=1e-4,
        warm_start=False,
        random_state=None,
        verbose=0,
    ):
        self.n_estimators = n_estimators
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.loss = loss
        self.adversarial_epsilon = adversarial_epsilon
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate_init = learning_rate_init
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.warm_start = warm_start
        self.random_state = random_state
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Train the ensemble.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training inputs; no NaN or infinity.
        y : array-like of shape (n_samples,)
            Class labels of any type scikit-learn accepts (ints, strings,
            booleans); at least two classes.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights; a zero weight removes a row.

        Returns
        -------
        self : DeepEnsembleClassifier
            The fitted estimator.
        """
        _validation.check_not_forked_after_jax()
        warm = self._is_warm_starting()
        X, y = validate_data(
            self, X, y, reset=not warm, ensure_min_samples=2, dtype=np.float64
        )
        _validation.check_class_labels(y)
        check_classification_targets(y)
        sample_weight = _validation.check_sample_weight(sample_weight, X)
        _validation.check_magnitude(X, "X")
        signature = _validation.fit_signature(self)
        _validation.check_warm_start(self, signature)
        classes, encoded = np.unique(y, return_inverse=True)
        if warm and not np.array_equal(classes, self.classes_):
            raise ValueError(
                f"warm_start=True needs the classes of the first fit {self.classes_}; "
                f"got {classes}"
            )
        if len(classes) < 2:
            raise ValueError(
                "DeepEnsembleClassifier needs samples of at least 2 classes in the "
                f"data, but the data contains only one class: {classes.tolist()[0]!r}"
            )
        self.classes_ = classes
        one_hot = np.eye(len(classes), dtype=np.float64)[encoded]
        self._fit_members(X, one_hot, sample_weight, stratify=encoded)
        self._fit_signature = signature
        return self

    def _target_standardisation(self, targets, sample_weight):
        # One-hot targets are used as they are.
        return np.zeros(targets.shape[1]), np.ones(targets.shape[1])

    def _n_network_outputs(self, n_targets):
        return n_targets

    def _member_log_proba(self, X):
        logits = self._member_outputs(X)
        return logits - np.logaddexp.reduce(logits, axis=-1, keepdims=True)

    def predict_log_proba(self, X):
        """Log of the averaged class probabilities, finite everywhere.

        Computed as a log-sum-exp over the members' log-softmax outputs rather
        than ``log(predict_proba(X))``, so it stays finite where a probability
        underflows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
        """
        member_log_proba = self._member_log_proba(X)
        return np.logaddexp.reduce(member_log_proba, axis=0) - np.log(
            member_log_proba.shape[0]
        )

    def predict_proba(self, X):
        """The members' softmax probabilities, averaged.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Columns in the order of ``classes_``.
        """
        return np.exp(self._member_log_proba(X)).mean(axis=0)

    def predict(self, X):
        """The class of highest averaged probability.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        y : ndarray of shape (n_samples,)
            Labels from ``classes_``.
        """
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

    def predict_uncertainty(self, X):
        """Total, aleatoric and epistemic uncertainty, in nats.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        uncertainty : Bunch
            ``total``: entropy of the averaged probabilities; ``aleatoric``
            (data uncertainty): the members' average entropy; ``epistemic``
            (knowledge uncertainty): their difference, the Jensen-Shannon
            divergence between the members (mutual information). Each of shape
            (n_samples,), never negative, ``total = aleatoric + epistemic``.
        """
        split = classification_uncertainty(np.exp(self._member_log_proba(X)))
        return Bunch(
            total=split.total, aleatoric=split.aleatoric, epistemic=split.epistemic
        )
