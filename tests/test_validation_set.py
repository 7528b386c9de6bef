"""A validation set given to fit (``X_val``, ``y_val``, ``sample_weight_val``).

HistGradientBoosting's meaning: the set monitors early stopping in place of a
split of the training rows, every training row trains, and metadata routing
passes it through a Pipeline. The regressor's recalibration uses it too, each
purpose on a half of its own. And ``best_epoch_``, the epoch each member keeps.

The fits share the programs of the QUICK configuration (and its early-stopping
twin) on the cubic: a validation set of a few dozen rows pads to the bucket of
the split it replaces, so nothing here compiles a program of its own.
"""

import copy
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import sklearn
from _helpers import QUICK
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from skdeepens import DeepEnsembleClassifier, DeepEnsembleRegressor
from skdeepens._calibration import fit_calibration
from skdeepens._ensemble._members import _FittedMembers, _given_validation_split
from skdeepens.datasets import make_cubic

# QUICK with early stopping: a fixed 60 epochs, each member keeping its best.
EARLY = {**QUICK, "early_stopping": True}
BOTH = ["early_stopping", "calibration"]


@pytest.fixture(scope="module")
def validation():
    return make_cubic(n_samples=20, random_state=1)


@pytest.fixture(scope="module")
def fits(cubic, validation):
    """The same members trained with a validation set and without one."""
    X, y = cubic
    X_val, y_val = validation
    monitored = DeepEnsembleRegressor(**EARLY, calibration=None)
    monitored.fit(X, y, X_val=X_val, y_val=y_val)
    plain = DeepEnsembleRegressor(**QUICK, calibration=None).fit(X, y)
    return monitored, plain


def _standardised_nll(reg, X, y):
    """Each member's mean Gaussian NLL on (X, y), in the curves' units."""
    members = reg.predict_members(X)
    z = (y - members.loc) / members.scale
    nll = 0.5 * np.log(2 * np.pi) + np.log(members.scale) + 0.5 * z**2
    # NLL(standardised y) = NLL(y) - log(scale of y).
    return nll.mean(axis=1) - np.log(reg._target_scale[0])


def test_every_training_row_trains_when_a_validation_set_is_given(fits):
    monitored, plain = fits
    # No row is held out: the training objective of every epoch is that of a
    # fit on all the rows without early stopping (same orders, same steps).
    np.testing.assert_array_equal(monitored.loss_curve_, plain.loss_curve_)
    assert monitored.validation_loss_curve_.shape == monitored.loss_curve_.shape


def test_the_validation_set_is_what_early_stopping_monitors(fits, validation):
    monitored, _ = fits
    curve = monitored.validation_loss_curve_
    kept = _standardised_nll(monitored, *validation)
    np.testing.assert_allclose(kept, np.nanmin(curve, axis=0), rtol=1e-4, atol=1e-4)


def test_best_epoch_is_the_epoch_of_each_members_kept_parameters(fits):
    monitored, plain = fits
    curve = monitored.validation_loss_curve_
    best = monitored.best_epoch_
    assert best.shape == (3,) and best.dtype.kind == "i"
    # The snapshot moves on every improvement (tol only counts stalls), so the
    # epoch is the first argmin of the member's validation curve, 1-based.
    np.testing.assert_array_equal(best, np.nanargmin(curve, axis=0) + 1)
    np.testing.assert_array_equal(curve[best - 1, range(3)], np.nanmin(curve, axis=0))
    # Some member improved before the last epoch, or the test shows nothing.
    assert np.any(best < monitored.n_iter_)
    # Without early stopping each member keeps its last epoch.
    np.testing.assert_array_equal(plain.best_epoch_, [plain.n_iter_] * 3)


def test_best_epoch_follows_warm_start_and_partial_fit(fits, cubic, validation):
    X, y = cubic
    monitored, _ = fits
    # Three members more: the kept ones keep their epochs, the new ones
    # monitor the validation set of this call.
    warm = copy.deepcopy(monitored).set_params(warm_start=True, n_estimators=6)
    warm.fit(X, y, X_val=validation[0], y_val=validation[1])
    np.testing.assert_array_equal(warm.best_epoch_[:3], monitored.best_epoch_)
    curve = warm.validation_loss_curve_
    np.testing.assert_array_equal(warm.best_epoch_, np.nanargmin(curve, axis=0) + 1)
    np.testing.assert_allclose(
        _standardised_nll(warm, *validation)[3:],
        np.nanmin(curve[:, 3:], axis=0),
        rtol=1e-4,
        atol=1e-4,
    )
    # partial_fit trains every member one epoch on from its kept parameters:
    # each keeps that epoch, the curves' new last row.
    partial = copy.deepcopy(monitored).partial_fit(X, y)
    assert partial.n_iter_ == monitored.n_iter_ + 1
    np.testing.assert_array_equal(partial.best_epoch_, [partial.n_iter_] * 3)


def test_best_epoch_of_a_record_concatenates_and_continues():
    def record(best, n_iter):
        n = len(best)
        return _FittedMembers(
            params=((np.zeros((n, 1, 1)), np.zeros((n, 1))),),
            adam_state=(np.zeros((n, 1)),),
            learning_rates=np.ones(n),
            prior_params=None,
            prior_scale=0.0,
            loss_curve=np.ones((n_iter, n)),
            validation_curve=None,
            best_epoch=np.array(best),
            calibration_factors=None,
            n_partial_fits=0,
        )

    joined = record([3, 5], n_iter=5).concatenate(record([7], n_iter=9))
    np.testing.assert_array_equal(joined.best_epoch, [3, 5, 7])
    assert joined.loss_curve.shape == (9, 3)
    # One partial_fit epoch of the trainer (its result, as FitResult names it).
    step = record([1, 1, 1], n_iter=1)
    result = SimpleNamespace(
        params=step.params,
        opt_state=step.adam_state,
        learning_rate=step.learning_rates,
        loss_curve=step.loss_curve,
        best_epoch=step.best_epoch,
    )
    np.testing.assert_array_equal(joined.continued(result).best_epoch, [10, 10, 10])


def test_the_recalibration_and_early_stopping_split_the_validation_set(
    cubic, validation
):
    X, y = cubic
    X_val, y_val = validation
    reg = DeepEnsembleRegressor(**EARLY).fit(X, y, X_val=X_val, y_val=y_val)
    stopping, calibration = _given_validation_split(
        np.ones(len(y_val)), seed=reg._seed, purposes=BOTH
    )
    assert set(stopping).isdisjoint(calibration)
    assert sorted([*stopping, *calibration]) == list(range(len(y_val)))
    # Early stopping monitored its half: the members as trained score there
    # the best loss each saw.
    raw = copy.copy(reg)
    del raw.calibration_factors_
    kept = _standardised_nll(raw, X_val[stopping], y_val[stopping])
    np.testing.assert_allclose(
        kept, np.nanmin(reg.validation_loss_curve_, axis=0), rtol=1e-4, atol=1e-4
    )
    np.testing.assert_allclose(
        reg.calibration_factors_, _factors(raw, X_val[calibration], y_val[calibration])
    )


def _factors(raw, X, y):
    """The recalibration of the uncalibrated members ``raw`` on (X, y)."""
    members = raw.predict_members(X)
    mean, scale = raw._target_mean[0], raw._target_scale[0]
    return fit_calibration(
        ((members.loc - mean) / scale)[..., None],
        (members.scale / scale)[..., None],
        "gaussian",
        ((y - mean) / scale)[:, None],
    )


def test_without_early_stopping_the_validation_set_recalibrates(
    cubic, validation, fits
):
    X, y = cubic
    X_val, y_val = validation
    reg = DeepEnsembleRegressor(**QUICK).fit(X, y, X_val=X_val, y_val=y_val)
    assert not hasattr(reg, "validation_loss_curve_")
    # No row is held out for the recalibration either.
    np.testing.assert_array_equal(reg.loss_curve_, fits[1].loss_curve_)
    raw = copy.copy(reg)
    del raw.calibration_factors_
    np.testing.assert_allclose(
        reg.calibration_factors_, _factors(raw, X_val, y_val), rtol=1e-6
    )


def test_a_pipeline_routes_and_transforms_the_validation_set(cubic, validation, fits):
    X, y = cubic
    X_val, y_val = validation
    scaler = StandardScaler().fit(X)
    with sklearn.config_context(enable_metadata_routing=True):
        reg = DeepEnsembleRegressor(**EARLY, calibration=None).set_fit_request(
            X_val=True, y_val=True, sample_weight_val=True
        )
        pipe = Pipeline(
            [("scale", StandardScaler()), ("reg", reg)], transform_input=["X_val"]
        )
        pipe.fit(X, y, X_val=X_val, y_val=y_val, sample_weight_val=np.ones(20))
    direct = DeepEnsembleRegressor(**EARLY, calibration=None).fit(
        scaler.transform(X), y, X_val=scaler.transform(X_val), y_val=y_val
    )
    fitted = pipe[-1]
    for (w, b), (w0, b0) in zip(fitted.params_, direct.params_):
        np.testing.assert_allclose(w, w0, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(b, b0, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(fitted.best_epoch_, direct.best_epoch_)


@pytest.mark.slow
def test_a_search_routes_the_validation_set_to_every_fit(cubic, validation):
    X, y = cubic
    X_val, y_val = validation
    with sklearn.config_context(enable_metadata_routing=True):
        reg = DeepEnsembleRegressor(**EARLY, calibration=None).set_fit_request(
            X_val=True, y_val=True
        )
        # X_val has fewer rows than X, so the search passes it to each fold
        # whole (a sample-aligned array would be indexed by the fold).
        search = GridSearchCV(reg, {"alpha": [0.5, 1.0]}, cv=2)
        search.fit(X, y, X_val=X_val, y_val=y_val)
    best = search.best_estimator_
    np.testing.assert_allclose(
        _standardised_nll(best, X_val, y_val),
        np.nanmin(best.validation_loss_curve_, axis=0),
        rtol=1e-4,
        atol=1e-4,
    )


# ------------------------------------------------------------------ errors


@pytest.mark.parametrize(
    "given, match",
    [
        ({"X_val": "X"}, "X_val is given, but y_val is not"),
        ({"y_val": "y"}, "y_val is given, but X_val is not"),
        ({"sample_weight_val": "w"}, "sample_weight_val is given without"),
        ({"X_val": "X2", "y_val": "y"}, "X_val, y_val: X has 2 features"),
        ({"X_val": "X", "y_val": "y5"}, "inconsistent numbers of samples"),
        ({"X_val": "X", "y_val": "y2"}, "y_val has 2 output"),
        ({"X_val": "X", "y_val": "y", "sample_weight_val": "w5"}, "sample_weight_val"),
        ({"X_val": "X", "y_val": "y", "sample_weight_val": "w-"}, "sample_weight_val"),
        ({"X_val": "X", "y_val": "y", "sample_weight_val": "w1"}, "sample_weight_val"),
        ({"X_val": "Xinf", "y_val": "y"}, "X_val, y_val: Input X contains infinity"),
    ],
)
def test_a_bad_validation_set_raises_before_training(cubic, validation, given, match):
    X, y = cubic
    X_val, y_val = validation
    arrays = {
        "X": X_val,
        "X2": np.hstack([X_val, X_val]),
        "Xinf": np.where(np.arange(20)[:, None] == 3, np.inf, X_val),
        "y": y_val,
        "y5": y_val[:5],
        "y2": np.column_stack([y_val, y_val]),
        "w": np.ones(20),
        "w5": np.ones(5),
        "w-": -np.ones(20),
        # Both halves need a weighted row: one is not enough.
        "w1": np.eye(20)[0],
    }
    reg = DeepEnsembleRegressor(**EARLY)
    with pytest.raises(ValueError, match=match):
        reg.fit(X, y, **{key: arrays[value] for key, value in given.items()})
    assert not hasattr(reg, "params_")


def test_a_validation_set_that_nothing_uses_raises(cubic, validation):
    X, y = cubic
    reg = DeepEnsembleRegressor(**QUICK, calibration=None)
    with pytest.raises(ValueError, match="early_stopping=False, and no recal"):
        reg.fit(X, y, X_val=validation[0], y_val=validation[1])
    clf = DeepEnsembleClassifier(**QUICK, calibration=None)
    with pytest.raises(ValueError, match="early_stopping=False, and no recal"):
        clf.fit(X, y > 0, X_val=validation[0], y_val=validation[1] > 0)


def test_validation_labels_must_be_training_classes():
    X = np.arange(12.0).reshape(6, 2)
    y = np.array(["a", "b"] * 3)
    clf = DeepEnsembleClassifier(**EARLY)
    with pytest.raises(ValueError, match=r"y_val has labels \['c'\] that are not"):
        clf.fit(X, y, X_val=X[:3], y_val=["a", "c", "b"])


def test_validation_features_must_have_the_training_names(cubic, validation):
    X, y = cubic
    X_val, y_val = validation
    reg = DeepEnsembleRegressor(**EARLY)
    with pytest.raises(ValueError, match="feature names should match"):
        reg.fit(
            pd.DataFrame(X, columns=["x"]),
            y,
            X_val=pd.DataFrame(X_val, columns=["z"]),
            y_val=y_val,
        )
