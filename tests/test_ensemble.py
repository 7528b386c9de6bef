"""Behaviour of DeepEnsembleRegressor and the machinery shared with the classifier."""

import re
import warnings

import numpy as np
import pytest
from _helpers import QUICK
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning, NotFittedError

from skdeepens import DeepEnsembleRegressor
from skdeepens.datasets import make_cubic


def _softplus(x):
    return np.logaddexp(0.0, x)


def _members_by_hand(reg, X):
    """Each member's mean and scale, from params_ with NumPy alone."""
    h = (np.asarray(X, dtype=np.float64) - reg._x_mean) / reg._x_scale
    # Each column is clipped to its training range, widened by one std.
    h = np.clip(h, *reg._x_std_bounds)
    *hidden, (w_out, b_out) = reg.params_
    h = np.broadcast_to(h, (w_out.shape[0],) + h.shape)
    for w, b in hidden:
        h = np.maximum(h @ w + b[:, None, :], 0.0)
    out = h @ w_out + b_out[:, None, :]
    k = out.shape[-1] // 2
    loc, scale = out[..., :k], _softplus(out[..., k:]) + 1e-6
    if hasattr(reg, "calibration_factors_"):
        # The recalibration: scales times a, spread around the mean times e.
        a, e = reg.calibration_factors_
        loc = loc.mean(axis=0) + e * (loc - loc.mean(axis=0))
        scale = a * scale
    loc = loc * reg._target_scale + reg._target_mean
    scale = scale * reg._target_scale
    return loc[..., 0], scale[..., 0]


@pytest.fixture(scope="module")
def cubic_ensemble(cubic):
    X, y = cubic
    reg = DeepEnsembleRegressor(
        n_estimators=5,
        learning_rate_init=1e-2,
        max_iter=300,
        n_iter_no_change=np.inf,
        # The members as trained, on all 4 held-out rows for early stopping;
        # the recalibration is tested in test_defaults.py.
        calibration=None,
        random_state=0,
    )
    return reg.fit(X, y)


@pytest.mark.parametrize(
    "loss, family", [("gaussian_nll", "gaussian"), ("laplace_nll", "laplace")]
)
def test_predict_uncertainty_matches_the_members_mixture(cubic, loss, family):
    X, y = cubic
    reg = DeepEnsembleRegressor(loss=loss, **QUICK).fit(X, y)
    X_test = np.linspace(-6, 6, 13).reshape(-1, 1)
    loc, scale = _members_by_hand(reg, X_test)
    u = reg.predict_uncertainty(X_test)
    expected_var = scale**2 if family == "gaussian" else 2 * scale**2
    np.testing.assert_allclose(u.mean, loc.mean(0), rtol=1e-5)
    np.testing.assert_allclose(u.aleatoric_var, expected_var.mean(0), rtol=1e-4)
    np.testing.assert_allclose(u.epistemic_var, loc.var(0), rtol=1e-4, atol=1e-6)
    # The mixture's variance, by the law of total variance in its raw form
    # (the package computes the centred form): mean(s2 + mu**2) - mean**2.
    second_moment = (expected_var + loc**2).mean(0)
    np.testing.assert_allclose(
        u.total_var, second_moment - loc.mean(0) ** 2, rtol=1e-4, atol=1e-6
    )
    mean, std = reg.predict(X_test, return_std=True)
    np.testing.assert_allclose(mean, u.mean)
    np.testing.assert_allclose(std, u.total_std)
    np.testing.assert_allclose(reg.predict(X_test), u.mean)


@pytest.mark.parametrize(
    "loss", ["squared_error", pytest.param("absolute_error", marks=pytest.mark.slow)]
)
def test_point_losses_have_no_aleatoric_uncertainty(cubic, loss):
    X, y = cubic
    reg = DeepEnsembleRegressor(loss=loss, **QUICK).fit(X, y)
    u = reg.predict_uncertainty(X)
    assert reg.params_[-1][0].shape[-1] == 1  # no scale head
    np.testing.assert_array_equal(u.aleatoric_var, 0.0)
    assert np.all(u.epistemic_var > 0)
    np.testing.assert_allclose(u.total_var, u.epistemic_var)


def test_epistemic_uncertainty_grows_away_from_the_data(cubic_ensemble):
    inside = cubic_ensemble.predict_uncertainty(
        np.linspace(-2.9, 2.9, 30).reshape(-1, 1)
    )
    outside = cubic_ensemble.predict_uncertainty(np.array([[-6.0], [6.0]]))
    # At |x| = 6 (no data beyond |x| = 4) the members disagree several times more
    # than they do, on average, inside |x| < 3.
    assert outside.epistemic_std.min() > 3 * inside.epistemic_std.mean()


def test_the_ensemble_fits_the_cubic(cubic, cubic_ensemble):
    X, y = cubic
    assert cubic_ensemble.score(X, y) > 0.95
    # The aleatoric std inside the data is of the order of the noise (3).
    aleatoric = cubic_ensemble.predict_uncertainty(X).aleatoric_std
    assert 1.0 < np.median(aleatoric) < 6.0


@pytest.mark.parametrize(
    "adversarial_epsilon", [None, pytest.param(0.05, marks=pytest.mark.slow)]
)
def test_zero_weights_equal_dropping_the_rows_in_full_batch(adversarial_epsilon):
    rng = np.random.RandomState(0)
    X = rng.uniform(-2, 2, size=(60, 3))
    y = X[:, 0] ** 2 - X[:, 1] + 0.1 * rng.normal(size=60)
    weights = np.ones(60)
    weights[::3] = 0.0
    # The dropped rows are extreme, so that an unweighted scaling would show.
    X[::3] *= 5.0
    params = dict(
        QUICK,
        batch_size=100,
        shuffle=False,
        max_iter=100,
        adversarial_epsilon=adversarial_epsilon,
    )
    weighted = DeepEnsembleRegressor(**params).fit(X, y, sample_weight=weights)
    dropped = DeepEnsembleRegressor(**params).fit(X[weights > 0], y[weights > 0])
    X_test = rng.uniform(-2, 2, size=(20, 3))
    # float32 rounding, amplified over 100 epochs, leaves differences of about
    # 1e-3; a scaling that ignored the weights would move predictions by ~0.1.
    for key in ("mean", "total_var"):
        np.testing.assert_allclose(
            weighted.predict_uncertainty(X_test)[key],
            dropped.predict_uncertainty(X_test)[key],
            rtol=3e-3,
            atol=1e-3,
        )


# scikit-learn's check_sample_weight_equivalence_on_dense_data tests the same
# equivalence by default (tests/test_common.py); this whole run of it is slow.
@pytest.mark.slow
def test_integer_weights_equal_repeated_rows_in_full_batch():
    rng = np.random.RandomState(1)
    X = rng.normal(size=(30, 2))
    y = X @ [1.0, -2.0] + 0.2 * rng.normal(size=30)
    counts = rng.randint(1, 4, size=30)
    # No held-out rows (a random split cannot treat weight 2 as two rows).
    params = dict(QUICK, batch_size=200, shuffle=False, calibration=None)
    weighted = DeepEnsembleRegressor(**params).fit(X, y, sample_weight=counts)
    repeated = DeepEnsembleRegressor(**params).fit(
        np.repeat(X, counts, 0), np.repeat(y, counts)
    )
    np.testing.assert_allclose(
        weighted.predict(X), repeated.predict(X), rtol=2e-4, atol=1e-5
    )


def test_multi_output_targets():
    rng = np.random.RandomState(0)
    X = rng.uniform(-1, 1, size=(80, 2))
    Y = np.column_stack([X[:, 0], 100 + 50 * X[:, 1]])
    reg = DeepEnsembleRegressor(**QUICK).fit(X, Y)
    u = reg.predict_uncertainty(X)
    assert u.mean.shape == u.total_var.shape == (80, 2)
    assert reg.predict(X).shape == (80, 2)
    # Each output is predicted in its own units.
    assert reg.score(X, Y) > 0.8
    column = DeepEnsembleRegressor(**QUICK).fit(X, Y[:, :1])
    assert column.predict(X).shape == (80, 1)


def test_constant_feature_and_constant_target_do_not_divide_by_zero():
    rng = np.random.RandomState(0)
    X = np.column_stack([rng.normal(size=30), np.full(30, 7.0)])
    y = X[:, 0]
    reg = DeepEnsembleRegressor(**QUICK).fit(X, y)
    assert np.all(np.isfinite(reg.predict_uncertainty(X).total_var))
    flat = DeepEnsembleRegressor(**QUICK).fit(X, np.full(30, 3.0))
    np.testing.assert_allclose(flat.predict(X), 3.0, atol=0.05)


def test_outputs_are_in_the_targets_units():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(100, 1))
    y = 1e4 + 1e3 * X[:, 0] + 10 * rng.normal(size=100)
    reg = DeepEnsembleRegressor(**{**QUICK, "max_iter": 150}).fit(X, y)
    mean, std = reg.predict(X, return_std=True)
    assert np.sqrt(np.mean((mean - y) ** 2)) < 100
    assert 1 < np.median(std) < 300


def test_inputs_are_not_modified(cubic):
    X, y = cubic
    X, y = X.copy(), y.copy()
    weights = np.linspace(0.5, 1.5, len(y))
    copies = X.copy(), y.copy(), weights.copy()
    DeepEnsembleRegressor(**QUICK, adversarial_epsilon=0.01).fit(
        X, y, sample_weight=weights
    )
    for original, copy in zip((X, y, weights), copies):
        np.testing.assert_array_equal(original, copy)


def test_fixed_schedule_runs_every_epoch_without_warning(cubic):
    X, y = cubic
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        reg = DeepEnsembleRegressor(**{**QUICK, "max_iter": 7}).fit(X, y)
    assert reg.n_iter_ == 7
    assert reg.loss_curve_.shape == (7, 3)
    assert np.all(np.isfinite(reg.loss_curve_))


def test_unconverged_fit_warns(cubic):
    X, y = cubic
    reg = DeepEnsembleRegressor(**{**QUICK, "max_iter": 3, "n_iter_no_change": 10})
    with pytest.warns(ConvergenceWarning, match="3 of 3 members"):
        reg.fit(X, y)


def test_members_stop_separately_on_the_training_loss(cubic):
    X, y = cubic
    reg = DeepEnsembleRegressor(
        **{**QUICK, "max_iter": 2000, "n_iter_no_change": 5, "tol": 1e-2}
    ).fit(X, y)
    stopped_at = np.sum(np.isfinite(reg.loss_curve_), axis=0)
    assert reg.n_iter_ == stopped_at.max() < 2000
    # NaN after a member stopped, finite before.
    assert np.all(np.isnan(reg.loss_curve_[stopped_at.min() :, np.argmin(stopped_at)]))


def test_early_stopping_keeps_each_members_best_validation_parameters(cubic):
    X, y = cubic
    reg = DeepEnsembleRegressor(
        **{
            **QUICK,
            "early_stopping": True,
            "max_iter": 500,
            "n_iter_no_change": 20,
            "validation_fraction": 0.25,
            "calibration": None,  # the members as trained
        }
    )
    reg.fit(X, y)
    curve = reg.validation_loss_curve_
    assert curve.shape == reg.loss_curve_.shape
    assert reg.n_iter_ < 500
    # The kept members score, on the validation rows, the best loss each saw.
    # The curve is in standardised units: NLL(original) = NLL(std) + log(scale).
    _, val = reg._validation_split(np.ones(len(X)), None)
    loc, scale = _members_by_hand(reg, X[val])
    nll = 0.5 * np.log(2 * np.pi) + np.log(scale) + (y[val] - loc) ** 2 / (2 * scale**2)
    kept = nll.mean(axis=1) - np.log(reg._target_scale[0])
    np.testing.assert_allclose(kept, np.nanmin(curve, axis=0), rtol=1e-4, atol=1e-4)
    assert np.all(np.nanmin(curve, axis=0) < curve[0])


def test_verbose_prints_one_line_per_epoch(cubic, capsys):
    X, y = cubic
    DeepEnsembleRegressor(**{**QUICK, "max_iter": 4, "verbose": 2}).fit(X, y)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 4
    assert re.match(r"Epoch 4: loss = -?\d+\.\d+ .*elapsed = \d+\.\d+ s", lines[-1])


def test_divergence_raises_with_advice():
    # One feature: the defaults' network compiles once for this and for
    # test_defaults.py's fit of the cubic.
    rng = np.random.RandomState(0)
    X = rng.normal(size=(50, 1))
    y = X[:, 0]
    reg = DeepEnsembleRegressor(
        n_estimators=2, learning_rate_init=1e8, max_iter=50, random_state=0
    )
    with pytest.raises(ValueError, match="diverged.*learning_rate_init"):
        reg.fit(X, y)


@pytest.mark.parametrize(
    "X, y, message",
    [
        # (NaN in X is a missing value, imputed: tests/test_categorical.py.)
        (np.array([[np.inf], [1.0], [2.0]]), np.arange(3.0), "infinity"),
        (np.ones((3, 1)), np.array([0.0, np.nan, 1.0]), "NaN"),
        (np.ones((3, 1)), np.arange(4.0), "inconsistent numbers of samples"),
        (np.ones(3), np.arange(3.0), "Expected 2D array"),
        (np.ones((0, 2)), np.ones(0), "0 sample"),
        (np.ones((1, 2)), np.ones(1), "1 sample"),
    ],
)
def test_bad_training_data_raises_a_clear_error(X, y, message):
    with pytest.raises(ValueError, match=message):
        DeepEnsembleRegressor(**QUICK).fit(X, y)


def test_bad_sample_weights_raise(cubic):
    X, y = cubic
    with pytest.raises(ValueError, match="sample_weight must be finite and >= 0"):
        DeepEnsembleRegressor(**QUICK).fit(X, y, sample_weight=-np.ones(len(y)))
    with pytest.raises(ValueError, match="sample_weight must not sum to zero"):
        DeepEnsembleRegressor(**QUICK).fit(X, y, sample_weight=np.zeros(len(y)))


@pytest.mark.parametrize(
    "params, message",
    [
        (dict(loss="hinge"), "'loss' parameter .* must be a str among"),
        (dict(n_estimators=0), "'n_estimators' parameter"),
        (dict(adversarial_epsilon=-0.1), "'adversarial_epsilon' parameter"),
        (dict(batch_size="big"), "'batch_size' parameter"),
        (dict(hidden_layer_sizes=(10, 0)), "hidden_layer_sizes must contain positive"),
        (dict(activation="gelu"), "'activation' parameter"),
    ],
)
def test_invalid_parameters_raise(cubic, params, message):
    X, y = cubic
    with pytest.raises(ValueError, match=message):
        DeepEnsembleRegressor(**{**QUICK, **params}).fit(X, y)


def test_predict_checks_fitted_and_feature_count(cubic):
    X, y = cubic
    with pytest.raises(NotFittedError):
        DeepEnsembleRegressor().predict(X)
    reg = DeepEnsembleRegressor(**QUICK).fit(X, y)
    with pytest.raises(
        ValueError,
        match="X has 2 features, but DeepEnsembleRegressor is expecting 1 features",
    ):
        reg.predict_uncertainty(np.ones((3, 2)))
    with pytest.raises(ValueError, match="infinity"):
        reg.predict(np.array([[np.inf]]))


def test_early_stopping_with_too_few_samples_raises():
    X, y = np.arange(2.0).reshape(-1, 1), np.arange(2.0)
    reg = DeepEnsembleRegressor(
        **{**QUICK, "early_stopping": True, "validation_fraction": 0.9}
    )
    with pytest.raises(ValueError, match="early_stopping and calibration need"):
        reg.fit(X, y)


def test_clones_and_refits_reuse_the_compiled_program(cubic):
    from skdeepens._core import training

    X, y = cubic
    reg = DeepEnsembleRegressor(**QUICK).fit(X, y)
    compiled = training.trainer_cache_size()
    clone(reg).fit(X[:30], y[:30])  # fewer rows: same shapes after padding
    clone(reg).set_params(
        adversarial_epsilon=None, learning_rate_init=0.05, alpha=1.0
    ).fit(X[5:], y[5:] * 2)
    assert training.trainer_cache_size() == compiled


@pytest.mark.parametrize(
    "n_samples, batch",
    [(40, 32), (300, 32), (5000, 64), (12000, 128), (20000, 256), (10**6, 256)],
)
def test_auto_batch_size_is_about_a_hundredth_of_the_data(n_samples, batch):
    assert DeepEnsembleRegressor()._batch_size(n_samples) == batch


@pytest.mark.parametrize("steps_per_epoch, patience", [(9, 445), (100, 40), (5000, 10)])
def test_auto_patience_counts_gradient_steps(steps_per_epoch, patience):
    assert DeepEnsembleRegressor()._patience(steps_per_epoch) == patience
    assert DeepEnsembleRegressor(n_iter_no_change=7)._patience(steps_per_epoch) == 7


@pytest.mark.slow
def test_the_defaults_stop_early_on_held_out_likelihood():
    X, y = make_cubic(n_samples=300, random_state=1)
    reg = DeepEnsembleRegressor(n_estimators=2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        reg.fit(X, y)
    # Validation curves are kept; members stopped long before the 2000-epoch cap.
    assert reg.validation_loss_curve_.shape == reg.loss_curve_.shape
    assert reg.n_iter_ < 2000
    assert reg.score(X, y) > 0.97  # the noise caps R^2 at about 0.985
    aleatoric = np.median(reg.predict_uncertainty(X).aleatoric_std)
    assert 2.0 < aleatoric < 4.5  # the noise is 3
