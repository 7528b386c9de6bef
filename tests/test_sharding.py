"""Members spread over several local devices, with no flag from the user.

XLA can split the host CPU into several devices
(``--xla_force_host_platform_device_count``), but only before JAX starts, so
the sharded fit runs in a fresh subprocess. It reports the sharding of the
state that the compiled trainer received and its predictions, which must equal
a fit on one device (this process) up to float32 rounding.
"""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from skdeepens import DeepEnsembleRegressor

# A few epochs: float32 rounding differs between the partitioned and the
# single-device programs, and long training amplifies it (about 1e-3 after 30
# epochs); a wrong batch or member would differ by far more within one epoch.
SETTINGS = dict(max_iter=5, n_iter_no_change=np.inf, random_state=0)

SCRIPT = textwrap.dedent(
    """
    import json, sys
    import numpy as np
    from skdeepens import DeepEnsembleRegressor
    from skdeepens._core import training

    received = []
    compiled = training._run_epochs_jit

    def spy(state, *args, **kwargs):
        received.append(state.params[0][0].sharding)
        return compiled(state, *args, **kwargs)

    spy._cache_size = compiled._cache_size
    training._run_epochs_jit = spy
    n_estimators, settings = int(sys.argv[1]), json.loads(sys.argv[2])
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    y = X[:, 0] - X[:, 1] ** 2 + 0.1 * rng.normal(size=200)
    settings["n_iter_no_change"] = float(settings["n_iter_no_change"])
    reg = DeepEnsembleRegressor(n_estimators=n_estimators, **settings).fit(X, y)
    sharding = received[-1]
    print(json.dumps({
        "n_devices": len(sharding.device_set),
        "spec": str(sharding.spec),
        "mean": reg.predict(X).tolist(),
        "std": reg.predict(X, return_std=True)[1].tolist(),
        "n_members": reg.params_[0][0].shape[0],
    }))
    """
)


def _sharded_fit(n_estimators):
    env = dict(os.environ)
    env["XLA_FLAGS"] = (
        env.get("XLA_FLAGS", "") + " --xla_force_host_platform_device_count=4"
    )
    env["JAX_PLATFORMS"] = "cpu"
    root = Path(__file__).resolve().parent.parent
    env["PYTHONPATH"] = os.pathsep.join([str(root), env.get("PYTHONPATH", "")])
    settings = {**SETTINGS, "n_iter_no_change": "inf"}
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(n_estimators), json.dumps(settings)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


# 5 members (padded to 8) cover the sharding by default; 4 (no padding) with
# the slow tests: each case starts a JAX process and compiles its own program.
# A subprocess with two host devices, compiling the sharded programs: slow.
@pytest.mark.slow
@pytest.mark.parametrize("n_estimators", [4, 5])
def test_members_are_sharded_over_every_device_and_match_one_device(n_estimators):
    sharded = _sharded_fit(n_estimators)
    # The member axis is split over the 4 devices; 5 members are padded to 8
    # with frozen members, which the fitted state does not keep.
    assert sharded["n_devices"] == 4
    assert sharded["spec"].startswith("P('members'")
    assert sharded["n_members"] == n_estimators

    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    y = X[:, 0] - X[:, 1] ** 2 + 0.1 * rng.normal(size=200)
    single = DeepEnsembleRegressor(n_estimators=n_estimators, **SETTINGS).fit(X, y)
    mean, std = single.predict(X, return_std=True)
    np.testing.assert_allclose(sharded["mean"], mean, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(sharded["std"], std, rtol=1e-4, atol=1e-4)
