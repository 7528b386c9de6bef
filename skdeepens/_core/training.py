"""The compiled trainer: every member of the ensemble in one XLA program.

Design, from what was measured on 2-core CPUs (PERFORMANCE.md):

* Members are stacked and updated together with ``jax.vmap``; mini-batches run
  inside ``jax.lax.fori_loop``, so one Python call executes many optimiser steps.
* The data order is drawn on the host and the batches are gathered there: a
  ``jax.random.permutation`` on XLA-CPU is a sort and cost most of an epoch.
* Every shape the program sees is independent of the number of training rows: a
  call receives ``steps_per_call`` batches of ``batch_size`` rows and a traced
  count of those to run; short batches and members that have stopped are
  masked (zero sample weights, a frozen member). Cross-validation folds,
  refits and clones therefore reuse one compilation.
* Everything that can change between fits without changing the program
  (learning rate, L2 penalty, adversarial step, total sample weight) is a traced
  argument; only the loss, the activation and whether FGSM is on are static.
"""

from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from .adversarial import fgsm
from .likelihoods import LOSSES
from .network import forward, weight_sq_norm

# Guards divisions by a batch's total sample weight when every row is padding.
_TINY = 1e-12


class TrainConfig(NamedTuple):
    """What the compiled program depends on, besides array shapes (static)."""

    loss: str
    activation: str
    adversarial: bool


class Hyperparams(NamedTuple):
    """Numbers that may change between fits without recompiling (traced).

    Attributes
    ----------
    learning_rate : scalar
        Adam's step size.
    alpha : scalar
        Strength of the L2 penalty ``0.5 * alpha * ||W||**2``.
    weight_total : scalar
        Total sample weight of the training set. The penalty is divided by it,
        so that the objective is the penalised mean loss of the whole data set
        (a maximum a posteriori objective with sample weights as counts).
    adversarial_step : array of shape (n_features,)
        FGSM step per (standardised) feature; ignored unless the config says
        adversarial.
    """

    learning_rate: jax.Array
    alpha: jax.Array
    weight_total: jax.Array
    adversarial_step: jax.Array


class TrainState(NamedTuple):
    """Stacked parameters and Adam states of all members."""

    params: tuple
    opt_state: optax.OptState


def make_optimizer(learning_rate):
    """Adam, the optimiser of the paper and of scikit-learn's MLP default."""
    return optax.adam(learning_rate)


def init_state(stacked_params):
    """Fresh Adam states for stacked member parameters.

    Adam starts from zeros (moments and step count), so the state is built
    from its shapes alone (``jax.eval_shape``): nothing is compiled per
    ensemble size. Adam's state does not depend on the learning rate, so one
    placeholder rate describes it; the real rate is applied in each step.
    """
    shapes = jax.eval_shape(jax.vmap(make_optimizer(1.0).init), stacked_params)
    opt_state = jax.tree_util.tree_map(lambda s: np.zeros(s.shape, s.dtype), shapes)
    # On the device from the start: the first compiled call then sees the same
    # argument types as every later one (one jit cache entry, not two).
    return jax.device_put(TrainState(stacked_params, opt_state))


def _weighted_mean_loss(params, x, y, w, config):
    per_sample = LOSSES[config.loss](forward(params, x, config.activation), y)
    return jnp.sum(w * per_sample) / jnp.maximum(jnp.sum(w), _TINY)


def member_objective(params, x, y, w, hyper, config):
    """One member's penalised training objective on one batch.

    With ``config.adversarial`` the data term is the average of the loss on the
    clean batch and on its FGSM perturbation (Lakshminarayanan et al., 2017,
    algorithm 1).
    """
    data_loss = _weighted_mean_loss(params, x, y, w, config)
    if config.adversarial:
        loss_fn = LOSSES[config.loss]

        def per_sample(inputs):
            return loss_fn(forward(params, inputs, config.activation), y)

        x_adv = fgsm(per_sample, x, hyper.adversarial_step)
        adv_loss = _weighted_mean_loss(params, x_adv, y, w, config)
        data_loss = 0.5 * (data_loss + adv_loss)
    penalty = 0.5 * hyper.alpha * weight_sq_norm(params) / hyper.weight_total
    return data_loss + penalty


def _select_members(active, new_tree, old_tree):
    """Take ``new`` for active members and keep ``old`` for the others."""

    def select(new, old):
        mask = jnp.reshape(active, active.shape + (1,) * (new.ndim - 1))
        return jnp.where(mask, new, old)

    return jax.tree_util.tree_map(select, new_tree, old_tree)


def _train_chunk(state, xs, ys, ws, n_steps, active, hyper, config):
    optimizer = make_optimizer(hyper.learning_rate)
    grad_fn = jax.value_and_grad(member_objective)

    def member_update(params, opt_state, x, y, w):
        loss, grads = grad_fn(params, x, y, w, hyper, config)
        updates, opt_state = optimizer.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), opt_state, loss

    all_members_update = jax.vmap(member_update)

    def step(i, carry):
        state, losses = carry
        params, opt_state, loss = all_members_update(
            state.params, state.opt_state, xs[i], ys[i], ws[i]
        )
        new_state = _select_members(active, TrainState(params, opt_state), state)
        return new_state, losses.at[i].set(loss)

    # The trip count is traced: steps past the end of an epoch are never run,
    # and the chunk's shapes stay independent of the number of rows.
    losses = jnp.zeros((xs.shape[0], active.shape[0]), dtype=xs.dtype)
    return jax.lax.fori_loop(0, n_steps, step, (state, losses))


_train_chunk_jit = jax.jit(_train_chunk, static_argnames=("config",), donate_argnums=0)


def train_chunk(state, xs, ys, ws, n_steps, active, hyper, config):
    """Run a fixed number of optimiser steps for all members.

    Parameters
    ----------
    state : TrainState
        Stacked parameters and optimiser states (donated: do not reuse).
    xs : array of shape (steps_per_call, n_members, batch_size, n_features)
        Each step's batch of inputs for each member.
    ys : array of shape (steps_per_call, n_members, batch_size, n_targets)
        The matching targets (one-hot for classification).
    ws : array of shape (steps_per_call, n_members, batch_size)
        Sample weights; zero for padding rows.
    n_steps : int
        How many of the steps to run (a traced value); the rest of the chunk is
        padding, never executed.
    active : bool array of shape (n_members,)
        False for members that have stopped training; they stay unchanged.
    hyper : Hyperparams
        Traced hyperparameters.
    config : TrainConfig
        Static configuration.

    Returns
    -------
    state : TrainState
        The updated state.
    losses : array of shape (steps_per_call, n_members)
        Each member's objective on each step's batch (zero past ``n_steps``).
    """
    return _train_chunk_jit(state, xs, ys, ws, n_steps, active, hyper, config)


@partial(jax.jit, static_argnames=("loss", "activation"))
def weighted_loss_sum(stacked_params, x, y, w, loss, activation):
    """Each member's sum of weighted per-sample losses (no penalty, no FGSM).

    The caller feeds fixed-size chunks and divides by the total weight, so a
    validation set of any size reuses one compiled program.

    Returns
    -------
    sums : array of shape (n_members,)
    """

    def member_sum(params):
        per_sample = LOSSES[loss](forward(params, x, activation), y)
        return jnp.sum(w * per_sample)

    return jax.vmap(member_sum)(stacked_params)
