"""Shared test configuration, imported by the test modules (pytest puts tests/
on sys.path): the one home of the quick estimator parameters."""

import numpy as np

# A quick configuration for most tests: a fixed number of full passes over tiny
# data sets, no early stopping, so that a fit is deterministic and fast.
QUICK = dict(
    n_estimators=3,
    hidden_layer_sizes=(16,),
    max_iter=60,
    learning_rate_init=1e-2,
    n_iter_no_change=np.inf,
    early_stopping=False,
    random_state=0,
)
