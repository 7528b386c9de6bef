"""DeepEnsembleRegressor: the mixture of Gaussian or Laplace members."""

from numbers import Real

import numpy as np
from sklearn.base import RegressorMixin, _fit_context
from sklearn.utils import Bunch
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from .. import _validation
from .._calibration import apply_calibration, fit_calibration
from .._core.likelihoods import SCALE_LOSSES
from .._families import POINT, family_of_loss, get_family
from .._mixture import (
    MixtureDistribution,
    predictive_interval,
    predictive_quantiles,
    regression_uncertainty,
)
from .._validation import weighted_standardisation as _weighted_standardisation
from ._base import _BaseDeepEnsemble
from ._docs import (
    _COMMON_ATTRIBUTES_DOC,
    _COMMON_PARAMETERS_DOC,
    _splice,
    _validation_set_doc,
)
from ._members import _predict_members, _scale_from_raw


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
        turns it off. Point losses have no distribution to calibrate. With
        both early stopping and calibration on, each has at least one
        held-out row of its own, so a fit needs at least 3 rows of positive
        weight. A validation set given to ``fit`` (``X_val, y_val``) takes
        the place of the held-out rows, on the same rule: see ``fit``.
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
        categorical_features="from_dtype",
        numeric_embedding=None,
        posterior_samples=0,
        warm_start=False,
        random_state=None,
        verbose=0,
        n_jobs=None,
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
        self.categorical_features = categorical_features
        self.numeric_embedding = numeric_embedding
        self.posterior_samples = posterior_samples
        self.warm_start = warm_start
        self.random_state = random_state
        self.verbose = verbose
        self.n_jobs = n_jobs

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(
        self,
        X,
        y,
        sample_weight=None,
        *,
        X_val=None,
        y_val=None,
        sample_weight_val=None,
    ):
        """Train the ensemble.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training inputs; a DataFrame may hold categorical columns, and
            missing values are imputed (see ``categorical_features``); no
            infinity.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights; a zero weight removes a row (the internal
            standardisation is weighted too).
        X_val, y_val, sample_weight_val
            See below.

        Returns
        -------
        self : DeepEnsembleRegressor
            The fitted estimator.
        """
        return self._fit(
            X,
            y,
            sample_weight,
            X_val=X_val,
            y_val=y_val,
            sample_weight_val=sample_weight_val,
        )

    fit.__doc__ = _splice(
        fit.__doc__,
        "        X_val, y_val, sample_weight_val\n            See below.\n",
        _validation_set_doc(
            "(n_val,) or (n_val, n_outputs)",
            "Targets of the validation set, of the width of y.",
            "``early_stopping=False`` with ``calibration=None`` or a point loss",
            extra="""\
            With ``calibration="scale"`` it also fits the recalibration, in
            place of held-out training rows: whoever sets rows aside for
            validation expects the fit to learn from every other row. With
            early stopping too, its rows of positive weight are dealt out at
            random (seeded by ``random_state``) into two halves, one to
            monitor early stopping and one to fit the recalibration, never a
            row for both (see ``calibration``); with ``calibration=None`` all
            of it monitors early stopping, and with ``early_stopping=False``
            all of it fits the recalibration.
""",
        ),
    )

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
        play no part (a rate already reduced by ``fit`` is kept), and it takes
        no validation set (``fit``'s ``X_val``). There is no
        recalibration either: a ``calibration_factors_`` of an earlier ``fit``
        is removed, since it no longer describes the updated members (refit to
        recalibrate). The L2 penalty is divided by the total weight of the
        rows of each call. To add members, use ``fit`` with
        ``warm_start=True``; here ``n_estimators`` must equal the number of
        fitted members.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training inputs; a DataFrame may hold categorical columns, and
            missing values are imputed (see ``categorical_features``); no
            infinity.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets, of the width of the first fit.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights; a zero weight removes a row.

        Returns
        -------
        self : DeepEnsembleRegressor
            The updated estimator.
        """
        return self._fit(X, y, sample_weight, incremental=True)

    _validate_data_kwargs = {"multi_output": True, "y_numeric": True}

    def _validate_validation_targets(self, y_val, targets, target_state):
        """2-D float targets of ``y_val``, of the training ``targets``' width."""
        _validation.check_regression_targets(y_val)
        targets_val = y_val.reshape(len(y_val), -1)
        if targets_val.shape[1] != targets.shape[1]:
            raise ValueError(
                f"y_val has {targets_val.shape[1]} output(s), but y has "
                f"{targets.shape[1]}; the validation targets must be like y's"
            )
        _validation.check_magnitude(targets_val, "y_val")
        return targets_val

    def _validate_targets(self, y, *, continuing, method, classes=None):
        """The regressor's checks of y (the hook of ``_fit``): 2-D float targets.

        Returns the targets, no labels to stratify by, and the fitted
        attributes they set.
        """
        _validation.check_regression_targets(y)
        if continuing and y.ndim != self._y_ndim:
            if method == "partial_fit":
                raise ValueError(
                    "partial_fit needs y of the shape of the first fit: "
                    f"{self._y_ndim}-d; got {y.ndim}-d"
                )
            raise ValueError(
                "warm_start=True needs y of the same shape as the first fit"
            )
        targets = y.reshape(len(y), -1)
        _validation.check_magnitude(targets, "y")
        return targets, None, {"_y_ndim": y.ndim}

    def _signature_outputs(self, targets):
        return targets.shape[1]

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
        # The scale head as in training, in float64.
        return out[..., :n_targets], _scale_from_raw(out[..., n_targets:])

    def _fit_calibration(self, members, X_held_out, T_held_out, w_held_out):
        """The recalibration factors of ``members`` on the held-out rows."""
        params, prior = members.components()
        out = _predict_members(params, X_held_out, self.activation, prior)
        loc, scale = self._loc_scale_from_outputs(out)
        return fit_calibration(
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
        mixture is ``predict_dist(X)``. With ``posterior_samples > 0`` a
        "member" is one posterior sample: ``n_estimators * posterior_samples``
        of them, each member's samples in a row.

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
            None). Arrays of shape ``(n_components,) + predict(X).shape``,
            ``n_components`` being ``n_estimators`` (times
            ``posterior_samples`` when sampling).
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
            Also return the standard deviation of the predictive mixture
            (``predict_uncertainty(X).total_std``, the square root of its
            ``total_var``).

        Returns
        -------
        mean : ndarray of shape (n_samples,) or (n_samples, n_outputs)
        std : ndarray of the same shape
            Only with ``return_std=True``.
        """
        uncertainty = self.predict_uncertainty(X)
        if return_std:
            return uncertainty.mean, uncertainty.total_std
        return uncertainty.mean

    def predict_uncertainty(self, X):
        """Predictive mean and the split of the predictive variance.

        Gaussian members contribute their variance ``sigma**2``, Laplace
        members their variance ``2 * b**2`` (Lakshminarayanan et al., 2017,
        section 2.4, for the Gaussian mixture); with
        a point loss the members predict no noise and ``aleatoric_var`` is
        zero. The variances add up; their square roots, the standard
        deviations, do not (``total_std`` is ``predict(X, return_std=True)``'s
        standard deviation).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Inputs.

        Returns
        -------
        uncertainty : Bunch
            Each of shape (n_samples,) or (n_samples, n_outputs):

            - ``mean``: the mixture mean;
            - ``total_var``: the variance of the predictive mixture,
              ``aleatoric_var + epistemic_var``;
            - ``aleatoric_var``: the mean of the members' variances (the
              noise in the data);
            - ``epistemic_var``: the variance of the members' means (what the
              ensemble does not know);
            - ``total_std``, ``aleatoric_std``, ``epistemic_std``: their
              square roots, in the target's units.

        Examples
        --------
        >>> from skdeepens import DeepEnsembleRegressor
        >>> from skdeepens.datasets import make_cubic
        >>> X, y = make_cubic(n_samples=40, random_state=0)
        >>> reg = DeepEnsembleRegressor(max_iter=20).fit(X, y)  # doctest: +SKIP
        >>> u = reg.predict_uncertainty(X)  # doctest: +SKIP
        >>> sorted(u)  # doctest: +SKIP
        ['aleatoric_std', 'aleatoric_var', 'epistemic_std', 'epistemic_var',
         'mean', 'total_std', 'total_var']
        """
        _, _, split = self._member_loc_scale(X, with_split=True)
        uncertainty = Bunch(mean=self._shape_output(split.mean))
        variances = {
            f"{part}_var": self._shape_output(split[part])
            for part in ("total", "aleatoric", "epistemic")
        }
        uncertainty.update(variances)
        uncertainty.update(
            {key[:-4] + "_std": np.sqrt(value) for key, value in variances.items()}
        )
        return uncertainty

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
