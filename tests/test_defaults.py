"""The defaults a user meets: small data, the schedule, beta-NLL, recalibration."""

import copy
import warnings

import numpy as np
import pytest
from _helpers import QUICK_SIZE
from sklearn.exceptions import ConvergenceWarning

from skdeepens import DeepEnsembleRegressor
from skdeepens._calibration import apply_calibration, fit_calibration
from skdeepens.datasets import make_cubic

FAST = {**QUICK_SIZE, "n_estimators": 2, "max_iter": 40}


# The three sizes fit the defaults (thousands of epochs each): 40, the README's
# size, by default; the ends of the range with the slow tests.
@pytest.mark.parametrize(
    "n_samples",
    [
        pytest.param(20, marks=pytest.mark.slow),
        40,
        pytest.param(72, marks=pytest.mark.slow),
    ],
)
def test_small_data_stops_without_a_convergence_warning(n_samples):
    # The README's example has 40 rows; with 72 or fewer the patience counted in
    # gradient steps alone would exceed max_iter.
    X, y = make_cubic(n_samples=n_samples, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        reg = DeepEnsembleRegressor(random_state=0).fit(X, y)
    assert reg.n_iter_ < reg.max_iter


@pytest.mark.parametrize(
    "steps_per_epoch, max_iter, schedule, patience",
    [
        (1, 5000, "adaptive", 625),  # four rates of 625 epochs: half of max_iter
        (9, 5000, "adaptive", 445),  # 4000 steps
        (5000, 5000, "adaptive", 10),  # at least 10 epochs
        (1, 5000, "constant", 2500),
        (1, 100, "constant", 50),
    ],
)
def test_auto_patience_lets_a_stalled_member_stop_within_half_of_max_iter(
    steps_per_epoch, max_iter, schedule, patience
):
    reg = DeepEnsembleRegressor(max_iter=max_iter, learning_rate=schedule)
    assert reg._patience(steps_per_epoch) == patience


# The trainer's schedule is tested on arrays by default (test_stopping.py,
# test_core.py); this end-to-end run of two 2000-epoch fits is slow.
@pytest.mark.slow
def test_adaptive_schedule_refines_after_the_constant_phase_and_still_stops():
    X, y = make_cubic(n_samples=200, random_state=0)
    settings = dict(FAST, max_iter=2000, n_iter_no_change=20, calibration=None)
    constant = DeepEnsembleRegressor(learning_rate="constant", **settings).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        adaptive = DeepEnsembleRegressor(learning_rate="adaptive", **settings).fit(X, y)
    # Up to the constant schedule's stop both train alike; then the adaptive one
    # goes on at smaller rates, for at most three more patiences of stalling.
    n_constant = np.isfinite(constant.loss_curve_).sum(axis=0)
    n_adaptive = np.isfinite(adaptive.loss_curve_).sum(axis=0)
    assert np.all(n_adaptive > n_constant)
    np.testing.assert_allclose(
        adaptive.loss_curve_[: n_constant.min()],
        constant.loss_curve_[: n_constant.min()],
        rtol=1e-5,
    )
    assert adaptive.n_iter_ < 2000
    # Its best validation loss is at least as good: the snapshot is refined.
    assert np.all(
        np.nanmin(adaptive.validation_loss_curve_, axis=0)
        <= np.nanmin(constant.validation_loss_curve_, axis=0)
    )


def test_beta_zero_is_the_plain_nll_and_beta_changes_the_fit():
    X, y = make_cubic(n_samples=100, random_state=0)
    plain = DeepEnsembleRegressor(**FAST).fit(X, y)
    zero = DeepEnsembleRegressor(beta=0.0, **FAST).fit(X, y)
    half = DeepEnsembleRegressor(beta=0.5, **FAST).fit(X, y)
    np.testing.assert_array_equal(plain.predict(X), zero.predict(X))
    assert np.max(np.abs(half.predict(X) - plain.predict(X))) > 1e-3


# ----------------------------------------------------------------- calibration


def _members(rng, n, n_members=3, scale=1.0):
    loc = rng.normal(size=(n_members, n, 1)) * 0.3
    return loc, np.full((n_members, n, 1), scale)


def test_fit_calibration_recovers_a_known_scale_error():
    rng = np.random.default_rng(0)
    loc, scale = _members(rng, 20000)
    # The data come from the members' own mixture with every scale doubled.
    member = rng.integers(3, size=20000)
    y = loc[member, np.arange(20000), 0] + 2.0 * rng.normal(size=20000)
    factors = fit_calibration(loc, scale, "gaussian", y[:, None])
    assert factors.shape == (2, 1)
    np.testing.assert_allclose(factors[0, 0], 2.0, rtol=0.03)


def test_fit_calibration_stays_near_one_on_few_rows_and_weights_count():
    rng = np.random.default_rng(1)
    loc, scale = _members(rng, 3)
    y = loc.mean(axis=0) + 5.0  # three wild rows
    few = fit_calibration(loc, scale, "gaussian", y)
    many = fit_calibration(loc, scale, "gaussian", y, sample_weight=np.ones(3))
    np.testing.assert_allclose(few, many)
    # The prior keeps three rows from pushing the scale to the data's 5.
    assert 1.0 < few[0, 0] < 5.0


def test_apply_calibration_keeps_the_mean_and_scales_each_part():
    rng = np.random.default_rng(2)
    loc, scale = _members(rng, 4)
    factors = np.array([[2.0], [3.0]])
    new_loc, new_scale = apply_calibration(loc, scale, factors)
    np.testing.assert_allclose(new_loc.mean(0), loc.mean(0))
    np.testing.assert_allclose(new_loc.var(0), 9.0 * loc.var(0))
    np.testing.assert_allclose(new_scale, 2.0 * scale)


def _uncalibrated(reg):
    """The same fitted members, without their recalibration."""
    raw = copy.copy(reg)
    del raw.calibration_factors_
    return raw


def test_recalibration_is_fitted_on_rows_apart_from_early_stopping():
    X, y = make_cubic(n_samples=200, random_state=3)
    reg = DeepEnsembleRegressor(**FAST).fit(X, y)
    _, held_out = reg._validation_split(np.ones(len(X)), None)
    stopping, calibration = held_out[::2], held_out[1::2]
    assert set(stopping).isdisjoint(calibration)
    # The factors are those of the calibration rows alone.
    dist = _uncalibrated(reg).predict_dist(X[calibration])
    to_std = lambda v: (v - reg._target_mean[0]) / reg._target_scale[0]  # noqa: E731
    expected = fit_calibration(
        to_std(dist.members.loc)[..., None],
        (dist.members.scale / reg._target_scale[0])[..., None],
        "gaussian",
        to_std(y[calibration])[:, None],
    )
    np.testing.assert_allclose(reg.calibration_factors_, expected, rtol=1e-6)


def test_every_prediction_method_describes_the_calibrated_mixture():
    X, y = make_cubic(n_samples=200, random_state=4)
    reg = DeepEnsembleRegressor(**FAST).fit(X, y)
    raw = _uncalibrated(reg)
    a, e = reg.calibration_factors_[:, 0]
    assert not np.allclose([a, e], 1.0)
    X_test = np.linspace(-5, 5, 11)[:, None]
    before, after = raw.predict_uncertainty(X_test), reg.predict_uncertainty(X_test)
    np.testing.assert_allclose(after.mean, before.mean)
    np.testing.assert_allclose(
        after.aleatoric_var, a**2 * before.aleatoric_var, rtol=1e-10
    )
    np.testing.assert_allclose(
        after.epistemic_var, e**2 * before.epistemic_var, rtol=1e-10
    )
    dist = reg.predict_dist(X_test)
    np.testing.assert_allclose(dist.var(), after.total_var, rtol=1e-10)
    np.testing.assert_allclose(reg.predict(X_test, return_std=True)[1], dist.std())
    np.testing.assert_allclose(
        dist.members.scale, a * raw.predict_dist(X_test).members.scale
    )


def test_calibration_off_and_point_losses_keep_the_members_as_trained():
    X, y = make_cubic(n_samples=100, random_state=5)
    reg = DeepEnsembleRegressor(calibration=None, **FAST).fit(X, y)
    assert not hasattr(reg, "calibration_factors_")
    point = DeepEnsembleRegressor(loss="squared_error", **FAST).fit(X, y)
    assert not hasattr(point, "calibration_factors_")
    # Refitting with the calibration turned off drops stale factors.
    reg = DeepEnsembleRegressor(**FAST).fit(X, y)
    assert hasattr(reg, "calibration_factors_")
    reg.set_params(calibration=None).fit(X, y)
    assert not hasattr(reg, "calibration_factors_")
