"""The pure JAX core: losses, FGSM, the network and the compiled trainer."""

import jax
import jax.numpy as jnp
import numpy as np
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


def _tiny_problem(n_members=2, n_steps=4, batch=8, seed=0):
    rng = np.random.RandomState(seed)
    params = tuple(
        (
            rng.uniform(-0.5, 0.5, size=(n_members, i, o)).astype(np.float32),
            np.zeros((n_members, o), np.float32),
        )
        for i, o in network.layer_shapes(2, (8,), 2)
    )
    xs = rng.normal(size=(n_steps, n_members, batch, 2)).astype(np.float32)
    ys = rng.normal(size=(n_steps, n_members, batch, 1)).astype(np.float32)
    ws = np.ones((n_steps, n_members, batch), np.float32)
    hyper = training.Hyperparams(
        np.float32(1e-2), np.float32(0.0), np.float32(32.0), np.zeros(2, np.float32)
    )
    return params, xs, ys, ws, hyper


CONFIG = training.TrainConfig("gaussian_nll", "relu", False)


def _run(params, xs, ys, ws, valid, active, hyper, config=CONFIG):
    """Run the chunk's leading steps marked valid (a prefix, as in an epoch)."""
    state = training.init_state(jax.tree_util.tree_map(jnp.asarray, params))
    n_steps = np.int32(np.sum(valid))
    state, losses = training.train_chunk(
        state, xs, ys, ws, n_steps, active, hyper, config
    )
    return jax.tree_util.tree_map(np.asarray, state.params), np.asarray(losses)


def test_train_chunk_lowers_the_loss_and_freezes_inactive_members():
    params, xs, ys, ws, hyper = _tiny_problem()
    xs, ys = np.repeat(xs[:1], 4, 0), np.repeat(ys[:1], 4, 0)  # same batch each step
    new, losses = _run(
        params, xs, ys, ws, np.ones(4, bool), np.array([True, False]), hyper
    )
    assert losses[-1, 0] < losses[0, 0]
    for (w_new, _), (w_old, _) in zip(new, params):
        assert not np.allclose(w_new[0], w_old[0])
        np.testing.assert_array_equal(w_new[1], w_old[1])


def test_steps_past_the_count_and_zero_weights_change_nothing():
    params, xs, ys, ws, hyper = _tiny_problem()
    valid = np.array([True, True, False, False])
    ref, ref_losses = _run(
        params, xs[:2], ys[:2], ws[:2], valid[:2], np.ones(2, bool), hyper
    )
    new, losses = _run(params, xs, ys, ws, valid, np.ones(2, bool), hyper)
    for (w1, _), (w2, _) in zip(ref, new):
        np.testing.assert_array_equal(w1, w2)
    np.testing.assert_array_equal(losses[2:], 0.0)
    # Padding rows (weight 0) with garbage inputs do not move the parameters.
    padded_x = np.concatenate([xs, 1e3 * np.ones_like(xs)], axis=2)
    padded_y = np.concatenate([ys, np.ones_like(ys)], axis=2)
    padded_w = np.concatenate([ws, np.zeros_like(ws)], axis=2)
    padded, _ = _run(
        params, padded_x, padded_y, padded_w, valid, np.ones(2, bool), hyper
    )
    for (w1, _), (w2, _) in zip(new, padded):
        np.testing.assert_allclose(w1, w2, rtol=1e-5, atol=1e-6)


def test_adversarial_objective_averages_clean_and_perturbed_losses():
    params, xs, ys, ws, hyper = _tiny_problem()
    member = tuple((w[0], b[0]) for w, b in params)
    x, y, w = xs[0, 0], ys[0, 0], ws[0, 0]
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
    params, xs, ys, ws, hyper = _tiny_problem()
    member = tuple((w[0], b[0]) for w, b in params)
    args = (member, xs[0, 0], ys[0, 0], ws[0, 0])
    base = training.member_objective(*args, hyper, CONFIG)
    penalised = training.member_objective(
        *args, hyper._replace(alpha=np.float32(2.0)), CONFIG
    )
    expected = 0.5 * 2.0 * sum(float(np.sum(w**2)) for w, _ in member) / 32.0
    np.testing.assert_allclose(penalised - base, expected, rtol=1e-4)


def test_hyperparameters_are_traced_not_compiled_in():
    params, xs, ys, ws, hyper = _tiny_problem(seed=3)
    _run(params, xs, ys, ws, np.ones(4, bool), np.ones(2, bool), hyper)
    before = training._train_chunk_jit._cache_size()
    other = training.Hyperparams(
        np.float32(0.5), np.float32(3.0), np.float32(7.0), np.ones(2, np.float32)
    )
    _run(params, xs, ys, ws, np.ones(4, bool), np.ones(2, bool), other)
    assert training._train_chunk_jit._cache_size() == before


def test_weighted_loss_sum_per_member_ignores_zero_weights():
    params, xs, ys, ws, _ = _tiny_problem()
    x, y = xs[0, 0], ys[0, 0]
    w = np.ones(8, np.float32)
    w[4:] = 0
    full = training.weighted_loss_sum(params, x, y, w, "gaussian_nll", "relu")
    half = training.weighted_loss_sum(
        params, x[:4], y[:4], w[:4], "gaussian_nll", "relu"
    )
    assert full.shape == (2,)
    np.testing.assert_allclose(full, half, rtol=1e-5)
    member = tuple((w_[0], b_[0]) for w_, b_ in params)
    by_hand = np.sum(
        likelihoods.gaussian_nll(network.forward(member, x[:4], "relu"), y[:4])
    )
    np.testing.assert_allclose(full[0], by_hand, rtol=1e-5)


def test_init_state_is_adams_initial_state_without_compiling():
    params, *_ = _tiny_problem(n_members=3)
    state = training.init_state(params)
    reference = jax.vmap(training.make_optimizer(1.0).init)(params)
    leaves, ref_leaves = (
        jax.tree_util.tree_leaves(state.opt_state),
        jax.tree_util.tree_leaves(reference),
    )
    assert jax.tree_util.tree_structure(
        state.opt_state
    ) == jax.tree_util.tree_structure(reference)
    for leaf, ref in zip(leaves, ref_leaves):
        assert leaf.shape == ref.shape and leaf.dtype == ref.dtype
        np.testing.assert_array_equal(leaf, ref)
