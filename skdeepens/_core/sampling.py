"""The sampling phase: each trained member as the start of a posterior chain.

After the deep-ensemble training, each member's parameters start a Markov
chain on that member's posterior: the likelihood of the training rows times
the Gaussian prior that the L2 penalty ``alpha`` already defines,

    log p(theta | D) = -sum_i w_i loss(theta; x_i, t_i) - 0.5 * alpha * ||W||**2

up to a constant, that is ``-weight_total`` times the penalised mean objective
of :func:`.training.member_objective` on the whole data set, without FGSM and
with the plain (``beta = 0``) likelihood. This is the recipe of MILE (Sommer
et al., ICLR 2025, "Microcanonical Langevin Ensembles"): an optimised
ensemble, then microcanonical Langevin Monte Carlo (MCLMC; Robnik et al.,
2023) from each member, with blackjax's tuning of the step size and the
momentum decoherence length ``L``.

Design:

* **blackjax does the sampling** (an optional dependency: ``pip install
  skdeepens[sampling]``); this module only writes the log density, tunes,
  runs and thins one chain per member, and vmaps that over the members.
* **Full batch.** Every step evaluates the whole training set, padded with
  zero-weight rows to a multiple of 128 so that data sets of similar size
  share one program. The cost of a step grows with the number of rows; the
  estimator documents the limit.
* **Members stay independent.** Member m's chain depends only on its trained
  parameters, its own seed and the data; the member axis is a ``vmap``, and
  the program is compiled at the member groups' one width
  (:mod:`.groups`), so member m's samples are the same whatever
  ``n_estimators`` or ``n_jobs``.
* ``_core`` draws no random numbers of its own: the estimator passes each
  member's seed, from ``random_state`` and m.
"""

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from .layout import pad_members, pad_rows
from .training import member_objective, release_programs_if_many

# The sampler's first step size (MILE's), and the shares of the tuning steps
# in blackjax's three tuning phases (MILE's).
_INITIAL_STEP_SIZE = 0.005
_TUNING_SHARES = (0.8, 0.1, 0.1)
# The energy error per parameter that the step size is tuned to: blackjax's
# default. MILE's larger targets (0.01 to 0.5) took bigger steps and lost
# 0.1-1.3 nats on concrete, boston and yacht; the one-gradient velocity Verlet
# integrator (half the cost of McLachlan's two) lost 0.2 nats on concrete.
_DESIRED_ENERGY_VAR = 5e-4
# The sampler's full-batch data are padded to a multiple of this many rows:
# every step visits every row, so padding costs in proportion (a power of two
# would cost up to 2x), while folds of similar size still share one program.
_SAMPLING_ROW_BLOCK = 128


class SamplerConfig(NamedTuple):
    """What the compiled sampler depends on, besides array shapes (static).

    Attributes
    ----------
    n_samples : int
        Samples kept per member.
    thinning : int
        Steps of the chain between two kept samples.
    n_tuning_steps : int
        Steps of blackjax's tuning of the step size and ``L`` (the chain's
        burn-in), before the first kept sample.
    """

    n_samples: int
    thinning: int
    n_tuning_steps: int


def require_blackjax():
    """blackjax, imported; an ImportError that says how to install it."""
    try:
        import blackjax
    except ImportError as exc:  # pragma: no cover - exercised without blackjax
        raise ImportError(
            "posterior_samples > 0 samples with blackjax, which is not installed: "
            "pip install 'skdeepens[sampling]' (or pip install blackjax)."
        ) from exc
    return blackjax


def log_posterior(params, x, t, w, hyper, config, prior_params=None):
    """One member's unnormalised log posterior on the (full) training set.

    ``-hyper.weight_total`` times :func:`.training.member_objective` without
    FGSM and with the plain likelihood: ``-sum_i w_i loss_i`` minus the
    penalty ``0.5 * alpha * ||W||**2``, the Gaussian prior's log density.
    """
    clean = config._replace(adversarial=False)
    plain = hyper._replace(beta=jnp.zeros_like(hyper.beta))
    objective = member_objective(params, x, t, w, plain, clean, prior_params)
    return -hyper.weight_total * objective


def _member_chain(params, seed, prior, x, t, w, hyper, config, sampler):
    """Tune, then run and thin one member's chain; its kept samples."""
    blackjax = require_blackjax()

    def logdensity(theta):
        return log_posterior(theta, x, t, w, hyper, config, prior)

    init_key, tune_key, run_key = jax.random.split(jax.random.PRNGKey(seed), 3)
    state = blackjax.mcmc.mclmc.init(params, logdensity, init_key)
    n_run = sampler.n_samples * sampler.thinning
    # blackjax tunes for fractions of num_steps: n_tuning_steps in all, split
    # as MILE does, 80% to the step size, 10% to L from the chain's variance,
    # and 10% to L from its autocorrelation.
    fractions = [share * sampler.n_tuning_steps / n_run for share in _TUNING_SHARES]
    n_params = sum(leaf.size for leaf in jax.tree_util.tree_leaves(params))
    # A small first step, as MILE's: blackjax's default (a quarter of
    # sqrt(dim)) throws the chain far from the mode it starts at before the
    # step size has adapted.
    start = blackjax.adaptation.mclmc_adaptation.MCLMCAdaptationState(
        L=jnp.sqrt(jnp.float32(n_params)),
        step_size=jnp.float32(_INITIAL_STEP_SIZE),
        inverse_mass_matrix=jnp.float32(1.0),
    )
    integrator = blackjax.mcmc.integrators.isokinetic_mclachlan
    state, tuned, _ = blackjax.mclmc_find_L_and_step_size(
        mclmc_kernel=blackjax.mcmc.mclmc.build_kernel(integrator=integrator),
        num_steps=n_run,
        state=state,
        rng_key=tune_key,
        logdensity_fn=logdensity,
        frac_tune1=fractions[0],
        frac_tune2=fractions[1],
        frac_tune3=fractions[2],
        desired_energy_var=_DESIRED_ENERGY_VAR,
        diagonal_preconditioning=False,
        params=start,
    )
    chain = blackjax.mclmc(
        logdensity,
        integrator=integrator,
        L=tuned.L,
        step_size=tuned.step_size,
        inverse_mass_matrix=tuned.inverse_mass_matrix,
    )

    def kept_sample(state, key):
        def step(i, state):
            state, _ = chain.step(jax.random.fold_in(key, i), state)
            return state

        state = jax.lax.fori_loop(0, sampler.thinning, step, state)
        return state, state.position

    keys = jax.random.split(run_key, sampler.n_samples)
    _, samples = jax.lax.scan(kept_sample, state, keys)
    return samples


def _sample_members(params, seeds, prior, x, t, w, hyper, config, sampler):
    chains = jax.vmap(
        _member_chain,
        in_axes=(0, 0, None if prior is None else 0, None, None, None, None, None,
                 None),
    )  # fmt: skip
    return chains(params, seeds, prior, x, t, w, hyper, config, sampler)


_sample_members_jit = jax.jit(_sample_members, static_argnames=("config", "sampler"))


def sample_members(
    params, train, seeds, *, hyper, config, sampler, prior_params=None, width=None
):
    """Samples of every member's posterior, stacked member-major.

    Parameters
    ----------
    params : tuple of (ndarray, ndarray)
        The trained members, stacked (leading member axis), float32: each
        member's chain starts there.
    train : tuple of ndarray
        ``(x, t, w)``: the standardised training rows, as the trainer saw them.
    seeds : ndarray of shape (n_members,), int
        Each member's seed of its chain.
    hyper : training.Hyperparams
        The fit's settings (``alpha`` and ``weight_total`` define the
        posterior).
    config : training.TrainConfig
        The loss and the activation (FGSM is not part of the likelihood).
    sampler : SamplerConfig
    prior_params : tuple, optional
        The members' randomized prior networks, as in training.
    width : int, optional
        Members per compiled program: padded with copies of member 0, whose
        chains are dropped.

    Returns
    -------
    samples : tuple of (ndarray, ndarray)
        Leading axis ``n_members * n_samples``: member 0's samples first.
    finite : ndarray of shape (n_members,), bool
        Whether every sample of the member is finite.
    """
    n_members = jax.tree_util.tree_leaves(params)[0].shape[0]
    width = max(width or n_members, n_members)
    x, t, w = train
    n_rows = -(-len(x) // _SAMPLING_ROW_BLOCK) * _SAMPLING_ROW_BLOCK
    x, t, w = (pad_rows(np.asarray(a, np.float32), n_rows) for a in (x, t, w))
    if prior_params is not None:
        prior_params = pad_members(prior_params, width)
    seeds = pad_members(np.asarray(seeds, np.uint32), width)
    # The sampler's programs are bounded like the trainer's.
    release_programs_if_many(_sample_members_jit)
    with jax.default_matmul_precision("highest"):
        stacked = _sample_members_jit(
            pad_members(params, width), seeds, prior_params, x, t, w, hyper,
            config, sampler,
        )  # fmt: skip
    stacked = jax.tree_util.tree_map(lambda a: np.asarray(a)[:n_members], stacked)
    finite = np.ones(n_members, bool)
    for leaf in jax.tree_util.tree_leaves(stacked):
        finite &= np.isfinite(leaf).reshape(n_members, -1).all(axis=1)
    samples = jax.tree_util.tree_map(
        lambda a: a.reshape((n_members * sampler.n_samples,) + a.shape[2:]), stacked
    )
    return samples, finite


__all__ = ["SamplerConfig", "log_posterior", "require_blackjax", "sample_members"]
