"""The trainer's pure state steps, on arrays and without a fit.

The stopping rule, the learning-rate schedule and divergence
(:mod:`skdeepens._core.stopping`), and the layout of the rows
(:mod:`skdeepens._core.layout`).
"""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from skdeepens._core import layout, stopping, training


def _schedule(
    patience=np.inf,
    decay_patience=np.inf,
    decay_factor=5.0,
    max_decays=0,
    refine_patience=None,
):
    """Trainer settings of a schedule, the rest at neutral values.

    ``refine_patience`` None: the first phase's (``decay_patience``).
    """
    if refine_patience is None:
        refine_patience = decay_patience
    return training.Hyperparams(
        alpha=np.float32(0.0),
        weight_total=np.float32(1.0),
        adversarial_step=np.zeros(1, np.float32),
        beta=np.float32(0.0),
        tol=np.float32(0.0),
        patience=np.float32(patience),
        decay_patience=np.float32(decay_patience),
        decay_factor=np.float32(decay_factor),
        max_decays=np.int32(max_decays),
        refine_patience=np.float32(refine_patience),
    )


def _state(n_members=3, learning_rate=0.1, **overrides):
    state = stopping.init_stopping(
        np.full(n_members, learning_rate), np.ones(n_members, bool)
    )
    return state._replace(**{k: np.asarray(v) for k, v in overrides.items()})


def test_initial_state_has_no_best_and_no_stall():
    state = stopping.init_stopping([0.1, 0.2], [True, False])
    np.testing.assert_array_equal(state.best_loss, [np.inf, np.inf])
    np.testing.assert_array_equal(state.no_improvement, [0, 0])
    np.testing.assert_array_equal(state.n_decays, [0, 0])
    np.testing.assert_array_equal(state.active, [True, False])
    assert not state.converged.any() and not state.diverged.any()
    assert state.learning_rate.dtype == np.float32


@pytest.mark.parametrize("transform", [lambda f: f, jax.jit])
def test_stopping_counts_stalls_and_keeps_the_best(transform):
    state = _state(
        best_loss=np.float32([1.0, 1.0, 1.0]),
        no_improvement=np.int32([2, 2, 2]),
    )
    # Improves by more than tol, by less than tol, and gets worse.
    monitored = jnp.float32([0.5, 0.95, 2.0])
    new = transform(stopping.update_stopping)(state, monitored, np.float32(0.1))
    np.testing.assert_array_equal(new.no_improvement, [0, 3, 3])
    np.testing.assert_allclose(new.best_loss, [0.5, 0.95, 1.0])
    # The rule moves nothing else.
    np.testing.assert_array_equal(new.learning_rate, state.learning_rate)
    np.testing.assert_array_equal(new.active, state.active)


def test_stopping_leaves_inactive_members_alone():
    state = _state(
        n_members=2,
        active=[True, False],
        best_loss=np.float32([1.0, 1.0]),
        no_improvement=np.int32([0, 4]),
    )
    new = stopping.update_stopping(state, jnp.float32([0.0, 0.0]), np.float32(0.0))
    np.testing.assert_array_equal(new.no_improvement, [0, 4])
    np.testing.assert_allclose(new.best_loss, [0.0, 1.0])


def test_first_epoch_always_improves_on_the_initial_infinity():
    new = stopping.update_stopping(_state(), jnp.float32([5.0, 1e30, -3.0]), 1.0)
    np.testing.assert_array_equal(new.no_improvement, [0, 0, 0])


@pytest.mark.parametrize("transform", [lambda f: f, jax.jit])
def test_schedule_divides_the_rate_while_reductions_remain(transform):
    hyper = _schedule(patience=2, decay_patience=2, max_decays=1)
    state = _state(
        no_improvement=np.int32([3, 2, 3]),
        n_decays=np.int32([0, 0, 1]),
    )
    new = transform(stopping.update_schedule)(state, hyper)
    # Member 0 decays (stall past decay_patience, a reduction left); member 1
    # has not stalled long enough; member 2 is at its smallest rate: it stops.
    np.testing.assert_allclose(new.learning_rate, [0.02, 0.1, 0.1], rtol=1e-6)
    np.testing.assert_array_equal(new.no_improvement, [0, 2, 3])
    np.testing.assert_array_equal(new.n_decays, [1, 0, 1])
    np.testing.assert_array_equal(new.active, [True, True, False])
    np.testing.assert_array_equal(new.converged, [False, False, True])


def test_constant_schedule_stops_after_patience():
    hyper = _schedule(patience=3)
    state = _state(no_improvement=np.int32([3, 4, 0]))
    new = stopping.update_schedule(state, hyper)
    np.testing.assert_array_equal(new.active, [True, False, True])
    np.testing.assert_array_equal(new.converged, [False, True, False])
    np.testing.assert_array_equal(new.learning_rate, state.learning_rate)


def test_infinite_patience_never_stops():
    state = _state(no_improvement=np.int32([10**6] * 3))
    new = stopping.update_schedule(state, _schedule())
    assert new.active.all() and not new.converged.any()


def _run_rule(monitored, hyper, tol, learning_rate=0.1):
    """The rule and the schedule over a scripted sequence of monitored losses."""

    def epoch(state, loss):
        # The rate each epoch ran at, as the learning-rate curve records it.
        ran = (jnp.where(state.active, state.learning_rate, jnp.nan), state.active)
        state = stopping.update_stopping(state, loss, tol)
        return stopping.update_schedule(state, hyper), ran

    init = stopping.init_stopping(np.full(monitored.shape[1], learning_rate), [True])
    return jax.jit(lambda s, m: jax.lax.scan(epoch, s, m))(init, monitored)


def test_a_stalled_member_steps_through_every_rate_then_stops():
    # The first epoch improves on infinity; then every epoch stalls (tol is
    # large): three stalls of decay_patience + 1 = 3 epochs divide the rate,
    # and a fourth stops the member (as the compiled fit does).
    hyper = _schedule(patience=2, decay_patience=2, max_decays=3)
    monitored = jnp.ones((40, 1), jnp.float32)
    final, (rates, active) = _run_rule(monitored, hyper, np.float32(10.0))
    ran = int(np.sum(active))
    assert ran == 1 + 4 * 3
    assert bool(final.converged[0]) and not bool(final.active[0])
    rates = np.asarray(rates)[:, 0]
    assert np.isnan(rates[ran:]).all()
    np.testing.assert_allclose(
        np.unique(rates[:ran])[::-1], [0.1, 0.02, 0.004, 0.0008], rtol=1e-5
    )
    np.testing.assert_array_equal(final.n_decays, [3])
    np.testing.assert_allclose(final.learning_rate, [0.1 / 125], rtol=1e-5)


def test_after_the_first_reduction_the_refine_patience_counts():
    # Every epoch after the first stalls: 4 stalled epochs reduce the rate
    # (patience 3), then 2 each (refine patience 1) reduce it twice more and
    # stop the member.
    hyper = _schedule(patience=3, decay_patience=3, max_decays=2, refine_patience=1)
    monitored = jnp.ones((40, 1), jnp.float32)
    final, (rates, active) = _run_rule(monitored, hyper, np.float32(10.0))
    assert int(np.sum(active)) == 1 + 4 + 2 * 2
    np.testing.assert_array_equal(final.n_decays, [2])
    assert bool(final.converged[0])


def test_an_improving_member_never_stops():
    hyper = _schedule(patience=1, decay_patience=1, max_decays=2)
    monitored = jnp.linspace(10.0, 0.0, 50, dtype=jnp.float32)[:, None]
    final, _ = _run_rule(monitored, hyper, np.float32(0.01))
    assert bool(final.active[0]) and int(final.n_decays[0]) == 0


def test_the_best_epoch_is_the_epoch_of_the_last_improvement():
    # Epoch 4 improves on the best by less than tol: a stall for the rule,
    # but the trainer's snapshot (and so best_epoch) moves to it.
    hyper = _schedule(patience=10)
    monitored = jnp.float32([[3.0, 9.0], [2.0, 8.0], [2.5, 7.0], [1.99, 6.0], [5, 6]])
    init = stopping.init_stopping(np.full(2, 0.1), [True, True])

    def epoch(state, loss):
        state = stopping.update_stopping(state, loss, np.float32(0.1))
        return stopping.update_schedule(state, hyper), None

    final, _ = jax.jit(lambda s, m: jax.lax.scan(epoch, s, m))(init, monitored)
    np.testing.assert_array_equal(final.n_epochs, [5, 5])
    # Member 1's last epoch ties its best: the first of equal losses is kept.
    np.testing.assert_array_equal(final.best_epoch, [4, 4])
    np.testing.assert_array_equal(final.no_improvement, [3, 1])


def test_stopped_members_count_no_more_epochs():
    state = _state(n_members=2, active=[True, False])
    new = stopping.update_stopping(state, jnp.float32([1.0, 1.0]), np.float32(0.0))
    np.testing.assert_array_equal(new.n_epochs, [1, 0])
    np.testing.assert_array_equal(new.best_epoch, [1, 0])


def test_rule_under_vmap_is_the_stacked_rule():
    """One member at a time under vmap equals all members stacked."""
    rng = np.random.default_rng(0)
    state = _state(
        n_members=5,
        learning_rate=0.3,
        best_loss=rng.uniform(0, 2, 5).astype(np.float32),
        no_improvement=rng.integers(0, 5, 5).astype(np.int32),
        n_decays=rng.integers(0, 3, 5).astype(np.int32),
        active=rng.uniform(size=5) < 0.7,
        n_epochs=rng.integers(5, 9, 5).astype(np.int32),
        best_epoch=rng.integers(0, 5, 5).astype(np.int32),
    )
    monitored = rng.uniform(0, 2, 5).astype(np.float32)
    hyper = _schedule(patience=2, decay_patience=1, max_decays=2)

    def both(s, m):
        return stopping.update_schedule(stopping.update_stopping(s, m, 0.05), hyper)

    stacked = both(state, monitored)
    one_by_one = jax.vmap(both)(state, monitored)
    for a, b in zip(stacked, one_by_one):
        np.testing.assert_array_equal(a, b)


def test_non_finite_members_stop_as_diverged():
    state = _state(active=[True, True, False])
    params = (
        (np.ones((3, 2, 2), np.float32), np.zeros((3, 2), np.float32)),
        (np.ones((3, 2, 1), np.float32), np.zeros((3, 1), np.float32)),
    )
    params[1][1][1, 0] = np.nan
    finite = stopping.finite_members(params)
    np.testing.assert_array_equal(finite, [True, False, True])
    new = jax.jit(stopping.mark_diverged)(state, finite & jnp.isfinite(1.0))
    np.testing.assert_array_equal(new.active, [True, False, False])
    # A member already stopped is not diverged by the epoch it did not run.
    np.testing.assert_array_equal(new.diverged, [False, True, False])


def test_improved_compares_active_members_with_their_best():
    state = _state(active=[True, True, False], best_loss=np.float32([1, 1, 1]))
    got = stopping.improved(state, jnp.float32([0.5, 1.0, 0.0]))
    np.testing.assert_array_equal(got, [True, False, False])


@pytest.mark.parametrize(
    "n_rows, batch_size, batch_rows, width, steps",
    [
        (10, 4, 4, 4, 3),  # a short last batch of 2 rows
        (5, 8, 5, 8, 1),  # one batch, the width a power of two past the data
        (3000, 256, 256, 256, 12),
        (1024, 1024, 1024, 1024, 1),
        (1, 32, 1, 1, 1),
    ],
)
def test_layout_of_small_and_large_data(n_rows, batch_size, batch_rows, width, steps):
    got = layout.plan_layout(n_rows, batch_size)
    assert (got.batch_rows, got.width, got.steps_per_epoch) == (
        batch_rows,
        width,
        steps,
    )


@pytest.mark.parametrize("n_rows", [1, 7, 100, 1023, 1025, 5000])
@pytest.mark.parametrize("batch_size", [1, 16, 200, 4096])
def test_layout_covers_every_row_once_per_epoch(n_rows, batch_size):
    got = layout.plan_layout(n_rows, batch_size, n_validation_rows=n_rows // 3)
    # The batches tile the rows: none is empty, together they hold every row.
    assert got.steps_per_epoch * got.batch_rows >= n_rows
    assert (got.steps_per_epoch - 1) * got.batch_rows < n_rows
    assert got.batch_rows <= got.width <= batch_size
    # Powers of two, the buckets shapes are compiled for, and whole chunks of
    # the chunked full passes (whose chunk is at most the array): the training
    # arrays at least one chunk, the validation set (visited every epoch) only
    # a small minimum, so that small data do not pass over a chunk of padding.
    for rows, padded, minimum in [
        (n_rows, got.padded_rows, layout.EVAL_CHUNK),
        (n_rows // 3, got.padded_validation_rows, layout._MIN_VALIDATION_ROWS),
    ]:
        assert padded >= max(rows, minimum)
        assert padded % min(layout.EVAL_CHUNK, padded) == 0
        assert padded & (padded - 1) == 0
    assert got.padded_validation_rows < 2 * max(n_rows // 3, 32)
    # A call holds enough steps, unless capped, and a power of two of epochs.
    per_call = got.epochs_per_call
    assert per_call & (per_call - 1) == 0
    assert per_call * got.steps_per_epoch >= 1024 or per_call == 256


def test_similar_data_sizes_share_one_layout_of_shapes():
    shapes = {
        (lay.padded_rows, lay.width, lay.epochs_per_call)
        for lay in (layout.plan_layout(n, 32) for n in range(600, 1000, 37))
    }
    assert len(shapes) == 1


@pytest.mark.parametrize("n_rows, batch_size", [(0, 4), (4, 0)])
def test_layout_rejects_empty_sizes(n_rows, batch_size):
    with pytest.raises(ValueError, match=f"n_rows={n_rows}, batch_size={batch_size}"):
        layout.plan_layout(n_rows, batch_size)


def test_trainer_rejects_a_layout_of_other_arrays():
    x = np.zeros((6, 2), np.float32)
    with pytest.raises(ValueError, match="6 and 0"):
        layout.check_layout(layout.plan_layout(5, 4), (x, x, x[:, 0]), None)


@pytest.mark.parametrize("a, b", [(0, 3), (1, 3), (3, 3), (10, 4), (4000, 7)])
def test_ceil_div_on_host_and_traced(a, b):
    assert layout.ceil_div(a, b) == math.ceil(a / b)
    traced = jax.jit(layout.ceil_div)(jnp.int32(a), jnp.int32(b))
    assert int(traced) == math.ceil(a / b)


def test_trainer_reexports_the_layout():
    assert training.plan_layout is layout.plan_layout
    assert training.Layout is layout.Layout
