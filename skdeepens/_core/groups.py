"""Member groups: the ensemble trained as several compiled programs at once.

Members are independent by construction, so the ensemble can be cut into
groups, each trained by its own call of :func:`.training.fit_ensemble`, and
the groups run side by side. The compiled trainer releases the GIL, so on a
CPU two groups in two threads take about the time of one (measured in
``benchmarks/bench_fit.py``): XLA:CPU runs these skinny programs on one core
each, whatever their width.

The rule, and why:

* **On a CPU, groups of** ``MEMBERS_PER_PROGRAM`` **(3) members**, the last
  one padded with frozen copies. float32 results depend on the width of the
  vmapped program (XLA picks kernels and fusions by shape: member 0 of a
  1-wide or 8-wide program differs in the last bit from the 2- to 6-wide
  ones), never on what the other lanes hold. One width for every fit keeps
  the promise that member ``m`` is the same network whatever ``n_estimators``
  (so a ``warm_start`` fit that adds members equals a fresh fit), whatever
  ``n_jobs`` (which only decides how many groups run at a time) and whatever
  the machine's core count; and every group compiles one program of one
  shape.
* **Why 3.** Measured here (``benchmarks/bench_fit.py``): the cost per member
  falls slowly with the width (the per-op overhead is shared: a 3-wide
  program costs about 0.8x per member of a 1-wide one, a 6-wide 0.67x), and
  two programs on two cores take the time of one. Three makes the default 5
  members two groups, which fill a 2-core machine, and leaves enough groups
  for the cores of a larger one at larger ``n_estimators``.
* **On accelerators, one group** of all the members: a GPU runs a wide
  program about as fast as a narrow one, and several local devices share the
  member axis of that one program (:func:`.layout.member_sharding`), as
  before groups existed.

Groups run through :class:`joblib.Parallel` with a preference for threads, so
a joblib backend the user selects (``joblib.parallel_backend("dask")``) sends
them to its workers instead; what a group needs (its members' initial
parameters, the data, and its data orders' random generators) is pickled and
shipped, and the result comes back as NumPy.
"""

import functools
import os

import jax
import joblib
import numpy as np
from joblib.parallel import SequentialBackend, ThreadingBackend

from . import sampling, training

# Members per compiled program on a CPU (see the module docstring).
MEMBERS_PER_PROGRAM = 3


def machine_cores():
    """Cores of this machine that the process may use (cgroups and affinity)."""
    return max(1, joblib.cpu_count())


def plan_groups(n_members, *, platform=None):
    """Cut the members into groups of one width: the member indices of each.

    Parameters
    ----------
    n_members : int
    platform : str, optional
        JAX's default backend (``"cpu"``, ``"gpu"``, ...); None reads it.

    Returns
    -------
    groups : list of ndarray of int
        Consecutive member indices; every group but the last has ``width``
        members.
    width : int
        The members per compiled program (the last group is padded to it).
    """
    platform = jax.default_backend() if platform is None else platform
    if platform != "cpu" or len(jax.local_devices()) > 1:
        width = n_members
    else:
        width = MEMBERS_PER_PROGRAM
    members = np.arange(n_members)
    return [members[i : i + width] for i in range(0, n_members, width)], width


def effective_n_jobs(n_jobs):
    """Groups to run at a time for ``n_jobs``, with scikit-learn's meaning.

    None: every core joblib grants this process. In a joblib worker, joblib
    sets ``OMP_NUM_THREADS`` to the worker's share of the cores, so that a
    ``GridSearchCV(n_jobs=...)`` does not oversubscribe; outside one, the
    variable is the user's own limit, honoured the same way. Negative values
    count from the cores: -1 is all of them, -2 all but one.
    """
    cores = machine_cores()
    if n_jobs is None:
        granted = _env_thread_limit()
        return cores if granted is None else max(1, min(cores, granted))
    if n_jobs < 0:
        return max(1, cores + 1 + n_jobs)
    return int(n_jobs)


def _env_thread_limit():
    value = os.environ.get("OMP_NUM_THREADS", "")
    try:
        return int(value.split(",")[0])
    except ValueError:
        return None


def _runs_here():
    """Whether joblib would run our groups in this process (threads or inline)."""
    backend, _ = joblib.parallel.get_active_backend(prefer="threads")
    return isinstance(backend, (ThreadingBackend, SequentialBackend))


def _take(tree, members):
    """The members' rows of every leaf of a tree stacked over members."""
    if tree is None:
        return None
    return jax.tree_util.tree_map(lambda leaf: np.asarray(leaf)[members], tree)


def _group_arguments(members, init_params, kwargs):
    """The arguments of :func:`.training.fit_ensemble` for one group's members."""
    learning_rate = np.asarray(kwargs["learning_rate"], np.float32)
    return {
        **kwargs,
        "init_params": _take(init_params, members),
        "learning_rate": learning_rate[members]
        if learning_rate.ndim
        else learning_rate,
        "opt_state": _take(kwargs.get("opt_state"), members),
        "prior_params": _take(kwargs.get("prior_params"), members),
    }


def _fit_group(members, width, draw_orders, on_epochs, arguments):
    """Train one group: :func:`.training.fit_ensemble` on its members."""
    return training.fit_ensemble(
        draw_orders=functools.partial(draw_orders, members=members),
        on_epochs=None
        if on_epochs is None
        else functools.partial(on_epochs, members=members),
        members_per_program=width,
        **arguments,
    )


def join_member_curves(curves):
    """(n_iter, n_members) curves side by side, the shorter ones NaN-padded.

    NaN is what a curve holds for a member that no longer trains, so a group
    that stopped sooner (or an earlier fit's members, in a warm start) reads
    as members that stopped.
    """
    n_rows = max(curve.shape[0] for curve in curves)
    return np.hstack(
        [
            np.pad(
                curve, ((0, n_rows - curve.shape[0]), (0, 0)), constant_values=np.nan
            )
            for curve in curves
        ]
    )


def _concatenate_trees(trees):
    """Trees stacked over members, joined along the member axis, in order."""
    return jax.tree_util.tree_map(lambda *leaves: np.concatenate(leaves), *trees)


def merge_results(results):
    """One :class:`.training.FitResult` of the groups' results, in member order.

    Groups stop at different epochs: shorter curves get NaN rows, which is
    what the curves hold for a member that no longer trains.
    """
    if len(results) == 1:
        return results[0]

    def join(name):
        parts = [getattr(r, name) for r in results]
        if parts[0] is None:
            return None
        if name.endswith("curve"):
            return join_member_curves(parts)
        return np.concatenate(parts)

    def join_trees(name):
        return _concatenate_trees([getattr(r, name) for r in results])

    return training.FitResult(
        params=join_trees("params"),
        loss_curve=join("loss_curve"),
        validation_curve=join("validation_curve"),
        learning_rate_curve=join("learning_rate_curve"),
        converged=join("converged"),
        diverged_epoch=join("diverged_epoch"),
        initial_loss=join("initial_loss"),
        best_loss=join("best_loss"),
        best_epoch=join("best_epoch"),
        opt_state=tuple(
            np.concatenate(leaves) for leaves in zip(*(r.opt_state for r in results))
        ),
        learning_rate=join("learning_rate"),
    )


def fit_in_groups(
    init_params, train, validation, draw_orders, *, n_jobs=None, on_epochs=None,
    **kwargs,
):  # fmt: skip
    """Train every member, in the groups of :func:`plan_groups`, side by side.

    Parameters
    ----------
    init_params, train, validation
        As :func:`.training.fit_ensemble`, for all the members.
    draw_orders : callable
        ``draw_orders(n_epochs, members=indices)``: the data orders of the
        given members, of shape (n_epochs, len(indices), n). A picklable
        object, so that a remote joblib backend can ship it.
    n_jobs : int or None
        As :func:`effective_n_jobs`: how many groups run at a time.
    on_epochs : callable, optional
        ``on_epochs(first_epoch, losses, validation_losses, members=indices)``
        after each compiled call of a group. Called from the group's thread;
        not called when a remote backend runs the groups.
    **kwargs
        The other arguments of :func:`.training.fit_ensemble`
        (``learning_rate`` per member or scalar, ``opt_state`` and
        ``prior_params`` stacked over all the members).

    Returns
    -------
    result : training.FitResult
        Of all the members, as one program would return it.
    """
    n_members = jax.tree_util.tree_leaves(init_params)[0].shape[0]
    kwargs = {**kwargs, "train": train, "validation": validation}

    def group_task(members, width, here):
        return (
            _fit_group,
            members,
            width,
            draw_orders,
            on_epochs if here else None,
            _group_arguments(members, init_params, kwargs),
        )

    return merge_results(_run_groups(n_members, group_task, n_jobs))


def _run_groups(n_members, group_task, n_jobs):
    """Run one task per group of :func:`plan_groups`, side by side; their results.

    ``group_task(members, width, here)`` returns ``(function, *arguments)``
    of the group's task; ``here`` says whether it runs in this process (so
    that callbacks may be passed). One group runs inline.
    """
    groups, width = plan_groups(n_members)
    if len(groups) == 1:
        function, *arguments = group_task(groups[0], width, True)
        return [function(*arguments)]
    here = _runs_here()
    n_parallel = min(len(groups), effective_n_jobs(n_jobs)) if here else len(groups)
    tasks = (group_task(members, width, here) for members in groups)
    return joblib.Parallel(n_jobs=n_parallel, prefer="threads")(
        joblib.delayed(function)(*arguments) for function, *arguments in tasks
    )


def _sample_group(width, params, train, seeds, prior_params, kwargs):
    """Sample one group: :func:`.sampling.sample_members` on its members."""
    return sampling.sample_members(
        params, train, seeds, prior_params=prior_params, width=width, **kwargs
    )


def sample_in_groups(params, train, seeds, *, n_jobs=None, prior_params=None, **kwargs):
    """Every member's posterior samples, the groups of :func:`plan_groups` side by side.

    Parameters
    ----------
    params : tuple of (ndarray, ndarray)
        The trained members, stacked.
    train : tuple of ndarray
        As :func:`.sampling.sample_members`.
    seeds : ndarray of shape (n_members,)
        Each member's chain seed.
    n_jobs : int or None
        As :func:`effective_n_jobs`.
    prior_params : tuple, optional
        The members' randomized priors, stacked.
    **kwargs
        The other arguments of :func:`.sampling.sample_members` (``hyper``,
        ``config``, ``sampler``).

    Returns
    -------
    samples, finite
        As :func:`.sampling.sample_members`, for all the members in order.
    """
    n_members = jax.tree_util.tree_leaves(params)[0].shape[0]
    seeds = np.asarray(seeds)

    def group_task(members, width, here):
        return (
            _sample_group,
            width,
            _take(params, members),
            train,
            seeds[members],
            _take(prior_params, members),
            kwargs,
        )

    results = _run_groups(n_members, group_task, n_jobs)
    samples = _concatenate_trees([r[0] for r in results])
    return samples, np.concatenate([r[1] for r in results])


__all__ = [
    "MEMBERS_PER_PROGRAM",
    "effective_n_jobs",
    "fit_in_groups",
    "join_member_curves",
    "machine_cores",
    "merge_results",
    "plan_groups",
    "sample_in_groups",
]
