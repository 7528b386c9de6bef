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
from ._calibration import apply_calibration, fit_calibration
from ._core import network, training
from ._core.likelihoods import MIN_SCALE, SCALE_LOSSES
from ._families import POINT, check_scale_losses, family_of_loss, get_family
from ._mixture import (
    MixtureDistribution,
    classification_uncertainty,
    predictive_interval,
    predictive_quantiles,
    regression_uncertainty,
)
from ._validation import weighted_standardisation as _weighted_standardisation

# batch_size="auto": about n / 100 rows, a power of two between 32 and 256.
# Small data sets get small batches, hence enough gradient steps per epoch to
# learn in few epochs; large ones batches of 256 for throughput.
_AUTO_BATCH_RANGE = (32, 256)
# n_iter_no_change="auto": the patience of the stopping rule, counted in gradient
# steps rather than epochs (at least 10 epochs), so that a small data set is not
# stopped after a few hundred noisy steps and a large one does not idle for
# hundreds of long epochs.
_AUTO_PATIENCE_STEPS = 4000
_AUTO_PATIENCE_MIN_EPOCHS = 10
# learning_rate="adaptive": the rate is divided by this factor (scikit-learn's
# MLP uses 5) after a stall of the patience, at most this often; a stall of the
# patience at the smallest rate stops the member. The defaults study
# (benchmarks/defaults_study.py) found the full patience at each rate best: a
# share of it stopped the first, exploring phase too early on small data.
_ADAPTIVE_FACTOR = 5.0
_ADAPTIVE_MAX_DECAYS = 3
_ADAPTIVE_PATIENCE_FRACTION = 1.0
# Prediction runs in chunks of at most this many rows (bounded memory).
_PREDICT_CHUNK = 1 << 16
# Seed-sequence key of the early-stopping split, apart from the members' keys.
_VALIDATION_STREAM = 2**32 - 1
# Seed-sequence key of the members' randomized prior networks: member m's prior
# comes from SeedSequence([seed, m, _PRIOR_STREAM]), a stream apart from its
# initialisation and data order, so that turning the prior on changes neither.
_PRIOR_STREAM = 0x5052494F  # "PRIO"
# A fit whose monitored loss ends this many times (at least 1 nat) above the loss
# of its random initialisation has blown up (a learning rate far too large):
# it raises like a non-finite fit instead of returning finite garbage.
_BLOW_UP_FACTOR = 100.0
# ... and a regressor whose standardised means on its training rows have a root
# mean square beyond this many target standard deviations has blown up too.
_BLOW_UP_MEAN = 1e3
_BLOW_UP_ROWS = 1024

# A loss that predicts a scale but has no distribution family would otherwise
# be treated as a point loss: fail at import instead.
check_scale_losses(SCALE_LOSSES)


def _member_rng(seed, member):
    """Member ``member``'s random generator: a function of the seed and m alone."""
    return np.random.default_rng(np.random.SeedSequence([seed, member]))


def _prior_rng(seed, member):
    """Member ``member``'s generator of its randomized prior network."""
    return np.random.default_rng(np.random.SeedSequence([seed, member, _PRIOR_STREAM]))


def _init_prior(rng, shapes, activation, n_location):
    """One member's randomized prior network (Osband et al., 2018).

    The member's own architecture and initialisation (a Glorot-uniform draw),
    with the output columns past ``n_location`` zeroed: the prior moves the
    location (the mean, or the logits), never the scale head.
    """
    *hidden, (weights, bias) = _init_member(rng, shapes, activation)
    weights, bias = weights.copy(), bias.copy()
    weights[:, n_location:] = 0.0
    bias[n_location:] = 0.0
    return (*hidden, (weights, bias))


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


def _predict_members(params, X, activation, prior=None):
    """Raw outputs of every member, shape (n_members, n_samples, n_outputs).

    ``prior`` is ``(prior_params, prior_scale)`` or None, as in
    :func:`skdeepens._core.network.predict_ensemble`.
    """
    # Chunks bound the memory of the hidden activations on very large X.
    return np.concatenate(
        [
            network.predict_ensemble(
                params, X[start : start + _PREDICT_CHUNK], activation, prior
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
        "learning_rate": [StrOptions({"constant", "adaptive"})],
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
        "prior_scale": [Interval(Real, 0, None, closed="left")],
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
            self._start_members(X, targets, sample_weight)

        X_std = ((X - self._x_mean) / self._x_scale).astype(np.float32)
        T_std = ((targets - self._target_mean) / self._target_scale).astype(np.float32)
        weights = sample_weight.astype(np.float32)

        # The held-out rows monitor early stopping and fit the recalibration.
        # With both, each gets its own half: factors fitted on the rows that
        # also chose each member's best epoch would inherit the optimism of
        # that choice, and shrink the intervals below their nominal coverage.
        stopping_rows = calibration_rows = None
        if self.early_stopping or self._calibrates():
            train_idx, val_idx = self._validation_split(weights, stratify)
            if self.early_stopping and self._calibrates() and len(val_idx) > 1:
                # train_test_split returns the rows in random order.
                stopping_idx, calibration_idx = val_idx[::2], val_idx[1::2]
            else:
                stopping_idx = calibration_idx = val_idx
            stopping_rows = (
                X_std[stopping_idx],
                T_std[stopping_idx],
                weights[stopping_idx],
            )
            calibration_rows = (
                X_std[calibration_idx],
                T_std[calibration_idx],
                weights[calibration_idx],
            )
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
        prior = self._draw_priors(members, shapes, targets.shape[1])

        validation = stopping_rows if self.early_stopping else None
        result = self._train(init, rngs, X_std, T_std, weights, validation, prior=prior)
        params, curve, val_curve = (
            result.params,
            result.loss_curve,
            result.validation_curve,
        )

        if warm and prior is not None:
            self.prior_params_ = _concatenate(self.prior_params_, prior)
        elif prior is not None:
            self.prior_params_ = prior
        elif hasattr(self, "prior_params_"):
            del self.prior_params_
        self._fitted_prior_scale = float(self.prior_scale)
        if warm:
            self.params_ = _concatenate(self.params_, params)
            self._adam_state = tuple(
                np.concatenate([old, new])
                for old, new in zip(self._adam_state, result.opt_state)
            )
            self._learning_rates = np.concatenate(
                [self._learning_rates, result.learning_rate]
            )
            if validation is not None:
                # Members from partial_fit alone have no validation curve.
                previous = getattr(
                    self,
                    "validation_loss_curve_",
                    np.full_like(self.loss_curve_, np.nan),
                )
                self.validation_loss_curve_ = _append_columns(previous, val_curve)
            self.loss_curve_ = _append_columns(self.loss_curve_, curve)
        else:
            self.params_ = params
            self._adam_state, self._learning_rates = (
                result.opt_state,
                result.learning_rate,
            )
            self._n_partial_fits = 0
            self.loss_curve_ = curve
            if validation is not None:
                self.validation_loss_curve_ = val_curve
            elif hasattr(self, "validation_loss_curve_"):
                del self.validation_loss_curve_
        self.n_iter_ = int(self.loss_curve_.shape[0])
        if self._calibrates():
            self._fit_calibration(*calibration_rows)
        elif hasattr(self, "calibration_factors_"):
            del self.calibration_factors_

    def _start_members(self, X, targets, sample_weight):
        """What every later fit of the members keeps: scaling and the seed."""
        positive = sample_weight > 0
        self._x_mean, self._x_scale = _weighted_standardisation(X, sample_weight)
        self._x_range = np.ptp(X[positive], axis=0)
        self._seed = self._draw_seed()
        self._target_mean, self._target_scale = self._target_standardisation(
            targets, sample_weight
        )

    def _draw_priors(self, members, shapes, n_targets):
        """The members' fixed prior networks, from their own streams, or None."""
        if not self.prior_scale > 0:
            return None
        return _stack(
            [
                _init_prior(
                    _prior_rng(self._seed, m), shapes, self.activation, n_targets
                )
                for m in members
            ]
        )

    def _partial_fit_members(self, X, targets, sample_weight):
        """One epoch of every member over all the given rows (``partial_fit``).

        The first call (on an unfitted estimator) standardises on its data and
        initialises the members as ``fit`` would; later calls continue the
        fitted members, their Adam state and their learning rates. No rows are
        held out: there is no early stopping and no recalibration.
        """
        first = not hasattr(self, "params_")
        if not first and self.params_[0][0].shape[0] != self.n_estimators:
            raise ValueError(
                f"partial_fit continues the {self.params_[0][0].shape[0]} fitted "
                f"members, but n_estimators={self.n_estimators}. Add members with "
                "fit and warm_start=True, or call fit to train new ones."
            )
        if first:
            self._start_members(X, targets, sample_weight)
        X_std = ((X - self._x_mean) / self._x_scale).astype(np.float32)
        T_std = ((targets - self._target_mean) / self._target_scale).astype(np.float32)
        weights = sample_weight.astype(np.float32)
        if not np.any(weights > 0):
            raise ValueError(
                "The training data has no sample with a positive sample_weight."
            )

        members = range(self.n_estimators)
        if first:
            # The members' generators go on from their initial weights to their
            # first data order, exactly as in fit.
            rngs = [_member_rng(self._seed, m) for m in members]
            shapes = network.layer_shapes(
                X.shape[1],
                self._hidden_layer_sizes(),
                self._n_network_outputs(targets.shape[1]),
            )
            init = _stack([_init_member(rng, shapes, self.activation) for rng in rngs])
            opt_state, rates = None, self.learning_rate_init
            self._n_partial_fits = 0
            prior = self._draw_priors(members, shapes, targets.shape[1])
            if prior is not None:
                self.prior_params_ = prior
            self._fitted_prior_scale = float(self.prior_scale)
        else:
            # Each later call draws member m's order from (seed, m, call) alone.
            rngs = [
                np.random.default_rng(
                    np.random.SeedSequence([self._seed, m, self._n_partial_fits])
                )
                for m in members
            ]
            init, opt_state, rates = (
                self.params_,
                self._adam_state,
                self._learning_rates,
            )
            prior = getattr(self, "prior_params_", None)
        result = self._train(
            init,
            rngs,
            X_std,
            T_std,
            weights,
            None,
            opt_state=opt_state,
            learning_rate=rates,
            incremental=True,
            prior=prior,
        )
        self.params_ = result.params
        self._adam_state, self._learning_rates = result.opt_state, result.learning_rate
        self._n_partial_fits += 1
        if first:
            self.loss_curve_ = result.loss_curve
        else:
            self.loss_curve_ = np.vstack([self.loss_curve_, result.loss_curve])
        if hasattr(self, "validation_loss_curve_"):
            # No validation rows in partial_fit: the curve keeps n_iter_ rows.
            self.validation_loss_curve_ = np.vstack(
                [
                    self.validation_loss_curve_,
                    np.full((1, self.n_estimators), np.nan),
                ]
            )
        self.n_iter_ = int(self.loss_curve_.shape[0])
        # Fitted for the members before this update, it describes them no more.
        if hasattr(self, "calibration_factors_"):
            del self.calibration_factors_

    def _calibrates(self):
        """Whether the fit recalibrates the predictive distribution afterwards."""
        return False

    def _draw_seed(self):
        if isinstance(self.random_state, Integral):
            return int(self.random_state)
        return int(
            check_random_state(self.random_state).randint(np.iinfo(np.int32).max)
        )

    def _validation_split(self, sample_weight, stratify):
        """Training and validation row indices for early stopping.

        The validation rows are drawn among the rows of positive weight only: a
        zero-weight row carries no loss, and a validation set of such rows
        would leave early stopping nothing to monitor. Zero-weight rows train
        (where they change nothing).
        """
        rng = _member_rng(self._seed, _VALIDATION_STREAM)
        split_seed = int(rng.integers(np.iinfo(np.int32).max))
        positive = np.flatnonzero(sample_weight > 0)
        others = np.flatnonzero(~(sample_weight > 0))
        if len(positive) < 2:
            raise ValueError(
                "early_stopping needs at least 2 samples with a positive "
                f"sample_weight (one to train, one to validate); got {len(positive)}. "
                "Set early_stopping=False or pass more weighted samples."
            )
        if stratify is not None:
            try:
                train, val = train_test_split(
                    positive,
                    test_size=self.validation_fraction,
                    random_state=split_seed,
                    stratify=stratify[positive],
                )
                return np.concatenate([train, others]), val
            except ValueError:
                pass  # too few samples of some class to stratify: split at random
        try:
            train, val = train_test_split(
                positive, test_size=self.validation_fraction, random_state=split_seed
            )
        except ValueError as exc:
            raise ValueError(
                f"early_stopping needs enough samples to set aside "
                f"validation_fraction={self.validation_fraction} of them; with "
                f"{len(positive)} samples of positive weight the split failed: {exc}"
            ) from exc
        return np.concatenate([train, others]), val

    def _batch_size(self, n_samples):
        """Rows per batch requested (before clipping to the data size)."""
        if self.batch_size == "auto":
            low, high = _AUTO_BATCH_RANGE
            # The power of two nearest to n / 100: similar data sizes (the
            # folds of a search and its refit) share one compiled batch width.
            target = min(max(low, n_samples / 100), high)
            return int(2 ** np.round(np.log2(target)))
        return self.batch_size

    def _hyperparams(self, weight_total, steps_per_epoch):
        eps = self.adversarial_epsilon or 0.0
        # eps is a fraction of each feature's range in the original units; the
        # network sees standardised inputs, so the step is range / scale there.
        step = eps * self._x_range / self._x_scale
        patience = self._patience(steps_per_epoch)
        if self.learning_rate == "adaptive":
            part = max(1.0, np.ceil(patience * _ADAPTIVE_PATIENCE_FRACTION))
            decay_patience, stop_patience = part, part
            max_decays = _ADAPTIVE_MAX_DECAYS
        else:
            decay_patience, stop_patience, max_decays = np.inf, patience, 0
        return training.Hyperparams(
            alpha=np.float32(self.alpha),
            weight_total=np.float32(weight_total),
            adversarial_step=step.astype(np.float32),
            beta=np.float32(self._beta()),
            tol=np.float32(self.tol),
            patience=np.float32(stop_patience),
            decay_patience=np.float32(decay_patience),
            decay_factor=np.float32(_ADAPTIVE_FACTOR),
            max_decays=np.int32(max_decays),
            # Filled in by the trainer, which lays out the data.
            batch_rows=np.int32(0),
            n_rows=np.int32(0),
            n_validation_rows=np.int32(0),
            prior_scale=np.float32(self.prior_scale),
        )

    def _train(
        self,
        init_params,
        rngs,
        X,
        T,
        weights,
        validation,
        *,
        opt_state=None,
        learning_rate=None,
        incremental=False,
        prior=None,
    ):
        """Run the compiled trainer, then apply scikit-learn's rules to its result.

        With ``incremental`` (``partial_fit``): one epoch, from ``opt_state``
        and ``learning_rate`` (None: Adam's initial state and
        ``learning_rate_init``), with no stopping rule and no warning.
        """
        n_members, n_samples = len(rngs), X.shape[0]
        batch_size = self._batch_size(n_samples)
        steps_per_epoch = -(-n_samples // min(batch_size, n_samples))
        rows = np.arange(n_samples, dtype=np.int32)

        def draw_orders(n_epochs):
            if not self.shuffle:
                return np.broadcast_to(rows, (n_epochs, n_members, n_samples))
            tiled = np.broadcast_to(rows, (n_epochs, n_samples))
            return np.stack([rng.permuted(tiled, axis=1) for rng in rngs], axis=1)

        start_time = time.perf_counter()
        epoch_offset = getattr(self, "n_iter_", 0) if incremental else 0

        def report(first_epoch, losses, _):
            for offset, epoch_losses in enumerate(losses):
                print(
                    f"Epoch {epoch_offset + first_epoch + offset + 1}: loss = "
                    f"{np.nanmean(epoch_losses):.6f} (mean over "
                    f"{int(np.isfinite(epoch_losses).sum())} training members), "
                    f"elapsed = {time.perf_counter() - start_time:.2f} s"
                )

        hyper = self._hyperparams(float(weights.sum()), steps_per_epoch)
        if incremental:
            # One epoch per call: the schedule neither reduces nor stops.
            hyper = hyper._replace(
                patience=np.float32(np.inf),
                decay_patience=np.float32(np.inf),
                max_decays=np.int32(0),
            )
        result = training.fit_ensemble(
            init_params,
            (X, T, weights),
            validation,
            draw_orders,
            learning_rate=self.learning_rate_init
            if learning_rate is None
            else learning_rate,
            hyper=hyper,
            config=training.TrainConfig(
                loss=self.loss,
                activation=self.activation,
                adversarial=bool(self.adversarial_epsilon),
                has_validation=validation is not None,
            ),
            batch_size=batch_size,
            max_epochs=1 if incremental else self.max_iter,
            on_epochs=report if self.verbose else None,
            opt_state=opt_state,
            prior_params=prior,
        )
        self._check_training_result(result, warn_unconverged=not incremental)
        self._check_outputs_in_range(result.params, X, prior)
        return result

    def _check_outputs_in_range(self, params, X, prior):
        """Raise if the members' standardised means have run off the data.

        The targets are standardised, so a sane member predicts means of a few
        units on its own training rows. A rate far too large can blow the
        means up by orders of magnitude while the NLL, paying only the log of
        an equally blown-up scale, still looks moderate.
        """
        n_locations = self._n_location_outputs()
        if n_locations is None:
            return
        rows = X[:_BLOW_UP_ROWS].astype(np.float64)
        fitted_prior = None if prior is None else (prior, float(self.prior_scale))
        with np.errstate(over="ignore", invalid="ignore"):
            out = _predict_members(params, rows, self.activation, fitted_prior)
            rms = np.sqrt(np.mean(np.square(out[..., :n_locations]), axis=(1, 2)))
        bad = np.flatnonzero(~(rms < _BLOW_UP_MEAN))
        if len(bad):
            raise ValueError(
                f"The fit blew up: member(s) {bad.tolist()} predict means "
                f"{rms[bad[0]]:.3g} standard deviations away from the target's "
                "mean on the training rows. Try a smaller learning_rate_init (now "
                f"{self.learning_rate_init}) or a larger alpha."
            )

    def _n_location_outputs(self):
        """Outputs that are standardised means (None: no such outputs)."""
        return None

    def _check_training_result(self, result, *, warn_unconverged=True):
        """Raise for a diverged or blown-up fit; warn for an unconverged one."""
        hint = (
            f"Try a smaller learning_rate_init (now {self.learning_rate_init}), a "
            "larger alpha, or check the data for extreme values."
        )
        if np.any(result.diverged_epoch):
            bad = np.flatnonzero(result.diverged_epoch)
            raise ValueError(
                f"The fit diverged: member(s) {bad.tolist()} produced a non-finite "
                f"loss or parameters at epoch {int(result.diverged_epoch[bad[0]])}. "
                + hint
            )
        # The loss the returned parameters reach on the monitored rows: the best
        # validation loss, or else the last epoch's training loss.
        if result.validation_curve is not None:
            final = result.best_loss
        else:
            last = np.isfinite(result.loss_curve).sum(axis=0) - 1
            final = result.loss_curve[last, np.arange(len(last))]
        initial = result.initial_loss
        blown = final > initial + _BLOW_UP_FACTOR * np.maximum(1.0, np.abs(initial))
        if np.any(blown):
            bad = np.flatnonzero(blown)
            raise ValueError(
                f"The fit blew up: member(s) {bad.tolist()} ended with a monitored "
                f"loss of {final[bad[0]]:.3g}, against {initial[bad[0]]:.3g} for "
                "the untrained network. " + hint
            )
        fixed_schedule = self.n_iter_no_change == np.inf
        if warn_unconverged and not fixed_schedule and not np.all(result.converged):
            warnings.warn(
                f"Stochastic optimizer: maximum iterations ({self.max_iter}) reached "
                f"and the optimization hasn't converged yet for "
                f"{int(np.sum(~result.converged))} of {len(result.converged)} "
                "members. Increase max_iter, or set n_iter_no_change=np.inf for a "
                "fixed number of epochs.",
                ConvergenceWarning,
                stacklevel=_validation.user_stacklevel(),
            )

    def _beta(self):
        """The beta-NLL exponent of the training loss (0: the plain loss)."""
        return 0.0

    def _patience(self, steps_per_epoch):
        """Epochs without improvement after which a member stops."""
        if self.n_iter_no_change != "auto":
            return self.n_iter_no_change
        epochs = -(-_AUTO_PATIENCE_STEPS // steps_per_epoch)
        # On small data (a step or two per epoch) the step count alone would
        # exceed max_iter, and the stopping rule could never fire: a member
        # stalled through every rate of the schedule must still stop within
        # half of max_iter.
        rates = 1 + (_ADAPTIVE_MAX_DECAYS if self.learning_rate == "adaptive" else 0)
        cap = max(_AUTO_PATIENCE_MIN_EPOCHS, self.max_iter // (2 * rates))
        return min(max(_AUTO_PATIENCE_MIN_EPOCHS, epochs), cap)

    # --------------------------------------------------------------- predicting

    def _prior(self):
        """The fitted randomized priors as ``(prior_params_, scale)``, or None."""
        if not hasattr(self, "prior_params_"):
            return None
        return self.prior_params_, self._fitted_prior_scale

    def _member_outputs(self, X, *, with_inputs=False):
        """Validated X through every member: raw outputs (n_members, n, n_out).

        With ``with_inputs``, also return the validated X, as ``(X, outputs)``.
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        # Overflow far from the training data is reported by the check below.
        with np.errstate(over="ignore", invalid="ignore"):
            X_std = (X - self._x_mean) / self._x_scale
            out = _predict_members(self.params_, X_std, self.activation, self._prior())
        self._check_predictions(X, outputs=out)
        return (X, out) if with_inputs else out

    def _check_predictions(self, X, **arrays):
        extent = float(np.max(np.abs(self._x_mean) + self._x_range))
        _validation.check_finite_predictions(X, extent, **arrays)


def _append_columns(old, new):
    """Join two (n_iter, n_members) curves side by side, NaN-padding the shorter."""
    n_rows = max(old.shape[0], new.shape[0])

    def pad(curve):
        missing = n_rows - curve.shape[0]
        return np.pad(curve, ((0, missing), (0, 0)), constant_values=np.nan)

    return np.hstack([pad(old), pad(new)])


def _splice(doc, anchor, replacement):
    """``doc`` with its one ``anchor`` replaced; raises if it is not there once.

    The estimators' docstrings are spliced from the shared parameter list, so a
    reordering of that list must fail here rather than silently drop text.
    """
    if doc.count(anchor) != 1:
        raise RuntimeError(
            f"docstring anchor {anchor!r} found {doc.count(anchor)} times"
        )
    return doc.replace(anchor, replacement)


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
        Rows per minibatch. "auto" takes the power of two nearest to
        ``n_samples / 100``, between 32 and 256: small data sets get small
        batches and so enough gradient steps per epoch, large ones batches of
        256 for throughput.
    learning_rate : {"constant", "adaptive"}, default="adaptive"
        Learning-rate schedule of each member, named as in scikit-learn's MLP.
        "constant" keeps ``learning_rate_init`` and stops a member once its
        monitored loss (validation loss with ``early_stopping``, else training
        loss) has not improved by ``tol`` for the patience
        (``n_iter_no_change``). "adaptive" divides the member's rate by 5
        instead, at most 3 times, and stops it after a stall of the patience
        at its smallest rate. Each member keeps its own rate. With early
        stopping the adaptive schedule can only refine each member's best
        snapshot; it pays on data with little noise, where the mean must
        settle (benchmarks/defaults_study.py).
    learning_rate_init : float, default=1e-2
        Adam's step size. Inputs and targets are standardised, so one rate fits
        most data; early stopping catches the late overshoot a large rate risks.
    max_iter : int, default=5000
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
        stops (or, with ``learning_rate="adaptive"``, its rate is reduced).
        "auto" counts the patience in gradient steps: the epochs that make
        4000 steps, at least 10, and at most what lets a member stalled at
        every rate stop within half of ``max_iter`` (small data sets make a
        step or two per epoch). ``np.inf`` gives the paper's fixed
        schedule: every member trains exactly ``max_iter`` epochs (keeping its
        best validation parameters if ``early_stopping``) and no
        ``ConvergenceWarning`` is raised.
    tol : float, default=1e-4
        Minimal improvement of the monitored loss that resets the count.
    prior_scale : float, default=0.0
        Randomized prior functions (Osband, Aslanides & Cassirer, 2018): each
        member predicts ``f_m(x) + prior_scale * p_m(x)``, where ``p_m`` is a
        fixed, untrained network of the member's architecture drawn from its
        own randomness (apart from its initialisation and data order), added
        to the mean (not the scale head) or to the logits, in standardised
        units. The trained part fits the data's residual from the prior; away
        from the data the members keep their priors' disagreement, so the
        epistemic uncertainty grows there. 0 turns it off (the fit is then
        unchanged bit for bit). See the user guide for when to use it.
    warm_start : bool, default=False
        When True, a new call to ``fit`` keeps the fitted members and trains only
        the members added by a larger ``n_estimators`` (as in
        :class:`~sklearn.ensemble.BaggingRegressor`); they are the same networks
        a fresh fit would train. Changing ``activation``, ``loss``,
        ``hidden_layer_sizes``, ``prior_scale``, the number of features or the
        width of ``y`` between warm fits raises a ``ValueError``. ``partial_fit``
        always continues the fitted members, whatever ``warm_start`` is.
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
    prior_params_ : tuple of (ndarray, ndarray)
        The members' randomized prior networks, stacked like ``params_``
        (only with ``prior_scale > 0``); fixed at their random draw.
    n_iter_ : int
        Epochs run by the longest-training member (``n_iter`` rows of the
        loss curves), plus one per ``partial_fit`` call since.
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
        + _splice(
            _COMMON_PARAMETERS_DOC,
            "    adversarial_epsilon",
            """    loss : {"gaussian_nll", "laplace_nll", "squared_error", \
"absolute_error"}, default="gaussian_nll"
        Training loss of each member. The negative log-likelihoods learn a scale
        ``softplus(rho) + 1e-6`` next to the mean; the point losses are
        baselines with no scale (their aleatoric uncertainty is zero).
    beta : float in [0, 1], default=0.0
        beta-NLL (Seitzer et al., 2022): each sample's NLL is weighted by its
        predicted variance, detached from the gradient, to the power ``beta``.
        0 is the plain NLL; larger values stop badly fitted samples from
        hiding behind a large variance (at ``beta=1`` the mean learns as
        under the squared error). Only the training loss is weighted: early
        stopping monitors the plain NLL. Ignored by the point losses.
    calibration : {"scale"} or None, default="scale"
        Recalibration of the predictive distribution after training, fitted on
        held-out rows of the training data: half of the ``validation_fraction``
        set aside (the other half monitors early stopping; all of it when
        ``early_stopping=False``). It never reuses the early-stopping rows: the
        factors would inherit the optimism of having picked each member's best
        epoch on them, and the intervals would cover less than they say.
        "scale" multiplies every member's scale by
        one factor and the members' spread around the mixture mean by another,
        per output, chosen to maximise the held-out log-likelihood (with a
        normal prior of standard deviation 0.5 on the log factors, which keeps
        them near 1 on
        few rows); the result is still the exact mixture of the members, and
        ``predict(X, return_std=True)``, ``predict_uncertainty`` and
        ``predict_dist`` all describe it. The mean is unchanged. ``None``
        turns it off. Point losses have no distribution to calibrate.
    adversarial_epsilon""",
        )
        + """
    Attributes
    ----------"""
        + _COMMON_ATTRIBUTES_DOC
        + """    calibration_factors_ : ndarray of shape (2, n_outputs)
        The recalibration (only with ``calibration="scale"`` and a likelihood
        loss): row 0 multiplies the members' scales, row 1 their locations'
        spread around the mixture mean.

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
        "beta": [Interval(Real, 0, 1, closed="both")],
        "calibration": [StrOptions({"scale"}), None],
    }

    def __init__(
        self,
        n_estimators=5,
        *,
        hidden_layer_sizes=(50, 50),
        activation="relu",
        loss="gaussian_nll",
        beta=0.0,
        calibration="scale",
        adversarial_epsilon=None,
        alpha=1.0,
        batch_size="auto",
        learning_rate="adaptive",
        learning_rate_init=1e-2,
        max_iter=5000,
        shuffle=True,
        early_stopping=True,
        validation_fraction=0.1,
        n_iter_no_change="auto",
        tol=1e-4,
        prior_scale=0.0,
        warm_start=False,
        random_state=None,
        verbose=0,
    ):
        self.n_estimators = n_estimators
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.loss = loss
        self.beta = beta
        self.calibration = calibration
        self.adversarial_epsilon = adversarial_epsilon
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.prior_scale = prior_scale
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

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """Update every member with one epoch over the given data.

        One pass (one epoch) of every member over all the given rows, in
        mini-batches of ``batch_size``, as scikit-learn's MLP does. The first
        call on an unfitted estimator initialises the members exactly as
        ``fit`` would and computes the input and target standardisation from
        its data, which later calls keep (so the first batch should be
        representative). Later calls, and calls after ``fit``, continue the
        same members together with their Adam state and learning rates;
        ``n_iter_`` counts the epochs and ``loss_curve_`` gains one row per
        call.

        It trains on all the rows it is given: ``early_stopping``,
        ``n_iter_no_change``, ``max_iter`` and the ``learning_rate`` schedule
        play no part (a rate already reduced by ``fit`` is kept). There is no
        recalibration either: a ``calibration_factors_`` of an earlier ``fit``
        is removed, since it no longer describes the updated members (refit to
        recalibrate). The L2 penalty is divided by the total weight of the
        rows of each call. To add members, use ``fit`` with
        ``warm_start=True``; here ``n_estimators`` must equal the number of
        fitted members.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training inputs; no NaN or infinity.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets, of the width of the first fit.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights; a zero weight removes a row.

        Returns
        -------
        self : DeepEnsembleRegressor
            The updated estimator.
        """
        _validation.check_not_forked_after_jax()
        first = not hasattr(self, "params_")
        X, y = validate_data(
            self,
            X,
            y,
            reset=first,
            multi_output=True,
            y_numeric=True,
            ensure_min_samples=2 if first else 1,
            dtype=np.float64,
        )
        _validation.check_regression_targets(y)
        if not first and y.ndim != self._y_ndim:
            raise ValueError(
                f"partial_fit needs y of the shape of the first fit: {self._y_ndim}-d; "
                f"got {y.ndim}-d"
            )
        sample_weight = _validation.check_sample_weight(sample_weight, X)
        targets = y.reshape(len(y), -1)
        _validation.check_magnitude(X, "X")
        _validation.check_magnitude(targets, "y")
        signature = _validation.fit_signature(self, targets.shape[1])
        _validation.check_warm_start(self, signature, method="partial_fit")
        self._y_ndim = y.ndim
        self._partial_fit_members(X, targets, sample_weight)
        self._fit_signature = signature
        return self

    def _target_standardisation(self, targets, sample_weight):
        mean, scale = _weighted_standardisation(targets, sample_weight)
        _validation.check_target_scale(scale)
        return mean, scale

    def _beta(self):
        return self.beta

    def _n_location_outputs(self):
        return self._target_mean.shape[0]

    def _n_network_outputs(self, n_targets):
        return 2 * n_targets if self.loss in SCALE_LOSSES else n_targets

    @property
    def _family(self):
        return family_of_loss(self.loss, SCALE_LOSSES)

    def _calibrates(self):
        return self.calibration is not None and self._family != POINT

    def _loc_scale_from_outputs(self, out):
        """Members' locations and scales, in standardised units."""
        n_targets = self._target_mean.shape[0]
        if self._family == POINT:
            return out, None
        # The scale head as in training, softplus(rho) + 1e-6, in float64.
        return out[..., :n_targets], _softplus(out[..., n_targets:]) + MIN_SCALE

    def _fit_calibration(self, X_held_out, T_held_out, w_held_out):
        out = _predict_members(self.params_, X_held_out, self.activation, self._prior())
        loc, scale = self._loc_scale_from_outputs(out)
        self.calibration_factors_ = fit_calibration(
            loc, scale, self._family, T_held_out.astype(np.float64), w_held_out
        )

    def _member_loc_scale(self, X, *, with_split=False):
        """Each member's location and scale in the target's units, calibrated.

        Returns arrays of shape (n_members, n_samples, n_outputs); the scale is
        None for point losses. With ``with_split``, also the mixture's mean and
        variance split (:func:`regression_uncertainty`), as a third value. Raises
        where any of them overflows.
        """
        X, out = self._member_outputs(X, with_inputs=True)
        loc, scale = self._loc_scale_from_outputs(out)
        if scale is not None and hasattr(self, "calibration_factors_"):
            loc, scale = apply_calibration(loc, scale, self.calibration_factors_)
        with np.errstate(over="ignore", invalid="ignore"):
            loc = loc * self._target_scale + self._target_mean
            if scale is not None:
                scale = scale * self._target_scale
            split = regression_uncertainty(loc, scale, self._family)
        self._check_predictions(X, mean=loc, scale=scale, variance=split.total)
        return (loc, scale, split) if with_split else (loc, scale)

    def _shape_output(self, values):
        return values[..., 0] if self._y_ndim == 1 else values

    def predict_members(self, X):
        """Each member's predictive distribution, the role of ``estimators_``.

        The members' parameters as the mixture uses them: in the target's
        units and recalibrated (see ``calibration``), so that their uniform
        mixture is ``predict_dist(X)``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Inputs.

        Returns
        -------
        members : Bunch
            ``loc``: each member's mean (every family is symmetric about its
            location); ``scale``: its scale parameter (the standard deviation
            of a Gaussian member, ``b`` of a Laplace one); ``std``: its
            standard deviation; and ``family``, the members' family name
            (``"point"`` for a point loss, whose ``scale`` and ``std`` are
            None). Arrays of shape ``(n_estimators,) + predict(X).shape``.
        """
        loc, scale = self._member_loc_scale(X)
        std = None
        if scale is not None:
            std = np.sqrt(get_family(self._family).variance(scale))
            scale, std = self._shape_output(scale), self._shape_output(std)
        return Bunch(
            loc=self._shape_output(loc), scale=scale, std=std, family=self._family
        )

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

        Gaussian members contribute their variance ``sigma**2``, Laplace
        members their variance ``2 * b**2`` (Lakshminarayanan et al., 2017,
        section 2.4, for the Gaussian mixture); with
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
        if self._family == POINT:
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

    def predict_interval(self, X, coverage=0.9):
        """Central prediction intervals of the exact predictive mixture.

        The names and the meaning follow skpro: the interval of ``coverage``
        ``c`` runs from the mixture's ``(1 - c) / 2`` quantile to its
        ``(1 + c) / 2`` quantile (``predict_dist(X).interval(c)``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Inputs.
        coverage : float or array-like of shape (n_coverage,), default=0.9
            Nominal coverages, strictly between 0 and 1.

        Returns
        -------
        lower, upper : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            The shape of ``predict(X)``, plus a last axis of length
            ``n_coverage`` when ``coverage`` is a sequence.
        """
        return predictive_interval(self.predict_dist(X), coverage)

    def predict_quantiles(self, X, alpha=(0.05, 0.5, 0.95)):
        """Quantiles of the exact predictive mixture.

        As in skpro, ``alpha`` are the probabilities of the quantiles:
        ``predict_dist(X).ppf(alpha)``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Inputs.
        alpha : float or array-like of shape (n_alpha,), default=(0.05, 0.5, 0.95)
            Probabilities strictly between 0 and 1.

        Returns
        -------
        quantiles : ndarray of shape (n_samples, n_alpha) or \
                (n_samples, n_outputs, n_alpha)
            The quantiles, the last axis over ``alpha``; a float ``alpha``
            drops that axis, leaving the shape of ``predict(X)``.
        """
        return predictive_quantiles(self.predict_dist(X), alpha)


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
        + _splice(
            _COMMON_PARAMETERS_DOC,
            "    adversarial_epsilon",
            """    loss : {"log_loss", "brier"}, default="log_loss"
        Training loss of each member: softmax cross-entropy, or the
        multiclass Brier score of the softmax probabilities.
    adversarial_epsilon""",
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
        learning_rate="adaptive",
        learning_rate_init=1e-2,
        max_iter=5000,
        shuffle=True,
        early_stopping=True,
        validation_fraction=0.1,
        n_iter_no_change="auto",
        tol=1e-4,
        prior_scale=0.0,
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
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.prior_scale = prior_scale
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

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """Update every member with one epoch over the given data.

        One pass (one epoch) of every member over all the given rows, in
        mini-batches of ``batch_size``, as scikit-learn's MLP does. The first
        call on an unfitted estimator initialises the members exactly as
        ``fit`` would and computes the input standardisation from its data,
        which later calls keep (so the first batch should be representative).
        Later calls, and calls after ``fit``, continue the same members
        together with their Adam state and learning rates; ``n_iter_`` counts
        the epochs and ``loss_curve_`` gains one row per call.

        It trains on all the rows it is given: ``early_stopping``,
        ``n_iter_no_change``, ``max_iter`` and the ``learning_rate`` schedule
        play no part (a rate already reduced by ``fit`` is kept). The L2
        penalty is divided by the total weight of the rows of each call. To
        add members, use ``fit`` with ``warm_start=True``; here
        ``n_estimators`` must equal the number of fitted members.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training inputs; no NaN or infinity.
        y : array-like of shape (n_samples,)
            Class labels, each one of ``classes``.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights; a zero weight removes a row.
        classes : array-like of shape (n_classes,), default=None
            Every class over all calls, e.g. ``np.unique(y_all)``; at least
            two. Required on the first call (``y`` need not contain them all);
            later calls may omit it or must pass the same classes.

        Returns
        -------
        self : DeepEnsembleClassifier
            The updated estimator.
        """
        _validation.check_not_forked_after_jax()
        first = not hasattr(self, "params_")
        X, y = validate_data(
            self,
            X,
            y,
            reset=first,
            ensure_min_samples=2 if first else 1,
            dtype=np.float64,
        )
        _validation.check_class_labels(y)
        check_classification_targets(y)
        classes = self._partial_fit_classes(classes, first)
        known = set(classes.tolist())
        unknown = [label for label in np.unique(y).tolist() if label not in known]
        if unknown:
            raise ValueError(
                f"y has labels {unknown} that are not in classes "
                f"{classes.tolist()}; partial_fit learns only the classes of its "
                "first call"
            )
        sample_weight = _validation.check_sample_weight(sample_weight, X)
        _validation.check_magnitude(X, "X")
        signature = _validation.fit_signature(self)
        _validation.check_warm_start(self, signature, method="partial_fit")
        self.classes_ = classes
        one_hot = np.eye(len(classes), dtype=np.float64)[np.searchsorted(classes, y)]
        self._partial_fit_members(X, one_hot, sample_weight)
        self._fit_signature = signature
        return self

    def _partial_fit_classes(self, classes, first):
        """The classes of a partial_fit call, checked against the fitted ones."""
        if classes is None:
            if first:
                raise ValueError(
                    "classes must be passed on the first call to partial_fit: "
                    "every label y may take over all calls, e.g. np.unique(y_all)"
                )
            return self.classes_
        classes = np.asarray(classes)
        _validation.check_class_labels(classes)
        classes = np.unique(classes)
        if first and len(classes) < 2:
            raise ValueError(
                "DeepEnsembleClassifier needs at least 2 classes; got classes="
                f"{classes.tolist()}"
            )
        if not first and not np.array_equal(classes, self.classes_):
            raise ValueError(
                f"classes={classes.tolist()} differs from the classes of the "
                f"earlier fit {self.classes_.tolist()}; omit classes, or pass "
                "the same ones"
            )
        return classes

    def _target_standardisation(self, targets, sample_weight):
        # One-hot targets are used as they are.
        return np.zeros(targets.shape[1]), np.ones(targets.shape[1])

    def _n_network_outputs(self, n_targets):
        return n_targets

    def _member_log_proba(self, X):
        logits = self._member_outputs(X)
        return logits - np.logaddexp.reduce(logits, axis=-1, keepdims=True)

    def predict_members(self, X):
        """Each member's class probabilities, the role of ``estimators_``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Inputs.

        Returns
        -------
        members : Bunch
            ``proba`` of shape (n_estimators, n_samples, n_classes): each
            member's softmax probabilities, columns in the order of
            ``classes_``; their mean is ``predict_proba(X)``.
        """
        return Bunch(proba=np.exp(self._member_log_proba(X)))

    def predict_log_proba(self, X):
        """Log of the averaged class probabilities, finite everywhere.

        Computed as a log-sum-exp over the members' log-softmax outputs rather
        than ``log(predict_proba(X))``, so it stays finite where a probability
        underflows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Inputs.

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
            Inputs.

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
            Inputs.

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
            Inputs.

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
