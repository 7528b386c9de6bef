"""predict_uncertainty's keys say what they hold: variances and standard deviations."""

import numpy as np
import pytest
from _helpers import QUICK
from sklearn.compose import TransformedTargetRegressor
from sklearn.preprocessing import StandardScaler

from skdeepens import DeepEnsembleRegressor
from skdeepens.compose import predict_uncertainty

KEYS = [
    "mean",
    "total_var",
    "aleatoric_var",
    "epistemic_var",
    "total_std",
    "aleatoric_std",
    "epistemic_std",
]


@pytest.fixture(scope="module")
def regressor(cubic):
    X, y = cubic
    return DeepEnsembleRegressor(**QUICK).fit(X, y)


def test_the_regressors_keys_are_variances_and_their_square_roots(regressor, cubic):
    X, _ = cubic
    u = regressor.predict_uncertainty(X)
    assert list(u) == KEYS
    for part in ("total", "aleatoric", "epistemic"):
        np.testing.assert_allclose(u[f"{part}_std"] ** 2, u[f"{part}_var"], rtol=1e-12)
        assert np.all(u[f"{part}_std"] >= 0)
    np.testing.assert_allclose(
        u.total_var, u.aleatoric_var + u.epistemic_var, rtol=1e-12
    )
    mean, std = regressor.predict(X, return_std=True)
    np.testing.assert_array_equal(u.mean, mean)
    np.testing.assert_array_equal(u.total_std, std)
    # The standard deviations do not add up; the variances do.
    assert np.all(u.total_std <= u.aleatoric_std + u.epistemic_std)


def test_compose_maps_every_key_through_an_affine_target_transform(cubic):
    X, y = cubic
    ttr = TransformedTargetRegressor(
        DeepEnsembleRegressor(**QUICK), transformer=StandardScaler()
    ).fit(X, y)
    u = predict_uncertainty(ttr, X)
    inner = ttr.regressor_.predict_uncertainty(X)
    a = ttr.transformer_.scale_[0]
    assert list(u) == KEYS
    np.testing.assert_allclose(u.mean, ttr.predict(X), rtol=1e-12)
    for part in ("total", "aleatoric", "epistemic"):
        np.testing.assert_allclose(u[f"{part}_var"], a**2 * inner[f"{part}_var"])
        np.testing.assert_allclose(u[f"{part}_std"], a * inner[f"{part}_std"])
        np.testing.assert_allclose(u[f"{part}_std"] ** 2, u[f"{part}_var"])
