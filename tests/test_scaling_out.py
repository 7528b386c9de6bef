"""Scaling out: a fit's member groups as tasks of a Dask cluster (slow).

The user guide's "Scaling out" documents the one way: a ``distributed``
client and ``joblib.parallel_backend("dask")`` around the fit.
"""

import jax
import joblib
import numpy as np
import pytest
from _helpers import QUICK, local_cluster
from numpy.testing import assert_array_equal

from skdeepens import DeepEnsembleClassifier, DeepEnsembleRegressor
from skdeepens._core import groups

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def client():
    # Two worker processes of one thread: the groups are pickled, shipped and
    # trained in processes of their own, as on a cluster's machines.
    with local_cluster(n_workers=2, processes=True) as client:
        yield client


def _leaves(estimator):
    return [np.asarray(leaf) for leaf in jax.tree_util.tree_leaves(estimator.params_)]


@pytest.mark.parametrize(
    "Estimator, data",
    [(DeepEnsembleRegressor, "cubic"), (DeepEnsembleClassifier, "blobs")],
)
def test_member_groups_run_on_the_workers_and_match_a_local_fit(
    Estimator, data, client, request
):
    from distributed import get_task_stream

    X, y = request.getfixturevalue(data)
    # Five members: two groups (one group alone is trained in the caller).
    params = {**QUICK, "n_estimators": 5}
    plan, _ = groups.plan_groups(params["n_estimators"])
    assert len(plan) == 2
    local = Estimator(**params).fit(X, y)
    with get_task_stream(client) as stream, joblib.parallel_backend("dask"):
        remote = Estimator(**params).fit(X, y)
    tasks = [task for task in stream.data if "_fit_group" in task["key"]]
    # One task per group, each run by a worker process of the cluster.
    assert len(tasks) == len(plan)
    assert {task["worker"] for task in tasks} <= set(client.scheduler_info()["workers"])
    for leaf, expected in zip(_leaves(remote), _leaves(local)):
        assert_array_equal(leaf, expected)
    assert_array_equal(remote.loss_curve_, local.loss_curve_)
    np.testing.assert_array_equal(remote.predict(X), local.predict(X))
