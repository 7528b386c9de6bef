"""Member groups (skdeepens._core.groups) and the estimators' n_jobs."""

import jax
import joblib
import numpy as np
import pytest
from _helpers import QUICK
from numpy.testing import assert_array_equal

from skdeepens import DeepEnsembleRegressor
from skdeepens._core import groups, training


@pytest.mark.parametrize(
    "n_members, expected",
    [
        (5, [[0, 1, 2], [3, 4]]),
        (6, [[0, 1, 2], [3, 4, 5]]),
        (7, [[0, 1, 2], [3, 4, 5], [6]]),
        (1, [[0]]),
    ],
)
def test_groups_of_one_width_on_a_cpu(n_members, expected):
    plan, width = groups.plan_groups(n_members, platform="cpu")
    assert [g.tolist() for g in plan] == expected
    assert width == groups.MEMBERS_PER_PROGRAM == 3


def test_one_group_on_an_accelerator():
    plan, width = groups.plan_groups(7, platform="gpu")
    assert [g.tolist() for g in plan] == [list(range(7))] and width == 7


def test_n_jobs_counts_from_the_cores_and_honours_a_granted_limit(monkeypatch):
    monkeypatch.setattr(groups, "machine_cores", lambda: 8)
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    assert groups.effective_n_jobs(None) == 8
    assert groups.effective_n_jobs(-1) == 8
    assert groups.effective_n_jobs(-2) == 7
    assert groups.effective_n_jobs(-20) == 1
    assert groups.effective_n_jobs(3) == 3
    # What joblib sets in its workers: the worker's share of the cores.
    monkeypatch.setenv("OMP_NUM_THREADS", "2")
    assert groups.effective_n_jobs(None) == 2
    assert groups.effective_n_jobs(4) == 4  # an explicit n_jobs is the user's
    monkeypatch.setenv("OMP_NUM_THREADS", "not a number")
    assert groups.effective_n_jobs(None) == 8


def _result(n_epochs, members, value):
    n = len(members)
    curve = np.full((n_epochs, n), float(value))
    return training.FitResult(
        params=((np.full((n, 2), value),),),
        loss_curve=curve,
        validation_curve=None,
        learning_rate_curve=curve,
        converged=np.ones(n, bool),
        diverged_epoch=np.zeros(n, int),
        initial_loss=np.full(n, value),
        best_loss=np.full(n, value),
        best_epoch=np.full(n, n_epochs),
        opt_state=(np.full((n, 3), value),),
        learning_rate=np.full(n, value),
    )


def test_merged_results_are_in_member_order_with_nan_after_a_group_stops():
    merged = groups.merge_results([_result(3, [0, 1], 1.0), _result(5, [2], 2.0)])
    assert merged.loss_curve.shape == (5, 3)
    assert_array_equal(merged.loss_curve[:, 2], 2.0)
    assert np.isnan(merged.loss_curve[3:, :2]).all()
    assert_array_equal(merged.loss_curve[:3, :2], 1.0)
    assert merged.validation_curve is None
    assert_array_equal(merged.params[0][0][:, 0], [1.0, 1.0, 2.0])
    assert_array_equal(merged.opt_state[0][:, 0], [1.0, 1.0, 2.0])
    assert_array_equal(merged.best_epoch, [3, 3, 5])


def _leaves(estimator):
    return [np.asarray(leaf) for leaf in jax.tree_util.tree_leaves(estimator.params_)]


def test_every_n_jobs_gives_the_same_members_bit_for_bit(cubic):
    # Four members: groups [0, 1, 2] and [3] padded to three.
    X, y = cubic
    fits = [
        DeepEnsembleRegressor(**{**QUICK, "n_estimators": 4, "n_jobs": n_jobs}).fit(
            X, y
        )
        for n_jobs in (1, 2, None)
    ]
    reference = _leaves(fits[0])
    for fit in fits[1:]:
        for leaf, expected in zip(_leaves(fit), reference):
            assert_array_equal(leaf, expected)
        assert_array_equal(fit.loss_curve_, fits[0].loss_curve_)
    assert fits[0].n_iter_ == QUICK["max_iter"]


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_groups_that_stop_apart_give_one_record(cubic):
    # Early stopping on: the groups stop after different numbers of epochs.
    X, y = cubic
    params = {
        **QUICK,
        "n_estimators": 4,
        "early_stopping": True,
        "n_iter_no_change": 10,
        "tol": 1e-2,
    }
    reg = DeepEnsembleRegressor(**params, n_jobs=2).fit(X, y)
    curve = reg.validation_loss_curve_
    ran = np.isfinite(curve).sum(axis=0)
    assert ran[3] != ran[:3].max()  # the groups [0, 1, 2] and [3] stopped apart
    assert len(curve) == ran.max() == reg.n_iter_
    assert_array_equal(reg.best_epoch_ <= ran, True)
    one = DeepEnsembleRegressor(**params, n_jobs=1).fit(X, y)
    for leaf, expected in zip(_leaves(reg), _leaves(one)):
        assert_array_equal(leaf, expected)


@pytest.mark.slow
def test_a_loky_worker_uses_its_share_of_the_cores():
    cores = groups.machine_cores()
    granted = joblib.Parallel(n_jobs=2, backend="loky")(
        joblib.delayed(groups.effective_n_jobs)(None) for _ in range(2)
    )
    assert granted == [max(1, cores // 2)] * 2


def test_the_groups_of_a_fit_share_one_compiled_program():
    # Features of a width no other test uses: a program of its own.
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 7)), rng.normal(size=40)
    before = training.trainer_cache_size()
    params = {**QUICK, "n_estimators": 6, "max_iter": 2}
    DeepEnsembleRegressor(**params, n_jobs=2).fit(X, y)
    # (Or none, had another test compiled this shape already.)
    assert training.trainer_cache_size() <= before + 1
