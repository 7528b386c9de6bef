"""scikit-learn's estimator checks on small, fast instances of both estimators.

No check is expected to fail. The full checks run on one instance of each
estimator; the variants (other losses, adversarial training, early stopping,
priors) run them with the slow tests. One check runs with its own parameters, as
scikit-learn itself does for MLPRegressor and MLPClassifier
(sklearn/utils/_test_common/instance_generator.py, PER_ESTIMATOR_CHECK_PARAMS):

* ``check_sample_weight_equivalence_on_dense_data`` compares a fit with integer
  sample weights to a fit on repeated rows at ``rtol=1e-7``. Both fits are
  full-batch here and compute the same objective, but the members train in
  float32, whose rounding alone differs by about 1e-7 once the two sums are
  taken in different orders. The check therefore runs two full-batch Adam steps
  (``max_iter=2``, ``learning_rate_init=1e-3``), which follow the same path up
  to that rounding; ``test_ensemble.py`` tests the same equivalence over a
  whole training run at a float32 tolerance. In the early-stopping
  configurations the check also turns the validation split off (and, for the
  regressor, the recalibration that holds rows out too): a random split cannot
  treat a row of weight 2 as two rows (two copies may fall on different sides
  of the split), so weights and repetitions agree only without it.
"""

import numpy as np
import pytest
from _helpers import QUICK
from sklearn.base import clone
from sklearn.utils.estimator_checks import parametrize_with_checks

from skdeepens import DeepEnsembleClassifier, DeepEnsembleRegressor

# Small and quick: two members of 16 units; a learning rate large enough that
# the checks' small problems are learnt in 100 epochs.
_SMALL = {
    **QUICK,
    "n_estimators": 2,
    "max_iter": 100,
    "n_iter_no_change": "auto",
}

# The full checks run on one instance per estimator, the defaults' losses.
ESTIMATORS = [
    DeepEnsembleRegressor(**_SMALL),
    DeepEnsembleClassifier(**_SMALL),
]

# The variants change the training loss, the training step (FGSM), the data
# a member sees (the early-stopping split) or its inputs (the numeric
# embeddings); their checks run with the slow tests.
VARIANTS = [
    *(
        DeepEnsembleRegressor(loss=loss, **_SMALL)
        for loss in ("laplace_nll", "squared_error", "absolute_error")
    ),
    DeepEnsembleRegressor(adversarial_epsilon=0.01, **_SMALL),
    DeepEnsembleRegressor(**{**_SMALL, "early_stopping": True}),
    DeepEnsembleRegressor(prior_scale=1.0, **_SMALL),
    DeepEnsembleClassifier(loss="brier", **_SMALL),
    DeepEnsembleClassifier(adversarial_epsilon=0.01, **_SMALL),
    DeepEnsembleClassifier(**{**_SMALL, "early_stopping": True}),
    DeepEnsembleClassifier(prior_scale=1.0, **_SMALL),
    *(
        estimator(numeric_embedding=kind, **_SMALL)
        for estimator in (DeepEnsembleRegressor, DeepEnsembleClassifier)
        for kind in ("piecewise_linear", "periodic")
    ),
]

VARIANT_CHECKS = {"check_classifiers_train", "check_regressors_train"}

# Checks of the machinery the two estimators share (_ensemble/_base.py: input
# validation, sample weights, the fit's bookkeeping) run on the regressor by
# default and on the classifier too with the slow tests, as tests/_helpers.py's
# KINDS: each of these fits the classifier on data of a shape of its own, a
# compiled program each. The classifier's own checks (classes, labels, one
# label, class weights, probabilities, pickling) stay in the default suite.
SHARED_CHECKS = {
    "check_dtype_object",
    "check_estimators_dtypes",
    "check_fit2d_1feature",
    "check_fit_score_takes_y",
    "check_n_features_in_after_fitting",
    "check_pipeline_consistency",
    "check_positive_only_tag_during_fit",
    "check_sample_weight_equivalence_on_dense_data",
    "check_sample_weights_pandas_series",
}

PER_CHECK_PARAMS = {
    "check_sample_weight_equivalence_on_dense_data": dict(
        max_iter=2,
        learning_rate_init=1e-3,
        n_iter_no_change=np.inf,
        early_stopping=False,
    ),
}


def _check_name(check):
    return getattr(check, "func", check).__name__


def _checks(estimators, keep=lambda name: True, slow=lambda estimator, name: False):
    """parametrize_with_checks over ``estimators``, only the checks ``keep``s;
    those ``slow`` says marked slow."""
    mark = parametrize_with_checks(estimators).mark
    params = []
    for param in mark.args[1]:
        # (estimator, check), or a pytest.param of them (an expected failure).
        values = getattr(param, "values", param)
        estimator, name = values[0], _check_name(values[1])
        if not keep(name):
            continue
        if slow(estimator, name):
            marks = [*getattr(param, "marks", ()), pytest.mark.slow]
            param = pytest.param(*values, marks=marks, id=getattr(param, "id", None))
        params.append(param)
    return pytest.mark.parametrize(mark.args[0], params, **mark.kwargs)


def _shared_check_on_the_classifier(estimator, name):
    return isinstance(estimator, DeepEnsembleClassifier) and name in SHARED_CHECKS


def _run(estimator, check):
    name = _check_name(check)
    if name in PER_CHECK_PARAMS:
        # parametrize_with_checks shares one instance between checks: clone it.
        params = dict(PER_CHECK_PARAMS[name])
        if "calibration" in estimator.get_params():
            # The recalibration holds rows out too: off, for the same reason.
            params["calibration"] = None
        estimator = clone(estimator).set_params(**params)
    check(estimator)


@_checks(ESTIMATORS, slow=_shared_check_on_the_classifier)
def test_sklearn_compatible_estimator(estimator, check):
    _run(estimator, check)


# Each variant compiles programs of its own, and what it changes is tested by
# default elsewhere (the losses in test_ensemble.py and test_classifier.py,
# FGSM and early stopping in test_ensemble.py, the prior in test_priors.py):
# the variants' checks run with the slow tests.
@pytest.mark.slow
@_checks(VARIANTS, keep=VARIANT_CHECKS.__contains__)
def test_sklearn_compatible_variant(estimator, check):
    _run(estimator, check)


@pytest.mark.slow
@_checks(VARIANTS, keep=lambda name: name not in VARIANT_CHECKS)
def test_sklearn_compatible_variant_all_checks(estimator, check):
    _run(estimator, check)
