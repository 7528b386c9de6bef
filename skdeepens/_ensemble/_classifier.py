"""DeepEnsembleClassifier: averaged softmax members, entropy split."""

import numpy as np
from sklearn.base import ClassifierMixin, _fit_context
from sklearn.utils import Bunch
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import check_classification_targets

from .. import _validation
from .._calibration import apply_temperature, fit_temperature
from .._mixture import (
    classification_uncertainty,
)
from ._base import _BaseDeepEnsemble
from ._docs import (
    _COMMON_ATTRIBUTES_DOC,
    _COMMON_PARAMETERS_DOC,
    _splice,
    _validation_set_doc,
)
from ._members import _predict_members


class DeepEnsembleClassifier(ClassifierMixin, _BaseDeepEnsemble):
    __doc__ = (
        """Deep ensemble of neural networks for classification with uncertainty.

    M multilayer perceptrons, each from its own random initialisation and data
    order, trained with a proper scoring rule (softmax cross-entropy, or the
    Brier score) and optionally FGSM adversarial training (Lakshminarayanan,
    Pritzel & Blundell, 2017). The ensemble predicts the average of the
    members' probabilities, recalibrated by default with one temperature
    fitted on held-out rows; its entropy splits into the members' average
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
    calibration : {"temperature"} or None, default="temperature"
        Recalibration of the predicted probabilities after training, fitted
        on the ``validation_fraction`` of the training rows held out (the
        rows that also monitor early stopping). "temperature" divides every
        member's logits by one temperature ``T`` (Guo et al., 2017) before the
        members are averaged, chosen to minimise the held-out log loss of the
        mixture (with a normal prior of standard deviation 0.5 on ``log T``,
        which keeps it near 1 on few rows). The members' argmax is unchanged,
        and ``predict_proba``, ``predict_log_proba``, ``predict_members`` and
        the entropy split of ``predict_uncertainty`` all describe the
        tempered mixture. ``None`` turns it off. A validation set given to
        ``fit`` (``X_val, y_val``) takes the place of the held-out rows, on
        the same rule: see ``fit``.
    adversarial_epsilon""",
        ).replace(
            "    warm_start : bool",
            """    class_weight : dict, "balanced" or None, default=None
        Weights of the classes, as in scikit-learn's classifiers: a dict
        ``{class_label: weight}`` (classes it omits weigh 1, and a label that
        is no class of y raises), or "balanced", ``n_samples / (n_classes *
        np.bincount(y))`` from the classes' frequencies in the y of ``fit``.
        Each training row's weight is multiplied by its class's, in the loss,
        the standardisation and the rows held out for early stopping alike
        (:func:`~sklearn.utils.class_weight.compute_sample_weight`); the rows
        of a validation set given to ``fit`` keep their own
        ``sample_weight_val``, as in HistGradientBoostingClassifier. ``None``:
        every class weighs 1. ``partial_fit`` applies a dict, and refuses
        "balanced" (the frequencies of one call are not the data's), as
        SGDClassifier does.
    warm_start : bool""",
        )
        + """
    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels."""
        + _COMMON_ATTRIBUTES_DOC
        + """    calibration_factors_ : ndarray of shape (1,)
        The temperature that divides every member's logits (only with
        ``calibration="temperature"``; ``partial_fit`` removes it, since it
        described the members before the new epoch).
"""
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

    # The one temperature is fitted on the rows that monitor early stopping.
    _RECALIBRATES_ON_STOPPING_ROWS = True

    _parameter_constraints = {
        **_BaseDeepEnsemble._parameter_constraints,
        "loss": [StrOptions({"log_loss", "brier"})],
        "class_weight": [dict, StrOptions({"balanced"}), None],
        "calibration": [StrOptions({"temperature"}), None],
    }

    def __init__(
        self,
        n_estimators=5,
        *,
        hidden_layer_sizes=(50, 50),
        activation="relu",
        loss="log_loss",
        calibration="temperature",
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
        class_weight=None,
        warm_start=False,
        random_state=None,
        verbose=0,
        n_jobs=None,
    ):
        self.n_estimators = n_estimators
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.loss = loss
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
        self.class_weight = class_weight
        self.warm_start = warm_start
        self.random_state = random_state
        self.verbose = verbose
        self.n_jobs = n_jobs

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
        y : array-like of shape (n_samples,)
            Class labels of any type scikit-learn accepts (ints, strings,
            booleans); at least two classes.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights; a zero weight removes a row. Multiplied by
            the weights of ``class_weight``.
        X_val, y_val, sample_weight_val
            See below.

        Returns
        -------
        self : DeepEnsembleClassifier
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
            "(n_val,)",
            "Labels of the validation set, each one of the classes of y.",
            "``early_stopping=False`` with ``calibration=None``",
            extra="""\
            With ``calibration="temperature"`` it also fits the temperature,
            in place of held-out training rows: all of it, whether or not it
            monitors early stopping too.
            ``class_weight`` does not weigh its rows, as in
            HistGradientBoostingClassifier: its weights are
            ``sample_weight_val`` alone, so that the monitored loss is the
            one the user chose.
""",
        ),
    )

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
        play no part (a rate already reduced by ``fit`` is kept), and it takes
        no validation set (``fit``'s ``X_val``). A ``class_weight`` dict
        weighs the rows of each call; "balanced" raises. The L2
        penalty is divided by the total weight of the rows of each call. To
        add members, use ``fit`` with ``warm_start=True``; here
        ``n_estimators`` must equal the number of fitted members.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training inputs; a DataFrame may hold categorical columns, and
            missing values are imputed (see ``categorical_features``); no
            infinity.
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
        return self._fit(X, y, sample_weight, incremental=True, classes=classes)

    def _validate_targets(self, y, *, continuing, method, classes=None):
        """The classifier's checks of y (the hook of ``_fit``): one-hot classes.

        Returns the one-hot targets, the encoded labels to stratify the
        held-out split by, and the fitted ``classes_``.
        """
        _validation.check_class_labels(y)
        check_classification_targets(y)
        if method == "partial_fit":
            classes = self._partial_fit_classes(classes, first=not continuing)
            known = set(classes.tolist())
            unknown = [label for label in np.unique(y).tolist() if label not in known]
            if unknown:
                raise ValueError(
                    f"y has labels {unknown} that are not in classes "
                    f"{classes.tolist()}; partial_fit learns only the classes of "
                    "its first call"
                )
            encoded = np.searchsorted(classes, y)
        else:
            classes, encoded = np.unique(y, return_inverse=True)
            if continuing and not np.array_equal(classes, self.classes_):
                raise ValueError(
                    "warm_start=True needs the classes of the first fit "
                    f"{self.classes_}; got {classes}"
                )
            if len(classes) < 2:
                raise ValueError(
                    "DeepEnsembleClassifier needs samples of at least 2 classes in "
                    "the data, but the data contains only one class: "
                    f"{classes.tolist()[0]!r}"
                )
        one_hot = np.eye(len(classes), dtype=np.float64)[encoded]
        return one_hot, encoded, {"classes_": classes}

    def _class_weighted(self, y, sample_weight, target_state, *, method):
        """``sample_weight`` times each row's class weight (the hook of ``_fit``).

        As in scikit-learn's classifiers (HistGradientBoostingClassifier's
        ``_finalize_sample_weight``): the weights of
        :func:`~sklearn.utils.class_weight.compute_sample_weight` multiply the
        training rows' weights, before the held-out split, so that the
        standardisation, the loss and the rows held out of the training data
        all see them. A validation set given to ``fit`` keeps its own
        ``sample_weight_val``, as in HistGradientBoosting.
        """
        if self.class_weight is None:
            return sample_weight
        if method == "partial_fit" and self.class_weight == "balanced":
            # As SGDClassifier: one call's balance is not the data's.
            raise ValueError(
                "class_weight='balanced' is not supported by partial_fit: the "
                "class frequencies of one call are not those of the data. Pass "
                "the weights as a dict, e.g. dict(zip(classes, "
                "compute_class_weight('balanced', classes=classes, y=y_all)))."
            )
        classes = target_state["classes_"]
        _validation.check_class_weight(self.class_weight, classes)
        # compute_sample_weight(class_weight, y) is this over np.unique(y);
        # over every class, a partial_fit call whose y lacks a class a dict
        # weighs still gets each row's weight.
        per_class = compute_class_weight(self.class_weight, classes=classes, y=y)
        return _validation.check_sample_weight(
            sample_weight * per_class[np.searchsorted(classes, y)],
            len(y),
            training=True,
            name="sample_weight times class_weight",
        )

    def _validate_validation_targets(self, y_val, targets, target_state):
        """One-hot targets of ``y_val``, whose labels must be training classes."""
        classes = target_state["classes_"]
        _validation.check_class_labels(y_val)
        check_classification_targets(y_val)
        known = set(classes.tolist())
        unknown = [label for label in np.unique(y_val).tolist() if label not in known]
        if unknown:
            raise ValueError(
                f"y_val has labels {unknown} that are not among the classes of "
                f"the training data {classes.tolist()}"
            )
        return np.eye(len(classes), dtype=np.float64)[np.searchsorted(classes, y_val)]

    def _partial_fit_classes(self, classes, first):
        """The classes of a partial_fit call, checked against the fitted ones."""
        if classes is None:
            if first:
                raise ValueError(
                    "classes must be passed on the first call to partial_fit: "
                    "every label y may take over all calls, e.g. np.unique(y_all)"
                )
            return self.classes_
        # Checked as given: NumPy would turn ["a", 1] into the strings "a", "1".
        _validation.check_class_labels(np.asarray(classes, dtype=object).ravel())
        classes = np.asarray(classes)
        if classes.dtype.kind in "fc" and np.isnan(classes).any():
            raise ValueError(
                f"classes must not contain NaN, which is no class label; got "
                f"classes={classes.tolist()}"
            )
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

    def _calibrates(self):
        return self.calibration is not None

    def _fit_calibration(self, members, X_held_out, T_held_out, w_held_out):
        """The temperature of ``members`` on the held-out rows, as (T,)."""
        params, prior = members.components()
        logits = _predict_members(params, X_held_out, self.activation, prior)
        labels = np.argmax(T_held_out, axis=1)
        return np.array([fit_temperature(logits, labels, w_held_out)])

    def _member_log_proba(self, X):
        logits = self._member_outputs(X)
        if hasattr(self, "calibration_factors_"):
            logits = apply_temperature(logits, self.calibration_factors_[0])
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
            ``proba`` of shape (n_components, n_samples, n_classes): each
            member's softmax probabilities, columns in the order of
            ``classes_``; their mean is ``predict_proba(X)``.
            ``n_components`` is ``n_estimators``, or with
            ``posterior_samples > 0`` ``n_estimators * posterior_samples``:
            each member's posterior samples, in a row.
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
        """Total, aleatoric and epistemic uncertainty: entropies, in nats.

        Unlike the regressor's variances and standard deviations, these are
        information quantities, in nats (natural logarithm): an entropy of 0
        is a certain prediction, ``log(n_classes)`` the uniform one.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Inputs.

        Returns
        -------
        uncertainty : Bunch
            Each of shape (n_samples,), in nats, never negative, with
            ``total = aleatoric + epistemic``:

            - ``total``: the entropy of the averaged probabilities;
            - ``aleatoric`` (data uncertainty): the members' average entropy;
            - ``epistemic`` (knowledge uncertainty): their difference, the
              mutual information between the prediction and the choice of
              member (the Jensen-Shannon divergence between the members).
        """
        split = classification_uncertainty(np.exp(self._member_log_proba(X)))
        return Bunch(
            total=split.total, aleatoric=split.aleatoric, epistemic=split.epistemic
        )
