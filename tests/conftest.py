import os
import subprocess
import sys

import jax
import pytest

from skdeepens._core import training

# The default suite compiles a program for each of about 150 configurations
# and data shapes, and compiling is most of its time. XLA:CPU's legacy fusion
# emitters compile the trainer about twice as fast as its default (MLIR) ones,
# which takes the suite from about 190 s to under 120 s on 2 cores. Results
# agree to float32 rounding (every test passes under both); CI runs every test
# again under XLA's defaults (SKDEEPENS_TEST_XLA_DEFAULTS=1, see .ci/run), which
# is also how to test exactly the code users run. An XLA that does not know
# the flag aborts at start-up, so a subprocess tries it first, while the tests
# are collected; XLA reads XLA_FLAGS when JAX starts its backend, at the first
# computation.
_FAST_COMPILE_FLAG = "--xla_cpu_use_fusion_emitters=false"
_flag_probe = None
if not os.environ.get("SKDEEPENS_TEST_XLA_DEFAULTS"):
    _flag_probe = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import jax.numpy as jnp; jnp.ones(1).block_until_ready()",
        ],
        env={**os.environ, "XLA_FLAGS": _FAST_COMPILE_FLAG, "JAX_PLATFORMS": "cpu"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def pytest_collection_finish(session):
    if _flag_probe is not None and _flag_probe.wait() == 0:
        if _backend_started():
            # Too late: the flag would be ignored and every compilation take
            # about twice as long, which once doubled the suite's time unseen.
            session.config.issue_config_time_warning(
                pytest.PytestConfigWarning(
                    "JAX's backend started while the tests were collected, so "
                    f"{_FAST_COMPILE_FLAG} is not applied and the suite compiles "
                    "about twice as slowly: a test module (or a package it "
                    "imports) computes at import time; defer that computation."
                ),
                stacklevel=2,
            )
            return
        flags = os.environ.get("XLA_FLAGS", "")
        os.environ["XLA_FLAGS"] = f"{flags} {_FAST_COMPILE_FLAG}".strip()


def _backend_started():
    """Whether JAX's backend has started (and read XLA_FLAGS) in this process."""
    from jax._src import xla_bridge

    started = getattr(xla_bridge, "backends_are_initialized", None)
    return started is not None and started()


# Catch (n,) versus (n, 1) mistakes in the JAX core: implicit rank promotion
# raises instead of silently broadcasting.
jax.config.update("jax_numpy_rank_promotion", "raise")

# The suite fits a few hundred configurations; the library's bound on cached
# trainer programs (for long-running user processes) would clear JAX's caches
# every ~16 of them and recompile the shared quick configurations again and
# again. The suite keeps them all (a few MB and ~80 memory mappings each; see
# training.MAX_COMPILED_PROGRAMS); tests/test_core.py checks the bound itself.
training.MAX_COMPILED_PROGRAMS = 1024


@pytest.fixture
def pyplot():
    """matplotlib.pyplot with the Agg backend; closes every figure afterwards."""
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    yield plt
    plt.close("all")


@pytest.fixture(scope="session")
def cubic():
    """The seed's cubic regression problem, 40 samples."""
    from skdeepens.datasets import make_cubic

    return make_cubic(n_samples=40, random_state=0)


@pytest.fixture(scope="session")
def blobs():
    """Three well separated classes, labelled 0, 1, 2."""
    from sklearn.datasets import make_blobs

    return make_blobs(
        n_samples=90, centers=[[-4, 0], [0, 4], [4, 0]], cluster_std=1.0, random_state=0
    )


@pytest.fixture(params=["regressor", "classifier"], scope="session")
def case(request, cubic, blobs):
    """One estimator class with its data and quick parameters, for the tests
    that hold for both estimators."""
    from _helpers import QUICK, QUICK_CLASSIFIER
    from sklearn.utils import Bunch

    from skdeepens import DeepEnsembleClassifier, DeepEnsembleRegressor

    if request.param == "regressor":
        return Bunch(
            name="regressor",
            Estimator=DeepEnsembleRegressor,
            data=cubic,
            quick=dict(QUICK),
            scoring=None,
        )
    return Bunch(
        name="classifier",
        Estimator=DeepEnsembleClassifier,
        data=blobs,
        quick=dict(QUICK_CLASSIFIER),
        scoring="neg_log_loss",
    )
