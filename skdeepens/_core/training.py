"""The compiled trainer: the whole fit of every member, on the device.

The trainer's contract lives in ``_core``, whole: how the data are laid out on
the device (:mod:`.layout`), how batches are cut from each member's data
order, the epoch losses, the validation loss, each member's best-parameter
snapshot, and its patience counter, learning-rate schedule and stop flag
(:mod:`.stopping`). The estimator (:mod:`skdeepens._ensemble`) only validates,
standardises, draws each member's randomness and decides what warns and what
raises.

Design:

* The epoch is a composition of pure state steps, each testable on arrays
  without a fit: :func:`_train_epoch` (the optimiser steps and the epoch's
  mean objective), :func:`_monitored_loss`, the curves, then
  :func:`.stopping.mark_diverged`, the best snapshot,
  :func:`.stopping.update_stopping` and :func:`.stopping.update_schedule`.
* The data go to the device once per fit. Each call of the compiled program
  runs several epochs (enough that a call holds at least
  ``layout._TARGET_STEPS_PER_CALL`` optimiser steps), so a small data set
  makes a few calls rather than thousands; batches are gathered on the device
  from the members' data orders.
* The data orders are drawn on the host by a callable the estimator passes in
  (a NumPy permutation is far cheaper than ``jax.random.permutation``, which is
  a sort on XLA-CPU), several epochs at a time. ``_core`` draws no random
  numbers itself.
* Members are stacked and updated together with ``jax.vmap``. On several local
  devices the member axis is sharded over them (padded with frozen members),
  with nothing asked of the user.
* The shapes the program sees depend on the number of rows only through a
  power-of-two bucket (:func:`.layout.plan_layout`), so cross-validation
  folds, refits and clones reuse one compilation. Everything that can change
  between fits without changing the program (learning rate, penalty,
  adversarial step, beta, stopping and schedule settings, the weight of the
  randomized prior, and the layout's counts of rows and steps) is traced; only
  the loss, the activation, FGSM on or off, whether there is a validation set
  and whether there is a prior network at all are static.
* Randomized prior functions (Osband et al., 2018): each member's output is
  its trained network plus ``prior_scale`` times a fixed prior network, an
  argument stacked over members like the parameters but outside the optimiser
  and the training state, so nothing updates it. Without a prior (``None``)
  the program is the prior-free one, bit for bit.
"""

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax.sharding import Mesh

from . import stopping
from .adversarial import fgsm
from .layout import (
    EVAL_CHUNK,
    Layout,
    ceil_div,
    check_layout,
    member_sharding,
    pad_members,
    pad_rows,
    place,
    plan_layout,
)
from .likelihoods import LOSSES, SCALE_LOSSES
from .network import forward_with_prior, weight_sq_norm
from .stopping import StopState

# Guards divisions by a total sample weight when every row is padding.
_TINY = 1e-12
# Each compiled program keeps about 4 MB and 80 memory mappings until released.
# Past this many programs of the trainer, JAX's caches are cleared (the next fit
# of each configuration compiles again), so that a long-running process that
# fits many shapes or configurations stays bounded.
MAX_COMPILED_PROGRAMS = 32


class TrainConfig(NamedTuple):
    """What the compiled program depends on, besides array shapes (static)."""

    loss: str
    activation: str
    adversarial: bool
    has_validation: bool


class Hyperparams(NamedTuple):
    """Numbers that may change between fits without recompiling (traced).

    Attributes
    ----------
    alpha : scalar
        Strength of the L2 penalty ``0.5 * alpha * ||W||**2``.
    weight_total : scalar
        Total sample weight of the training rows. The penalty is divided by it,
        so that the objective is the penalised mean loss of the whole data set
        (a maximum a posteriori objective with sample weights as counts).
    adversarial_step : array of shape (n_features,)
        FGSM step per (standardised) feature; ignored unless the config says
        adversarial.
    beta : scalar
        beta-NLL exponent (Seitzer et al., 2022): each sample's NLL is weighted
        by ``stop_gradient(variance) ** beta``; 0 is the plain NLL. Ignored by
        losses without a scale.
    tol : scalar
        Minimal improvement of the monitored loss that resets a member's count
        of epochs without improvement.
    patience : scalar
        Epochs without improvement, at a member's smallest learning rate, after
        which it stops (``inf``: never).
    decay_patience : scalar
        Epochs without improvement after which a member's learning rate is
        divided by ``decay_factor``, while it may still be reduced.
    decay_factor : scalar
        Divisor of the learning rate at each reduction.
    max_decays : scalar int
        Reductions of the learning rate allowed per member (0: a constant rate).
    refine_patience : scalar
        Epochs without improvement after which a member whose rate has already
        been reduced is reduced again, or stopped at its smallest rate.
    prior_scale : scalar
        Weight of each member's randomized prior network in its output; used
        only when the trainer is given prior parameters.
    """

    alpha: jax.Array
    weight_total: jax.Array
    adversarial_step: jax.Array
    beta: jax.Array
    tol: jax.Array
    patience: jax.Array
    decay_patience: jax.Array
    decay_factor: jax.Array
    max_decays: jax.Array
    refine_patience: jax.Array
    prior_scale: jax.Array = np.float32(0.0)


class Data(NamedTuple):
    """Training and validation rows on the device, padded with zero weights."""

    x: jax.Array
    t: jax.Array
    w: jax.Array
    x_val: jax.Array
    t_val: jax.Array
    w_val: jax.Array


class TrainState(NamedTuple):
    """Everything a fit carries from epoch to epoch, stacked over members."""

    params: tuple
    opt_state: optax.OptState
    best_params: tuple
    stop: StopState


class FitResult(NamedTuple):
    """What the trainer hands back to the estimator, as NumPy.

    Attributes
    ----------
    params : tuple of (ndarray, ndarray)
        Each member's final parameters: its best validation snapshot when
        there is a validation set, else its last parameters.
    loss_curve : ndarray of shape (n_epochs, n_members)
        Each member's mean training objective per epoch; NaN after it stopped.
    validation_curve : ndarray of shape (n_epochs, n_members) or None
        Each member's validation loss per epoch.
    learning_rate_curve : ndarray of shape (n_epochs, n_members)
        Each member's learning rate during each epoch; NaN after it stopped.
    converged : ndarray of shape (n_members,), bool
        Whether the member met the stopping rule (rather than ``max_epochs``).
    diverged_epoch : ndarray of shape (n_members,), int
        The first epoch (1-based) with a non-finite loss or parameter, or 0.
    initial_loss : ndarray of shape (n_members,)
        The monitored loss of the initial parameters.
    best_loss : ndarray of shape (n_members,)
        The best monitored loss reached.
    best_epoch : ndarray of shape (n_members,), int
        The epoch (1-based) whose parameters ``params`` holds: the epoch of the
        best validation loss when there is a validation set (the first, on a
        tie), else the member's last epoch.
    opt_state : tuple of ndarray
        Adam's state after the last epoch (of the last parameters, not of a
        best snapshot), as the flat leaves of its pytree, each with a leading
        member axis: what ``fit_ensemble(opt_state=...)`` continues from.
    learning_rate : ndarray of shape (n_members,)
        Each member's learning rate after the last epoch (its schedule's
        reductions included).
    """

    params: tuple
    loss_curve: np.ndarray
    validation_curve: np.ndarray
    learning_rate_curve: np.ndarray
    converged: np.ndarray
    diverged_epoch: np.ndarray
    initial_loss: np.ndarray
    best_loss: np.ndarray
    best_epoch: np.ndarray
    opt_state: tuple
    learning_rate: np.ndarray


# The optimiser is Adam, the paper's and scikit-learn's MLP default. Its update
# is scaled by each member's own learning rate outside optax, so the rate is a
# per-member traced value that a schedule can change without recompiling.
_ADAM = optax.scale_by_adam()


def _per_sample_loss(out, t, hyper, config):
    if config.loss in SCALE_LOSSES:
        return LOSSES[config.loss](out, t, beta=hyper.beta)
    return LOSSES[config.loss](out, t)


def _weighted_mean(per_sample, w):
    return jnp.sum(w * per_sample) / jnp.maximum(jnp.sum(w), _TINY)


def member_objective(params, x, t, w, hyper, config, prior_params=None):
    """One member's penalised training objective on one batch.

    With ``config.adversarial`` the data term is the average of the loss on the
    clean batch and on its FGSM perturbation (Lakshminarayanan et al., 2017,
    algorithm 1). ``prior_params``, the member's fixed prior network (or
    None), is added to its output with weight ``hyper.prior_scale``; it is
    not penalised and gets no gradient step.
    """

    def per_sample(inputs):
        out = forward_with_prior(
            params, prior_params, hyper.prior_scale, inputs, config.activation
        )
        return _per_sample_loss(out, t, hyper, config)

    data_loss = _weighted_mean(per_sample(x), w)
    if config.adversarial:
        x_adv = fgsm(per_sample, x, hyper.adversarial_step)
        data_loss = 0.5 * (data_loss + _weighted_mean(per_sample(x_adv), w))
    penalty = 0.5 * hyper.alpha * weight_sq_norm(params) / hyper.weight_total
    return data_loss + penalty


def _select_members(mask, new_tree, old_tree):
    """Take ``new`` for members where ``mask`` holds and keep ``old`` elsewhere."""

    def select(new, old):
        return jnp.where(
            jnp.reshape(mask, mask.shape + (1,) * (new.ndim - 1)), new, old
        )

    return jax.tree_util.tree_map(select, new_tree, old_tree)


def dataset_loss(
    stacked_params,
    x,
    t,
    w,
    n_rows,
    loss,
    activation,
    prior_params=None,
    prior_scale=0.0,
):
    """Each member's weighted mean loss over the first ``n_rows`` rows.

    No penalty and no FGSM: the quantity early stopping monitors. The rows are
    visited in chunks of ``EVAL_CHUNK`` (``x`` holds a multiple of that many
    rows), so memory stays bounded whatever the data size, and the traced
    number of chunks visits the real rows only, not the padding.

    Returns
    -------
    loss : array of shape (n_members,)
    """
    chunk = min(EVAL_CHUNK, x.shape[0])
    n_chunks = ceil_div(n_rows, chunk)

    def member_sum(params, prior, xc, tc, wc):
        out = forward_with_prior(params, prior, prior_scale, xc, activation)
        per_sample = LOSSES[loss](out, tc)
        # Padding rows of the last chunk count for nothing, whatever they hold.
        return jnp.sum(jnp.where(wc > 0, wc * per_sample, 0.0))

    def body(i, total):
        rows = (i * chunk, chunk)
        xc = jax.lax.dynamic_slice_in_dim(x, *rows)
        tc = jax.lax.dynamic_slice_in_dim(t, *rows)
        wc = jax.lax.dynamic_slice_in_dim(w, *rows)
        sums = jax.vmap(member_sum, in_axes=(0, 0, None, None, None))(
            stacked_params, prior_params, xc, tc, wc
        )
        return total + sums

    n_members = jax.tree_util.tree_leaves(stacked_params)[0].shape[0]
    total = jax.lax.fori_loop(0, n_chunks, body, jnp.zeros(n_members, x.dtype))
    return total / jnp.maximum(jnp.sum(w), _TINY)


def _monitored_set(data, layout, config):
    if config.has_validation:
        return data.x_val, data.t_val, data.w_val, layout.n_validation_rows
    return data.x, data.t, data.w, layout.n_rows


def _train_epoch(state, data, order, hyper, layout, config, prior_params=None):
    """One epoch of optimiser steps of every active member.

    ``order`` has shape (n_members, padded_rows + width): each member's data
    order, a permutation of the ``n_rows`` training rows followed by filler.
    Batch ``i`` is the slice ``[i * batch_rows, i * batch_rows + width)`` of
    the order, its slots past ``batch_rows`` or past ``n_rows`` masked out by
    a zero weight. Inactive members keep their parameters and Adam's state:
    every member takes the epoch's steps (the members are one vectorised
    computation, so an inactive one costs nothing extra), and the inactive
    ones are put back to their state before the epoch once, at its end. The
    active set changes only between epochs, so this equals a selection after
    every step bit for bit, with one selection per epoch instead of one per
    step (4-11% of a small fit's time, measured on iris).

    Returns
    -------
    state : TrainState
    epoch_loss : array of shape (n_members,)
        Each member's mean training objective over the epoch's batches,
        weighted by the batches' total sample weights.
    """
    n_members = state.stop.active.shape[0]
    width = order.shape[1] - data.x.shape[0]
    slot = jnp.arange(width)
    grad_fn = jax.value_and_grad(member_objective)

    def member_update(params, opt_state, lr, prior, x, t, w):
        loss, grads = grad_fn(params, x, t, w, hyper, config, prior)
        direction, opt_state = _ADAM.update(grads, opt_state, params)
        params = jax.tree_util.tree_map(lambda p, d: p - lr * d, params, direction)
        return params, opt_state, loss

    all_members_update = jax.vmap(member_update)

    def step(i, carry):
        state, loss_sum, weight_sum = carry
        start = i * layout.batch_rows
        rows = jax.lax.dynamic_slice_in_dim(order, start, width, axis=1)
        valid = (slot < layout.batch_rows) & (start + slot < layout.n_rows)
        w = data.w[rows] * valid[None, :]
        params, opt_state, loss = all_members_update(
            state.params,
            state.opt_state,
            state.stop.learning_rate,
            prior_params,
            data.x[rows],
            data.t[rows],
            w,
        )
        batch_weight = jnp.sum(w, axis=1)
        state = state._replace(params=params, opt_state=opt_state)
        return state, loss_sum + loss * batch_weight, weight_sum + batch_weight

    zeros = jnp.zeros(n_members, data.x.dtype)
    stepped, loss_sum, weight_sum = jax.lax.fori_loop(
        0, layout.steps_per_epoch, step, (state, zeros, zeros)
    )
    params, opt_state = _select_members(
        state.stop.active,
        (stepped.params, stepped.opt_state),
        (state.params, state.opt_state),
    )
    state = stepped._replace(params=params, opt_state=opt_state)
    return state, loss_sum / jnp.maximum(weight_sum, _TINY)


def _monitored_set_loss(params, data, hyper, layout, config, prior=None):
    """Each member's loss on the monitored rows (validation, else training)."""
    monitored = _monitored_set(data, layout, config)
    return dataset_loss(
        params, *monitored, config.loss, config.activation, prior, hyper.prior_scale
    )


def _monitored_loss(params, data, epoch_loss, hyper, layout, config, prior=None):
    """What early stopping watches: the validation loss, or the epoch's loss."""
    if not config.has_validation:
        return epoch_loss
    return _monitored_set_loss(params, data, hyper, layout, config, prior)


def _record_curves(curves, e, stop, epoch_loss, monitored):
    """Write epoch ``e`` into the curves of the members active during it."""
    loss_curve, val_curve, lr_curve = curves
    return (
        loss_curve.at[e].set(jnp.where(stop.active, epoch_loss, jnp.nan)),
        val_curve.at[e].set(jnp.where(stop.active, monitored, jnp.nan)),
        lr_curve.at[e].set(jnp.where(stop.active, stop.learning_rate, jnp.nan)),
    )


def _run_epochs(
    state, data, orders, n_epochs, first_call, hyper, layout, config, prior_params=None
):
    """Run up to ``n_epochs`` epochs of every active member (the compiled program).

    ``orders`` has shape (epochs_per_call, n_members, padded_rows + width):
    each epoch's data order of each member (see :func:`_train_epoch`).
    ``layout`` holds the counts of :class:`.layout.Layout` as traced integers;
    the sizes come from the arrays' shapes. On the ``first_call`` (traced) the
    program also returns the monitored loss of the untrained members, the
    reference of the blow-up check; on later calls that entry is NaN. One
    program does both, so a configuration compiles once.
    """
    n_members = state.stop.active.shape[0]
    initial_loss = jax.lax.cond(
        first_call,
        lambda params: _monitored_set_loss(
            params, data, hyper, layout, config, prior_params
        ),
        lambda params: jnp.full(n_members, jnp.nan, data.x.dtype),
        state.params,
    )

    def epoch(carry):
        e, state, curves = carry
        order = orders[e]  # outside the step loop: sliced once per epoch
        state, epoch_loss = _train_epoch(
            state, data, order, hyper, layout, config, prior_params
        )
        monitored = _monitored_loss(
            state.params, data, epoch_loss, hyper, layout, config, prior_params
        )
        # The curves show each member during the epoch, before this epoch's
        # verdict: a diverged member's last finite rate marks the failed epoch.
        curves = _record_curves(curves, e, state.stop, epoch_loss, monitored)
        finite = (
            jnp.isfinite(epoch_loss)
            & jnp.isfinite(monitored)
            & stopping.finite_members(state.params)
        )
        stop = stopping.mark_diverged(state.stop, finite)
        best_params = state.best_params
        if config.has_validation:
            best_params = _select_members(
                stopping.improved(stop, monitored), state.params, best_params
            )
        stop = stopping.update_stopping(stop, monitored, hyper.tol)
        stop = stopping.update_schedule(stop, hyper)
        return e + 1, state._replace(best_params=best_params, stop=stop), curves

    def keep_going(carry):
        e, state, _ = carry
        return (e < n_epochs) & jnp.any(state.stop.active)

    nan_curve = jnp.full((orders.shape[0], n_members), jnp.nan, data.x.dtype)
    n_run, state, curves = jax.lax.while_loop(
        keep_going, epoch, (jnp.int32(0), state, (nan_curve,) * 3)
    )
    return state, n_run, curves, initial_loss


_run_epochs_jit = jax.jit(_run_epochs, static_argnames=("config",), donate_argnums=0)


def release_programs_if_many(program=_run_epochs_jit):
    """Clear JAX's caches once ``program`` holds more than the bound's programs.

    Parameters
    ----------
    program : jitted function, default=the trainer
        The compiled entry point whose cache is counted (the posterior
        sampler's, :mod:`skdeepens._core.sampling`, is counted on its own).
    """
    if program._cache_size() > MAX_COMPILED_PROGRAMS:
        jax.clear_caches()


class _Placed(NamedTuple):
    """A fit's inputs on the device(s): what every compiled call reads."""

    state: TrainState
    data: Data
    hyper: Hyperparams
    counts: Layout  # the layout as traced int32 scalars
    prior_params: tuple
    mesh: Mesh
    n_members: int
    n_slots: int


def _place_inputs(
    init_params, train, validation, learning_rate, hyper, layout, opt_state, prior,
    members_per_program,
):  # fmt: skip
    """Pad the rows and the members, build the initial state, place it all."""
    n_members = init_params[0][0].shape[0]
    if validation is None:
        # A placeholder: never read, one shape for every size.
        validation = tuple(np.zeros_like(a[:1]) for a in train)
    data = Data(
        *(pad_rows(a, layout.padded_rows) for a in train),
        *(pad_rows(a, layout.padded_validation_rows) for a in validation),
    )
    mesh, n_slots = member_sharding(max(n_members, members_per_program or 0))
    params = pad_members(init_params, n_slots)
    if prior is not None:
        prior = place(pad_members(prior, n_slots), mesh, 0)
    opt_shapes = jax.eval_shape(jax.vmap(_ADAM.init), params)
    if opt_state is None:
        opt_state = jax.tree_util.tree_map(
            lambda s: np.zeros(s.shape, s.dtype), opt_shapes
        )
    else:
        opt_state = _restore_opt_state(opt_state, opt_shapes, n_members, n_slots)
    rates = np.broadcast_to(np.asarray(learning_rate, np.float32), (n_members,))
    state = TrainState(
        params=params,
        opt_state=opt_state,
        best_params=params,
        stop=stopping.init_stopping(
            pad_members(rates, n_slots), np.arange(n_slots) < n_members
        ),
    )
    return _Placed(
        state=place(state, mesh, 0),
        data=place(data, mesh, None),
        hyper=place(hyper, mesh, None),
        counts=place(jax.tree_util.tree_map(np.int32, layout), mesh, None),
        prior_params=prior,
        mesh=mesh,
        n_members=n_members,
        n_slots=n_slots,
    )


def _run_calls(placed, layout, config, draw_orders, max_epochs, on_epochs):
    """Call the compiled program until ``max_epochs`` or every member stopped.

    Returns the final state, the curves ``(loss, validation, learning
    rate)`` of the real members, each of shape (n_epochs_run, n_members), and
    the monitored loss of the untrained members (from the first call).
    """
    state, n_members = placed.state, placed.n_members
    curves = ([], [], [])
    initial_loss = None
    done, per_call = 0, layout.epochs_per_call
    while done < max_epochs:
        orders = np.zeros(
            (per_call, placed.n_slots, layout.padded_rows + layout.width), np.int32
        )
        orders[:, :n_members, : layout.n_rows] = draw_orders(per_call)
        n_run = min(per_call, max_epochs - done)
        state, ran, call_curves, call_initial = _run_epochs_jit(
            state,
            placed.data,
            place(orders, placed.mesh, 1),
            np.int32(n_run),
            np.bool_(done == 0),
            placed.hyper,
            placed.counts,
            config,
            placed.prior_params,
        )
        ran = int(ran)
        if initial_loss is None:
            initial_loss = call_initial
        for store, curve in zip(curves, call_curves):
            store.append(np.asarray(curve)[:ran, :n_members])
        finished = (
            ran < n_run
            or done + ran >= max_epochs
            or not np.any(np.asarray(state.stop.active))
        )
        if on_epochs is not None:
            on_epochs(done, curves[0][-1], curves[1][-1], finished=finished)
        done += ran
        if finished:
            break
    return state, tuple(np.concatenate(c) for c in curves), initial_loss


def _fit_result(state, curves, initial_loss, n_members, has_validation):
    """The final state of the real members, as NumPy."""

    def host(tree):
        return jax.tree_util.tree_map(lambda a: np.asarray(a)[:n_members], tree)

    loss_curve, val_curve, lr_curve = curves
    stop = host(state.stop)
    # A member's learning-rate curve is finite exactly while it trains, so a
    # diverged member's last finite entry is the epoch that failed.
    diverged_epoch = np.where(stop.diverged, np.isfinite(lr_curve).sum(axis=0), 0)
    return FitResult(
        params=host(state.best_params if has_validation else state.params),
        loss_curve=loss_curve.astype(np.float64),
        validation_curve=val_curve.astype(np.float64) if has_validation else None,
        learning_rate_curve=lr_curve.astype(np.float64),
        converged=stop.converged,
        diverged_epoch=diverged_epoch,
        initial_loss=host(initial_loss).astype(np.float64),
        best_loss=stop.best_loss.astype(np.float64),
        best_epoch=(stop.best_epoch if has_validation else stop.n_epochs).astype(
            np.int64
        ),
        opt_state=tuple(jax.tree_util.tree_leaves(host(state.opt_state))),
        learning_rate=stop.learning_rate,
    )


def fit_ensemble(
    init_params,
    train,
    validation,
    draw_orders,
    *,
    learning_rate,
    hyper,
    config,
    layout,
    max_epochs,
    on_epochs=None,
    opt_state=None,
    prior_params=None,
    members_per_program=None,
):
    """Train every member from its initial parameters, as one program.

    Parameters
    ----------
    init_params : tuple of (ndarray, ndarray)
        Stacked initial parameters, float32, leading member axis.
    train : tuple of ndarray
        ``(x, t, w)``: standardised inputs (n, n_features), encoded targets
        (n, n_targets) and sample weights (n,), float32.
    validation : tuple of ndarray or None
        The same for the rows that monitor early stopping.
    draw_orders : callable
        ``draw_orders(n_epochs)`` returns an int array of shape
        (n_epochs, n_members, n): each member's data order for each of the next
        ``n_epochs`` epochs. Drawn on the host by the caller.
    learning_rate : float or ndarray of shape (n_members,)
        Each member's initial learning rate.
    hyper : Hyperparams
        Traced settings.
    config : TrainConfig
        Static settings (``has_validation`` is set here).
    layout : Layout
        ``plan_layout(n, batch_size, n_validation)`` of these arrays.
    max_epochs : int
        Upper bound on the number of epochs.
    on_epochs : callable, optional
        Called after each compiled call with ``(first_epoch, loss_curve,
        validation_curve, finished=...)`` of the epochs it ran (for
        ``verbose`` output); ``finished`` is True on the last call.
    opt_state : tuple of ndarray, optional
        Adam's state to continue from: ``FitResult.opt_state`` of an earlier
        fit of the same members (``partial_fit``). None starts from Adam's
        initial state. The stopping state (best loss, patience counter, number
        of rate reductions) always starts afresh.
    prior_params : tuple of (ndarray, ndarray), optional
        Each member's fixed randomized prior network, stacked like
        ``init_params``; added to the output with weight ``hyper.prior_scale``
        and never trained. None (the default): no prior.
    members_per_program : int, optional
        The member axis of the compiled program: the members are padded with
        frozen copies up to it (:mod:`.groups` gives every group one).

    Returns
    -------
    result : FitResult
    """
    check_layout(layout, train, validation)
    n_members = init_params[0][0].shape[0]
    config = config._replace(has_validation=validation is not None)
    placed = _place_inputs(
        init_params, train, validation, learning_rate, hyper, layout, opt_state,
        prior_params, members_per_program,
    )  # fmt: skip
    release_programs_if_many()
    # float32 matmuls at full precision: on GPUs the default may be TF32, which
    # costs a near-noiseless data set several nats of NLL.
    with jax.default_matmul_precision("highest"):
        state, curves, initial_loss = _run_calls(
            placed, layout, config, draw_orders, max_epochs, on_epochs
        )
    return _fit_result(state, curves, initial_loss, n_members, config.has_validation)


def _restore_opt_state(leaves, opt_shapes, n_members, n_slots):
    """Adam's pytree from the flat leaves of ``FitResult.opt_state``, padded."""
    expected = jax.tree_util.tree_leaves(opt_shapes)
    leaves = [np.asarray(leaf) for leaf in leaves]
    if len(leaves) != len(expected) or any(
        leaf.shape[1:] != shape.shape[1:] or leaf.shape[0] != n_members
        for leaf, shape in zip(leaves, expected)
    ):
        raise ValueError(
            "opt_state does not match the members' parameters: got leaves of "
            f"shapes {[leaf.shape for leaf in leaves]}, expected "
            f"{[shape.shape for shape in expected]} (up to the member axis)"
        )
    leaves = [
        pad_members(leaf.astype(shape.dtype), n_slots)
        for leaf, shape in zip(leaves, expected)
    ]
    return jax.tree_util.tree_unflatten(
        jax.tree_util.tree_structure(opt_shapes), leaves
    )


def trainer_cache_size():
    """Number of trainer programs compiled in this process (and still cached)."""
    return _run_epochs_jit._cache_size()


__all__ = [
    "MAX_COMPILED_PROGRAMS",
    "Data",
    "FitResult",
    "Hyperparams",
    "Layout",
    "TrainConfig",
    "TrainState",
    "dataset_loss",
    "fit_ensemble",
    "member_objective",
    "plan_layout",
    "release_programs_if_many",
    "trainer_cache_size",
]
