"""The machinery both estimators share: validation, scaling, fit orchestration.

Subclasses encode their targets and turn the members' raw outputs into
predictions; what warns and what raises is decided here, while the trainer's
whole contract lives in :mod:`skdeepens._core.training`.
"""

import warnings
from contextlib import contextmanager
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.validation import (
    check_is_fitted,
    validate_data,
)

from .. import _validation
from .._core import groups, network, sampling, training
from .._core.layout import ceil_div
from .._core.likelihoods import SCALE_LOSSES
from .._families import check_scale_losses
from .._validation import weighted_standardisation as _weighted_standardisation
from . import _encoding
from ._embeddings import NO_EMBEDDING, fit_numeric_embedding
from ._held_out import _HeldOutRowsMixin
from ._members import (
    _DataOrders,
    _FittedMembers,
    _init_member,
    _init_prior,
    _member_rng,
    _partial_fit_rng,
    _predict_members,
    _prior_rng,
    _repeat_members,
    _sampling_rng,
    _stack,
    _unknown_rows_rng,
)
from ._progress import make_progress

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
# After the first reduction the patience is this fraction of the first one, at
# least this many epochs (never more than the first): the smaller rates only
# refine each member's best snapshot. The defaults study found the same NLL on
# every UCI set in 35-65% fewer epochs; without the floor, the near-noiseless
# set (a first patience of 57 epochs) lost 0.16 nats.
_ADAPTIVE_REFINE_FRACTION = 0.1
_ADAPTIVE_REFINE_MIN_EPOCHS = 30
# Every standardised input column is clipped, at fit and at prediction, to its
# training range widened by this many training standard deviations on each
# side. ReLU members extrapolate linearly without bound, so a row far outside
# the training data (a typo, a unit change, a shifted sensor) would otherwise
# get a mean as far outside the targets; clipped, it is met as a row at most
# one standard deviation past the data, where the members already disagree
# more than on the data (its epistemic part is large), and its mean moves at
# most one standardised slope past the edge. Training rows lie inside their
# own range, so the clip leaves the fit and every prediction inside the range
# bit for bit. Trees are constant outside the range (a margin of 0); one
# standard deviation keeps the cubic toy's extrapolation (4 < |x| <= 6 for a
# training range of [-4, 4], a standard deviation of 2.3) unclipped.
_INPUT_CLIP_MARGIN = 1.0
# A fit whose monitored loss ends this many times (at least 1 nat) above the loss
# of its random initialisation has blown up (a learning rate far too large):
# it raises like a non-finite fit instead of returning finite garbage.
_BLOW_UP_FACTOR = 100.0
# ... and a regressor whose standardised means on its training rows have a root
# mean square beyond this many target standard deviations has blown up too.
_BLOW_UP_MEAN = 1e3
_BLOW_UP_ROWS = 1024
# posterior_samples: blackjax's tuning steps (the chain's burn-in) and the
# chain's steps between two kept samples, per member. Chosen on UCI splits
# (benchmarks/uci.py --set posterior_samples=10): 1000 tuning steps left
# yacht's chains still adapting (worse than no sampling), and a tuning target
# of energy variance above blackjax's default (MILE's 0.1-0.5) was worse on
# every set tried.
_SAMPLING_TUNING_STEPS = 2000
_SAMPLING_THINNING = 50
# The losses that are a negative log likelihood, the posteriors' data term.
_LIKELIHOOD_LOSSES = frozenset({*SCALE_LOSSES, "log_loss"})

# A loss that predicts a scale but has no distribution family would otherwise
# be treated as a point loss: fail at import instead.
check_scale_losses(SCALE_LOSSES)


class _BaseDeepEnsemble(_HeldOutRowsMixin, BaseEstimator):
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
        "categorical_features": ["array-like", StrOptions({"from_dtype"}), None],
        "numeric_embedding": [StrOptions({"piecewise_linear", "periodic"}), None],
        "posterior_samples": [Interval(Integral, 0, None, closed="left")],
        "warm_start": ["boolean"],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "n_jobs": [
            None,
            Interval(Integral, 1, None, closed="left"),
            Interval(Integral, None, -1, closed="right"),
        ],
    }

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # Missing values are imputed by the encoding of X's columns, as
        # HistGradientBoosting handles them inside.
        tags.input_tags.allow_nan = True
        return tags

    # ------------------------------------------------------------------ fitting

    def _validate_params(self):
        super()._validate_params()
        _validation.check_numeric_parameters(
            type(self).__name__, self.get_params(deep=False)
        )

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

    # Keyword arguments of validate_data for this estimator's y.
    _validate_data_kwargs: dict = {}

    def _fit(
        self,
        X,
        y,
        sample_weight,
        *,
        incremental=False,
        classes=None,
        X_val=None,
        y_val=None,
        sample_weight_val=None,
    ):
        """``fit`` (or with ``incremental``, ``partial_fit``) of either estimator.

        The input checks are written here once; the estimator's own checks of
        y are its ``_validate_targets`` hook, as ``_validate_input`` is in
        scikit-learn's MLP, and its class weights (if any) its
        ``_class_weighted`` hook. A validation set ``X_val, y_val`` (``fit``
        only) is checked after the training data, against the features and
        targets they set. The fit then builds the new record of the members,
        and the fitted attributes are set from it in one place
        (:meth:`_set_fitted`) only when everything succeeded: a fit that
        raises leaves the estimator as it was. (``validate_data(reset=True)``,
        the encoding of X's columns and the standardisation, which the
        trainer reads from ``self``, write to the estimator before that
        point; they are put back on failure.)
        """
        _validation.check_not_forked_after_jax()
        fitted = hasattr(self, "params_")
        continuing = fitted and (incremental or self.warm_start)
        method = "partial_fit" if incremental else "fit"
        if self.posterior_samples:
            self._check_can_sample(method)
        with _restored_on_failure(self):
            X_raw = X
            X, y = self._validate_inputs(
                X,
                y,
                reset=not continuing,
                ensure_min_samples=1 if incremental and continuing else 2,
                **self._validate_data_kwargs,
            )
            targets, stratify, target_state = self._validate_targets(
                y, continuing=continuing, method=method, classes=classes
            )
            sample_weight = _validation.check_sample_weight(
                sample_weight, len(X), training=True
            )
            sample_weight = self._class_weighted(
                y, sample_weight, target_state, method=method
            )
            if not continuing:
                self._encoding = _encoding.fit_encoding(
                    X,
                    self._categorical_mask(X_raw),
                    sample_weight,
                    getattr(self, "feature_names_in_", None),
                )
            X = self._encode(X)
            _validation.check_magnitude(X, "X")
            given = self._validate_validation_set(
                X_val, y_val, sample_weight_val, targets, target_state
            )
            signature = _validation.fit_signature(
                activation=self.activation,
                loss=self.loss,
                hidden_layer_sizes=self._hidden_layer_sizes(),
                prior_scale=self.prior_scale,
                numeric_embedding=self.numeric_embedding,
                posterior_samples=self.posterior_samples,
                n_outputs=self._signature_outputs(targets),
            )
            _validation.check_warm_start(
                getattr(self, "_fit_signature", None),
                signature,
                continuing=continuing,
                method=method,
            )
            if incremental:
                members = self._partial_fit_members(X, targets, sample_weight)
            else:
                members = self._fit_members(
                    X, targets, sample_weight, stratify, given=given
                )
            self._set_fitted(members, _fit_signature=signature, **target_state)
        return self

    def _validate_inputs(self, X, y="no_validation", *, reset, **check_params):
        """``validate_data`` of X (and y), as the encoding of X's columns needs it.

        The one home of the validation of the estimators' X, at fit, at
        prediction and for a validation set. With no categorical column X is
        validated to float64 as any numeric estimator's (missing values pass
        as NaN, infinities raise); with categorical columns it is validated
        with its values kept (an object array), for :meth:`_encode`.
        ``n_features_in_`` and ``feature_names_in_`` describe the raw columns.

        Returns
        -------
        X : ndarray of shape (n_samples, n_features_in)
            Validated, not yet encoded.
        y : ndarray
            Only when ``y`` is given (None is validated, and raises).
        """
        _encoding.check_column_dtypes(X)
        if reset:
            categorical = _encoding.requests_categories(self.categorical_features, X)
        else:
            categorical = bool(self._encoding.categorical.any())
        return validate_data(
            self,
            X,
            y,
            reset=reset,
            dtype=None if categorical else np.float64,
            ensure_all_finite=False if categorical else "allow-nan",
            **check_params,
        )

    def _categorical_mask(self, X):
        """The categorical columns of the raw training X (``categorical_features``)."""
        return _encoding.categorical_mask(
            self.categorical_features,
            X,
            self.n_features_in_,
            getattr(self, "feature_names_in_", None),
        )

    def _encode(self, X, *, input_name="X"):
        """The float64 matrix of validated X that the members see (before scaling)."""
        return _encoding.encode(
            self._encoding,
            X,
            input_name=input_name,
            feature_names=getattr(self, "feature_names_in_", None),
        )

    def _validated_encoded(
        self, X, y="no_validation", *, input_name="X", **check_params
    ):
        """Validated, encoded X (and validated y, if given) of a fitted estimator."""
        if isinstance(y, str) and y == "no_validation":
            X = self._validate_inputs(X, reset=False, **check_params)
            return self._encode(X, input_name=input_name)
        X, y = self._validate_inputs(X, y, reset=False, **check_params)
        return self._encode(X, input_name=input_name), y

    def _signature_outputs(self, targets):
        """The target width warm starts must keep (None: not compared)."""
        return None

    def _class_weighted(self, y, sample_weight, target_state, *, method):
        """``sample_weight`` times the class weights (the classifier's hook)."""
        return sample_weight

    def _fitted_members(self):
        """The record of the fitted members, read from the fitted attributes."""
        return _FittedMembers(
            params=self.params_,
            adam_state=self._adam_state,
            learning_rates=self._learning_rates,
            prior_params=getattr(self, "prior_params_", None),
            prior_scale=self._fitted_prior_scale,
            loss_curve=self.loss_curve_,
            validation_curve=getattr(self, "validation_loss_curve_", None),
            best_epoch=self.best_epoch_,
            calibration_factors=getattr(self, "calibration_factors_", None),
            n_partial_fits=self._n_partial_fits,
            samples=getattr(self, "posterior_params_", None),
        )

    def _set_fitted(self, members, **state):
        """The one place the fitted attributes are set, from the record ``members``.

        ``state`` adds the estimator's own fitted attributes (``classes_``,
        ...). An optional attribute whose record field is None is removed, so
        that no attribute of an earlier fit outlives the members it described.
        """
        optional = {
            "prior_params_": members.prior_params,
            "validation_loss_curve_": members.validation_curve,
            "calibration_factors_": members.calibration_factors,
            "posterior_params_": members.samples,
        }
        for name, value in optional.items():
            if value is None:
                self.__dict__.pop(name, None)
            else:
                setattr(self, name, value)
        self.params_ = members.params
        self.loss_curve_ = members.loss_curve
        self.n_iter_ = int(members.loss_curve.shape[0])
        self.best_epoch_ = members.best_epoch
        self._adam_state = members.adam_state
        self._learning_rates = members.learning_rates
        self._fitted_prior_scale = members.prior_scale
        self._n_partial_fits = members.n_partial_fits
        for name, value in state.items():
            setattr(self, name, value)

    def _fit_members(self, X, targets, sample_weight, stratify=None, given=None):
        """Standardise, then train the members this fit adds; their new record.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            Validated inputs.
        targets : ndarray of shape (n_samples, n_targets)
            Encoded targets: raw regression targets, or one-hot classes.
        sample_weight : ndarray of shape (n_samples,)
            Validated non-negative weights.
        stratify : ndarray or None
            Labels to stratify the held-out split by (classification).
        given : tuple of ndarray or None
            The validated validation set ``(X_val, targets_val, weights_val)``,
            which takes the place of the held-out rows (None: hold rows out).

        Returns
        -------
        members : _FittedMembers
            Every member of the fitted ensemble (the kept ones first, with
            ``warm_start``), recalibrated if the estimator recalibrates.
        """
        warm = self._is_warm_starting()
        fitted = self._fitted_members() if warm else None
        n_existing = fitted.n_members if warm else 0
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
            return fitted

        if not warm:
            self._start_members(X, targets, sample_weight)
        arrays = self._training_arrays(X, targets, sample_weight)
        X_train = self._with_unknown_rows(X, sample_weight, call=0)
        trained = (
            arrays
            if X_train is X
            else self._training_arrays(X_train, targets, sample_weight)
        )
        if given is None:
            # The held-out rows keep their own categories: they measure the
            # members on data as it comes.
            train, stopping, calibration = self._held_out_rows(
                trained, stratify, held_out=arrays
            )
        else:
            train = trained
            stopping, calibration = self._given_rows(self._training_arrays(*given))
        _check_some_weight(train[2])

        members = range(n_existing, self.n_estimators)
        rngs, init, prior = self._new_members(members, X.shape[1], targets.shape[1])
        result = self._train(init, rngs, *train, stopping, prior=prior)
        record = _FittedMembers.trained(result, prior, float(self.prior_scale))
        if self.posterior_samples:
            samples = self._sample_posterior(result.params, train, members, prior)
            record = record._replace(samples=samples)
        if warm:
            record = fitted.concatenate(record)
        if calibration is not None:
            factors = self._fit_calibration(record, *calibration)
            record = record._replace(calibration_factors=factors)
        return record

    def _start_members(self, X, targets, sample_weight):
        """What every later fit of the members keeps: scaling and the seed."""
        positive = sample_weight > 0
        self._x_mean, self._x_scale = _weighted_standardisation(X, sample_weight)
        # The encoding's 0/1 columns (one-hot codes, missing indicators) stay
        # 0/1: standardised, a rare code's 1 would be n/count standard
        # deviations large (20 for one row in 400), an input the members
        # learn to meet with a huge variance rather than a fit.
        binary = ~self._encoding.numeric_columns
        self._x_mean[binary], self._x_scale[binary] = 0.0, 1.0
        self._x_range = np.ptp(X[positive], axis=0)
        X_std = (X - self._x_mean) / self._x_scale
        self._x_std_bounds = (
            X_std[positive].min(axis=0) - _INPUT_CLIP_MARGIN,
            X_std[positive].max(axis=0) + _INPUT_CLIP_MARGIN,
        )
        self._numeric_embedding = fit_numeric_embedding(
            self.numeric_embedding,
            X_std,
            sample_weight,
            self._encoding.n_numeric,
        )
        self._seed = self._draw_seed()
        self._target_mean, self._target_scale = self._target_standardisation(
            targets, sample_weight
        )

    def _with_unknown_rows(self, X, sample_weight, *, call):
        """Encoded training X, a seeded share of rows given unknown categories.

        The members must see each categorical column's unknown code to learn
        what to predict for a category they never saw
        (:func:`._encoding.with_unknown_rows`); X itself without categories.
        """
        return _encoding.with_unknown_rows(
            self._encoding, X, sample_weight, _unknown_rows_rng(self._seed, call)
        )

    def _embedding(self):
        """The fitted numeric embedding (estimators pickled before it: none)."""
        return getattr(self, "_numeric_embedding", NO_EMBEDDING)

    def _network_inputs(self, X):
        """Encoded X as the members see it: standardised, clipped, then embedded.

        The clip is to each column's widened training range
        (``_INPUT_CLIP_MARGIN``); estimators pickled before it have no bounds
        and are not clipped.
        """
        bounds = getattr(self, "_x_std_bounds", None)
        if bounds is None:
            return self._embedding().transform((X - self._x_mean) / self._x_scale)
        # A finite x near the float64 limit standardises to +-inf: the clip
        # meets it at the edge like any other far value.
        with np.errstate(over="ignore"):
            X_std = (X - self._x_mean) / self._x_scale
        return self._embedding().transform(np.clip(X_std, *bounds))

    def _training_arrays(self, X, targets, sample_weight):
        """Float32 network inputs, standardised targets and weights (the trainer's)."""
        X_std = self._network_inputs(X).astype(np.float32)
        T_std = ((targets - self._target_mean) / self._target_scale).astype(np.float32)
        return X_std, T_std, sample_weight.astype(np.float32)

    def _new_members(self, members, n_features, n_targets):
        """Members' generators, initial parameters and priors (None if off).

        Each generator goes on from its member's initial weights to its data
        orders; the priors come from streams of their own.
        """
        rngs = [_member_rng(self._seed, m) for m in members]
        embedding = self._embedding()
        n_periodic = embedding.n_periodic
        shapes = network.layer_shapes(
            embedding.dense_inputs(n_features),
            self._hidden_layer_sizes(),
            self._n_network_outputs(n_targets),
        )
        init = _stack(
            [_init_member(rng, shapes, self.activation, n_periodic) for rng in rngs]
        )
        prior = None
        if self.prior_scale > 0:
            prior = _stack(
                [
                    _init_prior(
                        _prior_rng(self._seed, m),
                        shapes,
                        self.activation,
                        n_targets,
                        n_periodic,
                    )
                    for m in members
                ]
            )
        return rngs, init, prior

    def _partial_fit_members(self, X, targets, sample_weight):
        """One epoch of every member over all the given rows (``partial_fit``).

        The first call (on an unfitted estimator) standardises on its data and
        initialises the members as ``fit`` would; later calls continue the
        fitted members, their Adam state and their learning rates. No rows are
        held out: there is no early stopping and no recalibration.

        Returns
        -------
        members : _FittedMembers
            The updated record.
        """
        first = not hasattr(self, "params_")
        fitted = None if first else self._fitted_members()
        if not first and fitted.n_members != self.n_estimators:
            raise ValueError(
                f"partial_fit continues the {fitted.n_members} fitted "
                f"members, but n_estimators={self.n_estimators}. Add members with "
                "fit and warm_start=True, or call fit to train new ones."
            )
        if first:
            self._start_members(X, targets, sample_weight)
        X_train = self._with_unknown_rows(
            X, sample_weight, call=0 if first else fitted.n_partial_fits
        )
        X_std, T_std, weights = self._training_arrays(X_train, targets, sample_weight)
        _check_some_weight(weights)

        members = range(self.n_estimators)
        if first:
            # The members start exactly as in fit.
            rngs, init, prior = self._new_members(members, X.shape[1], targets.shape[1])
            opt_state, rates = None, self.learning_rate_init
        else:
            rngs = [
                _partial_fit_rng(self._seed, m, fitted.n_partial_fits) for m in members
            ]
            init, opt_state, rates = (
                fitted.params,
                fitted.adam_state,
                fitted.learning_rates,
            )
            prior = fitted.prior_params
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
        if first:
            record = _FittedMembers.trained(result, prior, float(self.prior_scale))
            return record._replace(n_partial_fits=1)
        return fitted.continued(result)

    def _calibrates(self):
        """Whether the fit recalibrates the predictive distribution afterwards."""
        return False

    def _draw_seed(self):
        if isinstance(self.random_state, Integral):
            return int(self.random_state)
        return int(
            check_random_state(self.random_state).randint(np.iinfo(np.int32).max)
        )

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
        step = self._embedding().input_step(eps * self._x_range / self._x_scale)
        patience = self._patience(steps_per_epoch)
        if self.learning_rate == "adaptive":
            part = max(1.0, np.ceil(patience * _ADAPTIVE_PATIENCE_FRACTION))
            decay_patience, stop_patience = part, part
            refine_patience = min(
                part,
                max(
                    np.ceil(part * _ADAPTIVE_REFINE_FRACTION),
                    _ADAPTIVE_REFINE_MIN_EPOCHS,
                ),
            )
            max_decays = _ADAPTIVE_MAX_DECAYS
        else:
            decay_patience, stop_patience, max_decays = np.inf, patience, 0
            refine_patience = patience
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
            prior_scale=np.float32(self.prior_scale),
            refine_patience=np.float32(refine_patience),
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
        layout = training.plan_layout(
            n_samples,
            self._batch_size(n_samples),
            0 if validation is None else len(validation[0]),
        )
        progress = make_progress(
            self.verbose,
            n_members=n_members,
            # partial_fit runs one epoch a call, with no bound on the calls.
            max_epochs=None if incremental else self.max_iter,
            has_validation=validation is not None,
            epoch_offset=getattr(self, "n_iter_", 0) if incremental else 0,
        )

        hyper = self._hyperparams(float(weights.sum()), layout.steps_per_epoch)
        if incremental:
            # One epoch per call: the schedule neither reduces nor stops.
            hyper = hyper._replace(
                patience=np.float32(np.inf),
                decay_patience=np.float32(np.inf),
                max_decays=np.int32(0),
            )
        try:
            result = groups.fit_in_groups(
                init_params,
                (X, T, weights),
                validation,
                _DataOrders(rngs, n_samples, self.shuffle),
                n_jobs=self.n_jobs,
                learning_rate=self.learning_rate_init
                if learning_rate is None
                else learning_rate,
                hyper=hyper,
                config=self._train_config(has_validation=validation is not None),
                layout=layout,
                max_epochs=1 if incremental else self.max_iter,
                on_epochs=None if progress is None else progress.update,
                opt_state=opt_state,
                prior_params=prior,
            )
        finally:
            # Also on an interrupt, so that the terminal's line is ended.
            if progress is not None:
                progress.close()
        self._check_training_result(result, warn_unconverged=not incremental)
        self._check_outputs_in_range(result.params, X, prior)
        return result

    def _check_can_sample(self, method):
        """Raise where ``posterior_samples > 0`` has no posterior to sample."""
        if method == "partial_fit":
            raise ValueError(
                "partial_fit does not sample: the posterior of the whole data set "
                "is never seen by one call. Set posterior_samples=0, or call fit."
            )
        if self.loss not in _LIKELIHOOD_LOSSES:
            raise ValueError(
                f"posterior_samples={self.posterior_samples} samples a posterior, "
                f"which needs a likelihood loss: one of "
                f"{sorted(_LIKELIHOOD_LOSSES)}, not loss={self.loss!r}."
            )
        sampling.require_blackjax()

    def _sample_posterior(self, params, train, members, prior):
        """``posterior_samples`` samples of each trained member's posterior.

        Full-batch MCLMC on the training rows (:mod:`skdeepens._core.sampling`),
        from each member's trained parameters; member m's chain is seeded by
        ``random_state`` and m alone. Raises where a chain ran off to
        non-finite parameters or means.

        Returns
        -------
        samples : tuple of (weights, biases)
            Stacked member-major: ``posterior_samples`` rows per member.
        """
        X, T, weights = train
        sampler = sampling.SamplerConfig(
            n_samples=int(self.posterior_samples),
            thinning=_SAMPLING_THINNING,
            n_tuning_steps=_SAMPLING_TUNING_STEPS,
        )
        seeds = [int(_sampling_rng(self._seed, m).integers(2**31)) for m in members]
        samples, finite = groups.sample_in_groups(
            params,
            train,
            seeds,
            n_jobs=self.n_jobs,
            prior_params=prior,
            # The posterior reads alpha and the total weight; the patience
            # settings (from steps per epoch, here any) play no part.
            hyper=self._hyperparams(float(weights.sum()), steps_per_epoch=1),
            config=self._train_config(has_validation=False),
            sampler=sampler,
        )
        if not np.all(finite):
            bad = [members[i] for i in np.flatnonzero(~finite)]
            raise ValueError(
                f"The posterior sampling diverged: the chains of member(s) {bad} "
                "reached non-finite parameters. Try a larger alpha (a tighter "
                "prior) or posterior_samples=0."
            )
        per_member = int(self.posterior_samples)
        self._check_outputs_in_range(
            samples, X, _repeat_members(prior, per_member),
            samples_per_member=per_member,
        )  # fmt: skip
        return samples

    def _train_config(self, *, has_validation):
        """The trainer's static settings for this estimator."""
        return training.TrainConfig(
            loss=self.loss,
            activation=self.activation,
            adversarial=bool(self.adversarial_epsilon),
            has_validation=has_validation,
        )

    def _check_outputs_in_range(self, params, X, prior, *, samples_per_member=0):
        """Raise if the members' standardised means have run off the data.

        The targets are standardised, so a sane member predicts means of a few
        units on its own training rows. A rate far too large can blow the
        means up by orders of magnitude while the NLL, paying only the log of
        an equally blown-up scale, still looks moderate. With
        ``samples_per_member``, ``params`` are the posterior samples (that
        many per member, in a row), and the message is the sampler's.
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
        if len(bad) and samples_per_member:
            members = sorted({int(i) // samples_per_member for i in bad})
            raise ValueError(
                f"The posterior sampling ran off: samples of member(s) {members} "
                f"predict means {rms[bad[0]]:.3g} standard deviations away from "
                "the target's mean on the training rows. Try a larger alpha (a "
                "tighter prior) or posterior_samples=0."
            )
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
        epochs = ceil_div(_AUTO_PATIENCE_STEPS, steps_per_epoch)
        # On small data (a step or two per epoch) the step count alone would
        # exceed max_iter, and the stopping rule could never fire: a member
        # stalled through every rate of the schedule must still stop within
        # half of max_iter.
        rates = 1 + (_ADAPTIVE_MAX_DECAYS if self.learning_rate == "adaptive" else 0)
        cap = max(_AUTO_PATIENCE_MIN_EPOCHS, self.max_iter // (2 * rates))
        return min(max(_AUTO_PATIENCE_MIN_EPOCHS, epochs), cap)

    # --------------------------------------------------------------- predicting

    def _member_outputs(self, X, *, with_inputs=False):
        """Validated X through every member: raw outputs (n_members, n, n_out).

        With ``with_inputs``, also return the validated, encoded X, as
        ``(X, outputs)``.
        """
        check_is_fitted(self)
        X = self._validated_encoded(X)
        # Overflow far from the training data is reported by the check below.
        params, prior = self._fitted_members().components()
        with np.errstate(over="ignore", invalid="ignore"):
            out = _predict_members(
                params, X, self.activation, prior, inputs=self._network_inputs
            )
        self._check_predictions(X, outputs=out)
        return (X, out) if with_inputs else out

    def _check_predictions(self, X, **arrays):
        extent = float(np.max(np.abs(self._x_mean) + self._x_range))
        _validation.check_finite_predictions(X, extent, **arrays)


def _check_some_weight(weights):
    if not np.any(weights > 0):
        raise ValueError(
            "The training data has no sample with a positive sample_weight."
        )


@contextmanager
def _restored_on_failure(estimator):
    """Put back every attribute of ``estimator`` if the block raises.

    The fitted arrays are replaced, never modified in place, so a shallow
    copy of the attributes is enough to restore the fitted state.
    """
    saved = dict(vars(estimator))
    try:
        yield
    except BaseException:
        vars(estimator).clear()
        vars(estimator).update(saved)
        raise
