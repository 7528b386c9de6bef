"""The pure JAX core: losses, FGSM, the network and the compiled trainer."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from scipy import stats

from skdeepens._core import adversarial, likelihoods, network, training


def _raw_scale(sigma):
    """The rho with softplus(rho) + 1e-6 == sigma."""
    return np.log(np.expm1(sigma - likelihoods.MIN_SCALE))


@pytest.mark.parametrize("transform", [lambda f: f, jax.jit])
def test_gaussian_and_laplace_nll_match_scipy(transform):
    rng = np.random.RandomState(0)
    mu, sigma, y = (
        rng.normal(size=(7, 1)),
        rng.uniform(0.1, 3, (7, 1)),
        rng.normal(size=(7, 1)),
    )
    out = np.concatenate([mu, _raw_scale(sigma)], axis=1).astype(np.float32)
    gauss = transform(likelihoods.gaussian_nll)(out, y.astype(np.float32))
    laplace = transform(likelihoods.laplace_nll)(out, y.astype(np.float32))
    np.testing.assert_allclose(gauss, -stats.norm.logpdf(y, mu, sigma)[:, 0], rtol=1e-5)
    np.testing.assert_allclose(
        laplace, -stats.laplace.logpdf(y, mu, sigma)[:, 0], rtol=1e-5
    )


def test_losses_sum_over_outputs_and_stay_finite_for_extreme_raw_scales():
    out = jnp.array([[0.0, 1.0, -200.0, 200.0]])  # two outputs, extreme rho
    y = jnp.array([[0.0, 1.0]])
    for loss in (likelihoods.gaussian_nll, likelihoods.laplace_nll):
        value = loss(out, y)
        assert value.shape == (1,) and np.isfinite(value).all()
    np.testing.assert_allclose(
        likelihoods.squared_error(jnp.array([[1.0, 2.0]]), jnp.array([[0.0, 0.0]])),
        [5.0],
    )
    np.testing.assert_allclose(
        likelihoods.absolute_error(jnp.array([[1.0, -2.0]]), jnp.array([[0.0, 0.0]])),
        [3.0],
    )


def test_classification_losses():
    logits = jnp.array([[2.0, 0.0, -1.0], [0.0, 0.0, 0.0]])
    onehot = jnp.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    p = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    np.testing.assert_allclose(
        likelihoods.log_loss(logits, onehot), -np.log(p[[0, 1], [0, 2]]), rtol=1e-6
    )
    np.testing.assert_allclose(
        likelihoods.brier(logits, onehot), ((p - onehot) ** 2).sum(1), rtol=1e-6
    )


def test_losses_vmap_over_members():
    out = jnp.zeros((4, 5, 2))
    y = jnp.ones((5, 1))
    values = jax.vmap(likelihoods.gaussian_nll, in_axes=(0, None))(out, y)
    assert values.shape == (4, 5)


def test_fgsm_steps_each_feature_by_its_own_size_up_the_loss():
    x = jnp.array([[1.0, -1.0, 0.5]])
    step = jnp.array([0.1, 0.2, 0.0])

    def per_sample(z):  # loss grows with z0, falls with z1, ignores nothing
        return 3.0 * z[:, 0] - 2.0 * z[:, 1] + z[:, 2] ** 2

    x_adv = adversarial.fgsm(per_sample, x, step)
    np.testing.assert_allclose(x_adv, [[1.1, -1.2, 0.5]], rtol=1e-6)
    assert per_sample(x_adv)[0] > per_sample(x)[0]
    # A constant for training: no gradient flows through its construction.
    grad = jax.grad(lambda s: adversarial.fgsm(per_sample, x, s).sum())(step)
    np.testing.assert_array_equal(grad, 0.0)


def test_forward_ensemble_applies_each_member():
    rng = np.random.RandomState(0)
    params = tuple(
        (
            rng.normal(size=(3, i, o)).astype(np.float32),
            rng.normal(size=(3, o)).astype(np.float32),
        )
        for i, o in network.layer_shapes(2, (4,), 1)
    )
    x = rng.normal(size=(5, 2)).astype(np.float32)
    out = network.predict_ensemble(params, x, "tanh")
    for m in range(3):
        member = tuple((w[m], b[m]) for w, b in params)
        np.testing.assert_allclose(
            out[m], network.forward(member, x, "tanh"), rtol=1e-5
        )


def _tiny_problem(n_members=2, batch=8, seed=0):
    rng = np.random.RandomState(seed)
    params = tuple(
        (
            rng.uniform(-0.5, 0.5, size=(n_members, i, o)).astype(np.float32),
            np.zeros((n_members, o), np.float32),
        )
        for i, o in network.layer_shapes(2, (8,), 2)
    )
    x = rng.normal(size=(batch, 2)).astype(np.float32)
    y = rng.normal(size=(batch, 1)).astype(np.float32)
    w = np.ones(batch, np.float32)
    return params, x, y, w, hyperparams()


def hyperparams(**overrides):
    """Trainer settings of a constant schedule that never stops, for tests."""
    values = dict(
        alpha=np.float32(0.0),
        weight_total=np.float32(32.0),
        adversarial_step=np.zeros(2, np.float32),
        beta=np.float32(0.0),
        tol=np.float32(0.0),
        patience=np.float32(np.inf),
        decay_patience=np.float32(np.inf),
        decay_factor=np.float32(5.0),
        max_decays=np.int32(0),
        refine_patience=np.float32(np.inf),
    )
    values.update(overrides)
    return training.Hyperparams(**values)


CONFIG = training.TrainConfig("gaussian_nll", "relu", False, False)


def test_adversarial_objective_averages_clean_and_perturbed_losses():
    params, x, y, w, hyper = _tiny_problem()
    member = tuple((w_[0], b[0]) for w_, b in params)
    step = np.full(2, 0.1, np.float32)
    hyper = hyper._replace(adversarial_step=step)
    clean = training.member_objective(member, x, y, w, hyper, CONFIG)
    adv_config = CONFIG._replace(adversarial=True)
    both = training.member_objective(member, x, y, w, hyper, adv_config)

    def per_sample(z):
        return likelihoods.gaussian_nll(network.forward(member, z, "relu"), y)

    x_adv = adversarial.fgsm(per_sample, x, step)
    perturbed = jnp.mean(per_sample(x_adv))
    np.testing.assert_allclose(both, 0.5 * (clean + perturbed), rtol=1e-5)
    assert perturbed > clean


def test_penalty_is_divided_by_the_total_weight():
    params, x, y, w, hyper = _tiny_problem()
    member = tuple((w_[0], b[0]) for w_, b in params)
    base = training.member_objective(member, x, y, w, hyper, CONFIG)
    penalised = training.member_objective(
        member, x, y, w, hyper._replace(alpha=np.float32(2.0)), CONFIG
    )
    expected = 0.5 * 2.0 * sum(float(np.sum(w_**2)) for w_, _ in member) / 32.0
    np.testing.assert_allclose(penalised - base, expected, rtol=1e-4)


def test_beta_nll_weights_by_the_detached_variance():
    mu, sigma, y = 0.3, 2.0, 1.5
    out = jnp.array([[mu, _raw_scale(sigma)]], jnp.float32)
    target = jnp.array([[y]], jnp.float32)
    plain = likelihoods.gaussian_nll(out, target)
    np.testing.assert_allclose(likelihoods.gaussian_nll(out, target, beta=0.0), plain)
    np.testing.assert_allclose(
        likelihoods.gaussian_nll(out, target, beta=0.5), sigma * plain, rtol=1e-5
    )
    # beta = 1: the mean's gradient is the squared error's, (mu - y), whatever
    # the predicted variance (Seitzer et al., 2022, eq. 6).
    grad = jax.grad(lambda o: likelihoods.gaussian_nll(o, target, beta=1.0)[0])(out)
    np.testing.assert_allclose(grad[0, 0], mu - y, rtol=1e-5)
    laplace = jax.grad(lambda o: likelihoods.laplace_nll(o, target, beta=0.5)[0])(out)
    b = sigma
    np.testing.assert_allclose(laplace[0, 0], -np.sqrt(2.0) * b / b, rtol=1e-5)


def _fit(params, x, y, w, *, hyper=None, validation=None, orders=None, **kwargs):
    """fit_ensemble with a fixed data order (identity unless given)."""
    n_members, n = params[0][0].shape[0], len(x)
    if orders is None:

        def orders(n_epochs):
            return np.broadcast_to(np.arange(n), (n_epochs, n_members, n))

    settings = dict(learning_rate=1e-2, batch_size=n, max_epochs=20)
    settings.update(kwargs)
    n_validation = 0 if validation is None else len(validation[0])
    layout = training.plan_layout(n, settings.pop("batch_size"), n_validation)
    return training.fit_ensemble(
        params,
        (x, y, w),
        validation,
        orders,
        hyper=hyper if hyper is not None else hyperparams(),
        config=CONFIG,
        layout=layout,
        **settings,
    )


def test_one_full_batch_epoch_is_one_adam_step():
    # The two members of the shared tiny problem (one compiled program for
    # most of this module's fits), each checked against optax's Adam.
    params, x, y, w, hyper = _tiny_problem(n_members=2)
    hyper = hyper._replace(alpha=np.float32(0.5))
    result = _fit(params, x, y, w, hyper=hyper, max_epochs=1, learning_rate=0.05)
    hyper_full = hyper._replace(weight_total=np.float32(32.0))
    adam = optax.adam(0.05)
    for m in range(2):
        member = tuple((w_[m], b[m]) for w_, b in params)
        grads = jax.grad(training.member_objective)(member, x, y, w, hyper_full, CONFIG)
        updates, _ = adam.update(grads, adam.init(member), member)
        expected = optax.apply_updates(member, updates)
        for (w_fit, b_fit), (w_ref, b_ref) in zip(result.params, expected):
            np.testing.assert_allclose(w_fit[m], w_ref, rtol=1e-5, atol=1e-7)
            np.testing.assert_allclose(b_fit[m], b_ref, rtol=1e-5, atol=1e-7)
    assert result.loss_curve.shape == (1, 2)


# Member independence is tested through the estimators by default
# (test_estimators.py, test_partial_fit.py); this trainer-level twin is slow.
@pytest.mark.slow
def test_members_train_independently_of_each_other():
    params, x, y, w, _ = _tiny_problem(n_members=3, batch=40)
    rng = np.random.default_rng(0)
    orders = [rng.permuted(np.tile(np.arange(40), (512, 1)), axis=1) for _ in range(3)]

    def draw(members):
        drawn = {"epochs": 0}

        def draw_orders(n_epochs):
            start = drawn["epochs"]
            drawn["epochs"] += n_epochs
            return np.stack([orders[m][start : start + n_epochs] for m in members], 1)

        return draw_orders

    full = _fit(params, x, y, w, orders=draw([0, 1, 2]), batch_size=8, max_epochs=30)
    alone = _fit(
        tuple((w_[2:], b[2:]) for w_, b in params),
        x, y, w, orders=draw([2]), batch_size=8, max_epochs=30,
    )  # fmt: skip
    for (w_full, _), (w_alone, _) in zip(full.params, alone.params):
        np.testing.assert_allclose(w_full[2], w_alone[0], rtol=1e-5, atol=1e-6)
    assert full.loss_curve[-1].max() < full.loss_curve[0].min()


# test_ensemble.py tests zero weights against dropped rows through the
# estimator by default; this trainer-level twin compiles its own layout.
@pytest.mark.slow
def test_zero_weight_rows_change_nothing():
    params, x, y, w, hyper = _tiny_problem()
    ref = _fit(params, x, y, w, max_epochs=5)
    garbage_x = np.concatenate([x, np.full_like(x, 1e3)])
    garbage_y = np.concatenate([y, np.full_like(y, -1e3)])
    zero_w = np.concatenate([w, np.zeros_like(w)])
    padded = _fit(params, garbage_x, garbage_y, zero_w, max_epochs=5)
    for (w1, _), (w2, _) in zip(ref.params, padded.params):
        np.testing.assert_allclose(w1, w2, rtol=1e-5, atol=1e-6)


def test_batches_cover_each_epoch_in_order_with_a_short_last_batch():
    # 10 rows in batches of 4: steps of 4, 4 and 2 rows. The epoch loss is the
    # weighted mean of the three batch losses, not a plain mean of the steps.
    params, x, y, w, hyper = _tiny_problem(n_members=1, batch=10)
    result = _fit(params, x, y, w, max_epochs=1, batch_size=4, learning_rate=1e-9)
    member = tuple((w_[0], b[0]) for w_, b in params)
    per_sample = likelihoods.gaussian_nll(network.forward(member, x, "relu"), y)
    np.testing.assert_allclose(result.loss_curve[0, 0], np.mean(per_sample), rtol=1e-4)


# The stopping rule is tested on arrays in test_stopping.py and the kept
# snapshot end to end in test_ensemble.py; this trainer-level run is slow.
@pytest.mark.slow
def test_early_stopping_keeps_the_best_snapshot_and_stops_after_patience():
    params, x, y, w, _ = _tiny_problem(n_members=2, batch=16)
    rng = np.random.RandomState(1)
    x_val = rng.normal(size=(9, 2)).astype(np.float32)
    y_val = (5 + rng.normal(size=(9, 1))).astype(np.float32)  # overfitting is easy
    val = (x_val, y_val, np.ones(9, np.float32))
    hyper = hyperparams(patience=np.float32(3), tol=np.float32(0.0))
    result = _fit(params, x, y, w, validation=val, hyper=hyper, max_epochs=500)
    curve = result.validation_curve
    assert np.all(result.converged)
    for m in range(2):
        ran = np.isfinite(curve[:, m]).sum()
        best = int(np.nanargmin(curve[:, m]))
        # Stopped after patience + 1 epochs without improvement on the best.
        assert ran == best + 1 + 4
        member = tuple((w_[m : m + 1], b[m : m + 1]) for w_, b in result.params)
        again = training.dataset_loss(
            member, *(jnp.asarray(a) for a in val), 9, "gaussian_nll", "relu"
        )
        np.testing.assert_allclose(again[0], curve[best, m], rtol=1e-5)


def test_adaptive_schedule_divides_the_rate_then_stops():
    params, x, y, w, _ = _tiny_problem(n_members=2)
    hyper = hyperparams(
        patience=np.float32(2),
        decay_patience=np.float32(2),
        max_decays=np.int32(3),
        refine_patience=np.float32(2),
        tol=np.float32(10.0),  # every epoch counts as a stall
    )
    result = _fit(params, x, y, w, hyper=hyper, max_epochs=100, learning_rate=0.1)
    lr = result.learning_rate_curve[:, 0]
    lr = lr[np.isfinite(lr)]
    # The first epoch improves on the initial infinity; then three stalls of
    # 3 epochs divide the rate, and a fourth stops the member.
    np.testing.assert_allclose(
        np.unique(lr)[::-1], [0.1, 0.02, 0.004, 0.0008], rtol=1e-5
    )
    assert len(lr) == 1 + 4 * 3 and result.converged.all()


def test_a_non_finite_fit_is_reported_with_its_epoch():
    params, x, y, w, hyper = _tiny_problem(n_members=2)
    y = y.copy()
    y[0] = np.inf
    result = _fit(params, x, y, w, max_epochs=5)
    np.testing.assert_array_equal(result.diverged_epoch, [1, 1])


def test_hyperparameters_are_traced_not_compiled_in():
    params, x, y, w, hyper = _tiny_problem(seed=3)
    _fit(params, x, y, w, max_epochs=2, batch_size=8)
    before = training.trainer_cache_size()
    other = hyperparams(
        alpha=np.float32(3.0),
        weight_total=np.float32(7.0),
        beta=np.float32(0.5),
        tol=np.float32(1e-2),
        patience=np.float32(4),
        decay_patience=np.float32(1),
        max_decays=np.int32(2),
    )
    _fit(
        params, x[:5], y[:5], w[:5],
        hyper=other, max_epochs=3, learning_rate=0.3, batch_size=8,
    )  # fmt: skip
    assert training.trainer_cache_size() == before


def test_dataset_loss_visits_real_rows_only_in_chunks():
    params, *_ = _tiny_problem()
    rng = np.random.RandomState(0)
    n, padded = 2500, 3072  # three chunks of 1024, the last one partly padding
    x = rng.normal(size=(padded, 2)).astype(np.float32)
    y = rng.normal(size=(padded, 1)).astype(np.float32)
    w = rng.uniform(0.5, 2, size=padded).astype(np.float32)
    w[n:] = 0.0
    x[n:] = np.nan  # padding is never read into the result
    loss = training.dataset_loss(params, x, y, w, n, "gaussian_nll", "relu")
    member = tuple((w_[1], b[1]) for w_, b in params)
    by_hand = likelihoods.gaussian_nll(network.forward(member, x[:n], "relu"), y[:n])
    expected = np.sum(w[:n] * np.asarray(by_hand)) / np.sum(w[:n])
    assert loss.shape == (2,)
    np.testing.assert_allclose(loss[1], expected, rtol=1e-4)


# Clearing JAX's caches makes every later test compile its programs again:
# the real release runs with the slow tests, the rule by default.
@pytest.mark.slow
def test_compiled_programs_are_released_past_the_limit(monkeypatch):
    params, x, y, w, hyper = _tiny_problem()
    _fit(params, x, y, w, max_epochs=1)
    assert training.trainer_cache_size() >= 1
    monkeypatch.setattr(training, "MAX_COMPILED_PROGRAMS", 0)
    # The next fit clears JAX's caches first, then compiles its own program.
    _fit(params, x, y, w, max_epochs=1)
    assert training.trainer_cache_size() == 1


@pytest.mark.parametrize("limit, released", [(0, True), (10**6, False)])
def test_caches_are_released_only_past_the_limit(monkeypatch, limit, released):
    params, x, y, w, hyper = _tiny_problem()
    _fit(params, x, y, w, max_epochs=1)
    calls = []
    monkeypatch.setattr(training.jax, "clear_caches", lambda: calls.append(1))
    monkeypatch.setattr(training, "MAX_COMPILED_PROGRAMS", limit)
    _fit(params, x, y, w, max_epochs=1)
    assert calls == ([1] if released else [])


def test_continuing_from_the_returned_adam_state_equals_one_longer_fit():
    params, x, y, w, hyper = _tiny_problem(n_members=2)
    rates = np.array([0.05, 0.01], np.float32)
    whole = _fit(params, x, y, w, max_epochs=3, learning_rate=rates)
    first = _fit(params, x, y, w, max_epochs=1, learning_rate=rates)
    rest = _fit(
        first.params,
        x,
        y,
        w,
        max_epochs=2,
        learning_rate=first.learning_rate,
        opt_state=first.opt_state,
    )
    for (w1, b1), (w2, b2) in zip(whole.params, rest.params):
        np.testing.assert_allclose(w1, w2, rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(b1, b2, rtol=1e-6, atol=1e-7)
    np.testing.assert_array_equal(rest.learning_rate, rates)
    # Adam's step count is one of the leaves, per member: 3 full-batch steps.
    counts = [leaf for leaf in rest.opt_state if leaf.dtype.kind == "i"]
    np.testing.assert_array_equal(counts, [[3, 3]])
    # Restarting Adam instead (bias correction from step 1 again) differs.
    restarted = _fit(
        first.params, x, y, w, max_epochs=2, learning_rate=first.learning_rate
    )
    assert not np.allclose(restarted.params[0][0], whole.params[0][0])


def test_an_opt_state_of_other_members_is_rejected():
    params, x, y, w, _ = _tiny_problem(n_members=2)
    first = _fit(params, x, y, w, max_epochs=1)
    wrong = tuple(leaf[:1] for leaf in first.opt_state)
    with pytest.raises(ValueError, match="opt_state does not match"):
        _fit(params, x, y, w, max_epochs=1, opt_state=wrong)
