"""Shared test configuration, imported by the test modules (pytest puts tests/
on sys.path): the one home of the quick estimator parameters.

Every test module takes its configuration from here, named by what it is for;
a variant is QUICK with the few settings it changes spelt out.
"""

from contextlib import contextmanager

import numpy as np
import pytest

# Tests of machinery the two estimators share (_ensemble/_base.py: warm start,
# partial_fit, searches, the member seeds) run on the regressor by default and
# on the classifier too with the slow tests: each estimator compiles programs
# of its own, and the classifier's own behaviour has its own default tests.
KINDS = ["regressor", pytest.param("classifier", marks=pytest.mark.slow)]
CASES = pytest.mark.parametrize("case", KINDS, indirect=True)

# Small and few: three members of 16 units, 60 epochs. The training rules
# (early stopping, patience) are the estimators' defaults, for the tests of
# those defaults.
QUICK_SIZE = dict(
    n_estimators=3,
    hidden_layer_sizes=(16,),
    max_iter=60,
    random_state=0,
)

# A quick configuration for most tests: a fixed number of full passes over tiny
# data sets, no early stopping, so that a fit is deterministic and fast.
QUICK = dict(
    QUICK_SIZE,
    learning_rate_init=1e-2,
    n_iter_no_change=np.inf,
    early_stopping=False,
)

# The classifiers' quick configuration: the blobs and spirals are learnt in fewer
# epochs than the cubic.
QUICK_CLASSIFIER = {**QUICK, "max_iter": 40}

# Two members and 30 epochs: enough for the tests that only look at shapes,
# plots or the plumbing, not at the fit's quality.
QUICK_SMALL = {**QUICK, "n_estimators": 2, "max_iter": 30}


@contextmanager
def local_cluster(*, n_workers, processes):
    """A dask ``distributed`` client on a LocalCluster of one-thread workers."""
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=n_workers,
            threads_per_worker=1,
            processes=processes,
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client
